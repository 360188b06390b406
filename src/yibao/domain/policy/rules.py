"""Stable rule ids for every cited value of a policy, so a result can say which rules fired and why.

``tier.low.individual`` → the clause that sets the low tier's individual contribution, and so on. A result
names rule ids; the index turns them back into clauses and the assumptions they rest on.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from yibao.domain.policy.checks import instant_closes, instant_opens
from yibao.domain.policy.citations import Assumption, Cited, Clause
from yibao.domain.policy.memo import per_policy
from yibao.domain.policy.model import NonlocalAdmission, Policy, Silent


@dataclass(frozen=True)
class FiredRule:
    id: str
    clause: Clause | None
    assumptions: list[str]


def _index(policy: Policy) -> dict[str, Cited]:
    index: dict[str, Cited] = {}

    def put(rule_id: str, cited: Cited | None) -> None:
        if cited is not None:
            index[rule_id] = cited

    eligibility = policy.eligibility
    put("eligibility.residency", eligibility.residency)
    for rule_id, admission in nonlocal_rule_ids(policy):
        put(rule_id, admission)
    put("eligibility.employee_insurance_excluded", eligibility.employee_insurance_excluded)
    enrollment = policy.enrollment
    for window in enrollment.windows:
        put(f"window.{window.id}", window)
    put("late", enrollment.late)
    if enrollment.newborn is not None:
        put("newborn.births", enrollment.newborn.births)
        put("newborn.registration", enrollment.newborn.registration)
        put("newborn.benefit", enrollment.newborn.benefit)
    put("continuation", enrollment.continuation)
    for tier_id, tier in policy.tiers.items():
        put(f"tier.{tier_id}.individual", tier.individual)
        put(f"tier.{tier_id}.government_subsidy", tier.government_subsidy)
    for name, category in policy.categories.items():
        put(f"category.{name}", category)
        put(f"category.{name}.default_tier", category.default_tier)
        put(f"category.{name}.benefit_tier", category.benefit_tier)
        put(f"category.{name}.min_age", category.min_age)
    put("default_category", policy.default_category)
    for payer_id, payer in policy.payers.items():
        put(f"payer.{payer_id}", payer)
    put("assisted.precedence", policy.assisted.precedence)
    for group in policy.assisted.groups:
        prefix = f"assisted.{group.id}"
        put(prefix, group)
        put(f"{prefix}.age", group.age)
        put(f"{prefix}.share", group.share)
        put(f"{prefix}.basis_tier", group.basis_tier)
        put(f"{prefix}.enrolled_tier", group.enrolled_tier)
        put(f"{prefix}.benefit_tier", group.benefit_tier)
        put(f"{prefix}.lost_above_basis_tier", group.lost_above_basis_tier)
        put(f"{prefix}.payers", group.payers_basis)
    put("benefit_period", policy.benefit_period)
    for extra in policy.benefit_period.extras:
        put(f"benefit_period.{extra.id}", extra)
    for service, rule in policy.reimbursement.services.items():
        if not isinstance(rule.deductible, Silent):
            put(f"reimbursement.{service}.deductible", rule.deductible)
        if not isinstance(rule.cap, Silent):
            put(f"reimbursement.{service}.cap", rule.cap)
        put(f"reimbursement.{service}.ratios", rule.ratios)
    for setting, setting_rule in policy.reimbursement.settings.items():
        put(f"reimbursement.setting.{setting}", setting_rule)
    for number, tilt in enumerate(policy.reimbursement.critical_illness_tilts):
        put(f"reimbursement.critical_illness_tilt.{number}", tilt)
    return index


def nonlocal_rule_ids(policy: Policy) -> list[tuple[str, NonlocalAdmission]]:
    """``eligibility.nonlocal_students``, then ``eligibility.nonlocal_admitted.<n>`` for the further groups."""
    eligibility = policy.eligibility
    pairs = [(f"eligibility.nonlocal_admitted.{n}", a) for n, a in enumerate(eligibility.nonlocal_admitted)]
    if eligibility.nonlocal_students is not None:
        pairs.insert(0, ("eligibility.nonlocal_students", eligibility.nonlocal_students))
    return pairs


@per_policy
def rule_index(policy: Policy) -> dict[str, Cited]:
    return _index(policy)


def fired(policy: Policy, rule_ids: list[str]) -> list[FiredRule]:
    index = rule_index(policy)
    return [FiredRule(rule_id, index[rule_id].clause, index[rule_id].assumption_ids) for rule_id in rule_ids]


def assumptions_of(policy: Policy, rule_ids: list[str]) -> list[Assumption]:
    """The assumptions a result rests on, in the order the policy lists them."""
    index = rule_index(policy)
    used = {assumption for rule_id in rule_ids for assumption in index[rule_id].assumption_ids}
    return [assumption for assumption in policy.assumptions if assumption.id in used]


@dataclass(frozen=True)
class Span:
    """The instants a policy speaks to: from its first window opening to the last day it takes payments."""

    start: datetime
    end: datetime


def policy_span(policy: Policy) -> Span:
    opens = min(instant_opens(w.opens) for w in policy.enrollment.windows)
    last_day: date = policy.benefit_period.end
    if policy.enrollment.late.until is not None:
        last_day = max(last_day, policy.enrollment.late.until)
    last_day = max(last_day, _newborn_last_day(policy))
    closes = max([instant_closes(last_day), *(instant_closes(w.closes) for w in policy.enrollment.windows)])
    return Span(opens, closes)


def _newborn_last_day(policy: Policy) -> date:
    """The last day a baby born by the year's end may still be registered under the plan for cover from birth
    (蓟州: within 90 days; 宁河: within a year); the year's end where the plan bounds neither."""
    year_end = policy.benefit_period.end
    newborn = policy.enrollment.newborn
    if newborn is None or not newborn.registration.anytime:
        return year_end
    born_to = min(newborn.births.born_to or year_end, year_end)
    within = newborn.registration.within
    if within is not None and within.months is not None:
        month = born_to.month - 1 + within.months
        year, month = born_to.year + month // 12, month % 12 + 1
        return max(year_end, date(year, month, min(born_to.day, calendar.monthrange(year, month)[1])))
    if within is not None and within.days is not None:
        return max(year_end, born_to + timedelta(days=within.days))
    days = newborn.benefit.from_birth_if_paid_within_days
    return max(year_end, born_to + timedelta(days=days or 0))
