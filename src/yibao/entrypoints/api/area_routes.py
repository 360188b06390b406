"""Villages and organizations over /api/v1: a district's villages and communities (村/居) from a sheet, and the
organizations (schools, kindergartens, nurseries, welfare institutions, universities) that enroll their people."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from yibao.entrypoints.api.context import ApiWork
from yibao.entrypoints.api.schemas import ERROR_RESPONSES
from yibao.services.registry.areas import list_organizations
from yibao.services.registry.organizations import add_organization
from yibao.services.registry.views import AreaView, OrganizationView
from yibao.services.registry.villages import import_villages, rename_village

router = APIRouter(prefix="/api/v1", responses=ERROR_RESPONSES)


@router.post(
    "/villages",
    tags=["reference"],
    summary="Villages and communities from a sheet (district admin): checked whole, written only if every row is",
    responses={422: {"description": "the report, with every problem; nothing written"}},
)
def villages(
    work: ApiWork,
    file: Annotated[UploadFile, File(description=".xlsx or .csv: 镇（街）, 村（居）, optionally 统计代码")],
    dry_run: Annotated[bool, Form(description="check and report, write nothing")] = False,
) -> JSONResponse:
    name = file.filename or "村居.xlsx"
    report = import_villages(work.uow, work.principal, name, file.file.read(), district="", dry_run=dry_run)
    summary: dict[str, Any] = report.summary(None)
    return JSONResponse(summary, status_code=422 if report.problems else 200)


@router.get("/organizations", tags=["reference"], summary="The organizations of the user's area")
def organizations(work: ApiWork) -> list[OrganizationView]:
    return list_organizations(work.uow, work.principal)


class OrganizationIn(BaseModel):
    name: str
    kind: str
    township_code: str


@router.post("/organizations", tags=["reference"], status_code=201, summary="Add an organization (district admin)")
def add(work: ApiWork, body: OrganizationIn) -> OrganizationView:
    return add_organization(work.uow, work.principal, body.name, body.kind, body.township_code)


class VillageNameIn(BaseModel):
    name: str


@router.patch("/villages/{code}", tags=["reference"], summary="Correct a village's name (district admin)")
def rename(work: ApiWork, code: str, body: VillageNameIn) -> AreaView:
    village = rename_village(work.uow, work.principal, code, body.name)
    return AreaView(code=village.code, name=village.name, level=village.level, parent_code=village.parent_code)
