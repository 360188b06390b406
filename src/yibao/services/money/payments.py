"""Recording payments from every channel, and collection batches — nothing lost, nothing twice. (Taking money
back: :mod:`~yibao.services.money.reversals`.)

* The same (channel, transaction id) is one payment. A second delivery returns the first, marked ``duplicate``;
  two deliveries at the same instant meet the database's unique index, and the loser returns the winner's row.
* A payment is assessed again at its own moment (see :mod:`~yibao.services.money.settlement`); a moment the plan does
  not take is refused before anything is written.
* Money goes to the people it pays for in the notice's order, each up to what they owe; what is left pays for
  nobody and is owed back (a refund to issue). A person is covered (``effective``) only when fully paid.
* Balances are sums of rows, never edited (see :mod:`~yibao.services.money.ledger`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from yibao.adapters.db.tables import Enrollment, Payment, PaymentAllocation, PaymentNoticeItem, Resident
from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.domain.errors import YibaoError
from yibao.domain.money import format_yuan
from yibao.domain.payments import (
    PAYMENT_CHANNELS,
    Allocation,
    BatchLine,
    Owed,
    allocate,
    batch_differences,
    receipt_number,
)
from yibao.domain.states import PAYABLE_ENROLLMENTS, AllocationReason, EnrollmentState, PaymentKind
from yibao.services.access import Permission, Principal, enrollment_scope, payment_scope
from yibao.services.money.ledger import lock_enrollments, paid_fen
from yibao.services.money.notices import visible_notice
from yibao.services.money.settlement import (
    assess_at,
    make_effective,
    refuse_if_not_payable,
    take_payment_moment,
)
from yibao.services.money.views import PaymentView, payment_views

# Channels where the clerk is the source of truth; every other channel has its own transaction id.
OWN_RECORD_CHANNELS = ("counter_cash",)


@dataclass(frozen=True)
class PaymentRequest:
    channel: str
    amount_fen: int
    paid_at: datetime
    transaction_id: str | None = None
    notice_number: str | None = None
    enrollment_id: int | None = None
    payer_name: str | None = None
    note: str | None = None


def check_channel(channel: str) -> None:
    if channel not in PAYMENT_CHANNELS:
        raise YibaoError(
            "PAYMENT_CHANNEL_UNKNOWN", field="channel", channel=channel, available="、".join(PAYMENT_CHANNELS)
        )


def _check(request: PaymentRequest) -> None:
    check_channel(request.channel)
    if request.amount_fen <= 0:
        raise YibaoError("PAYMENT_AMOUNT", field="amount_fen")
    if not request.transaction_id and request.channel not in OWN_RECORD_CHANNELS:
        raise YibaoError(
            "TRANSACTION_ID_REQUIRED",
            field="transaction_id",
            channel=PAYMENT_CHANNELS[request.channel],
            channel_en=request.channel,
        )
    if (request.notice_number is None) == (request.enrollment_id is None):
        raise YibaoError("PAYMENT_TARGET", field="notice_number")


def _existing(uow: UnitOfWork, channel: str, transaction_id: str | None) -> Payment | None:
    if not transaction_id:
        return None
    return uow.session.scalars(
        select(Payment).where(Payment.channel == channel, Payment.transaction_id == transaction_id)
    ).first()


def _replay(uow: UnitOfWork, principal: Principal, request: PaymentRequest, payment: Payment) -> PaymentView:
    """The same transaction delivered again: the recorded payment, if it is the same; a refusal if it is not (or
    if it was taken in another area, whose rows this principal may not see)."""
    visible = uow.session.scalar(select(Payment.id).where(Payment.id == payment.id, payment_scope(principal)))
    view = payment_views(uow, principal, [payment])[0] if visible else None
    other_notice = request.notice_number is not None and (
        view is None or view.notice_number != request.notice_number.strip()
    )
    if view is None or payment.amount_fen != request.amount_fen or other_notice:
        raise YibaoError(
            "PAYMENT_CONFLICT",
            field="transaction_id",
            channel=PAYMENT_CHANNELS[payment.channel],
            channel_en=payment.channel,
            transaction_id=payment.transaction_id,
            amount=format_yuan(payment.amount_fen) if view else "—",
            target=(view.notice_number or f"缴费编号{payment.id}") if view else "其他镇（街）",
        )
    return view.model_copy(update={"duplicate": True})


def _targets(uow: UnitOfWork, principal: Principal, request: PaymentRequest) -> tuple[int | None, list[int]]:
    """The notice (if any) and the enrollments the money is for, in the order it goes to them."""
    if request.notice_number is not None:
        notice = visible_notice(uow, principal, request.notice_number)
        if notice.voided_at is not None:
            raise YibaoError(
                "NOTICE_VOID", field="notice_number", number=notice.number, reason=notice.void_reason or ""
            )
        ids = list(
            uow.session.scalars(
                select(PaymentNoticeItem.enrollment_id)
                .where(PaymentNoticeItem.notice_id == notice.id)
                .order_by(PaymentNoticeItem.position)
            )
        )
        return notice.id, ids
    enrollment = uow.session.scalars(
        select(Enrollment).where(Enrollment.id == request.enrollment_id, enrollment_scope(principal))
    ).first()
    if enrollment is None:
        raise YibaoError("ENROLLMENT_NOT_FOUND", field="enrollment_id", id=request.enrollment_id)
    if enrollment.state not in (*PAYABLE_ENROLLMENTS, EnrollmentState.EFFECTIVE):
        state = EnrollmentState(enrollment.state)
        zh, en = state.zh, state.code
        raise YibaoError(
            "ENROLLMENT_STATE", field="enrollment_id", state=zh, state_en=en, action="缴费", action_en="pay", hint=""
        )
    return None, [enrollment.id]


def record_payment(uow: UnitOfWork, principal: Principal, request: PaymentRequest) -> PaymentView:
    view = take_payment(uow, principal, request)
    uow.commit()
    return view


def take_payment(uow: UnitOfWork, principal: Principal, request: PaymentRequest) -> PaymentView:
    """:func:`record_payment` inside the caller's transaction (a statement line assigned to a notice)."""
    principal.require(Permission.TAKE_PAYMENTS)
    _check(request)
    replayed = _existing(uow, request.channel, request.transaction_id)
    if replayed is not None:  # a second delivery is answered alike whatever became of the people since
        return _replay(uow, principal, request, replayed)
    notice_id, ordered_ids = _targets(uow, principal, request)
    locked = lock_enrollments(uow, ordered_ids)  # from here on, nobody else applies money to these people
    replayed = _existing(uow, request.channel, request.transaction_id)  # recorded while we waited for the lock
    if replayed is not None:
        return _replay(uow, principal, request, replayed)
    payable, results, owed = _owed_at(uow, [locked[i] for i in ordered_ids], request.paid_at)
    return _take(uow, principal, request, notice_id, locked[ordered_ids[0]], payable, results, owed)


