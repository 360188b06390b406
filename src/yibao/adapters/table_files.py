"""Exported tables, written frame by frame so a city-sized export never sits in memory whole: .csv in UTF-8 with
a BOM (as Excel reads it) by Polars, and .xlsx as a stream of sheet XML built by Polars expressions.

Why the xlsx is written here and not by XlsxWriter: XlsxWriter writes one cell per Python call, about 150,000
cells a second here — a million-row export of 15 columns would take two minutes. The sheet XML is regular enough
to build a whole batch of rows at once as strings (inline strings, numbers, three styles), and the few fixed parts
of the package are constants below. openpyxl and fastexcel read the result back in the tests.

Text that a spreadsheet would take for a formula (it begins with = + - @, a tab or a carriage return) is written
with a leading apostrophe, in both formats: a name or address typed as ``=HYPERLINK(…)`` stays text when the file
is opened, and when Excel saves the xlsx as csv and someone opens that (CSV/formula injection).
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Literal, Protocol
from xml.sax.saxutils import escape, quoteattr

import polars as pl
from xlsxwriter.utility import xl_col_to_name

FORMULA_START = r"^[=+\-@\t\r]"
XML_ILLEGAL = r"[\x00-\x08\x0B\x0C\x0E-\x1F]"  # characters XML 1.0 cannot carry at all
Kind = Literal["text", "money", "count", "decimal"]  # money: integer fen, shown in yuan; decimal: one decimal


@dataclass(frozen=True)
class TableColumn:
    title: str
    kind: Kind = "text"
    width: int = 12


class TableWriter(Protocol):
    def write(self, frame: pl.DataFrame, styles: Sequence[pl.Expr | None] | None = None) -> None:
        """One batch of rows: one column per TableColumn, in order (text as String, money and count as integers).
        ``styles``, per column, an expression giving each cell's style (STYLE_FAULTY …) or null; xlsx only. Columns
        after the table's own are not written: styles may use them."""


@contextmanager
def table_file(
    target: Path,
    kind: str,
    sheet: str,
    columns: Sequence[TableColumn],
    *,
    neutralize: bool = True,
    above: Sequence[Sequence[str]] = (),
) -> Iterator[TableWriter]:
    """``neutralize=False`` keeps text exactly as given: for a clerk's own sheet sent back to be corrected and
    uploaded again (xlsx text cells are never evaluated; only a later copy as csv could be). ``above``: lines of
    text cells written above the header (a title, a date; an error file's own title lines), in xlsx only."""
    if kind == "csv":
        with target.open("wb") as stream:
            yield _CsvTable(stream, columns)
        return
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as package:
        table = _XlsxTable(package, sheet, columns, neutralize, above)
        yield table
        table.close()


def neutralized(text: pl.Expr) -> pl.Expr:
    return pl.when(text.str.contains(FORMULA_START)).then(pl.lit("'") + text).otherwise(text)


