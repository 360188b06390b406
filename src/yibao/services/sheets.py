"""Every sheet a bureau hands in — a roster, a department's list, a bank or tax statement, a reference list, a
target table — goes through the same steps: read the file and find its header row
(:mod:`yibao.adapters.sheet_files`), map the clerk's headers to column keys, check the file whole, report every
problem of every row at once with an error file to correct and upload again, and, from the web page or the API,
run as a background job whose result is the report.

The checks of each kind of sheet live with its stage; what they share lives here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, ClassVar

from yibao.adapters.sheet_files import Sheet, read_sheet, write_error_file
from yibao.domain.errors import YibaoError
from yibao.domain.roster import Column, resolve_headers
from yibao.services.jobs import Job

SHOWN_PROBLEMS = 500  # problems in a job's result; the error file has them all


@dataclass(frozen=True)
class RowProblem:
    row: int  # the row's number in the sheet
    code: str
    column: str | None  # the column's key (id_number, tier …)
    header: str | None  # the column as the file names it
    message: str
    message_en: str


def read_table(content: bytes, file_name: str, columns: Sequence[Column]) -> tuple[Sheet, dict[str, str]]:
    """The sheet and its header -> column key mapping; refused whole if a required column is missing or no row
    holds data."""
    sheet = read_sheet(content, file_name, columns)
    mapping, missing = resolve_headers(sheet.headers, columns)
    if missing:
        raise YibaoError("ROSTER_COLUMNS_MISSING", field="file", columns="、".join(missing))
    if sheet.rows == 0:
        raise YibaoError("ROSTER_EMPTY", field="file", name=file_name)
    return sheet, mapping


def write_problems(sheet: Sheet, mapping: dict[str, str], problems: list[RowProblem], target: Path) -> Path:
    """The original sheet with an error column and the faulty cells marked, to correct and upload again."""
    by_row: dict[int, list[tuple[str | None, str]]] = {}
    for problem in problems:
        by_row.setdefault(problem.row, []).append((problem.column, problem.message))
    return write_error_file(sheet, by_row, mapping, target)


class SheetReport:
    """What the report of every checked sheet shares: its problems, the error file to correct and upload again,
    and the report as plain data. The base of dataclasses that have these fields (``sheet`` is None where the
    file was refused before it was read, or was a replay)."""

    HIDDEN: ClassVar[frozenset[str]] = frozenset({"problems", "sheet", "mapping"})

    file_name: str
    problems: list[RowProblem]
    sheet: Sheet | None
    mapping: dict[str, str]  # header -> column key

    def write_error_file(self, target: Path) -> Path:
        assert self.sheet is not None, "a report with problems in rows has read its sheet"
        return write_problems(self.sheet, self.mapping, self.problems, target)

    def error_file_name(self) -> str | None:
        """The name the error file is offered under (the upload's name with 错误), where there is one to write."""
        if not self.problems or self.sheet is None:
            return None
        return f"{Path(self.file_name).stem}-错误.{self.sheet.kind}"

    def details(self) -> dict[str, Any]:
        """Plain data a kind of report adds to its fields (names of states, say)."""
        return {}

    def summary(self, error_file: str | None, shown_problems: int | None = None) -> dict[str, Any]:
        """The report as plain data (CLI --json, the API, a job's result); ``shown_problems`` caps the list."""
        problems = self.problems if shown_problems is None else self.problems[:shown_problems]
        data = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in self.HIDDEN}  # type: ignore[arg-type]
        return (
            data
            | self.details()
            | {
                "error_file": error_file,
                "problems": [asdict(problem) for problem in problems],
                "problems_total": len(self.problems),
            }
        )


def reported(run: Callable[[Job], SheetReport]) -> Callable[[Job], dict[str, Any]]:
    """A sheet's import as a job's work: its error file kept for download, its report (problems capped) the
    job's result."""

    def work(job: Job) -> dict[str, Any]:
        report = run(job)
        error_file = report.error_file_name()
        if error_file is not None:
            report.write_error_file(job.output(error_file))
        return report.summary(error_file, SHOWN_PROBLEMS)

    return work
