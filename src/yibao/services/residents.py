"""Use cases on residents: search, look one up, change information (信息变更), and read a record's history.

All of them see only what the principal's area covers (:func:`~yibao.services.access.resident_scope`); a
resident outside it is "not found", never "forbidden".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, or_, select

from yibao.adapters.db.tables import (
    Area,
    AuditEntry,
    Enrollment,
    Household,
    HouseholdMember,
    IdentityFlag,
    Resident,
    ResidentChange,
)
from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.domain import idnumber
from yibao.domain.errors import YibaoError
from yibao.domain.vocabulary import RESIDENCIES
from yibao.services.access import Permission, Principal, resident_scope
from yibao.services.assessment import AssessInput, assess_inputs, frozen_fields, identities_on, summary
from yibao.services.policies import get_policy
from yibao.services.views import (
    AuditView,
    HouseholdView,
    IdentityView,
    MemberView,
    ResidentDetail,
    ResidentPage,
    audit_view,
    enrollment_view,
    resident_summary,
    shown_id,
)

MAX_PAGE = 200
ID_LIKE = re.compile(r"^[0-9]{4,17}[0-9Xx]?$")
# States whose figures may still be recomputed: once a notice is out or money is in, the assessment stands.
REASSESSABLE = ("registered", "assessed")


@dataclass(frozen=True)
class SearchQuery:
    text: str | None = None  # an ID number (or its beginning) or part of a name
    township_code: str | None = None
    village_code: str | None = None
    household_id: int | None = None
    limit: int = 50
    offset: int = 0


def _township_names(uow: UnitOfWork, codes: set[str]) -> dict[str, str]:
    if not codes:
        return {}
    return {code: name for code, name in uow.session.execute(select(Area.code, Area.name).where(Area.code.in_(codes)))}


def search(uow: UnitOfWork, principal: Principal, query: SearchQuery) -> ResidentPage:
    principal.require(Permission.READ_RESIDENTS)
    conditions = [resident_scope(principal)]
    text = (query.text or "").strip()
    if text:
        normalized = idnumber.normalize(text)
        if ID_LIKE.match(normalized):
            conditions.append(Resident.id_number.startswith(normalized.upper()))
        else:
            conditions.append(Resident.name.contains(text))
    if query.township_code:
        conditions.append(Resident.township_code == query.township_code)
    if query.village_code:
        conditions.append(Resident.village_code == query.village_code)
    if query.household_id is not None:
        conditions.append(HouseholdMember.household_id == query.household_id)
    where = and_(*conditions)
    base = select(Resident, HouseholdMember.household_id).outerjoin(
        HouseholdMember, HouseholdMember.resident_id == Resident.id
    )
    total = uow.session.scalar(select(func.count()).select_from(base.where(where).subquery())) or 0
    limit = max(1, min(query.limit, MAX_PAGE))
    rows = uow.session.execute(base.where(where).order_by(Resident.id).limit(limit).offset(query.offset)).all()
    names = _township_names(uow, {resident.township_code for resident, _ in rows})
    return ResidentPage(
        total=total,
        offset=query.offset,
        items=[
            resident_summary(principal, resident, names.get(resident.township_code, ""), household_id)
            for resident, household_id in rows
        ],
    )


def visible_resident(uow: UnitOfWork, principal: Principal, resident_id: int) -> Resident:
    """The resident, if the principal's area covers them; RESIDENT_NOT_FOUND otherwise, as if absent."""
    principal.require(Permission.READ_RESIDENTS)
    resident = uow.session.scalars(
        select(Resident).where(Resident.id == resident_id, resident_scope(principal))
    ).first()
    if resident is None:
        raise YibaoError("RESIDENT_NOT_FOUND", field="resident_id", id=resident_id)
    return resident


def household_view(uow: UnitOfWork, principal: Principal, household_id: int) -> HouseholdView:
    household = uow.session.get(Household, household_id)
    if household is None:
        raise YibaoError("HOUSEHOLD_NOT_FOUND", field="household_id", id=household_id)
    rows = uow.session.execute(
        select(Resident, HouseholdMember.relation)
        .join(HouseholdMember, HouseholdMember.resident_id == Resident.id)
        .where(HouseholdMember.household_id == household_id)
        .order_by(HouseholdMember.relation != "户主", Resident.birth_date)
    ).all()
    return HouseholdView(
        id=household.id,
        township_code=household.township_code,
        village_code=household.village_code,
        number=household.number,
        address=household.address,
        members=[
            MemberView(
                resident_id=resident.id,
                name=resident.name,
                id_number=shown_id(principal, resident.id_number),
                relation=relation,
            )
            for resident, relation in rows
        ],
    )


