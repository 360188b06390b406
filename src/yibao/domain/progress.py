"""Progress arithmetic: completion, traffic-light bands, rankings, and the projection of when a township reaches
its target at its recent pace — and the pace it needs to reach it by the deadline. Pure computation."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

# Completion at or above each threshold earns its band; below the last, red. Configurable per report.
DEFAULT_BANDS: tuple[tuple[float, str], ...] = ((1.0, "green"), (0.8, "amber"))
BAND_NAMES = {"green": "绿", "amber": "黄", "red": "红"}
PACE_DAYS = 7  # the "recent pace": the last week's daily average


def completion(done: int, target: int | None) -> float | None:
    if not target:
        return None
    return done / target


def band(rate: float | None, bands: tuple[tuple[float, str], ...] = DEFAULT_BANDS) -> str | None:
    if rate is None:
        return None
    for threshold, name in bands:
        if rate >= threshold:
            return name
    return "red"


@dataclass(frozen=True)
class Projection:
    pace_per_day: float  # recent daily average
    reached_on: date | None  # at that pace; None: never (no pace), or already reached (see ``reached``)
    reached: bool
    needed_per_day: float | None  # to reach the target by the deadline; None when reached or past the deadline


def project(done: int, done_before: int, target: int | None, on: date, deadline: date | None) -> Projection:
    """``done`` by the end of ``on``; ``done_before`` by the end of the day :data:`PACE_DAYS` days earlier."""
    pace = max(done - done_before, 0) / PACE_DAYS
    if not target or done >= target:
        return Projection(pace, None, bool(target), None)
    remaining = target - done
    reached_on = on + timedelta(days=math.ceil(remaining / pace)) if pace > 0 else None
    days_left = (deadline - on).days if deadline else 0
    needed = remaining / days_left if days_left > 0 else None
    return Projection(pace, reached_on, False, needed)


def ranked(rates: dict[str, float | None]) -> dict[str, int]:
    """Rank 1 for the highest completion; equal rates share a rank; units with no target are not ranked."""
    ordered = sorted((rate for rate in rates.values() if rate is not None), reverse=True)
    return {key: ordered.index(rate) + 1 for key, rate in rates.items() if rate is not None}
