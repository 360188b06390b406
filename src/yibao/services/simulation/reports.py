"""Kept simulation reports: listed, reopened, drilled down to a township and to its persons, compared.

A report belongs to its district: the bureau and finance of that district read it; to anyone else it does not
exist (``SIMULATION_UNKNOWN``), as with records outside one's area. Persons come from the report's Parquet file,
ID numbers masked unless the reader may see them whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import select

from yibao.adapters.db.tables import Area, Simulation
from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.domain.engine.reasons import REASONS
from yibao.domain.errors import YibaoError
from yibao.domain.idnumber_bulk import mask_column
from yibao.domain.simulation import OUTCOME_NAMES, Outcome, summarize
from yibao.domain.vocabulary import CATEGORIES
from yibao.services.access import Permission, Principal
from yibao.services.policy.plans import get_policy
from yibao.services.simulation.runs import SimulationView, view

PAGE = 50


@dataclass(frozen=True)
class Labels:
    """Names for the codes a report holds: townships, categories, tiers, special groups, reasons."""

    townships: dict[str, str]
    tiers: dict[str, str]
    groups: dict[str, str]

    def of(self, key: str, code: str | None) -> str:
        if code is None:
            return {"group": "非特殊群体", "tier": "—", "category": "—"}.get(key, "—")
        table = {"township": self.townships, "tier": self.tiers, "group": self.groups, "category": CATEGORIES}[key]
        return table.get(code, code)


def reason_name(code: str | None) -> str:
    return REASONS[code][0] if code in REASONS else (code or "—")


def _row(uow: UnitOfWork, principal: Principal | None, report_id: int) -> Simulation:
    if principal is not None:
        principal.require(Permission.SIMULATE)
    row = uow.session.get(Simulation, report_id)
    if row is None or (principal is not None and row.district_code != principal.district):
        raise YibaoError("SIMULATION_UNKNOWN", field="id", id=report_id)
    return row


def get_report(uow: UnitOfWork, principal: Principal | None, report_id: int) -> SimulationView:
    return view(uow, _row(uow, principal, report_id))


def list_reports(uow: UnitOfWork, principal: Principal | None, district: str | None = None) -> list[SimulationView]:
    """The district's reports, newest first."""
    if principal is not None:
        principal.require(Permission.SIMULATE)
        district = principal.district
    query = select(Simulation).order_by(Simulation.created_at.desc(), Simulation.id.desc())
    if district is not None:
        query = query.where(Simulation.district_code == district)
    return [view(uow, row) for row in uow.session.scalars(query)]


def labels(uow: UnitOfWork, report: SimulationView) -> Labels:
    current = get_policy(report.base_policy_id, uow.session)
    draft = get_policy(report.draft_policy_id, uow.session)
    rows = uow.session.execute(select(Area.code, Area.name).where(Area.code.startswith(report.district_code)))
    townships = {code: name for code, name in rows}
    tiers = {tier: rule.name for plan in (current, draft) for tier, rule in plan.tiers.items()}
    groups = {group.id: group.name for plan in (current, draft) for group in plan.assisted.groups}
    return Labels(townships, tiers, groups)


def _persons(row: Simulation, data_directory: Path) -> pl.LazyFrame:
    path = data_directory / row.persons_file
    if not path.exists():
        raise YibaoError("SIMULATION_PERSONS_GONE", field="id", id=row.id)
    return pl.scan_parquet(path)


def township_summary(
    uow: UnitOfWork, principal: Principal | None, report_id: int, township: str, *, data_directory: Path
) -> dict[str, Any]:
    """A report's figures for one township, as :func:`~yibao.domain.simulation.summarize` gives them for all."""
    row = _row(uow, principal, report_id)
    persons = _persons(row, data_directory).filter(pl.col("township_code") == township).collect()
    current = get_policy(row.base_policy_id, uow.session)
    draft = get_policy(row.draft_policy_id, uow.session)
    return summarize(persons, current, draft)


@dataclass(frozen=True)
class PersonPage:
    rows: list[dict[str, Any]]
    total: int
    page: int
    pages: int


def persons(
    uow: UnitOfWork,
    principal: Principal | None,
    report_id: int,
    *,
    township: str | None = None,
    outcome: Outcome | None = None,
    page: int = 1,
    data_directory: Path,
) -> PersonPage:
    """One page of a report's persons (largest change first), filtered by township and outcome."""
    row = _row(uow, principal, report_id)
    frame = _persons(row, data_directory)
    if township:
        frame = frame.filter(pl.col("township_code") == township)
    if outcome is not None:
        frame = frame.filter(pl.col("outcome") == outcome.value)
    total = frame.select(pl.len()).collect().item()
    pages = max(1, -(-total // PAGE))
    page = min(max(1, page), pages)
    number = pl.col("id_number")
    if principal is not None and not principal.may(Permission.SEE_FULL_ID):
        number = mask_column(number)
    chosen = (
        frame.sort(pl.col("change_fen").abs(), "id_number", descending=[True, False], nulls_last=True)
        .slice((page - 1) * PAGE, PAGE)
        .with_columns(number.alias("id_number"))
        .collect()
    )
    return PersonPage(chosen.to_dicts(), total, page, pages)


def compare_reports(uow: UnitOfWork, principal: Principal | None, report_ids: list[int]) -> list[SimulationView]:
    """Several reports to read side by side (A vs B vs this year): each must be the reader's district's."""
    return [get_report(uow, principal, report_id) for report_id in report_ids]


def outcome_rows(report: SimulationView) -> list[tuple[str, str, int]]:
    """(code, name, people) for each outcome, in the enum's order."""
    return [(o.value, OUTCOME_NAMES[o], report.summary["outcomes"].get(o.value, 0)) for o in Outcome]
