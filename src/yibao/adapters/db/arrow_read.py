"""A large query read as columns: through ADBC (Arrow Database Connectivity) straight into Polars frames, where
fetching a million rows as Python tuples and building a frame from them costs several times the query itself.

On PostgreSQL, from a second connection: the reads this serves (a what-if over a campaign, the cross-check's
snapshot of the records) write nothing and need no more than committed rows. On SQLite the rows come through the
caller's connection as usual: ADBC's SQLite driver links a second copy of the SQLite library into the process,
and two copies on one database file release each other's POSIX locks (sqlite.org/howtocorrupt.html, 2.2.1) —
tried here, the next write failed with "disk I/O error". The frame is the same either way (tests hold both paths
equal).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing
from typing import Any

import polars as pl
from sqlalchemy import Connection, Select
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

BATCH = 200_000


def read_frame(
    session: Session, query: Select[*tuple[Any, ...]], schema: dict[str, Any], *, columnar: bool = True
) -> pl.DataFrame:
    """``query``'s rows as a frame with ``schema`` (names in the query's order; instants in Asia/Shanghai)."""
    parts = list(read_frames(session.connection(), query, schema, columnar=columnar))
    return pl.concat(parts) if parts else _conform(pl.DataFrame(schema=schema), schema)


def read_frames(
    connection: Connection, query: Select[*tuple[Any, ...]], schema: dict[str, Any], *, columnar: bool = True
) -> Iterator[pl.DataFrame]:
    """The same, a frame of at most :data:`BATCH` rows at a time (a snapshot of ten million rows in bounded
    memory)."""
    adbc = _adbc_connection(connection.engine.url) if columnar else None
    if adbc is None:
        yield from _through_driver(connection, query, schema)
        return
    sql = str(query.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    with closing(adbc), closing(adbc.cursor()) as cursor:
        cursor.execute(sql)
        for batch in cursor.fetch_record_batch():
            frame = pl.from_arrow(batch)
            assert isinstance(frame, pl.DataFrame)
            frame.columns = list(schema)
            yield _conform(frame, schema)


def _through_driver(
    connection: Connection, query: Select[*tuple[Any, ...]], schema: dict[str, Any]
) -> Iterator[pl.DataFrame]:
    """The driver's own rows, without SQLAlchemy's per-value processing (an instant's conversion alone cost more
    than fetching it): on SQLite an instant and a date arrive as text and are parsed a column at a time."""
    sql = str(query.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    textual = connection.dialect.name == "sqlite"
    raw = {
        name: pl.String if textual and (isinstance(dtype, pl.Datetime) or dtype == pl.Date) else dtype
        for name, dtype in schema.items()
    }
    cursor = connection.exec_driver_sql(sql)
    while rows := cursor.fetchmany(BATCH):
        yield _conform(pl.DataFrame(rows, schema=raw, orient="row"), schema)


def _conform(frame: pl.DataFrame, schema: dict[str, Any]) -> pl.DataFrame:
    return frame.select(_conformed(name, frame.schema[name], dtype) for name, dtype in schema.items())


def _conformed(name: str, given: pl.DataType, wanted: Any) -> pl.Expr:
    column = pl.col(name)
    if isinstance(wanted, pl.Datetime) and wanted.time_zone:
        if given == pl.String:  # SQLite keeps an instant as UTC text
            column = column.str.to_datetime("%Y-%m-%d %H:%M:%S%.f", time_unit="us", time_zone="UTC")
        elif isinstance(given, pl.Datetime) and given.time_zone is None:
            column = column.dt.replace_time_zone("UTC")
        return column.dt.convert_time_zone(wanted.time_zone).cast(wanted).alias(name)
    if wanted == pl.Date and given == pl.String:
        return column.str.to_date("%Y-%m-%d").alias(name)
    return column.cast(wanted).alias(name)


def _adbc_connection(url: URL) -> Any | None:
    if url.get_backend_name() == "postgresql":
        import adbc_driver_postgresql.dbapi

        plain = url.set(drivername="postgresql").render_as_string(hide_password=False)
        return adbc_driver_postgresql.dbapi.connect(plain)
    return None
