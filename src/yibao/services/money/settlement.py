"""What a payment moment decides under the plan, and the enrollment states money moves.

The notice is computed as if paid at registration. The moment the money actually comes can change that: after
the window a plan may refuse it, or take it on its late rules (滕州: the full cost and a 30-day wait). So each
payment is assessed again at its own instant, by the same engine, before any of it is applied.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import exists, select

from yibao.adapters.db.tables import Enrollment, PaymentNotice, PaymentNoticeItem, Resident
from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.domain.engine.reasons import reason_text
from yibao.domain.errors import YibaoError
from yibao.domain.states import EnrollmentState
from yibao.domain.timeutil import as_shanghai
from yibao.services.policy.plans import get_policy
from yibao.services.registry.assessment import AssessInput, assess_inputs, frozen_fields, identities_on, summary


def assess_at(uow: UnitOfWork, enrollments: list[Enrollment], paid_at: datetime) -> dict[int, dict[str, Any]]:
    """The engine's result for each enrollment as if paid at ``paid_at``, with the identities certified when it
    was registered."""
    results: dict[int, dict[str, Any]] = {}
    residents = {
        row.id: row
        for row in uow.session.scalars(select(Resident).where(Resident.id.in_({e.resident_id for e in enrollments})))
    }
    for policy_id in sorted({e.policy_id for e in enrollments}):
        policy = get_policy(policy_id, uow.session)
        mine = [e for e in enrollments if e.policy_id == policy_id]
        by_day: dict[date, list[int]] = {}
        for enrollment in mine:
            by_day.setdefault(as_shanghai(enrollment.registered_at).date(), []).append(enrollment.resident_id)
        identities: dict[int, tuple[str, ...]] = {}
        for day, resident_ids in by_day.items():
            identities.update(identities_on(uow, resident_ids, day, claims=policy.assisted.claims_subsidised))
        inputs = [
            AssessInput(
                residents[e.resident_id].id_number,
                e.registered_at,
                e.category,
                e.tier,
                identities.get(e.resident_id, ()),
                e.channel,
                paid_at,
                residency=residents[e.resident_id].residency,
            )
            for e in mine
        ]
        for enrollment, result in zip(mine, assess_inputs(policy, inputs), strict=True):
            results[enrollment.id] = result
    return results


def refuse_if_not_payable(
    uow: UnitOfWork, enrollments: list[Enrollment], results: dict[int, dict[str, Any]], paid_at: datetime
) -> None:
    for enrollment in enrollments:
        result = results[enrollment.id]
        if not result["eligible"]:
            resident = uow.session.get_one(Resident, enrollment.resident_id)
            zh, en = reason_text(result["reason"])
            raise YibaoError(
                "PAYMENT_REFUSED",
                field="paid_at",
                name=resident.name,
                paid_at=as_shanghai(paid_at).strftime("%Y-%m-%d %H:%M"),
                reason=zh,
                reason_en=en,
            )


def take_payment_moment(uow: UnitOfWork, enrollment: Enrollment, result: dict[str, Any]) -> None:
    """The figures at the payment moment replace the notice's where they differ (a late payer's full cost)."""
    policy = get_policy(enrollment.policy_id, uow.session)
    fields = frozen_fields(policy, result)
    if fields["individual_due_fen"] == enrollment.individual_due_fen:
        return
    before = summary(enrollment)
    for key, value in fields.items():
        setattr(enrollment, key, value)
    uow.session.flush()
    uow.audit("assess_at_payment", "enrollment", enrollment.id, before, summary(enrollment) | {"path": result["path"]})


def make_effective(uow: UnitOfWork, enrollment: Enrollment, result: dict[str, Any], paid_at: datetime) -> None:
    """Fully paid at ``paid_at``: cover runs from the date the plan gives for this payment moment."""
    before = summary(enrollment)
    enrollment.state = EnrollmentState.EFFECTIVE
    enrollment.effective_at = paid_at
    enrollment.benefit_start = result["benefit_start"]
    enrollment.benefit_end = result["benefit_end"]
    uow.session.flush()
    uow.audit("effective", "enrollment", enrollment.id, before, summary(enrollment) | {"path": result["path"]})


def unsettle(uow: UnitOfWork, enrollment: Enrollment, reason: str) -> None:
    """Money taken back from an effective enrollment: it owes again, on its notice if one is live."""
    if enrollment.state != EnrollmentState.EFFECTIVE:
        return
    before = summary(enrollment)
    has_notice = uow.session.scalar(
        select(
            exists().where(
                PaymentNoticeItem.enrollment_id == enrollment.id,
                PaymentNotice.id == PaymentNoticeItem.notice_id,
                PaymentNotice.voided_at.is_(None),
            )
        )
    )
    enrollment.state = EnrollmentState.NOTIFIED if has_notice else EnrollmentState.ASSESSED
    enrollment.effective_at = None
    uow.session.flush()
    uow.audit("unsettle", "enrollment", enrollment.id, before, summary(enrollment) | {"reason": reason})
