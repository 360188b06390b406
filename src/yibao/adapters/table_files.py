"""Exported tables, written row batch by row batch so a city-sized export never sits in memory whole: .xlsx by
XlsxWriter in constant-memory mode (each row goes to disk as it is written), .csv in UTF-8 with a BOM (as Excel
reads it).

Text that a spreadsheet would take for a formula (it begins with = + - @, a tab or a carriage return) is written
with a leading apostrophe, in both formats: a name or address typed as ``=HYPERLINK(…)`` stays text when the file
is opened, and when Excel saves the xlsx as csv and someone opens that (CSV/formula injection).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

import xlsxwriter

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
Kind = Literal["text", "money", "count"]  # money: integer fen, shown in yuan


@dataclass(frozen=True)
class TableColumn:
    title: str
    kind: Kind = "text"
    width: int = 12


def neutralized(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class TableWriter(Protocol):
    def write(self, rows: Sequence[Sequence[object]]) -> None: ...


@contextmanager
def table_file(target: Path, kind: str, sheet: str, columns: Sequence[TableColumn]) -> Iterator[TableWriter]:
    if kind == "csv":
        with target.open("w", encoding="utf-8-sig", newline="") as stream:
            writer = _CsvTable(stream, columns)
            yield writer
        return
    workbook = xlsxwriter.Workbook(str(target), {"constant_memory": True, "strings_to_numbers": False})
    try:
        yield _XlsxTable(workbook, sheet, columns)
    finally:
        workbook.close()


class _CsvTable:
    def __init__(self, stream: object, columns: Sequence[TableColumn]) -> None:
        self._writer = csv.writer(stream)  # type: ignore[arg-type]
        self._money = [index for index, column in enumerate(columns) if column.kind == "money"]
        self._writer.writerow([column.title for column in columns])

    def write(self, rows: Sequence[Sequence[object]]) -> None:
        money = set(self._money)
        self._writer.writerows([_csv_cell(value, index in money) for index, value in enumerate(row)] for row in rows)


def _csv_cell(value: object, money: bool) -> object:
    if value is None:
        return ""
    if money:
        return f"{int(value) / 100:.2f}"  # type: ignore[call-overload]
    if isinstance(value, str):
        return neutralized(value)
    return value


class _XlsxTable:
    def __init__(self, workbook: xlsxwriter.Workbook, sheet: str, columns: Sequence[TableColumn]) -> None:
        self._sheet = workbook.add_worksheet(sheet)
        self._money_format = workbook.add_format({"num_format": "#,##0.00"})
        self._kinds = [column.kind for column in columns]
        header = workbook.add_format({"bold": True, "bg_color": "#E8EEF7", "border": 1})
        for index, column in enumerate(columns):
            self._sheet.set_column(index, index, column.width)
        self._sheet.write_row(0, 0, [column.title for column in columns], header)
        self._sheet.freeze_panes(1, 0)
        self._line = 1

    def write(self, rows: Sequence[Sequence[object]]) -> None:
        sheet, kinds, money_format = self._sheet, self._kinds, self._money_format
        line = self._line
        for row in rows:
            for index, value in enumerate(row):
                if value is None:
                    continue
                kind = kinds[index]
                if kind == "money":
                    sheet.write_number(line, index, int(value) / 100, money_format)  # type: ignore[call-overload]
                elif kind == "count":
                    sheet.write_number(line, index, value)
                else:
                    sheet.write_string(line, index, neutralized(str(value)))
            line += 1
        self._line = line
