"""The vectorized engine against a second oracle: the same plan's rules written again in plain Python, one
resident at a time (``reference_engine.py``), over every bundled plan and residents of every kind — any birth
date (newborns at the edges of the newborn rules), registration and payment instants before, in and after the
windows, chosen categories and tiers, identities of the plan's groups, channels, residencies, continuation from
employee insurance, and broken ID numbers.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reference_engine import Resident, add_months, assess_one
from yibao.domain import idnumber
from yibao.domain.engine.assess import assess
from yibao.domain.policy.checks import instant_closes, instant_opens
from yibao.domain.policy.model import Policy
from yibao.domain.timeutil import SHANGHAI
from yibao.domain.vocabulary import CATEGORIES, CHANNELS, RESIDENCIES
from yibao.services.policy.plans import get_policy, list_policies

PLANS = [summary.id for summary in list_policies() if summary.source == "bundled"]


def _identities(policy: Policy) -> list[str]:
    named = {code for group in policy.assisted.groups for code in group.identities}
    return sorted(named | {"dibao", "youfu"})


def _span(policy: Policy) -> tuple[datetime, int]:
    """From a month before the first window opens to a year after cover ends, in minutes."""
    opens = min(w.opens for w in policy.enrollment.windows)
    first = opens.date() if isinstance(opens, datetime) else opens
    start = datetime.combine(first - timedelta(days=30), datetime.min.time(), SHANGHAI)
    end = datetime.combine(policy.benefit_period.end + timedelta(days=400), datetime.min.time(), SHANGHAI)
    return start, int((end - start).total_seconds() // 60)


def _id_number(policy: Policy, birth: date, sequence: int, broken: bool) -> str:
    number = idnumber.make(policy.region.code, birth, sequence)
    if broken:  # a wrong check character
        return number[:17] + ("0" if number[17] != "0" else "1")
    return number


def _in_window(policy: Policy, window_index: int, fraction: float) -> datetime:
    """An instant ``fraction`` of the way through one of the plan's windows."""
    window = policy.enrollment.windows[window_index % len(policy.enrollment.windows)]
    opens, closes = instant_opens(window.opens), instant_closes(window.closes)
    return opens + (closes - opens) * fraction


def _newborn_edges(policy: Policy, registered_on: date) -> list[date]:
    """Births that put a registration on the last day the newborn rule allows, or the day after."""
    rule = policy.enrollment.newborn
    within = rule.registration.within if rule is not None else None
    births = [registered_on]
    if within is not None and within.days is not None:
        births += [registered_on - timedelta(days=within.days), registered_on - timedelta(days=within.days + 1)]
    if within is not None and within.months is not None:
        last = add_months(registered_on, -within.months)
        births += [last, last - timedelta(days=1)]
    return births


@st.composite
def residents(draw: st.DrawFn, policy: Policy) -> Resident:
    start, minutes = _span(policy)
    anywhere = st.integers(0, minutes).map(lambda m: start + timedelta(minutes=m))
    in_a_window = st.builds(partial(_in_window, policy), st.integers(0, 9), st.floats(0, 1))
    registered = draw(anywhere | in_a_window)
    year = policy.benefit_period.start
    # Births of any age, and many near the insurance year and the registration, where the newborn rules and the
    # age bands' edges lie (the last day a newborn may be registered, and the day after).
    recent = st.dates(date(year.year - 20, 1, 1), policy.benefit_period.end + timedelta(days=60))
    babies = (st.integers(0, 60) | st.integers(0, 800)).map(lambda days: registered.date() - timedelta(days=days))
    edges = st.sampled_from(_newborn_edges(policy, registered.date()))
    birth = draw(st.one_of(recent, babies, edges, st.dates(date(1925, 1, 1), policy.benefit_period.end)))
    paid_after = st.integers(0, 300 * 24 * 60).map(lambda m: registered + timedelta(minutes=m))
    ended = st.dates(registered.date() - timedelta(days=200), registered.date() + timedelta(days=10))
    return Resident(
        id_number=_id_number(
            policy, birth, draw(st.integers(0, 999)), broken=draw(st.sampled_from([False] * 9 + [True]))
        ),
        registered_at=registered,
        paid_at=draw(st.none() | paid_after),
        category=draw(st.none() | st.none() | st.sampled_from(sorted(CATEGORIES))),
        tier=draw(st.none() | st.sampled_from(sorted(policy.tiers))),
        identities=tuple(draw(st.lists(st.sampled_from(_identities(policy)), max_size=2, unique=True))),
        employee_insurance_ended=draw(st.none() | ended),
        channel=draw(st.none() | st.sampled_from(sorted(CHANNELS))),
        residency=draw(st.none() | st.none() | st.sampled_from(sorted(RESIDENCIES))),
        in_employee_insurance=draw(st.sampled_from([None, None, False, True])),
    )


