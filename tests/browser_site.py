"""A running web UI and a headless Chromium (Debian's) driven by Playwright, for the browser tests; the fixtures
``server`` and ``browser_page`` themselves live in ``conftest.py``."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
import uvicorn
from sqlalchemy import Engine

from db_fixtures import migrated_engine
from households import BIESHAN, NOW, YUYANG, open_campaign_of, uow
from yibao.adapters.db.database import session_factory
from yibao.adapters.db.tables import Area
from yibao.domain import idnumber
from yibao.entrypoints.http.context import AppContext
from yibao.entrypoints.server import create_app
from yibao.services.access import Role
from yibao.services.registry.areas import seed_district
from yibao.services.users import NewUser, add_user

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "counter-clerk-1"
YUYANG_VILLAGE, BIESHAN_VILLAGE = "120119100001", "120119106001"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run_server(tmp_path: Path, kind: str = "sqlite") -> Iterator[str]:
    """A district with users of three roles, served by uvicorn in a thread; the clock inside the 2018 campaign."""
    for engine in migrated_engine(kind, tmp_path):
        yield from _serve(engine, tmp_path)


def _serve(engine: Engine, tmp_path: Path) -> Iterator[str]:
    with uow(engine, "setup") as work:
        seed_district(work, "120119")
        open_campaign_of(work, "tianjin-jizhou-2018")
        add_user(work, NewUser("yuyang", "渔阳镇经办员", PASSWORD, Role.TOWNSHIP_OPERATOR, YUYANG), by=None)
        add_user(work, NewUser("admin", "区医保局", PASSWORD, Role.DISTRICT_ADMIN, "120119"), by=None)
        add_user(work, NewUser("caiwu", "区财务", PASSWORD, Role.FINANCE, "120119"), by=None)
        add_user(work, NewUser("minzheng", "区民政局", PASSWORD, Role.DEPARTMENT, "120119"), by=None)
        work.session.add_all(
            [
                Area(code=YUYANG_VILLAGE, name="西关村", level="village", parent_code=YUYANG),
                Area(code=BIESHAN_VILLAGE, name="别山村", level="village", parent_code=BIESHAN),
            ]
        )
        work.commit()
    yield from _run(engine, tmp_path, NOW)


def run_demo_server(tmp_path: Path, plan: str, households_per_township: int = 8) -> Iterator[str]:
    """A plan's demo (its district, invented villages and families, users of every role with the demo's password),
    served on SQLite with the demo's clock."""
    from yibao.adapters.db.unit_of_work import UnitOfWork
    from yibao.domain.timeutil import parse_instant
    from yibao.synthetic.demo import DEMOS, build_demo

    clock = parse_instant(DEMOS[plan].clock)
    for engine in migrated_engine("sqlite", tmp_path):
        with UnitOfWork(session_factory(engine), actor="demo", now=clock) as work:
            build_demo(work, plan, households_per_township=households_per_township)
        yield from _run(engine, tmp_path, clock)


def _run(engine: Engine, tmp_path: Path, now: datetime) -> Iterator[str]:
    context = AppContext(session_factory(engine), clock=lambda: now, data_dir=tmp_path / "data")
    app = create_app(context)
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not running.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    running.should_exit = True
    thread.join(timeout=5)
    context.jobs.shutdown()


def open_browser_page() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        message = "Debian's chromium is not installed (apt-get install chromium); .ci/run installs it"
        if os.environ.get("YIBAO_REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            yield browser.new_page(locale="zh-CN")
        finally:
            browser.close()


def sign_in(page: object, server: str, username: str, password: str = PASSWORD) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    page.goto(server + "/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")
    expect(page.locator("header .who")).to_be_visible()


FAMILY = [
    ("王建国", idnumber.make("120119", date(1975, 3, 4), 13), "户主", "", "middle"),
    ("王小明", idnumber.make("120119", date(2006, 9, 1), 35), "子女", "student", ""),
]


def preview_and_confirm(page: object) -> None:
    """The counter's two steps: 核定（预览）, then 确认登记."""
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    page.click("#preview-button")
    expect(page.locator("#preview")).to_be_visible()
    page.click("#confirm")


def register_and_bill(page: object, server: str) -> None:
    """As the 渔阳镇 clerk: register the family at the counter and open its new notice."""
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    sign_in(page, server, "yuyang")
    page.goto(server + "/counter")
    for row, (name, number, relation, category, tier) in enumerate(FAMILY, start=1):
        page.fill(f"input[name=m{row}_name]", name)
        page.fill(f"input[name=m{row}_id_number]", number)
        page.select_option(f"select[name=m{row}_relation]", relation)
        page.select_option(f"select[name=m{row}_category]", category)
        page.select_option(f"select[name=m{row}_tier]", tier)
    preview_and_confirm(page)
    expect(page.locator("#total-due")).to_have_text("600.00")  # 440 + 160
    page.click("text=开具缴费通知单")
