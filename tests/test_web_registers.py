"""登记册审核 in Chromium on the 嵩明 demo: a village's register received at 嵩阳街道's office, printed, corrected
after its paper was signed, returned for the paper/electronic mismatch naming the household, corrected back,
checked, reviewed by the county, deposited — each step by its own role, each page without English."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from browser_site import run_demo_server, sign_in
from yibao.synthetic.demo import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SONGYANG = "530127001000"


@pytest.fixture
def songming(tmp_path: Path) -> Iterator[str]:
    yield from run_demo_server(tmp_path, "kunming-songming-2018", households_per_township=40)


def _roster(text: str) -> list[tuple[str, str]]:
    return [tuple(line.split()) for line in text.splitlines() if line.strip()]  # type: ignore[misc]


def _yuan(lines: list[tuple[str, str]]) -> str:
    fen = sum(round(float(amount) * 100) for _, amount in lines)
    return f"{fen // 100}.{fen % 100:02d}"


def test_a_songming_village_register_through_the_whole_chain(songming: str, browser_page: object) -> None:
    from playwright.sync_api import Page, expect

    from test_chinese_pages import english_words

    page = browser_page
    assert isinstance(page, Page)
    sign_in(page, songming, "songyang", DEMO_PASSWORD)
    page.click("header >> text=登记册审核")
    counts = {
        row.get_attribute("data-village"): int(row.locator(".to-pay").inner_text().replace(",", ""))
        for row in page.locator("#by-village tbody tr[data-village]").all()
    }
    village = max(counts, key=lambda code: counts[code])  # the village with most people still to pay
    assert village is not None and counts[village] >= 2, counts
    page.select_option("#p_village", village)
    page.click("#prefill button")
    roster = _roster(page.locator("#r_lines").input_value())
    assert len(roster) >= 2, "the demo's village has people still to pay"
    page.fill("#r_collector", "村会计李明")
    page.fill("#r_cash", _yuan(roster))
    page.click("#submit-register button.primary")
    expect(page.locator("#state")).to_have_text("村（居）已提交")
    expect(page.locator("#chain li")).to_have_text(["村（居）提交", "社保所核对", "医保中心复核", "缴入指定账户"])
    paper = page.request.get(songming + (page.locator("#paper-pdf").get_attribute("href") or ""))
    assert paper.ok and paper.body().startswith(b"%PDF")
    printed = page.locator("#checksum").inner_text()
    register_url = page.url

    # After the paper is signed, the village takes the last person off the electronic roster (and their cash).
    last = page.locator("#lines tbody tr").last
    household = last.locator("td").first.inner_text()
    page.click("#amend summary")
    shorter = roster[:-1]
    page.fill("#a_lines", "\n".join(" ".join(line) for line in shorter))
    page.fill("#a_cash", _yuan(shorter))
    page.click("#amend button.primary")
    expect(page.locator("#checksum")).not_to_have_text(printed)

    # 社保所核对 with the signed paper: people and money agree, paper and electronic do not — returned, named.
    page.fill("#c_cash", _yuan(shorter))
    page.fill("#c_code", printed)
    page.fill("#c_people", str(len(roster)))
    page.fill("#c_total", _yuan(roster))
    page.click("#check button.primary")
    expect(page.locator("#state")).to_have_text("已退回村（居）")
    findings = page.locator("#history tr[data-action='return'] .findings li")
    expect(findings.first).to_contain_text(f"纸电不符：户号{household}")
    expect(page.locator("#history .findings")).not_to_contain_text("人款不符")
    expect(page.locator("#amend")).to_have_attribute("open", "")

    # The village puts the person back: a new version, printed and signed again, checked by its QR code.
    page.fill("#a_lines", "\n".join(" ".join(line) for line in roster))
    page.fill("#a_cash", _yuan(roster))
    page.click("#amend button.primary")
    expect(page.locator("#state")).to_have_text("村（居）已提交")
    number = page.locator("h1").inner_text().split()[-1]
    checksum = page.locator("#checksum").inner_text()
    total_fen = sum(round(float(amount) * 100) for _, amount in roster)
    page.fill("#c_cash", _yuan(roster))
    page.fill("#c_code", f"YBDJC|{number}|{checksum}|{len(roster)}|{total_fen}")
    page.click("#check button.primary")
    expect(page.locator("#state")).to_have_text("社保所已核对")
    expect(page.locator("#awaiting")).to_have_text("医保中心复核")
    expect(page.locator("#review")).to_have_count(0)  # the county's step, not the township's
    page.goto(songming + f"/registers?township={SONGYANG}")
    expect(page.locator(f"#by-village tr[data-village='{village}'] .state")).to_have_text("社保所已核对")

    # The county: the district page lists the township's registers by state; its review passes the register.
    page.context.clear_cookies()
    sign_in(page, songming, "admin", DEMO_PASSWORD)
    page.goto(songming + "/registers")
    expect(page.locator(f"#by-township tr[data-township='{SONGYANG}'] .checked")).to_have_text("1")
    page.goto(register_url)
    page.fill("#v_remarks", "复核无误")
    page.click("#review button.primary")
    expect(page.locator("#state")).to_have_text("医保中心已复核")

    # The village's deposit into the plan's account, recorded at the township's office.
    page.context.clear_cookies()
    sign_in(page, songming, "songyang", DEMO_PASSWORD)
    page.goto(register_url)
    expect(page.locator("#deposit h2")).to_contain_text("农业银行指定帐户")
    page.fill("#d_reference", "20171101-0007")
    page.fill("#d_amount", _yuan(roster))
    page.click("#deposit button.primary")
    expect(page.locator("#state")).to_have_text("已缴入指定账户")
    expect(page.locator("#history tr[data-action]")).to_have_count(7)
    expect(page.locator("#history tr[data-action='review']")).to_contain_text("复核无误")
    assert english_words(page.locator("main").inner_text()) == set()
