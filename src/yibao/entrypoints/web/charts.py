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
