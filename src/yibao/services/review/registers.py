"""A 村（居）'s 登记册 handed in to the township office: its submission and its corrections.

The township's operator records what the village hands in — its people, the cash it collected for each, the
collector's name — and yibao gives the register its number, keeps each version of its electronic roster with the
checksum its paper prints, and follows it through the plan's review chain (:mod:`yibao.services.review.steps`).
A person is on one open register at a time; a register's roster changes only while it waits for the township's
check or after it was returned to the village.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select

from yibao.adapters.db.tables import (
    Area,
    Enrollment,
    HouseholdMember,
    Resident,
    VillageRegister,
    VillageRegisterLine,
    VillageRegisterStep,
    VillageRegisterVersion,
)
from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.domain.errors import YibaoError
from yibao.domain.registers import RegisterLine, household_totals, register_checksum
from yibao.domain.states import (
    OPEN_REGISTERS,
    PAYABLE_ENROLLMENTS,
    EnrollmentState,
    RegisterAction,
    RegisterState,
)
from yibao.services.access import Permission, Principal, enrollment_scope
from yibao.services.registry.areas import check_village
from yibao.services.review.scope import visible_register
from yibao.services.review.views import RegisterDetail, register_detail


@dataclass(frozen=True)
class SubmitRequest:
    insurance_year: int
    township_code: str
    village_code: str
    collector: str
    cash_fen: int  # the cash the village says it collected
    lines: tuple[tuple[int, int], ...]  # (enrollment id, collected fen) per person


def _resolved(
    uow: UnitOfWork, principal: Principal, year: int, township: str, village: str, lines: Sequence[tuple[int, int]]
) -> list[RegisterLine]:
    """The roster's lines, each checked: the village's person this year, once, payable, in a household, on no other
    open register. Refusals name only people of the clerk's own township (the enrollments outside are not found)."""
    if not lines:
        raise YibaoError("REGISTER_EMPTY", field="lines")
    ids = [enrollment_id for enrollment_id, _ in lines]
    repeated = next((i for i in ids if ids.count(i) > 1), None)
    if repeated is not None:
        raise YibaoError("REGISTER_DUPLICATE_PERSON", field="lines", id=repeated)
    found = {
        row.id: row
        for row in uow.session.execute(
            select(
                Enrollment.id,
                Enrollment.state,
                Enrollment.insurance_year,
                Enrollment.township_code,
                Resident.name,
                Resident.village_code,
                HouseholdMember.household_id,
            )
            .join(Resident, Resident.id == Enrollment.resident_id)
            .join(HouseholdMember, HouseholdMember.resident_id == Resident.id, isouter=True)
            .where(Enrollment.id.in_(ids), enrollment_scope(principal))
        )
    }
    village_name = uow.session.scalar(select(Area.name).where(Area.code == village)) or village
    for enrollment_id in ids:
        row = found.get(enrollment_id)
        if row is None:
            raise YibaoError("ENROLLMENT_NOT_FOUND", field="lines", id=enrollment_id)
        if (row.insurance_year, row.township_code, row.village_code) != (year, township, village):
            raise YibaoError("REGISTER_PERSON_OUTSIDE", field="lines", id=enrollment_id, village=village_name)
        if row.state not in PAYABLE_ENROLLMENTS:
            raise YibaoError("REGISTER_NOT_PAYABLE", field="lines", name=row.name, state=EnrollmentState(row.state).zh)
        if row.household_id is None:
            raise YibaoError("REGISTER_NO_HOUSEHOLD", field="lines", name=row.name)
    return [RegisterLine(i, found[i].household_id, fen) for i, fen in lines]


def _refuse_if_elsewhere(uow: UnitOfWork, lines: list[RegisterLine], register_id: int | None) -> None:
    ids = [line.enrollment_id for line in lines]
    taken = uow.session.execute(
        select(Resident.name, VillageRegister.number, VillageRegister.state)
        .join(VillageRegisterLine, VillageRegisterLine.register_id == VillageRegister.id)
        .join(Enrollment, Enrollment.id == VillageRegisterLine.enrollment_id)
        .join(Resident, Resident.id == Enrollment.resident_id)
        .where(
            VillageRegisterLine.enrollment_id.in_(ids),
            VillageRegister.state.in_(OPEN_REGISTERS),
            VillageRegister.id != (register_id or 0),
        )
    ).first()
    if taken is not None:
        name, number, state = taken
        raise YibaoError(
            "REGISTER_PERSON_ELSEWHERE", field="lines", name=name, number=number, state=RegisterState(state).zh
        )


