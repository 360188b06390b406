"""A bureau's next-year plan at the command line, on each database: checked, added, listed, shown, compared with
last year's, quoted under — and refused where it contradicts itself."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from next_year import ninghe_2024
from yibao.domain import idnumber
from yibao.entrypoints.cli.app import app

runner = CliRunner()


def run(*arguments: str) -> tuple[int, Any]:
    result = runner.invoke(app, [*arguments, "--json"])
    return result.exit_code, json.loads(result.stdout) if result.stdout.strip() else None


def test_a_next_year_plan_from_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, empty_database_url: str
) -> None:
    monkeypatch.setenv("YIBAO_DATABASE_URL", empty_database_url)
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    plan, text = ninghe_2024()
    (tmp_path / "宁河2024.yaml").write_text(plan, "utf-8")
    (tmp_path / "宁河2024.txt").write_text(text, "utf-8")
    files = [str(tmp_path / "宁河2024.yaml"), "--document", str(tmp_path / "宁河2024.txt")]

    code, checked = run("policy", "check", *files)
    assert code == 0 and checked["ok"] and checked["policy"] == "tianjin-ninghe-2024"
    code, added = run("policy", "add", *files)
    assert code == 0 and added["revision"] == 1 and added["new_revision"]
    code, listed = run("policy", "list")
    assert {row["id"]: row["source"] for row in listed}["tianjin-ninghe-2024"] == "stored"
    code, shown = run("policy", "show", "tianjin-ninghe-2024")
    assert code == 0 and shown["tiers"]["high"]["individual"]["yuan"] == "1020"

    number = idnumber.make("120117", date(1970, 8, 8), 11)
    for plan_id, as_of, due in (
        ("tianjin-ninghe-2023", "2022-10-10", 98000),
        ("tianjin-ninghe-2024", "2023-10-10", 102000),
    ):
        code, answer = run("quote", "--policy", plan_id, "--id-number", number, "--as-of", as_of, "--tier", "high")
        assert code == 0 and answer["individual_due_fen"] == due, plan_id

    code, changes = run("policy", "diff", "tianjin-ninghe-2023", "tianjin-ninghe-2024")
    amounts = {change["path"]: (change["before"], change["after"]) for change in changes}
    assert amounts["tiers.high.individual.yuan"] == ("980", "1020")
    assert amounts["enrollment.windows[0].opens"] == ("2022-09-01", "2023-09-01")

    (tmp_path / "更正.yaml").write_text(plan.replace("yuan: 1020,", "yuan: 1030,"), "utf-8")
    code, refused = run("policy", "add", str(tmp_path / "更正.yaml"))
    assert code != 0 and refused["error"]["field"] == "tiers.high.individual"  # 1030 is not in its sentence
    code, revisions = run("policy", "revisions", "tianjin-ninghe-2024")
    assert [row["revision"] for row in revisions["revisions"]] == [1]

    # both campaigns open while the 2024 window runs; each says whether it takes registrations that day
    code, opened = run("campaign", "open", "tianjin-ninghe-2023", "--clock", "2022-09-01T09:00:00+08:00")
    assert code == 0 and opened[0]["insurance_year"] == 2023
    code, opened = run("campaign", "open", "tianjin-ninghe-2024", "--clock", "2023-09-01T09:00:00+08:00")
    assert code == 0 and opened[0]["insurance_year"] == 2024
    code, listed = run("campaign", "list", "120117", "--clock", "2023-10-10T09:00:00+08:00")
    assert [(row["insurance_year"], row["window_open"]) for row in listed] == [(2023, False), (2024, True)]
