"""Use cases on residents: search, look one up, change information (信息变更), and read a record's history.

All of them see only what the principal's area covers (:func:`~yibao.services.access.resident_scope`); a
resident outside it is "not found", never "forbidden".
"""

from __future__ import annotations

import re
from contextlib import suppress
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
)
from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.domain import idnumber
from yibao.domain.certification import is_certified
from yibao.domain.errors import YibaoError
from yibao.domain.person_fields import check_name, check_phone, check_residency
from yibao.domain.states import EnrollmentState
from yibao.services.access import Permission, Principal, person_outside, resident_scope
from yibao.services.policy.plans import get_policy
from yibao.services.registry import audit_text
from yibao.services.registry.areas import check_village, township_area
from yibao.services.registry.views import (
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
    shown_phone,
)
from yibao.services.users import actor_name, actor_names

MAX_PAGE = 200
ID_LIKE = re.compile(r"^[0-9]{4,17}[0-9Xx]?$")


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
            conditions.append(Resident.name.contains(text, autoescape=True))  # % and _ are characters here
    if query.township_code:
        conditions.append(Resident.township_code == query.township_code)
    if query.village_code:
        conditions.append(Resident.village_code == query.village_code)
    if query.household_id is not None:
        conditions.append(HouseholdMember.household_id == query.household_id)
    where = and_(*conditions)
    base = (
        select(Resident, HouseholdMember.household_id, Household.number)
        .outerjoin(HouseholdMember, HouseholdMember.resident_id == Resident.id)
        .outerjoin(Household, Household.id == HouseholdMember.household_id)
    )
    total = uow.session.scalar(select(func.count()).select_from(base.where(where).subquery())) or 0
    limit = max(1, min(query.limit, MAX_PAGE))
    rows = uow.session.execute(base.where(where).order_by(Resident.id).limit(limit).offset(query.offset)).all()
    places = {resident.township_code for resident, _, _ in rows} | {
        resident.village_code for resident, _, _ in rows if resident.village_code
    }
    names = _township_names(uow, places)
    latest = _latest_enrollments(uow, [resident.id for resident, _, _ in rows])
    items = []
    for resident, household_id, household_number in rows:
        summary_view = resident_summary(principal, resident, names.get(resident.township_code, ""), household_id)
        year, state = latest.get(resident.id, (None, None))
        items.append(
            summary_view.model_copy(
                update={
                    "village_name": names.get(resident.village_code or ""),
                    "household_number": household_number,
                    "enrollment_year": year,
                    "enrollment_state": state,
                    "enrollment_state_name": EnrollmentState(state).zh if state else None,
                }
            )
        )
    found = ResidentPage(total=total, offset=query.offset, items=items)
    if rows and principal.may(Permission.SEE_FULL_ID):
        # Full ID numbers were shown: who saw whose, and what they searched for, is kept.
        shown = [resident.id for resident, _, _ in rows]
        uow.audit("search", "resident", text[:64] or "-", None, {"shown": shown, "total": total})
        uow.commit()
    return found


def _latest_enrollments(uow: UnitOfWork, resident_ids: list[int]) -> dict[int, tuple[int, str]]:
    """Each person's latest year enrolled (not cancelled) and its state: what a search shows beside them."""
    if not resident_ids:
        return {}
    rows = uow.session.execute(
        select(Enrollment.resident_id, Enrollment.insurance_year, Enrollment.state)
        .where(Enrollment.resident_id.in_(resident_ids), Enrollment.state != EnrollmentState.CANCELLED)
        .order_by(Enrollment.resident_id, Enrollment.insurance_year.desc())
    ).all()
    latest: dict[int, tuple[int, str]] = {}
    for resident_id, year, state in rows:
        latest.setdefault(resident_id, (year, state))
    return latest


# Reads that show full ID numbers are audited too; they are not changes, and a record's trail leaves them out.
READ_ACTIONS = ("view", "search", "export")


def view_resident(uow: UnitOfWork, principal: Principal, resident_id: int) -> ResidentDetail:
    """A record opened by a person (the record page, ``GET /residents/{id}``): where its full ID number is shown,
    the view is audited — who, whose, when."""
    detail = get_resident(uow, principal, resident_id)
    if principal.may(Permission.SEE_FULL_ID):
        uow.audit("view", "resident", resident_id, None, {"shown": ["id_number", "phone"]})
        uow.commit()
    return detail


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
            if not person_outside(principal, resident.township_code)
        ],
        # A member since moved to a township outside the area is counted, never named.
        members_elsewhere=sum(1 for resident, _ in rows if person_outside(principal, resident.township_code)),
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
    return resident_detail(uow, principal, visible_resident(uow, principal, resident_id))


def resident_detail(uow: UnitOfWork, principal: Principal, resident: Resident) -> ResidentDetail:
    """A record as ``principal`` is shown it, once the area rule has let them see it (:func:`visible_resident`)."""
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
        phone=shown_phone(principal, resident.phone),
        address=resident.address,
        identities=[
            IdentityView(
                identity=flag.identity,
                source=flag.source,
                certified=is_certified(flag.source),
                evidence=flag.evidence,
                valid_from=flag.valid_from,
                valid_to=flag.valid_to,
            )
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
            ),
            AuditEntry.action.not_in(READ_ACTIONS),
        )
        .order_by(AuditEntry.id)
    ).all()
    # The names an entry's codes stand for: the district's areas, the plans' tiers, the users who acted.
    names = dict(session.execute(select(Area.code, Area.name).where(Area.code.startswith(principal.district))).all())
    for policy_id in {str((entry.after or {}).get("policy_id")) for entry in entries} - {"None"}:
        with suppress(YibaoError):  # a plan no longer known: its tiers stay as codes
            names |= {key: tier.name for key, tier in get_policy(policy_id, session).tiers.items()}
    users = actor_names(session)
    views = []
    for entry in entries:
        view = audit_view(entry)
        view.actor_name = actor_name(entry.actor, users)
        view.sentence = audit_text.sentence(entry.action, entry.entity, entry.before, entry.after, names)
        views.append(view)
    return views


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
    principal.require_township(request.township_code)
    township_area(uow, principal.district, request.township_code)
    if request.village_code:
        check_village(uow, request.township_code, request.village_code)
    name, phone = check_name(request.name), check_phone(request.phone)
    check_residency(request.residency)
    parsed = idnumber.parse(request.id_number, on=uow.now.date())
    existing = uow.session.scalars(select(Resident).where(Resident.id_number == parsed.number)).first()
    if existing is not None:
        if person_outside(principal, existing.township_code):
            raise YibaoError("RESIDENT_ELSEWHERE", field="id_number", number=parsed.masked)
        names = _township_names(uow, {existing.township_code})
        raise YibaoError(
            "RESIDENT_EXISTS",
            field="id_number",
            number=parsed.masked,
            township=names.get(existing.township_code, existing.township_code),
        )
    resident = Resident(
        id_number=parsed.number,
        name=name,
        sex=parsed.sex.value,
        birth_date=parsed.birth_date,
        ethnicity=request.ethnicity,
        residency=request.residency,
        phone=phone,
        address=" ".join((request.address or "").split()) or None,
        township_code=request.township_code,
        village_code=request.village_code or None,
    )
    uow.session.add(resident)
    uow.session.flush()
    uow.audit("create", "resident", resident.id, None, resident_record(resident))
    uow.commit()
    return get_resident(uow, principal, resident.id)
