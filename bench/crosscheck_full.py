"""The whole cross-check a bureau's officer waits for, and its hand-written reference.

yibao's run is ``run_crosscheck``: the snapshot brought up to date (the records' tables written again as Parquet
when anything changed; each list once), every rule on DuckDB, one finding per person and kind, the findings
merged into the worklists (found again, new, cleared), committed. The reference does the same job as one would
write it by hand: the same rows read from the database as Arrow columns (PostgreSQL: ADBC; SQLite: the driver's
rows), the lists from the same Parquet files, the rules as one DuckDB query, one finding per key in SQL, and the
findings merged into the same table by three statements over a staged copy — the same findings, written.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any, cast

import duckdb
import polars as pl
from sqlalchemy import Column, Engine, MetaData, Table, func, select, text

from crosscheck_sql import hand_written_query, list_view  # the script's own folder
from yibao.adapters.db.bulk import bulk_insert
from yibao.adapters.db.database import session_factory
from yibao.adapters.db.tables import AuditEntry, CrosscheckRun, Finding
from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.adapters.snapshot import Snapshot
from yibao.domain.crosscheck.inputs import Params
from yibao.services.access import Principal
from yibao.services.crosscheck.runs import CrosscheckRequest, RunReport, run_crosscheck

KEY = ("kind", "id_number", "township_code")
EVIDENCE = ("code", "name", "resident_id", "village_code", "list_id", "evidence_date", "amount_fen", "detail")
DATES = ("birth_date", "benefit_start", "valid_from", "valid_to")


def record_sql(district: str) -> dict[str, str]:
    """The records the rules read, as one would select them by hand: the district's people and their records."""
    inside = f"LIKE '{district}%'"
    return {
        "residents": "SELECT id, id_number, name, birth_date, township_code, village_code, survival_status "
        f"FROM residents WHERE township_code {inside}",
        "enrollments": "SELECT id, resident_id, insurance_year, township_code, state, category, tier, "
        f"assisted_subsidy_fen, benefit_start FROM enrollments WHERE township_code {inside}",
        "identity_flags": "SELECT f.resident_id, f.identity, f.source, f.valid_from, f.valid_to FROM identity_flags f "
        f"JOIN residents r ON r.id = f.resident_id WHERE r.township_code {inside}",
        "payments": f"SELECT id, channel FROM payments WHERE township_code {inside}",
        "payment_allocations": "SELECT a.payment_id, a.enrollment_id, a.amount_fen FROM payment_allocations a "
        f"JOIN payments p ON p.id = a.payment_id WHERE p.township_code {inside}",
        "reasons": "SELECT insurance_year, id_number, withdrawn_at IS NOT NULL AS withdrawn "
        f"FROM non_enrollment_reasons WHERE district_code = '{district}'",
    }


def _read(engine: Engine, sql: str) -> Any:
    """A query's rows as an Arrow table."""
    if engine.dialect.name == "postgresql":
        import adbc_driver_postgresql.dbapi

        url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        with adbc_driver_postgresql.dbapi.connect(url) as connection, connection.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetch_arrow_table()
    with engine.connect() as connection:
        cursor = connection.exec_driver_sql(sql)
        names = [column[0] for column in cursor.cursor.description]
        frame = pl.DataFrame(cursor.fetchall(), schema=names, orient="row", infer_schema_length=None)
    # SQLite keeps a date as text and a truth as 0/1.
    typed = [pl.col(name).str.to_date() for name in names if name in DATES and frame.schema[name] == pl.String]
    if "withdrawn" in names:
        typed.append(pl.col("withdrawn").cast(pl.Boolean))
    return frame.with_columns(typed).to_arrow()


