"""What the progress dashboard draws, for its own page and for the home page's summary."""

from __future__ import annotations

from datetime import date
from typing import Any

from yibao.entrypoints.web.charts import category_chart, cumulative_chart, ranking_chart
from yibao.services.access import Role
from yibao.services.progress.report import progress_report


def dashboard_context(work: Any, on: date, insurance_year: int | None = None) -> dict[str, Any]:
    """What the dashboard (and the home page's summary) draws: the campaign of ``insurance_year``, else the one
    the day belongs to."""
    report = progress_report(work.uow, work.principal, on, insurance_year)
    mine = next((u for u in report.units if u.area_code == work.principal.area_code), None)
    ranked = [(u.unit, u.completion or 0.0, u.band) for u in report.units if u.completion is not None]
    categories: dict[str, int] = {}
    for unit in report.units:
        for key, value in unit.paid_by_category.items():
            categories[key] = categories.get(key, 0) + value
    return {
        "report": report,
        "mine": mine if work.principal.role is Role.TOWNSHIP_OPERATOR else None,
        "cumulative": cumulative_chart([(p.day, p.paid) for p in report.series], report.target),
        "ranking": ranking_chart(ranked),
        "categories": category_chart(categories),
    }