def _write_roster(uow: UnitOfWork, register: VillageRegister, lines: list[RegisterLine]) -> None:
    """The roster as it stands now, and its version with the checksum its paper prints."""
    for old in uow.session.scalars(select(VillageRegisterLine).where(VillageRegisterLine.register_id == register.id)):
        uow.session.delete(old)
    uow.session.flush()
    uow.session.add_all(
        VillageRegisterLine(
            register_id=register.id,
            enrollment_id=line.enrollment_id,
            household_id=line.household_id,
            collected_fen=line.collected_fen,
        )
        for line in lines
    )
    households = household_totals(lines)
    register.people = len(lines)
    register.total_fen = sum(line.collected_fen for line in lines)
    uow.session.add(
        VillageRegisterVersion(
            register_id=register.id,
            version=register.version,
            checksum=register_checksum(register.number, households),
            people=register.people,
            total_fen=register.total_fen,
            households=json.dumps({h.household_id: [h.people, h.collected_fen, h.digest] for h in households.values()}),
            at=uow.now,
        )
    )


def record_step(
    uow: UnitOfWork,
    register: VillageRegister,
    action: RegisterAction,
    remarks: str | None = None,
    findings: list[str] | None = None,
) -> None:
    uow.session.add(
        VillageRegisterStep(
            register_id=register.id,
            action=action,
            version=register.version,
            actor=uow.actor,
            at=uow.now,
            remarks=(remarks or "").strip()[:500] or None,
            findings=json.dumps(findings, ensure_ascii=False) if findings else None,
        )
    )
    register.updated_at = uow.now
    uow.audit(
        action.code, "village_register", register.id, None, {"state": register.state, "version": register.version}
    )


def submit_register(uow: UnitOfWork, principal: Principal, request: SubmitRequest) -> RegisterDetail:
    """村（居）提交: the township office receives a village's register, paper and electronic, with the cash."""
    principal.require(Permission.CHECK_REGISTERS)  # the 社保所 receives what it will check
    principal.require_township(request.township_code)
    check_village(uow, request.township_code, request.village_code)
    if not request.collector.strip():
        raise YibaoError("REGISTER_COLLECTOR_REQUIRED", field="collector")
    lines = _resolved(
        uow, principal, request.insurance_year, request.township_code, request.village_code, request.lines
    )
    _refuse_if_elsewhere(uow, lines, None)
    register = VillageRegister(
        number=f"pending-{uuid.uuid4().hex[:16]}",
        insurance_year=request.insurance_year,
        township_code=request.township_code,
        village_code=request.village_code,
        collector=request.collector.strip()[:64],
        cash_fen=request.cash_fen,
        people=0,
        total_fen=0,
        version=1,
        state=RegisterState.SUBMITTED,
        submitted_at=uow.now,
        updated_at=uow.now,
    )
    uow.session.add(register)
    uow.session.flush()
    # 登记册编号: the year, the village's own 6 digits of its code, the row's id — unique because the id is.
    register.number = f"{request.insurance_year}{request.village_code[6:]}{register.id:05d}"
    _write_roster(uow, register, lines)
    record_step(uow, register, RegisterAction.SUBMIT)
    uow.commit()
    return register_detail(uow, principal, register.id)


def amend_register(
    uow: UnitOfWork, principal: Principal, register_id: int, cash_fen: int, lines: tuple[tuple[int, int], ...]
) -> RegisterDetail:
    """The village corrects its electronic roster: while the register waits for the township's check, or after a
    return (which submits it again). A new version, with a new checksum: a paper printed before no longer matches."""
    principal.require(Permission.CHECK_REGISTERS)
    register = visible_register(uow, principal, register_id, lock=True)
    if register.state not in (RegisterState.SUBMITTED, RegisterState.RETURNED):
        raise state_error(register, "更正电子名册", "amend")
    resolved = _resolved(uow, principal, register.insurance_year, register.township_code, register.village_code, lines)
    _refuse_if_elsewhere(uow, resolved, register.id)
    register.version += 1
    register.cash_fen = cash_fen
    register.state = RegisterState.SUBMITTED
    _write_roster(uow, register, resolved)
    record_step(uow, register, RegisterAction.AMEND)
    uow.commit()
    return register_detail(uow, principal, register.id)


def state_error(register: VillageRegister, action: str, action_en: str) -> YibaoError:
    """The register is not where ``action`` can be taken (a step out of turn, a change after the check)."""
    state = RegisterState(register.state)
    return YibaoError(
        "REGISTER_STATE",
        field="register_id",
        number=register.number,
        state=state.zh,
        state_en=state.code,
        action=action,
        action_en=action_en,
    )
