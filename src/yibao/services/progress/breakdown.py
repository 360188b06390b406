"""Progress broken down (参保进度明细) by village, township, category or channel, for the district or one township,
as of any day: registered, assessed, paid and covered to date, and paid on that day itself. By village, read from
the counts kept per village (:mod:`yibao.adapters.db.progress_village_counts`), paged by the database: a
district's twenty thousand villages answer as fast as one township's; by township and category, from the counts
kept per township and category (:mod:`yibao.adapters.db.progress_counts`), as the report reads them; by channel,
which nothing keeps, counted from the enrollments at request time (:mod:`yibao.services.progress.live`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any, Literal, NamedTuple

from pydantic import BaseModel, TypeAdapter
from sqlalchemy import Connection, select

from yibao.adapters.db import progress_counts
from yibao.adapters.db.progress_tables import MEASURES
from yibao.adapters.db.progress_village_counts import read_villages
from yibao.adapters.db.tables import Area, Enrollment, Target
from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.domain.errors import YibaoError
from yibao.domain.progress import completion
from yibao.domain.timeutil import end_of_day
from yibao.domain.vocabulary import CHANNELS
from yibao.services.access import Permission, Principal, Role
from yibao.services.policy.campaigns import campaign_policy
from yibao.services.policy.plans import district_policies
from yibao.services.progress.live import counted

Dimension = Literal["township", "village", "channel", "category"]
DIMENSIONS: dict[str, str] = {
    "township": "镇（街）",
    "village": "村（居）",
    "channel": "参保渠道",
    "category": "人员类别",
}
CATEGORY_NAMES = {
    "general": "一般居民",
    "students": "在校学生",
    "children": "儿童（含新生儿）",
    "special_groups": "特殊群体（资助参保）",
}


class BreakdownRow(BaseModel):
    key: str  # a code (township, village), a channel or a category; "" where none is recorded
    name: str
    township_name: str | None = None  # by village: the township it is in (names repeat across townships)
    registered: int
    assessed: int
    paid: int
    covered: int
    paid_on_day: int  # paid during the day itself (today's figure of a daily report)
    target: int | None = None  # a village's target (all categories) where the bureau set one
    completion: float | None = None


ROWS = TypeAdapter(list[BreakdownRow])


class BreakdownTotals(BaseModel):
    """合计: the sums over every row of the breakdown, on every page."""

    registered: int
    assessed: int
    paid: int
    covered: int
    paid_on_day: int


class ProgressBreakdown(BaseModel):
    insurance_year: int
    on: date
    by: str
    by_name: str
    township_code: str | None
    rows: list[BreakdownRow]  # one page of the rows (from ``offset``), or all of them where no limit was asked
    row_count: int  # the rows on every page
    offset: int = 0
    totals: BreakdownTotals
    uncounted_changes: int = 0  # changes of a load still being counted (see ProgressReport); by channel always 0


class _Counted(NamedTuple):
    """One row as counted, before it is named and paged (a district's villages are twenty thousand of them)."""

    township_code: str | None  # by village: the township it is in
    key: str | None
    registered: int
    assessed: int
    paid: int
    covered: int
    paid_before: int  # paid as of the end of the day before
    township_name: str | None
    name: str | None


def progress_breakdown(
    uow: UnitOfWork,
    principal: Principal,
    on: date,
    by: str,
    township_code: str | None = None,
    insurance_year: int | None = None,
    offset: int = 0,
    limit: int | None = None,
) -> ProgressBreakdown:
    """The breakdown, its rows from ``offset`` (at most ``limit`` of them; None: every row) and the 合计 of all."""
    principal.require(Permission.READ_RESIDENTS)
    if by not in DIMENSIONS:
        allowed = "、".join(f"{key}（{name}）" for key, name in DIMENSIONS.items())
        raise YibaoError("BREAKDOWN_UNKNOWN", field="by", value=by, allowed=allowed)
    if by == "village" and township_code is None and principal.role is Role.TOWNSHIP_OPERATOR:
        township_code = principal.area_code  # a township's villages are its own: never every township's
    if township_code is not None:
        principal.require_township(township_code)
    year = _year(uow, principal.district, on, insurance_year)
    connection = uow.session.connection()
    uncounted = 0  # by channel, counted from the enrollments themselves: nothing is left out
    if by != "channel":  # read from the kept counts, as the report reads them
        uncounted = progress_counts.before_reading(uow.session.get_bind().engine, connection, exact=False)
    if by == "village":  # paged by the database: a district's villages are twenty thousand
        found = read_villages(connection, year, principal.district, township_code, on, uncounted, offset, limit)
        page = [_Counted(*row) for row in found.rows]
        row_count, sums = found.row_count, found.totals
    else:
        counted_rows = (
            _counted_by_channel(uow, principal, year, on, township_code)
            if by == "channel"
            else _kept_by(connection, principal, year, on, by, township_code, uncounted)
        )
        page, row_count, sums = _named_page(counted_rows, _names(uow, principal.district, by), offset, limit)
    registered, assessed, paid, covered, paid_before = sums
    totals = BreakdownTotals(
        registered=registered, assessed=assessed, paid=paid, covered=covered, paid_on_day=paid - paid_before
    )
    targets = _village_targets(uow, principal.district, year) if by == "village" else {}
    rows = []
    for counted_row in page:
        value = counted_row.key
        target = targets.get(value) if value else None
        township = counted_row.township_code
        rows.append(
            {
                "key": value or "",
                "name": counted_row.name or value or "（未登记）",
                "township_name": (counted_row.township_name or township) if township else None,
                "registered": counted_row.registered,
                "assessed": counted_row.assessed,
                "paid": counted_row.paid,
                "covered": counted_row.covered,
                "paid_on_day": counted_row.paid - counted_row.paid_before,
                "target": target,
                "completion": completion(counted_row.paid, target),
            }
        )
    return ProgressBreakdown(
        insurance_year=year,
        on=on,
        by=by,
        by_name=DIMENSIONS[by],
        township_code=township_code,
        rows=ROWS.validate_python(rows),  # one call for the list
        row_count=row_count,
        offset=offset,
        totals=totals,
        uncounted_changes=uncounted,
    )


def _village_targets(uow: UnitOfWork, district: str, year: int) -> dict[str, int]:
    """The villages' targets (all categories) where the bureau set them."""
    found = uow.session.execute(
        select(Target.area_code, Target.persons).where(
            Target.insurance_year == year,
            Target.district_code == district,
            Target.unit_kind == "village",
            Target.category == "all",
        )
    )
    return {code: persons for code, persons in found if code}


def _named_page(
    counted_rows: Sequence[Sequence[Any]], names: dict[str, str], offset: int, limit: int | None
) -> tuple[list[_Counted], int, tuple[int, int, int, int, int]]:
    """By township, category or channel (a thousand rows at most): named, summed and paged here. Each counted row
    is (key, registered, assessed, paid, covered, paid the day before)."""
    rows = [
        _Counted(None, key, registered or 0, assessed or 0, paid or 0, covered or 0, before or 0, None, names.get(key))
        for key, registered, assessed, paid, covered, before in counted_rows
    ]
    sums = (
        sum(row.registered for row in rows),
        sum(row.assessed for row in rows),
        sum(row.paid for row in rows),
        sum(row.covered for row in rows),
        sum(row.paid_before for row in rows),
    )
    page = rows[offset:] if limit is None else rows[offset : offset + limit]
    return page, len(rows), sums


def _kept_by(
    connection: Connection,
    principal: Principal,
    year: int,
    on: date,
    by: str,
    township_code: str | None,
    uncounted: int,
) -> list[tuple[str, int, int, int, int, int]]:
    """By township or category: the counts kept per township and category, read as the report reads them (paid's
    earlier count as of the day before), leaving out the ``uncounted`` changes (see progress_counts.read)."""
    day_before = on - timedelta(days=1)
    kept = progress_counts.read(connection, year, principal.district, on, day_before, day_before, on, uncounted)
    figures: dict[str, list[int]] = {}
    for unit in kept.townships:
        if township_code is None or unit.township_code == township_code:
            counts = figures.setdefault(unit.township_code if by == "township" else unit.category, [0] * 5)
            counts[MEASURES.index(unit.measure)] += unit.on
            if unit.measure == "paid":
                counts[4] += unit.before
    return [(key, c[0], c[1], c[2], c[3], c[4]) for key, c in sorted(figures.items()) if any(c)]


def _counted_by_channel(
    uow: UnitOfWork, principal: Principal, year: int, on: date, township_code: str | None
) -> Sequence[Sequence[Any]]:
    """By channel: counted from the enrollments at request time (the kept counts have no channel)."""
    key = Enrollment.channel.label("key")
    end, day_before = end_of_day(on), end_of_day(on - timedelta(days=1))
    query = (
        select(
            key,
            counted(Enrollment.registered_at, end),
            counted(Enrollment.assessed_at, end),
            counted(Enrollment.effective_at, end),
            counted(Enrollment.effective_at, end, Enrollment.benefit_start <= on),
            counted(Enrollment.effective_at, day_before),
        )
        .select_from(Enrollment)
        .where(Enrollment.insurance_year == year, Enrollment.township_code.startswith(principal.district))
        .group_by(key)
        .order_by(key.asc().nulls_last())
    )
    if township_code is not None:
        query = query.where(Enrollment.township_code == township_code)
    return uow.session.execute(query).all()


def _names(uow: UnitOfWork, district: str, by: str) -> dict[str, str]:
    """What a breakdown by township, channel or category calls its keys (by village, the read names them)."""
    if by == "township":
        townships = select(Area.code, Area.name).where(Area.code.startswith(district), Area.level == "township")
        return dict(uow.session.connection().execute(townships).all())
    return dict(CHANNELS) if by == "channel" else dict(CATEGORY_NAMES)


def _year(uow: UnitOfWork, district: str, on: date, insurance_year: int | None) -> int:
    if insurance_year is None:
        return campaign_policy(district, on, uow.session).insurance_year
    if not any(policy.insurance_year == insurance_year for policy in district_policies(district, uow.session)):
        raise YibaoError("POLICY_NONE_FOR_DISTRICT", field="insurance_year", district=district)
    return insurance_year
