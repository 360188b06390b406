"""Sheets in and error files out, for every import (rosters, lists, statements, targets): .xlsx (read by
fastexcel, written by XlsxWriter) and .csv (UTF-8 or GBK).

A sheet is read whole as text, exactly as the clerk typed it (leading zeros, 'X', long numbers); the header row
is the first of the top rows that names an ID-number column, so a title line above the table does no harm. Every
row keeps its line number in the file (blank lines and title lines counted), the number a clerk sees at the left
of the spreadsheet. The error file is the same sheet — title lines, header and rows on the same lines — with an
error column added and the faulty cells highlighted, in the same format, for the clerk to correct and upload again.
"""

from __future__ import annotations

import csv
import io
import os
import re
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import fastexcel
import polars as pl
import xlsxwriter
from xlsxwriter.utility import xl_range_abs

from yibao.adapters.table_files import (
    FORMULA_START,
    STYLE_FAULTY,
    STYLE_NOTE,
    TableColumn,
    neutralized,
    table_file,
)
from yibao.domain.errors import YibaoError
from yibao.domain.roster import COLUMNS, ROW, Column, resolve_headers

HEADER_SEARCH_ROWS = 10
# A file's size before anything is read from it: a township's roster is thousands of rows; a sheet of a million
# (366 KB of xlsx once took 58 s and 3.2 GB to read) is refused at once. Settings raise them for a city-wide load.
MAX_ROWS = 500_000  # YIBAO_MAX_SHEET_ROWS
MAX_EXPANDED_MB = 512  # YIBAO_MAX_SHEET_MB: an xlsx's worksheet once unzipped (a zip bomb is tiny before)
ERROR_FILE_SLICE = 50_000  # rows per batch of an xlsx written (error file, sample)
ERROR_COLUMN = "错误说明"


@dataclass(frozen=True)
class Sheet:
    file_name: str
    kind: str  # xlsx | csv
    headers: list[str]  # as written, made unique
    frame: pl.DataFrame  # one String column per header, and ROW: the row's line in the file (1-based)
    header_row: int  # the header's line in the file (1-based)
    above: tuple[tuple[str, ...], ...] = ()  # the file's lines above the header (title, date, blank lines)

    @property
    def rows(self) -> int:
        return self.frame.height


def read_sheet(content: bytes, file_name: str, columns: Sequence[Column] = COLUMNS) -> Sheet:
    """The first worksheet of an .xlsx, or a .csv, as text. Unreadable files raise ROSTER_FILE_UNREADABLE.

    The header is the first row (of the first few) naming the first of ``columns`` (a roster's ID number, a
    statement's transaction id); rows above it (a title, a date) are not data."""
    kind = Path(file_name).suffix.lower().lstrip(".")
    _check_size(content, file_name, kind)
    try:
        if kind == "parquet":
            return _parquet_sheet(content, file_name)
        if kind in ("xlsx", "xlsm"):
            raw, first_line = _read_xlsx(content), _first_line(content)
            kind = "xlsx"
        elif kind in ("csv", "txt"):
            raw, first_line = _read_csv(content), 1
            kind = "csv"
        else:
            raise YibaoError("ROSTER_FILE_KIND", field="file", name=file_name)
    except YibaoError:
        raise
    except Exception:  # a corrupt or password-protected workbook, a PDF named .xlsx, a binary file named .csv …
        detail = UNREADABLE.get(kind, "文件内容无法识别")
        raise YibaoError("ROSTER_FILE_UNREADABLE", field="file", name=file_name, detail=detail) from None
    header_index = _header_index(raw, columns)
    if header_index is None:
        raise YibaoError(
            "ROSTER_NO_HEADER", field="file", name=file_name, rows=HEADER_SEARCH_ROWS, column=columns[0].title
        )
    headers = _unique([str(value).strip() if value is not None else "" for value in raw.row(header_index)])
    header_line = first_line + header_index
    above = ((),) * (first_line - 1) + tuple(
        tuple("" if value is None else str(value) for value in raw.row(index)) for index in range(header_index)
    )
    body = raw.slice(header_index + 1)
    body.columns = headers
    body = body.with_columns(pl.int_range(header_line + 1, header_line + 1 + body.height).alias(ROW))
    # Rows left blank (often hundreds under the table) are not rows of the roster.
    filled = pl.any_horizontal([pl.col(name).str.strip_chars().fill_null("") != "" for name in headers])
    return Sheet(file_name, kind, headers, body.filter(filled), header_line, above)


