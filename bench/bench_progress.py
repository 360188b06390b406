"""Benchmark: the progress report for 10,000,000 enrollments (about 1,000 townships, 100 campaign days) through the
running system — the API served by `yibao serve --workers 2` — and how soon a new payment shows in it.

Performance goal (issue "[6 of 6]"): p95 page/API latency under 300 ms, a new payment reflected in under 1 s, on
PostgreSQL and on SQLite; printed with the ratio to a plain ``GROUP BY`` over the raw table in the same run.

    python bench/bench_progress.py [--enrollments 10000000] [--database postgresql|sqlite] [--requests 30]

The enrollments are written straight into the tables first (not timed): adults assessed for the 蓟州 2018 middle
tier, registered over the 100 days before the report's day, 85 % of them paid within ten days, 3 % cancelled. The
triggers log them as they are loaded, and nothing folds the log before the servers start: the first report is
timed as it finds it (goal of issue "[turn 2 · 7]": under 1 s, the fold left to the servers' background — the
page answers with the counts as of the last fold and says how many changes are still being counted), then the
run waits for the background fold to empty the log before the p95 requests. The breakdown by village (进度明细,
goal p95 < 300 ms) is timed for one township's villages and for the district's, a page of the API at a time (the
first and the last page: every page reads the whole district's kept counts, then sends its rows).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import cast

import httpx2 as httpx
import numpy as np
import polars as pl
from sqlalchemy import Engine, Table, select, text

from bench_counter_http import free_port  # the script's own folder
from bench_roster_import import database
from yibao.adapters.db.bulk import bulk_insert
from yibao.adapters.db.database import make_engine, session_factory
from yibao.adapters.db.tables import Area, Enrollment, Resident
from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.domain import idnumber
from yibao.domain.idnumber_bulk import check_character_expr
from yibao.domain.timeutil import SHANGHAI
from yibao.services.access import Role
from yibao.services.policy.campaigns import open_campaign
from yibao.services.policy.plans import get_policy
from yibao.services.registry.assessment import AssessInput, assess_inputs, frozen_fields
from yibao.services.users import NewUser, add_user, login

POLICY = "tianjin-jizhou-2018"
REPORT_DAY = date(2017, 12, 20)  # the campaign's 100th day
CLOCK = "2017-12-20T16:00:00+08:00"
GOAL_P95_MS, GOAL_REFLECT_S = 300.0, 1.0
GOAL_FIRST_S = 1.0  # issue "[turn 2 · 7]": the first report after a load, the fold left to the background
VILLAGES = 20  # per township
TOWNSHIP = "120119100000"  # 渔阳镇
# As many as the report's: with ten, statistics.quantiles put the "p95" beyond the slowest request (it extrapolates
# past the last of fewer than twenty samples), as the figures before 2026-12-07's last runs were taken.
BREAKDOWN_REQUESTS = 30
PAGE = 500  # the API's page of 进度明细 rows (its default)


def townships(engine: Engine, wanted: int) -> list[str]:
    """The district's townships, and synthetic ones beside them up to ``wanted``."""
    with UnitOfWork(session_factory(engine), actor="bench", now=datetime.now(SHANGHAI)) as uow:
        codes = set(uow.session.scalars(select(Area.code).where(Area.level == "township")))
        for number in range(1, 1000):
            if len(codes) >= wanted:
                break
            code = f"120119{number:03d}000"
            if code not in codes:
                uow.session.add(Area(code=code, name=f"模拟镇{number}", level="township", parent_code="120119000000"))
                codes.add(code)
        uow.commit()
    return sorted(codes)


def villages(engine: Engine, townships: list[str]) -> dict[str, list[str]]:
    """Each township's villages (20 of them), as the bureau's area register would hold them."""
    made = {township: [f"{township[:9]}{number:03d}" for number in range(1, VILLAGES + 1)] for township in townships}
    with engine.begin() as connection:
        rows = [
            {"code": code, "name": f"模拟村{code[-5:]}", "level": "village", "parent_code": township}
            for township, codes in made.items()
            for code in codes
        ]
        connection.execute(Area.__table__.insert(), rows)  # type: ignore[attr-defined]
    return made


