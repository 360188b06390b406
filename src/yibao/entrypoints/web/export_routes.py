"""The export page: choose the list, the area and the format; the file is made in the background and offered
for download on the job's page (:mod:`.roster_routes` serves job pages for imports and exports alike)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from yibao.domain.errors import YibaoError
from yibao.entrypoints.http.context import Context
from yibao.entrypoints.http.errors import status_for
from yibao.entrypoints.web.routes import form_fields, page
from yibao.entrypoints.web.session import CheckedCsrf, WebWork
from yibao.services.access import Permission
from yibao.services.registry.areas import list_areas
from yibao.services.registry.export_jobs import EXPORT, start_export
from yibao.services.registry.exports import EXPORT_NAMES, ExportKind, ExportRequest

router = APIRouter(include_in_schema=False)


def exports_page(request: Request, context: Any, work: Any, status_code: int = 200, **extra: Any) -> Response:
    work.principal.require(Permission.READ_RESIDENTS)
    townships = [area for area in list_areas(work.uow, work.principal) if area.level == "township"]
    return page(
        request,
        work,
        "exports.html",
        status_code=status_code,
        townships=townships,
        kinds=EXPORT_NAMES,
        jobs=context.jobs.recent(work.principal, EXPORT),
        **extra,
    )


@router.get("/exports")
def exports(request: Request, context: Context, work: WebWork) -> Response:
    return exports_page(request, context, work)


@router.post("/exports")
def start(
    request: Request,
    context: Context,
    work: WebWork,
    _csrf: CheckedCsrf,
    form: Annotated[dict[str, str], Depends(form_fields)],
) -> Response:
    try:
        kind = ExportKind(form.get("kind", ""))
    except ValueError:
        error = YibaoError("EXPORT_KIND", field="kind", kind=form.get("kind", ""))
        return exports_page(request, context, work, status_code=422, error=error, export_form=form)
    year = form.get("insurance_year", "").strip()
    export = ExportRequest(
        kind=kind,
        format=form.get("format", "xlsx"),
        insurance_year=int(year) if year.isdigit() else None,
        township_code=form.get("township_code") or None,
        channel=form.get("channel") or None,
    )
    try:
        job = start_export(context.jobs, context.unit_of_work, work.principal, export)
    except YibaoError as error:
        return exports_page(request, context, work, status_code=status_for(error), error=error, export_form=form)
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)
