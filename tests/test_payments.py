"""Money on SQLite and PostgreSQL: notices, payments from any channel, duplicates, reversals, refunds, late
payments, cancellation with money on it — and two deliveries of one transaction at the same instant."""

from __future__ import annotations

import dataclasses
import threading
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from households import NOW, YUYANG, family, uow
from principals import admin, of_role, operator
from yibao.adapters.db.database import session_factory
from yibao.adapters.db.tables import AuditEntry, Enrollment, Payment
from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.domain import idnumber
from yibao.domain.errors import YibaoError
from yibao.domain.payments import BatchLine
from yibao.domain.timeutil import SHANGHAI
from yibao.services.access import Principal, Role
from yibao.services.money import notices, payments, reversals
from yibao.services.money.payments import CollectionBatchRequest, PaymentRequest
from yibao.services.money.views import NoticeView, PaymentView
from yibao.services.registry import enrollments
from yibao.services.registry.areas import seed_district
from yibao.services.registry.households import HouseholdEnrollment, Member, enroll_household

CLERK = operator(YUYANG)
FINANCE = of_role(Role.FINANCE)
IN_WINDOW = NOW + timedelta(days=1)


@pytest.fixture
def household(engine: Engine) -> int:
    """The family of four at 渔阳镇, enrolled and assessed; returns its household id."""
    with uow(engine, "admin") as work:
        seed_district(work, "120119")
    with uow(engine) as work:
        members = enroll_household(work, CLERK, family())
    with session_factory(engine)() as session:
        enrollment = session.get_one(Enrollment, members[0].enrollment_id)
        assert enrollment.household_id is not None
        return enrollment.household_id


def at(engine: Engine, now: datetime) -> UnitOfWork:
    return UnitOfWork(session_factory(engine), actor="clerk", now=now)


def dues(engine: Engine, household_id: int) -> list[tuple[int, int, str]]:
    with session_factory(engine)() as session:
        rows = session.execute(
            select(Enrollment.id, Enrollment.individual_due_fen, Enrollment.state)
            .where(Enrollment.household_id == household_id)
            .order_by(Enrollment.id)
        )
        return [(row.id, row.individual_due_fen, row.state) for row in rows]


def issue(engine: Engine, household_id: int) -> NoticeView:
    with uow(engine) as work:
        return notices.issue_notice(work, CLERK, household_id=household_id)


def pay(engine: Engine, principal: Principal = CLERK, **fields: Any) -> PaymentView:
    values: dict[str, Any] = {"channel": "wechat", "paid_at": IN_WINDOW} | fields
    request = PaymentRequest(**values)
    with uow(engine) as work:
        return payments.record_payment(work, principal, request)


def test_a_household_notice_lists_each_member_and_the_total(engine: Engine, household: int) -> None:
    notice = issue(engine, household)
    owed = dues(engine, household)
    assert notice.amount_fen == sum(due for _, due, _ in owed) > 0
    assert notice.items[0].name == "王建国"  # the head first
    # Who owes nothing (a fully assisted member) is covered as the notice is issued; the others wait for money.
    assert {item.state for item in notice.items if item.amount_fen} == {"notified"}
    assert {item.state for item in notice.items if not item.amount_fen} <= {"effective"}
    assert len(notice.number) == 14 and notice.number.startswith("2018100")
    assert notice.due_at == datetime(2017, 12, 31, 23, 59, 59, 999999, tzinfo=SHANGHAI)
    assert notice.balance_fen == notice.amount_fen
    # The 低保 member's share is paid by the plan's payer, named on the notice.
    dibao = next(item for item in notice.items if item.name == "李秀英")
    assert dibao.assisted_by_payer_fen and set(dibao.payer_names) == set(dibao.assisted_by_payer_fen)