def reference_run(
    engine: Engine, snapshot: Snapshot, params: Params, district: str
) -> tuple[float, int, dict[str, float]]:
    """The hand-written job, timed from reading the records to the commit: seconds, findings written, and the
    seconds of its steps."""
    started = time.perf_counter()
    steps = {}
    duck = duckdb.connect()
    for name, sql in record_sql(district).items():
        duck.register(name, _read(engine, sql))
    duck.execute(list_view(snapshot))
    steps["read"] = time.perf_counter() - started
    one_each = (
        f"SELECT * REPLACE (coalesce(township_code, '') AS township_code) FROM ({hand_written_query(params)}) "
        "QUALIFY row_number() OVER (PARTITION BY kind, id_number, coalesce(township_code, '') "
        "ORDER BY code NULLS LAST) = 1"
    )
    found = pl.from_arrow(duck.sql(one_each).to_arrow_table())
    duck.close()
    assert isinstance(found, pl.DataFrame)
    found = found.with_columns(pl.col("resident_id", "list_id", "amount_fen").cast(pl.Int64))  # sums are wider
    steps["rules"] = time.perf_counter() - started - steps["read"]
    _merge(engine, found, params, district)
    steps["worklists"] = time.perf_counter() - started - steps["read"] - steps["rules"]
    return time.perf_counter() - started, found.height, steps


def _merge(engine: Engine, found: pl.DataFrame, params: Params, district: str) -> None:
    """Found again: new evidence, current; new: open; not found again among the kinds checked: cleared."""
    year = params.year
    findings = cast(Table, Finding.__table__)
    staged = Table(
        "reference_found",
        MetaData(),
        *[Column(name, findings.c[name].type) for name in (*KEY, *EVIDENCE)],
        prefixes=["TEMPORARY"],
    )
    same = "f.kind = s.kind AND f.id_number = s.id_number AND f.township_code = s.township_code"
    mine = f"f.insurance_year = {year} AND f.district_code = '{district}'"
    kinds = ", ".join(f"'{kind}'" for kind in found["kind"].unique().sort())
    with engine.begin() as connection:
        run = connection.execute(select(func.max(CrosscheckRun.id))).scalar_one()
        staged.create(connection)
        bulk_insert(connection, staged, found.select(*KEY, *EVIDENCE))
        # The staged key indexed, and statistics: else the planner takes the findings just written for one row
        # and looks each up by a scan (measured: 9 s of 10 for 100,000 people).
        connection.exec_driver_sql("CREATE INDEX staged_key ON reference_found (kind, id_number, township_code)")
        connection.exec_driver_sql("ANALYZE reference_found")
        connection.exec_driver_sql("ANALYZE findings")
        evidence = ", ".join(f"{name} = s.{name}" for name in EVIDENCE)
        connection.execute(
            text(
                f"UPDATE findings AS f SET {evidence}, last_run_id = {run}, current = TRUE "
                f"FROM reference_found s WHERE {mine} AND {same}"
            )
        )
        columns = ", ".join((*KEY, *EVIDENCE))
        connection.execute(
            text(
                f"INSERT INTO findings (insurance_year, district_code, {columns}, status, first_run_id, last_run_id, "
                f"current) SELECT {year}, '{district}', {columns}, 'open', {run}, {run}, TRUE FROM reference_found s "
                f"WHERE NOT EXISTS (SELECT 1 FROM findings f WHERE {mine} AND {same})"
            )
        )
        connection.execute(
            text(
                f"UPDATE findings AS f SET current = FALSE WHERE {mine} AND f.kind IN ({kinds}) AND f.current "
                f"AND NOT EXISTS (SELECT 1 FROM reference_found s WHERE {same})"
            )
        )
        staged.drop(connection)


def yibao_run(engine: Engine, admin: Principal, year: int, folder: Any) -> tuple[float, RunReport, dict[str, float]]:
    """``run_crosscheck`` as the web page starts it: seconds, its report, and the seconds of its steps (from its
    progress reports)."""
    started = time.perf_counter()
    steps: dict[str, float] = {}
    last = [started]

    def progress(step: str, done: int, total: int) -> None:
        if done >= total:
            now = time.perf_counter()
            steps[step] = steps.get(step, 0.0) + now - last[0]
            last[0] = now

    with UnitOfWork(session_factory(engine), actor="admin", now=datetime(2018, 3, 1, 1, tzinfo=UTC)) as uow:
        report = run_crosscheck(uow, admin, CrosscheckRequest(year, "duckdb"), data_directory=folder, progress=progress)
    return time.perf_counter() - started, report, steps


def a_days_work(engine: Engine) -> None:
    """A change to the records, as any day of the campaign brings: the snapshot's tables are stale again."""
    with engine.begin() as connection:
        connection.execute(
            AuditEntry.__table__.insert().values(  # type: ignore[attr-defined]
                at=datetime.now(UTC), actor="bench", action="change", entity="resident", entity_id="1", after={}
            )
        )