def get_household(uow: UnitOfWork, principal: Principal, household_id: int) -> HouseholdView:
    """A household is visible when one of its members is."""
    principal.require(Permission.READ_RESIDENTS)
    member = uow.session.scalars(
        select(Resident.id)
        .join(HouseholdMember, HouseholdMember.resident_id == Resident.id)
        .where(HouseholdMember.household_id == household_id, resident_scope(principal))
    ).first()
    if member is None:
        raise YibaoError("HOUSEHOLD_NOT_FOUND", field="household_id", id=household_id)
    return household_view(uow, principal, household_id)


def get_resident(uow: UnitOfWork, principal: Principal, resident_id: int) -> ResidentDetail:
    resident = visible_resident(uow, principal, resident_id)
    session = uow.session
    household_id = session.scalar(
        select(HouseholdMember.household_id).where(HouseholdMember.resident_id == resident.id)
    )
    enrollments = session.scalars(
        select(Enrollment)
        .where(Enrollment.resident_id == resident.id)
        .order_by(Enrollment.insurance_year.desc(), Enrollment.id.desc())
    ).all()
    flags = session.scalars(select(IdentityFlag).where(IdentityFlag.resident_id == resident.id)).all()
    names = _township_names(uow, {resident.township_code})
    summary_view = resident_summary(principal, resident, names.get(resident.township_code, ""), household_id)
    return ResidentDetail(
        **summary_view.model_dump(),
        version=resident.version,
        cert_type=resident.cert_type,
        ethnicity=resident.ethnicity,
        residency=resident.residency,
        phone=resident.phone,
        address=resident.address,
        identities=[
            IdentityView(identity=flag.identity, source=flag.source, valid_from=flag.valid_from, valid_to=flag.valid_to)
            for flag in flags
        ],
        enrollments=[enrollment_view(enrollment) for enrollment in enrollments],
        household=household_view(uow, principal, household_id) if household_id is not None else None,
    )


def history(uow: UnitOfWork, principal: Principal, resident_id: int) -> list[AuditView]:
    """The resident's audit trail, oldest first: the record itself, its enrollments, its household."""
    principal.require(Permission.READ_AUDIT)
    resident = visible_resident(uow, principal, resident_id)
    session = uow.session
    enrollment_ids = [
        str(key) for key in session.scalars(select(Enrollment.id).where(Enrollment.resident_id == resident.id))
    ]
    household_ids = [
        str(key)
        for key in session.scalars(
            select(HouseholdMember.household_id).where(HouseholdMember.resident_id == resident.id)
        )
    ]
    entries = session.scalars(
        select(AuditEntry)
        .where(
            or_(
                and_(AuditEntry.entity == "resident", AuditEntry.entity_id == str(resident.id)),
                and_(AuditEntry.entity == "enrollment", AuditEntry.entity_id.in_(enrollment_ids)),
                and_(AuditEntry.entity == "household", AuditEntry.entity_id.in_(household_ids)),
            )
        )
        .order_by(AuditEntry.id)
    ).all()
    return [audit_view(entry) for entry in entries]


def resident_record(resident: Resident) -> dict[str, Any]:
    """What the audit log keeps of a resident (the ID number masked): enough to rebuild its history."""
    return {
        "id_number": idnumber.mask(resident.id_number),
        "name": resident.name,
        "sex": resident.sex,
        "birth_date": resident.birth_date.isoformat(),
        "township_code": resident.township_code,
        "village_code": resident.village_code,
        "address": resident.address,
        "phone": resident.phone,
        "survival_status": resident.survival_status,
    }


@dataclass(frozen=True)
class ResidentChangeRequest:
    """A 信息变更: only the fields given change. ``expected_version`` guards against overwriting a colleague."""

    reason: str
    name: str | None = None
    id_number: str | None = None
    address: str | None = None
    phone: str | None = None
    township_code: str | None = None  # a township transfer (户籍迁移/居住地变更)
    village_code: str | None = None
    survival_status: str | None = None
    expected_version: int | None = None


SURVIVAL_STATUSES = ("alive", "deceased", "missing", "unknown")


