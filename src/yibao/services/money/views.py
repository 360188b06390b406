"""What the money use cases return: notices with their people and balances, payments with what they paid for."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field
from sqlalchemy import select

from yibao.adapters.db.tables import Area, Enrollment, Payment, PaymentAllocation, PaymentNotice, PaymentNoticeItem
from yibao.adapters.db.tables import Resident as ResidentRow
from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.domain.payments import PAYMENT_CHANNELS
from yibao.domain.states import EnrollmentState, PaymentKind
from yibao.services.access import Principal
from yibao.services.money.ledger import paid_fen, unapplied_fen
from yibao.services.policy.plans import get_policy
from yibao.services.registry.views import shown_id
from yibao.services.users import actor_name, actor_names


class AllocationView(BaseModel):
    enrollment_id: int
    name: str
    id_number: str
    amount_fen: int


class PaymentView(BaseModel):
    id: int
    kind: str
    kind_name: str
    channel: str
    channel_name: str
    transaction_id: str | None
    amount_fen: int
    insurance_year: int
    township_code: str
    notice_number: str | None
    original_id: int | None
    receipt_number: str | None
    payer_name: str | None
    paid_at: datetime
    recorded_at: datetime
    actor: str
    actor_name: str = Field(description="who recorded it, as people call them (the actor is the username)")
    note: str | None
    allocations: list[AllocationView] = Field(description="what this payment pays for now, per enrollment")
    unapplied_fen: int = Field(description="received but paying for nobody: owed back as a refund")
    reversed: bool
    duplicate: bool = Field(default=False, description="this channel transaction was recorded before: nothing new")


class NoticeItemView(BaseModel):
    enrollment_id: int
    resident_id: int
    name: str
    id_number: str
    category: str | None
    tier: str | None
    tier_name: str | None
    financing_total_fen: int | None
    government_subsidy_fen: int | None
    assisted_by_payer_fen: dict[str, int]
    payer_names: dict[str, str]
    individual_due_fen: int | None
    amount_fen: int = Field(description="what the notice asks of this person")
    paid_fen: int
    state: str
    benefit_start: date | None
    benefit_end: date | None


class NoticeView(BaseModel):
    id: int
    number: str
    insurance_year: int
    township_code: str
    township_name: str
    household_id: int | None
    payer_name: str
    amount_fen: int
    paid_fen: int = Field(description="applied to the notice's people so far")
    balance_fen: int = Field(description="still to pay on this notice")
    due_at: datetime
    issued_at: datetime
    actor: str
    actor_name: str = Field(description="who issued it, as people call them (the actor is the username)")
    voided_at: datetime | None
    void_reason: str | None
    items: list[NoticeItemView]
    payments: list[PaymentView]


def payment_views(uow: UnitOfWork, principal: Principal, payments: list[Payment]) -> list[PaymentView]:
    if not payments:
        return []
    ids = [payment.id for payment in payments]
    left = unapplied_fen(uow, ids)
    users = actor_names(uow.session)
    reversed_ids = set(
        uow.session.scalars(
            select(Payment.original_id).where(Payment.original_id.in_(ids), Payment.kind == PaymentKind.REVERSAL)
        )
    )
    applied: dict[int, dict[int, int]] = {}
    for payment_id, enrollment_id, amount in uow.session.execute(
        select(PaymentAllocation.payment_id, PaymentAllocation.enrollment_id, PaymentAllocation.amount_fen).where(
            PaymentAllocation.payment_id.in_(ids)
        )
    ):
        per = applied.setdefault(payment_id, {})
        per[enrollment_id] = per.get(enrollment_id, 0) + amount
    enrollment_ids = {enrollment_id for per in applied.values() for enrollment_id in per}
    people = {
        row.id: (row.name, row.id_number)
        for row in uow.session.execute(
            select(Enrollment.id, ResidentRow.name, ResidentRow.id_number)
            .join(ResidentRow, ResidentRow.id == Enrollment.resident_id)
            .where(Enrollment.id.in_(enrollment_ids))
        )
    }
    notice_numbers = dict(
        uow.session.execute(
            select(PaymentNotice.id, PaymentNotice.number).where(
                PaymentNotice.id.in_({p.notice_id for p in payments if p.notice_id})
            )
        ).all()
    )
    views = []
    for payment in payments:
        allocations = [
            AllocationView(
                enrollment_id=enrollment_id,
                name=people[enrollment_id][0],
                id_number=shown_id(principal, people[enrollment_id][1]),
                amount_fen=amount,
            )
            for enrollment_id, amount in sorted(applied.get(payment.id, {}).items())
            if amount
        ]
        views.append(
            PaymentView(
                id=payment.id,
                kind=payment.kind,
                kind_name=PaymentKind(payment.kind).zh,
                channel=payment.channel,
                channel_name=PAYMENT_CHANNELS[payment.channel],
                transaction_id=payment.transaction_id,
                amount_fen=payment.amount_fen,
                insurance_year=payment.insurance_year,
                township_code=payment.township_code,
                notice_number=notice_numbers.get(payment.notice_id) if payment.notice_id else None,
                original_id=payment.original_id,
                receipt_number=payment.receipt_number,
                payer_name=payment.payer_name,
                paid_at=payment.paid_at,
                recorded_at=payment.recorded_at,
                actor=payment.actor,
                actor_name=actor_name(payment.actor, users),
                note=payment.note,
                allocations=allocations,
                unapplied_fen=left[payment.id] if payment.kind == PaymentKind.PAYMENT else 0,
                reversed=payment.id in reversed_ids,
            )
        )
    return views


def notice_view(uow: UnitOfWork, principal: Principal, notice: PaymentNotice) -> NoticeView:
    rows = uow.session.execute(
        select(PaymentNoticeItem, Enrollment, ResidentRow)
        .join(Enrollment, Enrollment.id == PaymentNoticeItem.enrollment_id)
        .join(ResidentRow, ResidentRow.id == Enrollment.resident_id)
        .where(PaymentNoticeItem.notice_id == notice.id)
        .order_by(PaymentNoticeItem.position)
    ).all()
    paid = paid_fen(uow, [enrollment.id for _, enrollment, _ in rows])
    items = []
    for item, enrollment, resident in rows:
        policy = get_policy(enrollment.policy_id, uow.session)
        tier = policy.tiers.get(enrollment.tier) if enrollment.tier else None
        items.append(
            NoticeItemView(
                enrollment_id=enrollment.id,
                resident_id=resident.id,
                name=resident.name,
                id_number=shown_id(principal, resident.id_number),
                category=enrollment.category,
                tier=enrollment.tier,
                tier_name=tier.name if tier else None,
                financing_total_fen=enrollment.financing_total_fen,
                government_subsidy_fen=enrollment.government_subsidy_fen,
                assisted_by_payer_fen=enrollment.assisted_by_payer_fen,
                payer_names={key: policy.payers[key].name for key in enrollment.assisted_by_payer_fen},
                individual_due_fen=enrollment.individual_due_fen,
                amount_fen=item.amount_fen,
                paid_fen=paid[enrollment.id],
                state=enrollment.state,
                benefit_start=enrollment.benefit_start,
                benefit_end=enrollment.benefit_end,
            )
        )
    payments = list(
        uow.session.scalars(select(Payment).where(Payment.notice_id == notice.id).order_by(Payment.id)).all()
    )
    # Paid on this notice: what its people have paid towards what it asked of them.
    paid_on_notice = sum(min(item.paid_fen, item.individual_due_fen or 0) for item in items)
    township = uow.session.get_one(Area, notice.township_code)
    assert notice.number is not None
    return NoticeView(
        id=notice.id,
        number=notice.number,
        insurance_year=notice.insurance_year,
        township_code=notice.township_code,
        township_name=township.name,
        household_id=notice.household_id,
        payer_name=notice.payer_name,
        amount_fen=notice.amount_fen,
        paid_fen=paid_on_notice,
        balance_fen=0
        if notice.voided_at is not None
        else sum(
            max((i.individual_due_fen or 0) - i.paid_fen, 0) for i in items if i.state != EnrollmentState.CANCELLED
        ),
        due_at=notice.due_at,
        issued_at=notice.issued_at,
        actor=notice.actor,
        actor_name=actor_name(notice.actor, actor_names(uow.session)),
        voided_at=notice.voided_at,
        void_reason=notice.void_reason,
        items=items,
        payments=payment_views(uow, principal, payments),
    )
