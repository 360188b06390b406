"""Cross-checks in headless Chromium: 民政's user uploads the population register, the bureau runs the cross-checks; the
overview counts the unenrolled per township; the 渔阳镇 clerk sees only her own people, records a follow-up and a
reason for non-enrollment, and downloads the worklist; the next run clears the person with a reason."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

from openpyxl import load_workbook

from browser_site import sign_in
from test_chinese_pages import pdf_text, workbook_text
from yibao.domain import idnumber

PEOPLE = [
    (idnumber.make("120119", date(1960, 5, 6), 31), "赵大明", "渔阳镇", "西关村"),
    (idnumber.make("120119", date(1962, 7, 8), 42), "钱小红", "渔阳镇", "西关村"),
    (idnumber.make("120119", date(1970, 1, 2), 53), "孙立新", "别山镇", "别山村"),
]


def test_cross_checks_in_chromium(server: str, browser_page: object, tmp_path: Path) -> None:
    from playwright.sync_api import Page, expect

    page = browser_page
    assert isinstance(page, Page)
    sign_in(page, server, "minzheng")  # a department's user hands in a list, and sees nobody's results
    page.click("header >> text=信息比对")
    expect(page.locator("#upload")).to_be_visible()
    expect(page.locator("#run")).to_have_count(0)
    expect(page.locator("#lists")).to_have_count(0)
    register = tmp_path / "户籍人口.csv"
    register.write_text(
        "公民身份号码,姓名,镇（街）,村（居）\n" + "".join(",".join(person) + "\n" for person in PEOPLE),
        encoding="utf-8",
    )
    page.set_input_files("#r_file", str(register))
    page.select_option("#r_kind", "population")
    page.click("#upload button.primary")
    expect(page.locator("#reference-result")).to_contain_text("名单已保存", timeout=30_000)
    expect(page.locator("[data-outcome=stored]")).to_have_text("3")
    page.click("header button")
    sign_in(page, server, "admin")
    page.goto(server + "/crosscheck")
    expect(page.locator("#no-findings")).to_be_visible()
    expect(page.locator("#lists")).to_contain_text("户籍及常住人口")
    page.select_option("#c_engine", "duckdb")
    page.click("#run button.primary")
    expect(page.locator("#run-result")).to_be_visible(timeout=60_000)
    expect(page.locator("[data-outcome=unenrolled]")).to_have_text("3")
    page.goto(server + "/progress")  # the register is the base of the coverage rate: nobody of it paid yet
    expect(page.locator("#coverage")).to_have_text("0.0%")
    page.go_back()
    page.click("#findings-link")
    expect(page.locator("#summary tr[data-township='120119100000'] [data-kind=unenrolled]")).to_have_text("2")
    page.click("header button")

    sign_in(page, server, "yuyang")
    page.goto(server + "/crosscheck/findings?township=120119100000")  # the township's villages, each a worklist
    expect(page.locator("#villages tbody tr")).to_have_count(1)
    page.click("#villages >> text=西关村")
    rows = page.locator("#findings tbody tr")
    expect(rows).to_have_count(2)  # 别山镇's person is not hers to see
    expect(page.locator("#findings")).not_to_contain_text("孙立新")
    expect(rows.first).to_contain_text("西关村")
    expect(rows.first).to_contain_text("公安户籍及常住人口名单")
    first = rows.filter(has_text="赵大明")
    first.locator("form.follow-up select").select_option("contacted")
    first.locator("form.follow-up input[name=note]").fill("已电话联系")
    first.locator("form.follow-up button").click()
    expect(page.locator("#findings tbody tr", has_text="赵大明").locator(".status")).to_have_text("已联系")
    second = page.locator("#findings tbody tr", has_text="钱小红")
    second.locator("form.reason select").select_option("military_service")
    second.locator("form.reason button").click()
    expect(page.locator("#findings tbody tr", has_text="钱小红").locator(".status")).to_have_text("已登记原因")
    with page.expect_download() as download:
        page.click("#export")
    sheet = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes())).active
    assert sheet is not None
    listed = [str(row[2]) for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert sorted(listed) == ["赵大明", "钱小红"]
    page.goto(server + "/crosscheck")  # 西关村's register of reasons, to print, sign and stamp
    page.select_option("#rr_village", "120119100001")
    page.select_option("#r_kind_select", "xlsx")
    with page.expect_download() as printed:
        page.click("#rr_print")
    workbook = workbook_text(Path(printed.value.path()).read_bytes()).replace(" ", "")
    query = "year=2018&township=120119100000&village=120119100001&kind=pdf"
    pdf = page.request.get(f"{server}/crosscheck/reason-register?{query}")  # the printed one, as the form asks
    for form in (workbook, pdf_text(pdf.body()).replace(" ", "")):
        assert "天津市蓟州区城乡居民基本医疗保险未参保原因登记表" in form and "钱小红" in form
        assert "村（居）：西关村" in form and "服兵役" in form
    page.click("header button")

    sign_in(page, server, "admin")
    page.goto(server + "/crosscheck")
    page.click("#run button.primary")
    expect(page.locator("#run-result")).to_be_visible(timeout=60_000)
    expect(page.locator("[data-outcome=unenrolled]")).to_have_text("2")  # the one with a reason is off the list
    expect(page.locator("#job")).to_be_visible()


def test_a_long_worklist_in_pages_filtered_by_village_in_chromium(
    server: str, browser_page: object, tmp_path: Path
) -> None:
    """63 unenrolled people of 渔阳镇 (3 with no village given): the clerk's worklist says how many, shows them 50
    to a page, filters by village, and offers no reason for non-enrollment until one is chosen."""
    from playwright.sync_api import Page, expect

    page = browser_page
    assert isinstance(page, Page)
    people = [
        (idnumber.make("120119", date(1960, 1, 1 + index % 28), 100 + index), f"西关{index:02d}", "渔阳镇", "西关村")
        for index in range(60)
    ] + [
        (idnumber.make("120119", date(1975, 3, 3 + index), 200 + index), f"东关{index}", "渔阳镇", "")
        for index in range(3)
    ]
    register = tmp_path / "户籍人口.csv"
    register.write_text(
        "公民身份号码,姓名,镇（街）,村（居）\n" + "".join(",".join(person) + "\n" for person in people),
        encoding="utf-8",
    )
    sign_in(page, server, "minzheng")
    page.goto(server + "/crosscheck")
    page.set_input_files("#r_file", str(register))
    page.select_option("#r_kind", "population")
    page.click("#upload button.primary")
    expect(page.locator("#reference-result")).to_contain_text("名单已保存", timeout=30_000)
    page.click("header button")
    sign_in(page, server, "admin")
    page.goto(server + "/crosscheck")
    page.click("#run button.primary")
    expect(page.locator("#run-result")).to_be_visible(timeout=60_000)
    page.click("header button")

    sign_in(page, server, "yuyang")
    page.goto(server + "/crosscheck/findings")
    expect(page.locator("#count")).to_have_text("共 63 条，第 1–50 条（第 1 / 2 页）")
    expect(page.locator("#findings tbody tr")).to_have_count(50)
    expect(page.locator("#f_township option")).to_have_count(1)  # her own township, no 全部
    reason = page.locator("#findings tbody tr").first.locator("form.reason select")
    expect(reason).to_have_value("")  # nothing chosen for her: 请选择原因
    expect(reason.locator("option:checked")).to_have_text("请选择原因")
    page.click("a[rel=next]")
    expect(page.locator("#count")).to_have_text("共 63 条，第 51–63 条（第 2 / 2 页）")
    expect(page.locator("#findings tbody tr")).to_have_count(13)
    page.select_option("#f_village", label="西关村")
    page.select_option("#f_order", "name")
    page.click("#filter button[type=submit]")
    expect(page.locator("#count")).to_contain_text("共 60 条")
    expect(page.locator("#findings tbody tr").first).to_contain_text("西关00")
    expect(page.locator("#findings")).not_to_contain_text("东关")