UNREADABLE = {
    "xlsx": "文件内容不是有效的Excel表格（.xlsx）——可能是其他格式的文件改了扩展名，或文件已损坏、设了密码",
    "csv": "文件内容不是文本表格（.csv）——可能是其他格式的文件改了扩展名",
    "parquet": "文件内容不是有效的Parquet数据文件",
}


def limits() -> tuple[int, int]:
    """The most rows a sheet may have, and the most megabytes an xlsx's worksheet may unzip to (settings)."""
    rows, megabytes = os.environ.get("YIBAO_MAX_SHEET_ROWS", ""), os.environ.get("YIBAO_MAX_SHEET_MB", "")
    return (int(rows) if rows.isdigit() else MAX_ROWS, int(megabytes) if megabytes.isdigit() else MAX_EXPANDED_MB)


def _check_size(content: bytes, file_name: str, kind: str) -> None:
    """Refuse, before reading it, a file too large to be a sheet of work: counted from what costs nothing — the
    lines of a CSV, the row count a Parquet file states, an xlsx's stated dimension and unzipped size."""
    max_rows, max_mb = limits()
    rows = None
    if kind in ("csv", "txt"):
        rows = content.count(b"\n")
    elif kind == "parquet":
        try:
            rows = int(pl.scan_parquet(io.BytesIO(content)).select(pl.len()).collect().item())
        except Exception:  # unreadable: said so when it is read
            return
    elif kind in ("xlsx", "xlsm"):
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                first = _first_worksheet(archive)
                if first is None:
                    return
                if first.file_size > max_mb * 1024 * 1024:
                    raise YibaoError("SHEET_TOO_LARGE", field="file", name=file_name, limit=max_mb)
                with archive.open(first) as stream:
                    head = stream.read(8192)
        except (zipfile.BadZipFile, OSError, KeyError):
            return  # not a workbook: said so when it is read
        stated = re.search(rb'<dimension ref="[A-Z]+[0-9]+:[A-Z]+([0-9]+)"', head)
        rows = int(stated.group(1)) if stated else None
    if rows is not None and rows > max_rows + HEADER_SEARCH_ROWS:
        raise YibaoError("SHEET_TOO_MANY_ROWS", field="file", name=file_name, rows=rows, limit=max_rows)


def _parquet_sheet(content: bytes, file_name: str) -> Sheet:
    """A Parquet file (a department's export of millions of rows): its column names are the header, every value
    read as text like a sheet's. Its error file is a CSV, which a clerk can open and correct."""
    frame = pl.read_parquet(io.BytesIO(content))
    headers = _unique([str(name).strip() for name in frame.columns])
    body = frame.select(
        [pl.col(old).cast(pl.String).alias(new) for old, new in zip(frame.columns, headers, strict=True)]
    ).with_columns(pl.int_range(2, frame.height + 2).alias(ROW))
    return Sheet(file_name, "csv", headers, body, 1)


def _first_worksheet(archive: zipfile.ZipFile) -> zipfile.ZipInfo | None:
    """The part of the workbook's first sheet, the one fastexcel reads: the first ``<sheet>`` of workbook.xml,
    through the workbook's relationships (sheet1.xml need not be the first, nor be called so); in a package
    without them, the first worksheet part by name."""
    names = set(archive.namelist())
    if {"xl/workbook.xml", "xl/_rels/workbook.xml.rels"} <= names:
        workbook = archive.read("xl/workbook.xml").decode("utf-8", "replace")
        relations = archive.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
        first = re.search(r"<(?:\w+:)?sheet\b[^>]*?\br:id=\"([^\"]+)\"", workbook)
        for relation in re.finditer(r"<Relationship\b[^>]*>", relations):
            target = re.search(r'Target="([^"]+)"', relation.group(0))
            if first is not None and target is not None and f'Id="{first.group(1)}"' in relation.group(0):
                path = target.group(1).lstrip("/") if target.group(1).startswith("/") else f"xl/{target.group(1)}"
                if path in names:
                    return archive.getinfo(path)
    parts = sorted(name for name in names if re.fullmatch(r"xl/worksheets/[^/]+\.xml", name))
    return archive.getinfo(parts[0]) if parts else None


FIRST_LINE_SEARCH = 1 << 20  # bytes of sheet XML searched for the first line holding a value


