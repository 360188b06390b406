"""Progress of a campaign as of any day (参保进度): registered, assessed, paid and covered, per township and
category, against the targets — always current: read from counts the database keeps as enrollments change (see
:mod:`yibao.adapters.db.progress_counts`), no nightly batch.

Counted as of the end of a day in Shanghai: an enrollment counts as registered from ``registered_at``, assessed
from ``assessed_at``, paid from ``effective_at`` (the payment moment that completed it), covered once its cover
has begun, and none of it after ``cancelled_at``. Categories, for targets split by them: ``special_groups`` (the
enrollment carries an assisted subsidy: 资助参保), else ``students`` (category 在校学生, and the children where the
plan's students column counts them: 静海), else ``general``.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select

from yibao.adapters.db import progress_counts
from yibao.adapters.db.progress_counts import KeptCounts
from yibao.adapters.db.progress_tables import MEASURES
from yibao.adapters.db.tables import Area, Target
from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.domain.errors import YibaoError
from yibao.domain.policy import Policy
from yibao.domain.policy.checks import instant_closes, instant_opens
from yibao.domain.progress import BAND_NAMES, PACE_DAYS, band, completion, project, ranked
from yibao.services.access import Permission, Principal
from yibao.services.policy.campaigns import campaign_policy
from yibao.services.policy.plans import district_policies
from yibao.services.progress.coverage import BasePopulation, GoalProgress, base_population, goal_base, goal_progress
from yibao.services.progress.live import institution_counts
from yibao.services.progress.targets import district_organizations, institution_organizations

log = logging.getLogger(__name__)

CATEGORIES = ("general", "students", "special_groups")


class UnitProgress(BaseModel):
    unit: str
    unit_kind: str  # township | institution | unmatched | untargeted
    area_code: str | None
    measured: str  # the category the target counts: all, or general (蓟州: special groups and students excluded)
    target: int | None
    registered: int
    assessed: int
    paid: int
    covered: int
    paid_by_category: dict[str, int]
    paid_since_last: int  # since the last report (the day before, or the week before: the plan's rhythm)
    completion: float | None
    band: str | None
    band_name: str | None
    rank: int | None
    pace_per_day: float
    reached_on: date | None
    needed_per_day: float | None
    reached_text: str = "—"  # 已完成, the projected date, or 按此进度期限内无法完成 (see reached_text)
    base_population: int | None = None  # the register's people of the unit (see services.coverage)
    coverage: float | None = None  # paid (every category) over the base population


BEYOND_DEADLINE = "按此进度期限内无法完成"


def reached_text(rate: float | None, reached_on: date | None, deadline: date | None) -> str:
    """When a unit completes at its recent pace, as every page and printout says it: 已完成, the date, or that it
    will not by the deadline — a pace of a few a day would otherwise project a date decades away."""
    if rate is not None and rate >= 1:
        return "已完成"
    if reached_on is not None and deadline is not None and reached_on > deadline:
        return BEYOND_DEADLINE
    return str(reached_on) if reached_on else "—"


class DayPoint(BaseModel):
    day: date
    paid: int  # cumulative, all categories


class ProgressReport(BaseModel):
    insurance_year: int
    policy_id: str
    on: date
    rhythm: str  # daily | weekly
    last_report: date
    deadline: date | None
    target: int | None  # the district's (all categories), where the plan gives one
    registered: int
    paid: int
    paid_since_last: int
    completion: float | None
    units: list[UnitProgress]
    series: list[DayPoint]
    slowest: list[str]  # the three least complete units with a target, and any tied with the third (the bulletin)
    base_population: int | None = None  # the district's, where a population register has been imported
    base_source: str | None = None
    base_excluded: int = 0  # people out of the base for a recorded reason (insured elsewhere …)
    coverage: float | None = None
    coverage_goal: float | None = None  # the plan's general coverage goal (参保率), e.g. 0.96
    goals: list[GoalProgress] = []  # every coverage goal of the plan (general, special groups) as of the day
    # Changes logged and not in these counts: right after a load of more than a request adds, the counts are as of
    # the server's last fold while it folds the rest (a page says so). 0: exact, as a bulletin always is.
    uncounted_changes: int = 0


def bucket(policy: Policy) -> dict[str, str]:
    """The category of the plan's targets each kept category is counted in: children (not in school) are general
    residents, except where the plan's students column counts them (静海: 高中以下学生儿童)."""
    table = policy.targets.township_table
    with_students = table is not None and table.students_column is not None and table.students_column.counts_children
    return {"children": "students" if with_students else "general"}


