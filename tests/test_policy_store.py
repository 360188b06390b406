"""The policy store: a bureau's next-year plan added, found by id in every use case, corrected by revision; the
enrollments assessed under an earlier revision listed and re-assessed under the latest; what may not be stored."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import Engine, select

from households import uow
from next_year import POLICIES, ninghe_2024
from principals import admin, operator
from yibao.adapters.db.tables import Enrollment
from yibao.domain import idnumber
from yibao.domain.errors import YibaoError
from yibao.domain.timeutil import SHANGHAI
from yibao.services.policy import store
from yibao.services.policy.plans import get_policy, list_policies, policy_digest
from yibao.services.policy.quotes import QuoteRequest, quote
from yibao.services.registry.areas import seed_district
from yibao.services.registry.assessment import reassess_enrollments
from yibao.services.registry.households import HouseholdEnrollment, Member, enroll_household

NINGHE = "120117"
LUTAI = "120117001000"  # 芦台街道
IN_WINDOW = datetime(2023, 10, 10, 10, 0, tzinfo=SHANGHAI)


def add(engine: Engine, high_yuan: int = 1020, note: str | None = None) -> store.Added:
    plan, text = ninghe_2024(high_yuan)
    with uow(engine, "admin") as work:
        return store.add_policy(work, "ninghe-2024.yaml", plan, document=text, note=note, by=admin(NINGHE))


def household(engine: Engine) -> list[int]:
    request = HouseholdEnrollment(
        policy_id="tianjin-ninghe-2024",
        township_code=LUTAI,
        channel="village",
        registered_at=IN_WINDOW,
        members=(Member(idnumber.make(NINGHE, date(1970, 8, 8), 11), "张国强", "户主", tier="high"),),
    )
    with uow(engine) as work:
        return [member.enrollment_id for member in enroll_household(work, operator(LUTAI), request)]


def test_a_next_year_plan_is_added_and_used_by_id(engine: Engine) -> None:
    with uow(engine, "admin") as work:
        seed_district(work, NINGHE)
    added = add(engine, note="2024年度方案")
    assert added.report.ok and added.new_revision and added.stored is not None and added.stored.revision == 1
    assert add(engine).new_revision is False  # the same file again changes nothing
    with uow(engine) as work:
        policy = get_policy("tianjin-ninghe-2024", work.session)
        assert policy.tiers["high"].individual.fen == 102000
        assert {s.id: s.source for s in list_policies(work.session)}["tianjin-ninghe-2024"] == "stored"
        number = idnumber.make(NINGHE, date(1970, 8, 8), 11)
        last_autumn = IN_WINDOW.replace(year=2022)
        for plan, at, due in (("tianjin-ninghe-2023", last_autumn, 98000), ("tianjin-ninghe-2024", IN_WINDOW, 102000)):
            answer = quote(QuoteRequest(plan, number, at, tier="high"), work.session)
            assert answer["individual_due_fen"] == due, plan  # each plan's own figures
        # while the 2024 window is open, a baby born this spring still enrolls for 2023, from birth
        baby = idnumber.make(NINGHE, date(2023, 3, 1), 21)
        answer = quote(QuoteRequest("tianjin-ninghe-2023", baby, IN_WINDOW), work.session)
        assert answer["eligible"] and answer["path"] == "newborn" and answer["benefit_start"] == "2023-03-01"
    with pytest.raises(YibaoError) as unknown:
        get_policy("tianjin-ninghe-2024")  # without the database, only the bundled plans are known
    assert unknown.value.code == "POLICY_UNKNOWN"


def test_a_correction_is_a_revision_and_earlier_assessments_can_be_redone(engine: Engine) -> None:
    with uow(engine, "admin") as work:
        seed_district(work, NINGHE)
    first = add(engine).stored
    assert first is not None
    enrolled = household(engine)
    with uow(engine) as work:
        stored = work.session.scalars(select(Enrollment).where(Enrollment.id.in_(enrolled))).all()
        assert {e.policy_hash for e in stored} == {first.sha256}
        assert {e.individual_due_fen for e in stored} == {102000}
    second = add(engine, high_yuan=1030, note="高档更正为1030元").stored
    assert second is not None and second.revision == 2 and second.sha256 != first.sha256
    with uow(engine) as work:
        assert store.assessed_under_earlier_revisions(work, "tianjin-ninghe-2024") == {first.sha256: 1}
        assert policy_digest(get_policy("tianjin-ninghe-2024", work.session)) == second.sha256
    with uow(engine) as work:
        reassess_enrollments(work, enrolled)
        work.commit()
    with uow(engine) as work:
        redone = work.session.scalars(select(Enrollment).where(Enrollment.id.in_(enrolled))).all()
        assert {(e.policy_hash, e.individual_due_fen) for e in redone} == {(second.sha256, 103000)}
        assert store.assessed_under_earlier_revisions(work, "tianjin-ninghe-2024") == {}
        assert [v.revision for v in store.stored_revisions(work, "tianjin-ninghe-2024")] == [1, 2]


def test_what_may_not_be_stored(engine: Engine) -> None:
    plan, text = ninghe_2024()
    bundled_plan = (POLICIES / "tianjin-ninghe-2023.yaml").read_text("utf-8")
    with uow(engine, "admin") as work, pytest.raises(YibaoError) as bundled:
        store.add_policy(work, "x.yaml", bundled_plan, by=None)  # a bundled plan's id is taken
    assert bundled.value.code == "POLICY_ID_BUNDLED"
    with uow(engine, "admin") as work, pytest.raises(YibaoError) as elsewhere:
        store.add_policy(work, "x.yaml", plan, document=text, by=admin("120119"))  # 蓟州's admin
    assert elsewhere.value.code == "POLICY_OTHER_DISTRICT"
    with uow(engine, "admin") as work:
        misquoted = store.add_policy(work, "x.yaml", plan, document=text.replace("1020元", "1000元"), by=None)
    assert misquoted.stored is None and [p.code for p in misquoted.report.citation_problems]
    with uow(engine) as work:
        assert store.stored_revisions(work) == []
