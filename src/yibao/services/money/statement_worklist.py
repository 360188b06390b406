"""After a statement: the reconciliation report per township (people and money, every difference by name), and
finance's worklist of lines nothing matched — each assigned to a notice (the payment is then recorded, in the
same transaction as the line's new state) or rejected (the money goes back to the payer through the bank)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import and_, exists, func, select

from yibao.adapters.db.tables import Area, Payment, PaymentAllocation, Statement, StatementLine
from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.domain.errors import YibaoError
from yibao.domain.payments import PAYMENT_CHANNELS
from yibao.domain.states import OPEN_LINES, SETTLED_LINES, PaymentKind, StatementLineState
from yibao.services.access import Permission, Principal, payment_scope
from yibao.services.money.payments import PaymentRequest, take_payment


class LineView(BaseModel):
    id: int
    statement_id: int
    row: int
    channel: str
    transaction_id: str
    kind: str
    amount_fen: int
    paid_at: datetime
    notice_number: str | None
    payer_name: str | None
    state: str
    state_name: str
    payment_id: int | None
    township_code: str | None
    note: str | None
    resolved_by: str | None
    resolved_at: datetime | None


class TownshipReconciliation(BaseModel):
    township_code: str | None
    township_name: str
    lines: int
    statement_fen: int = 0  # what the statement says arrived (less reversals)
    settled_fen: int = 0  # lines matched, already recorded or assigned: people and money agree
    open_lines: int = 0
    people_paid: int = 0  # people the settled lines' payments pay for


class UnstatedPayment(BaseModel):
    """A payment recorded here, of the statement's channel and period, that the statement does not show."""

    payment_id: int
    transaction_id: str | None
    township_code: str
    amount_fen: int
    paid_at: datetime
    payer_name: str | None


class ReconciliationReport(BaseModel):
    statement_id: int
    channel: str
    channel_name: str
    file_name: str
    at: datetime
    state_counts: dict[str, int]
    townships: list[TownshipReconciliation]
    differences: list[LineView]  # every line not settled, by name
    unstated: list[UnstatedPayment]


def line_view(line: StatementLine) -> LineView:
    return LineView(
        id=line.id,
        statement_id=line.statement_id,
        row=line.row,
        channel=line.channel,
        transaction_id=line.transaction_id,
        kind=line.kind,
        amount_fen=line.amount_fen,
        paid_at=line.paid_at,
        notice_number=line.notice_number,
        payer_name=line.payer_name,
        state=line.state,
        state_name=StatementLineState(line.state).zh,
        payment_id=line.payment_id,
        township_code=line.township_code,
        note=line.note,
        resolved_by=line.resolved_by,
        resolved_at=line.resolved_at,
    )


def _statement(uow: UnitOfWork, principal: Principal, statement_id: int) -> Statement:
    principal.require(Permission.PAYMENTS)
    statement = uow.session.get(Statement, statement_id)
    if statement is None or statement.district_code != principal.district:
        raise YibaoError("STATEMENT_NOT_FOUND", field="statement_id", id=statement_id)
    return statement


def reconciliation_report(uow: UnitOfWork, principal: Principal, statement_id: int) -> ReconciliationReport:
    statement = _statement(uow, principal, statement_id)
    lines = uow.session.scalars(
        select(StatementLine).where(StatementLine.statement_id == statement.id).order_by(StatementLine.row)
    ).all()
    names = dict(uow.session.execute(select(Area.code, Area.name).where(Area.level == "township")).all())
    people = dict(
        uow.session.execute(
            select(StatementLine.township_code, func.count(func.distinct(PaymentAllocation.enrollment_id)))
            .join(PaymentAllocation, PaymentAllocation.payment_id == StatementLine.payment_id)
            .where(StatementLine.statement_id == statement.id, StatementLine.state.in_(SETTLED_LINES))
            .group_by(StatementLine.township_code)
        ).all()
    )
    townships: dict[str | None, TownshipReconciliation] = {}
    for line in lines:
        row = townships.setdefault(
            line.township_code,
            TownshipReconciliation(
                township_code=line.township_code,
                township_name=names.get(line.township_code or "", "未匹配"),
                lines=0,
                people_paid=people.get(line.township_code, 0),
            ),
        )
        row.lines += 1
        if line.state != StatementLineState.DUPLICATE_LINE:
            row.statement_fen += line.amount_fen
        if line.state in SETTLED_LINES:
            row.settled_fen += line.amount_fen
        if line.state in OPEN_LINES:
            row.open_lines += 1
    return ReconciliationReport(
        statement_id=statement.id,
        channel=statement.channel,
        channel_name=PAYMENT_CHANNELS[statement.channel],
        file_name=statement.file_name,
        at=statement.at,
        state_counts={
            state.code: n for state in StatementLineState if (n := sum(1 for line in lines if line.state == state))
        },
        townships=sorted(townships.values(), key=lambda t: (t.township_code is None, t.township_code or "")),
        differences=[
            line_view(line) for line in lines if line.state not in (*SETTLED_LINES, StatementLineState.REVERSAL)
        ],
        unstated=_unstated(uow, principal, statement, lines),
    )


