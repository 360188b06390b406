"""Bulk writes of whole frames, inside the caller's transaction: PostgreSQL ``COPY … FROM STDIN`` fed with CSV
that Polars writes, SQLite ``executemany`` on the driver. Both skip SQLAlchemy's per-value processing, which is
most of the cost of a million-row insert; values are therefore put in each database's storage form here, the
same form SQLAlchemy's types give them (dates ISO, instants in UTC, JSON as text).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import polars as pl
from sqlalchemy import Column, Connection, MetaData, String, Table

T = TypeVar("T")

CHUNK = 5000  # rows per statement or lookup: well under every database's bound-parameter limit
SLICE = 100_000  # rows per COPY write or executemany call: bounds the Python objects alive at once
SQLITE_BULK_CACHE_KIB = 256 * 1024


def chunks(values: list[T]) -> list[list[T]]:
    """``values`` in slices of :data:`CHUNK`, one statement's worth each."""
    return [values[start : start + CHUNK] for start in range(0, len(values), CHUNK)]


def reserve_ids(connection: Connection, table: Table, count: int) -> pl.Series:
    """``count`` fresh primary keys for rows about to be inserted with their ids given, so that rows of other
    tables can refer to them before any of them is written."""
    if count == 0:
        return pl.Series("id", [], dtype=pl.Int64)
    if connection.dialect.name == "postgresql":
        sequence = connection.exec_driver_sql(f"SELECT pg_get_serial_sequence('{table.name}', 'id')").scalar_one()
        # One text value split in Polars: fetching 200,000 one-value rows as Python objects took 0.4 s.
        taken = connection.exec_driver_sql(
            f"SELECT string_agg(nextval('{sequence}')::text, ',') FROM generate_series(1, {int(count)})"
        ).scalar_one()
        return pl.Series("id", [taken]).str.split(",").explode().cast(pl.Int64)
    # SQLite: the caller's transaction has written already, so it holds the database's one write lock and no one
    # else can take an id until it commits.
    start = int(connection.exec_driver_sql(f"SELECT coalesce(max(id), 0) FROM {table.name}").scalar_one()) + 1
    return pl.int_range(start, start + count, dtype=pl.Int64, eager=True).alias("id")


def bulk_insert(connection: Connection, table: Table, frame: pl.DataFrame) -> None:
    """Insert every row of ``frame`` (columns named as the table's) into ``table``."""
    if frame.is_empty():
        return
    unknown = set(frame.columns) - set(table.columns.keys())
    if unknown:
        raise ValueError(f"{table.name} has no columns {sorted(unknown)}")
    postgres = connection.dialect.name == "postgresql"
    stored = frame.select(_storable(name, dtype, postgres) for name, dtype in frame.schema.items())
    columns = ", ".join(f'"{name}"' for name in stored.columns)
    if postgres:
        driver: Any = connection.connection.driver_connection
        with driver.cursor() as cursor, cursor.copy(f"COPY {table.name} ({columns}) FROM STDIN (FORMAT csv)") as copy:
            for part in stored.iter_slices(SLICE):
                copy.write(part.write_csv(include_header=False))
        return
    with _large_cache(connection):
        if _has_triggers(connection, table.name):
            _insert_through_stage(connection, table.name, columns, stored)
            return
        _executemany(connection, table.name, columns, stored)


def _executemany(connection: Connection, name: str, columns: str, stored: pl.DataFrame) -> None:
    statement = f"INSERT INTO {name} ({columns}) VALUES ({', '.join('?' * stored.width)})"
    for part in stored.iter_slices(SLICE):
        connection.exec_driver_sql(statement, part.rows())


def _has_triggers(connection: Connection, name: str) -> bool:
    return bool(
        connection.exec_driver_sql(
            "SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ? LIMIT 1", (name,)
        ).first()
    )