def _owed_at(
    uow: UnitOfWork, enrollments: list[Enrollment], paid_at: datetime
) -> tuple[list[Enrollment], dict[int, dict[str, Any]], list[Owed]]:
    """Who among these can still be paid for, assessed at the payment moment, and what each still owes then."""
    payable = [e for e in enrollments if e.state in PAYABLE_ENROLLMENTS]
    results = assess_at(uow, payable, paid_at)
    refuse_if_not_payable(uow, payable, results, paid_at)
    for enrollment in payable:
        take_payment_moment(uow, enrollment, results[enrollment.id])
    paid = paid_fen(uow, [e.id for e in payable])
    return payable, results, [Owed(e.id, (e.individual_due_fen or 0) - paid[e.id]) for e in payable]


def _take(
    uow: UnitOfWork,
    principal: Principal,
    request: PaymentRequest,
    notice_id: int | None,
    first: Enrollment,
    payable: list[Enrollment],
    results: dict[int, dict[str, Any]],
    owed: list[Owed],
) -> PaymentView:
    """Write the payment and its allocations; whoever is now fully paid is covered."""
    allocations, _unapplied = allocate(request.amount_fen, owed)
    payment = Payment(
        kind=PaymentKind.PAYMENT,
        channel=request.channel,
        transaction_id=request.transaction_id or None,
        amount_fen=request.amount_fen,
        insurance_year=first.insurance_year,
        township_code=first.township_code,
        notice_id=notice_id,
        payer_name=request.payer_name,
        paid_at=request.paid_at,
        recorded_at=uow.now,
        actor=uow.actor,
        note=request.note,
    )
    try:
        uow.session.add(payment)
        uow.session.flush()
    except IntegrityError:
        # Delivered twice at the same instant: the other delivery won; answer with its row.
        uow.session.rollback()
        winner = _existing(uow, request.channel, request.transaction_id)
        if winner is None:
            raise
        return _replay(uow, principal, request, winner)
    payment.receipt_number = receipt_number(payment.insurance_year, payment.id)
    for allocation in allocations:
        uow.session.add(
            PaymentAllocation(
                payment_id=payment.id,
                enrollment_id=allocation.enrollment_id,
                amount_fen=allocation.amount_fen,
                at=uow.now,
                reason=AllocationReason.PAYMENT,
            )
        )
    uow.session.flush()
    now_paid = paid_fen(uow, [e.id for e in payable])
    for enrollment in payable:
        if now_paid[enrollment.id] >= (enrollment.individual_due_fen or 0):
            make_effective(uow, enrollment, results[enrollment.id], request.paid_at)
    uow.audit(
        "record", "payment", payment.id, None, payment_summary(payment) | {"allocations": _allocated(allocations)}
    )
    uow.session.flush()
    return payment_views(uow, principal, [payment])[0]