def _yuan(fen: pl.Expr) -> pl.Expr:
    """Integer fen as a decimal string of yuan, exactly (no float on the way): -1234 -> -12.34."""
    whole = fen.abs() // 100
    cents = (fen.abs() % 100).cast(pl.String).str.zfill(2)
    sign = pl.when(fen < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    return pl.concat_str([sign, whole.cast(pl.String), pl.lit("."), cents])


class _CsvTable:
    def __init__(self, stream: IO[bytes], columns: Sequence[TableColumn]) -> None:
        self._stream = stream
        self._columns = columns
        stream.write("\ufeff".encode())
        stream.write(pl.DataFrame(schema=dict.fromkeys((c.title for c in columns), pl.String)).write_csv().encode())

    def write(self, frame: pl.DataFrame, styles: Sequence[pl.Expr | None] | None = None) -> None:
        cells = []
        for column, name in zip(self._columns, frame.columns[: len(self._columns)], strict=True):
            value = pl.col(name)
            if column.kind == "money":
                cells.append(_yuan(value).alias(column.title))
            elif column.kind == "count":
                cells.append(value.cast(pl.String).alias(column.title))
            elif column.kind == "decimal":
                cells.append(value.round(1).cast(pl.String).alias(column.title))
            else:
                cells.append(neutralized(value.cast(pl.String)).alias(column.title))
        self._stream.write(frame.select(cells).write_csv(include_header=False).encode())


# The fixed parts of the package: one worksheet, six cell styles (0 plain, 1 header, 2 money, for error files 3 a
# faulty cell, shaded red, and 4 the error note, in bold red; 5 a number with one decimal, a rate or a pace; 6 a
# count with thousands separators).
STYLE_FAULTY, STYLE_NOTE = 3, 4
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"
DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
CONTENT_TYPES = (
    DECLARATION + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "</Types>"
)
ROOT_RELS = (
    DECLARATION + f'<Relationships xmlns="{PACKAGE_RELATIONSHIPS}">'
    f'<Relationship Id="rId1" Type="{RELATIONSHIPS}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
WORKBOOK_RELS = (
    DECLARATION + f'<Relationships xmlns="{PACKAGE_RELATIONSHIPS}">'
    f'<Relationship Id="rId1" Type="{RELATIONSHIPS}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{RELATIONSHIPS}/styles" Target="styles.xml"/>'
    "</Relationships>"
)
STYLES = (
    DECLARATION + f'<styleSheet xmlns="{MAIN}">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="#,##0.00"/><numFmt numFmtId="165" formatCode="#,##0.0"/>'
    "</numFmts>"
    '<fonts count="3"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><color rgb="FF9C0006"/><name val="Calibri"/></font></fonts>'
    '<fills count="4"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    '<fill><patternFill patternType="solid"><fgColor rgb="FFE8EEF7"/><bgColor indexed="64"/></patternFill></fill>'
    '<fill><patternFill patternType="solid"><fgColor rgb="FFFDE2E1"/><bgColor indexed="64"/></patternFill></fill>'
    "</fills>"
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="7"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1" applyFill="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="0" fillId="3" borderId="0" xfId="0" applyFill="1"/>'
    '<xf numFmtId="0" fontId="2" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="3" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


def _xml_text(text: str) -> str:
    return escape(re.sub(XML_ILLEGAL, "", text))


class _XlsxTable:
    def __init__(
        self,
        package: zipfile.ZipFile,
        sheet: str,
        columns: Sequence[TableColumn],
        neutralize: bool,
        above: Sequence[Sequence[str]] = (),
    ) -> None:
        self._neutralize = neutralize
        package.writestr("[Content_Types].xml", CONTENT_TYPES)
        package.writestr("_rels/.rels", ROOT_RELS)
        package.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        package.writestr("xl/styles.xml", STYLES)
        package.writestr(
            "xl/workbook.xml",
            DECLARATION + f'<workbook xmlns="{MAIN}" xmlns:r="{RELATIONSHIPS}"><sheets>'
            f'<sheet name={quoteattr(sheet[:31])} sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        self._stream = package.open("xl/worksheets/sheet1.xml", "w", force_zip64=True)
        self._columns = columns
        self._letters = [xl_col_to_name(index) for index in range(len(columns))]
        widths = "".join(
            f'<col min="{index}" max="{index}" width="{column.width}" customWidth="1"/>'
            for index, column in enumerate(columns, start=1)
        )
        header_line = len(above) + 1
        titles = "".join(
            f'<row r="{line}">'
            + "".join(
                f'<c r="{xl_col_to_name(index)}{line}" t="inlineStr"><is><t xml:space="preserve">{_xml_text(cell)}'
                "</t></is></c>"
                for index, cell in enumerate(cells)
                if cell
            )
            + "</row>"
            for line, cells in enumerate(above, start=1)
        )
        header = "".join(
            f'<c r="{letter}{header_line}" s="1" t="inlineStr"><is><t>{escape(column.title)}</t></is></c>'
            for letter, column in zip(self._letters, columns, strict=True)
        )
        self._stream.write(
            (
                DECLARATION + f'<worksheet xmlns="{MAIN}" xmlns:r="{RELATIONSHIPS}">'
                '<sheetViews><sheetView workbookViewId="0">'
                f'<pane ySplit="{header_line}" topLeftCell="A{header_line + 1}" activePane="bottomLeft" '
                'state="frozen"/></sheetView></sheetViews>'
                f"<cols>{widths}</cols><sheetData>{titles}"
                f'<row r="{header_line}">{header}</row>'
            ).encode()
        )
        self._line = header_line + 1

    def write(self, frame: pl.DataFrame, styles: Sequence[pl.Expr | None] | None = None) -> None:
        if frame.is_empty():
            return
        line = pl.int_range(self._line, self._line + frame.height, dtype=pl.Int64).cast(pl.String)
        styles = styles or [None] * len(self._columns)
        cells = [
            self._cell(pl.col(name), letter, column.kind, line, style, self._neutralize)
            for name, letter, column, style in zip(
                frame.columns[: len(self._columns)], self._letters, self._columns, styles, strict=True
            )
        ]
        rows = frame.select(pl.concat_str([pl.lit('<row r="'), line, pl.lit('">'), *cells, pl.lit("</row>")]))
        self._stream.write(rows.to_series().str.join("").item().encode())
        self._line += frame.height

    @staticmethod
    def _cell(
        value: pl.Expr, letter: str, kind: Kind, line: pl.Expr, style: pl.Expr | None, neutralize: bool
    ) -> pl.Expr:
        where = pl.concat_str([pl.lit(f'<c r="{letter}'), line, pl.lit('"')])
        styled = pl.lit("") if style is None else pl.concat_str([pl.lit(' s="'), style.cast(pl.String), pl.lit('"')])
        styled = styled.fill_null("")
        if kind == "money":
            cell = pl.concat_str([where, pl.lit(' s="2"><v>'), _yuan(value), pl.lit("</v></c>")])
        elif kind == "count":
            counted = pl.lit(' s="6"') if style is None else styled  # thousands separators, unless marked
            cell = pl.concat_str([where, counted, pl.lit("><v>"), value.cast(pl.String), pl.lit("</v></c>")])
        elif kind == "decimal":
            cell = pl.concat_str([where, pl.lit(' s="5"><v>'), value.round(1).cast(pl.String), pl.lit("</v></c>")])
        else:
            text = value.cast(pl.String)
            text = (neutralized(text) if neutralize else text).str.replace_all(XML_ILLEGAL, "")
            text = text.str.replace_all("&", "&amp;", literal=True).str.replace_all("<", "&lt;", literal=True)
            text = text.str.replace_all(">", "&gt;", literal=True)
            body = pl.lit(' t="inlineStr"><is><t xml:space="preserve">')
            cell = pl.concat_str([where, styled, body, text, pl.lit("</t></is></c>")])
        if style is None:
            return cell.fill_null("")  # an empty cell is left out
        blank = pl.when(style.is_not_null()).then(pl.concat_str([where, styled, pl.lit("/>")]))
        return pl.coalesce(cell, blank, pl.lit(""))  # an empty cell is left out, unless it is marked

    def close(self) -> None:
        self._stream.write(b"</sheetData></worksheet>")
        self._stream.close()
