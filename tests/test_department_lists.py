"""Department lists on SQLite and PostgreSQL: 民政's 低保 list sets identity flags with source and validity, the
people's assessed enrollments are assessed again (the subsidy follows), billed ones are reported for review, and
every bad row is reported: wrong check digit, a name that differs from the registry's, an identity another
department certifies, a duplicate, a person not registered. The same list again changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, update

from api_site import finished_job
from db_fixtures import migrated_engine
from households import NOW, YUYANG, uow
from principals import admin, of_role, operator
from yibao.adapters.db.database import session_factory
from yibao.adapters.db.tables import AuditEntry, Enrollment, IdentityFlag, ListImport, Resident
from yibao.domain import idnumber
from yibao.domain.errors import YibaoError
from yibao.domain.states import JobState
from yibao.entrypoints.http.context import AppContext
from yibao.entrypoints.server import create_app
from yibao.services.access import Role
from yibao.services.intake.department_lists import ListRequest, import_department_list
from yibao.services.intake.roster_import import import_roster
from yibao.services.intake.roster_report import RosterRequest
from yibao.services.registry.areas import seed_district
from yibao.services.users import NewUser, add_user, login
from yibao.synthetic.rosters import roster

POLICY = "tianjin-jizhou-2018"
HEADERS = ["序号", "姓名", "身份证号码", "身份类别", "认定日期"]


@pytest.fixture(params=["sqlite", "postgresql"])
def district(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    for engine in migrated_engine(request.param, tmp_path):
        with uow(engine, "setup") as work:
            seed_district(work, "120119")
        planted = roster(12, seed=31, on=NOW.date())
        content = "\n".join(",".join(row) for row in [planted.headers, *planted.rows]).encode()
        with uow(engine) as work:
            assert import_roster(work, operator(YUYANG), RosterRequest("名册.csv", content, YUYANG, POLICY)).errors == 0
        yield engine
        engine.dispose()


def adults(engine: Engine, count: int) -> list[tuple[int, str, str, int]]:
    """Enrolled adults with something to pay: (enrollment id, ID number, name, individual due)."""
    with session_factory(engine)() as session:
        rows = session.execute(
            select(Enrollment.id, Resident.id_number, Resident.name, Enrollment.individual_due_fen)
            .join(Resident, Resident.id == Enrollment.resident_id)
            .where(Enrollment.category == "adult", Enrollment.individual_due_fen > 0)
            .order_by(Enrollment.id)
            .limit(count)
        ).all()
    return [(row[0], row[1], row[2], row[3] or 0) for row in rows]


def csv_of(rows: list[list[str]]) -> bytes:
    return "\n".join(",".join(row) for row in [HEADERS, *rows]).encode()


def test_a_civil_affairs_list_flags_reassesses_and_reports(district: Engine) -> None:
    (first, first_number, first_name, due), (paid, paid_number, paid_name, _), (_, other_number, _, _) = adults(
        district, 3
    )
    with uow(district) as work:
        work.session.execute(update(Enrollment).where(Enrollment.id == paid).values(state="paid"))
        work.commit()
    stranger = idnumber.make("120119", date(1970, 1, 1), 991)
    spoiled = first_number[:17] + ("1" if first_number[17] != "1" else "2")
    rows = [
        ["1", first_name, first_number, "低保", "2017-01-01"],  # flagged; its enrollment re-assessed
        ["2", paid_name, paid_number, "城乡低保", ""],  # flagged; paid already: for review
        ["3", "王错名", other_number, "低保", ""],  # the registry knows another name
        ["4", "李四", stranger, "特困", ""],  # nobody of that number: not recorded, reported
        ["5", "张三", spoiled, "低保", ""],  # check digit
        ["6", first_name, first_number, "重度残疾", ""],  # 残联 certifies that, not 民政
        ["7", first_name, first_number, "低保户", ""],  # the same person and identity again
    ]
    department = of_role(Role.DEPARTMENT)
    request = ListRequest("民政低保名单.csv", csv_of(rows), "civil_affairs")
    with uow(district) as work:
        dry = import_department_list(work, department, ListRequest(**{**request.__dict__, "dry_run": True}))
    assert civil_affairs_flags(district) == 0 and dry.flagged == 2
    with uow(district) as work:
        report = import_department_list(work, department, request)
    codes = {problem.row: problem.code for problem in report.problems}
    assert codes == {
        3: "SUBSIDY_AFTER_BILLING",  # the paid one's row (sheet row 3) is noted for review
        4: "RESIDENT_NAME_DIFFERS",  # a department reads no residents: told that the name differs, not the name
        5: "RESIDENT_NOT_REGISTERED",
        6: "ID_NUMBER_CHECK_DIGIT",
        7: "IDENTITY_NOT_OF_DEPARTMENT",
        8: "DUPLICATE_IN_FILE",
    }
    other_name = next(name for _, number, name, _ in adults(district, 3) if number == other_number)
    assert other_name not in str([problem.message for problem in [*report.problems, *dry.problems]])
    assert (report.flagged, report.unchanged, report.not_registered, report.errors) == (2, 0, 1, 4)
    assert (report.reassessed, report.needs_review) == (1, 1)
    with session_factory(district)() as session:
        flags = session.execute(
            select(IdentityFlag.identity, IdentityFlag.source, IdentityFlag.valid_from).where(
                IdentityFlag.source == "民政"
            )
        ).all()
        assert sorted(flags, key=str) == [("dibao", "民政", None), ("dibao", "民政", date(2017, 1, 1))]
        reassessed = session.get_one(Enrollment, first)
        assert reassessed.individual_due_fen is not None and reassessed.individual_due_fen < due
        assert reassessed.assisted_by_payer_fen  # a payer subsidises her now
        assert session.get_one(Enrollment, paid).state == "paid"  # billed and paid: left as it is
        assert session.scalar(select(func.count()).where(AuditEntry.action == "flag")) == 2
        assert session.scalar(select(ListImport.reassessed)) == 1

    # The same list again: the flags are on record, nothing changes.
    with uow(district) as work:
        again = import_department_list(work, department, request)
    assert (again.flagged, again.unchanged, again.reassessed) == (0, 2, 0)
    assert civil_affairs_flags(district) == 2


def test_refusals(district: Engine) -> None:
    with uow(district) as work, pytest.raises(YibaoError, match="FORBIDDEN"):
        import_department_list(work, operator(YUYANG), ListRequest("a.csv", csv_of([]), "civil_affairs"))
    with uow(district) as work, pytest.raises(YibaoError, match="DEPARTMENT_UNKNOWN"):
        import_department_list(work, admin(), ListRequest("a.csv", csv_of([]), "police"))
    with uow(district) as work, pytest.raises(YibaoError, match="IDENTITY_NOT_OF_DEPARTMENT"):
        import_department_list(work, admin(), ListRequest("a.csv", csv_of([]), "civil_affairs", "severe_disability"))
    no_identity = "姓名,身份证号码\n张三,120119197001010011\n".encode()
    with uow(district) as work:
        report = import_department_list(work, admin(), ListRequest("a.csv", no_identity, "civil_affairs"))
    assert [problem.code for problem in report.problems] == ["IDENTITY_REQUIRED"]


def test_a_list_through_the_api(district: Engine, tmp_path: Path) -> None:
    (_, number, name, _), *_ = adults(district, 1)
    with uow(district, "setup") as work:
        add_user(
            work, NewUser("canlian", "区残联", "disabled-1-list", Role.DEPARTMENT, "120119", department="残联"), by=None
        )
        token = login(work, "canlian", "disabled-1-list", kind="api")
    auth = {"Authorization": f"Bearer {token}"}
    context = AppContext(session_factory(district), clock=lambda: NOW, data_dir=tmp_path / "data")
    content = f"姓名,公民身份号码\n{name},{number}\n".encode()
    with TestClient(create_app(context)) as client:
        response = client.post(
            "/api/v1/list-imports",
            headers=auth,
            files={"file": ("重残名单.csv", content)},
            data={"department": "disabled_persons", "identity": "severe_disability", "valid_from": "2017-01-01"},
        )
        assert response.status_code == 202, response.text
        job = response.json()
        job = finished_job(client, auth, job)
        assert job["state"] == JobState.SUCCEEDED, job
        assert (job["result"]["flagged"], job["result"]["reassessed"]) == (1, 1)
        refused = client.post(
            "/api/v1/list-imports", headers=auth, files={"file": ("a.csv", content)}, data={"department": "police"}
        )
        assert refused.status_code == 422 and refused.json()["code"] == "DEPARTMENT_UNKNOWN"
    context.jobs.shutdown()
    with session_factory(district)() as session:
        flag = session.execute(
            select(IdentityFlag.identity, IdentityFlag.source, IdentityFlag.valid_from).where(
                IdentityFlag.source == "残联"
            )
        ).one()
    assert tuple(flag) == ("severe_disability", "残联", date(2017, 1, 1))


def civil_affairs_flags(engine: Engine) -> int:
    with session_factory(engine)() as session:
        return int(session.scalar(select(func.count()).where(IdentityFlag.source == "民政")) or 0)
