"""How registers read: where each stands in its chain, its roster with names, its history in sentences; and the
village's people still to pay, from which a clerk starts a register."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, exists, func, select

from yibao.adapters.db.tables import (
    Area,
    Enrollment,
    Household,
    HouseholdMember,
    Resident,
    VillageRegister,
    VillageRegisterLine,
    VillageRegisterStep,
    VillageRegisterVersion,
)
from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.domain.registers import HouseholdTotal, awaiting
from yibao.domain.states import OPEN_REGISTERS, PAYABLE_ENROLLMENTS, RegisterAction, RegisterState, ReviewStep
from yibao.services.access import Principal, enrollment_scope
from yibao.services.money.ledger import paid_fen
from yibao.services.registry.views import shown_id
from yibao.services.review.scope import Chain, chain_of, may_see, register_scope, visible_register
from yibao.services.users import actor_name, actor_names


@dataclass(frozen=True)
class RegisterView:
    id: int
    number: str
    insurance_year: int
    township_code: str
    township_name: str
    village_code: str
    village_name: str
    collector: str
    cash_fen: int
    people: int
    total_fen: int
    version: int
    checksum: str
    state: RegisterState
    state_name: str
    awaiting: ReviewStep | None
    awaiting_name: str | None
    chain: list[ReviewStep]
    account: str | None
    payment_id: int | None
    deposit_reference: str | None
    submitted_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class RegisterLineView:
    enrollment_id: int
    household_id: int
    household_number: str | None
    name: str
    id_number: str
    collected_fen: int


@dataclass(frozen=True)
class RegisterStepView:
    action: RegisterAction
    action_name: str
    version: int
    actor: str  # who, by name
    at: datetime
    remarks: str | None
    findings: list[str]  # what the check found, one sentence each


@dataclass(frozen=True)
class RegisterDetail:
    register: RegisterView
    lines: list[RegisterLineView]
    history: list[RegisterStepView]


def households_of(uow: UnitOfWork, register: VillageRegister, version: int | None = None) -> dict[int, HouseholdTotal]:
    """The households of a version of the roster (the current one by default), as its paper printed them."""
    stored = uow.session.scalars(
        select(VillageRegisterVersion).where(
            VillageRegisterVersion.register_id == register.id,
            VillageRegisterVersion.version == (version or register.version),
        )
    ).one()
    return {
        int(household): HouseholdTotal(int(household), people, fen, digest)
        for household, (people, fen, digest) in json.loads(stored.households).items()
    }


def _views(uow: UnitOfWork, registers: list[VillageRegister]) -> list[RegisterView]:
    """Registers as they read, with a few queries for any number of them: the areas' names, each current version's
    checksum, and one chain per district and year (every register of a list shares them)."""
    names = _area_names(uow, {r.township_code for r in registers} | {r.village_code for r in registers})
    checksums: dict[tuple[int, int], str] = {}
    if registers:
        checksums = {
            (register_id, version): checksum
            for register_id, version, checksum in uow.session.execute(
                select(
                    VillageRegisterVersion.register_id,
                    VillageRegisterVersion.version,
                    VillageRegisterVersion.checksum,
                ).where(VillageRegisterVersion.register_id.in_([r.id for r in registers]))
            )
        }
    chains: dict[tuple[str, int], Chain] = {}
    for register in registers:
        key = (register.township_code[:6], register.insurance_year)
        if key not in chains:
            chains[key] = chain_of(uow, *key)
    return [
        _view(register, names, chains[(register.township_code[:6], register.insurance_year)], checksums)
        for register in registers
    ]


def _view(
    register: VillageRegister, names: dict[str, str], chain: Chain, checksums: dict[tuple[int, int], str]
) -> RegisterView:
    state = RegisterState(register.state)
    step = awaiting(chain.steps, state)
    checksum = checksums.get((register.id, register.version))
    return RegisterView(
        register.id,
        register.number,
        register.insurance_year,
        register.township_code,
        names.get(register.township_code, register.township_code),
        register.village_code,
        names.get(register.village_code, register.village_code),
        register.collector,
        register.cash_fen,
        register.people,
        register.total_fen,
        register.version,
        checksum or "",
        state,
        state.zh,
        step,
        step.zh if step else None,
        list(chain.steps),
        chain.account,
        register.payment_id,
        register.deposit_reference,
        register.submitted_at,
        register.updated_at,
    )


def _area_names(uow: UnitOfWork, codes: set[str]) -> dict[str, str]:
    return {code: name for code, name in uow.session.execute(select(Area.code, Area.name).where(Area.code.in_(codes)))}


def list_registers(
    uow: UnitOfWork, principal: Principal, year: int, township_code: str | None = None
) -> list[RegisterView]:
    """The registers of the year a principal may see (one township's, if given), newest first."""
    may_see(principal)
    conditions = [VillageRegister.insurance_year == year, register_scope(principal)]
    if township_code:
        conditions.append(VillageRegister.township_code == township_code)
    rows = list(uow.session.scalars(select(VillageRegister).where(*conditions).order_by(VillageRegister.id.desc())))
    return _views(uow, rows)


def roster_rows(uow: UnitOfWork, register_id: int) -> list[Row[Any]]:
    """The roster as it stands, household by household: each person's enrollment (its state and what it billed),
    household and 户号, name, ID number and the amount collected — what the page shows and the check weighs."""
    return list(
        uow.session.execute(
            select(
                VillageRegisterLine.enrollment_id,
                VillageRegisterLine.household_id,
                Household.number.label("household_number"),
                Resident.name,
                Resident.id_number,
                VillageRegisterLine.collected_fen,
                Enrollment.state,
                Enrollment.individual_due_fen,
            )
            .join(Enrollment, Enrollment.id == VillageRegisterLine.enrollment_id)
            .join(Resident, Resident.id == Enrollment.resident_id)
            .join(Household, Household.id == VillageRegisterLine.household_id)
            .where(VillageRegisterLine.register_id == register_id)
            .order_by(VillageRegisterLine.household_id, VillageRegisterLine.id)
        )
    )


def register_detail(uow: UnitOfWork, principal: Principal, register_id: int) -> RegisterDetail:
    register = visible_register(uow, principal, register_id)
    lines = [
        RegisterLineView(
            row.enrollment_id,
            row.household_id,
            row.household_number,
            row.name,
            shown_id(principal, row.id_number),
            row.collected_fen,
        )
        for row in roster_rows(uow, register.id)
    ]
    users = actor_names(uow.session)
    history = [
        RegisterStepView(
            RegisterAction(step.action),
            RegisterAction(step.action).zh,
            step.version,
            actor_name(step.actor, users),
            step.at,
            step.remarks,
            json.loads(step.findings) if step.findings else [],
        )
        for step in uow.session.scalars(
            select(VillageRegisterStep)
            .where(VillageRegisterStep.register_id == register.id)
            .order_by(VillageRegisterStep.id)
        )
    ]
    return RegisterDetail(_views(uow, [register])[0], lines, history)


def _still_to_pay(principal: Principal, year: int) -> list[ColumnElement[bool]]:
    """This year's enrollments a principal sees that money can complete and that are on no open register."""
    return [
        Enrollment.insurance_year == year,
        Enrollment.state.in_(PAYABLE_ENROLLMENTS),
        enrollment_scope(principal),
        ~exists(
            select(VillageRegisterLine.id)
            .join(VillageRegister, VillageRegister.id == VillageRegisterLine.register_id)
            .where(VillageRegisterLine.enrollment_id == Enrollment.id, VillageRegister.state.in_(OPEN_REGISTERS))
        ),
    ]


def payable_lines(uow: UnitOfWork, principal: Principal, year: int, village_code: str) -> list[tuple[int, int]]:
    """The village's people who still owe this year and are on no open register, with what each owes: the roster
    a clerk starts from."""
    may_see(principal)
    rows = uow.session.execute(
        select(Enrollment.id, Enrollment.individual_due_fen)
        .join(Resident, Resident.id == Enrollment.resident_id)
        .join(HouseholdMember, HouseholdMember.resident_id == Resident.id)
        .where(Resident.village_code == village_code, *_still_to_pay(principal, year))
        .order_by(HouseholdMember.household_id, Enrollment.id)
    ).all()
    paid = paid_fen(uow, [row[0] for row in rows])
    return [(i, (due or 0) - paid[i]) for i, due in rows if (due or 0) - paid[i] > 0]


def payable_counts(uow: UnitOfWork, principal: Principal, year: int, township_code: str) -> dict[str, int]:
    """Per village of a township: how many people are still to pay and on no open register (待缴人数)."""
    may_see(principal)
    rows = uow.session.execute(
        select(Resident.village_code, func.count())
        .join(Enrollment, Enrollment.resident_id == Resident.id)
        .where(Enrollment.township_code == township_code, *_still_to_pay(principal, year))
        .group_by(Resident.village_code)
    )
    return {village: count for village, count in rows if village is not None}
