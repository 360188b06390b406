"""Charts as inline SVG, drawn on the server: no script, no CDN, nothing to download — they render offline, print,
and show in the PDF-less browsers of township offices alike."""

from __future__ import annotations

from datetime import date
from xml.sax.saxutils import escape

COLORS = {"green": "#137333", "amber": "#b06000", "red": "#b42318", None: "#5b6775"}
CATEGORY_COLORS = {"general": "#0b5cad", "students": "#5e9ed6", "special_groups": "#b06000"}
CATEGORY_NAMES = {"general": "一般居民", "students": "学生", "special_groups": "特殊群体"}


def cumulative_chart(points: list[tuple[date, int]], target: int | None, width: int = 720, height: int = 260) -> str:
    """Cumulative paid enrollments over the campaign, against the target."""
    left, right, top, bottom = 64, 16, 16, 32
    plot_w, plot_h = width - left - right, height - top - bottom
    highest = max([value for _, value in points] + [1])
    # A target far above the progress so far would flatten the line to nothing: then the scale follows the
    # progress, and the target is written above the chart instead of drawn.
    target_drawn = bool(target) and highest >= 0.1 * (target or 0)
    top_value = max(highest * 1.15, target or 0) if target_drawn else highest * 1.15
    days = max(len(points) - 1, 1)

    def x(index: int) -> float:
        return left + plot_w * index / days

    def y(value: float) -> float:
        return top + plot_h * (1 - value / top_value)

    path = " ".join(f"{'M' if i == 0 else 'L'}{x(i):.1f},{y(v):.1f}" for i, (_, v) in enumerate(points))
    parts = [
        f'<svg class="chart" role="img" aria-label="累计参保进度" viewBox="0 0 {width} {height}" '
        f'xmlns="http://www.w3.org/2000/svg" width="100%" data-chart="cumulative">',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#d5dbe2"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="#d5dbe2"/>',
    ]
    for fraction in (0, 0.5, 1):
        value = top_value * fraction
        parts.append(
            f'<text x="{left - 6}" y="{y(value) + 4:.1f}" text-anchor="end" font-size="11" fill="#5b6775">'
            f"{value:,.0f}</text>"
        )
    if target and not target_drawn:
        parts.append(
            f'<text x="{left + plot_w}" y="{top + 10}" text-anchor="end" font-size="11" fill="#b42318" '
            f'data-target="{target}">任务 {target:,}（完成 {highest / target:.1%}，图中未按比例画出）</text>'
        )
    if target and target_drawn:
        parts.append(
            f'<line x1="{left}" y1="{y(target):.1f}" x2="{left + plot_w}" y2="{y(target):.1f}" stroke="#b42318" '
            f'stroke-dasharray="6 4" data-target="{target}"/>'
            f'<text x="{left + plot_w}" y="{y(target) - 4:.1f}" text-anchor="end" font-size="11" fill="#b42318">'
            f"任务 {target:,}</text>"
        )
    if points:
        for index in sorted({0, len(points) // 2, len(points) - 1}):
            parts.append(
                f'<text x="{x(index):.1f}" y="{height - 10}" text-anchor="middle" font-size="11" fill="#5b6775">'
                f"{points[index][0]:%m-%d}</text>"
            )
        parts.append(f'<path d="{path}" fill="none" stroke="#0b5cad" stroke-width="2.5" data-series="paid"/>')
    parts.append("</svg>")
    return "".join(parts)


def ranking_chart(units: list[tuple[str, float, str | None]], width: int = 720) -> str:
    """Townships' completion as bars, best first, coloured by band; a line at 100 %."""
    bar, gap, left, right = 18, 6, 110, 60
    height = max(len(units), 1) * (bar + gap) + 20
    scale_top = max([rate for _, rate, _ in units] + [1.0])
    plot_w = width - left - right

    def x(rate: float) -> float:
        return left + plot_w * rate / scale_top

    parts = [
        f'<svg class="chart" role="img" aria-label="各镇（街）完成率排名" viewBox="0 0 {width} {height}" '
        f'xmlns="http://www.w3.org/2000/svg" width="100%" data-chart="ranking">'
    ]
    for index, (name, rate, band) in enumerate(units):
        y = 10 + index * (bar + gap)
        parts.append(
            f'<text x="{left - 6}" y="{y + bar - 4}" text-anchor="end" font-size="12" fill="#1d2733">'
            f"{escape(name)}</text>"
            f'<rect x="{left}" y="{y}" width="{max(x(rate) - left, 1):.1f}" height="{bar}" fill="{COLORS.get(band)}" '
            f'data-unit="{escape(name)}" data-rate="{rate:.4f}"/>'
            f'<text x="{x(rate) + 4:.1f}" y="{y + bar - 4}" font-size="11" fill="#1d2733">{rate:.1%}</text>'
        )
    parts.append(
        f'<line x1="{x(1.0):.1f}" y1="0" x2="{x(1.0):.1f}" y2="{height}" stroke="#1d2733" stroke-dasharray="3 3"/>'
    )
    parts.append("</svg>")
    return "".join(parts)


def category_chart(parts_by_category: dict[str, int], width: int = 720, height: int = 56) -> str:
    """One stacked bar of paid enrollments by category, with a legend."""
    total = sum(parts_by_category.values()) or 1
    left, plot_w = 8, width - 16
    parts = [
        f'<svg class="chart" role="img" aria-label="分类构成" viewBox="0 0 {width} {height}" '
        f'xmlns="http://www.w3.org/2000/svg" width="100%" data-chart="categories">'
    ]
    cursor = float(left)
    for key in CATEGORY_NAMES:
        value = parts_by_category.get(key, 0)
        share = plot_w * value / total
        parts.append(
            f'<rect x="{cursor:.1f}" y="4" width="{share:.1f}" height="22" fill="{CATEGORY_COLORS[key]}" '
            f'data-category="{key}" data-value="{value}"/>'
        )
        cursor += share
    legend_x = left
    for key, name in CATEGORY_NAMES.items():
        parts.append(
            f'<rect x="{legend_x}" y="36" width="12" height="12" fill="{CATEGORY_COLORS[key]}"/>'
            f'<text x="{legend_x + 16}" y="46" font-size="12" fill="#1d2733">'
            f"{name} {parts_by_category.get(key, 0):,}</text>"
        )
        legend_x += 180
    parts.append("</svg>")
    return "".join(parts)


NOW_COLOR, DRAFT_COLOR = "#5b6775", "#0b5cad"


def comparison_chart(rows: list[tuple[str, int, int]], width: int = 720) -> str:
    """Two bars per unit — this year (grey) and the draft (blue) — of an amount in fen, labelled in 万元; a legend
    on top. For a simulation's townships."""
    bar, gap, left, right, top = 11, 8, 110, 90, 26
    height = top + max(len(rows), 1) * (2 * bar + gap) + 6
    largest = max([max(now, new) for _, now, new in rows] + [1])
    plot_w = width - left - right
    parts = [
        f'<svg class="chart" role="img" aria-label="本年度与草案对比" viewBox="0 0 {width} {height}" '
        f'xmlns="http://www.w3.org/2000/svg" width="100%" data-chart="comparison">',
        f'<rect x="{left}" y="6" width="12" height="12" fill="{NOW_COLOR}"/>'
        f'<text x="{left + 16}" y="16" font-size="12" fill="#1d2733">本年度</text>'
        f'<rect x="{left + 90}" y="6" width="12" height="12" fill="{DRAFT_COLOR}"/>'
        f'<text x="{left + 106}" y="16" font-size="12" fill="#1d2733">草案</text>',
    ]
    for index, (name, now, new) in enumerate(rows):
        y = top + index * (2 * bar + gap)
        parts.append(
            f'<text x="{left - 6}" y="{y + bar + 4}" text-anchor="end" font-size="12" fill="#1d2733">'
            f"{escape(name)}</text>"
        )
        for offset, (value, color, side) in enumerate(((now, NOW_COLOR, "now"), (new, DRAFT_COLOR, "new"))):
            length = max(plot_w * value / largest, 1)
            bar_y = y + offset * bar
            parts.append(
                f'<rect x="{left}" y="{bar_y}" width="{length:.1f}" height="{bar - 1}" fill="{color}" '
                f'data-unit="{escape(name)}" data-side="{side}" data-value="{value}"/>'
                f'<text x="{left + length + 4:.1f}" y="{bar_y + bar - 2}" font-size="10" fill="#1d2733">'
                f"{value / 1_000_000:,.2f}万</text>"
            )
    parts.append("</svg>")
    return "".join(parts)


def change_chart(buckets: list[tuple[str, int]], width: int = 720, height: int = 200) -> str:
    """How many people's contribution changes by how much: one column per change (or range of changes)."""
    left, bottom, top = 10, 40, 18
    plot_w, plot_h = width - 2 * left, height - bottom - top
    largest = max([count for _, count in buckets] + [1])
    column = min(plot_w / max(len(buckets), 1), 110.0)  # two changes are two columns, not two halves
    parts = [
        f'<svg class="chart" role="img" aria-label="个人缴费增减分布" viewBox="0 0 {width} {height}" '
        f'xmlns="http://www.w3.org/2000/svg" width="100%" data-chart="changes">'
    ]
    for index, (label, count) in enumerate(buckets):
        bar_h = max(plot_h * count / largest, 1)
        x = left + index * column + column * 0.15
        y = top + plot_h - bar_h
        middle = x + column * 0.35
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{column * 0.7:.1f}" height="{bar_h:.1f}" fill="{DRAFT_COLOR}" '
            f'data-change="{escape(label)}" data-count="{count}"/>'
            f'<text x="{middle:.1f}" y="{y - 4:.1f}" text-anchor="middle" font-size="11" fill="#1d2733">'
            f"{count:,}</text>"
            f'<text x="{middle:.1f}" y="{height - bottom + 16}" text-anchor="middle" font-size="11" fill="#1d2733">'
            f"{escape(label)}</text>"
        )
    parts.append(
        f'<text x="{width / 2:.0f}" y="{height - 6}" text-anchor="middle" font-size="11" fill="#5b6775">'
        "个人缴费增减（元），柱上为人数</text></svg>"
    )
    return "".join(parts)
