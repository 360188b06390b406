"""`yibao import roster`, `yibao import list`, `yibao import template`: rosters and department lists, checked whole
and imported at once."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from yibao.adapters.sheet_files import write_sheet
from yibao.domain.errors import YibaoError
from yibao.domain.timeutil import SHANGHAI, parse_instant
from yibao.entrypoints.cli.database import unit_of_work
from yibao.entrypoints.cli.output import console, fail, print_json
from yibao.entrypoints.cli.progress import progress_bar
from yibao.services.intake.department_lists import ListRequest, import_department_list
from yibao.services.intake.roster_import import import_roster
from yibao.services.intake.roster_report import RosterReport, RosterRequest
from yibao.services.intake.roster_template import roster_template
from yibao.services.policy.campaigns import campaign_policy
from yibao.services.progress.counts import fold_after_write
from yibao.services.sheets import RowProblem
from yibao.services.users import acting_as
from yibao.synthetic.rosters import roster

app = typer.Typer(help="批量导入：电子名册、部门名单。Bulk imports: rosters, department lists.", no_args_is_help=True)
SHOWN_PROBLEMS = 30


@app.command("roster")
def roster_command(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help=".xlsx or .csv (UTF-8 or GBK)")],
    township: Annotated[str, typer.Option(help="the township's 12-digit code, e.g. 120119100000 (渔阳镇)")],
    user: Annotated[str, typer.Option(help="act as this user: the import obeys the user's role and area")],
    channel: Annotated[str, typer.Option(help="village, community, school, kindergarten, welfare_institution …")] = (
        "village"
    ),
    policy: Annotated[str | None, typer.Option(help="policy id; default: the district's current campaign")] = None,
    organization: Annotated[int | None, typer.Option(help="organization id (school, institution)")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="check and report, write nothing")] = False,
    error_file: Annotated[
        Path | None, typer.Option(help="where to write the error file; default: beside FILE, named …-错误.xlsx")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="the report as JSON")] = False,
    clock: Annotated[
        str | None, typer.Option(help="import as if it were this moment (ISO 8601), e.g. inside a past campaign")
    ] = None,
) -> None:
    """Check a roster whole, then enroll every good row in one transaction. 导入电子名册。

    Every row's problems are reported at once, and written to an error file (the sheet with an error column and
    the faulty cells marked) to correct and import again: rows imported the first time are then unchanged.
    """
    try:
        now = parse_instant(clock) if clock else datetime.now(SHANGHAI)
    except ValueError:
        fail(YibaoError("DATETIME_INVALID", field="clock", value=clock), as_json=as_json)
    uow = unit_of_work(user, now, as_json=as_json)
    with uow, progress_bar(quiet=as_json) as progress:
        try:
            principal = acting_as(uow, user)
            policy_id = policy or campaign_policy(township[:6], now.date(), uow.session).id
            request = RosterRequest(file.name, file.read_bytes(), township, policy_id, channel, organization, dry_run)
            report = import_roster(uow, principal, request, progress)
            fold_after_write(uow, progress)
        except YibaoError as error:
            fail(error, as_json=as_json)
    written = None
    if report.problems:
        target = error_file or file.with_name(f"{file.stem}-错误.{report.sheet.kind}")
        written = report.write_error_file(target)
    if as_json:
        print_json(report.summary(str(written) if written else None))
    else:
        _print(report, written)
    if report.errors:
        raise typer.Exit(code=1)


@app.command("list")
def list_command(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help=".xlsx or .csv (UTF-8 or GBK)")],
    department: Annotated[
        str, typer.Option(help="civil_affairs (民政), disabled_persons (残联), veterans, veteran_cadres, …")
    ],
    user: Annotated[str, typer.Option(help="act as this user (a department user or a district admin)")],
    identity: Annotated[str | None, typer.Option(help="the identity of the whole list, e.g. dibao")] = None,
    valid_from: Annotated[datetime | None, typer.Option(formats=["%Y-%m-%d"], help="flags valid from")] = None,
    valid_to: Annotated[datetime | None, typer.Option(formats=["%Y-%m-%d"], help="flags valid until")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="check and report, write nothing")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="the report as JSON")] = False,
    clock: Annotated[str | None, typer.Option(help="as if it were this moment (ISO 8601)")] = None,
) -> None:
    """Import a department's special-group list (民政 低保 …): identity flags, and re-assessed enrollments.
    导入部门名单。"""
    try:
        now = parse_instant(clock) if clock else datetime.now(SHANGHAI)
    except ValueError:
        fail(YibaoError("DATETIME_INVALID", field="clock", value=clock), as_json=as_json)
    request = ListRequest(
        file.name,
        file.read_bytes(),
        department,
        identity,
        valid_from.date() if valid_from else None,
        valid_to.date() if valid_to else None,
        dry_run,
    )
    uow = unit_of_work(user, now, as_json=as_json)
    with uow, progress_bar(quiet=as_json) as progress:
        try:
            report = import_department_list(uow, acting_as(uow, user), request, progress)
            fold_after_write(uow, progress)
        except YibaoError as error:
            fail(error, as_json=as_json)
    written = None
    if report.problems:
        written = report.write_error_file(file.with_name(f"{file.stem}-错误.{report.sheet.kind}"))
    if as_json:
        print_json(report.summary(str(written) if written else None))
    else:
        title = "检查结果（未写入）" if report.dry_run else f"{report.department}名单导入结果（批次 {report.list_id}）"
        console.print(
            f"[bold]{title}[/]：共 {report.rows} 行；新记录身份 {report.flagged}，已有 {report.unchanged}，"
            f"未登记 {report.not_registered}，错误 {report.errors}；重新核定 {report.reassessed}，"
            f"待人工处理 {report.needs_review}"
        )
        _print_problems(report.error_counts, report.problems, written)
    if report.errors:
        raise typer.Exit(code=1)


@app.command("sample")
def sample_command(
    output: Annotated[Path, typer.Argument(dir_okay=False, help="where to write it: .xlsx or .csv")],
    households: Annotated[int, typer.Option(min=1, help="families (about 3 people each)")] = 100,
    errors: Annotated[int, typer.Option(min=0, help="rows to spoil, spread over 12 kinds of error")] = 0,
    seed: Annotated[int, typer.Option(help="the same seed makes the same roster")] = 1,
    on: Annotated[str, typer.Option(help="the day ages are counted on (inside the 2018 campaign by default)")] = (
        "2017-11-15"
    ),
) -> None:
    """Write a synthetic village roster — plausible families, valid ID numbers of 蓟州区, about 3 % special groups,
    and as many bad rows as asked — to try an import with, or to test and benchmark. 生成合成名册。"""
    kind = output.suffix.lstrip(".").lower()
    if kind not in ("xlsx", "csv"):
        fail(YibaoError("ROSTER_FILE_KIND", field="output", name=output.name), as_json=False)
    try:
        day = date.fromisoformat(on)
    except ValueError:
        fail(YibaoError("DATE_INVALID", field="on", value=on), as_json=False)
    made = roster(households, seed=seed, on=day, plant=errors)
    write_sheet(output, made.headers, made.rows)
    console.print(f"合成名册：{output}（{len(made.rows)} 行，其中 {len(made.planted)} 行有意写错）")


@app.command("template")
def template_command(
    output: Annotated[Path, typer.Argument(dir_okay=False, help="where to write it: .xlsx or .csv")],
    user: Annotated[str, typer.Option(help="the user the template is for (their district's current plan)")],
    township: Annotated[str | None, typer.Option(help="offer this township's villages in a drop-down")] = None,
) -> None:
    """Write the roster template to fill in: every column the import reads, drop-downs, notes. 下载名册模板。"""
    kind = output.suffix.lstrip(".").lower()
    uow = unit_of_work(user)
    with uow:
        try:
            content, _name = roster_template(uow, acting_as(uow, user), township, kind)
        except YibaoError as error:
            fail(error, as_json=False)
    output.write_bytes(content)
    console.print(f"名册模板：{output}")


def _print(report: RosterReport, error_file: Path | None) -> None:
    title = "检查结果（未写入）" if report.dry_run else f"导入结果（批次 {report.import_id}）"
    console.print(
        f"[bold]{title}[/]：共 {report.rows} 行；新增 {report.created}，更新 {report.updated}，"
        f"未变 {report.unchanged}，错误 {report.errors}"
    )
    _print_problems(report.error_counts, report.problems, error_file)


def _print_problems(error_counts: dict[str, int], problems: list[RowProblem], error_file: Path | None) -> None:
    if not problems:
        return
    counts = Table("错误代码", "行数", title="错误分类", title_justify="left")
    for code, count in error_counts.items():
        counts.add_row(code, str(count))
    console.print(counts)
    table = Table("行", "列", "错误", title=f"错误明细（前 {SHOWN_PROBLEMS} 条）", title_justify="left")
    for problem in problems[:SHOWN_PROBLEMS]:
        table.add_row(str(problem.row), problem.header or "—", f"[{problem.code}] {problem.message}")
    console.print(table)
    console.print(f"错误文件：{error_file}（改正后可直接重新导入；已导入的行不会重复）")
