"""`yibao reconcile`: import a bank's or the tax bureau's statement, read its report, work the unmatched lines."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from yibao.domain.errors import YibaoError
from yibao.domain.payments import PAYMENT_CHANNELS
from yibao.domain.statement import parse_layout
from yibao.domain.states import StatementLineState
from yibao.domain.timeutil import SHANGHAI, as_shanghai
from yibao.entrypoints.cli.database import unit_of_work
from yibao.entrypoints.cli.options import Clock, Json, User, run_as
from yibao.entrypoints.cli.output import console, fail, instant_option, print_json, yuan
from yibao.entrypoints.cli.progress import progress_bar
from yibao.services.money import statement_worklist
from yibao.services.money.reconciliation import StatementRequest, import_statement
from yibao.services.money.statement_worklist import LineView, ReconciliationReport
from yibao.services.progress.counts import fold_after_write
from yibao.services.users import acting_as

app = typer.Typer(
    help="对账：导入银行、税务对账单，查看对账结果，处理未匹配明细。Reconciliation.", no_args_is_help=True
)


@app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help=".xlsx or .csv (UTF-8 or GBK)")],
    user: User,
    channel: Annotated[str, typer.Option(help="、".join(f"{k} {v}" for k, v in PAYMENT_CHANNELS.items()))],
    column: Annotated[
        list[str] | None,
        typer.Option(help="a bank's own header: THEIR_HEADER=KEY (transaction_id, amount, paid_at, notice_number …)"),
    ] = None,
    clock: Clock = None,
    as_json: Json = False,
) -> None:
    """对账单导入: every line checked, then matched, recorded or put on the worklist; the same file again changes
    nothing."""
    try:
        layout = parse_layout(column or [], field="column")
    except YibaoError as refusal:
        fail(refusal, as_json=as_json)
    now = instant_option(clock, "clock", as_json) or datetime.now(SHANGHAI)
    request = StatementRequest(channel, file.name, file.read_bytes(), layout)
    uow = unit_of_work(user, now, as_json=as_json)
    with uow, progress_bar(quiet=as_json) as progress:
        try:
            report = import_statement(uow, acting_as(uow, user), request, progress)
            fold_after_write(uow, progress)
        except YibaoError as error:
            fail(error, as_json=as_json)
    written = None
    if report.problems:
        written = report.write_error_file(
            file.with_name(f"{file.stem}-错误.{report.sheet.kind if report.sheet else 'csv'}")
        )
    if as_json:
        print_json(report.summary(str(written) if written else None))
    elif report.statement_id is None:
        console.print(
            f"[bold red]对账单有 {len({p.row for p in report.problems})} 行错误，未导入[/]；错误文件：{written}"
        )
        for problem in report.problems[:20]:
            console.print(f"  第{problem.row}行 {problem.header or ''}：{problem.message}", highlight=False)
    else:
        again = "（该文件此前已导入，未作改动）" if report.replayed else ""
        counts = "，".join(f"{StatementLineState(s).zh} {n}" for s, n in report.state_counts.items())
        console.print(f"对账单 {report.statement_id}{again}：{report.lines} 行，{counts}", highlight=False)
    if report.statement_id is None:
        raise typer.Exit(code=1)


@app.command("report")
def report_command(statement_id: Annotated[int, typer.Argument()], user: User, as_json: Json = False) -> None:
    """对账结果 per township: statement vs settled money, people paid, every difference by name."""
    report: ReconciliationReport = run_as(
        user, None, as_json, lambda uow, who: statement_worklist.reconciliation_report(uow, who, statement_id)
    )
    if as_json:
        print_json(report.model_dump(mode="json"))
        return
    table = Table(
        "镇（街）",
        "行数",
        "对账单金额",
        "已相符",
        "未处理",
        "缴费人数",
        title=f"对账单 {report.statement_id} {report.file_name}",
    )
    for row in report.townships:
        table.add_row(
            row.township_name,
            str(row.lines),
            yuan(row.statement_fen),
            yuan(row.settled_fen),
            str(row.open_lines),
            str(row.people_paid),
        )
    console.print(table)
    _print_lines("差异明细", report.differences)
    for payment in report.unstated:
        console.print(
            f"[yellow]系统已登记、对账单未见[/]：缴费 {payment.payment_id} {payment.transaction_id or ''} "
            f"{payment.payer_name or ''} {yuan(payment.amount_fen)}",
            highlight=False,
        )


@app.command("lines")
def lines_command(user: User, as_json: Json = False) -> None:
    """待处理明细: lines nothing matched (no such notice, amount differs, refused)."""
    lines: list[LineView] = run_as(user, None, as_json, statement_worklist.open_lines)
    if as_json:
        print_json([line.model_dump(mode="json") for line in lines])
        return
    _print_lines(f"待处理明细（{len(lines)}行）", lines)


@app.command("assign")
def assign_command(
    line_id: Annotated[int, typer.Argument()],
    user: User,
    notice: Annotated[str | None, typer.Option(help="缴费通知单号")] = None,
    enrollment: Annotated[int | None, typer.Option(help="enrollment id (instead of a notice)")] = None,
    as_json: Json = False,
) -> None:
    """Record a line's money on a notice (or an enrollment)."""
    line = run_as(
        user, None, as_json, lambda uow, who: statement_worklist.assign_line(uow, who, line_id, notice, enrollment)
    )
    _print_line(line, as_json)


@app.command("reject")
def reject_command(
    line_id: Annotated[int, typer.Argument()],
    user: User,
    reason: Annotated[str, typer.Option(help="why (e.g. 非本区款项)")],
    as_json: Json = False,
) -> None:
    """Close a line that is not ours to take: the money goes back through the bank."""
    _print_line(
        run_as(user, None, as_json, lambda uow, who: statement_worklist.reject_line(uow, who, line_id, reason)), as_json
    )


def _print_line(line: LineView, as_json: bool) -> None:
    if as_json:
        print_json(line.model_dump(mode="json"))
    else:
        _print_lines("明细", [line])


def _print_lines(title: str, lines: list[LineView]) -> None:
    table = Table("编号", "对账单", "行", "流水号", "缴费人", "金额", "时间", "通知单号", "状态", "说明", title=title)
    for line in lines:
        table.add_row(
            str(line.id),
            str(line.statement_id),
            str(line.row),
            line.transaction_id,
            line.payer_name or "—",
            yuan(line.amount_fen),
            f"{as_shanghai(line.paid_at):%Y-%m-%d %H:%M}",
            line.notice_number or "—",
            line.state_name,
            line.note or "",
        )
    console.print(table)
