"""Scenario files (tests/scenarios/*.yaml): a resident in, the quote's fields out, from the plans' numbers."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from yibao.domain import idnumber
from yibao.domain.timeutil import parse_instant
from yibao.services.policy.plans import get_policy
from yibao.services.policy.quotes import QuoteRequest, quote

SCENARIOS = sorted((Path(__file__).parent / "scenarios").glob("*.yaml"))


def _cases() -> list[Any]:
    params = []
    for path in SCENARIOS:
        document = yaml.safe_load(path.read_text("utf-8"))
        for case in document["cases"]:
            params.append(pytest.param(document["policy"], case, id=f"{document['policy']}: {case['name']}"))
    return params


def _instant(value: Any) -> Any:
    return parse_instant(value.isoformat() if isinstance(value, date) else str(value))


def build_request(policy_id: str, resident: dict[str, Any]) -> QuoteRequest:
    region = resident.get("region", get_policy(policy_id).region.code)
    return QuoteRequest(
        policy_id=policy_id,
        id_number=resident.get("id_number") or idnumber.make(region, resident["birth"], resident.get("sequence", 21)),
        registered_at=_instant(resident["as_of"]),
        paid_at=_instant(resident["paid_at"]) if "paid_at" in resident else None,
        category=resident.get("category"),
        tier=resident.get("tier"),
        identities=tuple(resident.get("identities", ())),
        employee_insurance_ended=resident.get("employee_insurance_ended"),
        channel=resident.get("channel"),
        residency=resident.get("residency"),
    )


def test_every_bundled_policy_has_scenarios() -> None:
    from yibao.adapters.policy_files import bundled_ids

    assert sorted(path.stem for path in SCENARIOS) == bundled_ids()


@pytest.mark.parametrize(("policy_id", "case"), _cases())
def test_scenario(policy_id: str, case: dict[str, Any]) -> None:
    result = quote(build_request(policy_id, case["resident"]))
    for key, expected in case.get("expect", {}).items():
        assert result[key] == expected, f"{key}: {result[key]!r} != {expected!r}"
    rule_ids = [rule["id"] for rule in result["rules"]]
    for rule_id in case.get("rules_include", []):
        assert rule_id in rule_ids
    assumption_ids = [assumption["id"] for assumption in result["assumptions"]]
    for assumption_id in case.get("assumptions_include", []):
        assert assumption_id in assumption_ids
    if "extra_periods" in case:
        assert [extra["id"] for extra in result["extra_benefit_periods"]] == case["extra_periods"]
    for code in case.get("warnings_include", []):
        assert code in [warning["code"] for warning in result["warnings"]]
    if result["eligible"]:
        # Every fen of the financing is accounted for by exactly one payer.
        assert (
            result["individual_due_fen"] + result["government_subsidy_fen"] + result["assisted_subsidy_fen"]
            == result["financing_total_fen"]
        )
        assert sum(result["assisted_by_payer_fen"].values()) == result["assisted_subsidy_fen"]
    else:
        assert result["reason"] and result["individual_due_fen"] is None


def _documents() -> list[dict[str, Any]]:
    return [yaml.safe_load(path.read_text("utf-8")) for path in SCENARIOS]


@pytest.mark.parametrize("document", _documents(), ids=lambda document: document["policy"])
def test_quoted_sentences_are_the_plans(document: dict[str, Any]) -> None:
    """A case's ``plan_says`` is the plan's own sentence, word for word (whitespace aside)."""
    from yibao.adapters.policy_files import bundled_source

    text = _squash(bundled_source(document["policy"]) or "")
    for case in document["cases"]:
        if "plan_says" in case:
            assert _squash(case["plan_says"]) in text, f"{case['name']}: {case['plan_says']!r} is not in the plan"


@pytest.mark.parametrize("document", _documents(), ids=lambda document: document["policy"])
def test_every_assumption_is_exercised(document: dict[str, Any]) -> None:
    """Each assumption of the plan is shown doing what its statement says: by a scenario whose quote rests on it
    (``assumptions_include``, checked by :func:`test_scenario`), or by the named test of another path (progress,
    reimbursement) listed under ``assumptions_exercised_elsewhere``."""
    policy = get_policy(document["policy"])
    by_scenario = {assumption for case in document["cases"] for assumption in case.get("assumptions_include", [])}
    elsewhere: dict[str, str] = document.get("assumptions_exercised_elsewhere", {})
    for assumption, test in elsewhere.items():
        path, _, name = test.partition("::")
        assert f"def {name}(" in (Path(__file__).parent.parent / path).read_text("utf-8"), f"{assumption}: {test}"
    missing = [a.id for a in policy.assumptions if a.id not in by_scenario and a.id not in elsewhere]
    assert not missing, f"assumptions no scenario exercises: {missing}"
    unknown = (by_scenario | set(elsewhere)) - {a.id for a in policy.assumptions}
    assert not unknown


def _squash(text: str) -> str:
    return "".join(text.split())