def _unstated(
    uow: UnitOfWork, principal: Principal, statement: Statement, lines: Sequence[StatementLine]
) -> list[UnstatedPayment]:
    """Recorded here but not on any statement of the channel, within the statement's period (人款不符 the other
    way round: money a counter or a village says it took that the bank has not seen)."""
    if not lines:
        return []
    start, end = min(line.paid_at for line in lines), max(line.paid_at for line in lines)
    stated = exists().where(
        and_(StatementLine.channel == Payment.channel, StatementLine.transaction_id == Payment.transaction_id)
    )
    rows = uow.session.scalars(
        select(Payment)
        .where(
            Payment.channel == statement.channel,
            Payment.kind == PaymentKind.PAYMENT,
            Payment.paid_at >= start,
            Payment.paid_at <= end,
            payment_scope(principal),
            ~stated,
        )
        .order_by(Payment.paid_at)
    ).all()
    return [
        UnstatedPayment(
            payment_id=p.id,
            transaction_id=p.transaction_id,
            township_code=p.township_code,
            amount_fen=p.amount_fen,
            paid_at=p.paid_at,
            payer_name=p.payer_name,
        )
        for p in rows
    ]


def open_lines(uow: UnitOfWork, principal: Principal) -> list[LineView]:
    """The worklist: lines of the district's statements that nothing matched, until assigned or rejected."""
    principal.require(Permission.PAYMENTS)
    lines = uow.session.scalars(
        select(StatementLine)
        .join(Statement, Statement.id == StatementLine.statement_id)
        .where(Statement.district_code == principal.district, StatementLine.state.in_(OPEN_LINES))
        .order_by(StatementLine.paid_at, StatementLine.id)
    ).all()
    return [line_view(line) for line in lines]


def _open_line(uow: UnitOfWork, principal: Principal, line_id: int) -> StatementLine:
    principal.require(Permission.PAYMENTS)
    line = uow.session.scalars(
        select(StatementLine)
        .join(Statement, Statement.id == StatementLine.statement_id)
        .where(StatementLine.id == line_id, Statement.district_code == principal.district)
        .with_for_update(of=StatementLine)
    ).first()
    if line is None:
        raise YibaoError("LINE_NOT_FOUND", field="line_id", id=line_id)
    if line.state not in OPEN_LINES:
        raise YibaoError("LINE_NOT_OPEN", field="line_id", state=StatementLineState(line.state).zh, state_en=line.state)
    return line


def assign_line(
    uow: UnitOfWork, principal: Principal, line_id: int, notice_number: str | None, enrollment_id: int | None = None
) -> LineView:
    """The line is this notice's (or this person's) money: the payment is recorded as of the line's time, by the
    same rules as any payment, and the line closes with it."""
    line = _open_line(uow, principal, line_id)
    if line.kind != PaymentKind.PAYMENT or line.state == StatementLineState.AMOUNT_DIFFERS:
        raise YibaoError("LINE_NOT_OPEN", field="line_id", state=StatementLineState(line.state).zh, state_en=line.state)
    request = PaymentRequest(
        channel=line.channel,
        amount_fen=line.amount_fen,
        paid_at=line.paid_at,
        transaction_id=line.transaction_id,
        notice_number=notice_number,
        enrollment_id=enrollment_id,
        payer_name=line.payer_name,
        note=f"对账单{line.statement_id}第{line.row}行",
    )
    payment = take_payment(uow, principal, request)
    before = line_view(line).model_dump(mode="json")
    line.state, line.payment_id, line.township_code = StatementLineState.ASSIGNED, payment.id, payment.township_code
    line.resolved_by, line.resolved_at = uow.actor, uow.now
    uow.session.flush()
    uow.audit("assign", "statement_line", line.id, before, line_view(line).model_dump(mode="json"))
    uow.commit()
    return line_view(line)


def reject_line(uow: UnitOfWork, principal: Principal, line_id: int, reason: str) -> LineView:
    """Not ours to take (another district's, a stranger's transfer) or a difference settled with the bank: the
    line closes with the reason; the money goes back outside yibao's ledger."""
    if not reason.strip():
        raise YibaoError("REASON_REQUIRED", field="reason")
    line = _open_line(uow, principal, line_id)
    before = line_view(line).model_dump(mode="json")
    line.state, line.note = StatementLineState.REJECTED, reason.strip()[:200]
    line.resolved_by, line.resolved_at = uow.actor, uow.now
    uow.session.flush()
    uow.audit("reject", "statement_line", line.id, before, line_view(line).model_dump(mode="json"))
    uow.commit()
    return line_view(line)


class StatementSummary(BaseModel):
    id: int
    channel: str
    channel_name: str
    file_name: str
    at: datetime
    actor: str
    lines: int
    amount_fen: int
    state_counts: dict[str, int]


def recent_statements(uow: UnitOfWork, principal: Principal, limit: int = 20) -> list[StatementSummary]:
    principal.require(Permission.PAYMENTS)
    rows = uow.session.scalars(
        select(Statement)
        .where(Statement.district_code == principal.district)
        .order_by(Statement.id.desc())
        .limit(limit)
    ).all()
    return [
        StatementSummary(
            id=row.id,
            channel=row.channel,
            channel_name=PAYMENT_CHANNELS[row.channel],
            file_name=row.file_name,
            at=row.at,
            actor=row.actor,
            lines=row.lines,
            amount_fen=row.amount_fen,
            state_counts=row.state_counts,
        )
        for row in rows
    ]
