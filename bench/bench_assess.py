"""Benchmark: the policy engine on 1,000,000 synthetic residents, against the same rules in plain Python.

Performance goals (issue "[1 of 6]"): one policy for 1,000,000 residents under 2 s on a 2-core machine; a
single quote under 50 ms in-process. Prints both for every bundled plan (or the one given), and the ratio of the
vectorized engine to the plain-Python rules of ``tests/reference_engine.py`` — the second oracle the tests hold
the engine to — run one resident at a time over a sample and scaled to the full size.

    python bench/bench_assess.py [--residents 1000000] [--policy tianjin-jizhou-2018] [--loop-sample 50000]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from reference_engine import Resident, assess_one  # the tests' oracle, not a package
from yibao.domain import idnumber
from yibao.domain.engine.assess import assess
from yibao.domain.idnumber_bulk import validate_id_numbers
from yibao.domain.timeutil import SHANGHAI
from yibao.services.policy.plans import get_policy, list_policies
from yibao.services.policy.quotes import QuoteRequest, quote

IDENTITIES = ["dibao", "tekun", "severe_disability", "youfu", "orphan", "student_loan", "poverty", "family_planning"]


def synthetic_residents(policy_id: str, count: int, seed: int = 2026) -> pl.DataFrame:
    """Residents of realistic shape: valid ID numbers of the district (some from its abolished code), ages
    0–95, about 8 % with a special-group identity, registrations spread over the window, a third choosing a tier."""
    policy = get_policy(policy_id)
    rng = random.Random(seed)
    first = min(w.opens for w in policy.enrollment.windows)
    start = datetime.combine(first if not isinstance(first, datetime) else first.date(), datetime.min.time(), SHANGHAI)
    regions = [policy.region.code, *policy.region.former_codes]
    tiers = [None, None, *policy.tiers]
    unique = min(count, 100_000)  # generate a pool in Python, then tile it: generation is not what we measure
    opened = start.date()  # born by the day the first window opens, so every number reads on every day after
    births = [
        min(date(rng.randrange(1925, opened.year + 1), rng.randrange(1, 13), rng.randrange(1, 29)), opened)
        for _ in range(unique)
    ]
    pool = {
        "id_number": [idnumber.make(rng.choice(regions), birth, rng.randrange(1000)) for birth in births],
        "registered_at": [
            start + timedelta(days=rng.randrange(0, 80), minutes=rng.randrange(1440)) for _ in range(unique)
        ],
        "tier": [rng.choice(tiers) for _ in range(unique)],
        "identities": [[rng.choice(IDENTITIES)] if rng.random() < 0.08 else [] for _ in range(unique)],
    }
    frame = pl.DataFrame(pool, schema_overrides={"identities": pl.List(pl.String)})
    return pl.concat([frame] * (count // unique + 1)).head(count)


def timed(function: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def bench_plan(policy_id: str, count: int, loop_sample: int) -> None:
    policy = get_policy(policy_id)
    residents = synthetic_residents(policy_id, count)
    assess(policy, residents.head(1000))  # warm the compiled expressions
    vectorized = timed(lambda: assess(policy, residents), repeat=3)
    on = date(policy.insurance_year - 1, 12, 31)
    id_only = timed(lambda: validate_id_numbers(residents.select("id_number"), "id_number", on=on), 3)

    sample = residents.head(loop_sample).to_dicts()
    people = [
        Resident(row["id_number"], row["registered_at"], tier=row["tier"], identities=tuple(row["identities"]))
        for row in sample
    ]
    loop = timed(lambda: [assess_one(policy, person) for person in people], repeat=1) / len(people)
    requests = [
        QuoteRequest(
            policy_id, row["id_number"], row["registered_at"], tier=row["tier"], identities=tuple(row["identities"])
        )
        for row in sample[:200]
    ]
    quote(requests[0])
    single = timed(lambda: [quote(request) for request in requests], repeat=1) / len(requests)

    print(f"\n{policy_id}, {len(residents):,} synthetic residents")
    print(f"  ID-number check, vectorized:      {id_only:8.3f} s  ({len(residents) / id_only:,.0f} numbers/s)")
    verdict = "OK" if vectorized < 2 else "MISSED"
    print(f"  assessment, vectorized:           {vectorized:8.3f} s  (goal < 2 s)   {verdict}")
    print(
        f"  the same rules in plain Python:   {loop * len(residents):8.3f} s  ({loop * 1e6:.1f} µs a resident, "
        f"measured on {len(people):,}, scaled)"
    )
    print(f"  ratio, plain Python / vectorized: {loop * len(residents) / vectorized:8.1f} ×")
    verdict = "OK" if single < 0.05 else "MISSED"
    print(f"  single quote, in-process:         {single * 1000:8.1f} ms (goal < 50 ms) {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--residents", type=int, default=1_000_000)
    parser.add_argument("--policy", help="one plan; default: every bundled plan")
    parser.add_argument("--loop-sample", type=int, default=50_000)
    args = parser.parse_args()
    plans = [args.policy] if args.policy else [s.id for s in list_policies() if s.source == "bundled"]
    for policy_id in plans:
        bench_plan(policy_id, args.residents, args.loop_sample)


if __name__ == "__main__":
    main()
