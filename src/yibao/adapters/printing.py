"""Printed matter: QR codes (segno) and PDF documents with Chinese text (fpdf2 and a CJK font installed
on the machine — Debian's ``fonts-wqy-microhei``, which the project's setup installs; ``YIBAO_CJK_FONT`` names
another font file)."""

from __future__ import annotations

import io
import os
from dataclasses import dataclass, field
from pathlib import Path

import segno
from fpdf import FPDF, FontFace
from fpdf.enums import XPos, YPos

FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
)


class FontMissing(Exception):
    """No font on this machine can print Chinese."""


def cjk_font() -> Path:
    named = os.environ.get("YIBAO_CJK_FONT")
    for candidate in ([named] if named else []) + list(FONT_CANDIDATES):
        if Path(candidate).is_file():
            return Path(candidate)
    raise FontMissing(named or FONT_CANDIDATES[0])


def qr_svg(data: str) -> str:
    """An inline SVG QR code (no file, no network): for pages."""
    return str(segno.make(data, error="m", micro=False).svg_inline(scale=3, border=2))


def qr_png(data: str) -> bytes:
    buffer = io.BytesIO()
    segno.make(data, error="m", micro=False).save(buffer, kind="png", scale=6, border=2)
    return buffer.getvalue()


@dataclass(frozen=True)
class Column:
    title: str
    width_mm: float
    numeric: bool = False


@dataclass(frozen=True)
class PrintedSection:
    heading: str
    columns: list[Column]
    rows: list[list[str]]
    lines: list[str] = field(default_factory=list)  # under the heading, above the table


@dataclass(frozen=True)
class PrintedTable:
    """A titled document: lines of text, a table (and further tables, each under its heading), closing lines, and
    a QR code in the top right corner."""

    title: str
    lines: list[str]
    columns: list[Column]
    rows: list[list[str]]
    closing: list[str] = field(default_factory=list)
    qr_data: str | None = None
    sections: list[PrintedSection] = field(default_factory=list)  # further tables, each under its heading


def table_pdf(document: PrintedTable) -> bytes:
    pdf = FPDF(orientation="landscape", unit="mm", format="A4")
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.add_font("cjk", "", str(cjk_font()))
    pdf.add_page()
    if document.qr_data:
        pdf.image(io.BytesIO(qr_png(document.qr_data)), x=pdf.w - 45, y=10, w=32)
    pdf.set_font("cjk", size=16)
    pdf.cell(0, 12, document.title, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("cjk", size=10)
    for line in document.lines:  # wrapped, as long headlines are
        pdf.multi_cell(0, 6, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    _table(pdf, document.columns, document.rows)
    for section in document.sections:
        pdf.ln(4)
        pdf.set_font("cjk", size=12)
        pdf.multi_cell(0, 8, section.heading, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font("cjk", size=10)
        for line in section.lines:
            pdf.multi_cell(0, 6, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        _table(pdf, section.columns, section.rows)
    pdf.ln(4)
    pdf.set_font("cjk", size=10)
    for line in document.closing:
        pdf.multi_cell(0, 6, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())


def _table(pdf: FPDF, columns: list[Column], rows: list[list[str]]) -> None:
    pdf.set_font("cjk", size=9)
    # fpdf2's table wraps a cell's text within its column and grows the row to fit: no text runs into the next
    # cell (fixed cells once printed 任务口径 over 任务数), and the header repeats on each page.
    widths = [column.width_mm for column in columns]
    align = tuple("RIGHT" if column.numeric else "LEFT" for column in columns)
    with pdf.table(
        col_widths=widths,
        width=min(sum(widths), pdf.epw),
        text_align=align,
        line_height=5,
        padding=1,
        headings_style=FontFace(emphasis=None, fill_color=(235, 240, 248)),
    ) as table:
        table.row([column.title for column in columns])
        for values in rows:
            table.row(values)
