"""One definition of "certified" (SQLite and PostgreSQL). An identity claimed at the counter, through the API or in
a roster records what the clerk saw and stays provisional: the plan's rule says what it does to the amount due
(the clerk is told), the cross-check reports every subsidy resting on a claim alone, a special group's coverage
counts certified people only, and a department's list confirms it."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from households import YUYANG, family, open_campaign_of, uow
from next_year import jizhou_2019
from principals import admin, of_role, operator
from yibao.adapters.db.database import session_factory
from yibao.adapters.db.tables import Enrollment, IdentityFlag, Resident
from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.domain.timeutil import SHANGHAI
from yibao.services.access import Role
from yibao.services.crosscheck.runs import CrosscheckRequest, run_crosscheck
from yibao.services.crosscheck.worklists import list_findings
from yibao.services.intake.department_lists import ListRequest, import_department_list
from yibao.services.intake.roster_import import import_roster
from yibao.services.intake.roster_report import RosterRequest
from yibao.services.policy import store
from yibao.services.progress.coverage import _certified_coverage
from yibao.services.registry.areas import seed_district
from yibao.services.registry.households import enroll_household_view
from yibao.services.registry.residents import get_resident

EVIDENCE = "低保证 津蓟民低字第123号"


@pytest.fixture
def district(engine: Engine) -> Engine:
    with uow(engine, "admin") as work:
        seed_district(work, "120119")
    return engine


def _claimed_at_counter(engine: Engine, policy_id: str = "tianjin-jizhou-2018", at: datetime | None = None) -> int:
    """family()'s 李秀英 claims 低保 at the counter, showing her certificate; her resident id."""
    head, wife, *_ = family().members
    request = family(policy_id=policy_id, members=(head, dataclasses.replace(wife, evidence=EVIDENCE)))
    if at is not None:
        request = dataclasses.replace(request, registered_at=at)
    with UnitOfWork(session_factory(engine), actor="clerk", now=request.registered_at) as work:
        answer = enroll_household_view(work, operator(YUYANG), request)
    claimed = answer.members[1]
    assert claimed.pending_identities == ["dibao"] and "待部门名单确认" in (claimed.pending_note or "")
    assert answer.members[0].pending_note is None
    return claimed.resident_id


def _civil_affairs_list(engine: Engine, resident_id: int) -> None:
    with session_factory(engine)() as session:
        resident = session.get_one(Resident, resident_id)
        number, name = resident.id_number, resident.name
    content = f"姓名,身份证号码,身份类别\n{name},{number},低保\n".encode()
    with uow(engine) as work:
        report = import_department_list(
            work, of_role(Role.DEPARTMENT), ListRequest("民政.csv", content, "civil_affairs")
        )
    assert report.errors == 0 and report.flagged == 1


def _subsidies_without_identity(engine: Engine, tmp_path: Path) -> set[str]:
    with UnitOfWork(session_factory(engine), actor="admin", now=datetime(2018, 3, 1, 10, tzinfo=SHANGHAI)) as work:
        run_crosscheck(
            work, admin(), CrosscheckRequest(insurance_year=2018, engine="database"), data_directory=tmp_path
        )
        rows = list_findings(work, admin(), 2018, limit=None)
    return {row.name for row in rows if row.kind == "subsidy_without_identity"}


def test_a_counter_claim_is_provisional_until_a_department_list_confirms_it(district: Engine, tmp_path: Path) -> None:
    with uow(district, "admin") as work:
        open_campaign_of(work)
    claimant = _claimed_at_counter(district)
    with uow(district) as work:
        record = get_resident(work, operator(YUYANG), claimant)
    (flag,) = record.identities
    assert (flag.source, flag.certified, flag.evidence) == ("柜台", False, EVIDENCE)
    with session_factory(district)() as session:
        subsidy = session.scalar(select(Enrollment.assisted_subsidy_fen).where(Enrollment.resident_id == claimant))
    assert subsidy == 18000  # 蓟州's stated rule (pending-claims): subsidised as claimed until a list decides
    # Resting on a claim alone: reported, and not counted as a certified 低保 person.
    assert _subsidies_without_identity(district, tmp_path) == {"李秀英"}
    with uow(district) as work:
        assert _certified_coverage(work, "120119", 2018, ["dibao"], date(2018, 3, 1)) == (0, 0)
    _civil_affairs_list(district, claimant)
    assert _subsidies_without_identity(district, tmp_path) == set()
    with uow(district) as work:
        assert _certified_coverage(work, "120119", 2018, ["dibao"], date(2018, 3, 1)) == (1, 0)
        record = get_resident(work, operator(YUYANG), claimant)
    assert {(flag.source, flag.certified) for flag in record.identities} == {("柜台", False), ("民政", True)}


def test_a_roster_claim_is_reported_like_a_counter_claim(district: Engine, tmp_path: Path) -> None:
    with uow(district, "admin") as work:
        open_campaign_of(work)
    head, wife, *_ = family().members
    content = f"姓名,身份证号,身份类别\n{head.name},{head.id_number},\n{wife.name},{wife.id_number},低保\n".encode()
    with uow(district) as work:
        report = import_roster(
            work, operator(YUYANG), RosterRequest("名册.csv", content, YUYANG, "tianjin-jizhou-2018")
        )
    assert report.errors == 0 and report.created == 2
    assert _subsidies_without_identity(district, tmp_path) == {"李秀英"}


def test_a_plan_that_withholds_the_subsidy_until_a_claim_is_confirmed(district: Engine) -> None:
    """A bureau's plan may say a claim counts for nothing until confirmed (``assisted.claims.subsidised: false``):
    the claimant pays as anyone else and is told why; the department's list re-assesses her."""
    plan, text = jizhou_2019()
    plan = plan.replace("    subsidised: true\n", "    subsidised: false\n", 1)
    with uow(district, "admin") as work:
        store.add_policy(work, "jizhou-2019.yaml", plan, document=text, by=admin())
        open_campaign_of(work, "tianjin-jizhou-2019")
    at = datetime(2018, 10, 25, 9, 30, tzinfo=SHANGHAI)
    head, wife, *_ = family().members
    request = family(
        policy_id="tianjin-jizhou-2019", registered_at=at, members=(head, dataclasses.replace(wife, evidence=EVIDENCE))
    )
    with UnitOfWork(session_factory(district), actor="clerk", now=at) as work:
        answer = enroll_household_view(work, operator(YUYANG), request)
    claimed = answer.members[1]
    assert claimed.enrollment.individual_due_fen == 18000 and claimed.enrollment.assisted_subsidy_fen == 0
    assert "确认前不予资助" in (claimed.pending_note or "")
    _civil_affairs_list(district, claimed.resident_id)
    with session_factory(district)() as session:
        due = session.scalar(select(Enrollment.individual_due_fen).where(Enrollment.resident_id == claimed.resident_id))
        flags = session.scalars(select(IdentityFlag.source).where(IdentityFlag.resident_id == claimed.resident_id))
        assert due == 0 and sorted(flags) == ["柜台", "民政"]
