"""`yibao reimburse`: the answer's contract, 静海's ratios, 方案未规定 where a plan leaves out what the sum needs
(and the figure once its file supplies it), and the settings a claim may arise in (a pharmacy, an emergency
observation)."""

from __future__ import annotations

import json

import polars as pl
import pytest

from test_cli import run


def test_reimburse_contract() -> None:
    code, out = run(
        "reimburse",
        "--policy",
        "tianjin-jinghai-2022",
        "--benefit-tier",
        "high",
        "--service",
        "outpatient",
        "--hospital-level",
        "1",
        "--expense-fen",
        "200000",
        "--json",
    )
    assert code == 0
    result = json.loads(out)
    assert {"reimbursed_fen", "deductible_fen", "ratio", "cap_fen", "rules", "assumptions"} <= result.keys()
    assert (result["deductible_fen"], result["ratio"], result["cap_fen"], result["reimbursed_fen"]) == (
        60000,
        "0.55",
        400000,
        77000,
    )


@pytest.mark.parametrize(
    ("tier", "service", "level", "expense", "ytd", "reimbursed", "cap"),
    [
        ("low", "outpatient", "3", 100000, 0, 18000, 400000),  # (1000 - 600) × 45 %
        ("high", "outpatient", "1", 2000000, 390000, 10000, 400000),  # only 100 yuan left under the 4000 cap
    ],
)
def test_reimburse_jinghai_ratios(
    tier: str, service: str, level: str, expense: int, ytd: int, reimbursed: int, cap: int | None
) -> None:
    code, out = run(
        "reimburse",
        "--policy",
        "tianjin-jinghai-2022",
        "--benefit-tier",
        tier,
        "--service",
        service,
        "--hospital-level",
        level,
        "--expense-fen",
        str(expense),
        "--ytd-reimbursed-fen",
        str(ytd),
        "--json",
    )
    assert code == 0, out
    result = json.loads(out)
    assert (result["reimbursed_fen"], result["cap_fen"]) == (reimbursed, cap)
    # The third level's ratio is for the one hospital the insured chose, which a quote cannot check.
    assert "outpatient-level-3" in [assumption["id"] for assumption in result["assumptions"]]


def _reimburse(policy: str, tier: str, service: str, level: str, *extra: str) -> tuple[int, str]:
    arguments = ["--policy", policy, "--benefit-tier", tier, "--service", service, "--hospital-level", level]
    return run("reimburse", *arguments, "--expense-fen", "1000000", *extra)


@pytest.mark.parametrize(
    ("tier", "service", "level", "ratio"),
    [
        ("high", "special_disease", "1", "0.65"),
        ("low", "special_disease", "3", "0.45"),
        ("high", "inpatient", "2", "0.80"),
    ],
)
def test_reimburse_answers_policy_silent_without_a_deductible_or_cap(
    tier: str, service: str, level: str, ratio: str
) -> None:
    """静海 gives the special-disease and inpatient ratios, not their deductibles or caps: no figure too high."""
    code, out = _reimburse("tianjin-jinghai-2022", tier, service, level, "--json")
    result = json.loads(out)
    assert code == 0, out
    assert (result["computed"], result["code"], result["ratio"]) == (False, "POLICY_SILENT", ratio)
    assert result["reimbursed_fen"] is None and result["silent_on"] == ["deductible", "cap"]
    code, out = _reimburse("tianjin-jinghai-2022", tier, service, level)
    assert code == 0 and "未规定" in out and "起付标准和最高支付限额" in out and "市医保规定" in out


def test_reimburse_computes_once_the_plan_file_supplies_the_values() -> None:
    from yibao.adapters.policy_files import _BUNDLED, parse_text
    from yibao.domain.engine.reimburse import reimburse as reimburse_claims

    text = _BUNDLED.joinpath("tianjin-jinghai-2022.yaml").read_text("utf-8")
    silent = (
        "deductible: {silent: true, note: 起付标准以市医保规定为准}\n"
        "      cap: {silent: true, note: 最高支付限额以市医保规定为准}"
    )
    assert text.count(silent) == 2
    supplied = (
        "deductible: {yuan: 800, per: admission, assumption: outpatient-level-3}\n"
        "      cap: {yuan: 180000, assumption: outpatient-level-3}"
    )
    policy = parse_text(text.replace(silent, supplied), "jinghai-with-values.yaml")
    claim = pl.DataFrame(
        {"benefit_tier": ["high"], "service": ["inpatient"], "hospital_level": ["2"], "expense_fen": [1000000]}
    )
    row = reimburse_claims(policy, claim).row(0, named=True)
    assert row["computed"] and (row["deductible_fen"], row["reimbursed_fen"]) == (80000, 736000)  # (10000 − 800) × 80 %


def test_reimburse_at_a_pharmacy_or_after_emergency_observation() -> None:
    """静海: a pharmacy's purchase follows the prescribing institution; 急诊抢救留观 before admission follows the
    inpatient rule (whose deductible and cap the plan leaves to the city: 方案未规定)."""
    code, out = _reimburse("tianjin-jinghai-2022", "low", "outpatient", "3", "--setting", "pharmacy", "--json")
    result = json.loads(out)
    assert (
        code == 0 and result["computed"] and (result["reimbursed_fen"], result["capped"]) == (400000, True)
    )  # 4000 cap
    assert "reimbursement.setting.pharmacy" in [rule["id"] for rule in result["rules"]]
    code, out = _reimburse(
        "tianjin-jinghai-2022", "high", "outpatient", "2", "--setting", "emergency_observation", "--json"
    )
    result = json.loads(out)
    assert code == 0 and (result["service"], result["ratio"], result["code"]) == ("inpatient", "0.80", "POLICY_SILENT")
    code, out = _reimburse("tianjin-jinghai-2022", "high", "inpatient", "2", "--setting", "pharmacy", "--json")
    assert code == 2 and json.loads(out)["error"]["code"] == "SETTING_SERVICE"
    code, out = _reimburse("tianjin-jizhou-2018", "high", "outpatient", "1", "--setting", "pharmacy", "--json")
    result = json.loads(out)
    assert code == 0 and (result["computed"], result["silent_on"]) == (False, ["setting"])  # 蓟州 says nothing of it


def test_reimburse_a_service_the_plan_does_not_cover() -> None:
    code, out = _reimburse("tianjin-jizhou-2018", "high", "inpatient", "1", "--json")
    result = json.loads(out)
    assert code == 0 and (result["computed"], result["code"], result["silent_on"]) == (
        False,
        "POLICY_SILENT",
        ["service"],
    )
