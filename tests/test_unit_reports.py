"""Reports by unit (宁河: 区民政局、区残联……各镇街等有关部门依职责每周向区医保局报送参保缴费进度): a department
submits the week's progress of the people it certified, a township its own; the district's weekly report lists
departments and townships side by side and names the units that have not reported."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from principals import admin, of_role, operator
from test_simulation import LUTAI, NINGHE, NINGHE_CLOCK, ninghe_district
from yibao.adapters.db.database import session_factory
from yibao.adapters.db.tables import IdentityFlag, User
from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.domain.errors import YibaoError
from yibao.services.access import Principal, Role
from yibao.services.progress.unit_reports import period_report, submit_report
from yibao.services.users import NewUser, add_user, principal_of

PASSWORD = "weekly-report-2022"


def work_at(engine: Engine, now: datetime = NINGHE_CLOCK, actor: str = "setup") -> UnitOfWork:
    return UnitOfWork(session_factory(engine), actor=actor, now=now)


def departments(engine: Engine) -> dict[str, Principal]:
    """宁河's district, and users of 民政 and 残联; 民政 certified the 特困 person enrolled at the counter."""
    ninghe_district(engine)
    with work_at(engine) as work:
        for username, department in (("minzheng", "民政"), ("canlian", "残联")):
            add_user(
                work,
                NewUser(username, f"区{department}", PASSWORD, Role.DEPARTMENT, NINGHE, department=department),
                by=None,
            )
        users = work.session.scalars(select(User).where(User.role == "department")).all()
        return {user.department or "": principal_of(user) for user in users}


def test_a_department_reports_and_the_district_names_who_has_not(engine: Engine) -> None:
    people = departments(engine)
    with work_at(engine, actor="minzheng") as work:
        certified = work.session.scalars(select(IdentityFlag).where(IdentityFlag.source == "民政")).all()
        assert len(certified) == 2  # 特困, and an 孤儿 certification that ended before 2022
        row = submit_report(work, people["民政"], 2023, "本周走访特困人员")
    assert row.unit.name == "民政部门" and row.figures is not None
    assert (row.figures.people, row.figures.enrolled) == (1, 1)  # the ended certification does not count
    with work_at(engine, actor="lutai") as work:
        submit_report(work, operator(LUTAI), 2023)
    with work_at(engine) as work:
        report = period_report(work, admin(NINGHE), 2023, NINGHE_CLOCK.date())
    assert report.rhythm == "weekly" and report.period_start == date(2022, 10, 17)  # 宁河 reports weekly, Monday on
    units = {row.unit.code: row for row in report.rows}
    assert units["民政"].submitted_at is not None and units["民政"].note == "本周走访特困人员"
    lutai = units[LUTAI].figures
    assert lutai is not None and lutai.people == 4
    assert [unit.name for unit in report.missing][:1] == ["残联部门"]
    assert "桥北街道" in [unit.name for unit in report.missing] and "芦台街道" not in [u.name for u in report.missing]
    assert [row.unit.kind for row in report.rows][:2] == ["department", "department"]  # departments first
    with work_at(engine) as work:  # next week, nobody has reported yet
        later = period_report(work, admin(NINGHE), 2023, NINGHE_CLOCK.date() + timedelta(days=7))
    assert len(later.missing) == len(later.rows)


def test_who_reports_and_who_reads(engine: Engine) -> None:
    departments(engine)
    with work_at(engine) as work:
        with pytest.raises(YibaoError) as no_unit:
            submit_report(work, admin(NINGHE), 2023)
        assert no_unit.value.code == "UNIT_REPORT_NO_UNIT" and "区医保局管理员" in no_unit.value.message
        with pytest.raises(YibaoError) as forbidden:
            period_report(work, operator(LUTAI), 2023, NINGHE_CLOCK.date())
        assert forbidden.value.code == "FORBIDDEN"
        assert period_report(work, of_role(Role.INSPECTOR, NINGHE + "000000"), 2023, NINGHE_CLOCK.date()).rows


def test_unit_reports_through_the_api_and_the_cli(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fastapi.testclient import TestClient

    from yibao.entrypoints.cli.app import app
    from yibao.entrypoints.http.context import AppContext
    from yibao.entrypoints.server import create_app
    from yibao.services.users import login

    departments(engine)
    with work_at(engine) as work:
        add_user(work, NewUser("admin", "区医保局", PASSWORD, Role.DISTRICT_ADMIN, NINGHE), by=None)
        tokens = {name: login(work, name, PASSWORD, kind="api") for name in ("minzheng", "admin")}
    context = AppContext(session_factory(engine), clock=lambda: NINGHE_CLOCK, data_dir=tmp_path / "data")
    with TestClient(create_app(context)) as client:
        made = client.post(
            "/api/v1/unit-reports",
            json={"insurance_year": 2023},
            headers={"Authorization": f"Bearer {tokens['minzheng']}"},
        )
        assert made.status_code == 201 and made.json()["unit"]["code"] == "民政"
        report = client.get(
            "/api/v1/unit-reports",
            params={"insurance_year": 2023},
            headers={"Authorization": f"Bearer {tokens['admin']}"},
        ).json()
        assert "残联部门" in [unit["name"] for unit in report["missing"]]
    if engine.dialect.name != "sqlite":
        return
    monkeypatch.setenv("YIBAO_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    runner = CliRunner()
    clock = ["--clock", NINGHE_CLOCK.isoformat()]
    submitted = runner.invoke(app, ["report", "submit", "--user", "canlian", "--year", "2023", *clock])
    assert submitted.exit_code == 0, submitted.output
    listed = runner.invoke(app, ["report", "units", "--user", "admin", "--year", "2023", "--json", *clock])
    assert listed.exit_code == 0, listed.output
    missing = [unit["name"] for unit in json.loads(listed.stdout)["missing"]]
    assert "残联部门" not in missing and "民政部门" not in missing and "芦台街道" in missing


def test_a_township_reports_and_the_bureau_sees_it_in_chromium(server: str, browser_page: object) -> None:
    from playwright.sync_api import Page, expect

    from browser_site import sign_in
    from test_chinese_pages import english_words

    page = browser_page
    assert isinstance(page, Page)
    sign_in(page, server, "yuyang")
    page.click("header >> text=进度报送")
    expect(page.locator("#u-people")).to_have_text("0")
    page.fill("#u_note", "本周入户走访")
    page.click("#submit-report button.primary")
    expect(page.locator("#submitted")).to_be_visible()
    # 西关村 reports to the township, recorded by its clerk.
    expect(page.locator("#communities-missing")).to_contain_text("西关村")
    page.select_option("#c_village", "120119100001")
    page.fill("#c_note", "西关村当周汇总")
    page.click("#submit-community button")
    expect(page.locator("#communities tr[data-unit='120119100001']")).to_contain_text("西关村当周汇总")
    expect(page.locator("#communities-missing")).to_have_count(0)
    assert not english_words(page.content())
    page.click("header button")
    sign_in(page, server, "admin")
    page.click("header >> text=进度报送")
    expect(page.locator("#units tr[data-unit='120119100000']")).to_contain_text("本周入户走访")
    expect(page.locator("#missing")).to_contain_text("别山镇")
    expect(page.locator("#missing")).not_to_contain_text("渔阳镇")
    assert not english_words(page.content())
    page.click("#units tr[data-unit='120119100000'] a")  # the bureau opens the township's communities
    expect(page.locator("#communities tr[data-unit='120119100001']")).to_contain_text("西关村当周汇总")
