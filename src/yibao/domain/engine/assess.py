"""Assess residents under a policy: eligibility, category, tier, financing, subsidies by payer, amount due,
benefit tier and period, and the rules that fired — for one resident or a million, by the same code.
"""

from __future__ import annotations

import polars as pl

from yibao.domain.engine import benefit, enrollment, fired, subsidy
from yibao.domain.engine.inputs import conform
from yibao.domain.idnumber_bulk import validate_id_numbers
from yibao.domain.policy.model import Policy

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
    frame = validate_id_numbers(frame, "id_number", on=pl.col("registered_at").dt.date())
    group_ids = [group.id for group in policy.assisted.groups]
    extras = policy.benefit_period.extras
    lazy = (
        enrollment.with_dates(frame.lazy())
        .with_columns(newborn_qualifies=enrollment.newborn_qualifies(policy))
        .with_columns(enrollment.with_category(policy))
        .with_columns(subsidy.match_columns(policy))
        .with_columns(subsidy.with_tier(policy))
        .with_columns(subsidy.tier_amounts(policy))
        .with_columns(enrollment.with_path(policy))
        .with_columns(_blocking=enrollment.blocking_reason(policy))
        .with_columns(
            reason=pl.coalesce(pl.col("_blocking"), pl.when(pl.col("path").is_null()).then(pl.col("window_reason")))
        )
        .with_columns(subsidy.subsidy_columns(policy))
        .with_columns(benefit_start=benefit.benefit_start(policy))
        .with_columns(
            reason=pl.coalesce(
                pl.col("reason"),
                pl.when(pl.col("benefit_start") > policy.benefit_period.end).then(pl.lit("no_cover_left")),
            )
        )
        .with_columns(eligible=pl.col("reason").is_null())
        .with_columns(subsidy.amount_columns(policy))
        .with_columns(subsidy.payer_columns(policy))
        .with_columns(benefit_tier=subsidy.benefit_tier(policy))
        .with_columns(benefit.extra_applies(policy))
        .with_columns(
            benefit_start=pl.when(pl.col("eligible")).then(pl.col("benefit_start")),
            benefit_end=pl.when(pl.col("eligible")).then(pl.lit(policy.benefit_period.end, dtype=pl.Date)),
            assisted_group=pl.when(pl.col("eligible") & (pl.col("assisted_subsidy_fen") > 0)).then(
                pl.col("assisted_group_index").replace_strict(
                    dict(enumerate(group_ids)), default=None, return_dtype=pl.String
                )
            ),
            extra_benefit_periods=pl.concat_list(
                [pl.when(pl.col(f"_extra_{e.id}")).then(pl.lit(e.id)) for e in extras]
            ).list.drop_nulls()
            if extras
            else pl.lit([], dtype=pl.List(pl.String)),
        )
        .with_columns(fired.mask_columns(policy))
    )
    helpers = [name for name in lazy.collect_schema().names() if name.startswith("_")]
    return lazy.drop(helpers).collect()
