"""A district's own villages, communities and organizations: imported from a bureau's sheet (checked whole, coded
where the sheet gives no code, the same sheet twice changing nothing), organizations of every kind with their
users — at the service, on the command line and over the API, on each database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from api_site import Site
from households import BIESHAN, YUYANG, uow
from principals import admin, operator
from yibao.adapters.db.tables import Area
from yibao.domain.errors import YibaoError
from yibao.entrypoints.cli.app import app
from yibao.services.access import Role
from yibao.services.registry.areas import seed_district
from yibao.services.registry.organizations import add_organization
from yibao.services.registry.villages import import_villages, rename_village
from yibao.services.users import NewUser, add_user

SHEET = "镇（街）,村（居）,统计代码\n渔阳镇,西关村,\n渔阳镇,东关社区,\n别山镇,别山村,120119106201\n"


def villages_of(engine: Engine, township: str) -> dict[str, str]:
    with uow(engine) as work:
        rows = work.session.scalars(select(Area).where(Area.parent_code == township, Area.level == "village"))
        return {row.name: row.code for row in rows}


def test_villages_from_a_sheet(engine: Engine) -> None:
    with uow(engine, "admin") as work:
        seed_district(work, "120119")
    wrong = SHEET + "五百户镇,五百户村,\n渔阳镇,,\n渔阳镇,南关村,120119999201\n"
    with uow(engine, "admin") as work:
        refused = import_villages(work, admin(), "村居.csv", wrong.encode("utf-8"), district="")
    assert (refused.created, refused.errors) == (0, 3)
    assert [(p.row, p.code) for p in refused.problems] == [
        (5, "TOWNSHIP_UNKNOWN"),
        (6, "VILLAGE_NAME_REQUIRED"),
        (7, "VILLAGE_CODE_INVALID"),
    ]
    assert "五百户镇" in refused.problems[0].message and villages_of(engine, YUYANG) == {}  # nothing written

    with uow(engine, "admin") as work:
        report = import_villages(work, admin(), "村居.csv", SHEET.encode("utf-8"), district="")
    assert (report.created, report.unchanged, report.errors) == (3, 0, 0)
    assert villages_of(engine, YUYANG) == {"西关村": "120119100200", "东关社区": "120119100001"}
    assert villages_of(engine, BIESHAN) == {"别山村": "120119106201"}
    with uow(engine, "admin") as work:
        again = import_villages(work, admin(), "村居.csv", SHEET.encode("utf-8"), district="")
    assert (again.created, again.unchanged) == (0, 3)
    with uow(engine, "admin") as work, pytest.raises(YibaoError) as clerk:
        import_villages(work, operator(YUYANG), "村居.csv", SHEET.encode("utf-8"), district="")
    assert clerk.value.code == "FORBIDDEN"

    with uow(engine, "admin") as work:  # a name corrected; the code, and all who name it, stay
        rename_village(work, admin(), "120119100200", " 西关 新村 ")
    assert villages_of(engine, YUYANG) == {"西关 新村": "120119100200", "东关社区": "120119100001"}
    for code, name, refusal in (
        ("120119100200", "东关社区", "VILLAGE_NAME_TAKEN"),
        ("120119100999", "某村", "VILLAGE_UNKNOWN"),
    ):
        with uow(engine, "admin") as work, pytest.raises(YibaoError) as refusing:
            rename_village(work, admin(), code, name)
        assert refusing.value.code == refusal
    with uow(engine, "admin") as work, pytest.raises(YibaoError) as elsewhere:
        rename_village(work, admin("120118"), "120119100200", "别的名字")  # 静海's admin, 蓟州's village
    assert elsewhere.value.code == "VILLAGE_UNKNOWN"


def test_an_organization_of_every_kind_and_its_user(engine: Engine) -> None:
    with uow(engine, "admin") as work:
        seed_district(work, "120118")
    jinghai = admin("120118")
    with uow(engine, "admin") as work:
        university = add_organization(work, jinghai, "天津大学仁爱学院", "university", "120118100000")
        again = add_organization(work, jinghai, " 天津大学仁爱学院 ", "university", "120118100000")
        nursery = add_organization(work, jinghai, "静海镇托儿所", "nursery", "120118100000")
    assert again.id == university.id and nursery.kind == "nursery"
    with uow(engine, "admin") as work:
        user = NewUser("renai", "仁爱学院", "college-pass-2022", Role.INSTITUTION, "120118100000", university.id)
        assert add_user(work, user, by=jinghai).organization_id == university.id
    for principal, kind, township, code in (
        (jinghai, "college", "120118100000", "ORGANIZATION_KIND_UNKNOWN"),
        (jinghai, "school", "120119100000", "AREA_UNKNOWN"),  # 蓟州's township, not 静海's
        (operator("120118100000"), "school", "120118100000", "FORBIDDEN"),
    ):
        with uow(engine, "admin") as work, pytest.raises(YibaoError) as refused:
            add_organization(work, principal, "某学校", kind, township)
        assert refused.value.code == code


def test_villages_and_organizations_from_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, empty_database_url: str
) -> None:
    monkeypatch.setenv("YIBAO_DATABASE_URL", empty_database_url)
    runner = CliRunner()
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    assert runner.invoke(app, ["db", "seed-district", "120119"]).exit_code == 0
    (tmp_path / "村居.csv").write_text(SHEET, "utf-8")
    result = runner.invoke(
        app, ["area", "import-villages", str(tmp_path / "村居.csv"), "--district", "120119", "--json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["created"] == 3
    result = runner.invoke(
        app, ["area", "add-organization", "渔阳镇第一幼儿园", "--kind", "kindergarten", "--township", YUYANG, "--json"]
    )
    assert result.exit_code == 0, result.output
    organization = json.loads(result.stdout)["id"]
    added = runner.invoke(
        app,
        [
            *("user", "add", "youeryuan", "--role", "institution", "--area", YUYANG),
            "--organization",
            str(organization),
            "--password",
            "kinder-p4ss",
        ],
    )
    assert added.exit_code == 0, added.output
    listed = json.loads(runner.invoke(app, ["area", "organizations", "120119", "--json"]).stdout)
    assert [(row["name"], row["kind"]) for row in listed] == [("渔阳镇第一幼儿园", "kindergarten")]


def test_villages_and_organizations_over_the_api(site: Site) -> None:
    files = {"file": ("村居.csv", SHEET.encode("utf-8"))}
    status, body = site.call("op_yuyang", "POST", "/api/v1/villages", files=files)
    assert status == 403 and body["code"] == "FORBIDDEN"
    status, body = site.call("admin", "POST", "/api/v1/villages", files=files, data={"dry_run": "true"})
    assert status == 200 and body["created"] == 3 and body["dry_run"]
    bad = {"file": ("村居.csv", (SHEET + "不存在镇,某村,\n").encode("utf-8"))}
    status, body = site.call("admin", "POST", "/api/v1/villages", files=bad)
    assert status == 422 and body["problems"][0]["code"] == "TOWNSHIP_UNKNOWN" and body["created"] == 0
    status, body = site.call(
        "admin",
        "POST",
        "/api/v1/organizations",
        json={"name": "蓟州区福利院", "kind": "welfare_institution", "township_code": YUYANG},
    )
    assert status == 201 and body["township_name"] == "渔阳镇"
    status, listed = site.call("admin", "GET", "/api/v1/organizations")
    assert "蓟州区福利院" in [row["name"] for row in listed]