def _counts(counts: KeptCounts, buckets: dict[str, str]) -> list[tuple[Any, ...]]:
    """Per township and category: registered, assessed, paid, covered (all as of the end of the report's day),
    paid at the last report, and paid a week before (the recent pace)."""
    rows: dict[tuple[str, str], list[int]] = {}
    for kept in counts.townships:
        values = rows.setdefault((kept.township_code, buckets.get(kept.category, kept.category)), [0] * 6)
        values[MEASURES.index(kept.measure)] += kept.on
        if kept.measure == "paid":
            values[4] += kept.before
            values[5] += kept.week_ago
    return [(township, category, *values) for (township, category), values in sorted(rows.items())]


def _series(counts: KeptCounts, paid: int, start: date, on: date) -> list[DayPoint]:
    """Cumulative paid per day of the campaign (Shanghai days): the day's count less the changes after it."""
    points, total, cursor = [], paid, on
    while cursor >= start:
        points.append(DayPoint(day=cursor, paid=total))
        total -= counts.paid_by_day.get(cursor, 0)
        cursor -= timedelta(days=1)
    return points[::-1]


def campaign_dates(policy: Policy) -> tuple[date, date | None]:
    """The first day of the campaign and its deadline (the plan's date for the total, else its last window)."""
    windows = policy.enrollment.windows
    start = min(instant_opens(w.opens).date() for w in windows)
    if policy.targets.reporting is not None and policy.targets.reporting.starts is not None:
        start = min(start, policy.targets.reporting.starts)
    if policy.targets.total is not None:
        return start, policy.targets.total.by
    return start, max(instant_closes(w.closes).date() for w in windows)


