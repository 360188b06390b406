"""Cross-checks over /api/v1: departments' reference lists (imported as jobs), runs (jobs), the findings with their
follow-up and their export, and the register of reasons for non-enrollment."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Response, UploadFile
from fastapi import Path as PathPart
from pydantic import BaseModel, Field

from yibao.entrypoints.api.context import ApiWork
from yibao.entrypoints.api.schemas import ERROR_RESPONSES
from yibao.entrypoints.http.context import Context
from yibao.entrypoints.http.jobs import JobOut, job_out
from yibao.services.crosscheck import reasons, worklists
from yibao.services.crosscheck import runs as crosscheck
from yibao.services.crosscheck.findings_export import export_findings
from yibao.services.crosscheck.jobs import start_crosscheck_run, start_reference_import
from yibao.services.crosscheck.reason_register import register, write_register
from yibao.services.crosscheck.reference_lists import ReferenceRequest

router = APIRouter(prefix="/api/v1", tags=["cross-checks"], responses=ERROR_RESPONSES)
Year = Annotated[int, Query(ge=2000, le=2100, description="insurance year (参保年度)")]
MEDIA = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "csv": "text/csv"}


@router.post("/reference-lists", status_code=202, summary="Import a department's list (.xlsx/.csv) in the background")
def import_reference_list(
    context: Context,
    work: ApiWork,
    file: Annotated[UploadFile, File(description=".xlsx or .csv (UTF-8 or GBK)")],
    kind: Annotated[str, Form(description="population, deaths, students, tax_payments, last_year_enrollment …")],
    as_of: Annotated[date | None, Form(description="the day the list describes; default today")] = None,
    source: Annotated[str | None, Form(description="the department; default the kind's usual one")] = None,
    insurance_year: Annotated[int | None, Form(description="for lists about one year (tax, enrollment)")] = None,
    dry_run: Annotated[bool, Form()] = False,
) -> JobOut:
    request = ReferenceRequest(
        file.filename or "名单.xlsx", file.file.read(), kind, as_of, source, insurance_year, dry_run
    )
    return job_out(start_reference_import(context.jobs, context.unit_of_work, work.principal, request))


@router.get("/reference-lists", summary="The district's lists, newest first; `current`: compared by the next run")
def list_reference_lists(work: ApiWork, insurance_year: Year) -> list[crosscheck.ListView]:
    return crosscheck.reference_lists(work.uow, work.principal, insurance_year)


class RunIn(BaseModel):
    insurance_year: int | None = Field(default=None, description="default: the campaign under way")
    engine: str | None = Field(default=None, description="duckdb (default), database or spark")


@router.post("/crosscheck-runs", status_code=202, summary="Run the cross-checks in the background; poll the job")
def start_run(context: Context, work: ApiWork, body: RunIn) -> JobOut:
    request = crosscheck.CrosscheckRequest(body.insurance_year, body.engine)
    return job_out(start_crosscheck_run(context.jobs, context.unit_of_work, work.principal, request, context.data_dir))


@router.get("/crosscheck-runs", summary="The latest runs of a year, with their counts per kind")
def list_runs(work: ApiWork, insurance_year: Year) -> list[crosscheck.RunView]:
    return crosscheck.recent_runs(work.uow, work.principal, insurance_year)


@router.get("/findings/summary", summary="Current findings per township and kind: total and still open")
def finding_summary(work: ApiWork, insurance_year: Year) -> list[worklists.FindingCount]:
    return worklists.finding_counts(work.uow, work.principal, insurance_year)


@router.get("/findings", summary="The worklist: current findings by township and village (a township: its own)")
def list_findings(
    work: ApiWork,
    insurance_year: Year,
    kind: str | None = None,
    township_code: str | None = None,
    status: str | None = None,
    village_code: str | None = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[worklists.FindingView]:
    return worklists.list_findings(
        work.uow,
        work.principal,
        insurance_year,
        kind=kind,
        township_code=township_code,
        status=status,
        limit=limit,
        offset=offset,
        village_code=village_code,
    )


@router.get("/findings/villages", summary="A township's current findings per village")
def finding_villages(work: ApiWork, insurance_year: Year, township_code: str) -> list[worklists.VillageCount]:
    return worklists.village_counts(work.uow, work.principal, insurance_year, township_code)


@router.get("/findings/export", summary="The worklist as xlsx or csv (ID numbers masked as the role requires)")
def export(
    work: ApiWork,
    insurance_year: Year,
    kind: str | None = None,
    township_code: str | None = None,
    status: str | None = None,
    format: Annotated[str, Query(pattern="^(xlsx|csv)$")] = "xlsx",
) -> Response:
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / f"findings.{format}"
        export_findings(
            work.uow,
            work.principal,
            insurance_year,
            target,
            format,
            kind=kind,
            township_code=township_code,
            status=status,
        )
        content = target.read_bytes()
    return Response(
        content,
        media_type=MEDIA[format],
        headers={"Content-Disposition": f'attachment; filename="findings-{insurance_year}.{format}"'},
    )


class FollowUpIn(BaseModel):
    status: str = Field(description="open, contacted, enrolled, reason_recorded, not_applicable")
    note: str | None = Field(default=None, max_length=200)


@router.patch("/findings/{finding_id}", summary="Record the follow-up of a finding (kept across later runs)")
def follow_up(work: ApiWork, finding_id: int, body: FollowUpIn) -> worklists.FindingView:
    return worklists.set_status(work.uow, work.principal, finding_id, body.status, body.note)


class ReasonIn(BaseModel):
    insurance_year: int
    id_number: str
    name: str = Field(min_length=1, max_length=64)
    township_code: str
    reason: str = Field(description="insured_elsewhere, employee_insurance, military_service, deceased, …")
    note: str | None = Field(default=None, max_length=200)
    village_code: str | None = Field(default=None, max_length=12, description="default: where the person lives")
    recorded_on: date | None = Field(default=None, description="the day on the paper register; default today")


@router.post("/non-enrollment-reasons", status_code=201, summary="未参保原因登记 for a person and year")
def record_reason(work: ApiWork, body: ReasonIn) -> reasons.ReasonView:
    return reasons.record_reason(
        work.uow,
        work.principal,
        insurance_year=body.insurance_year,
        id_number=body.id_number,
        name=body.name,
        township_code=body.township_code,
        reason=body.reason,
        note=body.note,
        village_code=body.village_code,
        recorded_on=body.recorded_on,
    )


@router.get(
    "/non-enrollment-reasons/register.{format}",
    summary="The plan's 未参保原因登记表 of a 村（居）, or without village_code the township's summary to sign",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}, MEDIA["xlsx"]: {}}, "description": "the form"}},
)
def reason_register(
    work: ApiWork,
    format: Annotated[str, PathPart(pattern="^(pdf|xlsx)$")],
    insurance_year: Year,
    township_code: Annotated[str, Query(max_length=12)],
    village_code: Annotated[str | None, Query(max_length=12)] = None,
) -> Response:
    sheet = register(work.uow, work.principal, insurance_year, township_code, village_code or None)
    with tempfile.TemporaryDirectory() as folder:
        content = write_register(work.uow, sheet, Path(folder) / f"register.{format}", format).read_bytes()
    media = "application/pdf" if format == "pdf" else MEDIA["xlsx"]
    name = f"reasons-{insurance_year}-{village_code or township_code}.{format}"
    return Response(content, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/non-enrollment-reasons", summary="The register of reasons of a year")
def list_reasons(work: ApiWork, insurance_year: Year, include_withdrawn: bool = False) -> list[reasons.ReasonView]:
    return reasons.list_reasons(work.uow, work.principal, insurance_year, include_withdrawn=include_withdrawn)


@router.delete("/non-enrollment-reasons/{reason_id}", summary="Withdraw a reason (kept in the register, marked)")
def withdraw_reason(work: ApiWork, reason_id: int) -> reasons.ReasonView:
    return reasons.withdraw_reason(work.uow, work.principal, reason_id)