def _insert_through_stage(connection: Connection, name: str, columns: str, stored: pl.DataFrame) -> None:
    """SQLite runs a table's row triggers once per row either way, but under ``executemany`` each row is a
    statement of its own, and every statement sets the trigger programs up again: loading the rows into a bare
    temporary table first (in memory: ``temp_store``), then one ``INSERT … SELECT``, makes the triggers' share of
    a bulk insert several times smaller."""
    stage = f"stage_{uuid.uuid4().hex[:12]}"
    connection.exec_driver_sql(f"CREATE TEMPORARY TABLE {stage} AS SELECT {columns} FROM {name} WHERE 0")
    try:
        _executemany(connection, stage, columns, stored)
        connection.exec_driver_sql(f"INSERT INTO {name} ({columns}) SELECT {columns} FROM {stage} ORDER BY rowid")
    finally:
        connection.exec_driver_sql(f"DROP TABLE {stage}")


@contextmanager
def _large_cache(connection: Connection) -> Iterator[None]:
    """SQLite's page cache is 2 MB unless told otherwise; a million keys inserted into a unique index then miss
    it at every row. A larger cache for the length of a bulk insert makes it several times faster."""
    previous = connection.exec_driver_sql("PRAGMA cache_size").scalar_one()
    connection.exec_driver_sql(f"PRAGMA cache_size = -{SQLITE_BULK_CACHE_KIB}")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA cache_size = {int(previous)}")


def _storable(name: str, dtype: pl.DataType, postgres: bool) -> pl.Expr:
    column = pl.col(name)
    if isinstance(dtype, pl.Datetime):
        if dtype.time_zone is None:
            raise TypeError(f"{name}: naive datetimes are not stored (yibao keeps instants with their offset)")
        utc = column.dt.convert_time_zone("UTC").dt.strftime("%Y-%m-%d %H:%M:%S.%6f")
        return (utc + "+00" if postgres else utc).alias(name)
    if isinstance(dtype, pl.Date):
        return column.dt.strftime("%Y-%m-%d").alias(name)
    if isinstance(dtype, pl.Struct):
        return column.struct.json_encode().alias(name)
    if isinstance(dtype, pl.Boolean) and not postgres:
        return column.cast(pl.Int8).alias(name)
    if isinstance(dtype, (pl.List, pl.Array, pl.Object)):
        raise TypeError(f"{name}: encode lists as JSON text before a bulk insert")
    return column


@contextmanager
def staged_keys(connection: Connection, values: pl.Series) -> Iterator[Table]:
    """The distinct ``values`` in a temporary one-column table (column ``key``) for the caller's queries to join:
    one join instead of hundreds of ``IN (…5,000 values…)`` lookups for a million-row file. The table lives in
    the session's temporary space (no lock on the database's own tables) and is dropped afterwards."""
    name = f"staged_keys_{uuid.uuid4().hex[:12]}"
    # No primary key: the joins probe the real tables' indexes, and a heap takes a million keys at once.
    table = Table(name, MetaData(), Column("key", String), prefixes=["TEMPORARY"])
    table.create(connection)
    try:
        bulk_insert(connection, table, values.drop_nulls().unique().alias("key").to_frame())
        yield table
    finally:
        table.drop(connection)


def bulk_update(connection: Connection, table: Table, frame: pl.DataFrame, key: str = "id") -> None:
    """Set the columns of ``frame`` on the rows of ``table`` whose ``key`` matches: the new values bulk-loaded
    into a temporary table, then one ``UPDATE … FROM`` (PostgreSQL, and SQLite since 3.33) — not one statement
    per row."""
    if frame.is_empty():
        return
    name = f"staged_rows_{uuid.uuid4().hex[:12]}"
    staged = Table(
        name, MetaData(), *[Column(column, table.c[column].type) for column in frame.columns], prefixes=["TEMPORARY"]
    )
    staged.create(connection)
    try:
        bulk_insert(connection, staged, frame)
        values = {column: staged.c[column] for column in frame.columns if column != key}
        connection.execute(table.update().values(values).where(table.c[key] == staged.c[key]))
    finally:
        staged.drop(connection)
