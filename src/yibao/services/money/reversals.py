"""Taking money back: reversals (冲正) undo a payment entirely, refunds (退费) pay back what a payment holds for
nobody. Both are new rows that name the payment; nothing is edited. Finance's, not the counter's."""

from __future__ import annotations

from sqlalchemy import select

from yibao.adapters.db.tables import Payment, PaymentAllocation
from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.domain.errors import YibaoError
from yibao.domain.money import format_yuan
from yibao.domain.states import AllocationReason, PaymentKind
from yibao.services.access import Permission, Principal
from yibao.services.money.ledger import lock_enrollments, unapplied_fen
from yibao.services.money.payments import payment_summary, visible_payment
from yibao.services.money.settlement import unsettle
from yibao.services.money.views import PaymentView, payment_views


def reverse_payment(
    uow: UnitOfWork, principal: Principal, payment_id: int, reason: str, transaction_id: str | None = None
) -> PaymentView:
    """冲正: undo a payment entirely — a bounced transfer, a payment recorded against the wrong people. The people
    it paid for owe again; a payment with refunds out of it cannot be reversed (refund the rest instead)."""
    view = reverse(uow, principal, payment_id, reason, transaction_id)
    uow.commit()
    return view


def reverse(
    uow: UnitOfWork, principal: Principal, payment_id: int, reason: str, transaction_id: str | None = None
) -> PaymentView:
    """:func:`reverse_payment` inside the caller's transaction (a reversal line of a statement)."""
    principal.require(Permission.PAYMENTS)
    if not reason.strip():
        raise YibaoError("REASON_REQUIRED", field="reason")
    original = visible_payment(uow, principal, payment_id)
    if original.kind != PaymentKind.PAYMENT:
        raise YibaoError(
            "PAYMENT_NOT_REVERSIBLE", field="payment_id", reason="只能冲正缴费记录", reason_en="not a payment"
        )
    applied = {
        enrollment_id: amount
        for enrollment_id, amount in _applied_of(uow, original.id).items()
        if amount  # released already (a cancellation) leaves nothing to take back
    }
    locked = lock_enrollments(uow, applied)
    later = uow.session.scalars(select(Payment.kind).where(Payment.original_id == original.id)).all()
    if PaymentKind.REVERSAL in later:
        raise YibaoError("PAYMENT_NOT_REVERSIBLE", field="payment_id", reason="已冲正", reason_en="already reversed")
    if PaymentKind.REFUND in later:
        raise YibaoError(
            "PAYMENT_NOT_REVERSIBLE", field="payment_id", reason="已有退费", reason_en="money was refunded from it"
        )
    reversal = _counter_row(uow, original, PaymentKind.REVERSAL, -original.amount_fen, transaction_id, reason)
    for enrollment_id, amount in applied.items():
        uow.session.add(
            PaymentAllocation(
                payment_id=original.id,
                enrollment_id=enrollment_id,
                amount_fen=-amount,
                at=uow.now,
                reason=AllocationReason.REVERSAL,
            )
        )
    uow.session.flush()
    for enrollment in locked.values():
        unsettle(uow, enrollment, f"冲正缴费{original.id}")
    uow.audit(
        "reverse",
        "payment",
        original.id,
        payment_summary(original),
        payment_summary(reversal) | {"reason": reason.strip()},
    )
    uow.session.flush()
    return payment_views(uow, principal, [reversal])[0]


def _applied_of(uow: UnitOfWork, payment_id: int) -> dict[int, int]:
    totals: dict[int, int] = {}
    for enrollment_id, amount in uow.session.execute(
        select(PaymentAllocation.enrollment_id, PaymentAllocation.amount_fen).where(
            PaymentAllocation.payment_id == payment_id
        )
    ):
        totals[enrollment_id] = totals.get(enrollment_id, 0) + amount
    return totals


def _counter_row(
    uow: UnitOfWork, original: Payment, kind: PaymentKind, amount_fen: int, transaction_id: str | None, note: str
) -> Payment:
    row = Payment(
        kind=kind,
        channel=original.channel,
        transaction_id=transaction_id or None,
        amount_fen=amount_fen,
        insurance_year=original.insurance_year,
        township_code=original.township_code,
        notice_id=original.notice_id,
        original_id=original.id,
        payer_name=original.payer_name,
        paid_at=uow.now,
        recorded_at=uow.now,
        actor=uow.actor,
        note=note.strip() or None,
    )
    uow.session.add(row)
    uow.session.flush()
    return row


def refund_payment(
    uow: UnitOfWork,
    principal: Principal,
    payment_id: int,
    reason: str,
    amount_fen: int | None = None,
    transaction_id: str | None = None,
) -> PaymentView:
    """退费: pay back money that pays for nobody (an overpayment, a cancelled person's share) — all of it, or a
    part. Money applied to a covered person is not refundable until that person is cancelled."""
    principal.require(Permission.PAYMENTS)
    if not reason.strip():
        raise YibaoError("REASON_REQUIRED", field="reason")
    original = visible_payment(uow, principal, payment_id)
    if original.kind != PaymentKind.PAYMENT:
        raise YibaoError("PAYMENT_NOT_FOUND", field="payment_id", id=payment_id)
    lock_enrollments(uow, _applied_of(uow, original.id))
    available = unapplied_fen(uow, [original.id])[original.id]
    amount = available if amount_fen is None else amount_fen
    if amount <= 0 or amount > available:
        raise YibaoError(
            "REFUND_EXCEEDS", field="amount_fen", amount=format_yuan(max(amount, 0)), available=format_yuan(available)
        )
    refund = _counter_row(uow, original, PaymentKind.REFUND, -amount, transaction_id, reason)
    uow.audit("refund", "payment", original.id, None, payment_summary(refund) | {"reason": reason.strip()})
    uow.commit()
    return payment_views(uow, principal, [refund])[0]
