"""What a roster import is asked and what it answers: the request, each row's problems, the report with its
error file. Shared by the checking phase (:mod:`.roster_import`) and the writing phase (:mod:`.roster_write`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

from yibao.adapters.roster_files import Sheet, read_sheet, write_error_file
from yibao.domain.errors import YibaoError
from yibao.domain.roster import Column, resolve_headers

T = TypeVar("T")

CHUNK = 5000  # rows per statement or lookup: well under every database's bound-parameter limit
Progress = Callable[[str, int, int], None]  # step, done, total


def no_progress(_step: str, _done: int, _total: int) -> None:
    """The progress of a caller that shows none."""


def chunks(values: list[T]) -> list[list[T]]:
    return [values[start : start + CHUNK] for start in range(0, len(values), CHUNK)]


@dataclass(frozen=True)
class RosterRequest:
    file_name: str
    content: bytes
    township_code: str
    policy_id: str
    channel: str = "village"
    organization_id: int | None = None
    dry_run: bool = False

    def with_policy(self, policy_id: str) -> RosterRequest:
        return replace(self, policy_id=policy_id)


@dataclass(frozen=True)
class RowProblem:
    row: int  # the row's number in the sheet
    code: str
    column: str | None  # the column's key (id_number, tier …)
    header: str | None  # the column as the file names it
    message: str
    message_en: str


def write_problems(sheet: Sheet, mapping: dict[str, str], problems: list[RowProblem], target: Path) -> Path:
    """The original sheet with an error column and the faulty cells marked, to correct and upload again."""
    by_row: dict[int, list[tuple[str | None, str]]] = {}
    for problem in problems:
        by_row.setdefault(problem.row, []).append((problem.column, problem.message))
    return write_error_file(sheet, by_row, mapping, target)


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


class ListFileReport:
    """What the reports of a checked list share (a department's special-group list, a reference list): the error
    file to correct and upload again, and the report as plain data. Mixed into dataclasses with these fields."""

    problems: list[RowProblem]
    sheet: Sheet
    mapping: dict[str, str]  # header -> column key

    def write_error_file(self, target: Path) -> Path:
        return write_problems(self.sheet, self.mapping, self.problems, target)

    def summary(self, error_file: str | None, shown_problems: int | None = None) -> dict[str, Any]:
        """The report as plain data (CLI --json, the API, a job's result); ``shown_problems`` caps the list."""
        problems = self.problems if shown_problems is None else self.problems[:shown_problems]
        fields = asdict(self)  # type: ignore[call-overload]  # a dataclass, by the mixin's contract
        data = {key: value for key, value in fields.items() if key not in ("problems", "sheet", "mapping")}
        return data | {
            "error_file": error_file,
            "problems": [asdict(problem) for problem in problems],
            "problems_total": len(self.problems),
        }


@dataclass
class RosterReport:
    import_id: int | None
    file_name: str
    dry_run: bool
    rows: int
    created: int
    updated: int
    unchanged: int
    errors: int  # rows with at least one problem; none of them is written
    error_counts: dict[str, int]  # code -> rows
    problems: list[RowProblem]
    sheet: Sheet = field(repr=False)
    mapping: dict[str, str] = field(repr=False)  # header -> column key

    def write_error_file(self, target: Path) -> Path:
        return write_problems(self.sheet, self.mapping, self.problems, target)

    def summary(self, error_file: str | None, shown_problems: int | None = None) -> dict[str, Any]:
        """The report as plain data (CLI --json, the API, a job's result); ``shown_problems`` caps the list."""
        problems = self.problems if shown_problems is None else self.problems[:shown_problems]
        return {
            "import_id": self.import_id,
            "file_name": self.file_name,
            "dry_run": self.dry_run,
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "errors": self.errors,
            "error_counts": self.error_counts,
            "error_file": error_file,
            "problems": [asdict(problem) for problem in problems],
            "problems_total": len(self.problems),
        }
