"""`yibao report`: progress as of a day, the ranking bulletin, and the year's targets."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.domain.errors import YibaoError
from yibao.domain.timeutil import SHANGHAI
from yibao.entrypoints.cli.options import Clock, Json, User, run_as
from yibao.entrypoints.cli.output import console, fail, print_json
from yibao.services.access import Principal
from yibao.services.progress import statistics, targets, unit_reports
from yibao.services.progress.breakdown import DIMENSIONS, ProgressBreakdown, progress_breakdown
from yibao.services.progress.bulletin import headline, title, write_bulletin
from yibao.services.progress.report import ProgressReport, progress_report

app = typer.Typer(help="进度：参保进度、排名通报、任务指标。Progress and targets.", no_args_is_help=True)
Day = Annotated[str | None, typer.Option("--date", help="as of this day (YYYY-MM-DD); default: today")]


def _day(value: str | None, as_json: bool) -> date:
    if value is None:
        return datetime.now(SHANGHAI).date()
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(YibaoError("DATE_INVALID", field="date", value=value), as_json=as_json)


@app.command("breakdown")
def breakdown_command(
    user: User,
    by: Annotated[str, typer.Option(help="、".join(f"{k} {v}" for k, v in DIMENSIONS.items()))] = "village",
    township: Annotated[str | None, typer.Option(help="one township's code")] = None,
    day: Day = None,
    year: Annotated[int | None, typer.Option()] = None,
    as_json: Json = False,
) -> None:
    """参保进度明细 by village, channel or category (or township): to date and on the day itself."""
    on = _day(day, as_json)
    found: ProgressBreakdown = run_as(
        user, None, as_json, lambda uow, who: progress_breakdown(uow, who, on, by, township, year)
    )
    if as_json:
        print_json(found.model_dump(mode="json"))
        return
    places = ["镇（街）"] if found.by == "village" else []
    table = Table(
        *places,
        found.by_name,
        "已登记",
        "已核定",
        "已缴费",
        "当日缴费",
        "待遇已开始",
        title=f"截至 {found.on} 参保进度明细",
    )
    for row in found.rows:
        counts = (row.registered, row.assessed, row.paid, row.paid_on_day, row.covered)
        place = [row.township_name or "—"] if found.by == "village" else []
        table.add_row(*place, row.name, *(f"{count:,}" for count in counts))
    totals = found.totals
    counts = (totals.registered, totals.assessed, totals.paid, totals.paid_on_day, totals.covered)
    table.add_section()
    table.add_row(*([""] if places else []), "合计", *(f"{count:,}" for count in counts))
    console.print(table)


WAITING = {  # why a goal has no rate yet, by what its base is
    "statistics": "待导入统计数（yibao report base）",
    "register": "待导入户籍人口名单",
    "certified": "尚无部门认定的人员",
}


@app.command("progress")
def progress_command(
    user: User, day: Day = None, year: Annotated[int | None, typer.Option()] = None, as_json: Json = False
) -> None:
    """参保进度 per township: target, paid, change since the last report, completion, band, rank, projection."""
    on = _day(day, as_json)
    # Exact: an operator's command has no server folding behind it, and may take the seconds a long log costs.
    report: ProgressReport = run_as(
        user, None, as_json, lambda uow, who: progress_report(uow, who, on, year, exact=True)
    )
    if as_json:
        print_json(report.model_dump(mode="json"))
        return
    for line in headline(report):
        console.print(line, highlight=False)
    table = Table(
        "排名", "单位", "任务", "已缴费", "较上期", "完成率", "等级", "近7日日均", "按此进度完成", title=title(report)
    )
    for unit in report.units:
        table.add_row(
            str(unit.rank or "—"),
            unit.unit,
            f"{unit.target:,}" if unit.target else "—",
            f"{unit.paid:,}",
            f"{unit.paid_since_last:+,d}",
            f"{unit.completion:.1%}" if unit.completion is not None else "—",
            unit.band_name or "—",
            f"{unit.pace_per_day:.1f}",
            unit.reached_text,
        )
    console.print(table)
    for goal in report.goals:
        waiting = WAITING.get(goal.base_kind, "—")
        rate = f"{goal.rate:.1%}（目标{goal.goal:.0%}，基数{goal.base:,}）" if goal.rate is not None else waiting
        below = f"；未达标镇（街）：{'、'.join(goal.townships_below)}" if goal.townships_below else ""
        console.print(f"{goal.name}：{rate}{below}", highlight=False)


@app.command("bulletin")
def bulletin_command(
    output: Annotated[Path, typer.Argument(dir_okay=False, help="the file to write: .xlsx, .csv or .pdf")],
    user: User,
    day: Day = None,
) -> None:
    """排名通报 as a file."""
    on = _day(day, False)
    kind = output.suffix.lstrip(".").lower()

    def call(uow: UnitOfWork, who: Principal) -> Path:
        return write_bulletin(progress_report(uow, who, on, exact=True), output, kind)

    run_as(user, None, False, call)
    console.print(f"已写出排名通报：{output}")


@app.command("targets")
def targets_command(
    user: User,
    year: Annotated[int, typer.Option(help="insurance year")],
    load: Annotated[str | None, typer.Option(help="load this plan's target table first (policy id)")] = None,
    sheet: Annotated[
        Path | None, typer.Option("--import", exists=True, dir_okay=False, help="import the bureau's own sheet first")
    ] = None,
    bind: Annotated[
        str | None, typer.Option(help="bind this institution unit (e.g. 天津大学仁爱学院) to --organization")
    ] = None,
    organization: Annotated[int | None, typer.Option(help="the organization id (yibao area organizations)")] = None,
    as_json: Json = False,
) -> None:
    """任务指标 of the year; ``--load POLICY`` loads the plan's own table (replacing what it loaded before),
    ``--import FILE`` the bureau's own sheet (its units' targets replace theirs), ``--bind UNIT --organization
    ID`` counts an institution's target from that organization's enrollments (one of the same name is found by
    itself)."""
    if load:
        run_as(user, None, as_json, lambda uow, who: targets.load_policy_targets(uow, who, load))
    if sheet is not None:
        content = sheet.read_bytes()
        run_as(user, None, as_json, lambda uow, who: targets.import_targets(uow, who, year, sheet.name, content))
    if bind is not None:
        if organization is None:
            raise typer.BadParameter(
                "--bind 需要同时给出 --organization（学校或机构编号）", param_hint="--organization"
            )
        unit, organization_id = bind, organization
        run_as(user, None, as_json, lambda uow, who: targets.bind_institution(uow, who, year, unit, organization_id))
    rows = run_as(user, None, as_json, lambda uow, who: targets.list_targets(uow, who, year))
    if as_json:
        print_json([row.model_dump(mode="json") for row in rows])
        return
    table = Table("单位", "口径", "任务数", "计入学校或机构", "来源", title=f"{year}年度任务指标")
    for row in rows:
        table.add_row(row.unit, row.category_name, str(row.persons), row.organization_name or "", row.source)
    console.print(table)


@app.command("base")
def base_command(
    user: User,
    year: Annotated[int, typer.Option(help="insurance year")],
    sheet: Annotated[
        Path | None, typer.Option("--import", exists=True, dir_okay=False, help="the statistics sheet (镇（街）, 人数)")
    ] = None,
    goal: Annotated[str | None, typer.Option(help="the coverage goal it is the base of (e.g. general)")] = None,
    source: Annotated[str | None, typer.Option(help="where the count comes from: 县统计局2016年末农业人口")] = None,
    as_json: Json = False,
) -> None:
    """参保率基数（统计数）of the year's coverage goals measured against a statistical count; ``--import FILE
    --goal ID --source TEXT`` loads a goal's count per township (replacing the goal's earlier counts)."""
    if sheet is not None:
        if goal is None or source is None:
            raise typer.BadParameter("--import 需要同时给出 --goal 和 --source", param_hint="--goal")
        content, name, goal_id, told = sheet.read_bytes(), sheet.name, goal, source
        run_as(
            user,
            None,
            as_json,
            lambda uow, who: statistics.load_population_counts(uow, who, year, goal_id, name, content, told),
        )
    rows = run_as(user, None, as_json, lambda uow, who: statistics.list_population_counts(uow, who, year))
    if as_json:
        print_json([row.model_dump(mode="json") for row in rows])
        return
    table = Table("参保率目标", "镇（街）", "人数", "来源", title=f"{year}年度参保率基数（统计数）")
    for row in rows:
        table.add_row(row.goal_name, row.township_name, f"{row.persons:,}", row.source)
    console.print(table)


@app.command("submit")
def submit_command(
    user: User,
    year: Annotated[int, typer.Option(help="insurance year")],
    note: Annotated[str | None, typer.Option(help="说明")] = None,
    village: Annotated[
        str | None, typer.Option(help="a 村（居）'s report to its township (the township's clerk)")
    ] = None,
    clock: Clock = None,
    as_json: Json = False,
) -> None:
    """报送进度: one's unit's figures for this period (a department: the people it certified; a township: its own;
    with --village, a 村（居）'s report to its township)."""
    row = run_as(user, clock, as_json, lambda uow, who: unit_reports.submit_report(uow, who, year, note, village))
    if as_json:
        print_json(asdict(row))
        return
    figures = row.figures
    assert figures is not None
    console.print(
        f"已报送 {row.unit.name}：人数 {figures.people}，已参保 {figures.enrolled}，已缴费 {figures.paid}",
        highlight=False,
    )


@app.command("units")
def units_command(
    user: User,
    year: Annotated[int, typer.Option(help="insurance year")],
    on: Annotated[str | None, typer.Option(help="a day of the period (YYYY-MM-DD); default today")] = None,
    township: Annotated[str | None, typer.Option(help="a township's 村（居） instead of the district's units")] = None,
    clock: Clock = None,
    as_json: Json = False,
) -> None:
    """各单位报送情况: each department's and township's report for the period (or, with --township, each of the
    township's 村（居）), and who has not reported."""
    day = _day(on, as_json) if on else None

    def read(uow: UnitOfWork, who: Principal) -> unit_reports.PeriodReport:
        today = day or uow.now.astimezone(SHANGHAI).date()
        if township:
            return unit_reports.township_report(uow, who, year, today, township)
        return unit_reports.period_report(uow, who, year, today)

    report = run_as(user, clock, as_json, read)
    if as_json:
        print_json(asdict(report))
        return
    title = f"{year}年度 {report.period_start}至{report.period_end} 各单位报送情况"
    table = Table("单位", "报送时间", "人数", "已参保", "已缴费", "说明", title=title)
    for row in report.rows:
        figures = row.figures
        table.add_row(
            row.unit.name,
            row.submitted_at.astimezone(SHANGHAI).strftime("%m-%d %H:%M") if row.submitted_at else "未报送",
            *(
                (str(figures.people), str(figures.enrolled), str(figures.paid))
                if figures is not None
                else ("—", "—", "—")
            ),
            row.note or "",
        )
    console.print(table)
    if report.missing:
        console.print("未报送：" + "、".join(unit.name for unit in report.missing), highlight=False)
