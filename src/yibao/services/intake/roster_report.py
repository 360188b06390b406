"""What a roster import is asked and what it answers: the request and the report. Shared by the checking
phase (:mod:`yibao.services.intake.roster_import`) and the writing phase
(:mod:`yibao.services.intake.roster_write`); what every sheet's report shares is
:class:`~yibao.services.sheets.SheetReport`."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from yibao.adapters.sheet_files import Sheet
from yibao.services.sheets import RowProblem, SheetReport


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


@dataclass
class RosterReport(SheetReport):
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
