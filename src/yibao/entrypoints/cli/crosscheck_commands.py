"""`yibao crosscheck`: import other departments' lists, run the cross-checks, work the findings, record reasons for
non-enrollment."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from yibao.adapters.crosscheck_engines import ENGINES
from yibao.adapters.job_files import data_directory
from yibao.domain.crosscheck.findings import FINDING_KINDS
from yibao.domain.crosscheck.reference_list import REFERENCE_KINDS
from yibao.domain.errors import YibaoError
from yibao.domain.states import FindingStatus
from yibao.entrypoints.cli.options import Clock, Json, User, acting, run_as
from yibao.entrypoints.cli.output import console, fail, print_json
from yibao.entrypoints.cli.progress import progress_bar
from yibao.services.crosscheck.reason_register import register, write_register
from yibao.services.crosscheck.reasons import REASON_NAMES, list_reasons, record_reason
from yibao.services.crosscheck.reference_lists import ReferenceRequest, import_reference_list
from yibao.services.crosscheck.runs import CrosscheckRequest, run_crosscheck
from yibao.services.crosscheck.worklists import finding_counts, list_findings, set_status

app = typer.Typer(
    help="信息比对：导入部门名单，运行比对，核查结果，登记未参保原因。Cross-checks.", no_args_is_help=True
)
Year = Annotated[int, typer.Option(help="insurance year (参保年度)")]

STATUS_HELP = "、".join(f"{status.code} {status.zh}" for status in FindingStatus)


@app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help=".xlsx or .csv (UTF-8 or GBK)")],
    user: User,
    kind: Annotated[str, typer.Option(help="、".join(f"{k} {v.name}" for k, v in REFERENCE_KINDS.items()))],
    as_of: Annotated[str | None, typer.Option(help="the day the list describes (YYYY-MM-DD); default today")] = None,
    source: Annotated[str | None, typer.Option(help="the department (default: the kind's usual one)")] = None,
    year: Annotated[int | None, typer.Option(help="the insurance year a tax or enrollment list is about")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="check only, store nothing")] = False,
    clock: Clock = None,
    as_json: Json = False,
) -> None:
    """部门名单导入: checked whole; rows with errors go to an error file, the others are kept as a new version."""
    try:
        day = date.fromisoformat(as_of) if as_of else None
    except ValueError:
        fail(YibaoError("DATE_INVALID", field="as_of", value=as_of), as_json=as_json)
    request = ReferenceRequest(file.name, file.read_bytes(), kind, day, source, year, dry_run)
    with acting(user, clock, as_json) as (uow, principal), progress_bar(quiet=as_json) as progress:
        report = import_reference_list(uow, principal, request, progress)
    written = None
    if report.problems:
        written = report.write_error_file(file.with_name(f"{file.stem}-错误.{report.sheet.kind}"))
    kept = report.list_id is not None or report.dry_run
    if as_json:
        print_json(report.summary(str(written) if written else None, shown_problems=100))
        if not kept:
            raise typer.Exit(1)  # no good row: nothing kept
        return
    again = "（该文件此前已导入，未重复保存）" if report.already_imported else ""
    counts = f"{report.rows} 行，保存 {report.stored} 行，错误 {report.errors} 行"
    console.print(f"名单 {report.list_id or '（试运行）'}{again}：{counts}", highlight=False)
    for problem in report.problems[:20]:
        console.print(f"  第{problem.row}行 {problem.header or ''}：{problem.message}", highlight=False)
    if written:
        console.print(f"错误文件：{written}", highlight=False)
    if not kept:
        raise typer.Exit(1)


@app.command("run")
def run_command(
    user: User,
    year: Annotated[int | None, typer.Option(help="insurance year; default: the campaign under way")] = None,
    engine: Annotated[str | None, typer.Option(help="、".join(f"{k} {v}" for k, v in ENGINES.items()))] = None,
    clock: Clock = None,
    as_json: Json = False,
) -> None:
    """运行信息比对: every rule whose lists are there, on DuckDB (default), the database, or Spark."""
    with acting(user, clock, as_json) as (uow, principal), progress_bar(quiet=as_json) as progress:
        report = run_crosscheck(
            uow, principal, CrosscheckRequest(year, engine), data_directory=data_directory(), progress=progress
        )
    if as_json:
        print_json(asdict(report))
        return
    table = Table(title=f"{report.insurance_year}年度信息比对（{ENGINES[report.engine]}，{report.seconds:.1f} 秒）")
    table.add_column("比对项")
    table.add_column("结果（人）", justify="right")
    for kind, count in report.counts.items():
        table.add_row(FINDING_KINDS[kind].title, str(count))
    console.print(table)
    console.print(f"新增 {report.new_findings}，已消除 {report.cleared_findings}", highlight=False)
    if report.skipped:
        skipped = "、".join(FINDING_KINDS[kind].title for kind in report.skipped)
        console.print(f"[yellow]未比对（缺少名单）：{skipped}[/]", highlight=False)


@app.command("list")
def list_command(
    user: User,
    year: Year,
    kind: Annotated[
        str | None, typer.Option(help="、".join(f"{k} {v.title}" for k, v in FINDING_KINDS.items()))
    ] = None,
    township: Annotated[str | None, typer.Option(help="township code")] = None,
    status: Annotated[str | None, typer.Option(help=STATUS_HELP)] = None,
    summary: Annotated[bool, typer.Option("--summary", help="counts per township and kind")] = False,
    limit: int = 200,
    as_json: Json = False,
) -> None:
    """比对结果: the worklist by township and village (or, with --summary, the counts)."""
    if summary:
        counts = run_as(user, None, as_json, lambda uow, who: finding_counts(uow, who, year))
        if as_json:
            print_json([asdict(count) for count in counts])
            return
        table = Table(title=f"{year}年度比对结果")
        for title in ("镇（街）", "比对项", "待核查", "合计"):
            table.add_column(title)
        for count in counts:
            table.add_row(count.township_name, count.kind_name, str(count.open), str(count.total))
        console.print(table)
        return
    rows = run_as(
        user,
        None,
        as_json,
        lambda uow, who: list_findings(uow, who, year, kind=kind, township_code=township, status=status, limit=limit),
    )
    if as_json:
        print_json([asdict(row) for row in rows])
        return
    table = Table(title=f"{year}年度核查清单")
    for title in ("编号", "镇（街）", "村（居）", "姓名", "身份证号", "比对项", "依据", "状态"):
        table.add_column(title)
    for row in rows:
        table.add_row(
            str(row.id),
            row.township_name,
            row.village_name or "",
            row.name,
            row.id_number,
            row.kind_name,
            row.evidence,
            row.status_name,
        )
    console.print(table)


@app.command("status")
def status_command(
    finding: Annotated[int, typer.Argument(help="the finding's number")],
    user: User,
    status: Annotated[str, typer.Option(help=STATUS_HELP)],
    note: Annotated[str | None, typer.Option(help="what was done")] = None,
    as_json: Json = False,
) -> None:
    """核查结果处理: record the follow-up of one finding (kept across later runs)."""
    view = run_as(user, None, as_json, lambda uow, who: set_status(uow, who, finding, status, note))
    if as_json:
        print_json(asdict(view))
    else:
        console.print(f"{view.name}：{view.kind_name} → {view.status_name}", highlight=False)


@app.command("reason")
def reason_command(
    user: User,
    year: Year,
    id_number: Annotated[str, typer.Option(help="公民身份号码")],
    name: Annotated[str, typer.Option(help="姓名")],
    township: Annotated[str, typer.Option(help="township code")],
    reason: Annotated[str, typer.Option(help="、".join(f"{k} {v}" for k, v in REASON_NAMES.items()))],
    note: Annotated[str | None, typer.Option(help="说明 (required for 'other')")] = None,
    village: Annotated[
        str | None, typer.Option(help="the 村（居） whose register holds it (default: the person's)")
    ] = None,
    recorded_on: Annotated[str | None, typer.Option(help="the day on the paper register (YYYY-MM-DD)")] = None,
    as_json: Json = False,
) -> None:
    """未参保原因登记: the person leaves the unenrolled worklist at the next run."""
    try:
        day = date.fromisoformat(recorded_on) if recorded_on else None
    except ValueError:
        fail(YibaoError("DATE_INVALID", field="recorded_on", value=recorded_on), as_json=as_json)
    view = run_as(
        user,
        None,
        as_json,
        lambda uow, who: record_reason(
            uow,
            who,
            insurance_year=year,
            id_number=id_number,
            name=name,
            township_code=township,
            reason=reason,
            note=note,
            village_code=village,
            recorded_on=day,
        ),
    )
    if as_json:
        print_json(asdict(view))
    else:
        console.print(f"已登记 {view.name}（{view.id_number}）：{view.reason_name}", highlight=False)


@app.command("register")
def register_command(
    user: User,
    year: Year,
    township: Annotated[str, typer.Option(help="township code")],
    output: Annotated[Path, typer.Option(help="the file to write: .pdf or .xlsx")],
    village: Annotated[
        str | None, typer.Option(help="a 村（居）'s register; without it, the township's summary")
    ] = None,
    as_json: Json = False,
) -> None:
    """未参保原因登记表 as the plan's form: a 村（居）'s, or the township's summary to sign and stamp."""
    kind = output.suffix.removeprefix(".")

    def write(uow: Any, who: Any) -> Path:
        return write_register(uow, register(uow, who, year, township, village), output, kind)

    run_as(user, None, as_json, write)
    if as_json:
        print_json({"file": str(output)})
    else:
        console.print(f"已导出：{output}", highlight=False)


@app.command("reasons")
def reasons_command(user: User, year: Year, as_json: Json = False) -> None:
    """未参保原因登记表 of a year."""
    rows = run_as(user, None, as_json, lambda uow, who: list_reasons(uow, who, year))
    if as_json:
        print_json([asdict(row) for row in rows])
        return
    table = Table(title=f"{year}年度未参保原因登记")
    for title in ("镇（街）", "姓名", "身份证号", "原因", "说明", "登记人", "登记时间"):
        table.add_column(title)
    for row in rows:
        table.add_row(
            row.township_code, row.name, row.id_number, row.reason_name, row.note or "", row.actor, f"{row.at:%Y-%m-%d}"
        )
    console.print(table)