def change_resident(
    uow: UnitOfWork, principal: Principal, resident_id: int, request: ResidentChangeRequest
) -> ResidentDetail:
    principal.require(Permission.WRITE_RESIDENTS)
    resident = visible_resident(uow, principal, resident_id)
    if not request.reason.strip():
        raise YibaoError("REASON_REQUIRED", field="reason")
    if request.expected_version is not None and request.expected_version != resident.version:
        raise YibaoError("STALE_RECORD", field="version", current=resident.version, expected=request.expected_version)
    before = resident_record(resident)
    changes: list[tuple[str, str | None, str | None]] = []
    reassess = False
    if request.name is not None and request.name.strip() and request.name.strip() != resident.name:
        changes.append(("name", resident.name, request.name.strip()))
        resident.name = request.name.strip()
    if request.id_number is not None:
        reassess = _correct_id_number(uow, resident, request.id_number, changes)
    for kind in ("address", "phone"):
        value = getattr(request, kind)
        if value is not None and value != getattr(resident, kind):
            changes.append((kind, getattr(resident, kind), value))
            setattr(resident, kind, value)
    if request.survival_status is not None and request.survival_status != resident.survival_status:
        if request.survival_status not in SURVIVAL_STATUSES:
            raise YibaoError(
                "CATEGORY_UNKNOWN",
                field="survival_status",
                value=request.survival_status,
                allowed=", ".join(SURVIVAL_STATUSES),
            )
        changes.append(("survival_status", resident.survival_status, request.survival_status))
        resident.survival_status = request.survival_status
    _move(uow, principal, resident, request, changes)
    if not changes:
        raise YibaoError("NOTHING_TO_CHANGE")
    for kind, old, new in changes:
        uow.session.add(
            ResidentChange(
                resident_id=resident.id,
                kind=kind,
                before=_masked_if_id(kind, old),
                after=_masked_if_id(kind, new),
                reason=request.reason.strip(),
                actor=uow.actor,
                at=uow.now,
            )
        )
    uow.session.flush()
    uow.audit("change", "resident", resident.id, before, resident_record(resident) | {"reason": request.reason})
    if reassess:
        _reassess_open_enrollments(uow, resident)
    uow.commit()
    # A township operator who moved someone out can no longer see them; answer with what they may see.
    if not principal.covers_township(resident.township_code) and principal.role.value == "township_operator":
        raise YibaoError("RESIDENT_NOT_FOUND", field="resident_id", id=resident.id)
    return get_resident(uow, principal, resident.id)


def _masked_if_id(kind: str, value: str | None) -> str | None:
    return idnumber.mask(value) if kind == "id_number" and value else value


def _correct_id_number(
    uow: UnitOfWork, resident: Resident, raw: str, changes: list[tuple[str, str | None, str | None]]
) -> bool:
    parsed = idnumber.parse(raw, on=uow.now.date())
    if parsed.number == resident.id_number:
        return False
    holder = uow.session.scalars(select(Resident).where(Resident.id_number == parsed.number)).first()
    if holder is not None:
        raise YibaoError("ID_NUMBER_TAKEN", field="id_number", number=parsed.masked, name=holder.name)
    changes.append(("id_number", resident.id_number, parsed.number))
    resident.id_number = parsed.number
    resident.birth_date = parsed.birth_date
    resident.sex = parsed.sex.value
    return True


def _move(
    uow: UnitOfWork,
    principal: Principal,
    resident: Resident,
    request: ResidentChangeRequest,
    changes: list[tuple[str, str | None, str | None]],
) -> None:
    township = request.township_code or resident.township_code
    if request.township_code and request.township_code != resident.township_code:
        area = uow.session.get(Area, request.township_code)
        if area is None or area.level != "township" or request.township_code[:6] != principal.district:
            raise YibaoError("AREA_UNKNOWN", field="township_code", area=request.township_code, level="镇（街）")
        changes.append(("township_transfer", resident.township_code, request.township_code))
        resident.township_code = request.township_code
        if request.village_code is None:
            resident.village_code = None
    if request.village_code is not None and request.village_code != resident.village_code:
        village = uow.session.get(Area, request.village_code) if request.village_code else None
        if request.village_code and (village is None or village.parent_code != township):
            raise YibaoError("VILLAGE_UNKNOWN", field="village_code", township=township, area=request.village_code)
        changes.append(("village", resident.village_code, request.village_code or None))
        resident.village_code = request.village_code or None


