"""Stage: when cover starts and ends, by the path taken; extra periods such as student accident cover."""

from __future__ import annotations

import polars as pl

from yibao.domain.engine.common import add_days, first_match
from yibao.domain.policy.model import Policy


def newborn_start(policy: Policy) -> pl.Expr:
    """When a newborn's cover starts by the newborn rule: from birth (not before ``not_before``) when paid in
    time, else some days after payment. Null where the plan has no newborn rule."""
    newborn = policy.enrollment.newborn
    if newborn is None:
        return pl.lit(None, dtype=pl.Date)
    from_birth = pl.col("birth_date")
    if newborn.benefit.not_before is not None:
        from_birth = pl.max_horizontal(from_birth, pl.lit(newborn.benefit.not_before, dtype=pl.Date))
    days = newborn.benefit.from_birth_if_paid_within_days
    if days is None:
        return from_birth
    in_time = pl.col("paid_on") <= add_days(pl.col("birth_date"), days)
    later = add_days(pl.col("paid_on"), newborn.benefit.otherwise_starts_days_after_payment)
    return pl.when(in_time).then(from_birth).otherwise(later)


def benefit_start(policy: Policy) -> pl.Expr:
    period = policy.benefit_period
    year_start = pl.lit(period.start, dtype=pl.Date)
    pairs: list[tuple[pl.Expr, pl.Expr]] = [(pl.col("path") == "regular", year_start)]
    if policy.enrollment.newborn is not None:
        pairs.append((pl.col("path") == "newborn", newborn_start(policy)))
    continuation = policy.enrollment.continuation
    if continuation is not None:
        start = add_days(pl.col("paid_on"), continuation.benefit_starts_days_after_payment)
        pairs.append((pl.col("path") == "continuation", pl.max_horizontal(start, year_start)))
    late = policy.enrollment.late
    if late.accepted:
        start = add_days(pl.col("paid_on"), late.benefit_starts_days_after_payment)
        pairs.append((pl.col("path") == "late", pl.max_horizontal(start, year_start)))
    # Nobody is covered before they are born (a baby born in January and registered in a window that is still
    # open is covered from birth, not from the year's first day).
    return pl.max_horizontal(first_match(pairs), pl.col("birth_date"))


def newborn_from_birth(policy: Policy) -> pl.Expr:
    newborn = policy.enrollment.newborn
    if newborn is None:
        return pl.lit(False)
    days = newborn.benefit.from_birth_if_paid_within_days
    if days is None:
        return pl.col("path") == "newborn"
    return (pl.col("path") == "newborn") & (pl.col("paid_on") <= add_days(pl.col("birth_date"), days))


def extra_applies(policy: Policy) -> list[pl.Expr]:
    columns = []
    for extra in policy.benefit_period.extras:
        applies = pl.col("eligible") & pl.col("category").is_in(extra.categories)
        if extra.channels is not None:
            # An unstated channel counts as the collective one: the policy records that assumption.
            applies &= pl.col("channel").is_in([*extra.channels, "individual"])
        columns.append(applies.alias(f"_extra_{extra.id}"))
    return columns
