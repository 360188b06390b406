"""Information changes (信息变更) of a resident: name, ID number correction, address, phone, township transfer,
village, survival status. One ``resident_changes`` row per field with the clerk's reason, and one audit entry with
the record before and after.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from yibao.adapters.db.tables import Enrollment, Resident, ResidentChange
from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.domain import idnumber
from yibao.domain.errors import YibaoError
from yibao.domain.person_fields import check_name, check_phone, check_residency
from yibao.domain.states import REASSESSABLE_ENROLLMENTS
from yibao.domain.vocabulary import SURVIVAL_STATUSES
from yibao.services.access import Permission, Principal, person_outside
from yibao.services.registry.areas import check_village, township_area
from yibao.services.registry.assessment import reassess
from yibao.services.registry.residents import resident_detail, resident_record, visible_resident
from yibao.services.registry.views import ResidentDetail


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
    residency: str | None = None  # 户籍类别: a hukou moved in, a residence permit obtained
    expected_version: int | None = None


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
    # The same rules as at registration (person_fields); a field not given (None) stays as it is.
    name = check_name(request.name) if request.name is not None else resident.name
    if name != resident.name:
        changes.append(("name", resident.name, name))
        resident.name = name
    if request.id_number is not None:
        reassess = _correct_id_number(uow, principal, resident, request.id_number, changes)
    given = {
        "address": " ".join(request.address.split()) or None if request.address is not None else resident.address,
        "phone": check_phone(request.phone) if request.phone is not None else resident.phone,
    }
    for kind, value in given.items():
        if value != getattr(resident, kind):
            changes.append((kind, getattr(resident, kind), value))
            setattr(resident, kind, value)
    if request.survival_status is not None and request.survival_status != resident.survival_status:
        if request.survival_status not in SURVIVAL_STATUSES:
            raise YibaoError(
                "SURVIVAL_STATUS_UNKNOWN",
                field="survival_status",
                value=request.survival_status,
                allowed=", ".join(SURVIVAL_STATUSES),
            )
        changes.append(("survival_status", resident.survival_status, request.survival_status))
        resident.survival_status = request.survival_status
    if request.residency is not None and check_residency(request.residency) != resident.residency:
        changes.append(("residency", resident.residency, request.residency))
        resident.residency = request.residency
        reassess = True  # who may enroll, and which subsidy applies, can follow it
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
    # The record as changed, answered to the one who changed it — even a township operator who has just moved the
    # person out of her area: she saw and typed all of it, and a refusal here would answer an error for a change
    # that was committed. From now on she no longer finds the person.
    return resident_detail(uow, principal, resident)


def _masked_if_id(kind: str, value: str | None) -> str | None:
    return idnumber.mask(value) if kind == "id_number" and value else value


def _correct_id_number(
    uow: UnitOfWork,
    principal: Principal,
    resident: Resident,
    raw: str,
    changes: list[tuple[str, str | None, str | None]],
) -> bool:
    parsed = idnumber.parse(raw, on=uow.now.date())
    if parsed.number == resident.id_number:
        return False
    holder = uow.session.scalars(select(Resident).where(Resident.id_number == parsed.number)).first()
    if holder is not None and person_outside(principal, holder.township_code):
        raise YibaoError("RESIDENT_ELSEWHERE", field="id_number", number=parsed.masked)
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
        township_area(uow, principal.district, request.township_code)
        changes.append(("township_transfer", resident.township_code, request.township_code))
        resident.township_code = request.township_code
        if request.village_code is None:
            resident.village_code = None
    if request.village_code is not None and request.village_code != resident.village_code:
        if request.village_code:
            check_village(uow, township, request.village_code)
        changes.append(("village", resident.village_code, request.village_code or None))
        resident.village_code = request.village_code or None


def _reassess_open_enrollments(uow: UnitOfWork, resident: Resident) -> None:
    """An ID number correction may change age and so category and amount: recompute what is not yet billed."""
    open_enrollments = uow.session.scalars(
        select(Enrollment).where(Enrollment.resident_id == resident.id, Enrollment.state.in_(REASSESSABLE_ENROLLMENTS))
    ).all()
    for enrollment in open_enrollments:
        reassess(uow, enrollment, resident, recompute_category=True)
