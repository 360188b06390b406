"""The register of reasons for non-enrollment on paper, as the plan's form: per 村（居）, the people and their
reasons under the form's own title (滕州: 《滕州市居民基本医疗保险未参保原因登记表》), and per township the summary
its office signs and stamps before handing it up (街道统一汇总，签字盖章后报市医保处). PDF and xlsx.

The form is the plan's where the plan names one (``reason_register.title``), else the register's usual name after
the district. People come from the reasons in force (not withdrawn) of the year; ID numbers in full only for a
reader who may see them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl
from sqlalchemy import select

from yibao.adapters.db.tables import Area, Campaign
from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.adapters.printing import Column, FontMissing, PrintedTable, table_pdf
from yibao.adapters.table_files import TableColumn, table_file
from yibao.domain.errors import YibaoError
from yibao.domain.timeutil import as_shanghai
from yibao.services.access import Permission, Principal
from yibao.services.crosscheck.reasons import REASON_NAMES, ReasonView, list_reasons
from yibao.services.policy.plans import get_policy
from yibao.services.registry.areas import check_village

NO_VILLAGE = "（未填村居）"
FORMATS = ("pdf", "xlsx")


@dataclass(frozen=True)
class Register:
    title: str  # the form's name, without 《》
    year: int
    township: str
    village: str | None  # None: the township's summary
    rows: list[ReasonView]
    printed_on: date


def form_title(uow: UnitOfWork, district: str, year: int) -> str:
    """The plan's name for the form, else the usual one after the district (or 居民医保 where no campaign)."""
    campaign = uow.session.scalars(
        select(Campaign).where(Campaign.district_code == district, Campaign.insurance_year == year)
    ).first()
    if campaign is None:
        return "城乡居民基本医疗保险未参保原因登记表"
    policy = get_policy(campaign.policy_id, uow.session)
    if policy.reason_register is not None:
        return policy.reason_register.title
    return f"{policy.region.name}城乡居民基本医疗保险未参保原因登记表"


def register(
    uow: UnitOfWork, principal: Principal, year: int, township_code: str, village_code: str | None = None
) -> Register:
    """One 村（居）'s register (``village_code``), or the township's people for its summary."""
    principal.require(Permission.FOLLOW_UP)
    principal.require_township(township_code)
    if village_code:
        check_village(uow, township_code, village_code)
    rows = [
        row
        for row in list_reasons(uow, principal, year)
        if row.township_code == township_code and (not village_code or row.village_code == village_code)
    ]
    names = _names(uow, township_code)
    return Register(
        form_title(uow, principal.district, year),
        year,
        names.get(township_code, township_code),
        names.get(village_code, village_code) if village_code else None,
        rows,
        as_shanghai(uow.now).date(),
    )


def _names(uow: UnitOfWork, township_code: str) -> dict[str, str]:
    rows = uow.session.execute(
        select(Area.code, Area.name).where((Area.code == township_code) | (Area.parent_code == township_code))
    )
    return {code: name for code, name in rows}


PERSON_COLUMNS = ("序号", "姓名", "公民身份号码", "村（居）", "未参保原因", "说明", "登记日期")


def _person_rows(sheet: Register, villages: dict[str, str]) -> list[list[str]]:
    return [
        [
            str(number),
            row.name,
            row.id_number,
            villages.get(row.village_code or "", NO_VILLAGE),
            row.reason_name,
            row.note or "",
            row.recorded_on.strftime("%Y-%m-%d") if row.recorded_on else "",
        ]
        for number, row in enumerate(sheet.rows, 1)
    ]


def _summary_rows(sheet: Register, villages: dict[str, str]) -> list[list[str]]:
    counts: dict[str, dict[str, int]] = {}  # by village code, in the order of the codes ("" last: none given)
    for row in sheet.rows:
        counts.setdefault(row.village_code or "", dict.fromkeys(REASON_NAMES, 0))[row.reason] += 1
    ordered = sorted(counts.items(), key=lambda item: (item[0] == "", item[0]))
    rows = [[villages.get(code, NO_VILLAGE), *map(str, by.values()), str(sum(by.values()))] for code, by in ordered]
    totals = [sum(by[reason] for by in counts.values()) for reason in REASON_NAMES]
    return [*rows, ["合计", *map(str, totals), str(sum(totals))]]


def _heading(sheet: Register) -> tuple[str, list[str], list[str]]:
    """Title, the lines above the table, and the signature lines below it."""
    if sheet.village is not None:
        title = sheet.title
        above = [f"{sheet.year}年度　镇（街道）：{sheet.township}　村（居）：{sheet.village}　共{len(sheet.rows)}人"]
        below = ["登记人：____________　　村（居）负责人：____________（盖章）　　日期：______年____月____日"]
    else:
        title = f"{sheet.title}（汇总）"
        above = [f"{sheet.year}年度　镇（街道）：{sheet.township}　共{len(sheet.rows)}人　各村（居）按原因汇总"]
        below = ["经办人：____________　　镇（街道）负责人：____________（盖章）　　日期：______年____月____日"]
    above.append(f"打印日期：{sheet.printed_on:%Y年%m月%d日}")
    return title, above, below


def write_register(uow: UnitOfWork, sheet: Register, target: Path, kind: str) -> Path:
    """A 村（居）'s register, or a township's summary (``sheet.village`` None), as PDF or xlsx."""
    if kind not in FORMATS:
        raise YibaoError("REGISTER_FORMAT", field="format", format=kind)
    villages = _village_names(uow, sheet)
    summary = sheet.village is None
    titles = ["村（居）", *REASON_NAMES.values(), "合计"] if summary else list(PERSON_COLUMNS)
    rows = _summary_rows(sheet, villages) if summary else _person_rows(sheet, villages)
    title, above, below = _heading(sheet)
    if kind == "pdf":
        widths = [40] + [24] * (len(titles) - 1) if summary else [12, 24, 44, 34, 34, 70, 26]
        document = PrintedTable(
            title=title,
            lines=above,
            columns=[
                Column(name, width, numeric=summary and index > 0)
                for index, (name, width) in enumerate(zip(titles, widths, strict=True))
            ],
            rows=rows,
            closing=below,
        )
        try:
            target.write_bytes(table_pdf(document))
        except FontMissing as missing:
            raise YibaoError("PDF_FONT_MISSING", font=str(missing)) from missing
        return target
    columns = [
        TableColumn(
            name, "count" if summary and index > 0 else "text", 14 if summary else (20 if index in (2, 5) else 12)
        )
        for index, name in enumerate(titles)
    ]
    blank: list[str | None] = [None] * len(titles)
    signed = [blank, [below[0], *blank[1:]]]  # signed and stamped under the table, as on paper
    frame = pl.DataFrame(
        [*([int(v) if summary and i > 0 else v for i, v in enumerate(row)] for row in rows), *signed],
        schema={name: (pl.Int64 if summary and i > 0 else pl.String) for i, name in enumerate(titles)},
        orient="row",
    )
    with table_file(
        target, "xlsx", "登记表" if not summary else "汇总表", columns, above=[[title], *([line] for line in above), []]
    ) as table:
        table.write(frame)
    return target


def _village_names(uow: UnitOfWork, sheet: Register) -> dict[str, str]:
    codes = {row.village_code for row in sheet.rows if row.village_code}
    if not codes:
        return {}
    rows = uow.session.execute(select(Area.code, Area.name).where(Area.code.in_(codes)))
    return {code: name for code, name in rows}
