"""Printed matter: the QR code carries exactly the notice number (read back by a real decoder), and the PDF notice
holds its Chinese text as text (a reader extracts it), in the font the project's setup installs."""

from __future__ import annotations

import io
import os

import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader

from yibao.adapters.printing import Column, FontMissing, PrintedTable, cjk_font, qr_png, table_pdf


def test_the_qr_code_reads_back_as_the_notice_number() -> None:
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(qr_png("20181000000042"))))
    assert [code.text for code in found] == ["20181000000042"]


def test_a_pdf_notice_holds_its_chinese_text() -> None:
    try:
        cjk_font()
    except FontMissing:
        if os.environ.get("YIBAO_REQUIRE_BROWSER"):  # CI installs the font with the browser
            raise
        pytest.skip("no CJK font installed (apt-get install fonts-wqy-microhei)")
    document = PrintedTable(
        title="城乡居民基本医疗保险缴费通知单",
        lines=["缴费人：王建国    应缴合计：600.00元（陆佰元整）"],
        columns=[Column("姓名", 30), Column("个人应缴", 30, numeric=True)],
        rows=[["王建国", "440.00"], ["王小明", "160.00"]],
        qr_data="20181000000042",
    )
    content = table_pdf(document)
    text = PdfReader(io.BytesIO(content)).pages[0].extract_text()
    for expected in ("缴费通知单", "王建国", "陆佰元整", "王小明", "160.00"):
        assert expected in text


def test_without_a_font_the_pdf_names_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YIBAO_CJK_FONT", "/nonexistent/font.ttc")
    monkeypatch.setattr("yibao.adapters.printing.FONT_CANDIDATES", ())
    with pytest.raises(FontMissing):
        table_pdf(PrintedTable("标题", [], [Column("列", 20)], []))
