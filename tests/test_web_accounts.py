"""Accounts in headless Chromium: the district admin resets a clerk's forgotten password, stops the finance account
and moves the department user to a township, and revokes an API token; the clerk changes her own password from
her account page."""

from __future__ import annotations

from browser_site import PASSWORD, sign_in

RESET = "reset-by-admin-7"
OWN = "chosen-by-clerk-8"


def test_accounts_kept_in_chromium(server: str, browser_page: object) -> None:
    from playwright.sync_api import Page, expect

    page = browser_page
    assert isinstance(page, Page)
    sign_in(page, server, "admin")
    page.click("header >> text=用户管理")
    row = page.locator("#users tr[data-username=yuyang]")
    row.locator("summary").click()
    row.locator("form.reset input[name=new_password]").fill(RESET)
    row.locator("form.reset button").click()
    expect(page.locator("[role=status]")).to_contain_text("已为 yuyang 设置新密码")

    finance = page.locator("#users tr[data-username=caiwu]")
    finance.locator("summary").click()
    finance.locator("form.active button").click()
    expect(page.locator("[role=status]")).to_contain_text("已停用 caiwu")
    expect(page.locator("#users tr[data-username=caiwu] .state")).to_have_text("已停用")

    department = page.locator("#users tr[data-username=minzheng]")
    department.locator("summary").click()
    department.locator("form.account select[name=role]").select_option("township_operator")
    department.locator("form.account select[name=township_code]").select_option(label="渔阳镇")
    department.locator("form.account button").click()
    expect(page.locator("[role=status]")).to_contain_text("已修改 minzheng")
    expect(page.locator("#users tr[data-username=minzheng]")).to_contain_text("渔阳镇")

    own = page.locator("#users tr[data-username=admin]")
    own.locator("summary").click()
    expect(own.locator("form.active")).to_have_count(0)  # she cannot stop herself
    page.click("header button")

    page.goto(server + "/login")  # the old password no longer opens the clerk's account
    page.fill("#username", "yuyang")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator(".error")).to_contain_text("用户名或密码错误")
    sign_in(page, server, "yuyang", RESET)
    page.click("#account-link")
    page.fill("#a_current", RESET)
    page.fill("#a_new", OWN)
    page.fill("#a_again", OWN + "x")
    page.click("#password-form button")
    expect(page.locator(".error")).to_contain_text("两次输入的新密码不一致")
    page.fill("#a_current", RESET)
    page.fill("#a_new", OWN)
    page.fill("#a_again", OWN)
    page.click("#password-form button")
    expect(page.locator("[role=status]")).to_contain_text("密码已修改")
    expect(page.locator("header .who")).to_be_visible()  # still signed in here
    page.click("header button")
    sign_in(page, server, "yuyang", OWN)
