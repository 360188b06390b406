"""`yibao review`: a village's 登记册 through the review chain its plan prescribes — received, corrected,
checked (people vs money, paper vs electronic), reviewed by the county, returned, deposited — and printed."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from pydantic import TypeAdapter
from rich.table import Table

from yibao.entrypoints.cli.money_commands import people_csv, yuan_option
from yibao.entrypoints.cli.options import Clock, Json, User, run_as
from yibao.entrypoints.cli.output import console, print_json, yuan
from yibao.services.review import registers, steps, views
from yibao.services.review.printout import write_register_paper

app = typer.Typer(
    help="登记册审核：收取、更正、社保所核对、医保中心复核、退回、缴入指定账户、打印。"
    "Village registers through review.",
    no_args_is_help=True,
)
Lines = Annotated[Path, typer.Option(exists=True, dir_okay=False, help="CSV: enrollment_id,collected (yuan)")]


def _show(detail: views.RegisterDetail, as_json: bool) -> None:
    if as_json:
        print_json(TypeAdapter(views.RegisterDetail).dump_python(detail, mode="json"))
        return
    register = detail.register
    console.print(
        f"登记册 {register.number}　{register.township_name}{register.village_name}　{register.state_name}"
        f"　待办：{register.awaiting_name or '无'}",
        highlight=False,
    )
    console.print(
        f"电子名册第{register.version}版　{register.people}人　合计{yuan(register.total_fen)}"
        f"　校验码 {register.checksum}",
        highlight=False,
    )
    history = Table("时间", "办理", "版本", "经办人", "意见与核对结果", title="办理记录")
    for step in detail.history:
        history.add_row(
            step.at.strftime("%Y-%m-%d %H:%M"),
            step.action_name,
            f"第{step.version}版",
            step.actor,
            "\n".join([*([step.remarks] if step.remarks else []), *step.findings]),
        )
    console.print(history)


@app.command("submit")
def submit_command(
    user: User,
    year: Annotated[int, typer.Option(help="insurance year")],
    township: Annotated[str, typer.Option(help="township code")],
    village: Annotated[str, typer.Option(help="the 村（居） handing its register in")],
    collector: Annotated[str, typer.Option(help="交册人: the village's collector")],
    cash: Annotated[str, typer.Option(help="the cash the village collected, in yuan")],
    lines: Lines,
    clock: Clock = None,
    as_json: Json = False,
) -> None:
    """村（居）提交: receive a village's register (its electronic roster as a CSV) with its cash."""
    request = registers.SubmitRequest(
        year, township, village, collector, yuan_option(cash, "cash", as_json), tuple(people_csv(lines, as_json))
    )
    _show(run_as(user, clock, as_json, lambda uow, who: registers.submit_register(uow, who, request)), as_json)


@app.command("amend")
def amend_command(
    register_id: Annotated[int, typer.Argument()],
    user: User,
    cash: Annotated[str, typer.Option(help="the cash the village collected, in yuan")],
    lines: Lines,
    clock: Clock = None,
    as_json: Json = False,
) -> None:
    """更正电子名册: a new version of the roster (before the township's check, or after a return)."""
    fen, roster = yuan_option(cash, "cash", as_json), tuple(people_csv(lines, as_json))
    _show(
        run_as(user, clock, as_json, lambda uow, who: registers.amend_register(uow, who, register_id, fen, roster)),
        as_json,
    )


@app.command("check")
def check_command(
    register_id: Annotated[int, typer.Argument()],
    user: User,
    cash: Annotated[str, typer.Option(help="the cash counted at the office, in yuan")],
    code: Annotated[str, typer.Option(help="the checksum printed on the paper, or its QR code's text")],
    people: Annotated[int | None, typer.Option(help="the paper's total people (default: the QR code's)")] = None,
    total: Annotated[str | None, typer.Option(help="the paper's total in yuan (default: the QR code's)")] = None,
    remarks: Annotated[str | None, typer.Option(help="核对意见")] = None,
    clock: Clock = None,
    as_json: Json = False,
) -> None:
    """社保所核对: people vs money and paper vs electronic; anything found returns the register, named."""
    request = steps.CheckRequest(
        yuan_option(cash, "cash", as_json),
        code,
        people,
        yuan_option(total, "total", as_json) if total is not None else None,
        remarks,
    )
    _show(run_as(user, clock, as_json, lambda uow, who: steps.check_register(uow, who, register_id, request)), as_json)


@app.command("pass")
def pass_command(
    register_id: Annotated[int, typer.Argument()],
    user: User,
    remarks: Annotated[str | None, typer.Option(help="复核意见")] = None,
    clock: Clock = None,
    as_json: Json = False,
) -> None:
    """医保中心复核通过 (by someone other than the township's checker)."""
    _show(run_as(user, clock, as_json, lambda uow, who: steps.review_register(uow, who, register_id, remarks)), as_json)


@app.command("return")
def return_command(
    register_id: Annotated[int, typer.Argument()],
    user: User,
    remarks: Annotated[str, typer.Option(help="退回原因")],
    clock: Clock = None,
    as_json: Json = False,
) -> None:
    """退回村（居）, with the reasons, by whoever the register waits for."""
    _show(run_as(user, clock, as_json, lambda uow, who: steps.return_register(uow, who, register_id, remarks)), as_json)


@app.command("deposit")
def deposit_command(
    register_id: Annotated[int, typer.Argument()],
    user: User,
    reference: Annotated[str, typer.Option(help="the bank's deposit reference (缴款凭证号)")],
    amount: Annotated[str, typer.Option(help="the amount deposited, in yuan")],
    clock: Clock = None,
    as_json: Json = False,
) -> None:
    """缴入指定账户: the deposit pays for the register's people."""
    fen = yuan_option(amount, "amount", as_json)
    _show(
        run_as(user, clock, as_json, lambda uow, who: steps.deposit_register(uow, who, register_id, reference, fen)),
        as_json,
    )


@app.command("list")
def list_command(
    user: User,
    year: Annotated[int, typer.Option(help="insurance year")],
    township: Annotated[str | None, typer.Option(help="one township's registers")] = None,
    as_json: Json = False,
) -> None:
    """The year's registers and where each stands."""
    rows = run_as(user, None, as_json, lambda uow, who: views.list_registers(uow, who, year, township))
    if as_json:
        print_json(TypeAdapter(list[views.RegisterView]).dump_python(rows, mode="json"))
        return
    table = Table("编号", "镇（街道）", "村（居）", "人数", "金额", "状态", "待办", title=f"{year}年度村（居）登记册")
    for row in rows:
        table.add_row(
            row.number,
            row.township_name,
            row.village_name,
            str(row.people),
            yuan(row.total_fen),
            row.state_name,
            row.awaiting_name or "",
        )
    console.print(table)


@app.command("show")
def show_command(register_id: Annotated[int, typer.Argument()], user: User, as_json: Json = False) -> None:
    """A register, its state and its history."""
    _show(run_as(user, None, as_json, lambda uow, who: views.register_detail(uow, who, register_id)), as_json)


@app.command("print")
def print_command(
    register_id: Annotated[int, typer.Argument()],
    user: User,
    out: Annotated[Path, typer.Option(help="the file to write (.pdf or .xlsx)")],
    as_json: Json = False,
) -> None:
    """The printed 登记册 of the roster's current version: totals, checksum and QR code, lines to sign."""
    kind = out.suffix.lstrip(".").lower()
    run_as(user, None, as_json, lambda uow, who: write_register_paper(uow, who, register_id, out, kind))
    if as_json:
        print_json({"path": str(out)})
        return
    console.print(f"已打印登记册：{out}", highlight=False)
