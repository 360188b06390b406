"""Benchmark: the full cross-check (every rule) on a 10,000,000-person register against 9,500,000 enrollments.

Performance goal (issue "[turn 2 · 7]"): the whole run an officer waits for (``run_crosscheck``: snapshot, rules,
worklists; ``crosscheck_full.py``) under 20 s on this machine, and at most 1.5 times a hand-written reference that
reads the same rows, runs the same rules as one DuckDB query and writes the same findings; best of three, each after
a day's work made the records' files stale. The district is stored in the database first (not timed), its
departments' lists imported as files, and a first run writes each list's file (timed apart: it happens once).

``--rules-only`` (issue "[5 of 6]"): the rules alone over Parquet files written beforehand, against the
hand-written query over the same files; ``--spark`` also on Spark in local mode (needs Java 17).

    python bench/bench_crosscheck.py [--people 10000000] [--database postgresql|sqlite] [--rules-only [--spark]]

The district is synthetic (:mod:`yibao.synthetic.crosscheck_district`): 5 % of the register never enrolled, and
1,000 people planted for each kind of finding and each look-alike; every result is checked against what was
planted.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import duckdb
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # the tests' district and lists

from sqlalchemy import Engine, select

from bench_roster_import import database  # the script's own folder
from crosscheck_full import a_days_work, reference_run, yibao_run
from crosscheck_site import import_lists, store_records
from crosscheck_sql import hand_written_query, parquet_views
from households import open_campaign_of, uow
from principals import admin
from yibao.adapters import crosscheck_engines
from yibao.adapters.db.tables import Area, Finding
from yibao.adapters.snapshot import REFERENCE_SCHEMA, Snapshot
from yibao.domain.crosscheck.inputs import Params
from yibao.domain.crosscheck.rules import findings, runnable
from yibao.services.crosscheck.runs import RunReport, params_for
from yibao.services.policy.plans import get_policy
from yibao.synthetic.crosscheck_district import PlantedDistrict, planted_district

GOAL_SECONDS, GOAL_RATIO = 20.0, 1.5
YEAR, AS_OF = 2018, date(2018, 3, 1)
TOWNSHIPS = [f"120119{number:03d}000" for number in range(100, 127)]


def write_snapshot(district: PlantedDistrict, directory: Path) -> Snapshot:
    (directory / "lists").mkdir(parents=True)
    tables = {}
    for name, frame in district.tables.items():
        tables[name] = directory / f"{name}.parquet"
        frame.write_parquet(tables[name])
    lists = {}
    for list_id, (kind, rows) in enumerate(district.lists.items(), start=1):
        lists[list_id] = directory / "lists" / f"{list_id}.parquet"
        rows.with_columns(kind=pl.lit(kind), list_id=pl.lit(list_id, dtype=pl.Int64)).select(
            list(REFERENCE_SCHEMA)
        ).write_parquet(lists[list_id])
    return Snapshot(directory, tables, lists, written=())


def keys(frame: pl.DataFrame) -> set[tuple[str, str | None, str]]:
    return set(frame.select("kind", "code", "id_number").iter_rows())


def _current(engine: Engine) -> set[tuple[str, str | None, str]]:
    """The worklists' current findings, as what was planted is told."""
    with engine.connect() as connection:
        rows = connection.execute(select(Finding.kind, Finding.code, Finding.id_number).where(Finding.current))
        return {(kind, code, number) for kind, code, number in rows}


def snapshot_lists(directory: Path, report: RunReport) -> Snapshot:
    """The list files the run compared (written once, read by both)."""
    lists = {item["id"]: directory / "lists" / f"{item['id']}.parquet" for item in report.lists}
    return Snapshot(directory, {}, lists, written=())


