"""The register of reasons for non-enrollment (未参保原因登记): why a person cannot or will not enroll this year,
who recorded it and when. Recording a reason marks the person's open "not enrolled" findings ``reason_recorded``;
the next run no longer finds them (the rule skips people with a reason). See :mod:`yibao.services.progress.coverage` for
which reasons take a person out of the coverage base."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, false, func, select

from yibao.adapters.db.crosscheck_tables import REASON_CODES
from yibao.adapters.db.tables import Enrollment, Finding, NonEnrollmentReason, Resident
from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.domain import idnumber
from yibao.domain.errors import YibaoError
from yibao.domain.states import PENDING_FINDINGS, EnrollmentState, FindingStatus
from yibao.domain.timeutil import as_shanghai
from yibao.services.access import DISTRICT_ROLES, Permission, Principal, Role, person_outside
from yibao.services.crosscheck.worklists import UNENROLLED_KINDS, finding_scope, visible_finding
from yibao.services.registry.areas import check_village

REASON_NAMES = {
    "insured_elsewhere": "已在外地参保",
    "employee_insurance": "参加职工医保",
    "military_service": "服兵役",
    "deceased": "死亡",
    "unreachable": "失联",
    "refused": "拒绝参保",
    "other": "其他",
}


@dataclass(frozen=True)
class ReasonView:
    id: int
    insurance_year: int
    id_number: str
    name: str
    township_code: str
    village_code: str | None
    reason: str
    reason_name: str
    note: str | None
    recorded_on: date | None  # the day written on the register (登记日期)
    actor: str
    at: datetime
    withdrawn_at: datetime | None


def _reason_scope(principal: Principal) -> ColumnElement[bool]:
    if principal.role in DISTRICT_ROLES and principal.may(Permission.READ_RESIDENTS):
        return NonEnrollmentReason.district_code == principal.district
    if principal.role is Role.TOWNSHIP_OPERATOR:
        return NonEnrollmentReason.township_code == principal.area_code
    return false()


def record_reason(
    uow: UnitOfWork,
    principal: Principal,
    *,
    insurance_year: int,
    id_number: str,
    name: str,
    township_code: str,
    reason: str,
    note: str | None = None,
    village_code: str | None = None,
    recorded_on: date | None = None,
) -> ReasonView:
    """未参保原因登记 for one person and year; an earlier reason of the same person and year is withdrawn.
    ``village_code``: the 村（居） whose register holds it (default: where the person is registered);
    ``recorded_on``: the day written on the register (default: today, by the campaign's clock)."""
    principal.require(Permission.FOLLOW_UP)
    principal.require_township(township_code)
    today = as_shanghai(uow.now).date()
    if recorded_on is not None and recorded_on > today:
        raise YibaoError("REASON_DATE_FUTURE", field="recorded_on", day=recorded_on.isoformat())
    if village_code:
        check_village(uow, township_code, village_code)
    if reason not in REASON_CODES:
        allowed = "、".join(f"{key}（{text}）" for key, text in REASON_NAMES.items())
        raise YibaoError("REASON_UNKNOWN", field="reason", reason=reason, allowed=allowed)
    if reason == "other" and not (note or "").strip():
        raise YibaoError("REASON_NOTE_REQUIRED", field="note")
    number = idnumber.parse(id_number, on=uow.now.date()).number
    record = uow.session.execute(
        select(Resident.township_code, Resident.village_code).where(Resident.id_number == number)
    ).first()
    if record is not None and person_outside(principal, record.township_code):
        raise YibaoError("RESIDENT_ELSEWHERE", field="id_number", number=idnumber.mask(number))
    if not village_code and record is not None and record.township_code == township_code:
        village_code = record.village_code
    enrolled = uow.session.scalar(
        select(func.count())
        .select_from(Enrollment)
        .join(Resident, Resident.id == Enrollment.resident_id)
        .where(
            Resident.id_number == number,
            Enrollment.insurance_year == insurance_year,
            Enrollment.state != EnrollmentState.CANCELLED,
        )
    )
    if enrolled:
        raise YibaoError(
            "REASON_ALREADY_ENROLLED", field="id_number", name=name, number=idnumber.mask(number), year=insurance_year
        )
    earlier_reasons = uow.session.scalars(
        select(NonEnrollmentReason).where(
            NonEnrollmentReason.insurance_year == insurance_year,
            NonEnrollmentReason.id_number == number,
            NonEnrollmentReason.withdrawn_at.is_(None),
        )
    ).all()
    if any(not principal.covers_township(earlier.township_code) for earlier in earlier_reasons):
        # Another township's register is theirs: never withdrawn from here (nor said what it holds).
        raise YibaoError("REASON_ELSEWHERE", field="id_number", number=idnumber.mask(number))
    for earlier in earlier_reasons:
        earlier.withdrawn_at, earlier.withdrawn_by = uow.now, uow.actor
    entry = NonEnrollmentReason(
        insurance_year=insurance_year,
        district_code=principal.district,
        id_number=number,
        name=name.strip()[:64],
        township_code=township_code,
        village_code=village_code or None,
        reason=reason,
        note=(note or "").strip()[:200] or None,
        recorded_on=recorded_on or today,
        actor=uow.actor,
        at=uow.now,
    )
    uow.session.add(entry)
    uow.session.flush()
    for finding in uow.session.scalars(
        select(Finding).where(
            Finding.insurance_year == insurance_year,
            Finding.id_number == number,
            Finding.kind.in_(UNENROLLED_KINDS),
            Finding.status.in_(PENDING_FINDINGS),
            finding_scope(principal),
        )
    ):
        finding.status, finding.status_by, finding.status_at = FindingStatus.REASON_RECORDED, uow.actor, uow.now
        finding.note = REASON_NAMES[reason] + (f"：{entry.note}" if entry.note else "")
    uow.audit("record", "non_enrollment_reason", entry.id, None, {"year": insurance_year, "reason": reason})
    uow.commit()
    return _reason_view(entry, principal)


def record_reason_for_finding(
    uow: UnitOfWork, principal: Principal, finding_id: int, reason: str, note: str | None = None
) -> ReasonView:
    """The reason for a person on the unenrolled worklist, from their finding (its person, township and year)."""
    item = visible_finding(uow, principal, finding_id)
    return record_reason(
        uow,
        principal,
        insurance_year=item.insurance_year,
        id_number=item.id_number,
        name=item.name,
        township_code=item.township_code,
        reason=reason,
        note=note,
        village_code=item.village_code,
    )


def _reason_view(entry: NonEnrollmentReason, principal: Principal) -> ReasonView:
    full = principal.may(Permission.SEE_FULL_ID)
    return ReasonView(
        id=entry.id,
        insurance_year=entry.insurance_year,
        id_number=entry.id_number if full else idnumber.mask(entry.id_number),
        name=entry.name,
        township_code=entry.township_code,
        village_code=entry.village_code,
        reason=entry.reason,
        reason_name=REASON_NAMES[entry.reason],
        note=entry.note,
        recorded_on=entry.recorded_on,
        actor=entry.actor,
        at=entry.at,
        withdrawn_at=entry.withdrawn_at,
    )


def list_reasons(
    uow: UnitOfWork, principal: Principal, insurance_year: int, *, include_withdrawn: bool = False
) -> list[ReasonView]:
    query = select(NonEnrollmentReason).where(
        _reason_scope(principal), NonEnrollmentReason.insurance_year == insurance_year
    )
    if not include_withdrawn:
        query = query.where(NonEnrollmentReason.withdrawn_at.is_(None))
    entries = uow.session.scalars(query.order_by(NonEnrollmentReason.township_code, NonEnrollmentReason.id)).all()
    return [_reason_view(entry, principal) for entry in entries]


def withdraw_reason(uow: UnitOfWork, principal: Principal, reason_id: int) -> ReasonView:
    principal.require(Permission.FOLLOW_UP)
    entry = uow.session.scalars(
        select(NonEnrollmentReason).where(NonEnrollmentReason.id == reason_id, _reason_scope(principal))
    ).first()
    if entry is None:
        raise YibaoError("REASON_NOT_FOUND", field="reason_id", reason_id=reason_id)
    if entry.withdrawn_at is None:
        entry.withdrawn_at, entry.withdrawn_by = uow.now, uow.actor
        uow.audit("withdraw", "non_enrollment_reason", entry.id, None, {"reason": entry.reason})
    uow.commit()
    return _reason_view(entry, principal)
