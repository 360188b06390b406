"""Reading the kept progress counts (:mod:`yibao.adapters.db.progress_tables`) as of any day, and folding the log
of changes into them.

A count as of day D is the sum of its deltas on days ≤ D: the total less the deltas after D. The few changes not
yet folded are added in the same statement, so a report is exact whether or not anyone has folded (a payment
shows in the next page load), and one statement sees one state of the tables on both databases. Only after a
load of more changes than a request may add (:data:`REQUEST_FOLD`), while the server folds them in the
background, does a page read the counts as of the last fold, and it says so (:func:`uncounted`).
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
# Changes folded per transaction by a whole fold. SQLite: about 5 s of holding its one writer, which a clerk's
# write may wait for. PostgreSQL's readers and writers never wait for a fold, and each key of the kept counts is
# written once per transaction: a million changes folded in one go took 59 s, in chunks of 200,000 133 s.
FOLD_CHUNK = {"sqlite": 100_000, "postgresql": 2_000_000}
REQUEST_FOLD = 20_000  # the most logged changes a page or API request folds, or adds as it reads


def contributions(source: str) -> str:
    """SQL: each change of ``source`` (rows shaped like ``progress_changes``) as its deltas — +weight on the day a
    measure begins, −weight on the day it was cancelled; nothing where it was cancelled before it began."""
    parts = []
    for measure in MEASURES:
        begins = f"{measure}_on"
        village = "COALESCE(village_code, '') AS village_code"  # "": no village recorded (a key of the kept counts)
        keys = f"insurance_year, township_code, category, {village}, '{measure}' AS measure"
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


def _village_upsert(table: str, keys: str) -> str:
    """The deltas per village into ``table``, the measures side by side (one row per key, not four)."""
    measures = ", ".join(MEASURES)
    pivoted = ", ".join(f"sum(CASE WHEN measure = '{m}' THEN delta ELSE 0 END)" for m in MEASURES)
    added = ", ".join(f"{m} = {table}.{m} + excluded.{m}" for m in MEASURES)
    return (
        f"INSERT INTO {table} ({keys}, {measures}) SELECT {keys}, {pivoted} FROM {{deltas}} WHERE true "
        f"GROUP BY {keys} ON CONFLICT ({keys}) DO UPDATE SET {added}"
    )


_UPSERT_VILLAGE_DAYS = _village_upsert("progress_village_days", "insurance_year, township_code, day, village_code")
_UPSERT_VILLAGE_TOTALS = _village_upsert("progress_village_totals", "insurance_year, township_code, village_code")
UPSERTS = (_UPSERT_DAYS, _UPSERT_DISTRICT_DAYS, _UPSERT_TOTALS, _UPSERT_VILLAGE_DAYS, _UPSERT_VILLAGE_TOTALS)


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


def fold_all(engine: Engine, chunk: int | None = None) -> int:
    """Fold the whole log, ``chunk`` changes per transaction: on SQLite a clerk's write waits for one chunk at
    most, never for a district's load. The number folded; it stops where the database is busy."""
    chunk = chunk or FOLD_CHUNK.get(engine.dialect.name, 100_000)
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
    tables = (
        "progress_changes",
        "progress_days",
        "progress_totals",
        "progress_district_days",
        "progress_village_days",
        "progress_village_totals",
    )
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
        # Compiling this statement took 1.7 s of a 200,000-change fold's 4 and saves nothing: the work is writes.
        connection.exec_driver_sql("SET LOCAL jit = off")
        connection.exec_driver_sql("SET LOCAL work_mem = '256MB'")  # the deltas grouped in memory, not on disk
        # One statement: the rows deleted are exactly the rows counted, whatever commits meanwhile. Which rows a
        # bounded fold takes does not matter: a count is a sum of its changes, in any order.
        # The oldest first, as on SQLite: what is left is the newest, which uncounted() finds through the index.
        some = "" if limit is None else f" WHERE id IN (SELECT id FROM progress_changes ORDER BY id LIMIT {int(limit)})"
        upserts = "".join(f", upsert_{n} AS ({upsert.format(deltas='deltas')})" for n, upsert in enumerate(UPSERTS))
        statement = f"""
            WITH moved AS (DELETE FROM progress_changes{some} RETURNING *),
            deltas AS ({contributions("moved")}){upserts}
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
            # The deltas computed once, summed per key, for the five tables they go into.
            connection.exec_driver_sql(
                "CREATE TEMPORARY TABLE progress_fold AS "
                "SELECT insurance_year, township_code, village_code, category, measure, day, sum(delta) AS delta "
                f"FROM ({contributions(source)}) "
                "GROUP BY insurance_year, township_code, village_code, category, measure, day"
            )
            for upsert in UPSERTS:
                connection.execute(text(upsert.format(deltas="temp.progress_fold")))
            connection.exec_driver_sql("DROP TABLE temp.progress_fold")  # in the transaction: undone with it
            return connection.execute(text("DELETE FROM progress_changes WHERE id <= :last"), {"last": last}).rowcount
    finally:
        driver.execute("PRAGMA busy_timeout = 5000")  # as database.py sets it


def uncounted(connection: Connection, cap: int = REQUEST_FOLD) -> int:
    """The changes logged and not yet folded: exact up to ``cap``, above it an estimate from the log's first and
    last ids (never fewer than ``cap`` + 1). Both through the primary key alone: cheap however long the log."""
    some: int = connection.execute(
        text(f"SELECT count(*) FROM (SELECT id FROM progress_changes ORDER BY id LIMIT {int(cap) + 1}) AS first_ids")
    ).scalar_one()
    if some <= cap:
        return int(some)
    # Two subqueries, not max(id) - min(id) in one: SQLite looks up a lone min() or max() in the key, but scans
    # the whole table for both together (2 s after a load of 10,000,000 enrollments).
    span = connection.execute(
        text("SELECT (SELECT max(id) FROM progress_changes) - (SELECT min(id) FROM progress_changes) + 1")
    ).scalar()
    return max(int(span or 0), int(some))


def before_reading(engine: Engine, connection: Connection, exact: bool) -> int:
    """What a request does before it reads the kept counts: fold what little is logged (the rest it adds as it
    reads), or, where the log is longer than a request should add (a load just committed, which the server folds
    in the background), leave it. The number of changes the read is to leave out (0: exact, as ``exact`` asks)."""
    left = 0 if exact else uncounted(connection)
    if left > REQUEST_FOLD:
        return left
    fold(engine, limit=REQUEST_FOLD)
    return 0


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
    uncounted: int = 0  # logged changes these counts leave out (read as of the last fold); 0: exact


# Only the rows a report needs: every measure's changes after its day (the cover that begins on 1 January), and
# paid's since the earlier of the last report and the pace's start; the daily series from the district's rows.
_READ = """
WITH pending_changes AS (
    SELECT * FROM progress_changes WHERE {with_pending} AND insurance_year = :year AND township_code LIKE :townships
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
    connection: Connection,
    year: int,
    district: str,
    on: date,
    before: date,
    pace_from: date,
    start: date,
    uncounted: int = 0,
) -> KeptCounts:
    """The counts of the enrollments of ``year`` in the townships of ``district`` (its six digits) as of the ends
    of ``on``, ``before`` (the last report) and ``pace_from``, and paid's change per day from ``start`` to ``on``.
    Exact where ``uncounted`` is 0: the log is added as it is read. Otherwise the ``uncounted`` changes logged
    are left to the fold, and the counts are as of the last one (a consistent state: a fold is one transaction)."""
    with_pending = "true" if uncounted == 0 else "false"
    statement = (
        text(_READ.format(pending=contributions("pending_changes"), with_pending=with_pending))
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
    return KeptCounts(townships, paid_by_day, uncounted)
