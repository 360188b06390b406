"""Stage: tier amounts, special-group subsidies (资助参保) with their payers, and the amount due."""

from __future__ import annotations

import polars as pl

from yibao.domain.engine.common import age_on, any_of, first_match, lookup
from yibao.domain.money import apply_ratio_expr
from yibao.domain.policy.model import AssistedGroup, Policy

NO_GROUP = -1  # a matched group whose subsidy is lost still outranks "no group" (0 > -1)


def group_matches(group: AssistedGroup) -> pl.Expr:
    condition = any_of("identities", group.identities) if group.identities else pl.lit(True)
    if group.age is not None:
        reference = group.age.reference_date or pl.col("registered_on")
        age = age_on(pl.col("birth_date"), reference)
        if group.age.min is not None:
            condition &= age >= group.age.min
        if group.age.max is not None:
            condition &= age <= group.age.max
    if group.categories is not None:
        condition &= pl.col("category").is_in(group.categories)
    if group.residency is not None:
        condition &= pl.col("residency").is_in(group.residency)
    return condition.fill_null(False)


def match_columns(policy: Policy) -> list[pl.Expr]:
    return [group_matches(group).alias(f"_matches_{index}") for index, group in enumerate(policy.assisted.groups)]


def _category_allows(policy: Policy, tier: str) -> pl.Expr:
    return pl.col("category").is_in([name for name, rule in policy.categories.items() if tier in rule.tiers])


def with_tier(policy: Policy) -> list[pl.Expr]:
    """A chosen tier stands; otherwise the first matching group's enrolled tier where the category allows it
    (a subsidised student stays in the student tier), otherwise the category's default."""
    by_group = first_match(
        [
            (
                pl.col(f"_matches_{index}") & _category_allows(policy, group.enrolled_tier.tier),
                pl.lit(group.enrolled_tier.tier),
            )
            for index, group in enumerate(policy.assisted.groups)
            if group.enrolled_tier is not None
        ]
    )
    by_category = first_match(
        [(pl.col("category") == name, pl.lit(rule.default_tier.tier)) for name, rule in policy.categories.items()]
    )
    tier_source = first_match(
        [(pl.col("tier").is_not_null(), pl.lit("chosen")), (by_group.is_not_null(), pl.lit("group"))],
        otherwise=pl.lit("category"),
    )
    return [
        tier_source.alias("tier_source"),
        pl.coalesce(pl.col("tier"), by_group, by_category).alias("tier"),
    ]


def tier_amounts(policy: Policy) -> list[pl.Expr]:
    individual = {tier_id: tier.individual.fen for tier_id, tier in policy.tiers.items()}
    subsidy = {tier_id: tier.government_subsidy.fen for tier_id, tier in policy.tiers.items()}
    return [
        lookup(pl.col("tier"), individual).alias("tier_individual_fen"),
        lookup(pl.col("tier"), subsidy).alias("tier_subsidy_fen"),
    ]


def _group_amount(policy: Policy, group: AssistedGroup) -> pl.Expr:
    individual = pl.col("tier_individual_fen")
    if group.basis_tier is None:
        basis: pl.Expr = individual
    else:
        basis = pl.lit(policy.tiers[group.basis_tier.tier].individual.fen, dtype=pl.Int64)
    amount = pl.min_horizontal(apply_ratio_expr(basis, group.share.value), individual)
    if group.lost_above_basis_tier is not None:
        amount = pl.when(individual > basis).then(pl.lit(0, dtype=pl.Int64)).otherwise(amount)
    return amount


def subsidy_columns(policy: Policy) -> list[pl.Expr]:
    """The single best group (highest amount; the earlier group on a tie) and its amount."""
    best_amount: pl.Expr = pl.lit(NO_GROUP, dtype=pl.Int64)
    best_group: pl.Expr = pl.lit(None, dtype=pl.Int32)
    for index, group in enumerate(policy.assisted.groups):
        candidate = pl.when(pl.col(f"_matches_{index}")).then(_group_amount(policy, group)).otherwise(NO_GROUP)
        better = candidate > best_amount
        best_group = pl.when(better).then(pl.lit(index, dtype=pl.Int32)).otherwise(best_group)
        best_amount = pl.max_horizontal(candidate, best_amount)
    matched = pl.sum_horizontal(
        [pl.col(f"_matches_{index}").cast(pl.Int32) for index in range(len(policy.assisted.groups))]
    )
    return [
        best_group.alias("assisted_group_index"),
        pl.max_horizontal(best_amount, pl.lit(0, dtype=pl.Int64)).alias("_best_amount"),
        (matched if policy.assisted.groups else pl.lit(0)).alias("_groups_matched"),
    ]


def amount_columns(policy: Policy) -> list[pl.Expr]:
    """Financing, general subsidy, special-group subsidy and the individual amount due, by the path taken."""
    late = policy.enrollment.late
    is_late = pl.col("path") == "late"
    assisted = pl.col("_best_amount")
    if not late.keeps_assisted_subsidy:
        assisted = pl.when(is_late).then(pl.lit(0, dtype=pl.Int64)).otherwise(assisted)
    government = pl.col("tier_subsidy_fen")
    if late.pays_full_financing:
        government = pl.when(is_late).then(pl.lit(0, dtype=pl.Int64)).otherwise(government)
    eligible = pl.col("eligible")
    financing = pl.col("tier_individual_fen") + pl.col("tier_subsidy_fen")
    return [
        pl.when(eligible).then(financing).alias("financing_total_fen"),
        pl.when(eligible).then(government).alias("government_subsidy_fen"),
        pl.when(eligible).then(assisted).alias("assisted_subsidy_fen"),
        pl.when(eligible).then(financing - government - assisted).alias("individual_due_fen"),
    ]


def payer_columns(policy: Policy) -> list[pl.Expr]:
    """``assisted_fen__<payer>``: the subsidy split among payers; the last payer of a group takes the rounding."""
    columns = []
    for payer_id in policy.payers:
        parts: list[tuple[pl.Expr, pl.Expr]] = []
        for index, group in enumerate(policy.assisted.groups):
            shares = [share for share in group.payers if share.payer == payer_id]
            if not shares:
                continue
            amount = pl.col("assisted_subsidy_fen")
            is_last = group.payers[-1].payer == payer_id
            if is_last:
                others = [apply_ratio_expr(amount, share.share) for share in group.payers[:-1]]
                part = amount - pl.sum_horizontal(others) if others else amount
            else:
                part = apply_ratio_expr(amount, shares[0].share)
            parts.append((pl.col("assisted_group_index") == index, part))
        columns.append(
            pl.when(pl.col("eligible"))
            .then(first_match(parts, otherwise=pl.lit(0, dtype=pl.Int64)))
            .alias(f"assisted_fen__{payer_id}")
        )
    return columns


def benefit_tier(policy: Policy) -> pl.Expr:
    """The group's benefit tier when enrolled at the group's tier; else the category's; else the tier paid."""
    by_group = first_match(
        [
            (
                (pl.col("assisted_group_index") == index)
                & (pl.lit(True) if group.enrolled_tier is None else (pl.col("tier") == group.enrolled_tier.tier)),
                pl.lit(group.benefit_tier.tier),
            )
            for index, group in enumerate(policy.assisted.groups)
            if group.benefit_tier is not None
        ]
    )
    by_category = first_match(
        [
            (pl.col("category") == name, pl.lit(rule.benefit_tier.tier))
            for name, rule in policy.categories.items()
            if rule.benefit_tier is not None
        ]
    )
    return pl.when(pl.col("eligible")).then(pl.coalesce(by_group, by_category, pl.col("tier")))
