"""`yibao pay`: payment notices, payments, collection batches, reversals, refunds and the collection totals."""

from __future__ import annotations

import csv
from datetime import date
from decimal import InvalidOperation
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.domain.errors import YibaoError
from yibao.domain.money import yuan_to_fen
from yibao.domain.payments import PAYMENT_CHANNELS, BatchLine
from yibao.domain.states import EnrollmentState
from yibao.domain.timeutil import as_shanghai
from yibao.entrypoints.cli.options import Clock, Json, User, run_as
from yibao.entrypoints.cli.output import console, fail, instant_option, print_json, yuan
from yibao.services.access import Principal
from yibao.services.money import handovers, notices, payments, receipts, reversals
from yibao.services.money.collections import CollectionReport, collections, refunds_to_issue
from yibao.services.money.views import NoticeView, PaymentView

app = typer.Typer(help="缴费：缴费通知单、收款、代收批次、冲正、退费、收款汇总。Payments.", no_args_is_help=True)


def yuan_option(value: str, field: str, as_json: bool) -> int:
    try:
        return yuan_to_fen(value)
    except (ValueError, InvalidOperation):
        fail(YibaoError("YUAN_INVALID", field=field, value=value), as_json=as_json)


def people_csv(path: Path, as_json: bool) -> list[tuple[int, int]]:
    """A CSV of people and what was collected for each (columns enrollment_id, collected in yuan), for every
    command that takes one (a collection batch, a village's register); a bad row is refused with its row number."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    parsed = []
    for number, row in enumerate(rows, start=2):
        try:
            parsed.append((int(row["enrollment_id"]), yuan_to_fen(row["collected"])))
        except (KeyError, TypeError, ValueError, InvalidOperation):
            fail(YibaoError("YUAN_INVALID", field="collected", row=number, value=row.get("collected")), as_json=as_json)
    return parsed


@app.command("notice")
def notice_command(
    user: User,
    household: Annotated[int | None, typer.Option(help="household id: a notice for all its assessed members")] = None,
    enrollment: Annotated[int | None, typer.Option(help="enrollment id: a notice for one person")] = None,
    clock: Clock = None,
    as_json: Json = False,
) -> None:
    """开具缴费通知单 (a new notice voids the earlier one for the same people)."""
    view = run_as(
        user,
        clock,
        as_json,
        lambda uow, who: notices.issue_notice(uow, who, household_id=household, enrollment_id=enrollment),
    )
    _show_notice(view, as_json)


@app.command("show")
def show_command(
    number: Annotated[str, typer.Argument(help="缴费通知单号")], user: User, as_json: Json = False
) -> None:
    """A notice: its people, what each owes and has paid, and the payments on it."""
    _show_notice(run_as(user, None, as_json, lambda uow, who: notices.get_notice(uow, who, number)), as_json)


@app.command("record")
def record_command(
    user: User,
    channel: Annotated[str, typer.Option(help="、".join(f"{k} {v}" for k, v in PAYMENT_CHANNELS.items()))],
    amount: Annotated[str, typer.Option(help="amount received, in yuan (e.g. 440 or 440.50)")],
    notice: Annotated[str | None, typer.Option(help="缴费通知单号")] = None,
    enrollment: Annotated[int | None, typer.Option(help="enrollment id (instead of a notice)")] = None,
    transaction_id: Annotated[
        str | None, typer.Option(help="the channel's transaction id (not for counter cash)")
    ] = None,
    paid_at: Annotated[str | None, typer.Option(help="when the money moved; default: now")] = None,
    payer: Annotated[str | None, typer.Option(help="who paid")] = None,
    clock: Clock = None,
    as_json: Json = False,
) -> None:
    """收款: record a payment; the same channel transaction again records nothing new."""
    amount_fen = yuan_option(amount, "amount", as_json)

    def call(uow: UnitOfWork, who: Principal) -> PaymentView:
        request = payments.PaymentRequest(
            channel=channel,
            amount_fen=amount_fen,
            paid_at=instant_option(paid_at, "paid_at", as_json) or uow.now,
            transaction_id=transaction_id,
            notice_number=notice,
            enrollment_id=enrollment,
            payer_name=payer,
        )
        return payments.record_payment(uow, who, request)

    _show_payment(run_as(user, clock, as_json, call), as_json)


@app.command("receipt")
def receipt_command(
    payment_id: Annotated[int, typer.Argument(help="the payment's 编号")],
    user: User,
    output: Annotated[Path, typer.Option(dir_okay=False, help="the PDF to write")] = Path("缴费票据.pdf"),
) -> None:
    """缴费票据 as a PDF, to print and hand over."""
    content = run_as(user, None, False, lambda uow, who: receipts.receipt_pdf(uow, who, payment_id))
    output.write_bytes(content)
    console.print(f"已写出 {output}", highlight=False)


@app.command("batch")
def batch_command(
    lines: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV: enrollment_id,collected (yuan)")],
    user: User,
    batch_number: Annotated[str, typer.Option(help="the collector's own number for this hand-in")],
    collector: Annotated[str, typer.Option(help="the village, school or institution handing in")],
    handed_in: Annotated[str, typer.Option(help="cash handed in, in yuan")],
    paid_at: Annotated[str | None, typer.Option(help="when it was handed in; default: now")] = None,
    clock: Clock = None,
    as_json: Json = False,
) -> None:
    """代收批次: taken only if every person's amount is what they owe and the cash is their sum (人款相符)."""
    parsed = [BatchLine(enrollment_id, fen) for enrollment_id, fen in people_csv(lines, as_json)]
    handed_in_fen = yuan_option(handed_in, "handed_in", as_json)

    def call(uow: UnitOfWork, who: Principal) -> PaymentView:
        batch = payments.CollectionBatchRequest(
            batch_number,
            collector,
            handed_in_fen,
            instant_option(paid_at, "paid_at", as_json) or uow.now,
            tuple(parsed),
        )
        return payments.record_collection_batch(uow, who, batch)

    _show_payment(run_as(user, clock, as_json, call), as_json)