def _first_line(content: bytes) -> int:
    """The line of the sheet the first row read by fastexcel is on. Calamine starts a sheet at its first cell
    holding a value, so a table under two empty lines would otherwise be numbered from 1 and every row number the
    clerk is told would be two short."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            first = _first_worksheet(archive)
            if first is None:
                return 1
            with archive.open(first) as stream:
                head = stream.read(FIRST_LINE_SEARCH)
    except (zipfile.BadZipFile, OSError, KeyError):
        return 1
    for row in re.finditer(rb"<(?:\w+:)?row\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?row>)", head, re.S):
        if row.group(2) and re.search(rb"<(?:\w+:)?(?:v|is)\b", row.group(2)):
            line = re.search(rb'\br="(\d+)"', row.group(1))
            return int(line.group(1)) if line else 1
    return 1


def _read_xlsx(content: bytes) -> pl.DataFrame:
    reader = fastexcel.read_excel(content)
    sheet = reader.load_sheet(0, header_row=None, dtypes="string")
    return pl.DataFrame(sheet)


def _read_csv(content: bytes) -> pl.DataFrame:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("gb18030")  # GBK as Excel saves it on Chinese Windows; GB18030 is its superset
    # As wide as the widest of the first lines: a title line above the header (one field) must not narrow the
    # table to its own width.
    head = list(csv.reader(io.StringIO("\n".join(text.splitlines()[: HEADER_SEARCH_ROWS + 1]))))
    width = max((len(row) for row in head), default=1)
    schema = {f"column_{index + 1}": pl.String for index in range(width)}
    return pl.read_csv(
        io.BytesIO(text.encode()),
        has_header=False,
        schema=schema,
        truncate_ragged_lines=True,
        missing_columns="insert",
    )


def _header_index(raw: pl.DataFrame, columns: Sequence[Column]) -> int | None:
    for index in range(min(HEADER_SEARCH_ROWS, raw.height)):
        cells = [str(value) for value in raw.row(index) if value is not None]
        if columns[0].key in resolve_headers(cells, columns)[0].values():
            return index
    return None


def _unique(headers: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    unique = []
    for position, header in enumerate(headers, start=1):
        name = header or f"第{position}列"
        count = seen.get(name, 0)
        seen[name] = count + 1
        unique.append(name if count == 0 else f"{name}_{count + 1}")
    return unique


def write_error_file(
    sheet: Sheet, problems: Mapping[int, list[tuple[str | None, str]]], mapping: Mapping[str, str], target: Path
) -> Path:
    """The sheet again with :data:`ERROR_COLUMN` (every problem of the row) and, in xlsx, the faulty cells
    highlighted: its title lines, header and rows on the lines they were on, so the row numbers the report gives
    are those of this file too. ``problems`` maps a sheet line to (column key or None, message); ``mapping`` is
    header -> key."""
    header_of = {key: header for header, key in mapping.items()}
    messages = {row: "；".join(message for _, message in found) for row, found in problems.items()}
    lines = _as_filed(sheet).with_columns(
        pl.col(ROW).replace_strict(messages, default=None, return_dtype=pl.String).alias(ERROR_COLUMN)
    )
    if sheet.kind == "csv":
        with target.open("wb") as stream:
            stream.write(b"\xef\xbb\xbf")  # BOM: Excel then reads it as UTF-8
            if sheet.above:
                text = io.StringIO()
                csv.writer(text, lineterminator="\n").writerows(_neutral(line) for line in sheet.above)
                stream.write(text.getvalue().encode())
            out = lines.select(*sheet.headers, ERROR_COLUMN)
            # A cell a spreadsheet would run as a formula (=HYPERLINK(…) typed as a name) goes back as text, as
            # every export writes it: the clerk opens this file.
            out = out.with_columns(neutralized(pl.col(column)).alias(column) for column in out.columns)
            stream.write(out.write_csv().encode())
        return target
    # xlsx: the sheet XML built batch by batch (see table_files); the faulty cells shaded, the note in red.
    position = {header: index for index, header in enumerate(sheet.headers)}
    faulty_rows: dict[int, list[int]] = {}
    for row, found in problems.items():
        for key, _ in found:
            if key in header_of:
                faulty_rows.setdefault(position[header_of[key]], []).append(row)
    styles: list[pl.Expr | None] = [
        pl.when(pl.col(ROW).is_in(faulty_rows[index])).then(pl.lit(STYLE_FAULTY)) if index in faulty_rows else None
        for index in range(len(sheet.headers))
    ]
    styles.append(pl.when(pl.col(ERROR_COLUMN).is_not_null()).then(pl.lit(STYLE_NOTE)))
    columns = [TableColumn(header, width=14) for header in sheet.headers] + [TableColumn(ERROR_COLUMN, width=60)]
    with table_file(target, "xlsx", "名册", columns, neutralize=False, above=sheet.above) as table:
        for part in lines.iter_slices(ERROR_FILE_SLICE):
            table.write(part.select(*sheet.headers, ERROR_COLUMN, ROW), styles)
    return target


def _as_filed(sheet: Sheet) -> pl.DataFrame:
    """The sheet's rows with the blank lines between them back in place: one row per line from the header's
    next to the last row read."""
    if sheet.frame.is_empty():
        return sheet.frame
    last = int(sheet.frame.get_column(ROW).max())  # type: ignore[arg-type]
    every_line = pl.DataFrame({ROW: pl.int_range(sheet.header_row + 1, last + 1, eager=True)})
    return every_line.join(sheet.frame.with_columns(pl.col(ROW).cast(pl.Int64)), on=ROW, how="left")


def _neutral(line: Sequence[str]) -> list[str]:
    """A title line as CSV cells: formula-safe, without the empty cells that trail it."""
    cells = [f"'{cell}" if re.match(FORMULA_START, cell) else cell for cell in line]
    while cells and not cells[-1]:
        cells.pop()
    return cells


def write_sheet(target: Path, headers: list[str], rows: list[list[str]]) -> Path:
    """A plain sheet of text cells as given (a sample roster): .xlsx, or .csv in UTF-8 with a BOM."""
    frame = pl.DataFrame(rows, schema=dict.fromkeys(headers, pl.String), orient="row").with_columns(
        pl.all().replace("", None)
    )
    if target.suffix.lower() == ".csv":
        target.write_bytes(b"\xef\xbb\xbf" + frame.write_csv().encode())
        return target
    columns = [TableColumn(header, width=20 if header == "公民身份号码" else 12) for header in headers]
    with table_file(target, "xlsx", "名册", columns, neutralize=False) as table:
        for part in frame.iter_slices(ERROR_FILE_SLICE):
            table.write(part)
    return target


@dataclass(frozen=True)
class TemplateColumn:
    title: str
    required: bool
    aliases: tuple[str, ...]  # other headers the import also reads
    choices: tuple[str, ...] = ()  # offered as a drop-down in the xlsx template
    note: str = ""
    open_choice: bool = False  # other values allowed too (several identities in one cell)


TEMPLATE_ROWS = 20_000  # rows the xlsx template's drop-downs and text format cover


def write_template(columns: list[TemplateColumn], kind: str, notes: list[str]) -> bytes:
    """An empty roster to fill in: the header row, and in xlsx every cell formatted as text (so Excel keeps the
    18 digits of an ID number and the leading 0 of a phone), drop-downs of the values the import reads, and a
    sheet explaining each column. The csv template is the header row alone (UTF-8 with BOM, as Excel reads it)."""
    if kind == "csv":
        return ("\ufeff" + ",".join(column.title for column in columns) + "\r\n").encode()
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    text = workbook.add_format({"num_format": "@"})
    header = workbook.add_format({"bold": True, "bg_color": "#E8EEF7", "border": 1, "num_format": "@"})
    required = workbook.add_format({"bold": True, "bg_color": "#E8EEF7", "border": 1, "font_color": "#B00020"})
    roster = workbook.add_worksheet("名册")
    guide = workbook.add_worksheet("填写说明")
    lists = workbook.add_worksheet("取值")
    lists.hide()
    for index, column in enumerate(columns):
        roster.write_string(0, index, column.title, required if column.required else header)
        roster.set_column(index, index, 22 if column.title == "公民身份号码" else 14, text)
        if column.choices:
            lists.write_column(0, index, column.choices)
            source = "=取值!" + xl_range_abs(0, index, len(column.choices) - 1, index)
            roster.data_validation(
                1,
                index,
                TEMPLATE_ROWS,
                index,
                {
                    "validate": "list",
                    "source": source,
                    "error_type": "information" if column.open_choice else "warning",
                    "error_message": column.note or "请从下拉列表中选择",
                },
            )
    roster.freeze_panes(1, 0)
    bold = workbook.add_format({"bold": True})
    guide.write_row(0, 0, ["列名", "必填", "也可写作", "填写说明"], bold)
    for line, column in enumerate(columns, start=1):
        mark = "是" if column.required else ""
        guide.write_row(line, 0, [column.title, mark, "、".join(column.aliases), column.note])
    for offset, note in enumerate(notes, start=len(columns) + 2):
        guide.write_string(offset, 0, note)
    guide.set_column(0, 0, 16)
    guide.set_column(2, 2, 40)
    guide.set_column(3, 3, 80)
    workbook.close()
    return buffer.getvalue()
