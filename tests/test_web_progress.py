"""The district bureau's dashboard and bulletin in headless Chromium: targets loaded from the plan, a family paid at
the counter, the dashboard's numbers and its charts (a screenshot shows the progress line drawn), a township's
own view, and the bulletin with its Excel file."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

from browser_site import register_and_bill, sign_in

LINE = (11, 92, 173)  # the progress line's colour (#0b5cad)


def drawn(png: bytes, colour: tuple[int, int, int]) -> int:
    """Pixels of about this colour in a screenshot: the chart was rendered, not just present in the markup."""
    data = Image.open(io.BytesIO(png)).convert("RGB").tobytes()
    pixels = zip(data[0::3], data[1::3], data[2::3], strict=True)
    return sum(1 for pixel in pixels if all(abs(a - b) < 30 for a, b in zip(pixel, colour, strict=True)))


def test_dashboard_and_bulletin_in_chromium(server: str, browser_page: object, tmp_path: Path) -> None:
    from playwright.sync_api import Page, expect

    page = browser_page
    assert isinstance(page, Page)
    register_and_bill(page, server)
    page.fill("#p_amount", "600")
    page.click("#pay button.primary")
    expect(page.locator("#receipt-number")).to_be_visible()

    page.click("header >> text=首页")  # the clerk's home opens on her own township, then the district's
    expect(page.locator("#my-heading")).to_have_text("本镇（街）：渔阳镇")
    expect(page.locator("#my-paid")).to_have_text("2")
    assert page.locator("#my-stats").bounding_box()["y"] < page.locator("#progress-stats").bounding_box()["y"]  # type: ignore[index]
    expect(page.locator(".stat[title*='已缴费和已生效']").first).to_be_visible()  # the terms, said once
    page.click("header >> text=参保进度")  # the clerk's own township first
    expect(page.locator("#my-township")).to_contain_text("渔阳镇")
    page.click("header button")
    sign_in(page, server, "admin")  # the bureau's home page opens on the campaign's progress
    expect(page.locator("#progress-stats #paid-total")).to_have_text("2")
    expect(page.locator("svg[data-chart=cumulative]")).to_be_visible()
    page.goto(server + "/progress")
    page.click("#breakdown-link")  # 进度明细: by channel, the whole district
    page.select_option("#b_by", "channel")
    page.click("#breakdown-form button")
    expect(page.locator("#breakdown tfoot th").nth(3)).to_have_text("2")
    page.goto(server + "/targets")
    page.select_option("#t_policy", "tianjin-jizhou-2018")
    page.click("#load-targets button")
    expect(page.locator("[role=status]")).to_contain_text("已从实施方案载入")
    expect(page.locator("#targets")).to_contain_text("渔阳镇")
    expect(page.locator("#targets")).to_contain_text("42,300")  # thousands separated, as every count
    sheet = tmp_path / "任务分解表.csv"
    sheet.write_text("单位,合计\n州河湾镇,19600\n", encoding="utf-8")  # the bureau assigns 五百户镇's share
    page.set_input_files("#t_file", str(sheet))
    page.click("#import-targets button")
    expect(page.locator("[role=status]")).to_contain_text("已导入任务指标表")
    expect(page.locator("#targets")).to_contain_text("州河湾镇")

    page.goto(server + "/progress")
    expect(page.locator("#paid-total")).to_have_text("2")
    yuyang = page.locator("#ranking tr[data-unit=渔阳镇]")
    expect(yuyang.locator(".paid")).to_have_text("1")  # 蓟州's targets count general residents: not the student
    expect(yuyang.locator(".band")).to_have_text("红")
    chart = page.locator("svg[data-chart=cumulative]")
    expect(chart.locator("path[data-series=paid]")).to_have_count(1)
    expect(chart.locator("[data-target='628400']")).to_have_count(1)  # far above: written, not drawn to scale
    expect(page.locator("svg[data-chart=ranking] rect[data-unit=渔阳镇]")).to_have_count(1)
    page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
    assert drawn(chart.screenshot(), LINE) > 200

    page.click("text=排名通报")
    expect(page.locator("h1.doc-title")).to_contain_text("参保进度通报")
    expect(page.locator("#bulletin")).to_contain_text("完成率后三位")
    expect(page.locator("#bulletin-ranking tr[data-unit=渔阳镇]")).to_be_visible()
    page.screenshot(path=str(tmp_path / "bulletin.png"), full_page=True)
    href = page.locator("#bulletin-xlsx").get_attribute("href")
    assert href is not None
    workbook = page.request.get(server + href)
    assert workbook.status == 200 and workbook.body()[:2] == b"PK"
