"""Reading the kept progress counts by village (``progress_village_totals`` and ``progress_village_days``, folded
from the log by :func:`yibao.adapters.db.progress_counts.fold`) as of any day, as the report reads the townships':
the totals less the deltas after the day, with the changes not yet folded added in the same statement."""

from __future__ import annotations

from datetime import date, timedelta
from typing import NamedTuple

from sqlalchemy import Connection, Date, bindparam, text

from yibao.adapters.db.progress_counts import contributions
from yibao.adapters.db.progress_tables import MEASURES


class VillageCounts(NamedTuple):
    township_code: str
    village_code: str  # "" where the residents have no village recorded
    registered: int  # as of the end of the day
    assessed: int
    paid: int
    covered: int
    paid_before: int  # paid as of the end of the day before
    township_name: str | None  # from the area register (None: not in it)
    village_name: str | None


def _figures(on_day: str, before: str) -> str:
    """Columns: each measure's part in the count as of the end of the report's day, and paid's as of the day before,
    given the condition on a row's day for each (SQL)."""
    parts = [f"CASE WHEN {on_day} THEN {{{measure}}} ELSE 0 END" for measure in MEASURES]
    return ", ".join([*parts, f"CASE WHEN {before} THEN {{paid}} ELSE 0 END"])


# The totals, less the days after the report's (and paid's, after the day before: the report's day too), plus the
# log not yet folded. The days after and the report's day are read as two ranges, each row's figures as they are:
# no condition evaluated per row of the district's hundreds of thousands (a sixth of the statement's time).
_AFTER_THE_DAY = ", ".join([f"-{m}" for m in MEASURES] + ["-paid"])
_ON_THE_DAY = ", ".join(["0" for _ in MEASURES] + ["-paid"])
_PENDING = _figures("day <= :on", "day <= :before").format(
    **{m: f"(CASE WHEN measure = '{m}' THEN delta ELSE 0 END)" for m in MEASURES}
)
_READ = f"""
WITH pending_changes AS (
    SELECT * FROM progress_changes WHERE {{with_pending}} AND insurance_year = :year AND {{townships}}
),
pending AS ({{pending}}),
parts (township_code, village_code, {", ".join(MEASURES)}, paid_before) AS (
    SELECT township_code, village_code, {", ".join(MEASURES)}, paid
    FROM progress_village_totals WHERE insurance_year = :year AND {{townships}}
    UNION ALL
    SELECT township_code, village_code, {_AFTER_THE_DAY}
    FROM progress_village_days WHERE insurance_year = :year AND day > :on AND {{townships}}
    UNION ALL
    SELECT township_code, village_code, {_ON_THE_DAY}
    FROM progress_village_days
    WHERE insurance_year = :year AND day > :before AND day <= :on AND paid <> 0 AND {{townships}}
    UNION ALL
    SELECT township_code, village_code, {_PENDING} FROM pending
),
villages AS (
    SELECT * FROM (
        SELECT township_code, village_code, {", ".join(f"sum({m}) AS {m}" for m in MEASURES)},
            sum(paid_before) AS paid_before
        FROM parts GROUP BY township_code, village_code
    ) AS summed
    WHERE {" OR ".join(f"{m} <> 0" for m in (*MEASURES, "paid_before"))}
),
page AS (
    SELECT * FROM villages ORDER BY {{order}} LIMIT :limit OFFSET :offset
)
SELECT 0 AS part, page.*, township.name, village.name, 0 AS row_count FROM page
LEFT JOIN areas township ON township.code = page.township_code
LEFT JOIN areas village ON village.code = page.village_code
UNION ALL
SELECT 1, '', '', {", ".join(f"coalesce(sum({m}), 0)" for m in (*MEASURES, "paid_before"))}, NULL, NULL, count(*)
FROM villages
"""


class VillagePage(NamedTuple):
    rows: list[VillageCounts]  # from the offset, by township and village (no village last in its township)
    row_count: int  # the villages with anything counted, on every page
    totals: tuple[int, int, int, int, int]  # the sums of the five figures over every village


def read_villages(
    connection: Connection,
    year: int,
    district: str,
    township: str | None,
    on: date,
    uncounted: int = 0,
    offset: int = 0,
    limit: int | None = None,
) -> VillagePage:
    """The villages of ``township`` (or of every township of ``district``) with anything counted as of the end of
    ``on``: at most ``limit`` of them (None: all) from ``offset``, and the sums over all. Exact where ``uncounted``
    is 0 (see progress_counts.read). Paged by the database: a district's twenty thousand villages are summed and
    ordered there, and only a page's rows come to Python."""
    townships = "township_code = :township" if township else "township_code LIKE :district"
    # The codes compared byte by byte (PostgreSQL's locale collation is ten times slower; for codes of digits the
    # order is the same); no village last in its township.
    binary = ' COLLATE "C"' if connection.dialect.name == "postgresql" else ""
    order = f"township_code{binary}, village_code = '', village_code{binary}"
    statement = text(
        _READ.format(
            pending=contributions("pending_changes"),
            with_pending="true" if uncounted == 0 else "false",
            townships=townships,
            order=order,
        )
    ).bindparams(bindparam("on", type_=Date), bindparam("before", type_=Date))
    every = None if connection.dialect.name == "postgresql" else -1  # LIMIT NULL, LIMIT -1: no limit
    parameters = {"year": year, "on": on, "before": on - timedelta(days=1), "offset": offset}
    parameters["limit"] = every if limit is None else limit
    parameters |= {"township": township} if township else {"district": f"{district}%"}
    if connection.dialect.name == "postgresql":  # twenty thousand villages grouped in memory, not on disk
        connection.exec_driver_sql("SET LOCAL work_mem = '64MB'")
    found = connection.execute(statement, parameters).all()
    summed = next(row for row in found if row.part == 1)
    rows = sorted((row for row in found if row.part == 0), key=lambda row: (row[1], row[2] == "", row[2]))
    return VillagePage(
        rows=[VillageCounts(*row[1:-1]) for row in rows],
        row_count=int(summed.row_count),
        totals=(int(summed[3]), int(summed[4]), int(summed[5]), int(summed[6]), int(summed[7])),
    )
