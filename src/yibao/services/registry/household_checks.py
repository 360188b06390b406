"""What a household's registration checks against the registry before anything is written: the place (township,
channel, village, organization) is the principal's to register in, and each member's record — found by ID number
or new — may be enrolled by them this year, told in words that say nothing of a person outside their area."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from yibao.adapters.db.tables import Area, Enrollment, Organization, Resident
from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.domain import idnumber
from yibao.domain.errors import YibaoError
from yibao.domain.policy import Policy
from yibao.domain.states import LIVE_ENROLLMENTS, EnrollmentState
from yibao.domain.vocabulary import CHANNELS
from yibao.services.access import ROLE_NAMES, Principal, Role, person_outside
from yibao.services.registry.areas import check_village
from yibao.services.registry.enrollments import check_policy_covers

if TYPE_CHECKING:  # the request types live with the use case, which imports this module
    from yibao.services.registry.households import HouseholdEnrollment, Member


def check_place(
    uow: UnitOfWork,
    principal: Principal,
    policy: Policy,
    township_code: str,
    channel: str,
    village_code: str | None = None,
    organization_id: int | None = None,
) -> None:
    """The township must be the principal's, under the policy's district; an institution enrolls only its own."""
    principal.require_township(township_code)
    check_policy_covers(uow, policy, township_code)
    if channel not in CHANNELS:
        raise YibaoError("CHANNEL_UNKNOWN", field="channel", value=channel, allowed=", ".join(CHANNELS))
    if village_code is not None:
        check_village(uow, township_code, village_code)
    if principal.role is Role.INSTITUTION:
        organization = uow.session.get_one(Organization, principal.organization_id)
        if organization_id not in (None, organization.id) or channel != organization.kind:
            raise YibaoError(
                "CHANNEL_NOT_ALLOWED",
                field="channel",
                role=ROLE_NAMES[principal.role],
                organization=organization.name,
                allowed=CHANNELS[organization.kind],
            )
    elif organization_id is not None:
        named = uow.session.get(Organization, organization_id)
        if named is None or named.township_code != township_code:
            raise YibaoError("ORGANIZATION_UNKNOWN", field="organization_id", id=organization_id)


def _live_enrollments(uow: UnitOfWork, residents: list[Resident], year: int) -> dict[int, YibaoError]:
    """The refusal for each of these residents already enrolled this year, anywhere in the country's system."""
    ids = [resident.id for resident in residents]
    if not ids:
        return {}
    rows = uow.session.execute(
        select(Enrollment.resident_id, Enrollment.state, Enrollment.township_code, Area.name)
        .outerjoin(Area, Area.code == Enrollment.township_code)
        .where(
            Enrollment.resident_id.in_(ids),
            Enrollment.insurance_year == year,
            Enrollment.state.in_(LIVE_ENROLLMENTS),
        )
    )
    number_of = {resident.id: resident.id_number for resident in residents}
    return {
        resident_id: YibaoError(
            "ALREADY_ENROLLED",
            field="id_number",
            number=idnumber.mask(number_of[resident_id]),
            township=township_name or township_code,
            year=year,
            state=EnrollmentState(state).zh,
        )
        for resident_id, state, township_code, township_name in rows
    }


def _outside(principal: Principal, resident: Resident, member: Member, row: int, enrolled: bool) -> YibaoError | None:
    """A known person registered outside the principal's area (:func:`person_outside`): already enrolled, or a
    name that differs, told without their name, township or state; otherwise refused too — another township's
    person is transferred by the district first — except for an institution, which enrolls its pupils from any
    township."""
    number = idnumber.mask(resident.id_number)
    if enrolled:
        return YibaoError("ENROLLED_ELSEWHERE", field="id_number", row=row, number=number)
    if resident.name != member.name:
        return YibaoError("RESIDENT_NAME_DIFFERS", field="name", row=row, number=number, given=member.name)
    if principal.role is Role.INSTITUTION:
        return None
    return YibaoError("RESIDENT_ELSEWHERE", field="id_number", row=row, number=number)


def member_residents(
    uow: UnitOfWork, principal: Principal, parsed: list[idnumber.ResidentId], request: HouseholdEnrollment, year: int
) -> list[Resident]:
    """Each member's resident record, found by ID number or new (not yet written); refused row by row when the
    name differs from the one on record or the resident is already enrolled this year — in words that tell
    nothing of a person outside the principal's area."""
    numbers = [resident.number for resident in parsed]
    known = {
        resident.id_number: resident
        for resident in uow.session.scalars(select(Resident).where(Resident.id_number.in_(numbers)))
    }
    refusals = _live_enrollments(uow, list(known.values()), year)
    residents = []
    problems = []
    for row, (member, resident_id) in enumerate(zip(request.members, parsed, strict=True), 1):
        resident = known.get(resident_id.number)
        if resident is None:
            resident = Resident(
                id_number=resident_id.number,
                name=member.name,
                sex=resident_id.sex.value,
                birth_date=resident_id.birth_date,
                phone=member.phone,
                address=request.address,
                township_code=request.township_code,
                village_code=request.village_code,
                residency=member.residency or "local_hukou",
            )
        elif person_outside(principal, resident.township_code):
            if (refusal := _outside(principal, resident, member, row, resident.id in refusals)) is not None:
                problems.append(refusal)
        elif resident.name != member.name:
            problems.append(
                YibaoError(
                    "RESIDENT_NAME_MISMATCH",
                    field="name",
                    row=row,
                    number=idnumber.mask(resident_id.number),
                    registered=resident.name,
                    given=member.name,
                )
            )
        elif resident.id in refusals:
            refusal = refusals[resident.id]
            refusal.row = row
            problems.append(refusal)
        residents.append(resident)
    if problems:
        raise YibaoError.all_of(problems)
    return residents
