"""The district bureau simulates next year's plan in headless Chromium: a family billed at the counter, the draft
蓟州 2019 (the middle tier 440 → 480 元) added on the plans page, the run as a background job, the report with its
charts drawn (a screenshot shows the bars), the drill-down to a township's persons, and the PDF."""

from __future__ import annotations

from pathlib import Path

from browser_site import register_and_bill, sign_in
from next_year import POLICIES, moved_on
from test_chinese_pages import english_words
from test_web_progress import drawn

DRAFT_BLUE = (11, 92, 173)  # the draft's bars (#0b5cad)
NOW_GREY = (91, 103, 117)  # this year's (#5b6775)


def test_bureau_simulates_next_years_plan_in_chromium(server: str, browser_page: object, tmp_path: Path) -> None:
    from playwright.sync_api import Page, expect

    page = browser_page
    assert isinstance(page, Page)
    register_and_bill(page, server)  # 王建国 at the middle tier (440 元) and a student (160 元), on a notice
    page.click("header button")

    sign_in(page, server, "admin")
    draft = (  # a draft, not yet published: no text to check its quotations against
        moved_on((POLICIES / "tianjin-jizhou-2018.yaml").read_text("utf-8"), 2018, {})
        .replace("成年居民中档 1270 830 440", "成年居民中档 1310 830 480")
        .replace("{yuan: 1270,", "{yuan: 1310,")
        .replace("{yuan: 440,", "{yuan: 480,")
    )
    (tmp_path / "蓟州2019.yaml").write_text(draft, "utf-8")
    page.goto(server + "/policies")
    page.set_input_files("#p_file", str(tmp_path / "蓟州2019.yaml"))
    page.click("#upload button.primary")
    expect(page.locator("#added")).to_have_text("已添加 tianjin-jizhou-2019 第1版。")

    page.click("header >> text=方案测算")
    expect(page.locator("#no-reports")).to_be_visible()
    assert not english_words(page.content())
    page.select_option("#s_draft", "tianjin-jizhou-2019")
    page.select_option("#s_base", "2018")
    page.click("#s_run")
    expect(page.locator("#simulation-result")).to_contain_text("测算完成", timeout=30_000)
    page.click("#report-link")

    expect(page.locator("#report-title")).to_have_text("天津市蓟州区2019年度城乡居民基本医疗保险测算报告")
    individual = page.locator("#totals tr[data-figure=individual] td")
    expect(individual.nth(1)).to_have_text("600.00")
    expect(individual.nth(2)).to_have_text("640.00")
    expect(individual.nth(3)).to_have_text("40.00")
    expect(page.locator("#outcomes [data-outcome=rise]")).to_have_text("1")
    expect(page.locator("#outcomes [data-outcome=same]")).to_have_text("1")
    expect(page.locator("#assumptions li").first).to_contain_text("测算基数：2018年度参保人员2人")
    townships = page.locator("svg[data-chart=comparison]")
    expect(townships.locator("rect[data-unit=渔阳镇][data-side=new]")).to_have_attribute("data-value", "64000")
    expect(page.locator("svg[data-chart=changes] rect[data-change='40.00']")).to_have_attribute("data-count", "1")
    page.screenshot(path=str(tmp_path / "simulation.png"), full_page=True)
    assert not english_words(page.content())
    assert drawn(townships.screenshot(), DRAFT_BLUE) > 100
    assert drawn(townships.screenshot(), NOW_GREY) > 100
    assert drawn(page.locator("svg[data-chart=changes]").screenshot(), DRAFT_BLUE) > 300

    pdf = page.request.get(server + page.locator("#report-pdf").get_attribute("href"))  # type: ignore[operator]
    assert pdf.ok and pdf.body().startswith(b"%PDF")
    page.click("#by-township a:text('渔阳镇')")
    expect(page.locator("#count")).to_contain_text("共2人")
    expect(page.locator("#persons tbody tr").first).to_contain_text("王建国")  # the largest change first
    expect(page.locator("#persons tbody tr").first.locator("[data-change]")).to_have_text("40.00")
    page.screenshot(path=str(tmp_path / "simulation-persons.png"), full_page=True)
    assert not english_words(page.content())

    page.goto(server + "/simulations")
    page.check("#reports tr input[name=ids]")
    page.click("#compare")
    expect(page.locator("#comparison tr[data-figure=individual]")).to_contain_text("640.00")
