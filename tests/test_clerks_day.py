"""A township clerk's day on the demo (蓟州 2018, the README's first command, at a small size), in Chromium: a
household with three bad rows told all at once, corrected, previewed and confirmed; the notice and its PDF; the
payment and the receipt PDF; a search; an information change read back as a sentence; a roster under title lines
whose error file marks the very lines the page names; the worklist's second page filtered by village. Every page
on the way is photographed and read for visible English."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter

from browser_site import run_demo_server, sign_in
from yibao.adapters.sheet_files import ERROR_COLUMN
from yibao.domain import idnumber
from yibao.synthetic.demo import DEMO_PASSWORD
from yibao.synthetic.rosters import HEADERS

pytestmark = [pytest.mark.browser, pytest.mark.slow]
YUYANG = "120119100000"


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[str]:
    yield from run_demo_server(tmp_path, "tianjin-jizhou-2018", households_per_township=3)


def person(born: date, sequence: int) -> str:
    """An ID number no demo family has (the demo's sequences stay under 100)."""
    return idnumber.make("120119", born, sequence)


def titled_roster(path: Path) -> tuple[int, int]:
    """A village's roster as townships keep it — a title and a date above the header — with one bad ID number;
    returns the file lines of the bad row and of a good one."""
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("名册")
    sheet.write_string(0, 0, "渔阳镇2018年度城乡居民医保参保登记册")
    sheet.write_string(1, 0, "填报日期：2017年11月15日")
    sheet.write_row(2, 0, HEADERS)
    good = person(date(1979, 4, 4), 741)
    bad = person(date(1981, 5, 5), 742)
    bad = bad[:17] + ("0" if bad[17] != "0" else "1")
    rows = [
        ["1", "701", "钱多多", "男", good, "户主", "", "中档", "", "13900001111"],
        ["2", "702", "钱少少", "女", bad, "户主", "", "中档", "", "13900002222"],
    ]
    for index, row in enumerate(rows):
        sheet.write_row(3 + index, 0, row)
    book.close()
    return 5, 4  # lines (1-based) of the bad and the good row


def test_a_township_clerks_day_on_the_demo(demo: str, browser_page: object, tmp_path: Path) -> None:
    from playwright.sync_api import Page, expect

    from test_chinese_pages import english_words

    page = browser_page
    assert isinstance(page, Page)
    seen: dict[str, set[str]] = {}

    def photograph(step: str) -> None:
        page.screenshot(path=str(tmp_path / f"{step}.png"), full_page=True)
        seen[step] = english_words(page.content())

    sign_in(page, demo, "yuyang", DEMO_PASSWORD)
    photograph("home")

    # The counter: three bad rows, every problem at once, each at its row.
    page.click("header >> text=柜台参保登记")
    head, spouse = person(date(1976, 2, 2), 731), person(date(1978, 3, 3), 732)
    page.fill("input[name=m1_name]", "孙立新")
    page.fill("input[name=m1_id_number]", head[:17] + ("0" if head[17] != "0" else "1"))
    page.fill("input[name=m2_name]", "  ")
    page.fill("input[name=m2_id_number]", spouse)
    page.fill("input[name=m2_phone]", "12345")
    page.click("#preview-button")
    problems = page.locator("#problems li")
    expect(problems).to_have_count(3)  # a wrong check digit; a blank name and a phone that is none, in one row
    expect(problems.nth(0)).to_contain_text("第1行：公民身份号码校验码错误")
    expect(problems.nth(1)).to_contain_text("第2行：请填写姓名")
    expect(problems.nth(2)).to_contain_text("第2行：联系电话“12345”格式不正确")
    expect(page.locator("tr.bad")).to_have_count(2)
    photograph("counter-problems")
    page.fill("input[name=m1_id_number]", head)
    page.fill("input[name=m2_name]", "周春梅")
    page.select_option("select[name=m2_relation]", "配偶")
    page.fill("input[name=m2_phone]", "13611112222")
    page.click("#preview-button")
    expect(page.locator("#preview")).to_be_visible()
    photograph("counter-preview")
    page.click("#confirm")
    expect(page.locator("h1")).to_contain_text("整户参保登记完成：2 人")
    photograph("counter-done")

    # The notice, its PDF, the payment in cash and the receipt PDF.
    page.click("text=开具缴费通知单")
    expect(page.locator("h1.doc-title")).to_contain_text("缴费通知单")
    number = page.locator("#notice-number").inner_text()
    notice_pdf = page.request.get(f"{demo}/notices/{number}.pdf")
    assert notice_pdf.ok and notice_pdf.body()[:4] == b"%PDF"
    photograph("notice")
    page.fill("#p_amount", page.locator("#notice-amount").inner_text())
    page.click("#pay button.primary")
    expect(page.locator("#receipt-number")).to_be_visible()
    receipt_pdf = page.request.get(demo + (page.locator("#receipt-pdf").get_attribute("href") or ""))
    assert receipt_pdf.ok and receipt_pdf.body()[:4] == b"%PDF"
    photograph("receipt")

    # A search, the record, an information change read back as a sentence.
    page.goto(demo + "/residents?q=周春梅")
    expect(page.locator("#found-count")).to_have_text("共 1 人")
    photograph("search")
    page.click("text=周春梅")
    page.click("#change summary")
    page.fill("#c_phone", "13622223333")
    page.fill("#c_reason", "本人来电更正")
    page.click("#change button.primary")
    expect(page.locator("[role=status]")).to_contain_text("信息变更已保存")
    expect(page.locator("body")).to_contain_text("联系电话由13611112222改为13622223333（原因：本人来电更正）")
    photograph("record")

    # A roster under title lines: the page and the error file name the file's own line.
    roster = tmp_path / "西关村名册.xlsx"
    bad_line, good_line = titled_roster(roster)
    page.click("header >> text=名册导入")
    page.set_input_files("#r_file", str(roster))
    page.click("#upload button.primary")
    expect(page.locator("[data-outcome=errors]")).to_have_text("1", timeout=30_000)
    expect(page.locator("#problems tbody tr")).to_contain_text(str(bad_line))
    photograph("roster")
    with page.expect_download() as download:
        page.click("#error-file")
    marked = tmp_path / "error.xlsx"
    download.value.save_as(marked)
    sheet = openpyxl.load_workbook(marked).active
    assert sheet is not None
    assert sheet.cell(row=1, column=1).value == "渔阳镇2018年度城乡居民医保参保登记册"
    note_column = [cell.value for cell in sheet[3]].index(ERROR_COLUMN) + 1
    assert sheet.cell(row=bad_line, column=3).value == "钱少少" and sheet.cell(row=bad_line, column=note_column).value
    assert sheet.cell(row=good_line, column=3).value == "钱多多"
    assert not sheet.cell(row=good_line, column=note_column).value

    # The worklist: 民政's register lists 55 people of one of her villages not enrolled; the bureau runs the
    # cross-checks; she reads the second page of that village's worklist.
    page.goto(demo + "/counter")
    village = page.locator(f"#village_code option[data-township='{YUYANG}']").first
    village_code, village_name = village.get_attribute("value"), village.inner_text()
    people = [(person(date(1950, 1, 1 + index % 28), 800 + index), f"未参保{index:02d}") for index in range(55)]
    register = tmp_path / "户籍人口.csv"
    register.write_text(
        "公民身份号码,姓名,镇（街）,村（居）\n"
        + "".join(f"{number},{name},渔阳镇,{village_name}\n" for number, name in people),
        encoding="utf-8",
    )
    page.click("header button")
    sign_in(page, demo, "minzheng", DEMO_PASSWORD)
    page.goto(demo + "/crosscheck")
    page.set_input_files("#r_file", str(register))
    page.select_option("#r_kind", "population")
    page.click("#upload button.primary")
    expect(page.locator("#reference-result")).to_contain_text("名单已保存", timeout=30_000)
    page.click("header button")
    sign_in(page, demo, "admin", DEMO_PASSWORD)
    page.goto(demo + "/crosscheck")
    page.click("#run button.primary")
    expect(page.locator("#run-result")).to_be_visible(timeout=60_000)
    page.goto(demo + "/crosscheck")  # the runs, each by whom: a name, not a login
    photograph("crosscheck-runs")
    page.click("header button")
    sign_in(page, demo, "yuyang", DEMO_PASSWORD)
    page.goto(demo + "/crosscheck/findings")
    page.select_option("#f_village", village_code or "")
    page.click("#filter button")
    expect(page.locator("#count")).to_contain_text("第 1 / 2 页")
    page.click("a[rel=next]")
    expect(page.locator("#count")).to_contain_text("（第 2 / 2 页）")
    rows = page.locator("#findings tbody tr")
    expect(rows.first).to_contain_text(village_name)
    photograph("worklist-page-2")

    assert {step: words for step, words in seen.items() if words} == {}
