"""Small expression helpers shared by the engine's stages."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

import polars as pl


def age_on(birth: pl.Expr, on: pl.Expr | date) -> pl.Expr:
    """Completed years (周岁), the vectorized twin of :func:`yibao.domain.timeutil.age_on`."""
    reference = on if isinstance(on, pl.Expr) else pl.lit(on, dtype=pl.Date)
    before_birthday = (reference.dt.month().cast(pl.Int32) * 100 + reference.dt.day().cast(pl.Int32)) < (
        birth.dt.month().cast(pl.Int32) * 100 + birth.dt.day().cast(pl.Int32)
    )
    return reference.dt.year().cast(pl.Int32) - birth.dt.year().cast(pl.Int32) - before_birthday.cast(pl.Int32)


def any_of(column: str, values: Iterable[str]) -> pl.Expr:
    """True where the list column holds any of ``values``."""
    checks = [pl.col(column).list.contains(value) for value in values]
    return pl.any_horizontal(checks).fill_null(False) if checks else pl.lit(False)


def lookup(key: pl.Expr, mapping: dict[Any, Any], dtype: pl.DataType | None = None) -> pl.Expr:
    """A small fixed mapping (tier → fen): null where the key is null or unknown.

    A when/then chain, not ``replace_strict``: for a handful of keys it is cheaper at every size (measured:
    0.03 against 0.45 ms on a counter household, 8 against 21 ms on a million rows), since ``replace_strict``
    builds a hash table from its mapping on every run."""
    return first_match(
        [(key == pl.lit(k), pl.lit(value, dtype=dtype or pl.Int64())) for k, value in mapping.items()],
        otherwise=pl.lit(None, dtype=dtype or pl.Int64()),
    )


def add_days(day: pl.Expr, days: int) -> pl.Expr:
    return day + pl.duration(days=days)


def first_match(pairs: list[tuple[pl.Expr, pl.Expr]], otherwise: pl.Expr | None = None) -> pl.Expr:
    """when(c1).then(v1).when(c2).then(v2)…; null (or ``otherwise``) where none holds."""
    if not pairs:
        return otherwise if otherwise is not None else pl.lit(None)
    result = otherwise if otherwise is not None else pl.lit(None)
    # Built from the last pair back, so each step is a plain when/then/otherwise expression.
    for condition, value in reversed(pairs):
        result = pl.when(condition).then(value).otherwise(result)
    return result
