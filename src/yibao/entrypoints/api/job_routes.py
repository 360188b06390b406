"""Routes of /api/v1 for bulk work: upload a roster (answered at once with a job to poll), a job's state and its
file, and the roster template."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel, Field

from yibao.entrypoints.api.context import ApiWork
from yibao.entrypoints.api.schemas import ERROR_RESPONSES
from yibao.entrypoints.http.context import AppContext, Context
from yibao.entrypoints.http.jobs import JobOut, job_out, template_response
from yibao.services.intake.department_lists import ListRequest
from yibao.services.intake.jobs import start_list_import, start_roster_import
from yibao.services.intake.roster_report import RosterRequest
from yibao.services.intake.roster_template import roster_template
from yibao.services.jobs import JobView
from yibao.services.registry.export_jobs import start_export
from yibao.services.registry.exports import ExportKind, ExportRequest

router = APIRouter(prefix="/api/v1", responses=ERROR_RESPONSES)


def roster_job(
    context: AppContext,
    work: ApiWork,
    file: UploadFile,
    township_code: str,
    channel: str,
    policy_id: str | None,
    organization_id: int | None,
    dry_run: bool,
) -> JobView:
    name = file.filename or "名册.xlsx"
    request = RosterRequest(name, file.file.read(), township_code, policy_id or "", channel, organization_id, dry_run)
    return start_roster_import(context.jobs, context.unit_of_work, work.principal, request, work.uow.now)


@router.post(
    "/roster-imports",
    tags=["rosters"],
    status_code=202,
    summary="Import a roster (.xlsx/.csv) in the background; poll the job it returns",
)
def import_roster(
    context: Context,
    work: ApiWork,
    file: Annotated[UploadFile, File(description=".xlsx or .csv (UTF-8 or GBK)")],
    township_code: Annotated[str, Form()],
    channel: Annotated[str, Form()] = "village",
    policy_id: Annotated[str | None, Form(description="default: the district's current campaign")] = None,
    organization_id: Annotated[int | None, Form()] = None,
    dry_run: Annotated[bool, Form(description="check and report, write nothing")] = False,
) -> JobOut:
    return job_out(roster_job(context, work, file, township_code, channel, policy_id, organization_id, dry_run))


@router.post(
    "/list-imports",
    tags=["rosters"],
    status_code=202,
    summary="Import a department's special-group list (民政 低保 …) in the background; poll the job it returns",
)
def import_list(
    context: Context,
    work: ApiWork,
    file: Annotated[
        UploadFile, File(description=".xlsx or .csv: 公民身份号码, 姓名, and optionally 身份类别, 有效期起/止")
    ],
    department: Annotated[str, Form(description="civil_affairs, disabled_persons, veterans, veteran_cadres …")],
    identity: Annotated[str | None, Form(description="the identity of the whole list, e.g. dibao")] = None,
    valid_from: Annotated[date | None, Form()] = None,
    valid_to: Annotated[date | None, Form()] = None,
    dry_run: Annotated[bool, Form(description="check and report, write nothing")] = False,
) -> JobOut:
    name = file.filename or "名单.xlsx"
    request = ListRequest(name, file.file.read(), department, identity or None, valid_from, valid_to, dry_run)
    return job_out(start_list_import(context.jobs, context.unit_of_work, work.principal, request))


class ExportIn(BaseModel):
    kind: ExportKind
    format: str = Field("xlsx", pattern="^(xlsx|csv)$")
    insurance_year: int | None = Field(None, description="default: the campaign under way")
    township_code: str | None = None
    village_code: str | None = None
    channel: str | None = None


@router.post(
    "/exports",
    tags=["exports"],
    status_code=202,
    summary="Export the enrollment roster or the assessment list in the background; poll the job, fetch its file",
)
def start_export_job(context: Context, work: ApiWork, body: ExportIn) -> JobOut:
    request = ExportRequest(**body.model_dump())
    return job_out(start_export(context.jobs, context.unit_of_work, work.principal, request))


@router.get("/jobs/{job_id}", tags=["jobs"], summary="A background job's state, progress and result")
def get_job(context: Context, work: ApiWork, job_id: str) -> JobOut:
    return job_out(context.jobs.view(work.principal, job_id))


@router.get("/jobs/{job_id}/file", tags=["jobs"], summary="The file a finished job made (error file, export)")
def get_job_file(context: Context, work: ApiWork, job_id: str) -> FileResponse:
    path, name = context.jobs.output(work.principal, job_id)
    return FileResponse(path, filename=name)


@router.get("/roster-template", tags=["rosters"], summary="The roster template to fill in")
def get_roster_template(
    work: ApiWork,
    format: Annotated[str, Query(pattern="^(xlsx|csv)$")] = "xlsx",
    township_code: str | None = None,
) -> Response:
    return template_response(*roster_template(work.uow, work.principal, township_code, format))
