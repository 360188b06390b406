"""The money journey in headless Chromium: register a family at the counter, issue and print its notice (QR code,
PDF), take an overpayment in cash, see every member covered with cover dates on the receipt, and, as finance,
see the day's collections and refund the excess from the refund worklist."""

from __future__ import annotations

import io
from pathlib import Path

from pypdf import PdfReader

from browser_site import FAMILY, register_and_bill, sign_in
from test_printing import overlaps


def test_notice_payment_receipt_and_refund_in_chromium(server: str, browser_page: object, tmp_path: Path) -> None:
    from playwright.sync_api import Page, expect

    page = browser_page
    assert isinstance(page, Page)
    register_and_bill(page, server)
    expect(page.locator("h1.doc-title")).to_contain_text("缴费通知单")
    expect(page.locator("#notice-amount")).to_have_text("600.00")
    expect(page.locator("#notice")).to_contain_text("陆佰元整")
    expect(page.locator(".qr svg")).to_be_visible()
    number = page.locator("#notice-number").inner_text()
    assert page.locator(".qr").get_attribute("data-qr") == number
    page.screenshot(path=str(tmp_path / "notice.png"), full_page=True)
    page.screenshot(path="/tmp/notice.png", full_page=True) if __import__("os").environ.get("KEEP_SHOTS") else None
    pdf = page.request.get(f"{server}/notices/{number}.pdf")
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf" and pdf.body()[:4] == b"%PDF"

    page.fill("#p_amount", "620")  # 20 yuan too much, in cash
    page.click("#pay button.primary")
    expect(page.locator("#receipt-number")).to_be_visible()
    expect(page.locator("#payment-amount")).to_have_text("620.00")
    for name, *_ in FAMILY:
        row = page.locator(f"#receipt tr[data-name={name}]")
        expect(row.locator(".state")).to_have_text("已生效")
        expect(row.locator(".cover")).to_have_text("2018-01-01 至 2018-12-31")
    expect(page.locator("#unapplied")).to_contain_text("20.00")
    page.screenshot(path=str(tmp_path / "receipt.png"), full_page=True)
    link = page.locator("#receipt-pdf").get_attribute("href")  # the receipt to hand over, as a PDF
    answer = page.request.get(f"{server}{link}")
    assert answer.status == 200 and answer.headers["content-type"] == "application/pdf"
    receipt = answer.body()
    text = PdfReader(io.BytesIO(receipt)).pages[0].extract_text()
    assert receipt[:4] == b"%PDF" and "缴费票据" in text and "陆佰贰拾元整" in text
    assert all(name in text for name, *_ in FAMILY) and "2018年01月01日至2018年12月31日" in text
    assert "未计入参保，待退费" in text and overlaps(receipt) == []
    page.goto(f"{server}/notices/{number}")
    expect(page.locator("#notice-balance")).to_have_text("0.00")
    expect(page.locator("#pay")).to_have_count(0)  # nothing left to take

    page.click("header button")  # sign out; finance takes over
    sign_in(page, server, "caiwu")
    page.click("text=收款与退费")
    expect(page.locator("#today")).to_contain_text("渔阳镇")
    expect(page.locator("#today tr.total")).to_contain_text("620.00")
    refunds = page.locator("#refunds tbody tr")
    expect(refunds).to_have_count(1)
    refunds.locator("a").click()
    page.fill("input[name=reason]", "多缴退回")
    page.click("text=办理退费")
    expect(page.locator("h1.doc-title")).to_contain_text("退费")
    expect(page.locator("#payment-amount")).to_have_text("-20.00")
    page.goto(server + "/finance")
    expect(page.locator("#refunds")).to_contain_text("无待退费")
    expect(page.locator("#today tr.total")).to_contain_text("20.00")


def test_bank_statement_and_an_unmatched_line_in_chromium(server: str, browser_page: object, tmp_path: Path) -> None:
    from playwright.sync_api import Page, expect

    page = browser_page
    assert isinstance(page, Page)
    register_and_bill(page, server)
    number = page.locator("#notice-number").inner_text()
    page.click("header button")
    sign_in(page, server, "caiwu")
    statement = tmp_path / "工行对账单-1025.csv"
    statement.write_text(
        "交易流水号,金额,交易时间,通知单号,缴费人\n"
        f"ICBC-1,440.00,2017-10-25 10:00:00,{number},王建国\n"  # the head's share, on the notice
        "ICBC-2,160.00,2017-10-25 10:05:00,,王建国\n",  # the student's share, no notice number written
        encoding="utf-8",
    )
    page.click("header >> text=对账")
    page.set_input_files("#s_file", str(statement))
    page.click("#upload button.primary")
    expect(page.locator("#statement-result")).to_contain_text("对账完成", timeout=20_000)
    expect(page.locator("#outcome [data-outcome=matched]")).to_have_text("1")
    expect(page.locator("#outcome [data-outcome=no_such_notice]")).to_have_text("1")
    page.click("#statement-link")
    expect(page.locator("#differences")).to_contain_text("ICBC-2")
    expect(page.locator("#townships")).to_contain_text("渔阳镇")

    page.click("text=返回对账")
    line = page.locator("#worklist tr[data-transaction=ICBC-2]")
    line.locator("input[name=notice_number]").fill(number)
    line.locator("form.assign button").click()
    expect(page.locator("[role=status]")).to_contain_text("入账")
    expect(page.locator("#worklist")).to_contain_text("无待处理明细")
    page.goto(f"{server}/notices/{number}")
    expect(page.locator("#notice-balance")).to_have_text("0.00")
    for name, *_ in FAMILY:
        expect(page.locator(f"#notice tr[data-name={name}] .state")).to_have_text("已生效")


def test_a_collection_batch_in_chromium(server: str, browser_page: object) -> None:
    from playwright.sync_api import Page, expect

    page = browser_page
    assert isinstance(page, Page)
    register_and_bill(page, server)
    ids = {name: page.locator(f"#notice tr[data-name={name}]").get_attribute("data-enrollment") for name, *_ in FAMILY}
    page.click("header >> text=收款与退费")
    page.click("text=代收批次上缴")
    page.fill("#b_number", "西关村-1")
    page.fill("#b_collector", "西关村委会")
    page.fill("#b_total", "600")
    page.fill(
        "#b_lines", f"{ids['王建国']},450\n{ids['王小明']} 150"
    )  # 10 yuan too much for one, too little for the other
    page.click("form button.primary")
    expect(page.locator(".error")).to_contain_text("人款不符")
    expect(page.locator(".error")).to_contain_text("王建国应缴440.00元、收450.00元")
    page.fill("#b_lines", f"{ids['王建国']},440\n{ids['王小明']},160")
    page.click("form button.primary")
    expect(page.locator("#receipt-number")).to_be_visible()
    for name, *_ in FAMILY:
        expect(page.locator(f"#receipt tr[data-name={name}] .state")).to_have_text("已生效")
