"""Consistency checks across a whole policy: what a schema alone cannot see.

Each failure names the key (``tiers.low.financing_total``) so a bureau editing its file knows where to look.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from itertools import combinations
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from yibao.domain.policy.citations import Amount, Cited, Clause, Count, Ratio
from yibao.domain.policy.figures import written_numbers, written_shares
from yibao.domain.timeutil import as_shanghai, end_of_day, start_of_day
from yibao.domain.vocabulary import IDENTITIES

if TYPE_CHECKING:
    from yibao.domain.policy.model import Policy, TargetRow, TargetTable, Window


class PolicyInconsistency(Exception):
    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


def walk(node: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every model, list item and mapping value under ``node``, with its dotted path."""
    yield path, node
    if isinstance(node, BaseModel):
        for name in type(node).model_fields:
            yield from walk(getattr(node, name), f"{path}.{name}" if path else name)
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from walk(value, f"{path}.{key}" if path else str(key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk(value, f"{path}[{index}]")


def instant_opens(value: date | datetime) -> datetime:
    return as_shanghai(value) if isinstance(value, datetime) else start_of_day(value)


def instant_closes(value: date | datetime) -> datetime:
    """A deadline given as a date runs through that day; a time is inclusive, to the second."""
    return as_shanghai(value) if isinstance(value, datetime) else end_of_day(value)


def _fail(field: str, problem: str) -> None:
    raise PolicyInconsistency(field, problem)


def check_policy(policy: Policy) -> None:
    _check_citations(policy)
    _check_figures(policy)
    _check_year(policy)
    _check_tiers(policy)
    _check_windows(policy)
    _check_categories(policy)
    _check_assisted(policy)
    _check_benefit(policy)
    _check_reimbursement(policy)
    _check_targets(policy)
    _check_reason_register(policy)
    _check_review_chain(policy)


def _check_reason_register(policy: Policy) -> None:
    """The register's title is the form the plan names: 《title》 in its own sentence."""
    register = policy.reason_register
    if register is None:
        return
    if register.clause is None or f"《{register.title}》" not in register.clause.text:
        _fail("reason_register.title", f"《{register.title}》 is not named in the sentence quoted for it")


def _check_review_chain(policy: Policy) -> None:
    """The account the money goes into is the one the plan's own sentence names."""
    chain = policy.review_chain
    if chain is None or chain.account is None:
        return
    if chain.clause is None or chain.account not in chain.clause.text:
        _fail("review_chain.account", f"“{chain.account}” is not named in the sentence quoted for it")


def _check_citations(policy: Policy) -> None:
    assumption_ids = [a.id for a in policy.assumptions]
    duplicates = {a for a in assumption_ids if assumption_ids.count(a) > 1}
    if duplicates:
        _fail("assumptions", f"duplicate ids: {sorted(duplicates)}")
    for path, node in walk(policy):
        if isinstance(node, Clause) and node.document not in policy.documents:
            _fail(f"{path}.document", f"no document '{node.document}' in documents")
        if isinstance(node, Cited):
            for assumption in node.assumption_ids:
                if assumption not in assumption_ids:
                    _fail(f"{path}.assumption", f"no assumption '{assumption}' in assumptions")


def _written(node: Amount | Ratio | Count, text: str) -> bool:
    if isinstance(node, Amount):
        return node.yuan in written_numbers(text)
    if isinstance(node, Ratio):
        return node.value in written_shares(text) | written_numbers(text)
    return Decimal(node.value) in written_numbers(text)


def _check_figures(policy: Policy) -> None:
    """A value taken from a sentence must be in it (980 where it says 980元, 0.9 where it says 90%), unless it
    is read with an assumption or marked as derived, with the reason."""
    for path, node in walk(policy):
        if not isinstance(node, Amount | Ratio | Count) or node.clause is None:
            continue
        if node.assumption_ids or node.derived or _written(node, node.clause.text):
            continue
        value = node.yuan if isinstance(node, Amount) else node.value
        _fail(
            path,
            f"数值{value}不在所引原文中：“{node.clause.text}”。请改正数值或引文，或用 derived 写明它如何由原文得出",
        )


def _check_year(policy: Policy) -> None:
    """Dates belong to the insurance year's campaign (year − 1 … year), and an id that names a year names this
    one: a plan copied from last year whose dates were not all moved on is refused."""
    year = policy.insurance_year
    named = re.search(r"-(\d{4})$", policy.id)
    if named and int(named.group(1)) != year:
        _fail("id", f"编号写的是{named.group(1)}年，而参保年度（insurance_year）是{year}年")
    if policy.benefit_period.start.year != year or policy.benefit_period.end.year != year:
        _fail("benefit_period", f"待遇享受期不在{year}参保年度内")
    campaign = (date(year - 1, 1, 1), date(year, 12, 31))
    dates: list[tuple[str, date]] = []
    for index, window in enumerate(policy.enrollment.windows):
        for end in ("opens", "closes"):
            value = getattr(window, end)
            dates.append((f"enrollment.windows[{index}].{end}", value.date() if isinstance(value, datetime) else value))
    if policy.enrollment.late.until is not None:
        dates.append(("enrollment.late.until", policy.enrollment.late.until))
    for path, value in dates:
        if not campaign[0] <= value <= campaign[1]:
            _fail(path, f"{value}不在{year}年度参保缴费工作的时间内（{year - 1}年至{year}年）")


def _check_tiers(policy: Policy) -> None:
    for tier_id, tier in policy.tiers.items():
        if tier.financing_total is not None and tier.financing_total.fen != tier.financing_total_fen:
            _fail(
                f"tiers.{tier_id}.financing_total",
                f"{tier.financing_total.yuan} ≠ individual {tier.individual.yuan} + subsidy "
                f"{tier.government_subsidy.yuan}",
            )


def _channels(window: Window) -> set[str] | None:
    return None if window.channels == "all" else set(window.channels)


def _check_windows(policy: Policy) -> None:
    windows = policy.enrollment.windows
    ids = [w.id for w in windows]
    if len(set(ids)) != len(ids):
        _fail("enrollment.windows", "window ids must be unique")
    for index, window in enumerate(windows):
        if instant_opens(window.opens) >= instant_closes(window.closes):
            _fail(f"enrollment.windows[{index}]", f"window '{window.id}' closes before it opens")
    for (i, a), (j, b) in combinations(enumerate(windows), 2):
        same_kind = set(a.applies_to) & set(b.applies_to)
        channels_a, channels_b = _channels(a), _channels(b)
        same_channel = channels_a is None or channels_b is None or bool(channels_a & channels_b)
        overlap = instant_opens(a.opens) <= instant_closes(b.closes) and instant_opens(b.opens) <= instant_closes(
            a.closes
        )
        if same_kind and same_channel and overlap:
            _fail(f"enrollment.windows[{j}]", f"window '{b.id}' overlaps window '{a.id}' (windows[{i}])")
    late = policy.enrollment.late
    if late.until is not None and late.until > policy.benefit_period.end:
        _fail("enrollment.late.until", "late payments end after the insurance year")


def _check_categories(policy: Policy) -> None:
    for name, rule in policy.categories.items():
        for tier in rule.tiers:
            if tier not in policy.tiers:
                _fail(f"categories.{name}.tiers", f"no tier '{tier}'")
        if rule.default_tier.tier not in rule.tiers:
            _fail(
                f"categories.{name}.default_tier",
                f"'{rule.default_tier.tier}' is not among the category's tiers",
            )
        if rule.benefit_tier is not None and rule.benefit_tier.tier not in policy.tiers:
            _fail(f"categories.{name}.benefit_tier", f"no tier '{rule.benefit_tier.tier}'")
    bands = policy.default_category.by_age
    if bands[-1].below is not None:
        _fail("default_category.by_age", "the last band must have no upper age ('below')")
    limits = [band.below for band in bands[:-1]]
    if any(limit is None for limit in limits) or limits != sorted(limits):  # type: ignore[type-var]
        _fail("default_category.by_age", "bands must rise by age, each but the last with 'below'")
    for index, band in enumerate(bands):
        if band.category not in policy.categories:
            _fail(f"default_category.by_age[{index}]", f"category '{band.category}' is not defined")
    if policy.enrollment.newborn is not None and "newborn" not in policy.categories:
        _fail("categories", "a newborn rule needs a 'newborn' category")


def _check_assisted(policy: Policy) -> None:
    groups = policy.assisted.groups
    if len(groups) > 1 and policy.assisted.precedence is None:
        _fail("assisted.precedence", "several subsidy groups need a precedence rule (e.g. only the highest)")
    if len({g.id for g in groups}) != len(groups):
        _fail("assisted.groups", "group ids must be unique")
    for index, group in enumerate(groups):
        path = f"assisted.groups[{index}]"
        if not group.identities and group.age is None:
            _fail(path, f"group '{group.id}' names neither identities nor an age condition")
        for identity in group.identities:
            if identity not in IDENTITIES:
                _fail(f"{path}.identities", f"unknown identity '{identity}'; known: {', '.join(IDENTITIES)}")
        for field in ("basis_tier", "enrolled_tier", "benefit_tier"):
            ref = getattr(group, field)
            if ref is not None and ref.tier not in policy.tiers:
                _fail(f"{path}.{field}", f"no tier '{ref.tier}'")
        if group.lost_above_basis_tier is not None and group.basis_tier is None:
            _fail(f"{path}.lost_above_basis_tier", "needs a basis_tier to compare with")
        for payer in group.payers:
            if payer.payer not in policy.payers:
                _fail(f"{path}.payers", f"no payer '{payer.payer}' in payers")
        if sum((p.share for p in group.payers), Decimal(0)) != 1:
            _fail(f"{path}.payers", "payer shares must add up to 1")
        age = group.age
        if age is not None and age.min is not None and age.max is not None and age.min > age.max:
            _fail(f"{path}.age", "min is above max")


def _check_benefit(policy: Policy) -> None:
    period = policy.benefit_period
    if period.start > period.end:
        _fail("benefit_period", "ends before it starts")
    for index, extra in enumerate(period.extras):
        if extra.start > extra.end:
            _fail(f"benefit_period.extras[{index}]", "ends before it starts")


def _check_reimbursement(policy: Policy) -> None:
    for service, rule in policy.reimbursement.services.items():
        for benefit_tier, by_level in rule.ratios.by_benefit_tier.items():
            if benefit_tier not in policy.tiers:
                _fail(f"reimbursement.services.{service}.ratios", f"no tier '{benefit_tier}'")
            for level, ratio in by_level.items():
                if not Decimal(0) <= ratio <= 1:
                    _fail(
                        f"reimbursement.services.{service}.ratios.{benefit_tier}.{level}",
                        "ratio outside 0..1",
                    )


_PARTS = ("general", "students", "special_groups")


def _row_total(row: TargetRow, path: str) -> int:
    parts = [getattr(row, part) for part in _PARTS if getattr(row, part) is not None]
    if row.total is None:
        if not parts:
            _fail(path, f"'{row.unit}' has no figures")
        return sum(parts)
    if parts and sum(parts) != row.total:
        _fail(path, f"'{row.unit}': parts add up to {sum(parts)}, not the total {row.total}")
    return row.total


def _sum_rows(rows: list[TargetRow], path: str) -> dict[str, int]:
    sums = {"total": 0, **dict.fromkeys(_PARTS, 0)}
    for index, row in enumerate(rows):
        sums["total"] += _row_total(row, f"{path}[{index}]")
        for part in _PARTS:
            sums[part] += getattr(row, part) or 0
    return sums


def _check_row_equals(row: TargetRow, sums: dict[str, int], path: str) -> None:
    _row_total(row, path)
    for key, value in sums.items():
        declared = getattr(row, key)
        if declared is not None and declared != value:
            _fail(f"{path}.{key}", f"declared {declared}, but the rows add up to {value}")


def _check_targets(policy: Policy) -> None:
    table: TargetTable | None = policy.targets.township_table
    if table is None:
        return
    path = "targets.township_table"
    township_sums = _sum_rows(table.rows, f"{path}.rows")
    if table.subtotal is not None:
        _check_row_equals(table.subtotal, township_sums, f"{path}.subtotal")
    institution_sums = _sum_rows(table.institutions, f"{path}.institutions")
    all_sums = {key: township_sums[key] + institution_sums[key] for key in township_sums}
    if table.grand_total is not None:
        _check_row_equals(table.grand_total, all_sums, f"{path}.grand_total")
    total = policy.targets.total
    if total is not None:
        if table.excludes and all_sums["total"] > total.persons:
            _fail(path, f"townships add up to {all_sums['total']}, above the district total {total.persons}")
        if not table.excludes and all_sums["total"] != total.persons:
            _fail(path, f"townships add up to {all_sums['total']}, not the district total {total.persons}")