def rules_only(args: argparse.Namespace) -> None:
    """The rules alone over Parquet files written beforehand, against the hand-written query over the same."""
    started = time.perf_counter()
    district = planted_district(args.people, TOWNSHIPS, {}, year=YEAR, planted=args.planted, unenrolled_share=0.05)
    expected = district.expected_rows()
    print(
        f"register {args.people:,}, enrollments {district.tables['enrollments'].height:,}, "
        f"findings planted {len(expected):,} (made in {time.perf_counter() - started:.1f} s)"
    )
    folder = Path(tempfile.mkdtemp(prefix="yibao-bench-crosscheck-"))
    try:
        snapshot = write_snapshot(district, folder / "snapshot")
        del district
        params = Params(
            year=YEAR,
            as_of=AS_OF,
            subsidised_identities=("dibao",),
            available=frozenset(
                ("population", "deaths", "students", "tax_payments", "last_year_enrollment", "insured_elsewhere")
            ),
        )
        list_ids = sorted(snapshot.lists)

        baseline_seconds, ours_seconds = float("inf"), float("inf")
        for _ in range(args.repeat):  # the best of a few runs of each: the machine's noise is not the engine's
            started = time.perf_counter()
            connection = duckdb.connect()
            connection.execute(parquet_views(snapshot))
            baseline = pl.from_arrow(connection.sql(hand_written_query(params)).to_arrow_table())
            connection.close()
            baseline_seconds = min(baseline_seconds, time.perf_counter() - started)
            assert isinstance(baseline, pl.DataFrame)

            started = time.perf_counter()
            with crosscheck_engines.connect(
                "duckdb", database=None, snapshot=snapshot, district="120119", list_ids=list_ids
            ) as tables:
                ours = crosscheck_engines.execute(findings(tables, params, runnable(params)))
            ours_seconds = min(ours_seconds, time.perf_counter() - started)

        assert keys(baseline) == expected, "the hand-written SQL does not find what was planted"
        assert keys(ours) == expected, "the rules do not find what was planted"
        ratio = ours_seconds / baseline_seconds
        print(f"hand-written DuckDB SQL:   {baseline_seconds:6.2f} s  ({baseline.height:,} findings)")
        print(f"yibao rules (Ibis→DuckDB): {ours_seconds:6.2f} s  ({ours.height:,} findings, identical)")
        print(
            f"ratio {ratio:.2f} (goal ≤ {GOAL_RATIO}) — {'met' if ratio <= GOAL_RATIO else 'NOT met'}; "
            f"time {'met' if ours_seconds < GOAL_SECONDS else 'NOT met'} (goal < {GOAL_SECONDS:.0f} s)"
        )
        if args.spark:
            started = time.perf_counter()
            with crosscheck_engines.connect(
                "spark", database=None, snapshot=snapshot, district="120119", list_ids=list_ids
            ) as tables:
                spark = crosscheck_engines.execute(findings(tables, params, runnable(params)))
            spark_seconds = time.perf_counter() - started
            assert keys(spark) == expected, "Spark does not find what was planted"
            print(f"yibao rules (Ibis→Spark local): {spark_seconds:6.2f} s (session start included; identical)")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def full_run(args: argparse.Namespace) -> None:
    """The whole run as an officer starts it, on a database holding the district, against the reference."""
    with tempfile.TemporaryDirectory() as name, database(args.database, Path(name)) as engine:
        folder = Path(name)
        started = time.perf_counter()
        with uow(engine, "admin") as work:
            open_campaign_of(work, "tianjin-jizhou-2018")
            townships = sorted(work.session.scalars(select(Area.code).where(Area.level == "township")).all())
        district = planted_district(args.people, townships, {}, year=YEAR, planted=args.planted, unenrolled_share=0.05)
        expected = district.expected_rows()
        store_records(engine, district)
        import_lists(engine, district, AS_OF)
        del district
        print(
            f"{args.database}: register {args.people:,}, findings planted {len(expected):,}, stored and the lists "
            f"imported in {time.perf_counter() - started:.0f} s (not timed)"
        )
        first, report, _ = yibao_run(engine, admin(), YEAR, folder)
        print(f"first run (writes each list's file once): {first:6.2f} s, {report.new_findings:,} new findings")
        params = params_for(get_policy("tianjin-jizhou-2018"), AS_OF, frozenset(i["kind"] for i in report.lists))
        snapshot_of = crosscheck_engines.snapshot_directory(folder, engine)
        ours, reference = float("inf"), float("inf")
        for _ in range(args.repeat):  # after a day's work each time: the records' files are stale
            a_days_work(engine)
            seconds, report, steps = yibao_run(engine, admin(), YEAR, folder)
            print("  yibao:     " + ", ".join(f"{step} {value:.2f} s" for step, value in steps.items()))
            assert _current(engine) == expected, "yibao's run does not keep what was planted"
            ours = min(ours, seconds)
            lists = snapshot_lists(snapshot_of, report)
            seconds, written, steps = reference_run(engine, lists, params, "120119")
            print("  reference: " + ", ".join(f"{step} {value:.2f} s" for step, value in steps.items()))
            assert written == sum(report.counts.values()), "the reference does not find as many"
            assert _current(engine) == expected, "the reference does not keep what was planted"
            reference = min(reference, seconds)
        print(f"reference (hand-written: Arrow reads, one DuckDB query, three statements): {reference:6.2f} s")
        print(f"yibao, run_crosscheck (snapshot, rules, one per key, worklists merged):    {ours:6.2f} s")
        ratio = ours / reference
        print(
            f"ratio {ratio:.2f} (goal ≤ {GOAL_RATIO}) — {'met' if ratio <= GOAL_RATIO else 'NOT met'}; "
            f"time {'met' if ours < GOAL_SECONDS else 'NOT met'} (goal < {GOAL_SECONDS:.0f} s); best of {args.repeat}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=10_000_000)
    parser.add_argument("--planted", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the best is reported")
    parser.add_argument("--database", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--rules-only", action="store_true", help="the rules alone over Parquet files")
    parser.add_argument("--spark", action="store_true", help="with --rules-only: also on Spark in local mode")
    args = parser.parse_args()
    # A city's register in one department's file: above the per-file limit a clerk's upload has.
    os.environ.setdefault("YIBAO_MAX_SHEET_ROWS", str(args.people * 2))
    if args.rules_only:
        rules_only(args)
    else:
        full_run(args)


if __name__ == "__main__":
    main()
