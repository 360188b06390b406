"""Balances, computed from the append-only money rows and never stored: what an enrollment has paid, what a
payment has left unapplied (to refund), and the locks that keep two clerks from applying money at once."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select

from yibao.adapters.db.tables import Enrollment, Payment, PaymentAllocation
from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.domain.states import AllocationReason

CHUNK = 5000


def _chunks(ids: Iterable[int]) -> Iterable[list[int]]:
    items = sorted(set(ids))
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def paid_fen(uow: UnitOfWork, enrollment_ids: Iterable[int]) -> dict[int, int]:
    """Money applied to each enrollment (allocations less releases); 0 for none."""
    ids = list(enrollment_ids)
    paid = dict.fromkeys(ids, 0)
    for chunk in _chunks(ids):
        rows = uow.session.execute(
            select(PaymentAllocation.enrollment_id, func.sum(PaymentAllocation.amount_fen))
            .where(PaymentAllocation.enrollment_id.in_(chunk))
            .group_by(PaymentAllocation.enrollment_id)
        )
        paid.update({enrollment_id: int(total) for enrollment_id, total in rows})
    return paid


def applied_by_payment(uow: UnitOfWork, enrollment_id: int) -> dict[int, int]:
    """For one enrollment: how much of each payment is applied to it now (only payments with something left)."""
    rows = uow.session.execute(
        select(PaymentAllocation.payment_id, func.sum(PaymentAllocation.amount_fen))
        .where(PaymentAllocation.enrollment_id == enrollment_id)
        .group_by(PaymentAllocation.payment_id)
    )
    return {payment_id: int(total) for payment_id, total in rows if total}


def unapplied_fen(uow: UnitOfWork, payment_ids: Iterable[int]) -> dict[int, int]:
    """Per payment: its amount, less its reversal and refunds, less what is applied to enrollments — money that
    pays for nobody and so is owed back."""
    ids = list(payment_ids)
    left = dict.fromkeys(ids, 0)
    for chunk in _chunks(ids):
        own = func.coalesce(Payment.original_id, Payment.id)
        for payment_id, total in uow.session.execute(
            select(own, func.sum(Payment.amount_fen)).where(own.in_(chunk)).group_by(own)
        ):
            left[payment_id] += int(total)
        for payment_id, total in uow.session.execute(
            select(PaymentAllocation.payment_id, func.sum(PaymentAllocation.amount_fen))
            .where(PaymentAllocation.payment_id.in_(chunk))
            .group_by(PaymentAllocation.payment_id)
        ):
            left[payment_id] -= int(total)
    return left


def lock_enrollments(uow: UnitOfWork, enrollment_ids: Iterable[int]) -> dict[int, Enrollment]:
    """Load enrollments fresh and locked (PostgreSQL ``FOR UPDATE``; SQLite has one writer at a time anyway), in
    id order so two transactions never wait on each other crosswise."""
    found: dict[int, Enrollment] = {}
    for chunk in _chunks(enrollment_ids):
        rows = uow.session.scalars(
            select(Enrollment)
            .where(Enrollment.id.in_(chunk))
            .order_by(Enrollment.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        found.update({row.id: row for row in rows})
    return found


def release_enrollment(uow: UnitOfWork, enrollment_id: int, reason: str) -> int:
    """A cancelled enrollment gives its money back to the payments it came from, which then owe it as refunds.
    Returns the amount released."""
    released = 0
    for payment_id, amount in applied_by_payment(uow, enrollment_id).items():
        if amount > 0:
            uow.session.add(
                PaymentAllocation(
                    payment_id=payment_id,
                    enrollment_id=enrollment_id,
                    amount_fen=-amount,
                    at=uow.now,
                    reason=AllocationReason.CANCELLATION,
                )
            )
            released += amount
    uow.session.flush()
    if released:
        uow.audit("release", "enrollment", enrollment_id, None, {"released_fen": released, "reason": reason})
    return released
