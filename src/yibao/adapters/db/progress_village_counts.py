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


# The totals, less the days after the report's (and paid's, after the day before), plus the log not yet folded.
_KEPT_DAYS = _figures("day > :on", "day > :before").format(**{m: f"-{m}" for m in MEASURES})
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
    SELECT township_code, village_code, {_KEPT_DAYS}
    FROM progress_village_days WHERE insurance_year = :year AND day > :before AND {{townships}}
    UNION ALL
    SELECT township_code, village_code, {_PENDING} FROM pending
)
SELECT villages.*, township.name, village.name FROM (
    SELECT township_code, village_code, {", ".join(f"sum({m})" for m in MEASURES)}, sum(paid_before)
    FROM parts GROUP BY township_code, village_code
) AS villages
LEFT JOIN areas township ON township.code = villages.township_code
LEFT JOIN areas village ON village.code = villages.village_code
"""


def read_villages(
    connection: Connection, year: int, district: str, township: str | None, on: date, uncounted: int = 0
) -> list[VillageCounts]:
    """The villages of ``township`` (or of every township of ``district``) with anything counted as of the end of
    ``on``, by township and village (no village last). Exact where ``uncounted`` is 0 (see progress_counts.read)."""
    townships = "township_code = :township" if township else "township_code LIKE :district"
    statement = text(
        _READ.format(
            pending=contributions("pending_changes"),
            with_pending="true" if uncounted == 0 else "false",
            townships=townships,
        )
    ).bindparams(bindparam("on", type_=Date), bindparam("before", type_=Date))
    parameters = {"year": year, "on": on, "before": on - timedelta(days=1)}
    parameters |= {"township": township} if township else {"district": f"{district}%"}
    if connection.dialect.name == "postgresql":  # twenty thousand villages grouped in memory, not on disk
        connection.exec_driver_sql("SET LOCAL work_mem = '64MB'")
    found = list(connection.execute(statement, parameters).all())
    # Sorted here: the database would compare the codes by its locale's collation, ten times slower.
    found.sort(key=lambda row: (row[0], row[1] == "", row[1]))  # no village last in its township
    return [VillageCounts(*row) for row in found if any(row[2:7])]  # villages with anything counted
