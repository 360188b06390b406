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
Kind = Literal["text", "money", "count"]  # money: integer fen, shown in yuan


@dataclass(frozen=True)
class TableColumn:
    title: str
    kind: Kind = "text"
    width: int = 12


class TableWriter(Protocol):
    def write(self, frame: pl.DataFrame) -> None:
        """One batch of rows: one column per TableColumn, in order (text as String, money and count as integers)."""


@contextmanager
def table_file(target: Path, kind: str, sheet: str, columns: Sequence[TableColumn]) -> Iterator[TableWriter]:
    if kind == "csv":
        with target.open("wb") as stream:
            yield _CsvTable(stream, columns)
        return
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as package:
        table = _XlsxTable(package, sheet, columns)
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

    def write(self, frame: pl.DataFrame) -> None:
        cells = []
        for column, name in zip(self._columns, frame.columns, strict=True):
            value = pl.col(name)
            if column.kind == "money":
                cells.append(_yuan(value).alias(column.title))
            elif column.kind == "count":
                cells.append(value.cast(pl.String).alias(column.title))
            else:
                cells.append(neutralized(value.cast(pl.String)).alias(column.title))
        self._stream.write(frame.select(cells).write_csv(include_header=False).encode())


# The fixed parts of the package: one worksheet, three cell styles (0 plain, 1 header, 2 money).
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
    '<numFmts count="1"><numFmt numFmtId="164" formatCode="#,##0.00"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="3"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    '<fill><patternFill patternType="solid"><fgColor rgb="FFE8EEF7"/><bgColor indexed="64"/></patternFill></fill>'
    "</fills>"
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1" applyFill="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


class _XlsxTable:
    def __init__(self, package: zipfile.ZipFile, sheet: str, columns: Sequence[TableColumn]) -> None:
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
        header = "".join(
            f'<c r="{letter}1" s="1" t="inlineStr"><is><t>{escape(column.title)}</t></is></c>'
            for letter, column in zip(self._letters, columns, strict=True)
        )
        self._stream.write(
            (
                DECLARATION + f'<worksheet xmlns="{MAIN}" xmlns:r="{RELATIONSHIPS}">'
                '<sheetViews><sheetView workbookViewId="0">'
                '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>'
                f"<cols>{widths}</cols><sheetData>"
                f'<row r="1">{header}</row>'
            ).encode()
        )
        self._line = 2

    def write(self, frame: pl.DataFrame) -> None:
        if frame.is_empty():
            return
        line = pl.int_range(self._line, self._line + frame.height, dtype=pl.Int64).cast(pl.String)
        cells = [
            self._cell(pl.col(name), letter, column.kind, line)
            for name, letter, column in zip(frame.columns, self._letters, self._columns, strict=True)
        ]
        rows = frame.select(pl.concat_str([pl.lit('<row r="'), line, pl.lit('">'), *cells, pl.lit("</row>")]))
        self._stream.write(rows.to_series().str.join("").item().encode())
        self._line += frame.height

    @staticmethod
    def _cell(value: pl.Expr, letter: str, kind: Kind, line: pl.Expr) -> pl.Expr:
        where = pl.concat_str([pl.lit(f'<c r="{letter}'), line])
        if kind == "money":
            cell = pl.concat_str([where, pl.lit('" s="2"><v>'), _yuan(value), pl.lit("</v></c>")])
        elif kind == "count":
            cell = pl.concat_str([where, pl.lit('"><v>'), value.cast(pl.String), pl.lit("</v></c>")])
        else:
            text = neutralized(value.cast(pl.String)).str.replace_all(XML_ILLEGAL, "")
            text = text.str.replace_all("&", "&amp;", literal=True).str.replace_all("<", "&lt;", literal=True)
            text = text.str.replace_all(">", "&gt;", literal=True)
            body = pl.lit('" t="inlineStr"><is><t xml:space="preserve">')
            cell = pl.concat_str([where, body, text, pl.lit("</t></is></c>")])
        return cell.fill_null("")  # an empty cell is left out

    def close(self) -> None:
        self._stream.write(b"</sheetData></worksheet>")
        self._stream.close()