@dataclass(frozen=True)
class CollectionBatchRequest:
    """Cash a village, school or institution hands in for a list of people (代收), under its own batch number."""

    batch_number: str
    collector: str
    handed_in_fen: int
    paid_at: datetime
    lines: tuple[BatchLine, ...]


def record_collection_batch(uow: UnitOfWork, principal: Principal, batch: CollectionBatchRequest) -> PaymentView:
    """人款相符: the batch is taken only if every person's collected amount is what they owe at this moment and
    the cash handed in is their sum; otherwise it is refused, naming each person who differs."""
    view = take_collection_batch(uow, principal, batch)
    uow.commit()
    return view


def take_collection_batch(uow: UnitOfWork, principal: Principal, batch: CollectionBatchRequest) -> PaymentView:
    """:func:`record_collection_batch` within the caller's transaction (a register's deposit commits it with the
    register's new state)."""
    principal.require(Permission.TAKE_PAYMENTS)
    if not batch.lines:
        raise YibaoError("BATCH_EMPTY", field="lines")
    ids = [line.enrollment_id for line in batch.lines]
    repeated = next((i for i in ids if ids.count(i) > 1), None)
    if repeated is not None:
        raise YibaoError("BATCH_DUPLICATE_PERSON", field="lines", id=repeated)
    request = PaymentRequest(
        "collection",
        batch.handed_in_fen,
        batch.paid_at,
        batch.batch_number.strip(),
        payer_name=batch.collector.strip() or None,
        note=f"代收{len(ids)}人",
    )
    _check(dataclasses.replace(request, enrollment_id=ids[0]))
    replayed = _existing(uow, request.channel, request.transaction_id)
    if replayed is not None:
        return _replay(uow, principal, request, replayed)
    visible = set(uow.session.scalars(select(Enrollment.id).where(Enrollment.id.in_(ids), enrollment_scope(principal))))
    missing = next((i for i in ids if i not in visible), None)
    if missing is not None:
        raise YibaoError("ENROLLMENT_NOT_FOUND", field="lines", id=missing)
    locked = lock_enrollments(uow, ids)
    replayed = _existing(uow, request.channel, request.transaction_id)
    if replayed is not None:
        return _replay(uow, principal, request, replayed)
    payable, results, owed = _owed_at(uow, [locked[i] for i in ids], batch.paid_at)
    due = {item.enrollment_id: item.remaining_fen for item in owed}
    differences = batch_differences(list(batch.lines), due)
    if differences or batch.handed_in_fen != sum(line.collected_fen for line in batch.lines):
        names = dict(
            uow.session.execute(
                select(Enrollment.id, Resident.name)
                .join(Resident, Resident.id == Enrollment.resident_id)
                .where(Enrollment.id.in_([d.enrollment_id for d in differences]))
            ).all()
        )
        people = "；".join(
            f"{names[d.enrollment_id]}应缴{format_yuan(d.due_fen)}元、收{format_yuan(d.collected_fen)}元"
            for d in differences
        )
        raise YibaoError(
            "BATCH_MISMATCH",
            field="lines",
            total=format_yuan(batch.handed_in_fen),
            due=format_yuan(sum(due.get(i, 0) for i in ids)),
            count=len(differences),
            people=people or "无",
        )
    return _take(uow, principal, request, None, locked[ids[0]], payable, results, owed)


def _allocated(allocations: list[Allocation]) -> dict[str, int]:
    return {str(a.enrollment_id): a.amount_fen for a in allocations}


def payment_summary(payment: Payment) -> dict[str, object]:
    return {
        "kind": payment.kind,
        "channel": payment.channel,
        "transaction_id": payment.transaction_id,
        "amount_fen": payment.amount_fen,
        "notice_id": payment.notice_id,
        "original_id": payment.original_id,
        "receipt_number": payment.receipt_number,
        "paid_at": payment.paid_at.isoformat(),
    }


def visible_payment(uow: UnitOfWork, principal: Principal, payment_id: int) -> Payment:
    payment = uow.session.scalars(select(Payment).where(Payment.id == payment_id, payment_scope(principal))).first()
    if payment is None:
        raise YibaoError("PAYMENT_NOT_FOUND", field="payment_id", id=payment_id)
    return payment


def get_payment(uow: UnitOfWork, principal: Principal, payment_id: int) -> PaymentView:
    return payment_views(uow, principal, [visible_payment(uow, principal, payment_id)])[0]
