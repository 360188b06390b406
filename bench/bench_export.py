"""Benchmark: export 1,000,000 enrollments to xlsx (the assessment list, every payer's column) with bounded memory,
against a raw dump of the same query in the same run.

Performance goal (issue "[3 of 6]"): under 60 s, memory bounded (the peak is reported; it must not grow with the
number of rows). The baseline is the plainest dump there is: the same SELECT through the driver's own cursor,
written with the csv module — no names, no masks, no styles.

    python bench/bench_export.py [--rows 1000000] [--format xlsx|csv]

The district is filled by importing a synthetic roster of that many rows first (SQLite; not timed).
"""

from __future__ import annotations

import argparse
import csv
import multiprocessing
import resource
import tempfile
import time
from pathlib import Path

from sqlalchemy import Engine

from bench_roster_import import NOW, database, roster_file, timed_import  # the script's own folder
from yibao.adapters.db.database import make_engine, session_factory
from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.services.access import Principal, Role
from yibao.services.registry.exports import ExportKind, ExportRequest, export, export_statement

ADMIN = Principal(1, "bench", "区医保局", Role.DISTRICT_ADMIN, "120119000000")
GOAL_SECONDS = 60.0


def run_export(url: str, target: str, kind: str, results: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    """In a process of its own, so that its peak memory is its own."""
    engine = make_engine(url)
    with UnitOfWork(session_factory(engine), actor="bench", now=NOW) as uow:
        started = time.perf_counter()
        result = export(uow, ADMIN, ExportRequest(ExportKind.ASSESSMENTS, kind, 2018), Path(target))
        seconds = time.perf_counter() - started
    results.put((seconds, result.rows, peak_megabytes()))


def peak_megabytes() -> float:
    """This process's peak resident memory since it started its program. (Not ru_maxrss: Linux carries that over
    from the parent a spawned child was forked from, and the parent has just imported a million rows.)"""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def raw_dump(engine: Engine, target: Path) -> float:
    statement = export_statement(ADMIN, ExportRequest(ExportKind.ASSESSMENTS, "csv", 2018), 2018)
    compiled = statement.compile(engine, compile_kwargs={"literal_binds": True})
    started = time.perf_counter()
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute(str(compiled))
        with target.open("w", newline="", encoding="utf-8") as stream:
            writer = csv.writer(stream)
            while batch := cursor.fetchmany(5000):
                writer.writerows(batch)
    finally:
        connection.close()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--format", choices=("xlsx", "csv"), default="xlsx")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        path, _ = roster_file(arguments.rows, "csv", folder)
        with database("sqlite", folder) as engine:
            timed_import(engine, path, folder)
            engine.dispose()  # connections closed: SQLite checkpoints its write-ahead log, as a server does in time
            target = folder / f"export.{arguments.format}"
            results: multiprocessing.Queue = multiprocessing.get_context("spawn").Queue()  # type: ignore[type-arg]
            child = multiprocessing.get_context("spawn").Process(
                target=run_export, args=(str(engine.url), str(target), arguments.format, results)
            )
            child.start()
            seconds, rows, peak = results.get()
            child.join()
            baseline = raw_dump(engine, folder / "raw.csv")
        size = target.stat().st_size / 1e6
        print(
            f"export: {rows:,} rows to {arguments.format} ({size:.0f} MB) in {seconds:.1f} s; peak memory {peak:.0f} MB"
        )
        print(f"raw dump of the same query (driver cursor, csv module): {baseline:.1f} s")
        verdict = "MET" if seconds < GOAL_SECONDS else "NOT MET"
        print(f"ratio {seconds / baseline:.2f}; time {seconds:.1f} s (goal < {GOAL_SECONDS:.0f} s): {verdict}")


if __name__ == "__main__":
    main()
