"""`yibao simulate`: run a draft plan over this year's people (测算); `yibao simulation`: the kept reports — list,
show, export as PDF or xlsx."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.adapters.job_files import data_directory
from yibao.domain.errors import YibaoError
from yibao.domain.simulation import FIGURE_NAMES, FIGURES, TierRule, TierShift
from yibao.entrypoints.cli.database import unit_of_work
from yibao.entrypoints.cli.options import Clock, Json, acting
from yibao.entrypoints.cli.output import console, fail, instant_option, print_json, yuan
from yibao.entrypoints.cli.progress import progress_bar
from yibao.services.simulation import exports, reports
from yibao.services.simulation.runs import SimulationRequest, SimulationView, run_simulation

app = typer.Typer(help="方案测算报告：查看、导出。Simulation reports: list, show, export.", no_args_is_help=True)
OptionalUser = Annotated[
    str | None, typer.Option(help="act as this user (their role and area apply); default: the operator")
]


@contextmanager
def _acting(user: str | None, clock: str | None, as_json: bool) -> Any:
    if user is not None:
        with acting(user, clock, as_json) as (uow, principal):
            yield uow, principal
        return
    with unit_of_work(now=instant_option(clock, "clock", as_json)) as uow:
        try:
            yield uow, None
        except YibaoError as error:
            fail(error, as_json=as_json)


def _shift(value: str | None, as_json: bool) -> TierShift | None:
    """``high:low=0.1``: a tenth of those in the high tier move to the low one."""
    if value is None:
        return None
    try:
        tiers, share = value.split("=")
        from_tier, to_tier = tiers.split(":")
        return TierShift(from_tier.strip(), to_tier.strip(), float(share))
    except ValueError:
        fail(YibaoError("SIMULATION_SHARE_INVALID", field="tier_shift", value=value), as_json=as_json)


def simulate_command(
    draft: Annotated[str, typer.Option(help="the draft plan's id (a plan added with yibao policy add)")],
    base_year: Annotated[int, typer.Option(help="the campaign to compare with (its enrollees are the base)")],
    tier_rule: Annotated[
        TierRule, typer.Option(help="keep: this year's tier where the draft has it; default: the draft's default")
    ] = TierRule.KEEP,
    tier_shift: Annotated[
        str | None, typer.Option(help="FROM:TO=SHARE, e.g. high:low=0.1 moves a tenth of the high tier to low")
    ] = None,
    with_unenrolled: Annotated[
        bool, typer.Option("--with-unenrolled", help="add the registered residents not enrolled this year")
    ] = False,
    registered_on: Annotated[
        str | None, typer.Option(help="the draft's registration day (YYYY-MM-DD); default: its window's opening")
    ] = None,
    pdf: Annotated[Path | None, typer.Option(help="also write the 测算报告 as a PDF here")] = None,
    xlsx: Annotated[Path | None, typer.Option(help="also write the township table as an xlsx here")] = None,
    user: OptionalUser = None,
    clock: Clock = None,
    as_json: Json = False,
) -> None:
    """方案测算：草案按本年度参保人员测算，与本年度对照。Simulate a draft plan over this year's people.

    What the draft raises against this year, by payer, township, category and tier, and who pays more. Writes
    nothing to the enrollments; the report is kept (yibao simulation list)."""
    try:
        day = date.fromisoformat(registered_on) if registered_on else None
    except ValueError:
        fail(YibaoError("DATE_INVALID", field="registered_on", value=registered_on), as_json=as_json)
    request = SimulationRequest(draft, base_year, tier_rule, _shift(tier_shift, as_json), with_unenrolled, day)
    with _acting(user, clock, as_json) as (uow, principal), progress_bar(quiet=as_json) as progress:
        report = run_simulation(uow, principal, request, progress, data_directory=data_directory())
        _write_files(uow, report, pdf, xlsx)
    _print(report, as_json)


def _write_files(uow: UnitOfWork, report: SimulationView, pdf: Path | None, xlsx: Path | None) -> None:
    if pdf is None and xlsx is None:
        return
    labels = reports.labels(uow, report)
    if pdf is not None:
        pdf.write_bytes(exports.report_pdf(report, labels))
    if xlsx is not None:
        exports.write_report_xlsx(report, labels, xlsx)


def _print(report: SimulationView, as_json: bool) -> None:
    if as_json:
        data = asdict(report)
        data["created_at"] = report.created_at.isoformat()
        print_json(data)
        return
    console.print(f"测算报告 {report.id}：{report.title}", highlight=False)
    for line in exports.headline(report):
        console.print(line, highlight=False)
    table = Table("项目", "本年度", "草案", "增减")
    total = report.summary["total"]
    for figure in FIGURES:
        now, new = total[f"{figure}_now"], total[f"{figure}_new"]
        table.add_row(FIGURE_NAMES[figure], yuan(now), yuan(new), yuan(new - now))
    console.print(table)
    console.print("测算假设：", highlight=False)
    for number, line in enumerate(report.assumptions, 1):
        console.print(f"  {number}. {line}", highlight=False)


@app.command("list")
def list_command(user: OptionalUser = None, clock: Clock = None, as_json: Json = False) -> None:
    """The district's reports, newest first."""
    with _acting(user, clock, as_json) as (uow, principal):
        found = reports.list_reports(uow, principal)
    if as_json:
        print_json(
            [
                {
                    "id": r.id,
                    "title": r.title,
                    "base_year": r.base_year,
                    "created_at": r.created_at.isoformat(),
                    "actor": r.actor,
                }
                for r in found
            ]
        )
        return
    table = Table("编号", "测算报告", "对照年度", "测算时间", "测算人")
    for r in found:
        table.add_row(str(r.id), r.title, str(r.base_year), f"{r.created_at:%Y-%m-%d %H:%M}", r.actor_name)
    console.print(table)


@app.command("show")
def show_command(report_id: int, user: OptionalUser = None, clock: Clock = None, as_json: Json = False) -> None:
    """One report: its totals, payers and assumptions."""
    with _acting(user, clock, as_json) as (uow, principal):
        report = reports.get_report(uow, principal, report_id)
    _print(report, as_json)


@app.command("export")
def export_command(
    report_id: int,
    output: Annotated[Path, typer.Option(help="the file to write: .pdf or .xlsx")],
    user: OptionalUser = None,
    clock: Clock = None,
    as_json: Json = False,
) -> None:
    """The 测算报告 as a PDF, or its township table as an xlsx."""
    with _acting(user, clock, as_json) as (uow, principal):
        report = reports.get_report(uow, principal, report_id)
        if output.suffix not in (".pdf", ".xlsx"):
            raise YibaoError("SIMULATION_FORMAT", field="output", format=output.suffix or output.name)
        is_pdf = output.suffix == ".pdf"
        _write_files(uow, report, output if is_pdf else None, None if is_pdf else output)
    if as_json:
        print_json({"id": report.id, "file": str(output)})
    else:
        console.print(f"已导出：{output}", highlight=False)