def _frame(people: list[Resident]) -> pl.DataFrame:
    return pl.DataFrame(
        [person.as_row() for person in people],
        schema_overrides={"identities": pl.List(pl.String), "employee_insurance_ended": pl.Date},
    )


def _differences(policy: Policy, people: list[Resident]) -> list[tuple[Resident, str, Any, Any]]:
    engine = assess(policy, _frame(people))
    found = []
    for person, row in zip(people, engine.iter_rows(named=True), strict=True):
        for key, expected in assess_one(policy, person).items():
            if row[key] != expected:
                found.append((person, key, expected, row[key]))
    return found


@pytest.mark.parametrize("policy_id", PLANS)
def test_the_engine_agrees_with_the_plain_python_rules(policy_id: str) -> None:
    policy = get_policy(policy_id)

    @settings(max_examples=60, deadline=None)
    @given(st.lists(residents(policy), min_size=1, max_size=16))
    def check(people: list[Resident]) -> None:
        assert _differences(policy, people) == []

    check()


@pytest.mark.parametrize("policy_id", PLANS)
def test_thousands_of_residents_at_once(policy_id: str) -> None:
    """The same over a large frame (the optimizer runs above a counter household's size), from a fixed seed."""
    policy = get_policy(policy_id)
    people = []
    rng = random.Random(policy_id)
    start, minutes = _span(policy)
    groups = _identities(policy)
    for _ in range(3000):
        if rng.random() < 0.5:
            registered = _in_window(policy, rng.randrange(10), rng.random())
        else:
            registered = start + timedelta(minutes=rng.randrange(minutes))
        birth = date(rng.randrange(1925, policy.insurance_year + 1), rng.randrange(1, 13), rng.randrange(1, 29))
        people.append(
            Resident(
                id_number=_id_number(policy, birth, rng.randrange(1000), rng.random() < 0.02),
                registered_at=registered,
                paid_at=registered + timedelta(hours=rng.randrange(0, 2000)) if rng.random() < 0.4 else None,
                tier=rng.choice([None, None, *policy.tiers]),
                identities=tuple(rng.sample(groups, rng.choice([0, 0, 0, 0, 1, 2]))),
                channel=rng.choice([None, None, *CHANNELS]),
                residency=rng.choice([None, None, None, *RESIDENCIES]),
            )
        )
    assert _differences(policy, people) == []


def test_months_added_as_the_engine_adds_them() -> None:
    assert add_months(date(2018, 1, 31), 1) == date(2018, 2, 28)
    assert add_months(date(2019, 12, 15), 3) == date(2020, 3, 15)
    days = pl.Series([date(2018, 1, 31), date(2020, 1, 31), date(2019, 12, 15), date(2019, 8, 31)])
    for months in (1, 3, 6, 12):
        shifted = days.dt.offset_by(f"{months}mo").to_list()
        assert shifted == [add_months(day, months) for day in days.to_list()]
