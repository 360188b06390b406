"""Use cases on enrollments: look up and list, assess one or a township's waiting ones, cancel, and renew a
whole township from last year (续保).

Bulk paths (renewal, township assessment) are set-based: one query to read, the vectorized engine to compute,
one executemany to write, one executemany for the audit entries.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, insert, select, update

from yibao.adapters.db.tables import Area, Enrollment, Resident
from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.domain.errors import YibaoError
from yibao.domain.policy import Policy
from yibao.domain.states import COVERED_ENROLLMENTS, LIVE_ENROLLMENTS, REASSESSABLE_ENROLLMENTS, EnrollmentState
from yibao.services.access import Permission, Principal, enrollment_scope
from yibao.services.money.ledger import lock_enrollments, release_enrollment
from yibao.services.policy.plans import get_policy, policy_digest
from yibao.services.registry.areas import township_area
from yibao.services.registry.assessment import (
    assess_inputs,
    frozen_fields,
    inputs_of_rows,
    reassess,
    summary,
)
from yibao.services.registry.residents import MAX_PAGE
from yibao.services.registry.views import EnrollmentPage, EnrollmentView, enrollment_view


def visible_enrollment(uow: UnitOfWork, principal: Principal, enrollment_id: int) -> Enrollment:
    principal.require(Permission.READ_RESIDENTS)
    enrollment = uow.session.scalars(
        select(Enrollment).where(Enrollment.id == enrollment_id, enrollment_scope(principal))
    ).first()
    if enrollment is None:
        raise YibaoError("ENROLLMENT_NOT_FOUND", field="enrollment_id", id=enrollment_id)
    return enrollment


def get_enrollment(uow: UnitOfWork, principal: Principal, enrollment_id: int) -> EnrollmentView:
    return enrollment_view(visible_enrollment(uow, principal, enrollment_id))


@dataclass(frozen=True)
class EnrollmentQuery:
    insurance_year: int | None = None
    township_code: str | None = None
    state: str | None = None
    limit: int = 50
    offset: int = 0


def list_enrollments(uow: UnitOfWork, principal: Principal, query: EnrollmentQuery) -> EnrollmentPage:
    principal.require(Permission.READ_RESIDENTS)
    conditions = [enrollment_scope(principal)]
    if query.insurance_year is not None:
        conditions.append(Enrollment.insurance_year == query.insurance_year)
    if query.township_code:
        conditions.append(Enrollment.township_code == query.township_code)
    if query.state:
        conditions.append(Enrollment.state == query.state)
    where = and_(*conditions)
    total = uow.session.scalar(select(func.count(Enrollment.id)).where(where)) or 0
    rows = uow.session.scalars(
        select(Enrollment)
        .where(where)
        .order_by(Enrollment.id)
        .limit(max(1, min(query.limit, MAX_PAGE)))
        .offset(query.offset)
    ).all()
    return EnrollmentPage(total=total, offset=query.offset, items=[enrollment_view(row) for row in rows])


def _refuse_state(enrollment: Enrollment, action: str, action_en: str, hint: str = "") -> YibaoError:
    state = EnrollmentState(enrollment.state)
    zh, en = state.zh, state.code
    return YibaoError(
        "ENROLLMENT_STATE", field="state", state=zh, state_en=en, action=action, action_en=action_en, hint=hint
    )


def assess_enrollment(uow: UnitOfWork, principal: Principal, enrollment_id: int) -> EnrollmentView:
    """(Re)compute one enrollment under its policy with the identities certified at its registration."""
    principal.require(Permission.WRITE_RESIDENTS)
    enrollment = visible_enrollment(uow, principal, enrollment_id)
    if enrollment.state not in REASSESSABLE_ENROLLMENTS:
        raise _refuse_state(enrollment, "重新核定", "reassess", "（已通知缴费或已缴费的核定结果不再变动）")
    resident = uow.session.get_one(Resident, enrollment.resident_id)
    reassess(uow, enrollment, resident)
    uow.commit()
    return enrollment_view(enrollment)


def cancel_enrollment(uow: UnitOfWork, principal: Principal, enrollment_id: int, reason: str) -> EnrollmentView:
    """Cancel an enrollment; the resident may then enroll again elsewhere. Money paid for it goes back to the
    payments it came from, which then owe it as refunds (finance's refund worklist)."""
    principal.require(Permission.WRITE_RESIDENTS)
    if not reason.strip():
        raise YibaoError("REASON_REQUIRED", field="reason")
    enrollment = visible_enrollment(uow, principal, enrollment_id)
    lock_enrollments(uow, [enrollment.id])
    if enrollment.state == EnrollmentState.CANCELLED:
        raise _refuse_state(enrollment, "注销", "cancel")
    before = summary(enrollment)
    enrollment.state = EnrollmentState.CANCELLED
    enrollment.cancelled_at = uow.now
    uow.session.flush()
    released = release_enrollment(uow, enrollment.id, reason.strip())
    after = summary(enrollment) | {"reason": reason.strip(), "released_fen": released}
    uow.audit("cancel", "enrollment", enrollment.id, before, after)
    uow.commit()
    return enrollment_view(enrollment)


def check_policy_covers(uow: UnitOfWork, policy: Policy, township_code: str) -> Area:
    """The township, if the plan is for it: in the plan's district, and among its townships where the plan is
    narrower than the district (滕州's plan is 荆河街道's alone)."""
    township = township_area(uow, township_code[:6], township_code)
    scope = policy.region.townships
    if township_code[:6] != policy.region.code or (scope and township_code not in scope):
        raise YibaoError(
            "POLICY_OTHER_DISTRICT",
            field="policy_id",
            policy=policy.id,
            region=policy.region.name,
            township=township.name,
        )
    return township


@dataclass(frozen=True)
class RenewalResult:
    township_code: str
    insurance_year: int
    from_year: int
    candidates: int  # last year's enrollees of the township with cover
    created: int
    already_enrolled: int  # enrolled this year already, anywhere
    not_alive: int  # recorded deceased or missing: not carried forward


def renew_township(
    uow: UnitOfWork, principal: Principal, township_code: str, policy_id: str, from_year: int | None = None
) -> RenewalResult:
    """续保: carry the township's covered enrollees of last year into this year's campaign as ``registered``.

    Idempotent: running it again creates nothing for people it already carried (they are enrolled this year).
    """
    principal.require(Permission.RENEW_TOWNSHIP)
    policy = get_policy(policy_id, uow.session)
    principal.require_township(township_code)
    check_policy_covers(uow, policy, township_code)
    source_year = policy.insurance_year - 1 if from_year is None else from_year
    if source_year != policy.insurance_year - 1:
        raise YibaoError(
            "RENEWAL_YEAR", field="from_year", policy=policy.id, year=policy.insurance_year, from_year=source_year
        )
    session = uow.session
    this_year = (
        select(Enrollment.resident_id)
        .where(Enrollment.insurance_year == policy.insurance_year, Enrollment.state.in_(LIVE_ENROLLMENTS))
        .scalar_subquery()
    )
    rows = session.execute(
        select(
            Enrollment.resident_id,
            Enrollment.household_id,
            Enrollment.channel,
            Enrollment.organization_id,
            Enrollment.category,
            Enrollment.tier,
            Resident.survival_status,
            Enrollment.resident_id.in_(this_year).label("enrolled"),
        )
        .join(Resident, Resident.id == Enrollment.resident_id)
        .where(
            Enrollment.insurance_year == source_year,
            Enrollment.township_code == township_code,
            Enrollment.state.in_(COVERED_ENROLLMENTS),
        )
    ).all()
    fresh = [row for row in rows if not row.enrolled and row.survival_status == "alive"]
    not_alive = sum(1 for row in rows if not row.enrolled and row.survival_status != "alive")
    created = _insert_renewals(uow, policy, township_code, fresh)
    result = RenewalResult(
        township_code=township_code,
        insurance_year=policy.insurance_year,
        from_year=source_year,
        candidates=len(rows),
        created=created,
        already_enrolled=sum(1 for row in rows if row.enrolled),
        not_alive=not_alive,
    )
    uow.audit("renew", "township", township_code, None, result.__dict__ | {"policy_id": policy.id})
    uow.commit()
    return result


def _insert_renewals(uow: UnitOfWork, policy: Policy, township_code: str, rows: list[Any]) -> int:
    if not rows:
        return 0
    digest = policy_digest(policy)
    values = [
        {
            "resident_id": row.resident_id,
            "household_id": row.household_id,
            "insurance_year": policy.insurance_year,
            "insurance_type": "390",
            "policy_id": policy.id,
            "policy_hash": digest,
            "township_code": township_code,
            "channel": row.channel,
            "organization_id": row.organization_id,
            "state": EnrollmentState.REGISTERED,
            # Schooling carries over; an age-derived category and last year's tier are for the engine to decide.
            "category": "student" if row.category == "student" else None,
            "tier": row.tier if row.tier in policy.tiers else None,
            "assisted_by_payer_fen": {},
            "rules": [],
            "assumptions": [],
            "registered_at": uow.now,
        }
        for row in rows
    ]
    inserted = uow.session.execute(insert(Enrollment).returning(Enrollment.id, Enrollment.resident_id), values).all()
    _audit_many(
        uow,
        "renew",
        [
            (
                enrollment_id,
                {
                    "resident_id": resident_id,
                    "insurance_year": policy.insurance_year,
                    "state": EnrollmentState.REGISTERED,
                },
            )
            for enrollment_id, resident_id in inserted
        ],
    )
    return len(inserted)


def _audit_many(uow: UnitOfWork, action: str, entries: list[tuple[int, dict[str, Any]]]) -> None:
    """One audit entry per enrollment, in one statement (the bulk paths create records, so no "before")."""
    uow.audit_many([(action, "enrollment", entity_id, None, after) for entity_id, after in entries])


@dataclass(frozen=True)
class BulkAssessResult:
    township_code: str
    waiting: int
    assessed: int
    not_eligible: dict[str, int]  # reason code -> count; these stay `registered`


def assess_township(uow: UnitOfWork, principal: Principal, township_code: str, policy_id: str) -> BulkAssessResult:
    """Assess every ``registered`` enrollment of a township under a policy, in one vectorized pass."""
    principal.require(Permission.WRITE_RESIDENTS)
    principal.require_township(township_code)
    policy = get_policy(policy_id, uow.session)
    check_policy_covers(uow, policy, township_code)
    session = uow.session
    waiting = session.execute(
        select(
            Enrollment.id,
            Enrollment.resident_id,
            Resident.id_number,
            Resident.residency,
            Enrollment.registered_at,
            Enrollment.category,
            Enrollment.tier,
            Enrollment.channel,
        )
        .join(Resident, Resident.id == Enrollment.resident_id)
        .where(
            Enrollment.township_code == township_code,
            Enrollment.policy_id == policy.id,
            Enrollment.state == EnrollmentState.REGISTERED,
            enrollment_scope(principal),
        )
        .order_by(Enrollment.id)
    ).all()
    inputs = inputs_of_rows(uow, policy, waiting)
    results = assess_inputs(policy, inputs)
    # A tier carried from last year may not be open to this year's category (a child turned adult): such rows
    # take the plan's default tier for their category, as a new enrollee would.
    retry = [index for index, result in enumerate(results) if result["reason"] == "tier_not_allowed"]
    if retry:
        again = assess_inputs(policy, [dataclasses.replace(inputs[index], tier=None) for index in retry])
        for index, result in zip(retry, again, strict=True):
            results[index] = result
    updates: list[dict[str, Any]] = []
    not_eligible: dict[str, int] = {}
    for row, result in zip(waiting, results, strict=True):
        if result["eligible"]:
            updates.append(
                {"id": row.id, "state": EnrollmentState.ASSESSED, "assessed_at": uow.now}
                | frozen_fields(policy, result)
            )
        else:
            not_eligible[result["reason"]] = not_eligible.get(result["reason"], 0) + 1
    if updates:
        session.execute(update(Enrollment), updates)
        _audit_many(
            uow,
            "assess",
            [
                (
                    item["id"],
                    {
                        "state": EnrollmentState.ASSESSED,
                        "category": item["category"],
                        "tier": item["tier"],
                        "individual_due_fen": item["individual_due_fen"],
                        "assisted_subsidy_fen": item["assisted_subsidy_fen"],
                        "benefit_start": item["benefit_start"].isoformat() if item["benefit_start"] else None,
                        "benefit_end": item["benefit_end"].isoformat() if item["benefit_end"] else None,
                    },
                )
                for item in updates
            ],
        )
    uow.commit()
    return BulkAssessResult(township_code, len(waiting), len(updates), not_eligible)


@dataclass
class TownshipCount:
    township_code: str
    township_name: str
    by_state: dict[str, int]
    individual_due_fen: int

    @property
    def live(self) -> int:
        return sum(count for state, count in self.by_state.items() if state != EnrollmentState.CANCELLED)


def enrollment_counts(uow: UnitOfWork, principal: Principal, insurance_year: int) -> list[TownshipCount]:
    """Enrollments of a year per township and state, within the principal's area (a role's home page)."""
    principal.require(Permission.READ_RESIDENTS)
    rows = uow.session.execute(
        select(
            Enrollment.township_code,
            Area.name,
            Enrollment.state,
            func.count(Enrollment.id),
            func.coalesce(func.sum(Enrollment.individual_due_fen), 0),
        )
        .join(Area, Area.code == Enrollment.township_code)
        .where(Enrollment.insurance_year == insurance_year, enrollment_scope(principal))
        .group_by(Enrollment.township_code, Area.name, Enrollment.state)
        .order_by(Enrollment.township_code)
    ).all()
    counts: dict[str, TownshipCount] = {}
    for code, name, state, count, due in rows:
        entry = counts.setdefault(code, TownshipCount(code, name, {}, 0))
        entry.by_state[state] = count
        if state != EnrollmentState.CANCELLED:
            entry.individual_due_fen += int(due or 0)
    return list(counts.values())