def test_full_payment_makes_every_member_effective_with_a_receipt(engine: Engine, household: int) -> None:
    notice = issue(engine, household)
    payment = pay(engine, amount_fen=notice.amount_fen, transaction_id="wx-1", notice_number=notice.number)
    assert payment.receipt_number and payment.unapplied_fen == 0
    assert sum(a.amount_fen for a in payment.allocations) == notice.amount_fen
    assert {state for _, _, state in dues(engine, household)} == {"effective"}
    with uow(engine) as work:
        view = notices.get_notice(work, CLERK, notice.number)
    assert view.balance_fen == 0 and view.paid_fen == notice.amount_fen
    assert all(item.benefit_start == date(2018, 1, 1) for item in view.items)


def test_the_same_transaction_twice_is_one_payment(engine: Engine, household: int) -> None:
    notice = issue(engine, household)
    first = pay(engine, amount_fen=notice.amount_fen, transaction_id="wx-2", notice_number=notice.number)
    again = pay(engine, amount_fen=notice.amount_fen, transaction_id="wx-2", notice_number=notice.number)
    assert again.duplicate and again.id == first.id
    with session_factory(engine)() as session:
        assert session.scalar(select(func.count()).select_from(Payment)) == 1
    with pytest.raises(YibaoError) as refused:
        pay(engine, amount_fen=notice.amount_fen + 1, transaction_id="wx-2", notice_number=notice.number)
    assert refused.value.code == "PAYMENT_CONFLICT"


def test_underpayment_covers_whole_members_in_order_and_leaves_the_rest_due(engine: Engine, household: int) -> None:
    notice = issue(engine, household)
    head_due = notice.items[0].amount_fen
    payment = pay(engine, amount_fen=head_due + 1, transaction_id="wx-3", notice_number=notice.number)
    assert (payment.allocations[0].name, payment.allocations[0].amount_fen) == ("王建国", head_due)
    with uow(engine) as work:
        view = notices.get_notice(work, CLERK, notice.number)
    states = {item.name: item.state for item in view.items}
    assert states["王建国"] == "effective"
    assert list(states.values()).count("effective") < len(states)
    assert view.balance_fen == notice.amount_fen - head_due - 1


def test_overpayment_awaits_a_refund_and_a_refund_is_a_new_row(engine: Engine, household: int) -> None:
    notice = issue(engine, household)
    payment = pay(engine, amount_fen=notice.amount_fen + 5000, transaction_id="wx-4", notice_number=notice.number)
    assert payment.unapplied_fen == 5000
    with uow(engine, "finance") as work, pytest.raises(YibaoError) as refused:
        reversals.refund_payment(work, FINANCE, payment.id, "多缴", amount_fen=5001)
    assert refused.value.code == "REFUND_EXCEEDS"
    with uow(engine, "finance") as work:
        refund = reversals.refund_payment(work, FINANCE, payment.id, "多缴退回")
    assert refund.kind == "refund" and refund.amount_fen == -5000 and refund.original_id == payment.id
    with uow(engine) as work:
        assert payments.get_payment(work, FINANCE, payment.id).unapplied_fen == 0


def test_a_reversal_makes_the_household_owe_again(engine: Engine, household: int) -> None:
    notice = issue(engine, household)
    payment = pay(engine, amount_fen=notice.amount_fen, transaction_id="wx-5", notice_number=notice.number)
    with uow(engine, "clerk") as work, pytest.raises(YibaoError) as refused:
        reversals.reverse_payment(work, CLERK, payment.id, "退票")
    assert refused.value.code == "FORBIDDEN"  # reversals are finance's
    with uow(engine, "finance") as work:
        reversal = reversals.reverse_payment(work, FINANCE, payment.id, "银行退票")
    assert reversal.amount_fen == -notice.amount_fen
    assert {state for _, due, state in dues(engine, household) if due} == {"notified"}
    with uow(engine, "finance") as work, pytest.raises(YibaoError) as twice:
        reversals.reverse_payment(work, FINANCE, payment.id, "again")
    assert twice.value.code == "PAYMENT_NOT_REVERSIBLE"
    with uow(engine) as work:
        assert notices.get_notice(work, CLERK, notice.number).balance_fen == notice.amount_fen


