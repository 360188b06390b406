"""Use cases of the system of record: seed a district's areas; register a household and enroll it whole.

Each runs inside a :class:`~yibao.adapters.db.unit_of_work.UnitOfWork`: everything it writes, audit entries
included, commits together or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import polars as pl
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from yibao.adapters.db.tables import Area, Enrollment, Household, HouseholdMember, IdentityFlag, Resident
from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.adapters.policy_hash import policy_hash
from yibao.adapters.township_data import DISTRICTS
from yibao.domain import idnumber
from yibao.domain.engine import fired
from yibao.domain.engine.assess import assess
from yibao.domain.engine.reasons import reason_text
from yibao.domain.errors import YibaoError
from yibao.domain.policy import Policy
from yibao.domain.policy.rules import assumptions_of
from yibao.domain.timeutil import as_shanghai
from yibao.services.policies import get_policy

LIVE_STATES = ("registered", "assessed", "notified", "paid", "effective")


def seed_district(uow: UnitOfWork, district_code: str) -> int:
    """Add a district and its townships (today's statistical codes); existing areas are left as they are."""
    name, townships = DISTRICTS[district_code]
    session = uow.session
    added = 0
    district_key = f"{district_code}000000"
    if session.get(Area, district_key) is None:
        session.add(Area(code=district_key, name=name, level="district", parent_code=None))
        session.flush()
        added += 1
    for code, township in townships:
        if session.get(Area, code) is None:
            session.add(Area(code=code, name=township, level="township", parent_code=district_key))
            added += 1
    if added:
        uow.audit("seed", "district", district_key, None, {"areas_added": added})
    uow.commit()
    return added


@dataclass(frozen=True)
class Member:
    id_number: str
    name: str
    relation: str  # 与户主关系: 户主, 配偶, 子女, 父母, 其他
    category: str | None = None
    tier: str | None = None
    identities: tuple[str, ...] = ()
    phone: str | None = None


@dataclass(frozen=True)
class HouseholdEnrollment:
    policy_id: str
    township_code: str
    channel: str
    registered_at: datetime
    members: tuple[Member, ...]
    address: str | None = None
    household_number: str | None = None


@dataclass
class EnrolledMember:
    resident_id: int
    enrollment_id: int
    name: str
    id_number_masked: str
    assessment: dict[str, Any] = field(default_factory=dict)


def _area(uow: UnitOfWork, code: str, level: str) -> Area:
    area = uow.session.get(Area, code)
    if area is None or area.level != level:
        raise YibaoError("AREA_UNKNOWN", field="township_code", area=code, level={"township": "镇（街）"}[level])
    return area


def _check_members(request: HouseholdEnrollment, on: Any) -> list[idnumber.ResidentId]:
    if not request.members:
        raise YibaoError("HOUSEHOLD_EMPTY", field="members")
    heads = sum(1 for member in request.members if member.relation == "户主")
    if heads != 1:
        raise YibaoError("HOUSEHOLD_HEAD", field="members", count=heads)
    parsed: list[idnumber.ResidentId] = []
    seen: dict[str, int] = {}
    for row, member in enumerate(request.members, start=1):
        try:
            resident = idnumber.parse(member.id_number, on=on)
        except YibaoError as error:
            error.row = row
            raise
        if resident.number in seen:
            raise YibaoError("DUPLICATE_IN_REQUEST", field="id_number", row=row, first=seen[resident.number])
        seen[resident.number] = row
        parsed.append(resident)
    return parsed


def _assess_members(policy: Policy, request: HouseholdEnrollment, numbers: list[str]) -> pl.DataFrame:
    registered_at = as_shanghai(request.registered_at)
    frame = pl.DataFrame(
        {
            "id_number": numbers,
            "registered_at": [registered_at] * len(numbers),
            "category": [member.category for member in request.members],
            "tier": [member.tier for member in request.members],
            "identities": [list(member.identities) for member in request.members],
            "channel": [request.channel] * len(numbers),
        },
        schema_overrides={"identities": pl.List(pl.String), "category": pl.String, "tier": pl.String},
    )
    return assess(policy, frame)


def _already_enrolled(uow: UnitOfWork, resident: Resident, year: int) -> YibaoError | None:
    existing = uow.session.scalars(
        select(Enrollment).where(
            Enrollment.resident_id == resident.id,
            Enrollment.insurance_year == year,
            Enrollment.state.in_(LIVE_STATES),
        )
    ).first()
    if existing is None:
        return None
    township = uow.session.get(Area, existing.township_code)
    return YibaoError(
        "ALREADY_ENROLLED",
        field="id_number",
        number=idnumber.mask(resident.id_number),
        township=township.name if township else existing.township_code,
        year=year,
        state=existing.state,
    )


def _resident(uow: UnitOfWork, parsed: idnumber.ResidentId, member: Member, request: HouseholdEnrollment) -> Resident:
    resident = uow.session.scalars(select(Resident).where(Resident.id_number == parsed.number)).first()
    if resident is not None:
        if resident.name != member.name:
            raise YibaoError(
                "RESIDENT_NAME_MISMATCH",
                field="name",
                number=idnumber.mask(parsed.number),
                registered=resident.name,
                given=member.name,
            )
        return resident
    resident = Resident(
        id_number=parsed.number,
        name=member.name,
        sex=parsed.sex.value,
        birth_date=parsed.birth_date,
        phone=member.phone,
        address=request.address,
        township_code=request.township_code,
    )
    uow.session.add(resident)
    uow.session.flush()
    uow.audit("create", "resident", resident.id, None, _resident_record(resident))
    return resident


def _resident_record(resident: Resident) -> dict[str, Any]:
    return {
        "id_number": idnumber.mask(resident.id_number),
        "name": resident.name,
        "sex": resident.sex,
        "birth_date": resident.birth_date.isoformat(),
        "township_code": resident.township_code,
    }


def enroll_household(uow: UnitOfWork, request: HouseholdEnrollment) -> list[EnrolledMember]:
    """Register a household and enroll every member in one step (整户参保), assessed under the policy.

    The household is checked whole: a bad ID number, a member not eligible, or a member already enrolled this
    year anywhere refuses the whole request and writes nothing.
    """
    policy = get_policy(request.policy_id)
    _area(uow, request.township_code, "township")
    parsed = _check_members(request, as_shanghai(request.registered_at).date())
    assessed = _assess_members(policy, request, [resident.number for resident in parsed])
    for row, (member, result) in enumerate(zip(request.members, assessed.iter_rows(named=True), strict=True), 1):
        if not result["eligible"]:
            zh, en = reason_text(result["reason"])
            raise YibaoError("NOT_ELIGIBLE", field="members", row=row, name=member.name, reason=zh, reason_en=en)
    try:
        enrolled = _write(uow, policy, request, parsed, assessed)
        uow.commit()
    except IntegrityError:
        # Another clerk enrolled one of these people between our check and our write: the database's unique
        # indexes decided (on the resident's ID number or on the live enrollment). Report it as the check does.
        uow.session.rollback()
        for resident_id in parsed:
            resident = uow.session.scalars(select(Resident).where(Resident.id_number == resident_id.number)).first()
            refusal = _already_enrolled(uow, resident, policy.insurance_year) if resident is not None else None
            if refusal is not None:
                raise refusal from None
        raise
    return enrolled


def _write(
    uow: UnitOfWork,
    policy: Policy,
    request: HouseholdEnrollment,
    parsed: list[idnumber.ResidentId],
    assessed: pl.DataFrame,
) -> list[EnrolledMember]:
    household = Household(township_code=request.township_code, number=request.household_number, address=request.address)
    uow.session.add(household)
    uow.session.flush()
    uow.audit("create", "household", household.id, None, {"township_code": request.township_code})
    enrolled = []
    for member, resident_id, result in zip(request.members, parsed, assessed.iter_rows(named=True), strict=True):
        resident = _resident(uow, resident_id, member, request)
        refusal = _already_enrolled(uow, resident, policy.insurance_year)
        if refusal is not None:
            raise refusal
        uow.session.add(HouseholdMember(household_id=household.id, resident_id=resident.id, relation=member.relation))
        for identity in member.identities:
            uow.session.add(IdentityFlag(resident_id=resident.id, identity=identity, source="counter"))
        enrollment = _enrollment(uow, policy, request, resident, household, result)
        enrolled.append(
            EnrolledMember(
                resident.id, enrollment.id, member.name, idnumber.mask(resident.id_number), _summary(enrollment)
            )
        )
    return enrolled


def _enrollment(
    uow: UnitOfWork,
    policy: Policy,
    request: HouseholdEnrollment,
    resident: Resident,
    household: Household,
    result: dict[str, Any],
) -> Enrollment:
    rule_ids = fired.decode(policy, [result[name] for name in fired.mask_names(policy)])
    enrollment = Enrollment(
        resident_id=resident.id,
        household_id=household.id,
        insurance_year=policy.insurance_year,
        policy_id=policy.id,
        policy_hash=policy_hash(policy.id),
        township_code=request.township_code,
        channel=request.channel,
        state="assessed",
        category=result["category"],
        tier=result["tier"],
        benefit_tier=result["benefit_tier"],
        financing_total_fen=result["financing_total_fen"],
        government_subsidy_fen=result["government_subsidy_fen"],
        assisted_subsidy_fen=result["assisted_subsidy_fen"],
        individual_due_fen=result["individual_due_fen"],
        assisted_by_payer_fen={p: result[f"assisted_fen__{p}"] for p in policy.payers if result[f"assisted_fen__{p}"]},
        benefit_start=result["benefit_start"],
        benefit_end=result["benefit_end"],
        rules=rule_ids,
        assumptions=[assumption.id for assumption in assumptions_of(policy, rule_ids)],
        registered_at=as_shanghai(request.registered_at),
        assessed_at=uow.now,
    )
    uow.session.add(enrollment)
    uow.session.flush()
    uow.audit("enroll", "enrollment", enrollment.id, None, _summary(enrollment))
    return enrollment


def _summary(enrollment: Enrollment) -> dict[str, Any]:
    return {
        "resident_id": enrollment.resident_id,
        "insurance_year": enrollment.insurance_year,
        "policy_id": enrollment.policy_id,
        "township_code": enrollment.township_code,
        "state": enrollment.state,
        "category": enrollment.category,
        "tier": enrollment.tier,
        "benefit_tier": enrollment.benefit_tier,
        "individual_due_fen": enrollment.individual_due_fen,
        "assisted_subsidy_fen": enrollment.assisted_subsidy_fen,
        "assisted_by_payer_fen": enrollment.assisted_by_payer_fen,
        "benefit_start": enrollment.benefit_start.isoformat() if enrollment.benefit_start else None,
        "benefit_end": enrollment.benefit_end.isoformat() if enrollment.benefit_end else None,
    }