def fill(engine: Engine, count: int, codes: list[str]) -> None:
    rng = np.random.default_rng(2017)
    policy = get_policy(POLICY)
    sample = idnumber.make("120119", date(1980, 1, 1), 1)
    start = datetime.combine(REPORT_DAY - timedelta(days=99), datetime.min.time(), SHANGHAI)
    result = assess_inputs(policy, [AssessInput(sample, start, "adult", "middle", (), "individual")])[0]
    frozen = frozen_fields(policy, result)
    index = np.arange(count)
    days = 60 * 365
    born = pl.Series(np.datetime64(date(1940, 1, 1)) + ((index * 7919) % days).astype("timedelta64[D]")).cast(pl.Date)
    ids = pl.Series(index + 1, dtype=pl.Int64)
    first17 = pl.select(
        pl.lit("120119") + born.dt.strftime("%Y%m%d") + pl.Series(index // days % 1000).cast(pl.String).str.zfill(3)
    ).to_series()
    numbers = pl.select(first17 + check_character_expr(first17)).to_series()
    township = pl.Series(np.array(codes)[rng.integers(0, len(codes), count)])
    village = pl.select(
        township.str.slice(0, 9) + pl.Series(rng.integers(1, VILLAGES + 1, count)).cast(pl.String).str.zfill(3)
    ).to_series()
    registered = pl.Series(
        np.datetime64(start.replace(tzinfo=None), "ms")
        + (rng.integers(0, 100 * 86400, count) * 1000).astype("timedelta64[ms]")
    ).dt.replace_time_zone("Asia/Shanghai")
    paid = rng.random(count) < 0.85
    delay = pl.Series((rng.integers(0, 10 * 86400, count) * 1000).astype("timedelta64[ms]"))
    effective = pl.when(pl.Series(paid)).then(registered + delay)
    cancelled = pl.when(pl.Series(rng.random(count) < 0.03)).then(registered + pl.duration(days=5))
    residents = pl.DataFrame(
        {"id": ids, "id_number": numbers, "birth_date": born, "township_code": township, "village_code": village}
    )
    residents = residents.with_columns(
        cert_type=pl.lit("01"),
        name=pl.format("居民{}", pl.col("id")),
        sex=pl.lit("male"),
        residency=pl.lit("local_hukou"),
        survival_status=pl.lit("alive"),
        version=pl.lit(1),
    )
    enrollments = (
        pl.DataFrame({"id": ids, "resident_id": ids, "township_code": township, "registered_at": registered})
        .with_columns(effective_at=effective, cancelled_at=cancelled)
        .with_columns(
            insurance_year=pl.lit(2018),
            insurance_type=pl.lit("390"),
            channel=pl.lit("village"),
            state=pl.when(pl.col("cancelled_at").is_not_null())
            .then(pl.lit("cancelled"))
            .when(pl.col("effective_at").is_not_null())
            .then(pl.lit("effective"))
            .otherwise(pl.lit("assessed")),
            assessed_at=pl.col("registered_at"),
            **{
                key: pl.lit(json.dumps(value) if isinstance(value, (list, dict)) else value)
                for key, value in frozen.items()
            },
        )
        .with_columns(
            pl.col("registered_at", "assessed_at", "effective_at", "cancelled_at").dt.convert_time_zone("UTC")
        )
    )
    with engine.begin() as connection:
        bulk_insert(connection, cast(Table, Resident.__table__), residents)
        bulk_insert(connection, cast(Table, Enrollment.__table__), enrollments)
        if connection.dialect.name == "postgresql":
            for table in ("residents", "enrollments"):
                connection.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                )
            connection.exec_driver_sql("ANALYZE")
        else:
            connection.exec_driver_sql("ANALYZE")


