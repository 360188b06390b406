"""Reconciliation (对账): a bank's or the tax bureau's statement of money received, checked whole, each line given
an explicit state, and the payments it brings recorded set-wise — in one transaction, so a statement is either
wholly reconciled or not at all.

Line states (see :class:`yibao.domain.states.StatementLineState`):

* ``matched``: a new payment on the notice the line names (:mod:`~yibao.services.money.bulk_payments`);
* ``already_recorded``: the channel's transaction is on record with the same amount (a counter or an app told us
  first) — people and money agree;
* ``amount_differs``: on record with another amount;
* ``duplicate_line``: the same transaction earlier in this file or in an earlier statement;
* ``reversal``: a reversal line, applied to the payment it names;
* ``no_such_notice``: nothing to match it to (no notice number, an unknown or voided notice, an unknown
  original transaction);
* ``refused``: the plan takes no payment at that moment.

The last three are finance's worklist until a finance user assigns the line to a notice or rejects it. The same
file imported again is the same statement: nothing changes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, cast

import polars as pl
from sqlalchemy import Table, select

from yibao.adapters.db.arrow_read import read_here
from yibao.adapters.db.bulk import bulk_insert, reserve_ids, staged_keys
from yibao.adapters.db.tables import Payment, PaymentNotice, Statement, StatementLine
from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.adapters.sheet_files import Sheet
from yibao.domain.engine.reasons import reason_text
from yibao.domain.errors import YibaoError, message_for
from yibao.domain.roster import ERRORS, ROW
from yibao.domain.statement import (
    STATEMENT_COLUMNS,
    check_statement,
    unknown_layout_keys,
    with_layout,
)
from yibao.domain.states import PaymentKind, StatementLineState
from yibao.services.access import Permission, Principal
from yibao.services.audit_batch import AuditBatch
from yibao.services.jobs import Progress, no_progress
from yibao.services.money.bulk_payments import pay_notice_lines
from yibao.services.money.payments import check_channel
from yibao.services.money.reversals import reverse
from yibao.services.sheets import RowProblem, SheetReport, read_table

LINE_COLUMNS = (
    "row",
    "transaction_id",
    "kind",
    "amount_fen",
    "paid_at",
    "notice_number",
    "payer_name",
    "original_transaction_id",
    "memo",
)


@dataclass(frozen=True)
class StatementRequest:
    channel: str
    file_name: str
    content: bytes
    layout: Mapping[str, str] | None = None  # a bank's own headers: {their header: our column key}


@dataclass
class StatementReport(SheetReport):
    statement_id: int | None  # None: refused, nothing written
    file_name: str
    channel: str
    replayed: bool  # the same file was imported before: this is that statement
    lines: int
    amount_fen: int
    state_counts: dict[str, int]
    problems: list[RowProblem]
    sheet: Sheet | None = field(default=None, repr=False)
    mapping: dict[str, str] = field(default_factory=dict, repr=False)

    def details(self) -> dict[str, Any]:
        return {"state_names": {state: StatementLineState(state).zh for state in self.state_counts}}


def import_statement(
    uow: UnitOfWork, principal: Principal, request: StatementRequest, progress: Progress = no_progress
) -> StatementReport:
    principal.require(Permission.PAYMENTS)
    check_channel(request.channel)
    unknown = unknown_layout_keys(request.layout)
    if unknown:
        available = "、".join(column.key for column in STATEMENT_COLUMNS)
        raise YibaoError("STATEMENT_LAYOUT_UNKNOWN", field="layout", keys="、".join(unknown), available=available)
    digest = hashlib.sha256(request.content).hexdigest()
    earlier = uow.session.scalars(
        select(Statement).where(
            Statement.channel == request.channel,
            Statement.file_sha256 == digest,
            Statement.district_code == principal.district,
        )
    ).first()
    if earlier is not None:
        return _report(earlier, replayed=True)
    progress("读取", 0, 3)
    sheet, mapping = read_table(request.content, request.file_name, with_layout(request.layout))
    frame = sheet.frame.select(ROW, *[pl.col(header).alias(key) for header, key in mapping.items()])
    checked = check_statement(frame)
    problems = _problems(checked, mapping)
    if problems:  # checked whole: nothing is written until every line reads
        return StatementReport(
            None, request.file_name, request.channel, False, sheet.rows, 0, {}, problems, sheet, mapping
        )
    progress("核对", 1, 3)
    # The statement's row first: on SQLite its insert takes the database's write lock, which the id reservations
    # of the bulk writes below rely on.
    statement = Statement(
        channel=request.channel,
        district_code=principal.district,
        file_name=request.file_name[:200],
        file_sha256=digest,
        actor=uow.actor,
        at=uow.now,
        lines=checked.height,
        amount_fen=int(checked["amount_fen"].sum()),
        state_counts={},
    )
    uow.session.add(statement)
    uow.session.flush()
    lines = _classify(uow, principal, request.channel, checked)
    progress("入账", 2, 3)
    audit = AuditBatch(uow)
    paying = lines.filter(pl.col("state") == "pay")
    paid = pay_notice_lines(
        uow,
        request.channel,
        paying.select("key", "notice_number", "transaction_id", "amount_fen", "paid_at", "payer_name"),
        audit,
    )
    refusals = {code: f"政策不予受理：{reason_text(code)[0]}" for code in paid["reason"].drop_nulls().unique()}
    lines = lines.join(
        paid.rename({"state": "paid_state", "payment_id": "paid_id", "reason": "refusal"}), on="key", how="left"
    ).with_columns(
        state=pl.coalesce("paid_state", "state"),
        payment_id=pl.coalesce("paid_id", "payment_id"),
        note=pl.coalesce(pl.col("refusal").replace_strict(refusals, default=None, return_dtype=pl.String), "note"),
    )
    lines = _reversals(uow, principal, request.channel, lines)
    statement.state_counts = _counts(lines)
    uow.session.flush()
    connection = uow.session.connection()
    stored = lines.select(
        reserve_ids(connection, cast(Table, StatementLine.__table__), lines.height),
        pl.lit(statement.id).alias("statement_id"),
        pl.lit(request.channel).alias("channel"),
        *LINE_COLUMNS,
        "state",
        "payment_id",
        "township_code",
        pl.col("note").str.slice(0, 200),
    )
    bulk_insert(connection, cast(Table, StatementLine.__table__), stored)
    audit.write(connection)
    uow.audit(
        "import",
        "statement",
        statement.id,
        None,
        {"file_name": request.file_name, "channel": request.channel, "lines": lines.height} | statement.state_counts,
    )
    uow.commit()
    progress("完成", 3, 3)
    return _report(statement, replayed=False)


def _classify(uow: UnitOfWork, principal: Principal, channel: str, checked: pl.DataFrame) -> pl.DataFrame:
    """Every line's state as far as the records decide it; ``pay`` for lines to record on their notice."""
    connection = uow.session.connection()
    keys = pl.concat([checked["transaction_id"], checked["original_transaction_id"]]).drop_nulls()
    with staged_keys(connection, keys) as staged:
        recorded = read_here(
            connection,
            select(Payment.transaction_id, Payment.id, Payment.amount_fen, Payment.township_code, Payment.original_id)
            .join(staged, staged.c.key == Payment.transaction_id)
            .where(Payment.channel == channel, Payment.township_code.startswith(principal.district)),
            {
                "transaction_id": pl.String,
                "recorded_id": pl.Int64,
                "recorded_fen": pl.Int64,
                "recorded_township": pl.String,
                "recorded_original": pl.Int64,
            },
        )
        earlier = read_here(
            connection,
            select(StatementLine.transaction_id)
            .join(staged, staged.c.key == StatementLine.transaction_id)
            .where(StatementLine.channel == channel)
            .distinct(),
            {"transaction_id": pl.String},
        )
    with staged_keys(connection, checked["notice_number"]) as staged:
        notices = read_here(
            connection,
            select(PaymentNotice.number, PaymentNotice.township_code, PaymentNotice.voided_at)
            .join(staged, staged.c.key == PaymentNotice.number)
            .where(PaymentNotice.township_code.startswith(principal.district)),
            {"notice_number": pl.String, "notice_township": pl.String, "voided_at": pl.Datetime("us", "UTC")},
        )
    notice_frame = notices.select("notice_number", "notice_township", notice_void=pl.col("voided_at").is_not_null())
    lines = (
        checked.rename({ROW: "row"})
        .with_row_index("key")
        .with_columns(pl.col("key").cast(pl.Int64))
        .join(recorded, on="transaction_id", how="left")
        .join(earlier.with_columns(pl.lit(True).alias("seen_before")), on="transaction_id", how="left")
        .join(notice_frame, on="notice_number", how="left")
    )
    first_in_file = pl.col("row") == pl.col("row").min().over("transaction_id")
    payment = pl.col("kind") == PaymentKind.PAYMENT
    state = (
        pl.when(~first_in_file | pl.col("seen_before").fill_null(False))
        .then(pl.lit(StatementLineState.DUPLICATE_LINE.code))
        .when(payment & pl.col("recorded_id").is_not_null() & (pl.col("recorded_fen") == pl.col("amount_fen")))
        .then(pl.lit(StatementLineState.ALREADY_RECORDED.code))
        .when(payment & pl.col("recorded_id").is_not_null())
        .then(pl.lit(StatementLineState.AMOUNT_DIFFERS.code))
        .when(payment & pl.col("notice_township").is_not_null() & ~pl.col("notice_void"))
        .then(pl.lit("pay"))
        .when(payment)
        .then(pl.lit(StatementLineState.NO_SUCH_NOTICE.code))
        .otherwise(pl.lit("reverse"))
    )
    note = (
        pl.when(state == StatementLineState.AMOUNT_DIFFERS)
        .then(pl.format("系统已登记{}分", pl.col("recorded_fen")))
        .when((state == StatementLineState.NO_SUCH_NOTICE) & pl.col("notice_void").fill_null(False))
        .then(pl.lit("通知单已作废"))
        .when((state == StatementLineState.NO_SUCH_NOTICE) & pl.col("notice_number").is_not_null())
        .then(pl.lit("本区没有该通知单"))
        .when(state == StatementLineState.NO_SUCH_NOTICE)
        .then(pl.lit("未注明通知单号"))
    )
    return lines.with_columns(
        state=state,
        note=note,
        payment_id=pl.when(state.is_in([StatementLineState.ALREADY_RECORDED, StatementLineState.AMOUNT_DIFFERS])).then(
            pl.col("recorded_id")
        ),
        township_code=pl.coalesce("recorded_township", "notice_township"),
    )


