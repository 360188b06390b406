"""登记册审核 (嵩明: 村（居）提交 → 社保所核对 → 县医保中心复核 → 缴入指定账户): a village's register through every
step of its plan's chain, returned for people vs money and for a paper printed before a correction (naming the
household), reviewed by someone other than the checker, deposited — and every refusal commits nothing."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date, datetime

import pytest
from sqlalchemy import Engine, func, select

from households import numbered
from principals import admin, of_role, operator
from yibao.adapters.db.database import session_factory
from yibao.adapters.db.tables import Area, Enrollment, VillageRegisterStep
from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.domain import idnumber
from yibao.domain.errors import YibaoError
from yibao.domain.registers import RegisterLine as Line
from yibao.domain.registers import awaiting, household_totals, read_paper_code, register_checksum
from yibao.domain.states import EnrollmentState, RegisterState, ReviewStep
from yibao.domain.timeutil import SHANGHAI
from yibao.services.access import Role
from yibao.services.policy.campaigns import open_campaign
from yibao.services.registry.areas import seed_district
from yibao.services.registry.households import HouseholdEnrollment, Member, enroll_household
from yibao.services.review.registers import SubmitRequest, amend_register, submit_register
from yibao.services.review.steps import CheckRequest, check_register, deposit_register, return_register, review_register
from yibao.services.review.views import list_registers, payable_lines, register_detail

SONGMING, SONGYANG, YANGQIAO = "530127", "530127001000", "530127002000"
VILLAGE, OTHER_VILLAGE = "530127001201", "530127001202"
NOW = datetime(2017, 11, 1, 9, tzinfo=SHANGHAI)
YEAR = 2018


def work(engine: Engine, actor: str = "clerk-530127001000") -> UnitOfWork:
    return UnitOfWork(session_factory(engine), actor=actor, now=NOW)


def village_collects(engine: Engine) -> list[tuple[int, int]]:
    """Two households of 黄龙村 assessed under the 嵩明 plan: the roster lines, each person at what they owe."""
    clerk = operator(SONGYANG)
    with work(engine) as setup:
        seed_district(setup, SONGMING)
        open_campaign(setup, None, "kunming-songming-2018")
        setup.session.add_all(
            [
                Area(code=VILLAGE, name="黄龙村", level="village", parent_code=SONGYANG),
                Area(code=OTHER_VILLAGE, name="白邑村", level="village", parent_code=SONGYANG),
            ]
        )
        setup.commit()
        lines = []
        for number, members in (("011", (11, 12)), ("012", (21,))):
            request = HouseholdEnrollment(
                "kunming-songming-2018",
                SONGYANG,
                "village",
                NOW,
                tuple(
                    Member(
                        idnumber.make(SONGMING, date(1980, 1, s), s), numbered("居民", s), "户主" if i == 0 else "配偶"
                    )
                    for i, s in enumerate(members)
                ),
                village_code=VILLAGE,
                household_number=number,
            )
            lines += [
                (m.enrollment_id, m.assessment["individual_due_fen"]) for m in enroll_household(setup, clerk, request)
            ]
    return lines


def submitted(engine: Engine, lines: list[tuple[int, int]]) -> int:
    with work(engine) as clerk_work:
        detail = submit_register(
            clerk_work,
            operator(SONGYANG),
            SubmitRequest(YEAR, SONGYANG, VILLAGE, "黄龙村会计", sum(f for _, f in lines), tuple(lines)),
        )
    assert detail.register.state is RegisterState.SUBMITTED
    assert detail.register.awaiting is ReviewStep.TOWNSHIP_CHECK
    assert detail.register.chain == [ReviewStep.TOWNSHIP_CHECK, ReviewStep.COUNTY_REVIEW, ReviewStep.DEPOSIT]
    return detail.register.id


def test_a_village_register_through_the_whole_chain(engine: Engine) -> None:
    lines = village_collects(engine)
    total = sum(fen for _, fen in lines)
    with work(engine) as clerk_work:
        assert payable_lines(clerk_work, operator(SONGYANG), YEAR, VILLAGE) == lines
    register_id = submitted(engine, lines)
    with work(engine) as clerk_work:
        first = check_register(clerk_work, operator(SONGYANG), register_id, CheckRequest(total, "x", 3, total))
    # ... a paper that is not this register's, and totals read off it
    assert first.register.state is RegisterState.RETURNED
    assert any("不是本登记册任何一版打印的" in finding for finding in first.history[-1].findings)
    printed = first.register.checksum
    # The village corrects a person's amount after the paper was printed and signed.
    corrected = [(lines[0][0], lines[0][1] - 1000), *lines[1:]]
    with work(engine) as clerk_work:
        amended = amend_register(clerk_work, operator(SONGYANG), register_id, total, tuple(corrected))
        assert amended.register.version == 2 and amended.register.checksum != printed
        returned = check_register(
            clerk_work, operator(SONGYANG), register_id, CheckRequest(total, printed.replace("-", ""), 3, total)
        )
    assert returned.register.state is RegisterState.RETURNED
    findings = returned.history[-1].findings
    assert any(f.startswith(f"人款不符：户号011　{numbered('居民', 11)}应缴") for f in findings), findings
    paper = [f for f in findings if f.startswith("纸电不符")]
    assert len(paper) == 2, findings  # the household, and the totals
    assert f"户号011　{numbered('居民', 11)}户" in paper[0] and "人员或金额不符" in paper[0] and "第1版" in paper[0]
    assert "户号012" not in "".join(paper)
    # Corrected back, printed again (version 3): people and money, paper and electronic agree.
    with work(engine) as clerk_work:
        again = amend_register(clerk_work, operator(SONGYANG), register_id, total, tuple(lines))
        scanned = f"YBDJC|{again.register.number}|{again.register.checksum}|3|{total}"
        checked = check_register(clerk_work, operator(SONGYANG), register_id, CheckRequest(total, scanned))
    assert checked.register.state is RegisterState.CHECKED
    assert checked.register.awaiting is ReviewStep.COUNTY_REVIEW
    # The county: not the township's operator, and not the checker.
    with work(engine) as clerk_work, pytest.raises(YibaoError) as township_reviews:
        review_register(clerk_work, operator(SONGYANG), register_id, None)
    assert township_reviews.value.code == "FORBIDDEN"
    with work(engine, "clerk-530127001000") as same, pytest.raises(YibaoError) as checker_reviews:
        review_register(same, admin(SONGMING), register_id, None)
    assert checker_reviews.value.code == "REGISTER_SAME_REVIEWER"
    with work(engine, "admin") as county:
        reviewed = review_register(county, admin(SONGMING), register_id, "复核无误")
    assert reviewed.register.state is RegisterState.REVIEWED and reviewed.register.awaiting is ReviewStep.DEPOSIT
    with work(engine) as clerk_work, pytest.raises(YibaoError) as short:
        deposit_register(clerk_work, operator(SONGYANG), register_id, "ABC-1", total - 1)
    assert short.value.code == "REGISTER_DEPOSIT_AMOUNT"
    with work(engine) as clerk_work:
        deposited = deposit_register(clerk_work, operator(SONGYANG), register_id, "ABC-1", total)
        states = clerk_work.session.scalars(select(Enrollment.state).where(Enrollment.id.in_([i for i, _ in lines])))
        assert set(states) <= {EnrollmentState.PAID, EnrollmentState.EFFECTIVE}
    assert deposited.register.state is RegisterState.DEPOSITED and deposited.register.payment_id is not None
    actions = [step.action.code for step in deposited.history]
    assert actions == ["submit", "return", "amend", "return", "amend", "check", "review", "deposit"]
    assert deposited.history[6].actor == "admin" and deposited.history[6].remarks == "复核无误"


def test_a_step_out_of_turn_or_outside_the_area_commits_nothing(engine: Engine) -> None:
    lines = village_collects(engine)
    register_id = submitted(engine, lines)
    other = operator(YANGQIAO)
    attempts: list[Callable[[UnitOfWork], object]] = [
        lambda w: check_register(w, other, register_id, CheckRequest(0, "x", 0, 0)),
        lambda w: deposit_register(w, operator(SONGYANG), register_id, "A", 1),
        lambda w: review_register(w, admin(SONGMING), register_id, None),
        lambda w: return_register(w, operator(SONGYANG), register_id, " "),
        lambda w: check_register(w, operator(SONGYANG), register_id, CheckRequest(0, "")),
        lambda w: check_register(w, operator(SONGYANG), register_id, CheckRequest(0, "ABCD")),
    ]
    codes = []
    for attempt in attempts:
        with work(engine) as clerk_work, pytest.raises(YibaoError) as refused:
            attempt(clerk_work)
        codes.append(refused.value.code)
    assert codes == [
        "REGISTER_NOT_FOUND",  # another township's register does not exist for its operator
        "REGISTER_STATE",
        "REGISTER_STATE",
        "REGISTER_REMARKS_REQUIRED",
        "REGISTER_PAPER_CODE_REQUIRED",
        "REGISTER_PAPER_TOTALS_REQUIRED",
    ]
    with work(engine) as clerk_work:
        assert clerk_work.session.scalar(select(func.count()).select_from(VillageRegisterStep)) == 1
        # A person on an open register is on no second one; the first register is the one named.
        with pytest.raises(YibaoError) as twice:
            submit_register(
                clerk_work, operator(SONGYANG), SubmitRequest(YEAR, SONGYANG, VILLAGE, "会计", 1, (lines[0],))
            )
        assert twice.value.code == "REGISTER_PERSON_ELSEWHERE" and "登记册2018001201" in twice.value.message
        assert payable_lines(clerk_work, operator(SONGYANG), YEAR, VILLAGE) == []
    with work(engine) as clerk_work:
        returned = return_register(clerk_work, operator(SONGYANG), register_id, "纸质名册缺村委会盖章")
    assert returned.register.state is RegisterState.RETURNED and returned.register.awaiting is None
    # A school of the same township collects for its own people: it neither sees a village's register (it names
    # villagers) nor takes one in; finance sees the district's (it may record the deposit).
    school = of_role(Role.INSTITUTION, SONGYANG, organization_id=1)
    with work(engine) as school_work:
        assert list_registers(school_work, school, YEAR) == []
        with pytest.raises(YibaoError) as hidden:
            register_detail(school_work, school, register_id)
        assert hidden.value.code == "REGISTER_NOT_FOUND"
        with pytest.raises(YibaoError) as refused:
            submit_register(school_work, school, SubmitRequest(YEAR, SONGYANG, VILLAGE, "会计", 1, (lines[0],)))
        assert refused.value.code == "FORBIDDEN"
        assert [r.id for r in list_registers(school_work, of_role(Role.FINANCE, SONGMING + "000000"), YEAR)] == [
            register_id
        ]


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"collector": " "}, "REGISTER_COLLECTOR_REQUIRED"),
        ({"lines": ()}, "REGISTER_EMPTY"),
        ({"village_code": OTHER_VILLAGE}, "REGISTER_PERSON_OUTSIDE"),
        ({"village_code": "530127002201"}, "VILLAGE_UNKNOWN"),
        ({"township_code": YANGQIAO}, "AREA_UNKNOWN"),
    ],
)
def test_a_submission_is_refused_in_chinese(engine: Engine, change: dict[str, object], code: str) -> None:
    lines = village_collects(engine)
    good = SubmitRequest(YEAR, SONGYANG, VILLAGE, "黄龙村会计", 1, tuple(lines))
    with work(engine) as clerk_work, pytest.raises(YibaoError) as refused:
        submit_register(clerk_work, operator(SONGYANG), dataclasses.replace(good, **change))  # type: ignore[arg-type]
    assert refused.value.code == code


def test_the_chain_and_the_checksum() -> None:
    usual = (ReviewStep.TOWNSHIP_CHECK, ReviewStep.DEPOSIT)
    assert awaiting(usual, RegisterState.CHECKED) is ReviewStep.DEPOSIT
    assert awaiting(usual, RegisterState.DEPOSITED) is None
    rows = household_totals([Line(1, 10, 100), Line(2, 10, 200), Line(3, 11, 50)])
    code = register_checksum("DJ1", rows)
    assert len(code) == 19 and code.count("-") == 3 and code.replace("-", "").isdigit()
    assert register_checksum("DJ1", household_totals([Line(3, 11, 50), Line(2, 10, 200), Line(1, 10, 100)])) == code
    assert register_checksum("DJ1", household_totals([Line(1, 10, 100), Line(2, 10, 201), Line(3, 11, 50)])) != code
    assert register_checksum("DJ2", rows) != code
    assert read_paper_code(code.replace("-", " ")).checksum == code
    assert read_paper_code(code.replace("-", "")).checksum == code
