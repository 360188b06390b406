"""The printed 登记册 (paper roster) of a village's register: its people household by household, each household's
subtotal, the totals, the checksum of this version of the electronic roster and a QR code holding it with the
totals, and the lines the village and the township sign. PDF to sign and stamp, xlsx to keep.

The township office compares the paper brought back with the electronic roster by the checksum printed here
(:func:`yibao.services.review.steps.check_register`): a paper printed before a correction is recognised, and the
households that changed since are named.
"""

from __future__ import annotations

from datetime import date
from itertools import groupby
from pathlib import Path

import polars as pl

from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.adapters.printing import Column, FontMissing, PrintedTable, table_pdf
from yibao.adapters.table_files import TableColumn, table_file
from yibao.domain.errors import YibaoError
from yibao.domain.money import format_yuan
from yibao.domain.registers import qr_text
from yibao.domain.timeutil import as_shanghai
from yibao.services.access import Principal
from yibao.services.review.views import RegisterDetail, RegisterLineView, register_detail

FORMATS = ("pdf", "xlsx")
COLUMNS = ("序号", "户号", "姓名", "公民身份号码", "代收金额（元）")


Row = tuple[str, str, str, str, int]  # the columns above, the amount in fen


def _rows(lines: list[RegisterLineView]) -> list[Row]:
    """The people (in household order), a subtotal under each household's last member."""
    rows: list[Row] = []
    number = 0
    for _, household in groupby(lines, key=lambda line: line.household_id):
        members = list(household)
        for line in members:
            number += 1
            rows.append((str(number), line.household_number or "", line.name, line.id_number, line.collected_fen))
        rows.append(("", "", f"本户小计{len(members)}人", "", sum(m.collected_fen for m in members)))
    return rows


def _heading(detail: RegisterDetail, printed_on: date) -> tuple[str, list[str], list[str]]:
    register = detail.register
    title = f"{register.insurance_year}年度城乡居民基本医疗保险参保缴费登记册"
    above = [
        f"镇（街道）：{register.township_name}　村（居）：{register.village_name}　交册人：{register.collector}",
        f"登记册编号：{register.number}　电子名册第{register.version}版　打印日期：{printed_on:%Y年%m月%d日}",
    ]
    below = [
        f"合计：{register.people}人　金额{format_yuan(register.total_fen)}元",
        f"校验码：{register.checksum}（社保所核对时输入或扫描右上角二维码）",
        "村（居）经办人：____________　　村（居）负责人：____________（盖章）　　日期：______年____月____日",
        "社保所核对人：____________　　核对日期：______年____月____日",
    ]
    return title, above, below


def write_register_paper(uow: UnitOfWork, principal: Principal, register_id: int, target: Path, kind: str) -> Path:
    """The paper of the register's current version, as PDF or xlsx."""
    if kind not in FORMATS:
        raise YibaoError("REGISTER_FORMAT", field="format", format=kind)
    detail = register_detail(uow, principal, register_id)
    register = detail.register
    title, above, below = _heading(detail, as_shanghai(uow.now).date())
    rows = _rows(detail.lines)
    if kind == "pdf":
        document = PrintedTable(
            title=title,
            lines=above,
            columns=[
                Column(name, width, numeric=index == 4)
                for index, (name, width) in enumerate(zip(COLUMNS, (14, 22, 40, 50, 34), strict=True))
            ],
            rows=[[*row[:4], format_yuan(row[4])] for row in rows],
            closing=below,
            qr_data=qr_text(register.number, register.checksum, register.people, register.total_fen),
        )
        try:
            target.write_bytes(table_pdf(document))
        except FontMissing as missing:
            raise YibaoError("PDF_FONT_MISSING", font=str(missing)) from missing
        return target
    widths = (6, 8, 16, 22, 14)
    columns = [
        TableColumn(name, "money" if index == 4 else "text", width)
        for index, (name, width) in enumerate(zip(COLUMNS, widths, strict=True))
    ]
    blank: tuple[None, ...] = (None,) * len(COLUMNS)
    frame = pl.DataFrame(
        [*rows, blank, *((line, *blank[1:]) for line in below)],
        schema={name: pl.Int64 if index == 4 else pl.String for index, name in enumerate(COLUMNS)},
        orient="row",
    )
    with table_file(target, "xlsx", "登记册", columns, above=[[title], *([line] for line in above), []]) as table:
        table.write(frame)
    return target
