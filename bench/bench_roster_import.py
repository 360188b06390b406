"""Benchmark: a 1,000,000-row village roster (5 % bad rows) imported end to end — read, check, assess, write,
commit, error file — on SQLite and on PostgreSQL, against the raw load of the same rows in the same run.

Performance goal (issue "[3 of 6]"): at most 2.0 times the raw load, and under 30 s on this machine.

The raw load is the floor any import into this schema pays: the very rows the import wrote (residents,
households, memberships, identities, enrollments, audit entries), read back and loaded into a fresh copy of the
schema with no checks, no lookups and no assessment — PostgreSQL ``COPY``, SQLite ``executemany`` — and
committed. The run also writes them into bare tables (no key, index, constraint or trigger), each table by the
faster of a client's ``COPY`` and a server-side ``INSERT … SELECT`` (``floors.py``): what the rows cost to write
at all, whatever the schema. Goal of issue "[turn 2 · 7]": the import at most 2.0 times that floor.

    python bench/bench_roster_import.py [--rows 1000000] [--database sqlite|postgresql|both] [--format csv|xlsx]

PostgreSQL: YIBAO_BENCH_POSTGRES_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/test); the run works
in a schema of its own and drops it.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import cast

from sqlalchemy import Engine, Table, text

from floors import Floor, client_way, create_bare, read_rows, server_way  # the script's own folder
from yibao.adapters.db import migrate
from yibao.adapters.db.bulk import bulk_insert
from yibao.adapters.db.database import make_engine, session_factory
from yibao.adapters.db.tables import (
    AuditEntry,
    Enrollment,
    Household,
    HouseholdMember,
    IdentityFlag,
    Resident,
    RosterImport,
)
from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.adapters.sheet_files import write_sheet
from yibao.domain.timeutil import SHANGHAI
from yibao.services.access import Principal, Role
from yibao.services.intake.roster_import import import_roster
from yibao.services.intake.roster_report import RosterRequest
from yibao.services.registry.areas import seed_district
from yibao.synthetic.rosters import roster

POSTGRES_URL = os.environ.get("YIBAO_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
NOW = datetime(2017, 11, 15, 9, 0, tzinfo=SHANGHAI)  # inside the 2018 campaign of 蓟州区
YUYANG = "120119100000"
POLICY = "tianjin-jizhou-2018"
CLERK = Principal(1, "bench", "渔阳镇经办员", Role.TOWNSHIP_OPERATOR, YUYANG)
WRITTEN = (RosterImport, Resident, Household, HouseholdMember, IdentityFlag, Enrollment, AuditEntry)
GOAL_RATIO, GOAL_SECONDS = 2.0, 30.0  # issue "[3 of 6]", against the raw load into the schema
FLOOR_RATIO = 2.0  # issue "[turn 2 · 7]", against the floor


def roster_file(rows: int, kind: str, folder: Path) -> tuple[Path, int]:
    started = time.perf_counter()
    made = roster(rows // 3, seed=2026, on=NOW.date(), plant=rows // 20)
    path = write_sheet(folder / f"roster.{kind}", made.headers, made.rows)
    print(
        f"file: {len(made.rows):,} rows, {len(made.planted):,} planted errors, {path.stat().st_size / 1e6:.0f} MB "
        f"{kind} (made in {time.perf_counter() - started:.1f} s, not timed)"
    )
    return path, len(made.rows)


@contextmanager
def database(kind: str, folder: Path) -> Iterator[Engine]:
    if kind == "sqlite":
        path = folder / f"{uuid.uuid4().hex[:8]}.sqlite"
        engine = make_engine(f"sqlite:///{path}")
        try:
            yield _ready(engine)
        finally:
            engine.dispose()
        return
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    joiner = "&" if "?" in POSTGRES_URL else "?"
    engine = make_engine(f"{POSTGRES_URL}{joiner}options=-csearch_path%3D{schema}")
    try:
        yield _ready(engine)
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _ready(engine: Engine) -> Engine:
    migrate.upgrade(engine)
    with UnitOfWork(session_factory(engine), actor="bench", now=NOW) as uow:
        seed_district(uow, "120119")
        uow.commit()
    return engine


def timed_import(engine: Engine, path: Path, folder: Path) -> tuple[float, dict[str, float], int]:
    steps: dict[str, float] = {}
    started = time.perf_counter()
    last = [started]

    def progress(step: str, done: int, total: int) -> None:
        if done >= total:
            now = time.perf_counter()
            steps[step] = now - last[0]
            last[0] = now

    with UnitOfWork(session_factory(engine), actor="bench", now=NOW) as uow:
        request = RosterRequest(path.name, path.read_bytes(), YUYANG, POLICY)
        report = import_roster(uow, CLERK, request, progress)
    error_started = time.perf_counter()
    report.write_error_file(folder / f"errors.{path.suffix.lstrip('.')}")
    steps["错误文件"] = time.perf_counter() - error_started
    return time.perf_counter() - started, steps, report.errors


def raw_load(source: Engine, kind: str, folder: Path, roster: Path) -> tuple[float, Floor]:
    """The rows the import wrote, loaded with no checks into a fresh schema (the floor of any import into this
    schema: seconds), and into bare tables (the floor of writing them at all, by each way of :mod:`floors`: the
    client's into a fresh database, the server's beside the rows in the import's own)."""
    tables = [cast(Table, model.__table__) for model in WRITTEN]
    # The seeding's own audit entry is in a fresh schema already.
    sources = [(table, AuditEntry.action != "seed" if table.name == "audit_log" else None) for table in tables]
    with source.connect() as connection:
        frames = read_rows(connection, sources)
    with database(kind, folder) as target, target.begin() as connection:
        started = time.perf_counter()
        for table, frame in zip(tables, frames, strict=True):
            bulk_insert(connection, table, frame)
        connection.commit()
        schema_seconds = time.perf_counter() - started
    result = Floor()
    with database(kind, folder) as target:
        with target.begin() as connection:
            bare = [create_bare(connection, table, "bare_") for table in tables]
        client_way(target, bare, frames, result)
    with source.begin() as connection:
        bare = [create_bare(connection, table, "bare_") for table in tables]
    server_way(source, roster, bare, sources, result)
    return schema_seconds, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--format", choices=("csv", "xlsx"), default="csv")
    arguments = parser.parse_args()
    # A city-wide roster in one file: above the per-file limit a clerk's upload has (sheet_files.MAX_ROWS).
    os.environ.setdefault("YIBAO_MAX_SHEET_ROWS", str(arguments.rows * 2))  # the file has ~10 % more rows
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        path, rows = roster_file(arguments.rows, arguments.format, folder)
        kinds = ("sqlite", "postgresql") if arguments.database == "both" else (arguments.database,)
        for kind in kinds:
            with database(kind, folder) as engine:
                seconds, steps, errors = timed_import(engine, path, folder)
                raw_seconds, least = raw_load(engine, kind, folder, path)
            ratio = seconds / raw_seconds
            phases = ", ".join(f"{step} {value:.1f} s" for step, value in steps.items())
            print(f"{kind}: import {rows:,} rows ({errors:,} with errors) in {seconds:.1f} s ({phases})")
            print(f"{kind}: raw load of the {least.total_rows:,} rows it wrote into the schema: {raw_seconds:.1f} s")
            print(
                f"{kind}: ratio {ratio:.2f} (goal ≤ {GOAL_RATIO}), time {seconds:.1f} s (goal < {GOAL_SECONDS:.0f} s): "
                f"{'MET' if ratio <= GOAL_RATIO and seconds < GOAL_SECONDS else 'NOT MET'}"
            )
            print(
                f"{kind}: floor, the same rows into bare tables (no key, index, constraint or trigger), each table "
                f"by the faster way (*): {least.seconds:.1f} s"
            )
            print("\n".join(least.lines()))
            print(least.verdict(f"{kind}: import", seconds, FLOOR_RATIO))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of this process: {peak:.0f} MB")


if __name__ == "__main__":
    main()