def progress_report(
    uow: UnitOfWork, principal: Principal, on: date, insurance_year: int | None = None, exact: bool = False
) -> ProgressReport:
    """Progress as of the end of ``on`` for the campaign under way (or the plan of ``insurance_year``). The counts
    are district-wide for every role that reads residents: a bulletin names townships, never people.

    A page answers at once: where more changes are logged than a request may add (a load just committed, folded
    by the server in the background), it reads the counts as of the last fold and says how many are still being
    counted. ``exact`` (a bulletin, a printout) adds every logged change however long that takes."""
    principal.require(Permission.READ_RESIDENTS)
    if insurance_year is None:
        policy = campaign_policy(principal.district, on, uow.session)
    else:
        policies = [p for p in district_policies(principal.district, uow.session) if p.insurance_year == insurance_year]
        if not policies:
            raise YibaoError("POLICY_NONE_FOR_DISTRICT", field="insurance_year", district=principal.district)
        policy = policies[0]
    year = policy.insurance_year
    rhythm = policy.targets.reporting.frequency if policy.targets.reporting else "weekly"
    last_report = on - timedelta(days=1 if rhythm == "daily" else 7)
    start, deadline = campaign_dates(policy)
    # A reader folds what little is logged (the server folds in the background too) and adds what is left as it
    # reads; a log longer than that is left to the server's fold, unless the report must be exact.
    connection = uow.session.connection()
    uncounted = progress_counts.before_reading(uow.session.get_bind().engine, connection, exact)
    pace_from = on - timedelta(days=PACE_DAYS)
    kept = progress_counts.read(connection, year, principal.district, on, last_report, pace_from, start, uncounted)
    buckets = bucket(policy)
    rows = _counts(kept, buckets)
    names = dict(
        uow.session.execute(select(Area.code, Area.name).where(Area.code.startswith(principal.district))).all()
    )
    targets = uow.session.scalars(
        select(Target).where(Target.insurance_year == year, Target.district_code == principal.district)
    ).all()
    bound = institution_organizations(targets, district_organizations(uow, principal.district))
    by_organization = {
        organization: [(township, buckets.get(category, category), values) for township, category, values in found]
        for organization, found in institution_counts(
            uow.session, year, sorted(set(bound.values())), on, last_report, pace_from
        ).items()
    }
    units = _units(rows, targets, names, on, deadline, Institutions(bound, by_organization))
    register = base_population(uow, principal.district, year)
    base = goal_base(uow, policy, principal.district, register)  # 嵩明's: the statistics bureau's count
    if base is not None:
        for unit in units:
            codes = [unit.area_code, *next((t.includes for t in targets if _same_unit(t, unit)), [])]
            people = sum(base.by_township.get(code, 0) for code in codes if code)
            unit.base_population = people or None
            unit.coverage = completion(sum(unit.paid_by_category.values()), people or None)
    district_target = next((t.persons for t in targets if t.unit_kind == "district" and t.category == "all"), None)
    paid = sum(int(row[4]) for row in rows)
    slowest = slowest_units(units)
    return ProgressReport(
        insurance_year=year,
        policy_id=policy.id,
        on=on,
        rhythm=rhythm,
        last_report=last_report,
        deadline=deadline,
        target=district_target,
        registered=sum(int(row[2]) for row in rows),
        paid=paid,
        paid_since_last=paid - sum(int(row[6]) for row in rows),
        completion=completion(paid, district_target),
        units=units,
        series=_series(kept, paid, start, on),
        slowest=slowest,
        base_population=base.total if base else None,
        base_source=base.source if base else None,
        base_excluded=base.excluded if base else 0,
        coverage=completion(paid, base.total) if base else None,
        coverage_goal=next((float(goal.rate) for goal in policy.targets.coverage if not goal.identities), None),
        goals=_townships_below(goal_progress(uow, policy, principal.district, on, paid, register), units, base, names),
        uncounted_changes=kept.uncounted,
    )


def _townships_below(
    goals: list[GoalProgress], units: list[UnitProgress], base: BasePopulation | None, names: dict[str, str]
) -> list[GoalProgress]:
    """A general goal that holds for each township (嵩明: 以镇（街道）为单位): the townships whose own rate, paid
    (every category) over their base, is under it — a township of the base with nobody paid yet too."""
    paid = {unit.area_code: sum(unit.paid_by_category.values()) for unit in units if unit.area_code}
    for goal in goals:
        if goal.scope == "township" and not goal.identities_based and goal.base is not None and base is not None:
            goal.townships_below = [
                names.get(code, code)
                for code, people in sorted(base.by_township.items())
                if code and people > 0 and paid.get(code, 0) / people < goal.goal
            ]
    return goals


def slowest_units(units: list[UnitProgress], count: int = 3) -> list[str]:
    """The units named as the slowest (完成率后三位): the ``count`` least complete of those ranked, and every unit
    tied with the last of them — naming one of two equal units and not the other would be unfair to one."""
    ranked_units = sorted((unit for unit in units if unit.completion is not None), key=lambda u: u.completion or 0)
    if len(ranked_units) <= count:
        return [unit.unit for unit in ranked_units]
    last = ranked_units[count - 1].completion
    return [unit.unit for unit in ranked_units if (unit.completion or 0) <= (last or 0)]


@dataclass(frozen=True)
class Institutions:
    """The institution units bound to an organization (unit -> organization), and each organization's
    enrollments per township and category (:func:`yibao.services.progress.live.institution_counts`)."""

    bound: dict[str, int]
    counts: dict[int, list[tuple[str, str, list[int]]]]


