"""Where the cross-checks run: the same Ibis rules (:mod:`yibao.domain.crosscheck.rules`) on one of three
backends, chosen by configuration (``YIBAO_CROSSCHECK_ENGINE``, or the CLI's ``--engine``):

* ``duckdb`` (the default): DuckDB in process, over the Parquet snapshot (:mod:`yibao.adapters.snapshot`);
* ``database``: the system-of-record database itself (SQLite or PostgreSQL), for small runs with no snapshot;
* ``spark``: Apache Spark over the same snapshot, when one machine is outgrown (``YIBAO_SPARK_MASTER``, default
  ``local[*]``; the ``spark`` extra and Java 17).
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import polars as pl
from sqlalchemy import Engine as SqlEngine

from yibao.adapters.snapshot import REFERENCE_SCHEMA, SCHEMAS, Snapshot
from yibao.domain.crosscheck.inputs import FINDING_COLUMNS, Tables
from yibao.domain.errors import YibaoError

# What bureau staff read when they choose (the code names the engine for operators: DuckDB, the database, Spark).
ENGINES = {"duckdb": "本机快速比对（数据快照）", "database": "业务数据库直接比对", "spark": "集群比对（大数据平台）"}
DEFAULT_ENGINE = "duckdb"


def configured_engine() -> str:
    return os.environ.get("YIBAO_CROSSCHECK_ENGINE", DEFAULT_ENGINE)


def check_engine(name: str) -> str:
    if name not in ENGINES:
        raise YibaoError("CROSSCHECK_ENGINE_UNKNOWN", field="engine", engine=name, allowed="、".join(ENGINES))
    return name


def needs_snapshot(name: str) -> bool:
    return name != "database"


def _empty(schema: dict[str, Any]) -> Any:
    return pl.DataFrame(schema=schema).to_arrow()


def _from_files(backend: Any, snapshot: Snapshot, list_ids: Sequence[int]) -> Tables:
    tables = {name: backend.read_parquet(str(path)) for name, path in snapshot.tables.items()}
    # One read per list, then a union: Spark takes a list of paths for a glob pattern.
    parts = [backend.read_parquet(str(path)) for path in snapshot.reference_files(list_ids)]
    reference = ibis.union(*parts) if len(parts) > 1 else parts[0] if parts else ibis.memtable(_empty(REFERENCE_SCHEMA))
    return Tables(reference=reference, **tables)


def _from_database(backend: Any, district: str, list_ids: Sequence[int]) -> Tables:
    """The rules' inputs as views of the live tables (the same columns as the snapshot writes)."""

    def columns(table: str, name: str) -> ir.Table:
        return backend.table(table).select(*SCHEMAS[name])

    residents = columns("residents", "residents")
    residents = residents.filter(residents.township_code.startswith(district))
    enrollments = columns("enrollments", "enrollments")
    reasons = backend.table("non_enrollment_reasons")
    reasons = reasons.filter(reasons.district_code == district).select(
        insurance_year=reasons.insurance_year.cast("int64"),
        id_number=reasons.id_number,
        withdrawn=reasons.withdrawn_at.notnull(),
    )
    rows = backend.table("reference_rows")
    lists = backend.table("reference_lists")
    selected = rows.filter(rows.list_id.isin(list(list_ids) or [-1]))
    kinds = lists.select(list_key=lists.id, kind=lists.kind)
    reference = selected.join(kinds, selected.list_id == kinds.list_key).select(*REFERENCE_SCHEMA)
    payments = backend.table("payments")
    return Tables(
        residents=residents,
        enrollments=enrollments.filter(enrollments.township_code.startswith(district)),
        identity_flags=columns("identity_flags", "identity_flags"),
        payments=payments.filter(payments.township_code.startswith(district)).select(*SCHEMAS["payments"]),
        payment_allocations=columns("payment_allocations", "payment_allocations"),
        reasons=reasons,
        reference=reference,
    )


def _database_backend(engine: SqlEngine) -> Any:
    url = engine.url
    if url.get_backend_name() == "sqlite":
        return ibis.sqlite.connect(url.database or ":memory:")
    if url.get_backend_name() == "postgresql":
        return ibis.postgres.connect(
            host=url.host or "localhost",
            port=url.port or 5432,
            user=url.username,
            password=url.password,
            database=url.database,
            **dict(url.query),  # connection options such as a search_path travel in the URL
        )
    raise YibaoError(
        "CROSSCHECK_ENGINE_UNAVAILABLE", engine="database", reason=f"不支持的数据库 {url.get_backend_name()}"
    )


def spark_session() -> Any:
    """A Spark session (local by default); refused plainly where Spark or Java is missing."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as error:
        raise YibaoError(
            "CROSSCHECK_ENGINE_UNAVAILABLE", engine="spark", reason="未安装 pyspark（pip install 'yibao[spark]'）"
        ) from error
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        raise YibaoError("CROSSCHECK_ENGINE_UNAVAILABLE", engine="spark", reason="未找到 Java 17（JAVA_HOME）")
    return (
        SparkSession.builder.master(os.environ.get("YIBAO_SPARK_MASTER", "local[*]"))
        .appName("yibao-crosscheck")
        .config("spark.ui.enabled", "false")
        # Results come back to this process through Arrow; the driver holds the broadcast sides of the joins.
        .config("spark.driver.memory", os.environ.get("YIBAO_SPARK_DRIVER_MEMORY", "4g"))
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        # A register of millions estimated small after its filters would be broadcast and overflow the driver:
        # sort-merge joins throughout (set YIBAO_SPARK_BROADCAST_BYTES to allow broadcasts below that size).
        .config("spark.sql.autoBroadcastJoinThreshold", os.environ.get("YIBAO_SPARK_BROADCAST_BYTES", "-1"))
        .config("spark.sql.session.timeZone", "Asia/Shanghai")
        .config("spark.sql.shuffle.partitions", os.environ.get("YIBAO_SPARK_PARTITIONS", "8"))
        .getOrCreate()
    )


@contextmanager
def connect(
    name: str, *, database: SqlEngine | None, snapshot: Snapshot | None, district: str, list_ids: Sequence[int]
) -> Iterator[Tables]:
    """The rules' input tables on the named engine, for the span of the ``with``."""
    check_engine(name)
    if name == "database":
        if database is None:
            raise ValueError("the database engine reads the database")
        backend = _database_backend(database)
        try:
            yield _from_database(backend, district, list_ids)
        finally:
            backend.disconnect()
        return
    if snapshot is None:
        raise ValueError(f"the {name} engine reads a snapshot")
    if name == "duckdb":
        backend = ibis.duckdb.connect()
        try:
            yield _from_files(backend, snapshot, list_ids)
        finally:
            backend.disconnect()
        return
    # Spark's session outlives the run (starting one takes seconds); ibis only wraps it.
    yield _from_files(ibis.pyspark.connect(spark_session()), snapshot, list_ids)


def execute(expression: ir.Table) -> pl.DataFrame:
    """The findings as a Polars frame with the columns and types of FINDING_COLUMNS, on any engine."""
    frame = pl.from_arrow(expression.to_pyarrow())
    assert isinstance(frame, pl.DataFrame)
    types = {"string": pl.String, "int64": pl.Int64, "date": pl.Date}
    return frame.select(pl.col(name).cast(types[dtype]) for name, dtype in FINDING_COLUMNS.items())


def snapshot_directory(data_directory: Path, database: SqlEngine) -> Path:
    """One snapshot per database (a test's, a district's), named by its URL."""
    key = hashlib.sha256(database.url.render_as_string(hide_password=True).encode()).hexdigest()[:16]
    return data_directory / "snapshots" / key
