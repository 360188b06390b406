"""Grouped assessment: concurrent callers each get exactly their own rows back, the same figures as a run of their
own, and one caller's bad rows never become another caller's error."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any

import pytest

from yibao.domain import idnumber
from yibao.domain.policy import Policy
from yibao.domain.timeutil import parse_instant
from yibao.services.policy.plans import get_policy
from yibao.services.registry.assessment import AssessInput, _assess_now, assess_inputs
from yibao.services.registry.assessment_group import AssessmentGroup

REGISTERED = parse_instant("2017-11-15T09:00:00+08:00")


def household(number: int) -> list[AssessInput]:
    born = [date(1950, 1, 1), date(1985, 6, 1), date(2009 + number % 8, 3, 1)]
    identities = [("dibao",), (), ()] if number % 3 == 0 else [(), (), ()]
    categories = ["adult", "adult", "student"] if number % 2 else ["adult", "adult", "child"]
    return [
        AssessInput(idnumber.make("120119", birth, 2 * number + 1), REGISTERED, category, None, flags, "village")
        for birth, category, flags in zip(born, categories, identities, strict=True)
    ]


def test_concurrent_households_get_their_own_figures() -> None:
    policy = get_policy("tianjin-jizhou-2018")
    households = [household(number) for number in range(40)]
    alone = [_assess_now(policy, members) for members in households]
    with ThreadPoolExecutor(8) as pool:
        grouped = list(pool.map(lambda members: assess_inputs(policy, members), households))
    assert grouped == alone
    assert sum(row["eligible"] for rows in grouped for row in rows) == 120
    assert {row["id_number"] for rows in grouped for row in rows} == {
        item.id_number for members in households for item in members
    }


class _Gate:
    """A fake engine whose first run waits until the test has queued more callers, so they are grouped."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.runs: list[list[Any]] = []

    def __call__(self, _policy: Policy, inputs: list[Any]) -> list[dict[str, Any]]:
        if not self.runs:
            self.runs.append(list(inputs))
            self.release.wait(timeout=10)
        else:
            self.runs.append(list(inputs))
        if "bad" in inputs:
            raise ValueError("a bad row")
        return [{"input": item} for item in inputs]


def test_callers_queued_together_share_one_run_and_a_bad_row_fails_only_its_caller() -> None:
    gate = _Gate()
    group = AssessmentGroup(gate)
    policy = get_policy("tianjin-jizhou-2018")
    with ThreadPoolExecutor(4) as pool:
        first = pool.submit(group.assess, policy, ["a"])
        while not gate.runs:  # the engine thread is busy with the first caller ...
            threading.Event().wait(0.01)
        later = [pool.submit(group.assess, policy, rows) for rows in (["b", "c"], ["bad"], ["d"])]
        threading.Event().wait(0.2)  # ... while the others queue up behind it
        gate.release.set()
        assert first.result() == [{"input": "a"}]
        assert later[0].result() == [{"input": "b"}, {"input": "c"}]
        with pytest.raises(ValueError, match="a bad row"):
            later[1].result()
        assert later[2].result() == [{"input": "d"}]
    # The three queued callers went in as one run, which failed, then each alone.
    assert gate.runs[1] == ["b", "c", "bad", "d"]
    assert gate.runs[2:] == [["b", "c"], ["bad"], ["d"]]
