"""Reading the kept progress counts (:mod:`yibao.adapters.db.progress_tables`) as of any day, and folding the log
of changes into them.

A count as of day D is the sum of its deltas on days ≤ D: the total less the deltas after D. The few changes not
yet folded are added in the same statement, so a report is exact whether or not anyone has folded (a payment
shows in the next page load), and one statement sees one state of the tables on both databases.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from sqlalchemy import Connection, Date, Engine, Integer, String, bindparam, column, text
from sqlalchemy.exc import OperationalError

from yibao.adapters.db.progress_tables import MEASURES

log = logging.getLogger(__name__)

FOLD_LOCK = 7_361_011  # PostgreSQL advisory lock: one fold at a time; the others skip, they need not wait
LARGE_FOLD = 100_000  # changes: after folding as many, the tables' statistics are refreshed (and the log vacuumed)
FOLD_CHUNK = 200_000  # changes folded per transaction by a whole fold (SQLite: ~2 s of holding its one writer)
REQUEST_FOLD = 20_000  # the most changes a page or API request folds before it reads; the rest it adds as it reads


def contributions(source: str) -> str:
    """SQL: each change of ``source`` (rows shaped like ``progress_changes``) as its deltas — +weight on the day a
    measure begins, −weight on the day it was cancelled; nothing where it was cancelled before it began."""
    parts = []
    for measure in MEASURES:
        begins = f"{measure}_on"
        keys = f"insurance_year, township_code, category, '{measure}' AS measure"
        parts.append(
            f"SELECT {keys}, {begins} AS day, weight AS delta FROM {source} "
            f"WHERE {begins} IS NOT NULL AND (cancelled_on IS NULL OR cancelled_on > {begins})"
        )
        parts.append(
            f"SELECT {keys}, cancelled_on AS day, -weight AS delta FROM {source} "
            f"WHERE {begins} IS NOT NULL AND cancelled_on > {begins}"
        )
    return "\nUNION ALL\n".join(parts)


_UPSERT_DAYS = """
INSERT INTO progress_days (insurance_year, measure, day, township_code, category, count)
SELECT insurance_year, measure, day, township_code, category, sum(delta) FROM {deltas} WHERE true
GROUP BY insurance_year, measure, day, township_code, category
ON CONFLICT (insurance_year, measure, day, township_code, category)
DO UPDATE SET count = progress_days.count + excluded.count
"""
_UPSERT_DISTRICT_DAYS = """
INSERT INTO progress_district_days (insurance_year, measure, district_code, day, count)
SELECT insurance_year, measure, substr(township_code, 1, 6), day, sum(delta) FROM {deltas} WHERE true
GROUP BY insurance_year, measure, substr(township_code, 1, 6), day
ON CONFLICT (insurance_year, measure, district_code, day)
DO UPDATE SET count = progress_district_days.count + excluded.count
"""
_UPSERT_TOTALS = """
INSERT INTO progress_totals (insurance_year, measure, township_code, category, count)
SELECT insurance_year, measure, township_code, category, sum(delta) FROM {deltas} WHERE true
GROUP BY insurance_year, measure, township_code, category
ON CONFLICT (insurance_year, measure, township_code, category)
DO UPDATE SET count = progress_totals.count + excluded.count
"""


def fold(engine: Engine, limit: int | None = None) -> int:
    """Move the logged changes into the kept counts — at most ``limit`` of them, in one transaction; the number of
    changes folded. Never waits for a writer or another fold: where the database is busy it folds nothing and the
    readers add the log themselves."""
    try:
        with engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                return _fold_postgresql(connection, limit)
            return _fold_sqlite(connection, limit)
    except OperationalError as busy:  # SQLite: another writer holds the database; the next reader folds
        log.info("progress fold skipped: %s", busy.orig)
        return 0


def fold_all(engine: Engine, chunk: int = FOLD_CHUNK) -> int:
    """Fold the whole log, ``chunk`` changes per transaction: on SQLite a clerk's write waits for one chunk at
    most, never for a district's load. The number folded; it stops where the database is busy."""
    folded = 0
    while True:
        step = fold(engine, chunk)
        folded += step
        if step < chunk:
            break
    if folded >= LARGE_FOLD:
        refresh_statistics(engine)
    return folded