def _reassess_open_enrollments(uow: UnitOfWork, resident: Resident) -> None:
    """An ID number correction may change age and so category and amount: recompute what is not yet billed."""
    open_enrollments = uow.session.scalars(
        select(Enrollment).where(Enrollment.resident_id == resident.id, Enrollment.state.in_(REASSESSABLE))
    ).all()
    for enrollment in open_enrollments:
        reassess(uow, enrollment, resident, recompute_category=True)


def reassess(uow: UnitOfWork, enrollment: Enrollment, resident: Resident, *, recompute_category: bool = False) -> None:
    """Recompute one enrollment under its policy; an enrollment that is no longer eligible stays ``registered``.

    After an ID number correction the age may differ, so an age-derived category (adult, child, newborn) is
    derived again; "student" is a fact of schooling, not of age, and is kept.
    """
    policy = get_policy(enrollment.policy_id)
    identities = identities_on(uow, [resident.id], enrollment.registered_at.date()).get(resident.id, ())

    def run(category: str | None, tier: str | None) -> dict[str, Any]:
        item = AssessInput(resident.id_number, enrollment.registered_at, category, tier, identities, enrollment.channel)
        return assess_inputs(policy, [item])[0]

    if recompute_category and enrollment.category != "student":
        result = run(None, enrollment.tier)
        if result["category"] != enrollment.category:
            result = run(None, None)  # a new category: last tier choice was among another category's tiers
    else:
        result = run(enrollment.category, enrollment.tier)
    before = summary(enrollment)
    if result["eligible"]:
        for key, value in frozen_fields(policy, result).items():
            setattr(enrollment, key, value)
        enrollment.state = "assessed"
        enrollment.assessed_at = uow.now
    else:
        enrollment.state = "registered"
        enrollment.individual_due_fen = None
    uow.session.flush()
    uow.audit("assess", "enrollment", enrollment.id, before, summary(enrollment) | {"reason": result["reason"]})


@dataclass(frozen=True)
class ResidentRegistration:
    id_number: str
    name: str
    township_code: str
    village_code: str | None = None
    phone: str | None = None
    address: str | None = None
    ethnicity: str | None = None
    residency: str = "local_hukou"


def register_resident(uow: UnitOfWork, principal: Principal, request: ResidentRegistration) -> ResidentDetail:
    """Register a resident without enrolling them (a newborn before the family comes in, a lapsed person)."""
    principal.require(Permission.REGISTER_RESIDENTS)
    if not principal.covers_township(request.township_code):
        raise YibaoError("AREA_UNKNOWN", field="township_code", area=request.township_code, level="本辖区镇（街）")
    township = uow.session.get(Area, request.township_code)
    if township is None or township.level != "township":
        raise YibaoError("AREA_UNKNOWN", field="township_code", area=request.township_code, level="镇（街）")
    if request.village_code:
        village = uow.session.get(Area, request.village_code)
        if village is None or village.parent_code != request.township_code:
            raise YibaoError("VILLAGE_UNKNOWN", field="village_code", township=township.name, area=request.village_code)
    if not request.name.strip():
        raise YibaoError("NAME_REQUIRED", field="name")
    if request.residency not in RESIDENCIES:
        raise YibaoError(
            "RESIDENCY_UNKNOWN", field="residency", value=request.residency, allowed=", ".join(RESIDENCIES)
        )
    parsed = idnumber.parse(request.id_number, on=uow.now.date())
    existing = uow.session.scalars(select(Resident).where(Resident.id_number == parsed.number)).first()
    if existing is not None:
        names = _township_names(uow, {existing.township_code})
        raise YibaoError(
            "RESIDENT_EXISTS",
            field="id_number",
            number=parsed.masked,
            township=names.get(existing.township_code, existing.township_code),
        )
    resident = Resident(
        id_number=parsed.number,
        name=request.name.strip(),
        sex=parsed.sex.value,
        birth_date=parsed.birth_date,
        ethnicity=request.ethnicity,
        residency=request.residency,
        phone=request.phone,
        address=request.address,
        township_code=request.township_code,
        village_code=request.village_code or None,
    )
    uow.session.add(resident)
    uow.session.flush()
    uow.audit("create", "resident", resident.id, None, resident_record(resident))
    uow.commit()
    return get_resident(uow, principal, resident.id)
