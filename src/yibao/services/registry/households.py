"""Register a household at the counter and enroll it whole (整户参保登记).

Each runs inside a :class:`~yibao.adapters.db.unit_of_work.UnitOfWork`: everything it writes, audit entries
included, commits together or not at all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError

from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.domain import idnumber
from yibao.domain.engine.reasons import reason_text
from yibao.domain.errors import YibaoError
from yibao.domain.person_fields import check_name, check_phone, check_residency
from yibao.domain.policy import Policy
from yibao.domain.timeutil import as_shanghai
from yibao.domain.vocabulary import IDENTITIES
from yibao.services.access import Permission, Principal
from yibao.services.policy.campaigns import choose, open_campaigns
from yibao.services.policy.plans import get_policy
from yibao.services.registry.assessment import AssessInput, assess_inputs, summary
from yibao.services.registry.household_checks import check_place, member_residents
from yibao.services.registry.household_records import with_records
from yibao.services.registry.household_write import Written, write_household
from yibao.services.registry.views import EnrolledHouseholdView, EnrolledMemberView, enrollment_view, shown_id

T = TypeVar("T")


@dataclass(frozen=True)
class Member:
    id_number: str
    name: str
    relation: str  # 与户主关系: 户主, 配偶, 子女, 父母, 其他
    category: str | None = None
    tier: str | None = None
    identities: tuple[str, ...] = ()
    phone: str | None = None
    residency: str | None = None  # None: as on record; for a person new to the registry, local hukou
    evidence: str | None = None  # the certificate the clerk saw for the identities claimed (低保证 …第123号)
    # Filled from the record (see household_records), not by the clerk: identities a department certified, and
    # those claimed before, valid on the day.
    certified: tuple[str, ...] = ()
    claimed: tuple[str, ...] = ()

    def identities_assessed(self, policy: Policy) -> tuple[str, ...]:
        """The certified identities, and the claimed ones where the plan subsidises a claim until it is decided."""
        claims = (*self.identities, *self.claimed) if policy.assisted.claims_subsidised else ()
        return tuple(dict.fromkeys((*self.certified, *claims)))


@dataclass(frozen=True)
class HouseholdEnrollment:
    policy_id: str
    township_code: str
    channel: str
    registered_at: datetime
    members: tuple[Member, ...]
    address: str | None = None
    household_number: str | None = None
    village_code: str | None = None
    organization_id: int | None = None  # the school or institution enrolling its own people


@dataclass
class EnrolledMember:
    resident_id: int
    enrollment_id: int
    name: str
    id_number_masked: str
    assessment: dict[str, Any] = field(default_factory=dict)
    relation: str = ""
    household_id: int = 0


def _check_members(request: HouseholdEnrollment, on: Any) -> tuple[HouseholdEnrollment, list[idnumber.ResidentId]]:
    """The household with each member's name and phone as stored, and each ID number parsed — or every problem of
    every member at once (:meth:`YibaoError.all_of`), each naming its row, so the clerk corrects them in one go.
    The rules are the ones every entry path uses (:mod:`yibao.domain.person_fields`)."""
    if not request.members:
        raise YibaoError("HOUSEHOLD_EMPTY", field="members")
    problems: list[YibaoError] = []
    heads = sum(1 for member in request.members if member.relation == "户主")
    if heads != 1:
        problems.append(YibaoError("HOUSEHOLD_HEAD", field="members", count=heads))
    members: list[Member] = []
    parsed: list[idnumber.ResidentId] = []
    seen: dict[str, int] = {}
    for row, member in enumerate(request.members, start=1):
        name, phone = member.name, member.phone
        try:
            name = check_name(member.name, row=row)
        except YibaoError as error:
            problems.append(error)
        try:
            phone = check_phone(member.phone, row=row)
            if member.residency is not None:
                check_residency(member.residency, row=row)
        except YibaoError as error:
            problems.append(error)
        members.append(replace(member, name=name, phone=phone))
        try:
            resident = idnumber.parse(member.id_number, on=on)
        except YibaoError as error:
            error.row = row
            problems.append(error)
            continue
        if resident.number in seen:
            problems.append(YibaoError("DUPLICATE_IN_REQUEST", field="id_number", row=row, first=seen[resident.number]))
        seen.setdefault(resident.number, row)
        parsed.append(resident)
    if problems:
        raise YibaoError.all_of(problems)
    return replace(request, members=tuple(members)), parsed


def _assess_members(policy: Policy, request: HouseholdEnrollment, numbers: list[str]) -> list[dict[str, Any]]:
    return assess_inputs(
        policy,
        [
            AssessInput(
                number,
                request.registered_at,
                member.category,
                member.tier,
                member.identities_assessed(policy),
                request.channel,
                residency=member.residency,
            )
            for number, member in zip(numbers, request.members, strict=True)
        ],
    )


def _campaign_of(uow: UnitOfWork, principal: Principal, request: HouseholdEnrollment, numbers: list[str]) -> Policy:
    """The plan named, else the open campaign the household belongs to: the one whose registration window is
    open, else the one whose plan takes every member on the day (a newborn of this year while next year's
    campaign is already open), as :func:`yibao.services.policy.campaigns.choose` decides."""
    if request.policy_id:
        return get_policy(request.policy_id, uow.session)
    day = as_shanghai(request.registered_at).date()
    rows = open_campaigns(uow.session, principal.district, day)
    if not rows:
        raise YibaoError("CAMPAIGN_NONE_OPEN", field="policy_id", district=principal.district, day=day.isoformat())
    plans = [get_policy(row.policy_id, uow.session) for row in rows]
    return choose(plans, day, lambda plan: all(r["eligible"] for r in _assess_members(plan, request, numbers)))


def _pending(policy: Policy, member: Member) -> dict[str, Any]:
    """A member's identities claimed and not yet certified, and what the plan does with them until a list decides."""
    pending = [
        identity
        for identity in dict.fromkeys((*member.identities, *member.claimed))
        if identity not in member.certified
    ]
    if not pending:
        return {}
    names = "、".join(IDENTITIES.get(identity, identity) for identity in pending)
    rule = "确认前先按申报资助" if policy.assisted.claims_subsidised else "确认前不予资助，按普通参保人员缴费"
    return {"pending_identities": pending, "pending_note": f"{names}为申报身份，待部门名单确认；{rule}"}


