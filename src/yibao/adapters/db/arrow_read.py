"""A large query read as columns: through ADBC (Arrow Database Connectivity) straight into a Polars frame, where
fetching a million rows as Python tuples and building a frame from them costs several times the query itself.

On PostgreSQL, from a second connection: the reads this serves (a what-if over a campaign) write nothing and need
no more than a snapshot of committed rows. On SQLite the rows come through the session as usual: ADBC's SQLite
driver links a second copy of the SQLite library into the process, and two copies on one database file release
each other's POSIX locks (sqlite.org/howtocorrupt.html, 2.2.1) — tried here, the next write failed with "disk I/O
error". The frame is the same either way (tests hold both paths equal).
"""

from __future__ import annotations

from contextlib import closing
from typing import Any

import polars as pl
from sqlalchemy import Select
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

BATCH = 200_000


def read_frame(session: Session, query: Select[Any], schema: dict[str, Any], *, columnar: bool = True) -> pl.DataFrame:
    """``query``'s rows as a frame with ``schema`` (names in the query's order; instants in Asia/Shanghai)."""
    bind = session.get_bind().engine
    connection = _adbc_connection(bind.url) if columnar else None
    if connection is None:
        return _through_session(session, query, schema)
    sql = str(query.compile(dialect=bind.dialect, compile_kwargs={"literal_binds": True}))
    with closing(connection), closing(connection.cursor()) as cursor:
        cursor.execute(sql)
        table = cursor.fetch_arrow_table()
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    frame.columns = list(schema)
    return frame.select(_conformed(name, frame.schema[name], dtype) for name, dtype in schema.items())


def _through_session(session: Session, query: Select[Any], schema: dict[str, Any]) -> pl.DataFrame:
    """The driver's own rows, without SQLAlchemy's per-value processing (an instant's conversion alone cost more
    than fetching it): on SQLite an instant and a date arrive as text and are parsed a column at a time."""
    connection = session.connection()
    sql = str(query.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    textual = connection.dialect.name == "sqlite"
    raw = {
        name: pl.String if textual and (isinstance(dtype, pl.Datetime) or dtype == pl.Date) else dtype
        for name, dtype in schema.items()
    }
    cursor = connection.exec_driver_sql(sql)
    parts = []
    while rows := cursor.fetchmany(BATCH):
        parts.append(pl.DataFrame(rows, schema=raw, orient="row"))
    frame = pl.concat(parts) if parts else pl.DataFrame(schema=raw)
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
