"""Printed matter: the QR code carries exactly the notice number (read back by a real decoder), and the PDF notice
holds its Chinese text as text (a reader extracts it), in the font the project's setup installs."""

from __future__ import annotations

import io
import itertools
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


def _text_boxes(content: bytes) -> list[tuple[float, float, float, str]]:
    """Each text run of the first page as (x, y, estimated right edge, text): a CJK character is a square of the
    font's size, anything else half of one — close enough to see a run cross into the next cell."""
    boxes: list[tuple[float, float, float, str]] = []

    def visit(text: str, cm: list[float], tm: list[float], _font: object, size: float) -> None:
        if not text.strip():
            return
        scale = size * (tm[0] or 1) * (cm[0] or 1)
        x, y = tm[4] * (cm[0] or 1) + cm[4], tm[5] * (cm[3] or 1) + cm[5]
        width = sum(scale if ord(char) > 0x2E80 else scale * 0.5 for char in text)
        boxes.append((x, y, x + width, text))

    PdfReader(io.BytesIO(content)).pages[0].extract_text(visitor_text=visit)
    return boxes


def overlaps(content: bytes) -> list[tuple[str, str]]:
    """Pairs of text runs on the same line where the first runs over the start of the next."""
    found = []
    lines: dict[int, list[tuple[float, float, float, str]]] = {}
    for box in _text_boxes(content):
        lines.setdefault(round(box[1]), []).append(box)
    for runs in lines.values():
        runs.sort()
        for left, right in itertools.pairwise(runs):
            if left[2] > right[0] + 1:
                found.append((left[3], right[3]))
    return found


def test_no_cell_of_a_printed_table_runs_over_the_next() -> None:
    """The bulletin once printed 任务口径 over the 任务数 column on every row ("在校学生6500")."""
    try:
        cjk_font()
    except FontMissing:
        if os.environ.get("YIBAO_REQUIRE_BROWSER"):
            raise
        pytest.skip("no CJK font installed (apt-get install fonts-wqy-microhei)")
    document = PrintedTable(
        title="2018年度城乡居民基本医疗保险参保进度通报",
        lines=["截至2017年11月15日，全区已缴费参保1770人。"],
        columns=[Column("单位", 30), Column("任务口径", 30), Column("任务数", 20, numeric=True)],
        rows=[
            ["渔阳镇", "一般居民（不含特殊群体、在校学生）", "6500"],
            ["天津大学仁爱学院", "合计（学生）", "14015"],
        ],
    )
    content = table_pdf(document)
    assert overlaps(content) == []
    text = PdfReader(io.BytesIO(content)).pages[0].extract_text()
    assert "在校学生" in text and "6500" in text and "14015" in text
