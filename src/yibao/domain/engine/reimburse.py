"""Reimbursement (报销) of a claim under a policy: deductible, ratio by benefit tier and hospital level, cap.

Vectorized like the assessment: a frame of claims in, one result row each out. Amounts are integer fen; the
ratio is applied with the one half-up rounding of :mod:`yibao.domain.money`.
"""

from __future__ import annotations

import polars as pl

from yibao.domain.engine.common import first_match
from yibao.domain.money import apply_ratio_columns, ratio_fraction
from yibao.domain.policy.model import NoCap, Policy, Silent

CLAIM_SCHEMA: dict[str, pl.DataType] = {
    "benefit_tier": pl.String(),
    "service": pl.String(),
    "hospital_level": pl.String(),  # "1", "2", "3"
    "expense_fen": pl.Int64(),
    "ytd_reimbursed_fen": pl.Int64(),  # reimbursed earlier this year for the same service
    "ytd_deductible_paid_fen": pl.Int64(),  # deductible already borne this year (yearly deductibles)
}


def reimburse(policy: Policy, claims: pl.DataFrame) -> pl.DataFrame:
    """Adds ``deductible_fen``, ``ratio`` (e.g. "0.55"), ``cap_fen`` (null: no cap), ``reimbursed_fen``,
    ``computed`` and ``rules`` (ids, see :mod:`yibao.domain.policy.rules`). A service the policy does not cover
    gives nulls; one whose deductible or cap the plan does not give (:class:`Silent`) gives its ratio, nulls for
    the amounts and ``computed`` false."""
    frame = claims.select(
        *[
            (pl.col(name) if name in claims.columns else pl.lit(None)).cast(dtype).alias(name)
            for name, dtype in CLAIM_SCHEMA.items()
        ]
    ).with_columns(
        pl.col("ytd_reimbursed_fen").fill_null(0),
        # Nothing is reimbursed before the yearly deductible is met, so money already reimbursed this year
        # means the deductible is behind the claimant when the caller does not say how much was borne.
        pl.coalesce(
            pl.col("ytd_deductible_paid_fen"),
            pl.when(pl.col("ytd_reimbursed_fen").fill_null(0) > 0).then(pl.lit(2**62)).otherwise(0),
        ).alias("ytd_deductible_paid_fen"),
        pl.col("hospital_level").cast(pl.String),
    )
    deductible_pairs: list[tuple[pl.Expr, pl.Expr]] = []
    cap_pairs: list[tuple[pl.Expr, pl.Expr]] = []
    ratio_pairs: list[tuple[pl.Expr, pl.Expr]] = []
    silent: list[str] = []
    for service, rule in policy.reimbursement.services.items():
        is_service = pl.col("service") == service
        for benefit_tier, by_level in rule.ratios.by_benefit_tier.items():
            for level, ratio in by_level.items():
                numerator, denominator = ratio_fraction(ratio)
                condition = is_service & (pl.col("benefit_tier") == benefit_tier) & (pl.col("hospital_level") == level)
                ratio_pairs.append(
                    (
                        condition,
                        pl.struct(n=pl.lit(numerator), d=pl.lit(denominator), text=pl.lit(str(ratio))),
                    )
                )
        if isinstance(rule.deductible, Silent) or isinstance(rule.cap, Silent):
            silent.append(service)  # its ratio is still given; no amount is computed
            continue
        deductible = pl.lit(rule.deductible.fen, dtype=pl.Int64)
        if rule.deductible.per == "year":
            deductible = (deductible - pl.col("ytd_deductible_paid_fen")).clip(lower_bound=0)
        deductible_pairs.append((is_service, deductible))
        if not isinstance(rule.cap, NoCap):
            cap_pairs.append((is_service, pl.lit(rule.cap.fen, dtype=pl.Int64)))
    result = frame.with_columns(
        deductible_fen=pl.min_horizontal(first_match(deductible_pairs), pl.col("expense_fen")),
        cap_fen=first_match(cap_pairs, otherwise=pl.lit(None, dtype=pl.Int64)),
        _ratio=first_match(ratio_pairs),
    ).with_columns(
        ratio=pl.col("_ratio").struct.field("text"),
        _raw=apply_ratio_columns(
            pl.col("expense_fen") - pl.col("deductible_fen"),
            pl.col("_ratio").struct.field("n"),
            pl.col("_ratio").struct.field("d"),
        ),
    )
    cap_left = (pl.col("cap_fen") - pl.col("ytd_reimbursed_fen")).clip(lower_bound=0)
    result = result.with_columns(
        reimbursed_fen=pl.when(pl.col("cap_fen").is_null())
        .then(pl.col("_raw"))
        .otherwise(pl.min_horizontal(pl.col("_raw"), cap_left)),
        capped=(pl.col("cap_fen").is_not_null() & (pl.col("_raw") > cap_left)).fill_null(False),
    )
    computed = ~pl.col("service").is_in(silent)
    rules = pl.concat_list(
        [
            pl.when(pl.col("_ratio").is_not_null() & (computed | pl.lit(suffix == ".ratios"))).then(
                pl.lit("reimbursement.") + pl.col("service") + pl.lit(suffix)
            )
            for suffix in (".deductible", ".ratios", ".cap")
        ]
    ).list.drop_nulls()
    not_computed = ("deductible_fen", "cap_fen", "reimbursed_fen")
    return result.with_columns(
        *[pl.when(computed).then(pl.col(name)).alias(name) for name in not_computed],
        capped=pl.col("capped") & computed,
        computed=computed,
        rules=rules,
    ).drop("_ratio", "_raw")
