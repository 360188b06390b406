"""The policy engine's rules again, in plain Python, one resident at a time: a second oracle for the tests and
the per-resident baseline of ``bench/bench_assess.py``.

Written from the plan's model (:mod:`yibao.domain.policy.model`) with no Polars, so a mistake in an expression
of the vectorized engine (a null that slips through a condition, a month added the wrong way) shows as a
difference between the two. It computes what a result says about a resident — eligibility, the reason, the way
in, category, tier, amounts by payer, the benefit tier and dates — not which rules fired. The ID-number check is
the scalar one the engine's bulk check is already held to (``tests/test_idnumber.py``).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from yibao.domain import idnumber
from yibao.domain.errors import YibaoError
from yibao.domain.money import apply_ratio
from yibao.domain.policy.checks import instant_closes, instant_opens
from yibao.domain.policy.memo import per_policy
from yibao.domain.policy.model import AssistedGroup, NonlocalAdmission, Policy
from yibao.domain.timeutil import age_on, as_shanghai

NO_GROUP = -1


@dataclass(frozen=True)
class Resident:
    """One row of the engine's input (:data:`yibao.domain.engine.inputs.RESIDENT_SCHEMA`)."""

    id_number: str
    registered_at: datetime
    paid_at: datetime | None = None
    category: str | None = None
    tier: str | None = None
    identities: tuple[str, ...] = field(default_factory=tuple)
    employee_insurance_ended: date | None = None
    channel: str | None = None
    residency: str | None = None
    in_employee_insurance: bool | None = None

    def as_row(self) -> dict[str, Any]:
        return {**self.__dict__, "identities": list(self.identities)}


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, the month's last day where it has no such day (31 January + 1 month)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class _Window:
    id: str
    applies_to: list[str]
    opens: datetime
    closes: datetime
    channels: list[str] | None  # None: every channel


@dataclass(frozen=True)
class _Facts:
    """What the rules read of a plan, in the plain types they compare with (read once per plan: the plan's
    model turns an amount into fen, a date into an instant, at every access)."""

    windows: list[_Window]
    first_open: datetime
    individual_fen: dict[str, int]
    subsidy_fen: dict[str, int]


@per_policy
def _facts(policy: Policy) -> _Facts:
    windows = [
        _Window(
            w.id,
            list(w.applies_to),
            instant_opens(w.opens),
            instant_closes(w.closes),
            None if w.channels == "all" else list(w.channels),
        )
        for w in policy.enrollment.windows
    ]
    return _Facts(
        windows,
        min(w.opens for w in windows),
        {tier_id: tier.individual.fen for tier_id, tier in policy.tiers.items()},
        {tier_id: tier.government_subsidy.fen for tier_id, tier in policy.tiers.items()},
    )


