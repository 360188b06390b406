"""The ranking bulletin (排名通报) of a progress report: one table of townships ranked by completion, with their
bands, the change since the last report, the pace and the projection, and the slowest named — as xlsx and PDF
(the printable page is the web's)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from yibao.adapters.printing import Column, FontMissing, PrintedTable, table_pdf
from yibao.adapters.table_files import TableColumn, table_file
from yibao.domain.errors import YibaoError
from yibao.services.progress.report import ProgressReport

MEASURED_NAMES = {"all": "全部", "general": "一般居民（不含特殊群体、在校学生）"}
RHYTHM_NAMES = {"daily": "日报", "weekly": "周报"}


def title(report: ProgressReport) -> str:
    rhythm = RHYTHM_NAMES[report.rhythm]
    return f"{report.insurance_year}年度城乡居民基本医疗保险参保进度通报（{report.on:%Y年%m月%d日}{rhythm}）"


def headline(report: ProgressReport) -> list[str]:
    """The bulletin's opening lines. The district's figures count every category; the table's units count what
    their targets count (蓟州's townships: general residents only) — so the lines say so, with the table's own
    sum, and a reader can add the table up to the figure it states."""
    lines = [
        f"截至{report.on:%Y年%m月%d日}，全区已缴费参保{report.paid:,}人（含特殊群体、在校学生等全部人员），"
        f"较上期（{report.last_report:%m月%d日}）增加{report.paid_since_last:,}人。"
    ]
    if report.target and report.completion is not None:
        lines.append(f"全区参保任务{report.target:,}人，完成{report.completion:.1%}。")
    measured = {unit.measured for unit in report.units if unit.target is not None}
    if measured - {"all"}:
        scope = "、".join(MEASURED_NAMES.get(key, key) for key in sorted(measured))
        table_paid = sum(unit.paid for unit in report.units)
        lines.append(f"下表各单位按其任务口径统计（{scope}），表中已缴费参保合计{table_paid:,}人。")
    if report.slowest:
        tied = "（含并列）" if len(report.slowest) > 3 else ""
        lines.append(f"完成率后三位{tied}：{'、'.join(report.slowest)}，请加快进度。")
    if report.deadline:
        lines.append(f"完成期限：{report.deadline:%Y年%m月%d日}。")
    return lines


COLUMNS = [
    TableColumn("排名", "count", 6),
    TableColumn("单位", "text", 14),
    TableColumn("任务口径", "text", 12),
    TableColumn("任务数", "count", 10),
    TableColumn("已缴费参保", "count", 10),
    TableColumn("较上期增加", "count", 10),
    TableColumn("完成率%", "decimal", 9),
    TableColumn("等级", "text", 6),
    TableColumn("近7日日均", "decimal", 10),
    TableColumn("按此进度完成日期", "text", 14),
    TableColumn("期限内每日需完成", "decimal", 14),
]
TOTAL = "合计"


def _rows(report: ProgressReport) -> pl.DataFrame:
    """The ranking, numbers as numbers (null where there is none), and a 合计 row of the units listed."""
    units = report.units
    rows = pl.DataFrame(
        {
            "rank": [unit.rank for unit in units],
            "unit": [unit.unit for unit in units],
            "measured": [MEASURED_NAMES.get(unit.measured, unit.measured) for unit in units],
            "target": [unit.target for unit in units],
            "paid": [unit.paid for unit in units],
            "since": [unit.paid_since_last for unit in units],
            "rate": [unit.completion * 100 if unit.completion is not None else None for unit in units],
            "band": [unit.band_name for unit in units],
            "pace": [unit.pace_per_day for unit in units],
            "reached": [unit.reached_text for unit in units],
            "needed": [unit.needed_per_day or None for unit in units],
        },
        schema={
            "rank": pl.Int64,
            "unit": pl.String,
            "measured": pl.String,
            "target": pl.Int64,
            "paid": pl.Int64,
            "since": pl.Int64,
            "rate": pl.Float64,
            "band": pl.String,
            "pace": pl.Float64,
            "reached": pl.String,
            "needed": pl.Float64,
        },
    )
    targets = [unit.target for unit in units if unit.target is not None]
    target = sum(targets) if targets else None
    paid = sum(unit.paid for unit in units if unit.target is not None)  # the rate of the units with a target
    total = pl.DataFrame(
        {
            "rank": [None],
            "unit": [TOTAL],
            "measured": [None],
            "target": [target],
            "paid": [int(rows.get_column("paid").sum())],
            "since": [int(rows.get_column("since").sum())],
            "rate": [paid / target * 100 if target else None],
            "band": [None],
            "pace": [rows.get_column("pace").sum()],
            "reached": [None],
            "needed": [rows.get_column("needed").sum() or None],
        },
        schema=rows.schema,
    )
    return pl.concat([rows, total])


def _printed(value: object) -> str:
    """A cell as the PDF prints it: one decimal for rates and paces, — for nothing."""
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def write_bulletin(report: ProgressReport, target: Path, kind: str) -> Path:
    """xlsx (or csv) of the ranking; PDF of the whole bulletin."""
    if kind == "pdf":
        rows = _rows(report)
        widths = [12, 30, 56, 18, 20, 20, 16, 10, 18, 28, 28]  # mm; 任务口径 on one line where it fits
        columns = [Column(c.title, w, numeric=c.kind == "count") for c, w in zip(COLUMNS, widths, strict=True)]
        document = PrintedTable(
            title=title(report),
            lines=headline(report),
            columns=columns,
            rows=[[_printed(value) for value in row] for row in rows.iter_rows()],
        )
        try:
            target.write_bytes(table_pdf(document))
        except FontMissing as missing:
            raise YibaoError("PDF_FONT_MISSING", font=str(missing)) from missing
        return target
    if kind not in ("xlsx", "csv"):
        raise YibaoError("BULLETIN_FORMAT", field="format", format=kind)
    above = [[title(report)], *([line] for line in headline(report)), [f"统计截至：{report.on:%Y年%m月%d日}"], []]
    with table_file(target, kind, "参保进度通报", COLUMNS, above=above) as table:
        table.write(_rows(report))
    return target
