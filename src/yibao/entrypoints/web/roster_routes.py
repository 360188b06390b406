"""Roster pages: download the template, upload a roster, watch the job run, read its report, download the error
file and upload the corrected one. The import itself runs in the background (:mod:`yibao.services.intake.jobs`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import FileResponse, RedirectResponse, Response

from yibao.domain.errors import YibaoError
from yibao.entrypoints.http.context import Context
from yibao.entrypoints.http.errors import status_for
from yibao.entrypoints.http.jobs import JobOut, job_out, template_response
from yibao.entrypoints.web.routes import open_campaign_choices, page
from yibao.entrypoints.web.session import CheckedCsrf, WebWork
from yibao.services.access import Permission
from yibao.services.intake.jobs import ROSTER_IMPORT, start_roster_import
from yibao.services.intake.roster_report import RosterRequest
from yibao.services.intake.roster_template import roster_template
from yibao.services.registry.areas import list_areas

router = APIRouter(include_in_schema=False)
ROSTER_CHANNELS = ("village", "community", "school", "kindergarten", "welfare_institution", "department")


def rosters_page(request: Request, context: Any, work: Any, status_code: int = 200, **extra: Any) -> Response:
    work.principal.require(Permission.WRITE_RESIDENTS)
    townships = [area for area in list_areas(work.uow, work.principal) if area.level == "township"]
    return page(
        request,
        work,
        "rosters.html",
        status_code=status_code,
        townships=townships,
        channels=ROSTER_CHANNELS,
        campaigns=open_campaign_choices(work),
        jobs=context.jobs.recent(work.principal, ROSTER_IMPORT),
        **extra,
    )


@router.get("/rosters")
def rosters(request: Request, context: Context, work: WebWork) -> Response:
    return rosters_page(request, context, work)


@router.get("/rosters/template")
def template(work: WebWork, format: str = "xlsx", township_code: str | None = None) -> Response:
    return template_response(*roster_template(work.uow, work.principal, township_code or None, format))


@router.post("/rosters")
def upload(
    request: Request,
    context: Context,
    work: WebWork,
    _csrf: CheckedCsrf,
    file: Annotated[UploadFile, File()],
    township_code: Annotated[str, Form()],
    channel: Annotated[str, Form()] = "village",
    policy_id: Annotated[str, Form()] = "",
    dry_run: Annotated[str | None, Form()] = None,
) -> Response:
    content = file.file.read()
    form = {"township_code": township_code, "channel": channel, "policy_id": policy_id, "dry_run": bool(dry_run)}
    if not file.filename or not content:
        error = YibaoError("ROSTER_EMPTY", field="file", name=file.filename or "（未选择文件）")
        return rosters_page(request, context, work, status_code=422, error=error, roster_form=form)
    roster = RosterRequest(file.filename, content, township_code, policy_id, channel, None, bool(dry_run))
    try:
        job = start_roster_import(context.jobs, context.unit_of_work, work.principal, roster, work.uow.now)
    except YibaoError as error:
        return rosters_page(request, context, work, status_code=status_for(error), error=error, roster_form=form)
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)


@router.get("/jobs/{job_id}")
def job_page(request: Request, context: Context, work: WebWork, job_id: str) -> Response:
    job = context.jobs.view(work.principal, job_id)
    townships = [area for area in list_areas(work.uow, work.principal) if area.level == "township"]
    return page(request, work, "job.html", job=job, channels=ROSTER_CHANNELS, townships=townships)


@router.get("/jobs/{job_id}/status")
def job_status(context: Context, work: WebWork, job_id: str) -> JobOut:
    """The page's live status, polled while the job runs (the API's /api/v1/jobs/{id}, with the session cookie)."""
    return job_out(context.jobs.view(work.principal, job_id))


@router.get("/jobs/{job_id}/file")
def job_file(context: Context, work: WebWork, job_id: str) -> FileResponse:
    path, name = context.jobs.output(work.principal, job_id)
    return FileResponse(path, filename=name)
