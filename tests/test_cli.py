"""The CLI contract of `yibao quote` (other tools script against it; `yibao reimburse` is in test_reimburse_cli), and
policy commands."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from yibao.domain import idnumber
from yibao.domain.policy.uses import assumption_uses
from yibao.entrypoints.cli.app import app
from yibao.services.policy.plans import get_policy

runner = CliRunner()
QUOTE_KEYS = {
    "policy",
    "eligible",
    "reason",
    "category",
    "tier",
    "benefit_tier",
    "financing_total_fen",
    "government_subsidy_fen",
    "assisted_subsidy_fen",
    "assisted_by_payer_fen",
    "individual_due_fen",
    "benefit_start",
    "benefit_end",
    "rules",
    "assumptions",
}


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout


def test_quote_json_contract() -> None:
    number = idnumber.make("120119", __import__("datetime").date(1980, 1, 1), 11)
    code, out = run(
        "quote",
        "--policy",
        "tianjin-jizhou-2018",
        "--id-number",
        number,
        "--as-of",
        "2017-10-21",
        "--tier",
        "middle",
        "--json",
    )
    assert code == 0
    result = json.loads(out)
    assert result.keys() >= QUOTE_KEYS
    assert result["individual_due_fen"] == 44000
    assert all({"id", "clause"} <= rule.keys() for rule in result["rules"])
    assert number not in out  # the full ID number is never printed


def test_quote_with_identity_and_paid_at() -> None:
    number = idnumber.make("120117", __import__("datetime").date(1970, 8, 8), 11)
    code, out = run(
        "quote",
        "--policy",
        "tianjin-ninghe-2023",
        "--id-number",
        number,
        "--as-of",
        "2022-10-10",
        "--paid-at",
        "2022-10-11T09:00",
        "--identity",
        "severe_disability",
        "--json",
    )
    assert code == 0 and json.loads(out)["individual_due_fen"] == 3500


def test_not_eligible_exits_zero() -> None:
    number = idnumber.make("120119", __import__("datetime").date(1980, 1, 1), 11)
    code, out = run(
        "quote", "--policy", "tianjin-jizhou-2018", "--id-number", number, "--as-of", "2018-03-01", "--json"
    )
    assert code == 0
    result = json.loads(out)
    assert result["eligible"] is False and result["reason"] and result["reason_code"] == "registration_closed"


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (
            ["--policy", "tianjin-jizhou-2018", "--id-number", "110105194912310021", "--as-of", "2017-10-21"],
            "ID_NUMBER_CHECK_DIGIT",
        ),
        (
            ["--policy", "nowhere-2018", "--id-number", "11010519491231002X", "--as-of", "2017-10-21"],
            "POLICY_UNKNOWN",
        ),
        (
            ["--policy", "tianjin-jizhou-2018", "--id-number", "11010519491231002X", "--as-of", "2016-10-21"],
            "DATE_OUTSIDE_POLICY",
        ),
        (["--policy", "tianjin-jizhou-2018", "--id-number", "11010519491231002X"], "DATE_OUTSIDE_POLICY"),
        (
            [
                "--policy",
                "tianjin-jizhou-2018",
                "--id-number",
                "11010519491231002X",
                "--as-of",
                "2017-10-21",
                "--tier",
                "gold",
            ],
            "TIER_UNKNOWN",
        ),
        (
            [
                "--policy",
                "tianjin-jizhou-2018",
                "--id-number",
                "11010519491231002X",
                "--as-of",
                "2017-10-21",
                "--identity",
                "vip",
            ],
            "IDENTITY_UNKNOWN",
        ),
        (
            ["--policy", "tianjin-jizhou-2018", "--id-number", "11010519491231002X", "--as-of", "yesterday"],
            "DATETIME_INVALID",
        ),
    ],
)
def test_quote_errors_have_code_and_chinese_message(args: list[str], code: str) -> None:
    exit_code, out = run("quote", *args, "--json")
    assert exit_code == 2
    error = json.loads(out)["error"]
    assert error["code"] == code
    assert re.search(r"[\u4e00-\u9fff]", error["message"])


def _contribution_numbers(policy_id: str) -> set[str]:
    policy = get_policy(policy_id)
    numbers = set()
    for tier in policy.tiers.values():
        numbers |= {f"{tier.individual.fen // 100}.00", f"{tier.financing_total_fen // 100}.00"}
    for group in policy.assisted.groups:
        numbers.add(f"{group.share.value * 100:.0f}%")
    return numbers


@pytest.mark.parametrize(
    "policy_id",
    [
        "kunming-songming-2018",
        "tengzhou-jinghe-2019",
        "tianjin-jinghai-2022",
        "tianjin-jizhou-2018",
        "tianjin-ninghe-2023",
    ],
)
def test_policy_show_lists_every_contribution_number_with_its_clause(policy_id: str) -> None:
    code, out = run("policy", "show", policy_id)
    assert code == 0
    for number in _contribution_numbers(policy_id):
        assert number in out
    policy = get_policy(policy_id)
    for tier in policy.tiers.values():
        if tier.individual.clause:
            assert tier.individual.clause.text[:12] in out
    for assumption in policy.assumptions:
        assert assumption.id in out
    uses = assumption_uses(policy)
    assert all(uses[assumption.id] for assumption in policy.assumptions), "an assumption no value cites"
    assert "（未用）" not in out


def test_policy_show_says_where_each_assumption_acts() -> None:
    code, out = run("policy", "show", "tianjin-ninghe-2023")
    flat = out.replace("│", "").replace(" ", "").replace("\n", "")
    assert code == 0 and "用于" in out
    assert "资助参保.groups.full.benefit_tier" in flat  # full-assisted-tier: high benefits, as 静海 gives
    assert "参保范围.nonlocal_admitted.0" in flat  # in-care-channel: a nursery's children whatever their hukou


def test_policy_show_says_how_a_derived_value_follows() -> None:
    code, out = run("policy", "show", "tengzhou-jinghe-2019")
    assert code == 0 and "推导：市、街道财政各承担50%，合计个人缴费全部" in out.replace("\n", "").replace(
        " ", ""
    ).replace("│", "")


def test_policy_show_json_and_list() -> None:
    code, out = run("policy", "show", "tianjin-jinghai-2022", "--json")
    assert code == 0 and json.loads(out)["tiers"]["high"]["individual"]["yuan"] == "950"
    code, out = run("policy", "list", "--json")
    assert code == 0 and len(json.loads(out)) == 5


def test_policy_check_a_bureaus_file(tmp_path: Path) -> None:
    source = Path(__file__).parents[1] / "src/yibao/policies"
    code, out = run(
        "policy",
        "check",
        str(source / "tianjin-ninghe-2023.yaml"),
        "--document",
        str(source / "sources/tianjin-ninghe-2023.txt"),
        "--json",
    )
    assert code == 0 and json.loads(out)["ok"] is True
    data = yaml.safe_load((source / "tianjin-ninghe-2023.yaml").read_text("utf-8"))
    # misquoted: the words are not the plan's (每年每人), though the figure is
    wrong = {**data["tiers"]["high"]["individual"]["clause"], "text": "选择高档缴费的人员每年每人980元"}
    data["tiers"]["high"]["individual"]["clause"] = wrong
    edited = tmp_path / "edited.yaml"
    edited.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    code, out = run(
        "policy",
        "check",
        str(edited),
        "--document",
        str(source / "sources/tianjin-ninghe-2023.txt"),
        "--json",
    )
    assert code == 1
    problems = json.loads(out)["citation_problems"]
    assert [p["code"] for p in problems] == ["POLICY_CITATION_NOT_FOUND"]
    assert problems[0]["field"] == "tiers.high.individual.clause"
    data["tiers"]["high"]["individual"]["yuan"] = 1010  # the figure contradicts its own sentence
    edited.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    code, out = run("policy", "check", str(edited), "--json")
    error = json.loads(out)["error"]
    assert code == 2 and error["field"] == "tiers.high.individual" and "1010" in error["message"]
    del data["tiers"]["high"]["individual"]["clause"]
    edited.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    code, out = run("policy", "check", str(edited), "--json")
    assert code == 2 and json.loads(out)["error"]["field"] == "tiers.high.individual"


def test_examples_run() -> None:
    code, out = run("examples")
    assert code == 0 and "tianjin-jinghai-2022" in out


def test_a_command_on_a_missing_or_empty_database_says_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After `yibao demo` a clerk's next command once ended in an 84-line traceback ("no such table: users") and
    left an empty yibao.sqlite behind: now a Chinese sentence naming the way out, and no file made."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("YIBAO_DATABASE_URL", raising=False)
    result = runner.invoke(app, ["user", "token", "yuyang"])
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert "没有找到数据库" in result.output and "yibao db upgrade" in result.output
    assert not (tmp_path / "yibao.sqlite").exists()
    (tmp_path / "yibao-demo.sqlite").write_bytes(b"")  # a demo's database in the folder: named as the way out
    result = runner.invoke(app, ["report", "progress", "--user", "admin", "--json"])
    error = json.loads(result.stdout)["error"]
    assert error["code"] == "DATABASE_MISSING" and "sqlite:///yibao-demo.sqlite" in error["message"]
    monkeypatch.setenv("YIBAO_DATABASE_URL", "sqlite:///yibao-demo.sqlite")  # empty: no tables yet
    result = runner.invoke(app, ["report", "progress", "--user", "admin", "--json"])
    assert json.loads(result.stdout)["error"]["code"] == "DATABASE_EMPTY"
    assert not (tmp_path / "yibao.sqlite").exists()


def test_the_head_revision_read_from_file_names_is_alembics() -> None:
    from alembic.script import ScriptDirectory

    from yibao.adapters.db.migrate import alembic_config, head_revision

    assert head_revision() == ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def test_the_command_line_starts_without_loading_what_it_does_not_use(tmp_path: Path) -> None:
    """`yibao --help` lists every command from its one-line help without importing a command module (FastAPI,
    SQLAlchemy, Polars … cost seconds); a quote on a bundled plan loads no database. Timed in
    bench/bench_cli_start.py, never here."""
    import subprocess
    import sys

    def loaded(*arguments: str) -> set[str]:
        script = (
            "import sys; from yibao.entrypoints.cli.app import app\n"
            f"try:\n    app({list(arguments)!r})\nexcept SystemExit:\n    pass\n"
            "print(' '.join(sorted({name.split('.')[0] for name in sys.modules})), file=sys.stderr)"
        )
        result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path)
        return set(result.stderr.split())

    heavy = {"sqlalchemy", "polars", "fastapi", "duckdb", "fpdf", "argon2", "ibis", "alembic"}
    assert loaded("--help") & heavy == set()
    quote = ["quote", "--policy", "tianjin-jizhou-2018", "--id-number", "120119198005056134", "--json"]
    assert loaded(*quote) & heavy == {"polars"}


def test_each_lazy_command_is_listed_with_its_own_help() -> None:
    from yibao.entrypoints.cli.app import COMMANDS
    from yibao.entrypoints.cli.lazy import load

    for name, lazy in COMMANDS.items():
        command = load(name, lazy)
        listed = " ".join(lazy.help.split())
        assert " ".join((command.help or "").split()).startswith(listed), name
    assert runner.invoke(app, ["report", "--help"]).exit_code == 0


def test_a_quote_cites_each_sentence_of_the_plan_once() -> None:
    """A tier's contribution and its subsidy rest on one row of the plan's table: cited once, not twice."""
    number = idnumber.make("120119", __import__("datetime").date(1975, 3, 4), 13)
    code, out = run("quote", "--policy", "tianjin-jizhou-2018", "--id-number", number, "--as-of", "2017-11-15")
    assert code == 0, out
    cited = [line for line in out.splitlines() if line.startswith("· 〔")]
    assert cited and len(cited) == len(set(cited)) and any("成年居民低档 1010 830 180" in line for line in cited)
