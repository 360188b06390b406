"""The district admin adds next year's plan on the web: checks it first, then adds it; a clerk has no such page."""

from __future__ import annotations

from pathlib import Path

from browser_site import sign_in
from next_year import jizhou_2019


def test_next_years_plan_checked_and_added_in_chromium(server: str, browser_page: object, tmp_path: Path) -> None:
    from playwright.sync_api import Page, expect

    page = browser_page
    assert isinstance(page, Page)
    plan, text = jizhou_2019()
    (tmp_path / "蓟州2019.yaml").write_text(plan, "utf-8")
    (tmp_path / "蓟州2019.txt").write_text(text, "utf-8")
    (tmp_path / "引文有误.txt").write_text(text.replace("学生儿童", "学生"), "utf-8")

    sign_in(page, server, "admin")
    page.click("header >> text=实施方案")
    expect(page.locator("#plans tr[data-policy=tianjin-jizhou-2018]")).to_contain_text("系统内置")
    page.set_input_files("#p_file", str(tmp_path / "蓟州2019.yaml"))
    page.set_input_files("#p_document", str(tmp_path / "引文有误.txt"))
    page.click("#upload button.primary")
    expect(page.locator("#check")).to_contain_text("校验未通过，未添加")
    expect(page.locator("#problems li").first).to_contain_text("找不到")
    expect(page.locator("#plans tr[data-policy=tianjin-jizhou-2019]")).to_have_count(0)

    page.set_input_files("#p_file", str(tmp_path / "蓟州2019.yaml"))
    page.set_input_files("#p_document", str(tmp_path / "蓟州2019.txt"))
    page.check("input[name=check_only]")
    page.click("#upload button.primary")
    expect(page.locator("#check")).to_contain_text("校验通过，引文已逐条核对原文")
    expect(page.locator("#plans tr[data-policy=tianjin-jizhou-2019]")).to_have_count(0)

    page.set_input_files("#p_file", str(tmp_path / "蓟州2019.yaml"))
    page.set_input_files("#p_document", str(tmp_path / "蓟州2019.txt"))
    page.uncheck("input[name=check_only]")
    page.fill("#p_note", "2019年度方案")
    page.click("#upload button.primary")
    expect(page.locator("#added")).to_have_text("已添加 tianjin-jizhou-2019 第1版。")
    expect(page.locator("#plans tr[data-policy=tianjin-jizhou-2019]")).to_contain_text("本地添加（第1版）")
    expect(page.locator("#revisions")).to_contain_text("2019年度方案")
    # the district's 2018 campaign is under way (the test server's district opened it)
    expect(page.locator("#campaigns tr[data-year='2018']")).to_contain_text("开展中 · 登记期内")
    page.screenshot(path=str(tmp_path / "policies.png"), full_page=True)
    page.goto(server + "/counter")  # the counter offers the open campaigns' plans only
    expect(page.locator("#policy_id option")).to_have_count(1)
    page.goto(server + "/policies")
    page.select_option("#c_policy", "tianjin-jizhou-2019")
    page.click("#open-campaign button.primary")
    expect(page.locator("#opened")).to_have_text("已开启2019年度参保缴费工作。")
    page.goto(server + "/counter")  # two open: the day's campaign first, named as the default
    options = page.locator("#policy_id option")
    expect(options).to_have_count(2)
    expect(options.first).to_have_text(
        "2018年度（参保登记期内） · 天津市蓟州区2018年度城乡居民基本医疗保险（今日默认）"
    )
    expect(options.nth(1)).to_contain_text("2019年度（登记期外")
    page.goto(server + "/progress")  # every page that counts says which year it shows, and links to the other
    expect(page.locator("h1")).to_contain_text("2018年度参保进度")
    expect(page.locator("#campaigns strong")).to_have_text("2018年度（参保登记期内）")
    page.click("#campaigns a")
    expect(page.locator("h1")).to_contain_text("2019年度参保进度")
    page.click("text=排名通报")
    expect(page.locator("#campaigns strong")).to_contain_text("2019年度")
    expect(page.locator("#bulletin h1")).to_contain_text("2019年度")
    page.goto(server + "/rosters")  # a roster goes to the year the clerk picks, the day's by default
    expect(page.locator("#r_policy option:checked")).to_have_text("2018年度（参保登记期内）")
    expect(page.locator("#r_policy option")).to_have_count(2)

    page.click("header button")  # sign out; a township clerk has no plans page
    sign_in(page, server, "yuyang")
    expect(page.locator("header >> text=实施方案")).to_have_count(0)
    response = page.goto(server + "/policies")
    assert response is not None and response.status == 403
