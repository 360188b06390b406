"""The district admin imports villages and adds an organization on the web; a wrong sheet writes nothing."""

from __future__ import annotations

from pathlib import Path

from browser_site import sign_in


def test_villages_and_an_organization_in_chromium(server: str, browser_page: object, tmp_path: Path) -> None:
    from playwright.sync_api import Page, expect

    page = browser_page
    assert isinstance(page, Page)
    (tmp_path / "村居.csv").write_text("镇（街）,村（居）\n渔阳镇,北关村\n渔阳镇,南关社区\n", "utf-8")
    (tmp_path / "有误.csv").write_text("镇（街）,村（居）\n五百户镇,五百户村\n", "utf-8")
    sign_in(page, server, "admin")
    page.click("header >> text=村居与单位")

    page.set_input_files("#v_file", str(tmp_path / "有误.csv"))
    page.click("#villages-upload button.primary")
    expect(page.locator("#village-problems li").first).to_contain_text("“五百户镇”不在本区县")

    page.set_input_files("#v_file", str(tmp_path / "村居.csv"))
    page.click("#villages-upload button.primary")
    expect(page.locator("#village-report [data-outcome=created]")).to_have_text("2")
    expect(page.locator("#townships tr[data-township='120119100000']")).to_contain_text("北关村")

    page.fill("#o_name", "渔阳镇中心幼儿园")
    page.select_option("#o_kind", "kindergarten")
    page.select_option("#o_township", "120119100000")
    page.click("#organization-add button.primary")
    expect(page.locator("#organization-added")).to_be_visible()
    expect(page.locator("#organizations")).to_contain_text("渔阳镇中心幼儿园")
    expect(page.locator("#organizations")).to_contain_text("幼儿园")
    page.click("#village-list summary")
    row = page.locator("#villages tr", has_text="120119100").filter(has=page.locator("input[value=北关村]"))
    row.locator("input[name=name]").fill("北关新村")
    row.locator("button").click()
    expect(page.locator("#renamed")).to_be_visible()
    expect(page.locator("#townships tr[data-township='120119100000']")).to_contain_text("北关新村")
    page.screenshot(path=str(tmp_path / "areas.png"), full_page=True)
