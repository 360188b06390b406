"""The review chain's steps (嵩明: 交社保所进行核对，经核对人款相符、纸质名册与电子名册相符后，再……交县医保中心
最后复核，复核无误的，由村（居）委会或村小组将筹资款缴入农业银行指定帐户), each by the role and area the step
belongs to:

* 社保所核对 (a township's operator): people vs money — each person's collected amount against what they owe
  now, the cash against the roster's sum — and paper vs electronic — the paper found by its checksum, its totals
  and its households against the roster as it stands. Anything found returns the register to the village with
  every finding named; nothing found passes it.
* 医保中心复核 (the district bureau, someone other than the checker): passes it, or returns it with reasons.
* 缴入指定账户 (the township's operator, or finance): the village's deposit into the account, with the bank's
  reference — recorded as the register's collection batch, which pays for its people.

A return is an outcome, not an error: it is committed with its reasons and the register waits for the village's
corrected roster. An error (a step out of turn, a missing field) commits nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from yibao.adapters.db.tables import (
    Household,
    HouseholdMember,
    Resident,
    VillageRegisterLine,
    VillageRegisterStep,
)
from yibao.adapters.db.tables import VillageRegister as Register
from yibao.adapters.db.tables import VillageRegisterVersion as Version
from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.domain.errors import YibaoError
from yibao.domain.money import format_yuan
from yibao.domain.payments import BatchLine
from yibao.domain.registers import PASSED, PaperDifference, awaiting, paper_differences, read_paper_code
from yibao.domain.states import PAYABLE_ENROLLMENTS, RegisterAction, RegisterState, ReviewStep
from yibao.services.access import Permission, Principal
from yibao.services.money.ledger import paid_fen
from yibao.services.money.payments import CollectionBatchRequest, take_collection_batch
from yibao.services.review.registers import record_step, state_error
from yibao.services.review.scope import chain_of, visible_register
from yibao.services.review.views import RegisterDetail, households_of, register_detail, roster_rows
from yibao.services.users import actor_name, actor_names

# Who may do each step (and return the register from it).
STEP_PERMISSION = {
    ReviewStep.TOWNSHIP_CHECK: Permission.CHECK_REGISTERS,
    ReviewStep.COUNTY_REVIEW: Permission.REVIEW_REGISTERS,
    ReviewStep.DEPOSIT: Permission.TAKE_PAYMENTS,
}


@dataclass(frozen=True)
class CheckRequest:
    cash_fen: int  # the cash counted at the office
    paper_code: str  # the checksum typed off the paper, or its QR code scanned
    paper_people: int | None = None  # the paper's 合计 row; None: the scanned QR code's
    paper_total_fen: int | None = None
    remarks: str | None = None


def _at_step(uow: UnitOfWork, principal: Principal, register_id: int, step: ReviewStep | None) -> Register:
    """The register, locked, if it waits for ``step`` (None: for any step, to be returned from it) and the principal
    may take the step it waits for."""
    if step is not None:
        principal.require(STEP_PERMISSION[step])
    register = visible_register(uow, principal, register_id, lock=True)
    principal.require_township(register.township_code)
    due = awaiting(
        chain_of(uow, register.township_code[:6], register.insurance_year).steps, RegisterState(register.state)
    )
    if due is None or (step is not None and due is not step):
        raise state_error(register, step.zh, step.code) if step is not None else state_error(register, "退回", "return")
    principal.require(STEP_PERMISSION[due])
    return register


def check_register(uow: UnitOfWork, principal: Principal, register_id: int, request: CheckRequest) -> RegisterDetail:
    """社保所核对: passes the register, or returns it naming each person and household that differs."""
    register = _at_step(uow, principal, register_id, ReviewStep.TOWNSHIP_CHECK)
    code = read_paper_code(request.paper_code)
    if not code.checksum:
        raise YibaoError("REGISTER_PAPER_CODE_REQUIRED", field="paper_code")
    if code.number is not None and code.number != register.number:
        raise YibaoError("REGISTER_OTHER_PAPER", field="paper_code", paper=code.number, number=register.number)
    people = request.paper_people if request.paper_people is not None else code.people
    total = request.paper_total_fen if request.paper_total_fen is not None else code.total_fen
    if people is None or total is None:
        raise YibaoError("REGISTER_PAPER_TOTALS_REQUIRED", field="paper_people")
    findings = _people_and_money(uow, register, request.cash_fen) + _paper(uow, register, code.checksum, people, total)
    if findings:
        register.state = RegisterState.RETURNED
        record_step(uow, register, RegisterAction.RETURN, request.remarks, findings)
    else:
        register.state = PASSED[ReviewStep.TOWNSHIP_CHECK]
        record_step(uow, register, RegisterAction.CHECK, request.remarks)
    uow.commit()
    return register_detail(uow, principal, register.id)


def _people_and_money(uow: UnitOfWork, register: Register, cash_fen: int) -> list[str]:
    """人款相符: each person's collected amount against what they still owe, and the cash against the sum."""
    rows = roster_rows(uow, register.id)
    paid = paid_fen(uow, [row.enrollment_id for row in rows])
    findings = []
    for row in rows:
        owed = (row.individual_due_fen or 0) - paid[row.enrollment_id] if row.state in PAYABLE_ENROLLMENTS else 0
        if row.collected_fen != owed:
            findings.append(
                f"人款不符：{_household(row.household_number)}{row.name}应缴{format_yuan(owed)}元，"
                f"登记册收{format_yuan(row.collected_fen)}元"
            )
    if cash_fen != register.total_fen:
        findings.append(f"人款不符：清点现金{format_yuan(cash_fen)}元，登记册合计{format_yuan(register.total_fen)}元")
    return findings