@app.command("reverse")
def reverse_command(
    payment_id: Annotated[int, typer.Argument()],
    user: User,
    reason: Annotated[str, typer.Option(help="why (e.g. 银行退票)")],
    transaction_id: Annotated[str | None, typer.Option(help="the channel's id of the reversal")] = None,
    as_json: Json = False,
) -> None:
    """冲正: undo a payment; the people it paid for owe again."""
    view = run_as(
        user, None, as_json, lambda uow, who: reversals.reverse_payment(uow, who, payment_id, reason, transaction_id)
    )
    _show_payment(view, as_json)


@app.command("refund")
def refund_command(
    payment_id: Annotated[int, typer.Argument()],
    user: User,
    reason: Annotated[str, typer.Option(help="why (e.g. 多缴退回)")],
    amount: Annotated[str | None, typer.Option(help="in yuan; default: all it holds for nobody")] = None,
    transaction_id: Annotated[str | None, typer.Option(help="the transfer's id")] = None,
    as_json: Json = False,
) -> None:
    """退费: pay back money that pays for nobody."""
    amount_fen = yuan_option(amount, "amount", as_json) if amount is not None else None
    view = run_as(
        user,
        None,
        as_json,
        lambda uow, who: reversals.refund_payment(uow, who, payment_id, reason, amount_fen, transaction_id),
    )
    _show_payment(view, as_json)


@app.command("refunds")
def refunds_command(user: User, year: Annotated[int | None, typer.Option()] = None, as_json: Json = False) -> None:
    """退费待办: payments holding money for nobody."""
    views: list[PaymentView] = run_as(user, None, as_json, lambda uow, who: refunds_to_issue(uow, who, year))
    if as_json:
        print_json([view.model_dump(mode="json") for view in views])
        return
    table = Table("缴费编号", "渠道", "流水号", "缴费人", "收款", "待退", title=f"退费待办（{len(views)}笔）")
    for view in views:
        table.add_row(
            str(view.id),
            view.channel_name,
            view.transaction_id or "—",
            view.payer_name or "—",
            yuan(view.amount_fen),
            yuan(view.unapplied_fen),
        )
    console.print(table)


@app.command("collections")
def collections_command(
    user: User,
    year: Annotated[int, typer.Option(help="insurance year")],
    day: Annotated[str | None, typer.Option(help="one day's payments (YYYY-MM-DD); default: the year's")] = None,
    as_json: Json = False,
) -> None:
    """收款汇总 per township and channel: received, reversed, refunded, applied, awaiting refund."""
    on: date | None = None
    if day is not None:
        parsed = instant_option(day, "day", as_json)
        on = as_shanghai(parsed).date() if parsed else None
    report: CollectionReport = run_as(user, None, as_json, lambda uow, who: collections(uow, who, year, on))
    if as_json:
        print_json(report.model_dump(mode="json"))
        return
    table = Table("镇（街）", "渠道", "笔数", "收款", "冲正", "退费", "已入参保", "待退", title=f"{year}年度收款汇总")
    for row in report.rows:
        table.add_row(
            row.township_name,
            row.channel_name,
            str(row.payments),
            yuan(row.received_fen),
            yuan(row.reversed_fen),
            yuan(row.refunded_fen),
            yuan(row.applied_fen),
            yuan(row.awaiting_refund_fen),
        )
    table.add_row(
        "合计",
        "",
        str(sum(row.payments for row in report.rows)),
        yuan(report.received_fen),
        yuan(report.reversed_fen),
        yuan(report.refunded_fen),
        yuan(report.applied_fen),
        yuan(report.awaiting_refund_fen),
        style="bold",
    )
    console.print(table)