def _reversals(uow: UnitOfWork, principal: Principal, channel: str, lines: pl.DataFrame) -> pl.DataFrame:
    """Reversal lines, few in any statement, one at a time through the same use case as a clerk's reversal."""
    outcomes = []
    for line in lines.filter(pl.col("state") == "reverse").iter_rows(named=True):
        original = uow.session.scalars(
            select(Payment).where(
                Payment.channel == channel,
                Payment.transaction_id == line["original_transaction_id"],
                Payment.kind == PaymentKind.PAYMENT,
                Payment.township_code.startswith(principal.district),
            )
        ).first()
        outcome: tuple[int, str, int | None, str | None, str | None] = (
            line["key"],
            StatementLineState.NO_SUCH_NOTICE,
            None,
            "原交易不存在",
            None,
        )
        if original is not None and original.amount_fen != -line["amount_fen"]:
            outcome = (
                line["key"],
                StatementLineState.AMOUNT_DIFFERS,
                original.id,
                f"原交易{original.amount_fen}分",
                original.township_code,
            )
        elif original is not None:
            try:
                view = reverse(uow, principal, original.id, f"对账单冲正{line['transaction_id']}", None)
                outcome = (line["key"], StatementLineState.REVERSAL, view.id, None, original.township_code)
            except YibaoError as refusal:  # reversed already, or refunded from
                outcome = (
                    line["key"],
                    StatementLineState.DUPLICATE_LINE,
                    original.id,
                    refusal.message,
                    original.township_code,
                )
        outcomes.append(outcome)
    if not outcomes:
        return lines
    decided = pl.DataFrame(
        outcomes,
        schema={
            "key": pl.Int64,
            "r_state": pl.String,
            "r_payment": pl.Int64,
            "r_note": pl.String,
            "r_township": pl.String,
        },
        orient="row",
    )
    return (
        lines.join(decided, on="key", how="left")
        .with_columns(
            state=pl.coalesce("r_state", "state"),
            payment_id=pl.when(pl.col("r_state").is_not_null()).then("r_payment").otherwise("payment_id"),
            note=pl.when(pl.col("r_state").is_not_null()).then("r_note").otherwise("note"),
            township_code=pl.coalesce("r_township", "township_code"),
        )
        .drop("r_state", "r_payment", "r_note", "r_township")
    )


def _counts(lines: pl.DataFrame) -> dict[str, int]:
    return {str(state): int(count) for state, count in lines.group_by("state").len().iter_rows()}


def _report(statement: Statement, *, replayed: bool) -> StatementReport:
    return StatementReport(
        statement.id,
        statement.file_name,
        statement.channel,
        replayed,
        statement.lines,
        statement.amount_fen,
        dict(statement.state_counts),
        [],
    )


def _problems(checked: pl.DataFrame, mapping: dict[str, str]) -> list[RowProblem]:
    header_of = {key: header for header, key in mapping.items()}
    problems = []
    for row in checked.filter(pl.col(ERRORS).list.len() > 0).select(ROW, ERRORS).iter_rows(named=True):
        for found in row[ERRORS]:
            zh, en = message_for(found["code"], value=found["value"])
            column = found["column"]
            problems.append(RowProblem(row[ROW], found["code"], column, header_of.get(column), zh, en))
    return problems