def refresh_statistics(engine: Engine) -> None:
    """After a bulk load the planner's statistics still describe the empty tables, and PostgreSQL's log is left
    full of dead rows that every later read would scan until autovacuum came by."""
    tables = ("progress_changes", "progress_days", "progress_totals", "progress_district_days")
    try:
        with engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                quiet = connection.execution_options(isolation_level="AUTOCOMMIT")
                for table in tables:
                    quiet.exec_driver_sql(f"VACUUM (ANALYZE) {table}")
                return
            for table in tables:
                connection.exec_driver_sql(f"ANALYZE {table}")
            connection.commit()
    except OperationalError as busy:
        log.info("progress statistics not refreshed: %s", busy.orig)


def _fold_postgresql(connection: Connection, limit: int | None) -> int:
    with connection.begin():
        if not connection.execute(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": FOLD_LOCK}).scalar():
            return 0
        # One statement: the rows deleted are exactly the rows counted, whatever commits meanwhile. Which rows a
        # bounded fold takes does not matter: a count is a sum of its changes, in any order.
        some = "" if limit is None else f" WHERE id IN (SELECT id FROM progress_changes LIMIT {int(limit)})"
        statement = f"""
            WITH moved AS (DELETE FROM progress_changes{some} RETURNING *),
            deltas AS ({contributions("moved")}),
            days AS ({_UPSERT_DAYS.format(deltas="deltas")}),
            district_days AS ({_UPSERT_DISTRICT_DAYS.format(deltas="deltas")}),
            totals AS ({_UPSERT_TOTALS.format(deltas="deltas")})
            SELECT count(*) FROM moved"""
        return int(connection.execute(text(statement)).scalar_one())


def _fold_sqlite(connection: Connection, limit: int | None) -> int:
    # SQLite has one writer at a time. Waiting for the lock would hold a page load behind an import, so the fold
    # takes the lock at once (BEGIN IMMEDIATE) or gives up.
    driver = connection.connection.dbapi_connection
    assert driver is not None
    driver.execute("PRAGMA busy_timeout = 0")
    try:
        with connection.begin():
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            bounded = "" if limit is None else f" ORDER BY id LIMIT {int(limit)}"
            last = connection.execute(text(f"SELECT max(id) FROM (SELECT id FROM progress_changes{bounded})")).scalar()
            if last is None:
                return 0
            source = f"(SELECT * FROM progress_changes WHERE id <= {int(last)})"
            # The deltas computed once, summed per key, for the three tables they go into.
            connection.exec_driver_sql(
                "CREATE TEMPORARY TABLE progress_fold AS "
                "SELECT insurance_year, township_code, category, measure, day, sum(delta) AS delta "
                f"FROM ({contributions(source)}) GROUP BY insurance_year, township_code, category, measure, day"
            )
            for upsert in (_UPSERT_DAYS, _UPSERT_DISTRICT_DAYS, _UPSERT_TOTALS):
                connection.execute(text(upsert.format(deltas="temp.progress_fold")))
            connection.exec_driver_sql("DROP TABLE temp.progress_fold")  # in the transaction: undone with it
            return connection.execute(text("DELETE FROM progress_changes WHERE id <= :last"), {"last": last}).rowcount
    finally:
        driver.execute("PRAGMA busy_timeout = 5000")  # as database.py sets it


class TownshipCounts(NamedTuple):  # a few thousand per report: a tuple is the cheapest to make
    township_code: str
    category: str
    measure: str
    on: int  # as of the end of the report's day
    before: int  # paid only: as of the last report
    week_ago: int  # paid only: as of the start of the recent pace (a week before the report's day)


@dataclass(frozen=True)
class KeptCounts:
    townships: list[TownshipCounts]
    paid_by_day: dict[date, int]  # the change of paid on each day from the campaign's first


# Only the rows a report needs: every measure's changes after its day (the cover that begins on 1 January), and
# paid's since the earlier of the last report and the pace's start; the daily series from the district's rows.
_READ = """
WITH pending_changes AS (
    SELECT * FROM progress_changes WHERE insurance_year = :year AND township_code LIKE :townships
),
pending AS ({pending}),
per_unit AS (
    SELECT township_code, category, measure, count AS total, 0 AS after_on, 0 AS after_before, 0 AS after_pace
    FROM progress_totals WHERE insurance_year = :year AND township_code LIKE :townships
    UNION ALL
    SELECT township_code, category, measure, 0, count, count, count
    FROM progress_days WHERE insurance_year = :year AND day > :on AND township_code LIKE :townships
    UNION ALL
    SELECT township_code, category, measure, 0, 0,
        CASE WHEN day > :before THEN count ELSE 0 END,
        CASE WHEN day > :pace_from THEN count ELSE 0 END
    FROM progress_days
    WHERE insurance_year = :year AND measure = 'paid' AND day > :low AND day <= :on AND township_code LIKE :townships
    UNION ALL
    SELECT township_code, category, measure, delta,
        CASE WHEN day > :on THEN delta ELSE 0 END,
        CASE WHEN day > :before THEN delta ELSE 0 END,
        CASE WHEN day > :pace_from THEN delta ELSE 0 END
    FROM pending
),
paid_days AS (
    SELECT day, count AS delta FROM progress_district_days
    WHERE insurance_year = :year AND measure = 'paid' AND district_code = :district AND day >= :start AND day <= :on
    UNION ALL
    SELECT day, delta FROM pending WHERE measure = 'paid' AND day >= :start AND day <= :on
)
SELECT 'unit' AS kind, township_code, category, measure, NULL AS day,
    sum(total) - sum(after_on) AS on_count, sum(total) - sum(after_before) AS before_count,
    sum(total) - sum(after_pace) AS pace_count
FROM per_unit GROUP BY township_code, category, measure
UNION ALL
SELECT 'day', NULL, NULL, 'paid', day, sum(delta), 0, 0 FROM paid_days GROUP BY day
"""


def read(
    connection: Connection, year: int, district: str, on: date, before: date, pace_from: date, start: date
) -> KeptCounts:
    """The counts of the enrollments of ``year`` in the townships of ``district`` (its six digits) as of the ends
    of ``on``, ``before`` (the last report) and ``pace_from``, and paid's change per day from ``start`` to ``on``."""
    statement = (
        text(_READ.format(pending=contributions("pending_changes")))
        .bindparams(
            bindparam("on", type_=Date),
            bindparam("before", type_=Date),
            bindparam("pace_from", type_=Date),
            bindparam("low", type_=Date),
            bindparam("start", type_=Date),
        )
        .columns(
            column("kind", String),
            column("township_code", String),
            column("category", String),
            column("measure", String),
            column("day", Date),
            column("on_count", Integer),
            column("before_count", Integer),
            column("pace_count", Integer),
        )
    )
    rows = connection.execute(
        statement,
        {
            "year": year,
            "townships": f"{district}%",
            "district": district,
            "on": on,
            "before": before,
            "pace_from": pace_from,
            "low": min(before, pace_from),
            "start": start,
        },
    ).all()
    townships = [
        TownshipCounts(
            row.township_code, row.category, row.measure, int(row.on_count), int(row.before_count), int(row.pace_count)
        )
        for row in rows
        if row.kind == "unit"
    ]
    paid_by_day = {row.day: int(row.on_count) for row in rows if row.kind == "day"}
    return KeptCounts(townships, paid_by_day)
