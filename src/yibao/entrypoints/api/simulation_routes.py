"""Plan what-if (测算) over /api/v1: run a draft over a base campaign's people as a job, read the kept reports, drill
down to a township and its persons, compare reports, and take a report as PDF or xlsx."""

from __future__ import annotations

import tempfile
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from fastapi import Path as PathPart
from pydantic import BaseModel, Field

from yibao.domain.simulation import Outcome, TierRule, TierShift
from yibao.entrypoints.api.context import ApiWork
from yibao.entrypoints.api.schemas import ERROR_RESPONSES
from yibao.entrypoints.http.context import Context
from yibao.entrypoints.http.jobs import JobOut, job_out
from yibao.services.simulation import exports, reports
from yibao.services.simulation.jobs import start_simulation
from yibao.services.simulation.runs import SimulationRequest, SimulationView

router = APIRouter(prefix="/api/v1", tags=["simulations"], responses=ERROR_RESPONSES)
MEDIA = {"pdf": "application/pdf", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


class TierShiftIn(BaseModel):
    from_tier: str = Field(max_length=32)
    to_tier: str = Field(max_length=32)
    share: float = Field(gt=0, le=1, description="0.1: a tenth of the people of from_tier move to to_tier")


class SimulationIn(BaseModel):
    draft_policy_id: str = Field(max_length=80, description="a plan of the district, stored or bundled")
    base_year: int = Field(ge=2000, le=2100, description="the campaign whose people are the base")
    tier_rule: TierRule = Field(default=TierRule.KEEP, description="keep: this year's tier; default: the draft's")
    tier_shift: TierShiftIn | None = None
    include_unenrolled: bool = Field(default=False, description="add the registered residents not enrolled")
    registered_on: date | None = Field(default=None, description="default: the draft's registration window opens")


class SimulationBrief(BaseModel):
    id: int
    title: str
    base_year: int
    created_at: datetime
    actor: str


class PersonPageOut(BaseModel):
    rows: list[dict[str, Any]]
    total: int
    page: int
    pages: int


@router.post("/simulations", status_code=202, summary="Simulate a draft plan in the background; poll the job")
def start(context: Context, work: ApiWork, body: SimulationIn) -> JobOut:
    shift = body.tier_shift
    request = SimulationRequest(
        body.draft_policy_id,
        body.base_year,
        body.tier_rule,
        None if shift is None else TierShift(shift.from_tier, shift.to_tier, shift.share),
        body.include_unenrolled,
        body.registered_on,
    )
    return job_out(start_simulation(context.jobs, context.unit_of_work, work.principal, request, context.data_dir))


@router.get("/simulations", summary="The district's simulation reports, newest first")
def list_simulations(work: ApiWork) -> list[SimulationBrief]:
    return [
        SimulationBrief(id=r.id, title=r.title, base_year=r.base_year, created_at=r.created_at, actor=r.actor)
        for r in reports.list_reports(work.uow, work.principal)
    ]


@router.get("/simulations/compare", summary="Several reports side by side (A vs B; each carries this year's side)")
def compare(work: ApiWork, ids: Annotated[list[int], Query(min_length=1, max_length=5)]) -> list[SimulationView]:
    return reports.compare_reports(work.uow, work.principal, ids)


@router.get("/simulations/{report_id}", summary="One report: question, assumptions, totals and breakdowns")
def get_simulation(work: ApiWork, report_id: int) -> SimulationView:
    """The question (``options``), every assumption in Chinese, and the totals by township, category, tier and
    special group (``summary``, amounts in fen)."""
    return reports.get_report(work.uow, work.principal, report_id)


@router.get("/simulations/{report_id}/townships/{township_code}", summary="A report's figures for one township")
def township(context: Context, work: ApiWork, report_id: int, township_code: str) -> dict[str, Any]:
    return reports.township_summary(work.uow, work.principal, report_id, township_code, data_directory=context.data_dir)


@router.get("/simulations/{report_id}/persons", summary="A report's persons, largest change first (50 a page)")
def persons(
    context: Context,
    work: ApiWork,
    report_id: int,
    township: Annotated[str | None, Query(max_length=12)] = None,
    outcome: Outcome | None = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> PersonPageOut:
    found = reports.persons(
        work.uow,
        work.principal,
        report_id,
        township=township,
        outcome=outcome,
        page=page,
        data_directory=context.data_dir,
    )
    return PersonPageOut(rows=found.rows, total=found.total, page=found.page, pages=found.pages)


@router.get(
    "/simulations/{report_id}/report.{format}",
    summary="The 测算报告 as a PDF, or its township table as an xlsx",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}, MEDIA["xlsx"]: {}}, "description": "the report"}},
)
def report_file(work: ApiWork, report_id: int, format: Annotated[str, PathPart(pattern="^(pdf|xlsx)$")]) -> Response:
    report = reports.get_report(work.uow, work.principal, report_id)
    labels = reports.labels(work.uow, report)
    if format == "pdf":
        content = exports.report_pdf(report, labels)
    else:
        with tempfile.TemporaryDirectory() as folder:
            content = exports.write_report_xlsx(report, labels, Path(folder) / "report.xlsx").read_bytes()
    return Response(
        content,
        media_type=MEDIA[format],
        headers={"Content-Disposition": f'attachment; filename="simulation-{report.id}.{format}"'},
    )
