"""Stage: which rules fired for each resident (see :mod:`yibao.domain.policy.rules`).

A list of strings per row costs ten times the rest of the assessment on a million rows, so each rule that can
fire gets a bit in one of a few Int64 words (``rules_mask_0``, ``rules_mask_1``…); results decode the bits back
to rule ids only when they are shown.
"""

from __future__ import annotations

import polars as pl

from yibao.domain.engine.enrollment import admission_applies
from yibao.domain.policy.memo import per_policy
from yibao.domain.policy.model import Policy
from yibao.domain.policy.rules import nonlocal_rule_ids

BITS_PER_WORD = 63  # Int64 without the sign bit


def _when(condition: pl.Expr, rule_id: str) -> tuple[str, pl.Expr]:
    return rule_id, condition


def _candidates(policy: Policy) -> list[tuple[str, pl.Expr]]:
    eligible = pl.col("eligible")
    path = pl.col("path")
    candidates: list[tuple[str, pl.Expr]] = [
        _when(eligible, "eligibility.residency"),
        _when(pl.col("reason") == "in_employee_insurance", "eligibility.employee_insurance_excluded"),
        _when(pl.col("category_defaulted"), "default_category"),
    ]
    outside = eligible & ~pl.col("residency").is_in(policy.eligibility.residency.accepted)
    for rule_id, admission in nonlocal_rule_ids(policy):
        candidates.append(_when(outside & admission_applies(admission), rule_id))
    for window in policy.enrollment.windows:
        matched = (pl.col("registration_window") == window.id) | (pl.col("payment_window") == window.id)
        candidates.append(_when((path == "regular") & matched, f"window.{window.id}"))
    reason = pl.col("reason")
    window_refusal = reason.is_in(["window_not_open", "channel_closed", "registration_closed", "payment_closed"])
    candidates.append(_when((path == "late") | window_refusal, "late"))
    if policy.enrollment.newborn is not None:
        for part in ("births", "registration", "benefit"):
            candidates.append(_when(path == "newborn", f"newborn.{part}"))
    if policy.enrollment.continuation is not None:
        candidates.append(_when(path == "continuation", "continuation"))
    for name, rule in policy.categories.items():
        is_category = pl.col("category") == name
        candidates.append(_when(is_category, f"category.{name}"))
        candidates.append(_when(is_category & (pl.col("tier_source") == "category"), f"category.{name}.default_tier"))
        if rule.benefit_tier is not None:
            candidates.append(
                _when(
                    is_category & eligible & (pl.col("benefit_tier") == rule.benefit_tier.tier),
                    f"category.{name}.benefit_tier",
                )
            )
        if rule.min_age is not None:
            candidates.append(_when(is_category & (reason == "under_category_min_age"), f"category.{name}.min_age"))
    for tier_id in policy.tiers:
        is_tier = eligible & (pl.col("tier") == tier_id)
        candidates.append(_when(is_tier, f"tier.{tier_id}.individual"))
        candidates.append(_when(is_tier, f"tier.{tier_id}.government_subsidy"))
    candidates.append(_when(eligible & (pl.col("_groups_matched") > 1), "assisted.precedence"))
    for index, group in enumerate(policy.assisted.groups):
        prefix = f"assisted.{group.id}"
        chosen = eligible & (pl.col("assisted_group_index") == index)
        candidates += [
            _when(chosen, prefix),
            _when(chosen, f"{prefix}.share"),
            _when(chosen, f"{prefix}.payers"),
        ]
        for payer in group.payers:
            candidates.append(_when(chosen, f"payer.{payer.payer}"))
        if group.age is not None:
            candidates.append(_when(chosen, f"{prefix}.age"))
        if group.basis_tier is not None:
            candidates.append(_when(chosen, f"{prefix}.basis_tier"))
        if group.enrolled_tier is not None:
            candidates.append(_when(chosen & (pl.col("tier_source") == "group"), f"{prefix}.enrolled_tier"))
        if group.benefit_tier is not None:
            candidates.append(
                _when(chosen & (pl.col("benefit_tier") == group.benefit_tier.tier), f"{prefix}.benefit_tier")
            )
        if group.lost_above_basis_tier is not None:
            basis_fen = policy.tiers[group.basis_tier.tier].individual.fen if group.basis_tier else 0
            candidates.append(
                _when(chosen & (pl.col("tier_individual_fen") > basis_fen), f"{prefix}.lost_above_basis_tier")
            )
    candidates.append(_when(eligible, "benefit_period"))
    for extra in policy.benefit_period.extras:
        candidates.append(_when(pl.col(f"_extra_{extra.id}"), f"benefit_period.{extra.id}"))
    return candidates


@per_policy
def rule_bits(policy: Policy) -> list[tuple[str, pl.Expr]]:
    """Each rule that can fire, once, in a fixed order: its position is its bit."""
    merged: dict[str, pl.Expr] = {}
    for rule_id, condition in _candidates(policy):
        # A rule reached two ways (a payer shared by groups) is one rule.
        merged[rule_id] = merged[rule_id] | condition if rule_id in merged else condition
    return list(merged.items())


def mask_columns(policy: Policy) -> list[pl.Expr]:
    words = []
    for word, conditions in enumerate(_word_terms(policy)):
        # A null condition gives a null term, which the sum skips: the rule did not fire.
        terms = [condition.cast(pl.Int64) * pl.lit(bits, dtype=pl.Int64) for condition, bits in conditions]
        words.append(pl.sum_horizontal(terms, ignore_nulls=True).alias(f"rules_mask_{word}"))
    return words


def _word_terms(policy: Policy) -> list[list[tuple[pl.Expr, int]]]:
    """Per mask word, each distinct condition once with the bits of every rule it fires.

    Many rules fire on the same condition (a group's subsidy, its share, its payers): evaluated once instead of
    once per rule, the bundled plans' 24–45 rules need 19–31 conditions. Each expression has a fixed cost that
    is most of the engine's time on a counter household."""
    bits = rule_bits(policy)
    words: list[list[tuple[pl.Expr, int]]] = []
    for start in range(0, len(bits), BITS_PER_WORD):
        terms: list[tuple[pl.Expr, int]] = []
        for bit, (_, condition) in enumerate(bits[start : start + BITS_PER_WORD]):
            same = next((index for index, (seen, _) in enumerate(terms) if seen.meta.eq(condition)), None)
            if same is None:
                terms.append((condition, 1 << bit))
            else:
                terms[same] = (terms[same][0], terms[same][1] | 1 << bit)
        words.append(terms)
    return words


def decode(policy: Policy, masks: list[int]) -> list[str]:
    """Rule ids from one row's mask words, in the policy's fixed order."""
    bits = rule_bits(policy)
    return [
        rule_id
        for position, (rule_id, _) in enumerate(bits)
        if masks[position // BITS_PER_WORD] >> (position % BITS_PER_WORD) & 1
    ]


def mask_names(policy: Policy) -> list[str]:
    return [f"rules_mask_{word}" for word in range((len(rule_bits(policy)) + BITS_PER_WORD - 1) // BITS_PER_WORD)]
