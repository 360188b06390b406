"""A simulation report on paper: the 测算报告 as a PDF to hand to the finance bureau and as an xlsx to work on.

Both carry the question (draft, base, date), every assumption, the totals by payer, the figures by township with a
合计 row, and who pays more or less; the PDF adds the tables by category, tier and special group.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from yibao.adapters.printing import Column, FontMissing, PrintedSection, PrintedTable, table_pdf
from yibao.adapters.table_files import TableColumn, table_file
from yibao.domain.errors import YibaoError
from yibao.domain.money import format_yuan
from yibao.domain.simulation import FIGURE_NAMES, FIGURES
from yibao.domain.timeutil import as_shanghai
from yibao.services.simulation.reports import Labels, outcome_rows, reason_name
from yibao.services.simulation.runs import SimulationView

KEY_TITLES = {"township": "镇（街）", "category": "人员类别", "tier": "缴费档次", "group": "特殊群体"}
BREAKDOWN_COLUMNS = (
    ("people_now", "本年度人数", "count"),
    ("people_new", "草案人数", "count"),
    ("individual_now", "本年度个人缴费（元）", "money"),
    ("individual_new", "草案个人缴费（元）", "money"),
    ("individual_change", "个人缴费增减（元）", "money"),
    ("assisted_now", "本年度特殊群体资助（元）", "money"),
    ("assisted_new", "草案特殊群体资助（元）", "money"),
    ("financing_now", "本年度筹资总额（元）", "money"),
    ("financing_new", "草案筹资总额（元）", "money"),
)


def headline(report: SimulationView) -> list[str]:
    """The question and the answer in sentences: what the draft raises against this year, by payer."""
    total = report.summary["total"]
    made = as_shanghai(report.created_at)
    lines = [
        f"草案：{report.draft_name}；对照：{report.base_year}年度（{report.base_name}）；"
        f"测算时间：{made:%Y年%m月%d日 %H:%M}；测算人：{report.actor_name}。",
    ]
    for figure in FIGURES:
        now, new = total[f"{figure}_now"], total[f"{figure}_new"]
        lines.append(f"{FIGURE_NAMES[figure]}：{_side_by_side(now, new)}")
    for payer in report.summary["payers"]:
        now, new = total[f"payer_now__{payer}"], total[f"payer_new__{payer}"]
        name = report.payer_names.get(payer, payer)
        lines.append(f"特殊群体资助由{name}承担：{_side_by_side(now, new)}")
    outcomes = "，".join(f"{name}{count:,}人" for _, name, count in outcome_rows(report))
    lines.append(f"人数：测算{report.summary['people']['base']:,}人，其中{outcomes}。")
    return lines


def _side_by_side(now: int, new: int) -> str:
    change = ("+" if new > now else "") + format_yuan(new - now)
    return f"本年度{format_yuan(now)}元，草案{format_yuan(new)}元，增减{change}元。"


def breakdown_rows(report: SimulationView, labels: Labels, key: str) -> list[dict[str, Any]]:
    """The rows of one breakdown with names and the change of individual contributions, then 合计."""
    rows = [
        {"name": labels.of(key, row["key"]), **row, "individual_change": row["individual_new"] - row["individual_now"]}
        for row in report.summary[f"by_{key}"]
    ]
    total = report.summary["total"]
    rows.append({"name": "合计", **total, "individual_change": total["individual_new"] - total["individual_now"]})
    return rows


def _cell(value: int, kind: str) -> str:
    return f"{value:,}" if kind == "count" else format_yuan(value)


def _section(report: SimulationView, labels: Labels, key: str) -> PrintedSection:
    columns = [Column(KEY_TITLES[key], 58)] + [Column(title, 24, numeric=True) for _, title, _ in BREAKDOWN_COLUMNS]
    rows = [
        [row["name"], *[_cell(row[name], kind) for name, _, kind in BREAKDOWN_COLUMNS]]
        for row in breakdown_rows(report, labels, key)
    ]
    return PrintedSection(f"按{KEY_TITLES[key]}", columns, rows)


def _change_section(report: SimulationView) -> PrintedSection:
    rows = [
        [
            format_yuan(item["from_fen"])
            if item["from_fen"] == item["to_fen"]
            else f"{format_yuan(item['from_fen'])}～{format_yuan(item['to_fen'])}",
            f"{item['count']:,}",
        ]
        for item in report.summary["distribution"]
    ]
    lines = [
        f"草案下不能参保：{reason_name(item['reason'])}{item['count']:,}人" for item in report.summary["newly_refused"]
    ]
    lines += [
        f"草案下新可参保（本年度原因：{reason_name(item['reason'])}）{item['count']:,}人"
        for item in report.summary["newly_admitted"]
    ]
    columns = [Column("个人缴费增减（元）", 60), Column("人数", 30, numeric=True)]
    return PrintedSection("个人缴费增减分布（两者均可参保的人员）", columns, rows, lines)


def report_pdf(report: SimulationView, labels: Labels) -> bytes:
    first = _section(report, labels, "township")
    document = PrintedTable(
        title=report.title,
        lines=headline(report),
        columns=first.columns,
        rows=first.rows,
        sections=[
            *(_section(report, labels, key) for key in ("category", "tier", "group")),
            _change_section(report),
            PrintedSection(
                "测算假设",
                [Column("序号", 14, numeric=True), Column("假设", 240)],
                [[str(i), line] for i, line in enumerate(report.assumptions, 1)],
            ),
        ],
    )
    try:
        return table_pdf(document)
    except FontMissing as missing:
        raise YibaoError("PDF_FONT_MISSING", font=str(missing)) from missing


def write_report_xlsx(report: SimulationView, labels: Labels, target: Path) -> Path:
    """The township table with 合计, under the title, the headline and every assumption."""
    columns = [TableColumn(KEY_TITLES["township"], width=24)] + [
        TableColumn(title, "count" if kind == "count" else "money", 16) for _, title, kind in BREAKDOWN_COLUMNS
    ]
    above = [[report.title], *([line] for line in headline(report)), *([line] for line in report.assumptions), []]
    rows = breakdown_rows(report, labels, "township")
    frame = pl.DataFrame(
        {
            "name": [row["name"] for row in rows],
            **{name: [row[name] for row in rows] for name, _, _ in BREAKDOWN_COLUMNS},
        },
        schema={"name": pl.String, **{name: pl.Int64 for name, _, _ in BREAKDOWN_COLUMNS}},
    )
    with table_file(target, "xlsx", "分镇街测算", columns, above=above) as table:
        table.write(frame)
    return target