def _show_notice(view: NoticeView, as_json: bool) -> None:
    if as_json:
        print_json(view.model_dump(mode="json"))
        return
    state = f"（已作废：{view.void_reason}）" if view.voided_at else ""
    console.print(
        f"缴费通知单 [bold]{view.number}[/]{state}  {view.township_name}  缴费人 {view.payer_name}  "
        f"应缴 {yuan(view.amount_fen)}  已缴 {yuan(view.paid_fen)}  尚欠 {yuan(view.balance_fen)}  "
        f"截止 {as_shanghai(view.due_at):%Y-%m-%d %H:%M}",
        highlight=False,
    )
    table = Table("姓名", "身份证号", "档次", "政府补助", "资助", "个人应缴", "本单", "已缴", "状态", "待遇期")
    for item in view.items:
        table.add_row(
            item.name,
            item.id_number,
            item.tier_name or "—",
            yuan(item.government_subsidy_fen),
            yuan(sum(item.assisted_by_payer_fen.values())),
            yuan(item.individual_due_fen),
            yuan(item.amount_fen),
            yuan(item.paid_fen),
            item.state,
            f"{item.benefit_start} 至 {item.benefit_end}" if item.state == EnrollmentState.EFFECTIVE else "—",
        )
    console.print(table)


def _show_payment(view: PaymentView, as_json: bool) -> None:
    if as_json:
        print_json(view.model_dump(mode="json"))
        return
    again = "（该交易已登记，未重复记账）" if view.duplicate else ""
    console.print(
        f"{view.kind_name} #{view.id} {view.channel_name} {yuan(view.amount_fen)}"
        f"{'  票据号 ' + view.receipt_number if view.receipt_number else ''}{again}",
        highlight=False,
    )
    for allocation in view.allocations:
        console.print(f"  {allocation.name} {allocation.id_number}：{yuan(allocation.amount_fen)}", highlight=False)
    if view.unapplied_fen:
        console.print(f"[yellow]未入参保、待退费 {yuan(view.unapplied_fen)}[/]", highlight=False)


@app.command("handover")
def handover_command(
    user: User,
    year: Annotated[int, typer.Option(help="insurance year")],
    township: Annotated[str, typer.Option(help="township code")],
    village: Annotated[str, typer.Option(help="the 村（居） that collected the cash")],
    day: Annotated[str, typer.Option(help="the collection day (YYYY-MM-DD)")],
    amount: Annotated[str, typer.Option(help="yuan handed up (negative: a correction, with --note)")],
    collector: Annotated[str, typer.Option(help="交款人: the community's collector")],
    receipts_issued: Annotated[str, typer.Option("--receipts", help="专用票据号 issued for this cash")] = "",
    note: Annotated[str | None, typer.Option(help="说明")] = None,
    clock: Clock = None,
    as_json: Json = False,
) -> None:
    """代收款上缴: a community's collected cash received by the township's finance office."""
    try:
        on = date.fromisoformat(day)
    except ValueError:
        fail(YibaoError("DATE_INVALID", field="day", value=day), as_json=as_json)
    request = handovers.HandoverRequest(
        year, township, village, on, yuan_option(amount, "amount", as_json), receipts_issued, collector, note
    )
    view = run_as(user, clock, as_json, lambda uow, who: handovers.record_handover(uow, who, request))
    if as_json:
        print_json({**view.__dict__, "day": view.day.isoformat(), "at": view.at.isoformat()})
        return
    console.print(f"已登记 {view.village_name} {view.day} 上缴 {yuan(view.amount_fen)}", highlight=False)


@app.command("handovers")
def handovers_command(
    user: User,
    year: Annotated[int, typer.Option(help="insurance year")],
    township: Annotated[str, typer.Option(help="township code")],
    as_json: Json = False,
) -> None:
    """Per community and collection day: collected through batches against handed up, and the difference."""
    days = run_as(user, None, as_json, lambda uow, who: handovers.handover_days(uow, who, year, township))
    if as_json:
        print_json([{**row.__dict__, "day": row.day.isoformat(), "difference_fen": row.difference_fen} for row in days])
        return
    table = Table("代收日期", "村（居）", "人数", "代收", "已上缴", "差额", "专用票据号", title=f"{year}年度代收款上缴")
    for row in days:
        table.add_row(
            row.day.isoformat(),
            row.village_name,
            str(row.people),
            yuan(row.collected_fen),
            yuan(row.handed_fen),
            yuan(row.difference_fen),
            "；".join(row.receipts),
        )
    console.print(table)
