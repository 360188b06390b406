"""The ranking bulletin (排名通报) of a progress report: one table of townships ranked by completion, with their
bands, the change since the last report, the pace and the projection, and the slowest named — as xlsx and PDF
(the printable page is the web's)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from yibao.adapters.printing import Column, FontMissing, PrintedTable, table_pdf
from yibao.adapters.table_files import TableColumn, table_file
from yibao.domain.errors import YibaoError
from yibao.services.progress.report import ProgressReport, UnitProgress

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
        f"截至{report.on:%Y年%m月%d日}，全区已缴费参保{report.paid}人（含特殊群体、在校学生等全部人员），"
        f"较上期（{report.last_report:%m月%d日}）增加{report.paid_since_last}人。"
    ]
    if report.target and report.completion is not None:
        lines.append(f"全区参保任务{report.target}人，完成{report.completion:.1%}。")
    measured = {unit.measured for unit in report.units if unit.target is not None}
    if measured - {"all"}:
        scope = "、".join(MEASURED_NAMES.get(key, key) for key in sorted(measured))
        table_paid = sum(unit.paid for unit in report.units)
        lines.append(f"下表各单位按其任务口径统计（{scope}），表中已缴费参保合计{table_paid}人。")
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
    TableColumn("完成率%", "text", 9),
    TableColumn("等级", "text", 6),
    TableColumn("近7日日均", "text", 10),
    TableColumn("按此进度完成日期", "text", 14),
    TableColumn("期限内每日需完成", "text", 14),
]


def _rows(report: ProgressReport) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "rank": [unit.rank for unit in report.units],
            "unit": [unit.unit for unit in report.units],
            "measured": [MEASURED_NAMES.get(unit.measured, unit.measured) for unit in report.units],
            "target": [unit.target for unit in report.units],
            "paid": [unit.paid for unit in report.units],
            "since": [unit.paid_since_last for unit in report.units],
            "rate": [f"{unit.completion * 100:.1f}" if unit.completion is not None else "—" for unit in report.units],
            "band": [unit.band_name or "—" for unit in report.units],
            "pace": [f"{unit.pace_per_day:.1f}" for unit in report.units],
            "reached": [
                "已完成"
                if unit.completion is not None and unit.completion >= 1
                else (f"{unit.reached_on}" if unit.reached_on else "—")
                for unit in report.units
            ],
            "needed": [f"{unit.needed_per_day:.1f}" if unit.needed_per_day else "—" for unit in report.units],
        },
        schema_overrides={"rank": pl.Int64, "target": pl.Int64},
    )


def _reached(unit: UnitProgress) -> str:
    if unit.completion is not None and unit.completion >= 1:
        return "已完成"
    return str(unit.reached_on) if unit.reached_on else "—"


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
            rows=[["" if value is None else str(value) for value in row] for row in rows.iter_rows()],
        )
        try:
            target.write_bytes(table_pdf(document))
        except FontMissing as missing:
            raise YibaoError("PDF_FONT_MISSING", font=str(missing)) from missing
        return target
    if kind not in ("xlsx", "csv"):
        raise YibaoError("BULLETIN_FORMAT", field="format", format=kind)
    with table_file(target, kind, "参保进度通报", COLUMNS) as table:
        table.write(_rows(report))
    return target
