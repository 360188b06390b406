"""Targets and progress over /api/v1: the year's targets (and loading them from the plan), the progress report as
of any day, and the ranking bulletin as a file. Always current: each call reads the counts the database keeps as
enrollments change."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Response, UploadFile
from pydantic import BaseModel, Field

from yibao.domain.timeutil import SHANGHAI
from yibao.entrypoints.api.context import ApiWork
from yibao.entrypoints.api.schemas import ERROR_RESPONSES, RecordId
from yibao.services.progress import statistics, targets, unit_reports
from yibao.services.progress.breakdown import ProgressBreakdown, progress_breakdown
from yibao.services.progress.bulletin import write_bulletin
from yibao.services.progress.report import ProgressReport, progress_report
from yibao.services.progress.statistics import PopulationCountView
from yibao.services.progress.targets import TargetView

router = APIRouter(prefix="/api/v1", tags=["progress"], responses=ERROR_RESPONSES)
MEDIA = {"pdf": "application/pdf", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


class UnitReportIn(BaseModel):
    insurance_year: int = Field(ge=2000, le=2100)
    note: str | None = Field(default=None, max_length=200)
    village_code: str | None = Field(
        default=None, max_length=12, description="a 村（居）'s report to its township, recorded by the township's clerk"
    )


@router.post("/unit-reports", status_code=201, summary="Submit one's unit's progress for this period (报送进度)")
def submit_unit_report(work: ApiWork, body: UnitReportIn) -> unit_reports.UnitRow:
    return unit_reports.submit_report(work.uow, work.principal, body.insurance_year, body.note, body.village_code)


@router.get(
    "/unit-reports",
    summary="The district's units for a period (a township's 村（居）, with township_code): each one's report, and "
    "who has not reported",
)
def unit_report_period(
    work: ApiWork,
    insurance_year: Annotated[int, Query(ge=2000, le=2100)],
    on: date | None = None,
    township_code: Annotated[str | None, Query(max_length=12)] = None,
) -> unit_reports.PeriodReport:
    if township_code:
        return unit_reports.township_report(work.uow, work.principal, insurance_year, _on(work, on), township_code)
    return unit_reports.period_report(work.uow, work.principal, insurance_year, _on(work, on))


class LoadTargetsIn(BaseModel):
    policy_id: str


@router.get("/targets", summary="The year's targets, by unit and category")
def list_targets(work: ApiWork, insurance_year: Annotated[int, Query(ge=2000, le=2100)]) -> list[TargetView]:
    return targets.list_targets(work.uow, work.principal, insurance_year)


@router.post("/target-imports", summary="A bureau's own target sheet (单位, 合计, 一般居民, 学生, 特殊群体)")
def import_targets(
    work: ApiWork,
    file: Annotated[UploadFile, File(description=".xlsx or .csv")],
    insurance_year: Annotated[int, Form()],
) -> list[TargetView]:
    return targets.import_targets(
        work.uow, work.principal, insurance_year, file.filename or "指标.xlsx", file.file.read()
    )


@router.get("/population-counts", summary="Statistical bases of the year's coverage goals, by township")
def list_population_counts(
    work: ApiWork, insurance_year: Annotated[int, Query(ge=2000, le=2100)]
) -> list[PopulationCountView]:
    return statistics.list_population_counts(work.uow, work.principal, insurance_year)


@router.post(
    "/population-counts",
    summary="Load a coverage goal's base as the statistics bureau counts it (镇（街）, 人数); replaces the goal's",
)
def load_population_counts(
    work: ApiWork,
    file: Annotated[UploadFile, File(description=".xlsx or .csv with 镇（街） and 人数 columns")],
    insurance_year: Annotated[int, Form(ge=2000, le=2100)],
    goal_id: Annotated[
        str, Form(max_length=80, description="a coverage goal of the year's plan with base: statistics")
    ],
    source: Annotated[str, Form(max_length=120, description="where the count comes from: 县统计局2016年末农业人口")],
) -> list[PopulationCountView]:
    return statistics.load_population_counts(
        work.uow, work.principal, insurance_year, goal_id, file.filename or "统计数.xlsx", file.file.read(), source
    )


@router.post("/targets/from-policy", summary="Load the plan's own target table (replaces what it loaded before)")
def load_targets(work: ApiWork, body: LoadTargetsIn) -> list[TargetView]:
    return targets.load_policy_targets(work.uow, work.principal, body.policy_id)


class BindInstitutionIn(BaseModel):
    insurance_year: int = Field(ge=2000, le=2100)
    unit: str = Field(min_length=1, max_length=64, description="the target's unit, as the plan names it")
    organization_id: RecordId


@router.put(
    "/targets/institution",
    summary="Count an institution's target (静海: 天津大学仁爱学院) from an organization's enrollments",
)
def bind_institution(work: ApiWork, body: BindInstitutionIn) -> list[TargetView]:
    return targets.bind_institution(work.uow, work.principal, body.insurance_year, body.unit, body.organization_id)


def _on(work: ApiWork, on: date | None) -> date:
    today: date = work.uow.now.astimezone(SHANGHAI).date()
    return on or today


@router.get(
    "/progress",
    summary="Progress as of a day: per township and category, against the targets",
    response_model=ProgressReport,
)
def progress(work: ApiWork, on: date | None = None, insurance_year: int | None = None) -> Response:
    report = progress_report(work.uow, work.principal, _on(work, on), insurance_year)
    # Serialized by the model itself: FastAPI would validate a thousand townships' rows over again first.
    return Response(report.model_dump_json(), media_type="application/json")


@router.get(
    "/progress/breakdown",
    summary="Progress by village, channel, category or township, as of a day (a page of rows, and the 合计 of all)",
    response_model=ProgressBreakdown,
)
def breakdown(
    work: ApiWork,
    by: str = "village",
    township_code: str | None = None,
    on: date | None = None,
    insurance_year: int | None = None,
    limit: Annotated[int, Query(ge=1, le=5000, description="rows per page")] = 500,
    offset: Annotated[int, Query(ge=0, description="rows to skip (row_count says how many there are)")] = 0,
) -> Response:
    found = progress_breakdown(
        work.uow, work.principal, _on(work, on), by, township_code, insurance_year, offset=offset, limit=limit
    )
    # Serialized by the model itself, as the report is: even a page of a district's villages is hundreds of rows.
    return Response(found.model_dump_json(), media_type="application/json")


@router.get("/progress/bulletin", summary="The ranking bulletin (排名通报) as xlsx, csv or pdf")
def bulletin(
    work: ApiWork, on: date | None = None, format: Annotated[str, Query(pattern="^(xlsx|csv|pdf)$")] = "xlsx"
) -> Response:
    report = progress_report(work.uow, work.principal, _on(work, on), exact=True)
    with tempfile.TemporaryDirectory() as folder:
        content = write_bulletin(report, Path(folder) / f"bulletin.{format}", format).read_bytes()
    name = f"bulletin-{report.on.isoformat()}.{format}"
    return Response(
        content,
        media_type=MEDIA.get(format, "text/csv"),
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
