"""Writing a checked household (整户参保登记): one INSERT per table whatever its size — household, new residents,
members, identity flags, enrollments, audit entries — into the household its known members already belong to, or
a new one. The checks come first, in :mod:`yibao.services.registry.households`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select, update

from yibao.adapters.db.tables import Enrollment, Household, HouseholdMember, IdentityFlag, Resident
from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.domain.certification import COUNTER_SOURCE
from yibao.domain.policy import Policy
from yibao.domain.states import EnrollmentState
from yibao.domain.timeutil import as_shanghai
from yibao.services.access import Principal, Role
from yibao.services.registry.assessment import frozen_fields, summary
from yibao.services.registry.residents import resident_record

if TYPE_CHECKING:  # the request types live with the checks, which call this module
    from yibao.services.registry.households import HouseholdEnrollment, Member


@dataclass(frozen=True)
class Written:
    member: Member
    resident: Resident
    enrollment: Enrollment
    household: Household


def write_household(
    uow: UnitOfWork,
    principal: Principal,
    policy: Policy,
    request: HouseholdEnrollment,
    residents: list[Resident],
    assessed: list[dict[str, Any]],
) -> list[Written]:
    """One INSERT per table whatever the household's size (household, new residents, members, identity flags,
    enrollments, audit entries), each returning the rows it wrote where the answer needs them.

    Bulk INSERT … RETURNING rather than the session's unit of work: on the counter's busiest path the unit of
    work's bookkeeping for a dozen new objects cost more than the statements themselves."""
    session = uow.session
    known = [resident.id for resident in residents if resident.id is not None]
    memberships = dict(
        session.execute(
            select(HouseholdMember.resident_id, HouseholdMember.household_id).where(
                HouseholdMember.resident_id.in_(known)
            )
        ).all()
    )
    household = _household_of(uow, request, residents, memberships)
    new_rows = [
        {key: getattr(resident, key) for key in _NEW_RESIDENT_FIELDS} for resident in residents if resident.id is None
    ]
    created = (
        session.scalars(insert(Resident).returning(Resident, sort_by_parameter_order=True), new_rows).all()
        if new_rows
        else []
    )
    stored = {resident.id_number: resident for resident in created}
    residents = [stored.get(resident.id_number, resident) for resident in residents]
    pairs = list(zip(request.members, residents, strict=True))
    joining = [(member, resident) for member, resident in pairs if resident.id not in memberships]
    if joining:
        session.execute(
            insert(HouseholdMember),
            [
                {"household_id": household.id, "resident_id": resident.id, "relation": member.relation}
                for member, resident in joining
            ],
        )
    for member, resident in pairs:
        earlier = memberships.get(resident.id)
        if earlier is not None and earlier != household.id:  # registered now with this household: moved into it
            session.execute(
                update(HouseholdMember)
                .where(HouseholdMember.resident_id == resident.id)
                .values(household_id=household.id, relation=member.relation)
            )
            uow.audit("move", "resident", resident.id, {"household_id": earlier}, {"household_id": household.id})
    # A claim is recorded once: not again where a department certified it or an earlier claim stands.
    flags = [
        {"resident_id": resident.id, "identity": identity, "source": COUNTER_SOURCE, "evidence": member.evidence}
        for member, resident in zip(request.members, residents, strict=True)
        for identity in member.identities
        if identity not in member.certified and identity not in member.claimed
    ]
    if flags:
        session.execute(insert(IdentityFlag), flags)
    organization_id = principal.organization_id if principal.role is Role.INSTITUTION else request.organization_id
    enrollments = session.scalars(
        insert(Enrollment).returning(Enrollment, sort_by_parameter_order=True),
        [
            {
                "resident_id": resident.id,
                "household_id": household.id,
                "insurance_year": policy.insurance_year,
                "township_code": request.township_code,
                "channel": request.channel,
                "organization_id": organization_id,
                "state": EnrollmentState.ASSESSED,
                "registered_at": as_shanghai(request.registered_at),
                "assessed_at": uow.now,
                **frozen_fields(policy, result),
            }
            for resident, result in zip(residents, assessed, strict=True)
        ],
    ).all()
    written = [
        Written(member, resident, enrollment, household)
        for member, resident, enrollment in zip(request.members, residents, enrollments, strict=True)
    ]
    uow.audit_many(
        [
            *[("create", "resident", resident.id, None, resident_record(resident)) for resident in created],
            *[("enroll", "enrollment", item.enrollment.id, None, summary(item.enrollment)) for item in written],
        ]
    )
    return written


def _household_of(
    uow: UnitOfWork, request: HouseholdEnrollment, residents: list[Resident], memberships: dict[int, int]
) -> Household:
    """The household a registration is for: where known members already belong to one — a lapsed family coming
    back, a cancelled enrollment redone — that household (the head's, where they are in several: the others move
    into it), else a new one. (Before, the counter made a new household every time, and the database refused a
    person who was already a member of one: a lapsed resident could never be enrolled again.)"""
    head = next((r for m, r in zip(request.members, residents, strict=True) if m.relation == "户主"), None)
    existing = memberships.get(head.id) if head is not None and head.id is not None else None
    existing = existing or next((memberships[r.id] for r in residents if r.id in memberships), None)
    if existing is not None:
        return uow.session.get_one(Household, existing)
    household = uow.session.scalars(
        insert(Household).returning(Household),
        [
            {
                "township_code": request.township_code,
                "village_code": request.village_code,
                "number": request.household_number,
                "address": request.address,
            }
        ],
    ).one()
    uow.audit("create", "household", household.id, None, {"township_code": request.township_code})
    return household


# The columns a new resident is written with (the others take their defaults).
_NEW_RESIDENT_FIELDS = (
    "id_number",
    "name",
    "sex",
    "birth_date",
    "phone",
    "address",
    "township_code",
    "village_code",
    "residency",
)
