"""Collections per township and channel (收款汇总): received, reversed, refunded, applied to people, and what
awaits a refund — each a sum of ledger rows in one grouped query, so the totals always equal their lines."""

from __future__ import annotations

from datetime import date, timedelta

from pydantic import BaseModel
from sqlalchemy import case, func, select

from yibao.adapters.db.tables import Area, Payment, PaymentAllocation
from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.domain.payments import PAYMENT_CHANNELS
from yibao.domain.states import PaymentKind
from yibao.domain.timeutil import start_of_day
from yibao.services.access import Permission, Principal, payment_scope
from yibao.services.money.views import PaymentView, payment_views


class CollectionRow(BaseModel):
    township_code: str
    township_name: str
    channel: str
    channel_name: str
    payments: int
    received_fen: int
    reversed_fen: int
    refunded_fen: int
    applied_fen: int
    awaiting_refund_fen: int


class CollectionReport(BaseModel):
    insurance_year: int
    day: date | None
    rows: list[CollectionRow]
    received_fen: int
    reversed_fen: int
    refunded_fen: int
    applied_fen: int
    awaiting_refund_fen: int


def collections(
    uow: UnitOfWork, principal: Principal, insurance_year: int, day: date | None = None
) -> CollectionReport:
    """Totals of the payments taken (on ``day``, Shanghai time, if given) and what has become of them since."""
    if not (principal.may(Permission.TAKE_PAYMENTS) or principal.may(Permission.PAYMENTS)):
        principal.require(Permission.TAKE_PAYMENTS)
    taken = [Payment.kind == PaymentKind.PAYMENT, Payment.insurance_year == insurance_year, payment_scope(principal)]
    if day is not None:
        start = start_of_day(day)
        taken += [Payment.paid_at >= start, Payment.paid_at < start + timedelta(days=1)]
    originals = select(Payment.id, Payment.township_code, Payment.channel, Payment.amount_fen).where(*taken).subquery()
    later = (
        select(
            Payment.original_id.label("id"),
            func.sum(case((Payment.kind == PaymentKind.REVERSAL, Payment.amount_fen), else_=0)).label("reversed"),
            func.sum(case((Payment.kind == PaymentKind.REFUND, Payment.amount_fen), else_=0)).label("refunded"),
        )
        .where(Payment.original_id.is_not(None))
        .group_by(Payment.original_id)
        .subquery()
    )
    applied = (
        select(PaymentAllocation.payment_id.label("id"), func.sum(PaymentAllocation.amount_fen).label("applied"))
        .group_by(PaymentAllocation.payment_id)
        .subquery()
    )
    reversed_ = func.coalesce(later.c.reversed, 0)
    refunded = func.coalesce(later.c.refunded, 0)
    applied_ = func.coalesce(applied.c.applied, 0)
    query = (
        select(
            originals.c.township_code,
            Area.name,
            originals.c.channel,
            func.count(),
            func.sum(originals.c.amount_fen),
            func.sum(-reversed_),
            func.sum(-refunded),
            func.sum(applied_),
            func.sum(originals.c.amount_fen + reversed_ + refunded - applied_),
        )
        .join(Area, Area.code == originals.c.township_code)
        .join(later, later.c.id == originals.c.id, isouter=True)
        .join(applied, applied.c.id == originals.c.id, isouter=True)
        .group_by(originals.c.township_code, Area.name, originals.c.channel)
        .order_by(originals.c.township_code, originals.c.channel)
    )
    rows = [
        CollectionRow(
            township_code=code,
            township_name=name,
            channel=channel,
            channel_name=PAYMENT_CHANNELS.get(channel, channel),
            payments=count,
            received_fen=int(received),
            reversed_fen=int(reversed_total),
            refunded_fen=int(refunded_total),
            applied_fen=int(applied_total),
            awaiting_refund_fen=int(awaiting),
        )
        for code, name, channel, count, received, reversed_total, refunded_total, applied_total, awaiting in (
            uow.session.execute(query)
        )
    ]
    return CollectionReport(
        insurance_year=insurance_year,
        day=day,
        rows=rows,
        received_fen=sum(row.received_fen for row in rows),
        reversed_fen=sum(row.reversed_fen for row in rows),
        refunded_fen=sum(row.refunded_fen for row in rows),
        applied_fen=sum(row.applied_fen for row in rows),
        awaiting_refund_fen=sum(row.awaiting_refund_fen for row in rows),
    )


def refunds_to_issue(uow: UnitOfWork, principal: Principal, insurance_year: int | None = None) -> list[PaymentView]:
    """退费待办: payments holding money that pays for nobody — overpaid, paid twice, or for a person since cancelled."""
    principal.require(Permission.PAYMENTS)
    own = func.coalesce(Payment.original_id, Payment.id)
    held = (
        select(own.label("id"), func.sum(Payment.amount_fen).label("held"))
        .where(payment_scope(principal))
        .group_by(own)
        .subquery()
    )
    applied = (
        select(PaymentAllocation.payment_id.label("id"), func.sum(PaymentAllocation.amount_fen).label("applied"))
        .group_by(PaymentAllocation.payment_id)
        .subquery()
    )
    conditions = [held.c.held - func.coalesce(applied.c.applied, 0) > 0]
    if insurance_year is not None:
        conditions.append(Payment.insurance_year == insurance_year)
    rows = uow.session.scalars(
        select(Payment)
        .join(held, held.c.id == Payment.id)
        .join(applied, applied.c.id == Payment.id, isouter=True)
        .where(*conditions)
        .order_by(Payment.paid_at, Payment.id)
    ).all()
    return payment_views(uow, principal, list(rows))
