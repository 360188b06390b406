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
