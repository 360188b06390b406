"""`yibao crosscheck` against a database: a department's death list imported (a bad row reported, the same file
again stored once), a run on DuckDB naming the enrolled dead, the worklist, a follow-up and a reason recorded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from households import YUYANG, family, uow
from principals import operator
from yibao.adapters.db.database import make_engine
from yibao.entrypoints.cli.app import app
from yibao.services.registry.households import enroll_household

runner = CliRunner()
CLOCK = ["--clock", "2018-03-01T10:00:00+08:00"]


def invoke(*arguments: str) -> object:
    result = runner.invoke(app, [*arguments, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_cross_check_from_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, empty_database_url: str
) -> None:
    url = empty_database_url
    monkeypatch.setenv("YIBAO_DATABASE_URL", url)
    monkeypatch.setenv("YIBAO_DATA_DIR", str(tmp_path / "data"))
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    assert runner.invoke(app, ["db", "seed-district", "120119"]).exit_code == 0
    assert runner.invoke(app, ["campaign", "open", "tianjin-jizhou-2018"]).exit_code == 0
    for name, role, area in (("quju", "district_admin", "120119000000"), ("yuyang", "township_operator", YUYANG)):
        added = runner.invoke(
            app, ["user", "add", name, "--role", role, "--area", area, "--password", "p4ss-word-2018"]
        )
        assert added.exit_code == 0, added.output
    engine = make_engine(url)
    with uow(engine) as work:
        enroll_household(work, operator(YUYANG), family())
    engine.dispose()
    members = family().members
    deaths = tmp_path / "死亡名单.csv"
    deaths.write_text(
        "身份证号码,姓名,死亡日期\n"
        f"{members[0].id_number},{members[0].name},2017-12-02\n"
        f"{members[1].id_number},{members[1].name},2018-02-30\n",  # no such day: reported, not kept
        encoding="utf-8",
    )
    imported = invoke("crosscheck", "import", str(deaths), "--user", "quju", "--kind", "deaths", *CLOCK)
    assert isinstance(imported, dict)
    assert imported["stored"] == 1 and imported["error_counts"] == {"DATE_INVALID": 1}
    assert Path(imported["error_file"]).exists()
    spoiled = tmp_path / "死亡名单（错）.csv"
    spoiled.write_text(f"身份证号码,姓名,死亡日期\n{members[0].id_number},,2017-12-02\n", encoding="utf-8")
    refused = runner.invoke(app, ["crosscheck", "import", str(spoiled), "--user", "quju", "--kind", "deaths", *CLOCK])
    assert refused.exit_code == 1 and "保存 0 行" in refused.stdout  # no good row: no new version
    again = invoke("crosscheck", "import", str(deaths), "--user", "quju", "--kind", "deaths", *CLOCK)
    assert isinstance(again, dict) and again["already_imported"] and again["list_id"] == imported["list_id"]

    run = invoke("crosscheck", "run", "--user", "quju", "--engine", "duckdb", *CLOCK)
    assert isinstance(run, dict) and run["counts"]["deceased_enrolled"] == 1
    assert "unenrolled" in run["skipped"]  # no population register imported: not checked rather than all found
    rows = invoke("crosscheck", "list", "--user", "yuyang", "--year", "2018", "--kind", "deceased_enrolled")
    assert isinstance(rows, list) and [row["name"] for row in rows] == [members[0].name]
    assert "死亡日期 2017-12-02" in rows[0]["evidence"]
    done = invoke("crosscheck", "status", str(rows[0]["id"]), "--user", "yuyang", "--status", "contacted")
    assert isinstance(done, dict) and done["status_name"] == "已联系"
    summary = invoke("crosscheck", "list", "--user", "quju", "--year", "2018", "--summary")
    assert isinstance(summary, list) and [(c["kind"], c["open"], c["total"]) for c in summary] == [
        ("deceased_enrolled", 0, 1),
        ("subsidy_without_identity", 1, 1),  # 李秀英's 低保 was claimed at the counter: no department certified it
    ]
    person = ["--id-number", members[2].id_number, "--name", members[2].name, "--township", YUYANG]
    reason = ["crosscheck", "reason", "--user", "yuyang", "--year", "2018", *person, "--reason", "refused"]
    refused = runner.invoke(app, [*reason, "--json"])
    assert refused.exit_code != 0 and "REASON_ALREADY_ENROLLED" in refused.stdout
