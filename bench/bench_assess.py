"""Benchmark: the policy engine on 1,000,000 synthetic residents, against a per-resident loop in the same run.

Performance goals (issue "[1 of 6]"): one policy for 1,000,000 residents under 2 s on a 2-core machine; a
single quote under 50 ms in-process. Prints both, and the ratio of the vectorized path to a plain Python loop
that evaluates the same rules one resident at a time (measured on a sample, scaled to the full size).

    python bench/bench_assess.py [--residents 1000000] [--policy tianjin-jinghai-2022] [--loop-sample 500]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta

import polars as pl

from yibao.domain import idnumber
from yibao.domain.engine.assess import assess
from yibao.domain.idnumber_bulk import validate_id_numbers
from yibao.domain.timeutil import SHANGHAI
from yibao.services.policy.plans import get_policy
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
    births = [date(rng.randrange(1925, 2021), rng.randrange(1, 13), rng.randrange(1, 29)) for _ in range(unique)]
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--residents", type=int, default=1_000_000)
    parser.add_argument("--policy", default="tianjin-jinghai-2022")
    parser.add_argument("--loop-sample", type=int, default=500)
    args = parser.parse_args()
    policy = get_policy(args.policy)
    residents = synthetic_residents(args.policy, args.residents)
    print(f"policy {args.policy}, {len(residents):,} synthetic residents")

    assess(policy, residents.head(1000))  # warm the compiled expressions
    vectorized = timed(lambda: assess(policy, residents), repeat=3)
    id_only = timed(lambda: validate_id_numbers(residents.select("id_number"), "id_number", on=date(2022, 1, 1)), 3)

    sample = residents.head(args.loop_sample).to_dicts()
    requests = [
        QuoteRequest(
            args.policy, row["id_number"], row["registered_at"], tier=row["tier"], identities=tuple(row["identities"])
        )
        for row in sample
    ]
    quote(requests[0])
    loop_sample = timed(lambda: [quote(request) for request in requests], repeat=1)
    single = loop_sample / len(requests)
    loop_full = single * len(residents)

    print(f"ID-number check, vectorized:        {id_only:8.3f} s  ({len(residents) / id_only:,.0f} numbers/s)")
    verdict = "OK" if vectorized < 2 else "MISSED"
    print(f"assessment, vectorized:             {vectorized:8.3f} s  (goal < 2 s)   {verdict}")
    verdict = "OK" if single < 0.05 else "MISSED"
    print(f"single quote, in-process:           {single * 1000:8.1f} ms (goal < 50 ms) {verdict}")
    print(f"per-resident loop, same rules:      {loop_full:8.1f} s  (measured on {len(requests)}, scaled)")
    print(f"ratio, loop / vectorized:           {loop_full / vectorized:8.0f} ×")


if __name__ == "__main__":
    main()
