"""Villages and organizations for the district admin (村居与单位): the district's townships with their villages
and communities, a sheet of villages to import (checked whole, written only when every row is right), and the
organizations that enroll their own people, with a form to add one."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from yibao.domain.errors import YibaoError
from yibao.domain.states import OrganizationKind
from yibao.entrypoints.http.errors import status_for
from yibao.entrypoints.web.routes import page
from yibao.entrypoints.web.session import CheckedCsrf, WebWork
from yibao.services.access import Permission
from yibao.services.registry.areas import list_areas, list_organizations
from yibao.services.registry.organizations import add_organization
from yibao.services.registry.villages import import_villages, rename_village

router = APIRouter(include_in_schema=False)


def areas_page(request: Request, work: Any, status_code: int = 200, **extra: Any) -> Response:
    work.principal.require(Permission.MANAGE_AREAS)
    areas = list_areas(work.uow, work.principal)
    villages: dict[str, list[str]] = {}
    for area in areas:
        if area.level == "village" and area.parent_code is not None:
            villages.setdefault(area.parent_code, []).append(area.name)
    village_rows = [area for area in areas if area.level == "village"]
    return page(
        request,
        work,
        "areas.html",
        status_code=status_code,
        townships=[area for area in areas if area.level == "township"],
        villages=villages,
        village_rows=village_rows,
        township_names={area.code: area.name for area in areas if area.level == "township"},
        organizations=list_organizations(work.uow, work.principal),
        kinds=list(OrganizationKind),
        **extra,
    )


@router.get("/areas")
def areas(request: Request, work: WebWork) -> Response:
    return areas_page(request, work)


@router.post("/areas/villages")
def villages_upload(
    request: Request,
    work: WebWork,
    _csrf: CheckedCsrf,
    file: Annotated[UploadFile, File()],
    dry_run: Annotated[str | None, Form()] = None,
) -> Response:
    try:
        content = file.file.read()
        if not file.filename or not content:
            raise YibaoError("ROSTER_EMPTY", field="file", name=file.filename or "（未选择文件）")
        report = import_villages(work.uow, work.principal, file.filename, content, district="", dry_run=bool(dry_run))
    except YibaoError as error:
        work.uow.rollback()
        return areas_page(request, work, status_code=status_for(error), error=error)
    return areas_page(request, work, status_code=422 if report.problems else 200, village_report=report)


@router.post("/areas/organizations")
def organization_add(
    request: Request,
    work: WebWork,
    _csrf: CheckedCsrf,
    name: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = "",
    township_code: Annotated[str, Form()] = "",
) -> Response:
    form = {"name": name, "kind": kind, "township_code": township_code}
    try:
        view = add_organization(work.uow, work.principal, name, kind, township_code)
    except YibaoError as error:
        work.uow.rollback()
        return areas_page(request, work, status_code=status_for(error), error=error, organization_form=form)
    return RedirectResponse(f"/areas?organization={view.id}", status_code=303)


@router.post("/areas/villages/{code}")
def village_rename(
    request: Request, work: WebWork, _csrf: CheckedCsrf, code: str, name: Annotated[str, Form()] = ""
) -> Response:
    try:
        rename_village(work.uow, work.principal, code, name)
    except YibaoError as error:
        work.uow.rollback()
        return areas_page(request, work, status_code=status_for(error), error=error)
    return RedirectResponse(f"/areas?renamed={code}", status_code=303)