class _Assessment:
    """One resident under one plan, step by step as a clerk would read the plan."""

    def __init__(self, policy: Policy, resident: Resident) -> None:
        self.policy = policy
        self.facts = _facts(policy)
        self.resident = resident
        self.registered_at = as_shanghai(resident.registered_at)
        self.paid_at = as_shanghai(resident.paid_at) if resident.paid_at is not None else self.registered_at
        self.registered_on = self.registered_at.date()
        self.paid_on = self.paid_at.date()
        self.channel = resident.channel or "individual"
        self.residency = resident.residency or "local_hukou"
        self.identities = set(resident.identities)
        try:
            self.birth: date | None = idnumber.parse(resident.id_number, on=self.registered_on).birth_date
            self.id_valid = True
        except YibaoError:
            self.birth, self.id_valid = None, False

    # --- who -----------------------------------------------------------------------------------------

    def age(self, on: date) -> int:
        assert self.birth is not None
        return age_on(self.birth, on)

    def newborn_qualifies(self) -> bool:
        rule = self.policy.enrollment.newborn
        if rule is None or self.birth is None or self.birth > self.registered_on:
            return False
        births = rule.births
        if (births.born_from and self.birth < births.born_from) or (births.born_to and self.birth > births.born_to):
            return False
        within = rule.registration.within
        if (
            within is not None
            and within.months is not None
            and self.registered_on > add_months(self.birth, within.months)
        ):
            return False
        return not (
            within is not None and within.days is not None and self.registered_on > self.birth + timedelta(within.days)
        )

    def category(self) -> str:
        if self.resident.category is not None:
            return self.resident.category
        if self.policy.enrollment.newborn is not None and self.newborn_qualifies():
            return "newborn"
        bands = self.policy.default_category.by_age
        for band in bands[:-1]:
            if band.below is not None and self.age(self.registered_on) < band.below:
                return band.category
        return bands[-1].category

    def group_matches(self, group: AssistedGroup, category: str) -> bool:
        if group.identities and not self.identities & set(group.identities):
            return False
        if group.age is not None:
            age = self.age(group.age.reference_date or self.registered_on)
            if (group.age.min is not None and age < group.age.min) or (
                group.age.max is not None and age > group.age.max
            ):
                return False
        if group.categories is not None and category not in group.categories:
            return False
        return group.residency is None or self.residency in group.residency

    def tier(self, category: str, matches: list[bool]) -> str | None:
        if self.resident.tier is not None:
            return self.resident.tier
        for group, matched in zip(self.policy.assisted.groups, matches, strict=True):
            if group.enrolled_tier is None or not matched:
                continue
            allowing = [name for name, rule in self.policy.categories.items() if group.enrolled_tier.tier in rule.tiers]
            if category in allowing:
                return group.enrolled_tier.tier
        rule = self.policy.categories.get(category)  # type: ignore[call-overload]
        return rule.default_tier.tier if rule is not None else None

    # --- when ----------------------------------------------------------------------------------------

    def _in_window(self, window: _Window, moment: datetime, *, channel_matters: bool = True) -> bool:
        if not window.opens <= moment <= window.closes:
            return False
        return not channel_matters or window.channels is None or self.channel in window.channels

    def _window(self, kind: str, moment: datetime) -> str | None:
        windows = [w for w in self.facts.windows if kind in w.applies_to]
        return next((w.id for w in windows if self._in_window(w, moment)), None)

    def newborn_start(self) -> date | None:
        rule = self.policy.enrollment.newborn
        if rule is None or self.birth is None:
            return None
        from_birth = max(self.birth, rule.benefit.not_before) if rule.benefit.not_before else self.birth
        days = rule.benefit.from_birth_if_paid_within_days
        if days is None or self.paid_on <= self.birth + timedelta(days):
            return from_birth
        return self.paid_on + timedelta(rule.benefit.otherwise_starts_days_after_payment)

    def path(self, category: str) -> str | None:
        policy = self.policy
        year_end = policy.benefit_period.end
        rule = policy.enrollment.newborn
        newborn = rule is not None and rule.registration.anytime and category == "newborn" and self.newborn_qualifies()
        start = self.newborn_start()
        if newborn and start is not None and start < policy.benefit_period.start:
            return "newborn"
        if self._window("registration", self.registered_at) and self._window("payment", self.paid_at):
            return "regular"
        if newborn:
            return "newborn"
        continuation, ended = policy.enrollment.continuation, self.resident.employee_insurance_ended
        if (
            continuation is not None
            and ended is not None
            and ended <= self.registered_on <= add_months(ended, continuation.within_months)
            and self.paid_on <= year_end
        ):
            return "continuation"
        late = policy.enrollment.late
        if late.accepted and self.registered_at >= self.facts.first_open and self.paid_on <= (late.until or year_end):
            return "late"
        return None

    def window_reason(self) -> str:
        registration = [w for w in self.facts.windows if "registration" in w.applies_to]
        if self.registered_at < self.facts.first_open:
            return "window_not_open"
        if any(self._in_window(w, self.registered_at) for w in registration):
            return "payment_closed"
        if any(self._in_window(w, self.registered_at, channel_matters=False) for w in registration):
            return "channel_closed"
        return "registration_closed"

    def benefit_start(self, path: str | None) -> date | None:
        period = self.policy.benefit_period
        start: date | None = None
        if path == "regular":
            start = period.start
        elif path == "newborn":
            start = self.newborn_start()
        elif path == "continuation" and self.policy.enrollment.continuation is not None:
            days = self.policy.enrollment.continuation.benefit_starts_days_after_payment
            start = max(self.paid_on + timedelta(days), period.start)
        elif path == "late":
            start = max(
                self.paid_on + timedelta(self.policy.enrollment.late.benefit_starts_days_after_payment), period.start
            )
        candidates = [day for day in (start, self.birth) if day is not None]
        return max(candidates) if candidates else None  # nobody is covered before they are born

    # --- why not -------------------------------------------------------------------------------------

    def _admitted(self, admission: NonlocalAdmission, category: str) -> bool:
        return category in admission.categories and (admission.channels is None or self.channel in admission.channels)

    def blocking_reason(self, category: str, tier: str | None) -> str | None:
        policy = self.policy
        if not self.id_valid:
            return "id_number_invalid"
        rule = policy.categories.get(category)  # type: ignore[call-overload]
        if rule is None:
            return "category_not_in_policy"
        admitted = any(self._admitted(a, category) for a in policy.eligibility.nonlocal_admissions)
        if self.residency not in policy.eligibility.residency.accepted and not admitted:
            return "residency_not_accepted"
        if self.resident.in_employee_insurance:
            return "in_employee_insurance"
        if rule.min_age is not None and self.age(self.registered_on) < rule.min_age.value:
            return "under_category_min_age"
        if tier is not None and tier not in rule.tiers:
            return "tier_not_allowed"
        return None

    # --- how much ------------------------------------------------------------------------------------

    def group_amount(self, group: AssistedGroup, individual: int) -> int:
        basis = individual if group.basis_tier is None else self.facts.individual_fen[group.basis_tier.tier]
        if group.lost_above_basis_tier is not None and individual > basis:
            return 0
        return min(apply_ratio(basis, group.share.value), individual)

    def best_group(self, matches: list[bool], individual: int | None) -> tuple[int | None, int]:
        """The group that pays the most (the earlier one on a tie) and its amount."""
        best_index: int | None = None
        best_amount = NO_GROUP
        for index, (group, matched) in enumerate(zip(self.policy.assisted.groups, matches, strict=True)):
            if matched and individual is not None:
                amount = self.group_amount(group, individual)
                if amount > best_amount:
                    best_index, best_amount = index, amount
        return best_index, max(best_amount, 0)

    def payer_parts(self, group_index: int | None, amount: int) -> dict[str, int]:
        parts = dict.fromkeys(self.policy.payers, 0)
        if group_index is None:
            return parts
        shares = self.policy.assisted.groups[group_index].payers
        for share in shares[:-1]:
            parts[share.payer] = apply_ratio(amount, share.share)
        parts[shares[-1].payer] = amount - sum(apply_ratio(amount, share.share) for share in shares[:-1])
        return parts

    def benefit_tier(self, group_index: int | None, category: str, tier: str) -> str:
        if group_index is not None:
            group = self.policy.assisted.groups[group_index]
            if group.benefit_tier is not None and (group.enrolled_tier is None or tier == group.enrolled_tier.tier):
                return group.benefit_tier.tier
        rule = self.policy.categories[category]  # type: ignore[index]
        return rule.benefit_tier.tier if rule.benefit_tier is not None else tier

    def result(self) -> dict[str, Any]:
        policy = self.policy
        if not self.id_valid:
            return {"eligible": False, "reason": "id_number_invalid"}
        category = self.category()
        matches = [self.group_matches(group, category) for group in policy.assisted.groups]
        tier = self.tier(category, matches)
        path = self.path(category)
        reason = self.blocking_reason(category, tier) or (self.window_reason() if path is None else None)
        start = self.benefit_start(path)
        if reason is None and start is not None and start > policy.benefit_period.end:
            reason = "no_cover_left"
        if reason is not None:
            return {"eligible": False, "reason": reason, "path": path, "category": category, "tier": tier}
        assert tier is not None
        individual = self.facts.individual_fen[tier]
        government = self.facts.subsidy_fen[tier]
        group_index, assisted = self.best_group(matches, individual)
        financing = individual + government
        late = policy.enrollment.late
        if path == "late" and late.pays_full_financing:
            government = 0
        if path == "late" and not late.keeps_assisted_subsidy:
            assisted = 0
        extras = [
            extra.id
            for extra in policy.benefit_period.extras
            if category in extra.categories
            and (extra.channels is None or self.channel in [*extra.channels, "individual"])
        ]
        return {
            "eligible": True,
            "reason": None,
            "path": path,
            "category": category,
            "tier": tier,
            "benefit_tier": self.benefit_tier(group_index, category, tier),
            "financing_total_fen": financing,
            "government_subsidy_fen": government,
            "assisted_group": policy.assisted.groups[group_index].id if group_index is not None and assisted else None,
            "assisted_subsidy_fen": assisted,
            "individual_due_fen": financing - government - assisted,
            "benefit_start": start,
            "benefit_end": policy.benefit_period.end,
            "extra_benefit_periods": extras,
            **{f"assisted_fen__{payer}": part for payer, part in self.payer_parts(group_index, assisted).items()},
        }


def assess_one(policy: Policy, resident: Resident) -> dict[str, Any]:
    """What the plan says of one resident: for an eligible one every result column, for one who is not the
    reason (and, where the ID number reads, the way in, category and tier the engine reports with it)."""
    return _Assessment(policy, resident).result()