def test_cancelling_a_paid_member_leaves_a_refund_to_issue(engine: Engine, household: int) -> None:
    notice = issue(engine, household)
    payment = pay(engine, amount_fen=notice.amount_fen, transaction_id="wx-6", notice_number=notice.number)
    head = notice.items[0]
    with uow(engine) as work:
        enrollments.cancel_enrollment(work, CLERK, head.enrollment_id, "已参加职工医保")
    with uow(engine) as work:
        assert payments.get_payment(work, FINANCE, payment.id).unapplied_fen == head.amount_fen


def test_a_reissued_notice_voids_the_first_and_asks_only_the_rest(engine: Engine, household: int) -> None:
    first = issue(engine, household)
    pay(engine, amount_fen=first.items[0].amount_fen, transaction_id="wx-7", notice_number=first.number)
    second = issue(engine, household)
    assert second.amount_fen == first.amount_fen - first.items[0].amount_fen
    with pytest.raises(YibaoError) as refused:
        pay(engine, amount_fen=100, transaction_id="wx-8", notice_number=first.number)
    assert refused.value.code == "NOTICE_VOID"


def test_a_payment_after_the_deadline_is_refused_when_the_plan_takes_no_late_payers(
    engine: Engine, household: int
) -> None:
    notice = issue(engine, household)
    late = datetime(2018, 1, 1, 0, 0, 1, tzinfo=SHANGHAI)
    with pytest.raises(YibaoError) as refused:
        pay(engine, amount_fen=notice.amount_fen, transaction_id="wx-9", notice_number=notice.number, paid_at=late)
    assert refused.value.code == "PAYMENT_REFUSED" and "王建国" in refused.value.message
    with session_factory(engine)() as session:
        assert session.scalar(select(func.count()).select_from(Payment)) == 0


def test_a_late_payer_pays_the_full_cost_and_waits_where_the_plan_says_so(engine: Engine) -> None:
    """滕州 2019: after the window, the full financing and cover once 30 full days have passed since payment."""
    with uow(engine, "admin") as work:
        seed_district(work, "370481")
    township = "370481001000"  # 荆河街道
    clerk = operator(township)
    registered = datetime(2018, 11, 20, 10, tzinfo=SHANGHAI)
    request = HouseholdEnrollment(
        policy_id="tengzhou-jinghe-2019",
        township_code=township,
        channel="community",
        registered_at=registered,
        members=(Member(idnumber.make("370481", date(1980, 1, 1), 11), "张三", "户主"),),
    )
    with at(engine, registered) as work:
        enrolled = enroll_household(work, clerk, request)
    enrollment_id = enrolled[0].enrollment_id
    with at(engine, registered) as work:
        notice = notices.issue_notice(work, clerk, enrollment_id=enrollment_id)
    late = datetime(2019, 3, 1, 9, tzinfo=SHANGHAI)
    with at(engine, late) as work:
        payment = payments.record_payment(
            work,
            clerk,
            PaymentRequest("counter_cash", notice.amount_fen, late, notice_number=notice.number),
        )
    assert payment.allocations and payment.unapplied_fen == 0  # all of it goes to the (now larger) late cost
    with session_factory(engine)() as session:
        enrollment = session.get_one(Enrollment, enrollment_id)
        assert enrollment.individual_due_fen is not None and enrollment.individual_due_fen > notice.amount_fen
        assert enrollment.state == "notified"  # the notice's amount no longer covers the late cost
        assert enrollment.financing_total_fen == enrollment.individual_due_fen
    rest = enrollment.individual_due_fen - notice.amount_fen
    with at(engine, late) as work:
        payments.record_payment(work, clerk, PaymentRequest("counter_cash", rest, late, enrollment_id=enrollment_id))
    with session_factory(engine)() as session:
        enrollment = session.get_one(Enrollment, enrollment_id)
        assert enrollment.state == "effective"
        assert enrollment.benefit_start == date(2019, 4, 1)  # 满30日 after a payment on 1 March


