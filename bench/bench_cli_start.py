"""Benchmark: how long the command line takes to start, against the floor of any Typer command line.

Performance goal (issue "[turn 2 · 3]"): `yibao --help` and `yibao quote …` start in at most 3× the time of
`python -c "import typer"`, measured in the same run. Printed for each: the median wall time of fresh processes
(each a new interpreter, as a clerk's shell starts one) and its ratio to the baseline; then the heavy packages the
command imported (for `--help`: none of SQLAlchemy, Polars, FastAPI, DuckDB, fpdf, Argon2). A quote assesses with
the vectorized engine, so it cannot start before Polars has: `python -c "import typer, polars"` is printed as its
floor, with the quote's ratio to it.

    python bench/bench_cli_start.py [--runs 15]

Run it alone on the machine: start times taken beside another job are wrong by up to 2x.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

GOAL_RATIO = 3.0
HEAVY = ("sqlalchemy", "polars", "fastapi", "duckdb", "fpdf", "argon2", "ibis", "pyspark")
QUOTE = [
    "quote",
    "--policy",
    "tianjin-jizhou-2018",
    "--id-number",
    "120119198005056134",
    "--as-of",
    "2017-11-15",
    "--json",
]


def timed(arguments: list[str], runs: int, folder: Path) -> float:
    """The median wall time of ``runs`` fresh processes (after one untimed run that warms the file cache)."""
    subprocess.run(arguments, cwd=folder, capture_output=True, check=True)
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(arguments, cwd=folder, capture_output=True, check=True)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def imported(command: list[str], folder: Path) -> list[str]:
    """The heavy packages a command imports (run in-process under -X importtime)."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "yibao", *command], cwd=folder, capture_output=True, text=True
    )
    names = {line.split("|")[-1].strip().split(".")[0] for line in result.stderr.splitlines() if "|" in line}
    return sorted(name for name in HEAVY if name in names)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    options = parser.parse_args()
    folder = Path(__file__).resolve().parent  # no yibao.sqlite here: a quote reads the bundled plans only
    baseline = timed([sys.executable, "-c", "import typer"], options.runs, folder)
    engine_floor = timed([sys.executable, "-c", "import typer, polars"], options.runs, folder)
    print(f"baseline      python -c 'import typer'          {baseline * 1000:7.1f} ms")
    floor_ratio = engine_floor / baseline
    print(f"quote floor   python -c 'import typer, polars'  {engine_floor * 1000:7.1f} ms = {floor_ratio:4.1f}×")
    worst = 0.0
    for name, command in (("--help", ["--help"]), ("quote", QUOTE)):
        seconds = timed([sys.executable, "-m", "yibao", *command], options.runs, folder)
        ratio = seconds / baseline
        worst = max(worst, ratio)
        heavy = ", ".join(imported(command, folder)) or "none"
        floor = f" ({seconds / engine_floor:.1f}× its floor)" if name == "quote" else ""
        print(f"yibao {name:<8}  {seconds * 1000:7.1f} ms = {ratio:4.1f}× baseline{floor}   heavy: {heavy}")
    verdict = "met" if worst <= GOAL_RATIO else "not met"
    print(f"goal: at most {GOAL_RATIO:.0f}× the baseline — {verdict} (worst {worst:.1f}×)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
