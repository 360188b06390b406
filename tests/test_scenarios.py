"""Scenario files (tests/scenarios/*.yaml): a resident in, the quote's fields out, from the plans' numbers."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import Engine

from principals import admin, operator
from yibao.adapters.db.database import session_factory
from yibao.adapters.db.tables import IdentityFlag
from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.domain import idnumber
from yibao.domain.errors import YibaoError
from yibao.domain.timeutil import parse_instant
from yibao.services.policy.campaigns import open_campaign
from yibao.services.policy.plans import get_policy
from yibao.services.policy.quotes import QuoteRequest, ReimburseRequest, quote, reimburse
from yibao.services.registry.areas import seed_district
from yibao.services.registry.households import HouseholdEnrollment, Member, enroll_household_view

SCENARIOS = sorted((Path(__file__).parent / "scenarios").glob("*.yaml"))


def _cases(kind: str = "quote") -> list[Any]:
    """The cases of one kind: ``quote`` (the default: a resident quoted under the plan) or ``counter`` (a
    household registered at the counter of a seeded district, where what the registry holds matters)."""
    params = []
    for path in SCENARIOS:
        document = yaml.safe_load(path.read_text("utf-8"))
        for case in document["cases"]:
            if case.get("kind", "quote") == kind:
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


@pytest.mark.parametrize(("policy_id", "case"), _cases("counter"))
def test_counter_scenario(engine: Engine, policy_id: str, case: dict[str, Any]) -> None:
    """At the counter of the plan's district (SQLite and PostgreSQL): the member's figures, and the identities
    still waiting for a department's list with what the plan does with them meanwhile."""
    policy = get_policy(policy_id)
    resident = case["resident"]
    at = _instant(resident["as_of"])
    township = resident["township"]
    with UnitOfWork(session_factory(engine), actor="admin", now=at) as work:
        seed_district(work, policy.region.code)  # the whole district: a plan narrower than it refuses the rest
        open_campaign(work, None, policy_id)
    member = Member(
        idnumber.make(policy.region.code, resident["birth"], 31),
        "张桂兰",
        "户主",
        identities=tuple(resident.get("identities", ())),
        evidence=resident.get("evidence"),
    )
    request = HouseholdEnrollment(policy_id, township, resident.get("channel", "village"), at, (member,))
    if "refused" in case:
        with UnitOfWork(session_factory(engine), actor="clerk", now=at) as work, pytest.raises(YibaoError) as raised:
            enroll_household_view(work, operator(township), request)
        assert raised.value.code == case["refused"]
        return
    with UnitOfWork(session_factory(engine), actor="clerk", now=at) as work:
        (answer,) = enroll_household_view(work, operator(township), request).members
    for key, expected in case.get("expect", {}).items():
        found = getattr(answer.enrollment, key) if hasattr(answer.enrollment, key) else getattr(answer, key)
        assert found == expected, f"{key}: {found!r} != {expected!r}"
    for words in case.get("told", []):
        assert words in (answer.pending_note or ""), answer.pending_note


@pytest.mark.parametrize(("policy_id", "case"), _cases("progress"))
def test_progress_scenario(engine: Engine, policy_id: str, case: dict[str, Any]) -> None:
    """The progress report of the plan's district (SQLite and PostgreSQL) once the case's people are enrolled and
    paid — with the plan's target table loaded, and the statistical base where the case loads one."""
    from datetime import timedelta

    from test_progress import add_enrolled
    from yibao.services.progress.report import progress_report
    from yibao.services.progress.statistics import load_population_counts
    from yibao.services.progress.targets import load_policy_targets

    policy = get_policy(policy_id)
    at, township, district = _instant(case["as_of"]), case["township"], admin(f"{policy.region.code}000000")
    with UnitOfWork(session_factory(engine), actor="admin", now=at) as work:
        seed_district(work, policy.region.code, policy.region.townships)
        open_campaign(work, None, policy_id)
    if policy.targets.township_table is not None:
        with UnitOfWork(session_factory(engine), actor="admin", now=at) as work:
            load_policy_targets(work, district, policy_id)
    with UnitOfWork(session_factory(engine), actor="sim", now=at) as work:
        for index, person in enumerate(case["enrolled"]):
            number = idnumber.make(policy.region.code, person["birth"], 300 + index)
            moment = at - timedelta(days=1)
            resident_id = add_enrolled(
                work, number, township, moment, paid=moment, policy=policy_id, category=person["category"]
            )
            for identity, department in person.get("certified", {}).items():  # as a department's list records it
                work.session.add(IdentityFlag(resident_id=resident_id, identity=identity, source=department))
        work.commit()
    if "base" in case:
        sheet = "镇（街）,人数\n" + "".join(f"{name},{count}\n" for name, count in case["base"]["counts"].items())
        with UnitOfWork(session_factory(engine), actor="admin", now=at) as work:
            load_population_counts(
                work, district, policy.insurance_year, "general", "统计数.csv", sheet.encode(), case["base"]["source"]
            )
    with UnitOfWork(session_factory(engine), actor="admin", now=at) as work:
        report = progress_report(work, district, at.date())
    if "paid_by_category" in case:
        unit = next(unit for unit in report.units if unit.area_code == township)
        assert unit.paid_by_category == case["paid_by_category"]
    if "goal" in case:
        goal = next(goal for goal in report.goals if goal.id == case["goal"]["id"])
        for key, expected in case["goal"].items():
            assert getattr(goal, key) == expected, f"{key}: {getattr(goal, key)!r} != {expected!r}"


@pytest.mark.parametrize(("policy_id", "case"), _cases("reimburse"))
def test_reimburse_scenario(policy_id: str, case: dict[str, Any]) -> None:
    """A claim estimated under the plan: the figure, or 方案未规定 where the plan leaves out what the sum needs."""
    claim = case["claim"]
    request = ReimburseRequest(
        policy_id=policy_id,
        benefit_tier=claim["benefit_tier"],
        service=claim["service"],
        hospital_level=str(claim["hospital_level"]),
        expense_fen=claim["expense_fen"],
        setting=claim.get("setting"),
    )
    result = reimburse(request)
    for key, expected in case["expect"].items():
        assert result[key] == expected, f"{key}: {result[key]!r} != {expected!r}"
    rule_ids = [rule["id"] for rule in result["rules"]]
    assert all(rule_id in rule_ids for rule_id in case.get("rules_include", []))


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
    # A counter case shows its assumptions by what the clerk is told (``told``), a quote case by its result.
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