def test_two_deliveries_of_one_transaction_at_the_same_instant_are_one_payment(engine: Engine, household: int) -> None:
    notice = issue(engine, household)
    barrier = threading.Barrier(2)
    answers: list[object] = []

    def deliver() -> None:
        barrier.wait()
        try:
            answers.append(
                pay(
                    engine,
                    FINANCE,  # two finance users confirming the bank's payment at once
                    amount_fen=notice.amount_fen,
                    transaction_id="bank-77",
                    notice_number=notice.number,
                    channel="bank",
                )
            )
        except Exception as error:  # recorded for the assertion
            answers.append(error)

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    views = [answer for answer in answers if isinstance(answer, PaymentView)]
    with session_factory(engine)() as session:
        assert session.scalar(select(func.count()).select_from(Payment)) == 1
        applied = session.scalar(select(func.sum(Enrollment.individual_due_fen)).where(Enrollment.state == "effective"))
    assert applied == notice.amount_fen
    if engine.dialect.name == "postgresql":
        assert len(views) == 2 and sorted(v.duplicate for v in views) == [False, True]


def test_every_money_write_is_audited_and_scoped_to_the_area(engine: Engine, household: int) -> None:
    notice = issue(engine, household)
    payment = pay(engine, amount_fen=notice.amount_fen, transaction_id="wx-10", notice_number=notice.number)
    with uow(engine) as work, pytest.raises(YibaoError) as hidden:
        notices.get_notice(work, operator("120119106000"), notice.number)
    assert hidden.value.code == "NOTICE_NOT_FOUND"
    with uow(engine) as work, pytest.raises(YibaoError) as hidden_payment:
        payments.get_payment(work, operator("120119106000"), payment.id)
    assert hidden_payment.value.code == "PAYMENT_NOT_FOUND"
    with session_factory(engine)() as session:
        actions = set(
            session.scalars(select(AuditEntry.action).where(AuditEntry.entity.in_(["payment", "payment_notice"])))
        )
    assert {"issue", "record"} <= actions
    with uow(engine) as work:
        assert payments.get_payment(work, admin(), payment.id).receipt_number == payment.receipt_number


def test_a_collection_batch_is_taken_only_when_people_and_money_agree(engine: Engine, household: int) -> None:
    owed = [(enrollment_id, due) for enrollment_id, due, _ in dues(engine, household) if due]
    wrong = tuple(
        BatchLine(enrollment_id, due + (100 if index == 0 else 0)) for index, (enrollment_id, due) in enumerate(owed)
    )
    batch = CollectionBatchRequest(
        "村-001", "渔阳镇东关村委会", sum(line.collected_fen for line in wrong), IN_WINDOW, wrong
    )
    with uow(engine) as work, pytest.raises(YibaoError) as refused:
        payments.record_collection_batch(work, CLERK, batch)
    assert (
        refused.value.code == "BATCH_MISMATCH" and "王建国" in refused.value.message and "收" in refused.value.message
    )
    with session_factory(engine)() as session:
        assert session.scalar(select(func.count()).select_from(Payment)) == 0
    right = tuple(BatchLine(enrollment_id, due) for enrollment_id, due in owed)
    short = dataclasses.replace(batch, lines=right)  # the lines agree, the cash handed in does not
    with uow(engine) as work, pytest.raises(YibaoError) as refused_total:
        payments.record_collection_batch(work, CLERK, short)
    assert refused_total.value.code == "BATCH_MISMATCH"
    good = dataclasses.replace(batch, lines=right, handed_in_fen=sum(due for _, due in owed))
    with uow(engine) as work:
        taken = payments.record_collection_batch(work, CLERK, good)
    assert taken.channel == "collection" and taken.transaction_id == "村-001" and taken.unapplied_fen == 0
    assert {state for _, due, state in dues(engine, household) if due} == {"effective"}
    with uow(engine) as work:
        assert payments.record_collection_batch(work, CLERK, good).duplicate