def _household(number: str | None) -> str:
    return f"户号{number}　" if number else ""


def _paper(uow: UnitOfWork, register: Register, checksum: str, people: int, total_fen: int) -> list[str]:
    """纸电相符: the paper is a print of this register, and neither its households nor its totals differ from
    the electronic roster as it stands."""
    printed = uow.session.scalars(
        select(Version).where(Version.register_id == register.id, Version.checksum == checksum)
    ).first()
    findings = []
    if printed is None:
        findings.append(f"纸电不符：纸质名册校验码{checksum}不是本登记册任何一版打印的，请用系统打印的登记册")
    elif printed.version != register.version:
        differences = paper_differences(households_of(uow, register, printed.version), households_of(uow, register))
        heads = _household_heads(uow, [d.household_id for d in differences])
        findings += [
            f"纸电不符：{heads.get(d.household_id, '')}{_difference(d)}（纸质名册为第{printed.version}版，"
            f"电子名册已更正为第{register.version}版）"
            for d in differences
        ]
    if (people, total_fen) != (register.people, register.total_fen):
        findings.append(
            f"纸电不符：纸质名册合计{people}人、{format_yuan(total_fen)}元，"
            f"电子名册{register.people}人、{format_yuan(register.total_fen)}元"
        )
    return findings


def _difference(difference: PaperDifference) -> str:
    paper = f"纸质{difference.paper_people}人{format_yuan(difference.paper_fen)}元"
    electronic = f"电子{difference.electronic_people}人{format_yuan(difference.electronic_fen)}元"
    return f"{difference.kind}：{paper}，{electronic}"


def _household_heads(uow: UnitOfWork, household_ids: list[int]) -> dict[int, str]:
    """A household as the village knows it: its number and the name of its head (or of a member, if no head)."""
    rows = uow.session.execute(
        select(Household.id, Household.number, Resident.name, HouseholdMember.relation)
        .join(HouseholdMember, HouseholdMember.household_id == Household.id)
        .join(Resident, Resident.id == HouseholdMember.resident_id)
        .where(Household.id.in_(household_ids))
        .order_by(Household.id, Resident.id)
    ).all()
    named: dict[int, str] = {}
    for household_id, number, name, relation in rows:
        if household_id not in named or relation == "户主":
            named[household_id] = f"{_household(number)}{name}户　"
    return named


def review_register(uow: UnitOfWork, principal: Principal, register_id: int, remarks: str | None) -> RegisterDetail:
    """医保中心复核: the county passes the township's checked register; the checker may not review it."""
    register = _at_step(uow, principal, register_id, ReviewStep.COUNTY_REVIEW)
    checker = uow.session.scalar(
        select(VillageRegisterStep.actor)
        .where(VillageRegisterStep.register_id == register.id, VillageRegisterStep.action == RegisterAction.CHECK)
        .order_by(VillageRegisterStep.id.desc())
    )
    if checker is not None and checker.rsplit(":", 1)[-1] == uow.actor.rsplit(":", 1)[-1]:
        raise YibaoError(
            "REGISTER_SAME_REVIEWER", field="register_id", name=actor_name(checker, actor_names(uow.session))
        )
    register.state = PASSED[ReviewStep.COUNTY_REVIEW]
    record_step(uow, register, RegisterAction.REVIEW, remarks)
    uow.commit()
    return register_detail(uow, principal, register.id)


def return_register(uow: UnitOfWork, principal: Principal, register_id: int, remarks: str) -> RegisterDetail:
    """Back to the village, with the reasons, by whoever the register waits for."""
    register = _at_step(uow, principal, register_id, None)
    if not remarks.strip():
        raise YibaoError("REGISTER_REMARKS_REQUIRED", field="remarks")
    register.state = RegisterState.RETURNED
    record_step(uow, register, RegisterAction.RETURN, remarks)
    uow.commit()
    return register_detail(uow, principal, register.id)


def deposit_register(
    uow: UnitOfWork, principal: Principal, register_id: int, reference: str, amount_fen: int
) -> RegisterDetail:
    """缴入指定账户: the village's deposit, with the bank's reference, pays for the register's people."""
    register = _at_step(uow, principal, register_id, ReviewStep.DEPOSIT)
    if not reference.strip():
        raise YibaoError("REGISTER_DEPOSIT_REFERENCE_REQUIRED", field="reference")
    if amount_fen != register.total_fen:
        raise YibaoError(
            "REGISTER_DEPOSIT_AMOUNT",
            field="amount_fen",
            amount=format_yuan(amount_fen),
            total=format_yuan(register.total_fen),
        )
    lines = tuple(
        BatchLine(enrollment_id, fen)
        for enrollment_id, fen in uow.session.execute(
            select(VillageRegisterLine.enrollment_id, VillageRegisterLine.collected_fen)
            .where(VillageRegisterLine.register_id == register.id)
            .order_by(VillageRegisterLine.id)
        )
    )
    payment = take_collection_batch(
        uow,
        principal,
        CollectionBatchRequest(register.number, register.collector, amount_fen, uow.now, lines),
    )
    register.payment_id = payment.id
    register.deposit_reference = reference.strip()[:64]
    register.state = PASSED[ReviewStep.DEPOSIT]
    record_step(uow, register, RegisterAction.DEPOSIT, f"缴款凭证号{register.deposit_reference}")
    uow.commit()
    return register_detail(uow, principal, register.id)
