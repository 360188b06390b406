"""Assess residents under a policy: eligibility, category, tier, financing, subsidies by payer, amount due,
benefit tier and period, and the rules that fired — for one resident or a million, by the same code.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from yibao.domain.engine import benefit, enrollment, fired, subsidy
from yibao.domain.engine.common import lookup
from yibao.domain.engine.inputs import SHANGHAI_DATETIME, conform
from yibao.domain.idnumber_bulk import id_check_steps
from yibao.domain.policy.memo import per_policy
from yibao.domain.policy.model import Policy

SMALL_FRAME_ROWS = 64

RESULT_COLUMNS = (
    "eligible",
    "reason",
    "path",
    "category",
    "tier",
    "benefit_tier",
    "financing_total_fen",
    "government_subsidy_fen",
    "assisted_group",
    "assisted_subsidy_fen",
    "individual_due_fen",
    "benefit_start",
    "benefit_end",
    "extra_benefit_periods",
)


def assess(policy: Policy, residents: pl.DataFrame) -> pl.DataFrame:
    """Residents in (see :data:`yibao.domain.engine.inputs.RESIDENT_SCHEMA`), one result row each out.

    The input columns are kept; the result adds :data:`RESULT_COLUMNS`, ``assisted_fen__<payer>`` for each
    payer of the policy, ``rules_mask_<n>`` (decode with :func:`yibao.domain.engine.fired.decode`), and the
    ID-number columns (``id_error``, ``birth_date``, ``sex``, ``region_status``…).
    """
    frame = conform(residents)
    query = _plan(policy).apply(frame.lazy())
    # A counter household is a few rows: there the optimizer costs more than it saves; a township's renewals
    # gain from it (common subexpressions are many).
    small = frame.height <= SMALL_FRAME_ROWS
    return query.collect(optimizations=pl.QueryOptFlags.none() if small else pl.QueryOptFlags())


@dataclass(frozen=True)
class _Plan:
    """The engine's steps for one policy, built once: building the expressions costs more than running them
    on a counter household."""

    steps: tuple[list[pl.Expr], ...]
    helpers: tuple[str, ...]

    def apply(self, frame: pl.LazyFrame) -> pl.LazyFrame:
        for step in self.steps:
            frame = frame.with_columns(step)
        return frame.drop(self.helpers)


@per_policy
def _plan(policy: Policy) -> _Plan:
    group_ids = [group.id for group in policy.assisted.groups]
    extras = policy.benefit_period.extras
    steps: tuple[list[pl.Expr], ...] = (
        *id_check_steps("id_number", on=pl.col("registered_at").dt.date()),
        *enrollment.date_steps(),
        [enrollment.newborn_qualifies(policy).alias("newborn_qualifies")],
        enrollment.with_category(policy),
        subsidy.match_columns(policy),
        subsidy.with_tier(policy),
        subsidy.tier_amounts(policy),
        enrollment.with_path(policy),
        [enrollment.blocking_reason(policy).alias("_blocking")],
        [
            pl.coalesce(pl.col("_blocking"), pl.when(pl.col("path").is_null()).then(pl.col("window_reason"))).alias(
                "reason"
            )
        ],
        subsidy.subsidy_columns(policy),
        [benefit.benefit_start(policy).alias("benefit_start")],
        [
            pl.coalesce(
                pl.col("reason"),
                pl.when(pl.col("benefit_start") > policy.benefit_period.end).then(pl.lit("no_cover_left")),
            ).alias("reason")
        ],
        [pl.col("reason").is_null().alias("eligible")],
        subsidy.amount_columns(policy),
        subsidy.payer_columns(policy),
        [subsidy.benefit_tier(policy).alias("benefit_tier")],
        benefit.extra_applies(policy),
        [
            pl.when(pl.col("eligible")).then(pl.col("benefit_start")).alias("benefit_start"),
            pl.when(pl.col("eligible")).then(pl.lit(policy.benefit_period.end, dtype=pl.Date)).alias("benefit_end"),
            pl.when(pl.col("eligible") & (pl.col("assisted_subsidy_fen") > 0))
            .then(lookup(pl.col("assisted_group_index"), dict(enumerate(group_ids)), pl.String()))
            .alias("assisted_group"),
            (
                pl.concat_list([pl.when(pl.col(f"_extra_{e.id}")).then(pl.lit(e.id)) for e in extras]).list.drop_nulls()
                if extras
                else pl.lit([], dtype=pl.List(pl.String))
            ).alias("extra_benefit_periods"),
        ],
        fired.mask_columns(policy),
    )
    unfinished = _Plan(steps, ())
    empty = conform(pl.DataFrame(schema={"id_number": pl.String, "registered_at": SHANGHAI_DATETIME}))
    names = unfinished.apply(empty.lazy()).collect_schema().names()  # the inputs' names do not matter
    return _Plan(steps, tuple(name for name in names if name.startswith("_")))