def _enroll_and_commit(
    uow: UnitOfWork,
    principal: Principal,
    request: HouseholdEnrollment,
    answer: Callable[[list[Written]], T],
    *,
    preview: bool = False,
) -> T:
    """Check the household whole, write it, shape the answer from what was written, then commit — or, for a
    preview, roll it all back: the clerk sees exactly what registering would give (every check, every figure,
    written the same way) and nothing stays.

    The answer is shaped before the commit because committing expires every loaded row: reading them back
    would cost a query per row, on the counter's busiest path.
    """
    principal.require(Permission.WRITE_RESIDENTS)
    day = as_shanghai(request.registered_at).date()
    request, parsed = _check_members(request, day)
    request = with_records(uow, principal, request, parsed, day)
    policy = _campaign_of(uow, principal, request, [resident.number for resident in parsed])
    check_place(
        uow, principal, policy, request.township_code, request.channel, request.village_code, request.organization_id
    )
    assessed = _assess_members(policy, request, [resident.number for resident in parsed])
    refused = []
    for row, (member, result) in enumerate(zip(request.members, assessed, strict=True), 1):
        if not result["eligible"]:
            zh, en = reason_text(result["reason"])
            refused.append(
                YibaoError("NOT_ELIGIBLE", field="members", row=row, name=member.name, reason=zh, reason_en=en)
            )
    if refused:
        raise YibaoError.all_of(refused)
    try:
        residents = member_residents(uow, principal, parsed, request, policy.insurance_year)
        answered = answer(write_household(uow, principal, policy, request, residents, assessed))
        if preview:
            uow.rollback()
        else:
            uow.commit()
    except IntegrityError:
        # Another clerk enrolled one of these people between our check and our write: the database's unique
        # indexes decided (on the resident's ID number or on the live enrollment). Report it as the check does.
        uow.session.rollback()
        try:
            member_residents(uow, principal, parsed, request, policy.insurance_year)
        except YibaoError as refusal:
            raise refusal from None
        raise
    return answered


def enroll_household(uow: UnitOfWork, principal: Principal, request: HouseholdEnrollment) -> list[EnrolledMember]:
    """Register a household and enroll every member in one step (整户参保), assessed under the policy.

    The household is checked whole: a bad ID number, a member not eligible, or a member already enrolled this
    year anywhere refuses the whole request and writes nothing.
    """

    def members(written: list[Written]) -> list[EnrolledMember]:
        return [
            EnrolledMember(
                item.resident.id,
                item.enrollment.id,
                item.member.name,
                idnumber.mask(item.resident.id_number),
                summary(item.enrollment),
                item.member.relation,
                item.household.id,
            )
            for item in written
        ]

    return _enroll_and_commit(uow, principal, request, members)


def enroll_household_view(
    uow: UnitOfWork, principal: Principal, request: HouseholdEnrollment, *, preview: bool = False
) -> EnrolledHouseholdView:
    """:func:`enroll_household`, answered member by member with the clauses behind each figure (API and web);
    ``preview``: the same answer with nothing written (its ids name no record)."""

    def view(written: list[Written]) -> EnrolledHouseholdView:
        policy = get_policy(written[0].enrollment.policy_id, uow.session)
        members = [
            EnrolledMemberView(
                resident_id=item.resident.id,
                name=item.resident.name,
                id_number=shown_id(principal, item.resident.id_number),
                relation=item.member.relation,
                enrollment=enrollment_view(item.enrollment),
                **_pending(policy, item.member),
            )
            for item in written
        ]
        return EnrolledHouseholdView(
            household_id=written[0].household.id,
            township_code=request.township_code,
            members=members,
            individual_due_total_fen=sum(m.enrollment.individual_due_fen or 0 for m in members),
        )

    return _enroll_and_commit(uow, principal, request, view, preview=preview)
