"""The operator's commands: `yibao user add|token` against a database, and `yibao demo` preparing its district."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from yibao.adapters.db.database import make_engine, session_factory
from yibao.adapters.db.tables import Area, Campaign, Enrollment, Finding, Organization, Resident, Target, User
from yibao.entrypoints.cli.app import app
from yibao.entrypoints.http.context import AppContext
from yibao.entrypoints.server import create_app

runner = CliRunner()


def test_first_admin_and_an_api_token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, empty_database_url: str) -> None:
    url = empty_database_url
    monkeypatch.setenv("YIBAO_DATABASE_URL", url)
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    assert runner.invoke(app, ["db", "seed-district", "120119"]).exit_code == 0
    added = runner.invoke(
        app, ["user", "add", "admin", "--role", "district_admin", "--area", "120119", "--password", "s3cret-pass"]
    )
    assert added.exit_code == 0, added.output
    weak = runner.invoke(
        app, ["user", "add", "clerk", "--role", "township_operator", "--area", "120119100000", "--password", "short"]
    )
    assert weak.exit_code == 2 and "PASSWORD_WEAK" in weak.output
    issued = runner.invoke(app, ["user", "token", "admin", "--label", "tax bridge"])
    token = issued.stdout.strip()
    assert issued.exit_code == 0 and token.startswith("yb_")
    engine = make_engine(url)
    with TestClient(create_app(AppContext(session_factory(engine)))) as client:
        me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200 and me.json()["role"] == "district_admin"
    with session_factory(engine)() as session:
        stored = session.scalars(select(User)).one()
        assert stored.password_hash.startswith("$argon2id$")  # never the password itself
    engine.dispose()


@pytest.mark.slow
def test_demo_prepares_a_district(tmp_path: Path) -> None:
    database = tmp_path / "demo.sqlite"
    result = runner.invoke(app, ["demo", "--database", str(database), "--no-serve"])
    assert result.exit_code == 0, result.output
    assert "27 个镇街" in result.stdout and "yuyang" in result.stdout
    engine = make_engine(f"sqlite:///{database}")
    with session_factory(engine)() as session:
        assert (session.scalar(select(func.count()).select_from(Resident)) or 0) > 2000
        renewed = session.scalar(select(func.count()).where(Enrollment.insurance_year == 2018)) or 0
        assert renewed > 2000
        assert session.scalar(select(func.count()).select_from(User)) == 7
        kinds = dict(session.execute(select(Finding.kind, func.count()).group_by(Finding.kind)).all())
        assert kinds["deceased_enrolled"] == 6 and kinds["unenrolled"] > 40  # the cross-checks have work to show
    engine.dispose()


def test_import_a_roster_from_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, empty_database_url: str
) -> None:
    import json

    from yibao.adapters.sheet_files import read_sheet
    from yibao.domain.roster import resolve_headers
    from yibao.synthetic.rosters import roster

    url = empty_database_url
    monkeypatch.setenv("YIBAO_DATABASE_URL", url)
    runner.invoke(app, ["db", "upgrade"])
    runner.invoke(app, ["db", "seed-district", "120119"])
    assert runner.invoke(app, ["campaign", "open", "tianjin-jizhou-2018"]).exit_code == 0
    clerk = ["user", "add", "yuyang", "--role", "township_operator", "--area", "120119100000"]
    clerk += ["--password", "clerk-p4ss"]
    assert runner.invoke(app, clerk).exit_code == 0
    planted = roster(30, seed=4, plant=3)
    path = tmp_path / "西关村.csv"
    path.write_text("\n".join(",".join(row) for row in [planted.headers, *planted.rows]), encoding="utf-8")
    command = ["import", "roster", str(path), "--township", "120119100000", "--user", "yuyang"]
    command += ["--clock", "2017-11-15T09:00:00+08:00", "--json"]
    checked = runner.invoke(app, [*command, "--dry-run"])
    report = json.loads(checked.stdout)
    assert checked.exit_code == 1 and report["dry_run"] and report["errors"] == 3  # errors: exit code 1
    assert {problem["row"] for problem in report["problems"]} == set(planted.planted)
    assert Path(report["error_file"]).name == "西关村-错误.csv" and Path(report["error_file"]).exists()
    imported = json.loads(runner.invoke(app, command).stdout)
    assert imported["import_id"] == 1 and imported["created"] == report["created"] == len(planted.rows) - 3
    engine = make_engine(url)
    with session_factory(engine)() as session:
        assert session.scalar(select(func.count()).select_from(Enrollment)) == imported["created"]
    engine.dispose()
    stranger = runner.invoke(app, ["import", "roster", str(path), "--township", "120119100000", "--user", "nobody"])
    assert stranger.exit_code == 2 and "USER_UNKNOWN" in stranger.output
    template = tmp_path / "模板.xlsx"
    written = runner.invoke(
        app, ["import", "template", str(template), "--user", "yuyang", "--township", "120119100000"]
    )
    assert written.exit_code == 0, written.output
    sheet = read_sheet(template.read_bytes(), template.name)
    assert resolve_headers(sheet.headers)[1] == [] and sheet.rows == 0
    elsewhere = ["import", "template", str(template), "--user", "yuyang", "--township", "120119106000"]
    assert runner.invoke(app, elsewhere).exit_code == 2  # another township's villages are not the clerk's to see
    exported = tmp_path / "参保登记名册.xlsx"
    command = ["export", "enrollments", str(exported), "--user", "yuyang", "--clock", "2017-11-15T09:00:00+08:00"]
    done = runner.invoke(app, command)
    assert done.exit_code == 0, done.output
    assert f"已导出 {imported['created']} 行" in done.output
    assert read_sheet(exported.read_bytes(), exported.name).rows == imported["created"]
    refused = runner.invoke(app, [*command[:2], str(tmp_path / "x.pdf"), *command[3:]])
    assert refused.exit_code == 2 and "EXPORT_FORMAT" in refused.output
    number, name = planted.rows[0][4], planted.rows[0][2]
    admin_user = ["user", "add", "minzheng", "--role", "department", "--area", "120119", "--password", "list-p4ss-word"]
    assert runner.invoke(app, admin_user).exit_code == 0, "a department user"
    dibao = tmp_path / "低保名单.csv"
    dibao.write_text(f"姓名,公民身份号码\n{name},{number}\n", encoding="utf-8")
    command = ["import", "list", str(dibao), "--department", "civil_affairs", "--identity", "dibao"]
    command += ["--user", "minzheng", "--clock", "2017-11-15T09:00:00+08:00", "--json"]
    listed = runner.invoke(app, command)
    assert listed.exit_code == 0, listed.output
    assert json.loads(listed.stdout)["flagged"] == 1 and json.loads(listed.stdout)["reassessed"] == 1
    sample = tmp_path / "样例名册.xlsx"
    made = runner.invoke(app, ["import", "sample", str(sample), "--households", "20", "--errors", "6", "--seed", "3"])
    assert made.exit_code == 0, made.output
    check = ["import", "roster", str(sample), "--township", "120119100000", "--user", "yuyang", "--dry-run"]
    checked = runner.invoke(app, [*check, "--json", "--clock", "2017-11-15T09:00:00+08:00"])
    assert json.loads(checked.stdout)["errors"] == 6  # the first six kinds: all told by the file itself


@pytest.mark.slow
@pytest.mark.parametrize(
    ("plan", "townships", "users"),
    [
        ("tianjin-jinghai-2022", 20, 7),
        ("tianjin-ninghe-2023", 15, 7),
        ("tengzhou-jinghe-2019", 1, 6),  # 荆河街道's plan: the street alone, one township clerk
        ("kunming-songming-2018", 5, 7),
    ],
)
def test_a_demo_for_every_plan(tmp_path: Path, plan: str, townships: int, users: int) -> None:
    database = tmp_path / "demo.sqlite"
    arguments = ["demo", "--plan", plan, "--database", str(database), "--households", "3", "--no-serve"]
    result = runner.invoke(app, arguments)
    assert result.exit_code == 0, result.output
    assert f"{townships} 个镇街" in result.stdout and "admin" in result.stdout
    engine = make_engine(f"sqlite:///{database}")
    with session_factory(engine)() as session:
        year = int(plan[-4:])
        assert session.scalar(select(func.count()).select_from(User)) == users
        assert (session.scalar(select(func.count()).where(Enrollment.insurance_year == year)) or 0) > 0
        assert session.scalar(select(Campaign.policy_id)) == plan
        areas = dict(session.execute(select(Area.name, Area.level)).all())
        organizations = dict(session.execute(select(Organization.name, Organization.kind)).all())
        targets = dict(session.execute(select(Target.unit, Target.persons).where(Target.category == "students")).all())
    engine.dispose()
    if plan == "tengzhou-jinghe-2019":
        assert [name for name, level in areas.items() if level == "township"] == ["荆河街道"]
        assert all(name.endswith("社区") for name, level in areas.items() if level == "village")
    if plan == "tianjin-jinghai-2022":  # 仁爱学院 exists, with the plan's target, counted from its own students
        assert organizations["天津大学仁爱学院"] == "university" and targets["天津大学仁爱学院"] == 14_015
        report = runner.invoke(
            app,
            ["report", "progress", "--user", "admin", "--json", "--date", "2021-11-15"],
            env={"YIBAO_DATABASE_URL": f"sqlite:///{database}"},
        )
        assert report.exit_code == 0, report.output
        renai = next(unit for unit in json.loads(report.stdout)["units"] if unit["unit"] == "天津大学仁爱学院")
        assert renai["unit_kind"] == "institution" and renai["registered"] == 60 and renai["paid"] > 0
