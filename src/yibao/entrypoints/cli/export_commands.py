"""`yibao export`: the enrollment roster and the assessment list, to .xlsx or .csv, streamed with progress."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from yibao.domain.errors import YibaoError
from yibao.domain.timeutil import SHANGHAI, parse_instant
from yibao.entrypoints.cli.database import unit_of_work
from yibao.entrypoints.cli.output import console, fail
from yibao.entrypoints.cli.progress import progress_bar
from yibao.services.registry.exports import ExportKind, ExportRequest, export
from yibao.services.users import acting_as

app = typer.Typer(help="导出：参保登记名册、核定缴费清单。Exports.", no_args_is_help=True)


@app.command("enrollments")
def enrollments_command(
    output: Annotated[Path, typer.Argument(dir_okay=False, help="the file to write: .xlsx or .csv")],
    user: Annotated[str, typer.Option(help="export as this user: their area, ID numbers masked unless allowed")],
    township: Annotated[str | None, typer.Option(help="one township's 12-digit code")] = None,
    village: Annotated[str | None, typer.Option(help="one village's 12-digit code")] = None,
    channel: Annotated[str | None, typer.Option(help="village, school, welfare_institution …")] = None,
    year: Annotated[int | None, typer.Option(help="insurance year; default: the campaign under way")] = None,
    clock: Annotated[str | None, typer.Option(help="as if it were this moment (ISO 8601)")] = None,
) -> None:
    """参保登记名册: every live enrollment of the year, by township, village and household."""
    _export(ExportKind.ENROLLMENTS, output, user, township, village, channel, year, clock)


@app.command("assessments")
def assessments_command(
    output: Annotated[Path, typer.Argument(dir_okay=False, help="the file to write: .xlsx or .csv")],
    user: Annotated[str, typer.Option(help="export as this user: their area, ID numbers masked unless allowed")],
    township: Annotated[str | None, typer.Option(help="one township's 12-digit code")] = None,
    village: Annotated[str | None, typer.Option(help="one village's 12-digit code")] = None,
    channel: Annotated[str | None, typer.Option(help="village, school, welfare_institution …")] = None,
    year: Annotated[int | None, typer.Option(help="insurance year; default: the campaign under way")] = None,
    clock: Annotated[str | None, typer.Option(help="as if it were this moment (ISO 8601)")] = None,
) -> None:
    """核定缴费清单: who pays what, and what each payer subsidises (the list subsidy funds are claimed with)."""
    _export(ExportKind.ASSESSMENTS, output, user, township, village, channel, year, clock)


def _export(
    kind: ExportKind,
    output: Path,
    user: str,
    township: str | None,
    village: str | None,
    channel: str | None,
    year: int | None,
    clock: str | None,
) -> None:
    try:
        now = parse_instant(clock) if clock else datetime.now(SHANGHAI)
    except ValueError:
        fail(YibaoError("DATETIME_INVALID", field="clock", value=clock), as_json=False)
    request = ExportRequest(kind, output.suffix.lstrip(".").lower(), year, township, village, channel)
    uow = unit_of_work(user, now)
    with uow, progress_bar() as progress:
        try:
            result = export(uow, acting_as(uow, user), request, output, progress)
        except YibaoError as error:
            output.unlink(missing_ok=True)
            fail(error, as_json=False)
    note = "（身份证号、电话已部分隐藏）" if result.masked else ""
    console.print(f"已导出 {result.rows} 行到 {output}{note}")