def plain_group_by(engine: Engine) -> float:
    """The baseline: paid enrollments per township, one plain GROUP BY over the raw table (best of three)."""
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        with engine.connect() as connection:
            connection.execute(
                text(
                    "SELECT township_code, count(*) FROM enrollments WHERE insurance_year = 2018 "
                    "AND effective_at IS NOT NULL GROUP BY township_code"
                )
            ).all()
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--enrollments", type=int, default=10_000_000)
    parser.add_argument("--townships", type=int, default=1000)
    parser.add_argument("--database", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, database(args.database, Path(folder)) as engine:
        started = time.perf_counter()
        codes = townships(engine, args.townships)
        villages(engine, codes)
        fill(engine, args.enrollments, codes)
        with UnitOfWork(session_factory(engine), actor="bench", now=datetime.now(SHANGHAI)) as uow:
            open_campaign(uow, None, POLICY)
            add_user(uow, NewUser("bench", "区医保局", "Qu-yibao-2017!", Role.DISTRICT_ADMIN, "120119"), by=None)
            token = login(uow, "bench", "Qu-yibao-2017!", kind="api")
        print(
            f"{args.enrollments:,} enrollments in {len(codes)} townships over 100 days on {args.database} "
            f"(written in {time.perf_counter() - started:.0f} s)"
        )
        baseline = plain_group_by(engine)
        url = engine.url.render_as_string(hide_password=False)
        run(url, token, args.requests, baseline)


def logged(url: str) -> int:
    """Changes in the progress log not yet folded into the kept counts."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.exec_driver_sql("SELECT count(*) FROM progress_changes").scalar_one())
    finally:
        engine.dispose()


def settle(url: str) -> float:
    """Wait for every VACUUM to finish — autovacuum's, which a load of millions of rows sets off, and the one the
    server's fold runs after folding a large log: requests timed beside them measure the machine's two busy cores
    and the dead rows not yet cleared, not the report. Seconds waited."""
    engine = make_engine(url)
    started = time.perf_counter()
    try:
        if engine.dialect.name != "postgresql":
            return 0.0
        query = (
            "SELECT (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker') "
            "+ (SELECT count(*) FROM pg_stat_progress_vacuum)"
        )
        while time.perf_counter() - started < 900:
            with engine.connect() as connection:
                if not connection.exec_driver_sql(query).scalar_one():
                    break
            time.sleep(2)
        return time.perf_counter() - started
    finally:
        engine.dispose()


def run(url: str, token: str, requests: int, baseline: float) -> None:
    port = free_port()
    environment = os.environ | {"YIBAO_DATABASE_URL": url}
    command = [sys.executable, "-m", "yibao", "serve", "--port", str(port), "--workers", "2", "--clock", CLOCK]
    server = subprocess.Popen(command, env=environment)  # as a bureau serves it
    try:
        client = httpx.Client(
            base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {token}"}, timeout=600
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if client.get("/api/v1/me").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.3)
        path = f"/api/v1/progress?on={REPORT_DAY.isoformat()}"
        # The first report after the load: the servers fold the log in the background; the request folds a
        # bounded part and adds the rest as it reads.
        started = time.perf_counter()
        answer = client.get(path)
        if answer.status_code != 200:
            raise RuntimeError(answer.text)
        first = time.perf_counter() - started
        print(
            f"first report after the load, {logged(url):,} changes still logged: {first:.2f} s "
            f"(goal < {GOAL_FIRST_S:.0f} s) — {'met' if first < GOAL_FIRST_S else 'NOT met'}; "
            f"it says {answer.json()['uncounted_changes']:,} changes are still being counted"
        )
        started = time.perf_counter()
        while logged(url) > 0:
            time.sleep(1)
        print(f"the servers' background fold emptied the log {time.perf_counter() - started:.0f} s later")
        settled = settle(url)
        if settled:
            print(f"PostgreSQL's VACUUMs of the fresh tables finished {settled:.0f} s later (the p95 waits for them)")
        latencies = []
        paid = 0
        for _ in range(requests + 2):  # the first two warm both workers
            started = time.perf_counter()
            response = client.get(path)
            latencies.append(time.perf_counter() - started)
            paid = response.json()["paid"]
        latencies = latencies[2:]
        p95 = statistics.quantiles(latencies, n=20)[18] * 1000 if len(latencies) > 1 else latencies[0] * 1000
        # A new payment: record it, then read the report until it counts it.
        unpaid = client.get("/api/v1/enrollments?insurance_year=2018&state=assessed&limit=1").json()["items"][0]
        started = time.perf_counter()
        recorded = client.post(
            "/api/v1/payments",
            json={
                "channel": "wechat",
                "transaction_id": f"BENCH-{time.time_ns()}",
                "amount_fen": unpaid["individual_due_fen"],
                "enrollment_id": unpaid["id"],
            },
        )
        if recorded.status_code not in (200, 201):
            raise RuntimeError(recorded.text)
        while client.get(path).json()["paid"] <= paid:
            if time.perf_counter() - started > 600:
                raise RuntimeError("the payment never showed")
        reflected = time.perf_counter() - started
        district = f"/api/v1/progress/breakdown?by=village&on={REPORT_DAY.isoformat()}&limit={PAGE}"
        villages_in_district = client.get(district).json()["row_count"]
        breakdowns = {
            "one township's villages": f"/api/v1/progress/breakdown?by=village&township_code={TOWNSHIP}"
            f"&on={REPORT_DAY.isoformat()}",
            f"the district's {villages_in_district:,} villages, first page": district,
            "the district's villages, last page": f"{district}&offset={villages_in_district // PAGE * PAGE}",
        }
        for name, address in breakdowns.items():
            times = []
            for _ in range(BREAKDOWN_REQUESTS + 2):  # the first two warm both workers, as for the report
                started = time.perf_counter()
                answer = client.get(address)
                if answer.status_code != 200:
                    raise RuntimeError(answer.text)
                times.append(time.perf_counter() - started)
            times = times[2:]
            p95_breakdown = statistics.quantiles(times, n=20)[18] * 1000
            print(
                f"进度明细 by village, {name}: p95 {p95_breakdown:8.0f} ms (goal < {GOAL_P95_MS:.0f}) — "
                f"{'met' if p95_breakdown < GOAL_P95_MS else 'NOT met'} ({len(answer.json()['rows']):,} rows)"
            )
        ratio = p95 / 1000 / baseline
        print(f"plain GROUP BY over the raw table: {baseline * 1000:8.0f} ms")
        print(
            f"progress report via the API: p95 {p95:8.0f} ms (goal < {GOAL_P95_MS:.0f}) — "
            f"{'met' if p95 < GOAL_P95_MS else 'NOT met'}; ratio to the GROUP BY {ratio:.1f}"
        )
        print(
            f"a new payment shows after {reflected:.2f} s (goal < {GOAL_REFLECT_S:.0f} s) — "
            f"{'met' if reflected < GOAL_REFLECT_S else 'NOT met'}"
        )
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
