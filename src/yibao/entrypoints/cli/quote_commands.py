"""`yibao quote`, `yibao reimburse` and `yibao examples`: what a resident owes and when cover runs, the fund's
share of a claim, and worked examples of the five plans — from the bundled plans, or a bureau's own where the
database has them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

import typer
from rich.table import Table

from yibao.domain.errors import YibaoError
from yibao.domain.money import format_yuan
from yibao.domain.timeutil import SHANGHAI
from yibao.domain.vocabulary import IDENTITIES, SERVICES, SEXES
from yibao.entrypoints.cli.database import optional_session
from yibao.entrypoints.cli.output import console, fail, instant_option, print_json, yuan
from yibao.services.policy.quotes import QuoteRequest, ReimburseRequest, quote, reimburse

IDENTITY_HELP = "身份类别，可重复 / identity code, repeatable: " + "; ".join(f"{k} {v}" for k, v in IDENTITIES.items())


def quote_command(
    policy: Annotated[str, typer.Option("--policy", help="policy id")],
    id_number: Annotated[str, typer.Option("--id-number", help="公民身份号码 (18 or 15 digits)")],
    as_of: Annotated[str | None, typer.Option("--as-of", help="registration date/time; default: now")] = None,
    paid_at: Annotated[
        str | None, typer.Option("--paid-at", help="payment time, ISO 8601; no offset = Asia/Shanghai")
    ] = None,
    category: Annotated[str | None, typer.Option(help="adult|student|child|newborn; default from age")] = None,
    tier: Annotated[str | None, typer.Option(help="tier id (high|middle|low…); default: the plan's")] = None,
    identity: Annotated[list[str] | None, typer.Option("--identity", help=IDENTITY_HELP)] = None,
    employee_insurance_ended: Annotated[
        str | None, typer.Option("--employee-insurance-ended", help="date employee insurance ended")
    ] = None,
    channel: Annotated[str | None, typer.Option(help="village|community|school|kindergarten|…|individual")] = None,
    residency: Annotated[
        str | None, typer.Option(help="local_hukou|residence_permit|permit_dependant|nonlocal")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """What a resident owes, who pays the rest, and when cover runs. 核定个人缴费与待遇享受期。"""
    registered_at = instant_option(as_of, "as_of", as_json) or datetime.now(SHANGHAI)
    ended: date | None = None
    if employee_insurance_ended is not None:
        try:
            ended = date.fromisoformat(employee_insurance_ended)
        except ValueError:
            fail(
                YibaoError("DATETIME_INVALID", field="employee_insurance_ended", value=employee_insurance_ended),
                as_json=as_json,
            )
    request = QuoteRequest(
        policy_id=policy,
        id_number=id_number,
        registered_at=registered_at,
        paid_at=instant_option(paid_at, "paid_at", as_json),
        category=category,
        tier=tier,
        identities=tuple(identity or ()),
        employee_insurance_ended=ended,
        channel=channel,
        residency=residency,
    )
    try:
        with optional_session() as session:
            result = quote(request, session)
    except YibaoError as error:
        fail(error, as_json=as_json)
    if as_json:
        print_json(result)
    else:
        _print_quote(result)


def _print_quote(result: dict[str, Any]) -> None:
    status = "[green]可以参保[/]" if result["eligible"] else f"[red]不能参保[/]：{result['reason']}"
    console.print(
        f"《{result['policy_name']}》  {result['id_number_masked']}  {SEXES.get(result['sex'], result['sex'])} "
        f"{result['age']}岁  {status}",
        highlight=False,
    )
    for warning in result["warnings"]:
        console.print(f"[yellow]提示[/] {warning['message']}")
    if result["eligible"]:
        table = Table("项目", "金额/内容", show_header=False)
        table.add_row(
            "人员类别 / 缴费档次 / 待遇档次",
            f"{result['category_name']} / {result['tier_name']} / {result['benefit_tier_name']}",
        )
        table.add_row("筹资标准", yuan(result["financing_total_fen"]))
        table.add_row("政府补助", yuan(result["government_subsidy_fen"]))
        if result["assisted_subsidy_fen"]:
            names = result["payer_names"]
            payers = "，".join(
                f"{names.get(payer, payer)} {format_yuan(fen)}"
                for payer, fen in result["assisted_by_payer_fen"].items()
            )
            table.add_row(
                f"资助参保（{result['assisted_group_name'] or result['assisted_group']}）",
                f"{yuan(result['assisted_subsidy_fen'])}（{payers}）",
            )
        table.add_row("[bold]个人应缴[/]", f"[bold]{yuan(result['individual_due_fen'])}[/]")
        table.add_row(
            "待遇享受期",
            f"{result['benefit_start']} 至 {result['benefit_end']}" + ("（逾期参保）" if result["late"] else ""),
        )
        for extra in result["extra_benefit_periods"]:
            table.add_row(extra["name"], f"{extra['start']} 至 {extra['end']}")
        console.print(table)
    # Each of the plan's sentences once, though several rules may rest on it.
    cited = dict.fromkeys(
        (rule["clause"]["section"], rule["clause"]["text"]) for rule in result["rules"] if rule["clause"]
    )
    for section, text in cited:
        console.print(f"[dim]· 〔{section}〕{text}[/]", highlight=False)
    for assumption in result["assumptions"]:
        console.print(f"[yellow]假设[/]：{assumption['statement']}", highlight=False)


def reimburse_command(
    policy: Annotated[str, typer.Option("--policy")],
    benefit_tier: Annotated[str, typer.Option("--benefit-tier", help="high|low")],
    service: Annotated[str, typer.Option("--service", help="outpatient|special_disease|inpatient")],
    hospital_level: Annotated[str, typer.Option("--hospital-level", help="1|2|3")],
    expense_fen: Annotated[int, typer.Option("--expense-fen", help="eligible expense in fen")],
    ytd_reimbursed_fen: Annotated[int, typer.Option("--ytd-reimbursed-fen")] = 0,
    ytd_deductible_paid_fen: Annotated[
        int | None, typer.Option("--ytd-deductible-paid-fen", help="deductible already borne this year")
    ] = None,
    identity: Annotated[list[str] | None, typer.Option("--identity", help=IDENTITY_HELP)] = None,
    setting: Annotated[
        str | None,
        typer.Option(
            "--setting",
            help="pharmacy (定点零售药店购药: --hospital-level is the prescribing institution's) | "
            "emergency_observation (急诊抢救留观后转住院)",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Estimate the fund's share of a claim. 估算报销金额。"""
    request = ReimburseRequest(
        policy_id=policy,
        benefit_tier=benefit_tier,
        service=service,
        hospital_level=hospital_level,
        expense_fen=expense_fen,
        ytd_reimbursed_fen=ytd_reimbursed_fen,
        ytd_deductible_paid_fen=ytd_deductible_paid_fen,
        identities=tuple(identity or ()),
        setting=setting,
    )
    try:
        with optional_session() as session:
            result = reimburse(request, session)
    except YibaoError as error:
        fail(error, as_json=as_json)
    if as_json:
        print_json(result)
        return
    if not result["computed"]:
        ratio = f"支付比例 {result['ratio']}；" if result["ratio"] else ""
        console.print(
            f"{SERVICES[result['service']]} {result['hospital_level']}级 {ratio}{result['message']}", highlight=False
        )
        return
    console.print(
        f"{result['policy']} {result['service']} {result['hospital_level']}级 {result['benefit_tier']}档："
        f"费用 {yuan(result['expense_fen'])}，起付 {yuan(result['deductible_fen'])}，比例 {result['ratio']}，"
        f"封顶 {yuan(result['cap_fen']) if result['cap_fen'] is not None else '无'} "
        f"→ 报销 [bold]{yuan(result['reimbursed_fen'])}[/]" + ("（已达封顶）" if result["capped"] else ""),
        highlight=False,
    )
    for assumption in result["assumptions"]:
        console.print(f"[yellow]假设[/]：{assumption['statement']}", highlight=False)


def examples_command() -> None:
    """Walk through the five plans with worked quotes. 示例：五个方案的核定。"""
    from yibao.entrypoints.cli.demo import run_demo  # the examples' own imports, not every quote's

    run_demo(console)
