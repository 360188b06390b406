"""The counter journey in real headless Chromium (Debian's), driven by Playwright, against the running server:
sign in, register a family of four with one 低保 member and a student, see the right amounts, open a record."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import uvicorn

from db_fixtures import sqlite_engine
from households import NOW, YUYANG, uow
from yibao.adapters.db import migrate
from yibao.adapters.db.database import session_factory
from yibao.domain import idnumber
from yibao.entrypoints.api.context import AppContext
from yibao.entrypoints.server import create_app
from yibao.services.access import Role
from yibao.services.registry import seed_district
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


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    engine = sqlite_engine(tmp_path)
    migrate.upgrade(engine)
    with uow(engine, "setup") as work:
        seed_district(work, "120119")
        add_user(work, NewUser("yuyang", "渔阳镇经办员", PASSWORD, Role.TOWNSHIP_OPERATOR, YUYANG), by=None)
    app = create_app(AppContext(session_factory(engine), clock=lambda: NOW))
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
    engine.dispose()


@pytest.fixture
def browser_page() -> Iterator[object]:
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


def test_counter_journey_in_chromium(server: str, browser_page: object, tmp_path: Path) -> None:
    from playwright.sync_api import Page, expect

    page = browser_page
    assert isinstance(page, Page)
    page.goto(server + "/counter")
    expect(page).to_have_url(server + "/login?next=/counter")  # not signed in: to the login page and back
    page.fill("#username", "yuyang")
    page.fill("#password", "wrong-password")
    page.click("button[type=submit]")
    expect(page.locator(".error")).to_contain_text("用户名或密码错误")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(server + "/counter")

    family = [
        ("王建国", idnumber.make("120119", date(1975, 3, 4), 13), "户主", "", "middle", ""),
        ("李秀英", idnumber.make("120119", date(1977, 6, 5), 24), "配偶", "", "", "dibao"),
        ("王小明", idnumber.make("120119", date(2006, 9, 1), 35), "子女", "student", "", ""),
        ("王老汉", idnumber.make("120225", date(1948, 1, 2), 46), "父母", "", "", ""),
    ]
    for row, (name, number, relation, category, tier, identity) in enumerate(family, start=1):
        page.fill(f"input[name=m{row}_name]", name)
        page.fill(f"input[name=m{row}_id_number]", number)
        page.select_option(f"select[name=m{row}_relation]", relation)
        page.select_option(f"select[name=m{row}_category]", category)
        page.select_option(f"select[name=m{row}_tier]", tier)
        page.select_option(f"select[name=m{row}_identity]", identity)
    page.click("button.primary")

    expect(page.locator("h1")).to_contain_text("整户参保登记完成：4 人")
    expect(page.locator("#total-due")).to_have_text("780.00")  # 440 + 0 + 160 + 180
    dues = {
        name: page.locator(f".member[data-name={name}] [data-due]").get_attribute("data-due") for name, *_ in family
    }
    assert dues == {"王建国": "44000", "李秀英": "0", "王小明": "16000", "王老汉": "18000"}
    spouse = page.locator(".member[data-name=李秀英]")
    expect(spouse).to_contain_text("district 180.00")  # the district pays her 180 in full
    spouse.locator("summary").click()
    expect(spouse.locator(".clause").first).to_be_visible()  # the plan's clause behind the figures
    page.screenshot(path=str(tmp_path / "counter-result.png"), full_page=True)

    page.click("text=王小明")
    expect(page.locator("h1")).to_contain_text("王小明")
    expect(page.locator("body")).to_contain_text("操作记录")
    expect(page.locator("body")).to_contain_text("在校学生")

    # The same family again: refused, with the township named, and nothing half-written.
    page.goto(server + "/counter")
    page.fill("input[name=m1_name]", "王建国")
    page.fill("input[name=m1_id_number]", family[0][1])
    page.click("button.primary")
    expect(page.locator(".error")).to_contain_text("已在渔阳镇参加2018年度居民医保")
    expect(page.locator("tr.bad")).to_have_count(1)
