"""Exports on SQLite and PostgreSQL: the enrollment roster and the assessment list, xlsx and csv, within the
user's area, masked for roles that may not see ID numbers, formula injection neutralised, totals that add up;
through the service, the API (a job and its file) and the CLI."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, update

from api_site import finished_job
from db_fixtures import migrated_engine
from households import BIESHAN, NOW, YUYANG, open_campaign_of, uow
from principals import admin, of_role, operator
from yibao.adapters.db.database import session_factory
from yibao.adapters.db.tables import Enrollment, Resident
from yibao.adapters.sheet_files import read_sheet
from yibao.domain.errors import YibaoError
from yibao.domain.states import JobState
from yibao.entrypoints.http.context import AppContext
from yibao.entrypoints.server import create_app
from yibao.services.access import Role
from yibao.services.intake.roster_import import import_roster
from yibao.services.intake.roster_report import RosterRequest
from yibao.services.registry.areas import seed_district
from yibao.services.registry.enrollments import assess_township
from yibao.services.registry.exports import ExportKind, ExportRequest, export
from yibao.services.users import NewUser, add_user, login
from yibao.synthetic.rosters import roster

POLICY = "tianjin-jizhou-2018"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def district(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """Two townships enrolled by roster; in 渔阳镇 one name typed as a formula (old data, before any check)."""
    folder = Path(tmp_path_factory.mktemp("exports"))
    for engine in migrated_engine(request.param, folder):
        with uow(engine, "setup") as work:
            seed_district(work, "120119")
            open_campaign_of(work, "tianjin-jizhou-2018")
        for township, seed in ((YUYANG, 21), (BIESHAN, 22)):
            planted = roster(40, seed=seed, on=NOW.date())
            content = "\n".join(",".join(row) for row in [planted.headers, *planted.rows]).encode()
            with uow(engine) as work:
                report = import_roster(work, operator(township), RosterRequest("名册.csv", content, township, POLICY))
                assert report.errors == 0
        with uow(engine) as work:
            first, second = work.session.scalars(
                select(Resident.id).where(Resident.township_code == YUYANG).order_by(Resident.id).limit(2)
            )
            work.session.execute(update(Resident).where(Resident.id == first).values(name="=1+2"))
            work.session.execute(update(Resident).where(Resident.id == second).values(name="A&B<C>\x07 "))
            work.commit()
        yield engine
        engine.dispose()


def live(engine: Engine, township: str | None = None, assessed: bool = False) -> int:
    query = select(func.count()).select_from(Enrollment).where(Enrollment.state != "cancelled")
    if township:
        query = query.where(Enrollment.township_code == township)
    if assessed:
        query = query.where(Enrollment.state.in_(("assessed", "notified", "paid", "effective")))
    with session_factory(engine)() as session:
        return int(session.scalar(query) or 0)


def xlsx_rows(path: Path) -> list[list[object]]:
    sheet = openpyxl.load_workbook(path, read_only=True).active
    assert sheet is not None
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_enrollment_roster_of_a_township_in_xlsx(district: Engine, tmp_path: Path) -> None:
    target = tmp_path / "roster.xlsx"
    with uow(district) as work:
        result = export(work, operator(YUYANG), ExportRequest(ExportKind.ENROLLMENTS), target)
    rows = xlsx_rows(target)
    assert rows[0][:6] == ["序号", "镇（街）", "村（居）", "户号", "姓名", "公民身份号码"]
    assert result.rows == len(rows) - 1 == live(district, YUYANG)  # only the operator's own township
    assert {row[1] for row in rows[1:]} == {"渔阳镇"} and not result.masked
    assert all(len(str(row[5])) == 18 and "*" not in str(row[5]) for row in rows[1:])
    assert result.file_name == "参保登记名册-2018-渔阳镇.xlsx"
    assert "'=1+2" in {row[4] for row in rows[1:]}  # a formula stays text
    assert "A&B<C> " in {row[4] for row in rows[1:]}  # markup escaped, a control character dropped
    assert [row[0] for row in rows[1:]] == list(range(1, len(rows)))
    fast = read_sheet(target.read_bytes(), target.name)  # fastexcel (calamine) reads it too
    assert fast.rows == result.rows and fast.headers[:6] == rows[0][:6]


def test_an_inspector_sees_masked_numbers_and_the_whole_district(district: Engine, tmp_path: Path) -> None:
    target = tmp_path / "roster.csv"
    with uow(district) as work:
        result = export(work, of_role(Role.INSPECTOR), ExportRequest(ExportKind.ENROLLMENTS, "csv"), target)
    text = target.read_bytes()
    assert text.startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8 only with the BOM
    rows = list(csv.reader(io.StringIO(text.decode("utf-8-sig"))))
    assert result.masked and result.rows == len(rows) - 1 == live(district)
    assert {row[1] for row in rows[1:]} == {"渔阳镇", "别山镇"}
    assert all(row[5][3:14] == "*" * 11 for row in rows[1:])
    phones = [row[8] for row in rows[1:] if row[8]]
    assert phones and all(phone[3:7] == "****" for phone in phones)
    assert "'=1+2" in {row[4] for row in rows[1:]}


def test_the_assessment_list_adds_up_by_payer(district: Engine, tmp_path: Path) -> None:
    with uow(district) as work:
        assess_township(work, admin(), YUYANG, POLICY)
        work.commit()
    target = tmp_path / "assessments.csv"
    with uow(district) as work:
        result = export(work, admin(), ExportRequest(ExportKind.ASSESSMENTS, "csv", township_code=YUYANG), target)
    rows = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8-sig"))))
    header = rows[0]
    assert result.rows == len(rows) - 1 == live(district, YUYANG, assessed=True) > 0
    payer_columns = [
        index for index, title in enumerate(header) if title.endswith("资助（元）") and title != "资助合计（元）"
    ]
    assert payer_columns  # the plan's payers, each a column (区财政资助 …)
    total_column, due_column = header.index("资助合计（元）"), header.index("个人应缴（元）")
    for row in rows[1:]:
        assert sum(float(row[index]) for index in payer_columns) == pytest.approx(float(row[total_column]))
    with session_factory(district)() as session:
        due = session.scalar(
            select(func.sum(Enrollment.individual_due_fen)).where(
                Enrollment.township_code == YUYANG, Enrollment.state == "assessed"
            )
        )
    assert round(sum(float(row[due_column]) for row in rows[1:]) * 100) == due


def test_refusals(district: Engine, tmp_path: Path) -> None:
    with uow(district) as work, pytest.raises(YibaoError, match="AREA_UNKNOWN"):
        export(work, operator(YUYANG), ExportRequest(ExportKind.ENROLLMENTS, township_code=BIESHAN), tmp_path / "x")
    with uow(district) as work, pytest.raises(YibaoError, match="FORBIDDEN"):
        export(work, of_role(Role.DEPARTMENT), ExportRequest(ExportKind.ENROLLMENTS), tmp_path / "x.xlsx")
    with uow(district) as work, pytest.raises(YibaoError, match="EXPORT_FORMAT"):
        export(work, admin(), ExportRequest(ExportKind.ENROLLMENTS, "pdf"), tmp_path / "x.pdf")


def test_export_through_the_api(district: Engine, tmp_path: Path) -> None:
    with uow(district, "setup") as work:
        add_user(work, NewUser("inspector", "督查", "inspect-0r-9", Role.INSPECTOR, "120119"), by=None)
        token = login(work, "inspector", "inspect-0r-9", kind="api")
    auth = {"Authorization": f"Bearer {token}"}
    context = AppContext(session_factory(district), clock=lambda: NOW, data_dir=tmp_path / "data")
    with TestClient(create_app(context)) as client:
        job = client.post("/api/v1/exports", headers=auth, json={"kind": "enrollments", "format": "xlsx"}).json()
        job = finished_job(client, auth, job)
        assert job["state"] == JobState.SUCCEEDED and job["result"]["masked"], job
        file = client.get(job["file_url"], headers=auth)
        assert file.status_code == 200
        (tmp_path / "api.xlsx").write_bytes(file.content)
        rows = xlsx_rows(tmp_path / "api.xlsx")
        assert len(rows) - 1 == job["result"]["rows"] == live(district)
        bad = client.post("/api/v1/exports", headers=auth, json={"kind": "payments"})
        assert bad.status_code == 422 and bad.json()["code"] == "REQUEST_INVALID"
    context.jobs.shutdown()
