"""The plan what-if pages (方案测算): choose a draft and a base and run it as a job; read a report with its charts,
drill down to a township and its persons, compare reports, take the 测算报告 as PDF or xlsx."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from yibao.domain.errors import YibaoError
from yibao.domain.money import format_yuan
from yibao.domain.simulation import FIGURE_NAMES, FIGURES, OUTCOME_NAMES, TIER_RULE_NAMES, Outcome, TierRule, TierShift
from yibao.entrypoints.http.context import Context
from yibao.entrypoints.http.errors import status_for
from yibao.entrypoints.http.jobs import XLSX
from yibao.entrypoints.web.charts import change_chart, comparison_chart
from yibao.entrypoints.web.routes import page
from yibao.entrypoints.web.session import CheckedCsrf, WebWork
from yibao.services.access import Permission
from yibao.services.policy.campaigns import list_campaigns
from yibao.services.policy.plans import district_policies
from yibao.services.simulation import exports, reports
from yibao.services.simulation.jobs import start_simulation
from yibao.services.simulation.runs import SimulationRequest, SimulationView

router = APIRouter(include_in_schema=False)


def _form_page(request: Request, work: Any, status_code: int = 200, **extra: Any) -> Response:
    work.principal.require(Permission.SIMULATE)
    district = work.principal.district
    drafts = district_policies(district, work.uow.session)
    return page(
        request,
        work,
        "simulations.html",
        status_code=status_code,
        drafts=drafts,
        tiers={code: tier.name for plan in reversed(drafts) for code, tier in plan.tiers.items()},
        campaigns=list_campaigns(work.uow, district),
        tier_rules=TIER_RULE_NAMES,
        found=reports.list_reports(work.uow, work.principal),
        **extra,
    )


@router.get("/simulations")
def simulations(request: Request, work: WebWork) -> Response:
    return _form_page(request, work)


def _tier_rule(value: str) -> TierRule:
    try:
        return TierRule(value)
    except ValueError:
        allowed = "、".join(TIER_RULE_NAMES.values())
        raise YibaoError("SIMULATION_TIER_RULE_UNKNOWN", field="tier_rule", rule=value, allowed=allowed) from None


def _shift(from_tier: str, to_tier: str, percent: str) -> TierShift | None:
    if not from_tier and not to_tier:
        return None
    try:
        share = float(percent) / 100
    except ValueError:
        raise YibaoError("SIMULATION_SHARE_INVALID", field="shift_percent", value=percent) from None
    return TierShift(from_tier, to_tier, share)


@router.post("/simulations/run")
def run(
    request: Request,
    context: Context,
    work: WebWork,
    _csrf: CheckedCsrf,
    draft: Annotated[str, Form()],
    base_year: Annotated[int, Form()],
    tier_rule: Annotated[str, Form()] = TierRule.KEEP.value,
    shift_from: Annotated[str, Form()] = "",
    shift_to: Annotated[str, Form()] = "",
    shift_percent: Annotated[str, Form()] = "",
    include_unenrolled: Annotated[bool, Form()] = False,
    registered_on: Annotated[date | None, Form()] = None,
) -> Response:
    try:
        simulation = SimulationRequest(
            draft,
            base_year,
            _tier_rule(tier_rule),
            _shift(shift_from, shift_to, shift_percent),
            include_unenrolled,
            registered_on,
        )
        job = start_simulation(context.jobs, context.unit_of_work, work.principal, simulation, context.data_dir)
    except YibaoError as error:
        return _form_page(request, work, status_code=status_for(error), error=error)
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)


def _charts(report: SimulationView, labels: reports.Labels) -> dict[str, str]:
    townships = [
        (labels.of("township", row["key"]), row["individual_now"], row["individual_new"])
        for row in report.summary["by_township"]
    ]
    buckets = [
        (
            format_yuan(item["from_fen"])
            if item["from_fen"] == item["to_fen"]
            else f"{format_yuan(item['from_fen'])}～{format_yuan(item['to_fen'])}",
            item["count"],
        )
        for item in report.summary["distribution"]
    ]
    return {"townships": comparison_chart(townships), "changes": change_chart(buckets)}


def _report_context(report: SimulationView, labels: reports.Labels) -> dict[str, Any]:
    return {
        "report": report,
        "labels": labels,
        "figures": FIGURES,
        "figure_names": FIGURE_NAMES,
        "headline": exports.headline(report),
        "outcomes": reports.outcome_rows(report),
        "reason_name": reports.reason_name,
        "rows": {key: exports.breakdown_rows(report, labels, key) for key in exports.KEY_TITLES},
        "key_titles": exports.KEY_TITLES,
        "columns": exports.BREAKDOWN_COLUMNS,
    }


@router.get("/simulations/compare")
def compare(request: Request, work: WebWork, ids: Annotated[list[int], Query()]) -> Response:
    found = reports.compare_reports(work.uow, work.principal, ids[:5])
    return page(request, work, "simulation_compare.html", found=found, figures=FIGURES, figure_names=FIGURE_NAMES)


@router.get("/simulations/{report_id}")
def report_page(request: Request, work: WebWork, report_id: int) -> Response:
    report = reports.get_report(work.uow, work.principal, report_id)
    labels = reports.labels(work.uow, report)
    return page(request, work, "simulation.html", charts=_charts(report, labels), **_report_context(report, labels))


@router.get("/simulations/{report_id}/persons")
def persons_page(
    request: Request,
    context: Context,
    work: WebWork,
    report_id: int,
    township: str | None = None,
    outcome: Outcome | None = None,
    page_number: Annotated[int, Query(alias="page", ge=1)] = 1,
) -> Response:
    report = reports.get_report(work.uow, work.principal, report_id)
    labels = reports.labels(work.uow, report)
    found = reports.persons(
        work.uow,
        work.principal,
        report_id,
        township=township or None,
        outcome=outcome,
        page=page_number,
        data_directory=context.data_dir,
    )
    township_summary = (
        reports.township_summary(work.uow, work.principal, report_id, township, data_directory=context.data_dir)
        if township
        else None
    )
    return page(
        request,
        work,
        "simulation_persons.html",
        report=report,
        labels=labels,
        found=found,
        township=township or "",
        outcome=outcome,
        outcome_names=OUTCOME_NAMES,
        township_summary=township_summary,
        figures=FIGURES,
        figure_names=FIGURE_NAMES,
        reason_name=reports.reason_name,
    )


@router.get("/simulations/{report_id}/report.{kind}")
def report_file(work: WebWork, report_id: int, kind: str) -> Response:
    report = reports.get_report(work.uow, work.principal, report_id)
    labels = reports.labels(work.uow, report)
    name = f"{report.title}-{report.id}"
    if kind == "pdf":
        content, media = exports.report_pdf(report, labels), "application/pdf"
    elif kind == "xlsx":
        with tempfile.TemporaryDirectory() as folder:
            content = exports.write_report_xlsx(report, labels, Path(folder) / "report.xlsx").read_bytes()
        media = XLSX
    else:
        raise YibaoError("SIMULATION_FORMAT", field="format", format=kind)
    disposition = f"attachment; filename*=utf-8''{quote(f'{name}.{kind}')}"
    return Response(content, media_type=media, headers={"Content-Disposition": disposition})
