"""The department-list page (部门名单): upload a special-group list; it is imported in the background and the
job's page (:mod:`.roster_routes`) shows the report and the error file."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from yibao.domain.department_list import DEPARTMENTS
from yibao.domain.errors import YibaoError
from yibao.entrypoints.http.context import Context
from yibao.entrypoints.http.errors import status_for
from yibao.entrypoints.web.routes import page
from yibao.entrypoints.web.session import CheckedCsrf, WebWork
from yibao.services.access import Permission
from yibao.services.intake.department_lists import ListRequest
from yibao.services.intake.jobs import LIST_IMPORT, start_list_import

router = APIRouter(include_in_schema=False)


def lists_page(request: Request, context: Any, work: Any, status_code: int = 200, **extra: Any) -> Response:
    work.principal.require(Permission.UPLOAD_LISTS)
    return page(
        request,
        work,
        "lists.html",
        status_code=status_code,
        departments=DEPARTMENTS,
        jobs=context.jobs.recent(work.principal, LIST_IMPORT),
        **extra,
    )


@router.get("/lists")
def lists(request: Request, context: Context, work: WebWork) -> Response:
    return lists_page(request, context, work)


@router.post("/lists")
def upload(
    request: Request,
    context: Context,
    work: WebWork,
    _csrf: CheckedCsrf,
    file: Annotated[UploadFile, File()],
    department: Annotated[str, Form()],
    identity: Annotated[str, Form()] = "",
    valid_from: Annotated[str, Form()] = "",
    valid_to: Annotated[str, Form()] = "",
    dry_run: Annotated[str | None, Form()] = None,
) -> Response:
    form = {"department": department, "identity": identity, "valid_from": valid_from, "valid_to": valid_to}
    try:
        starts, ends = (_date(valid_from, "valid_from"), _date(valid_to, "valid_to"))
        content = file.file.read()
        if not file.filename or not content:
            raise YibaoError("ROSTER_EMPTY", field="file", name=file.filename or "（未选择文件）")
        listed = ListRequest(file.filename, content, department, identity or None, starts, ends, bool(dry_run))
        job = start_list_import(context.jobs, context.unit_of_work, work.principal, listed)
    except YibaoError as error:
        return lists_page(request, context, work, status_code=status_for(error), error=error, list_form=form)
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)


def _date(text: str, field: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise YibaoError("DATE_INVALID", field=field, value=text) from None