def _per_township(rows: list[Any], institutions: Institutions) -> dict[str, dict[str, list[int]]]:
    """The kept counts per township and category, less the enrollments an institution unit counts: a
    university's students are its own unit's, not also the township's it sits in."""
    per_township: dict[str, dict[str, list[int]]] = defaultdict(dict)
    for township, category, *values in rows:
        per_township[township][category] = [int(v or 0) for v in values]
    for organization in set(institutions.bound.values()):
        for township, category, values in institutions.counts.get(organization, []):
            kept = per_township[township].get(category)
            if kept is not None:
                per_township[township][category] = [a - b for a, b in zip(kept, values, strict=True)]
    return per_township


def _same_unit(target: Any, unit: UnitProgress) -> bool:
    """A target row of a unit: a township's by its code (its name may be today's, not the plan's), else by name."""
    if unit.unit_kind == "township" and unit.area_code:
        return bool(target.area_code == unit.area_code)
    return bool(target.unit == unit.unit)


def _units(
    rows: list[Any],
    targets: Any,
    names: dict[str, str],
    on: date,
    deadline: date | None,
    institutions: Institutions,
) -> list[UnitProgress]:
    """One row per target unit (a township with the areas counted with it, an institution, an unmatched name) and
    per township with enrollments but no target."""
    per_township = _per_township(rows, institutions)
    by_unit: dict[str, dict[str, Any]] = {}
    for target in targets:
        if target.unit_kind in ("district", "village"):  # villages are ranked within their township's breakdown
            continue
        # A township the plan calls by an older or shorter name (蓟州's 街道办, today 文昌街道) is shown by today's
        # name, as every other page shows it; a unit the plan merges others into keeps its own (it is today's).
        shown = names.get(target.area_code or "", target.unit) if target.unit_kind == "township" else target.unit
        unit = by_unit.setdefault(
            shown,
            {"kind": target.unit_kind, "area": target.area_code, "codes": [], "targets": {}},
        )
        unit["codes"] = [code for code in [target.area_code, *target.includes] if code]
        unit["targets"][target.category] = target.persons
    covered_codes = {code for unit in by_unit.values() for code in unit["codes"]}
    for code in sorted(per_township):
        if code not in covered_codes and any(any(values) for values in per_township[code].values()):
            by_unit[names.get(code, code)] = {"kind": "untargeted", "area": code, "codes": [code], "targets": {}}
    result = []
    for name, unit in by_unit.items():
        measured = "all" if "all" in unit["targets"] or not unit["targets"] else next(iter(unit["targets"]))
        if "general" in unit["targets"] and "all" not in unit["targets"]:
            measured = "general"
        counts = [(category, values) for code in unit["codes"] for category, values in per_township[code].items()]
        organization = institutions.bound.get(name)
        if organization is not None:
            counts = [(category, values) for _, category, values in institutions.counts.get(organization, [])]
        sums = [0] * 6
        by_category = dict.fromkeys(CATEGORIES, 0)
        for category, values in counts:
            by_category[category] += values[2]
            if measured in ("all", category):
                sums = [a + b for a, b in zip(sums, values, strict=True)]
        target = unit["targets"].get(measured)
        # An institution no organization counts for yet is not ranked: its 0 would be no one's work.
        rate = None if unit["kind"] == "institution" and organization is None else completion(sums[2], target)
        projection = project(sums[2], sums[5], target, on, deadline)
        result.append(
            UnitProgress(
                unit=name,
                unit_kind=unit["kind"],
                area_code=unit["area"],
                measured=measured,
                target=target,
                registered=sums[0],
                assessed=sums[1],
                paid=sums[2],
                covered=sums[3],
                paid_by_category=by_category,
                paid_since_last=sums[2] - sums[4],
                completion=rate,
                band=band(rate),
                band_name=BAND_NAMES.get(band(rate) or ""),
                rank=None,
                pace_per_day=round(projection.pace_per_day, 1),
                reached_on=projection.reached_on,
                needed_per_day=round(projection.needed_per_day, 1) if projection.needed_per_day else None,
                reached_text=reached_text(rate, projection.reached_on, deadline),
            )
        )
    ranks = ranked({row.unit: row.completion for row in result})
    for row in result:
        row.rank = ranks.get(row.unit)
    return sorted(result, key=lambda u: (u.rank is None, u.rank or 0, u.area_code or "", u.unit))
