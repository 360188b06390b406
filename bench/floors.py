"""The floor of a bulk job: the very rows it wrote, written again into bare tables (no key, index, constraint or
trigger), by the faster of two ways, table by table:

* **client**: read back into the benchmark's process and sent again as a client sends rows (PostgreSQL
  ``COPY … FROM STDIN``, SQLite ``executemany``) — what a job that builds its rows in Python pays at least;
* **server**: the job's file staged as it is (``COPY`` of its lines into a table of text columns), then
  ``INSERT INTO bare … SELECT`` from the rows where the job left them — what a job that staged its file and
  computed its rows inside the database could pay at least (the rows' computation is free here).

The floor is the lesser of every table the client's way, and the file staged plus each table by its faster way:
no implementation that writes these rows goes below it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
from sqlalchemy import JSON, Column, Connection, Engine, MetaData, String, Table, cast, select
from sqlalchemy.sql import ColumnElement

from yibao.adapters.db.bulk import bulk_insert

# The source of a table's rows: the table and, where only some of its rows are the job's, which.
Source = tuple[Table, ColumnElement[bool] | None]
# Further writes of the floor (an UPDATE), timed by name in the same transaction.
Steps = Sequence[tuple[str, Callable[[Connection], object]]]


@dataclass
class Floor:
    """Seconds per table by each way, and rows; ``commit`` is each way's commit, ``staged`` the server way's
    staging of the file, which any table written the server's way needs (once)."""

    client: dict[str, float] = field(default_factory=dict)
    server: dict[str, float] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    staged: float = 0.0

    @property
    def seconds(self) -> float:
        """The least of: every table the client's way; the file staged and each table by its faster way."""
        mixed = self.staged + sum(min(self.client[name], self.server[name]) for name in self.client)
        return min(sum(self.client.values()), mixed)

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    def verdict(self, job: str, seconds: float, goal: float) -> str:
        """The job's time against the floor and the goal for their ratio."""
        met = "met" if seconds <= goal * self.seconds else "NOT met"
        return f"{job} / floor: {seconds / self.seconds:.2f} (goal ≤ {goal}): {met}"

    def lines(self) -> list[str]:
        """A line per table: both ways, the faster one marked."""
        out = []
        for name, client in self.client.items():
            server = self.server[name]
            mark = ("*", " ") if client <= server else (" ", "*")
            rows = f"{self.rows[name]:>10,} rows" if self.rows.get(name) else " " * 15
            table = name.removeprefix("floor_").removeprefix("bare_")
            out.append(f"    {table:<24} {rows}   client {client:6.2f} s{mark[0]}  server {server:6.2f} s{mark[1]}")
        out.append(f"    {'the file, staged':<24} {'':15}   {'':17}  server {self.staged:6.2f} s")
        return out


def bare_table(table: Table, prefix: str) -> Table:
    """``table``'s columns under ``prefix`` + its name, with no key, index or constraint: for bulk writes into a
    bare copy made with ``CREATE TABLE … AS``."""
    return Table(f"{prefix}{table.name}", MetaData(), *[Column(column.name, column.type) for column in table.columns])


def create_bare(connection: Connection, table: Table, prefix: str) -> Table:
    """An empty copy of ``table``'s columns and nothing else (``CREATE TABLE … AS`` copies no key or index)."""
    connection.exec_driver_sql(f"DROP TABLE IF EXISTS {prefix}{table.name}")
    connection.exec_driver_sql(f"CREATE TABLE {prefix}{table.name} AS SELECT * FROM {table.name} WHERE 1 = 0")
    return bare_table(table, prefix)


def read_rows(connection: Connection, sources: Sequence[Source]) -> list[pl.DataFrame]:
    """The job's rows of each table, as the client way sends them (JSON columns as the text that was stored)."""
    frames = []
    for table, where in sources:
        columns = [cast(c, String).label(c.name) if isinstance(c.type, JSON) else c for c in table.columns]
        query = select(*columns) if where is None else select(*columns).where(where)
        frames.append(pl.read_database(query, connection, infer_schema_length=None))
    return frames


def client_way(
    engine: Engine, targets: Sequence[Table], frames: Sequence[pl.DataFrame], floor: Floor, also: Steps = ()
) -> None:
    """Send each frame into its bare table, then ``also``'s steps, in one transaction, and commit."""
    with engine.connect() as connection:
        for target, frame in zip(targets, frames, strict=True):
            started = time.perf_counter()
            bulk_insert(connection, target, frame)
            floor.client[target.name] = time.perf_counter() - started
            floor.rows[target.name] = frame.height
        _finish(connection, also, floor.client)


def server_way(
    engine: Engine, staged: Path, targets: Sequence[Table], sources: Sequence[Source], floor: Floor, also: Steps = ()
) -> None:
    """The ``staged`` file copied into a table, ``INSERT INTO bare … SELECT`` each table's rows where the job
    left them (the bare tables in the same database), then ``also``'s steps, in one transaction, and commit."""
    with engine.connect() as connection:
        connection.exec_driver_sql("DROP TABLE IF EXISTS floor_staged_file")
        started = time.perf_counter()
        stage_csv(connection, staged, "floor_staged_file")
        floor.staged = time.perf_counter() - started
        for target, (table, where) in zip(targets, sources, strict=True):
            query = select(*table.columns) if where is None else select(*table.columns).where(where)
            started = time.perf_counter()
            connection.execute(target.insert().from_select([column.name for column in table.columns], query))
            floor.server[target.name] = time.perf_counter() - started
        _finish(connection, also, floor.server)


def _finish(connection: Connection, also: Steps, spent: dict[str, float]) -> None:
    for name, step in also:
        started = time.perf_counter()
        step(connection)
        spent[name] = time.perf_counter() - started
    started = time.perf_counter()
    connection.commit()
    spent["commit"] = time.perf_counter() - started


def stage_csv(connection: Connection, path: Path, name: str) -> None:
    """A CSV file's lines (after its header) into a new temporary table of text columns (``c0``, ``c1``…):
    PostgreSQL ``COPY``, SQLite ``executemany``."""
    width = len(pl.read_csv(path, n_rows=1, infer_schema=False).columns)
    columns = ", ".join(f"c{index} text" for index in range(width))
    connection.exec_driver_sql(f"CREATE TEMPORARY TABLE {name} ({columns})")
    if connection.dialect.name == "postgresql":
        driver = connection.connection.driver_connection
        with driver.cursor() as cursor, cursor.copy(f"COPY {name} FROM STDIN (FORMAT csv, HEADER)") as copy:  # type: ignore[union-attr]
            copy.write(path.read_bytes())
    else:
        rows = pl.read_csv(path, infer_schema=False).rows()
        connection.exec_driver_sql(f"INSERT INTO {name} VALUES ({', '.join('?' * width)})", rows)
