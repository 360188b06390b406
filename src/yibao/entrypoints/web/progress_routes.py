"""Progress pages: the dashboard (cumulative progress against the target, the ranking, the categories), a
township's own view, the printable ranking bulletin and its xlsx and PDF, and the targets."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile as StarletteUpload

from yibao.domain.errors import YibaoError
from yibao.domain.timeutil import SHANGHAI
from yibao.entrypoints.http.errors import status_for
from yibao.entrypoints.web.dashboard import dashboard_context
from yibao.entrypoints.web.routes import campaign_year, open_campaign_choices, page
from yibao.entrypoints.web.session import CheckedCsrf, WebWork
from yibao.services.access import Permission, Role
from yibao.services.policy.plans import district_policies
from yibao.services.progress import statistics, targets
from yibao.services.progress.breakdown import DIMENSIONS, ProgressBreakdown, progress_breakdown
from yibao.services.progress.bulletin import headline, title, write_bulletin
from yibao.services.progress.report import ProgressReport, progress_report
from yibao.services.registry.areas import list_areas, list_organizations

router = APIRouter(include_in_schema=False)
BREAKDOWN_PAGE = 200  # rows of 进度明细 per page
MEDIA = {"pdf": "application/pdf", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def _today(work: Any) -> date:
    today: date = work.uow.now.astimezone(SHANGHAI).date()
    return today


@router.get("/progress")
def progress(request: Request, work: WebWork, on: date | None = None, year: int | None = None) -> Response:
    try:
        context = dashboard_context(work, on or _today(work), year)
    except YibaoError as error:
        return page(request, work, "error.html", status_code=status_for(error), error=error)
    return page(request, work, "progress.html", campaigns=open_campaign_choices(work), **context)


@router.get("/progress/breakdown")
def breakdown(
    request: Request,
    work: WebWork,
    by: str = "village",
    township: str = "",
    on: date | None = None,
    year: int | None = None,
    page_number: Annotated[int, Query(alias="page", ge=1, le=1_000_000)] = 1,
) -> Response:
    """参保进度明细: a township operator's own villages by default; the bureau picks the township. A page of
    :data:`BREAKDOWN_PAGE` rows (a township's villages fit on one; the district's are thousands), 合计 over all."""
    if not township and work.principal.role is Role.TOWNSHIP_OPERATOR:
        township = work.principal.area_code
    day = on or _today(work)
    try:
        found = _breakdown_page(work, day, by, township or None, year, page_number)
    except YibaoError as error:
        return page(request, work, "error.html", status_code=status_for(error), error=error)
    pages = _pages(found.row_count)
    townships = [area for area in list_areas(work.uow, work.principal) if area.level == "township"]
    return page(
        request,
        work,
        "progress_breakdown.html",
        found=found,
        dimensions=DIMENSIONS,
        townships=townships,
        township=township,
        campaigns=open_campaign_choices(work),
        pages=pages,
        page_number=found.offset // BREAKDOWN_PAGE + 1,
        query=urlencode(
            {"by": found.by, "township": township, "on": found.on.isoformat(), "year": found.insurance_year}
        ),
    )


def _breakdown_page(
    work: Any, day: date, by: str, township: str | None, year: int | None, page_number: int
) -> ProgressBreakdown:
    """One page of the breakdown; past the last page (a link kept from a longer day), the last page."""
    found = progress_breakdown(
        work.uow, work.principal, day, by, township, year, (page_number - 1) * BREAKDOWN_PAGE, BREAKDOWN_PAGE
    )
    if found.rows or page_number == 1:
        return found
    last = _pages(found.row_count)
    return progress_breakdown(
        work.uow, work.principal, day, by, township, year, (last - 1) * BREAKDOWN_PAGE, BREAKDOWN_PAGE
    )


def _pages(rows: int) -> int:
    return max(1, -(-rows // BREAKDOWN_PAGE))


def _report(work: Any, on: date | None, year: int | None) -> ProgressReport:
    """The bulletin's report: a printout counts every logged change, however long the log."""
    return progress_report(work.uow, work.principal, on or _today(work), year, exact=True)


@router.get("/progress/bulletin")
def bulletin(request: Request, work: WebWork, on: date | None = None, year: int | None = None) -> Response:
    report = _report(work, on, year)
    return page(
        request,
        work,
        "bulletin.html",
        report=report,
        title=title(report),
        lines=headline(report),
        campaigns=open_campaign_choices(work),
    )


@router.get("/progress/bulletin.{kind}")
def bulletin_file(work: WebWork, kind: str, on: date | None = None, year: int | None = None) -> Response:
    report = _report(work, on, year)
    with tempfile.TemporaryDirectory() as folder:
        written = write_bulletin(report, Path(folder) / f"bulletin.{kind}", kind)
        content = written.read_bytes()
    name = f"bulletin-{report.on.isoformat()}.{kind}"
    return Response(
        content,
        media_type=MEDIA.get(kind, "text/csv"),
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/targets")
def target_list(request: Request, work: WebWork, year: int | None = None) -> Response:
    insurance_year = year or campaign_year(work)
    rows = targets.list_targets(work.uow, work.principal, insurance_year)
    policies = [
        p
        for p in district_policies(work.principal.district, work.uow.session)
        if p.targets.township_table or p.targets.total
    ]
    organizations = (
        list_organizations(work.uow, work.principal) if work.principal.may(Permission.MANAGE_TARGETS) else []
    )
    plan = next(
        (p for p in district_policies(work.principal.district, work.uow.session) if p.insurance_year == insurance_year),
        None,
    )
    return page(
        request,
        work,
        "targets.html",
        rows=rows,
        year=insurance_year,
        policies=policies,
        organizations=organizations,
        unbound=sorted({row.unit for row in rows if row.unit_kind in ("institution", "unmatched")}),
        statistics_goals=statistics.statistics_goals(plan) if plan else {},
        counts=statistics.list_population_counts(work.uow, work.principal, insurance_year) if plan else [],
    )


@router.post("/targets/bind")
async def bind_institution(request: Request, work: WebWork, _csrf: CheckedCsrf) -> Response:
    form = await request.form()
    year, organization = str(form.get("year", "")), str(form.get("organization_id", ""))
    try:
        if not (year.isdigit() and organization.isdigit()):
            raise YibaoError("ORGANIZATION_UNKNOWN", field="organization_id", id=organization or "（未选择）")
        targets.bind_institution(work.uow, work.principal, int(year), str(form.get("unit", "")), int(organization))
    except YibaoError as error:
        return page(request, work, "error.html", status_code=status_for(error), error=error)
    return RedirectResponse(f"/targets?year={year}&bound=1", status_code=303)


@router.post("/targets/load")
async def load_targets(request: Request, work: WebWork, _csrf: CheckedCsrf) -> Response:
    form = await request.form()
    policy_id = str(form.get("policy_id", ""))
    try:
        work.principal.require(Permission.MANAGE_TARGETS)
        targets.load_policy_targets(work.uow, work.principal, policy_id)
    except YibaoError as error:
        return page(request, work, "error.html", status_code=status_for(error), error=error)
    year = next(
        p.insurance_year for p in district_policies(work.principal.district, work.uow.session) if p.id == policy_id
    )
    return RedirectResponse(f"/targets?year={year}&loaded=1", status_code=303)


async def _sheet_and_year(work: Any, form: Any) -> tuple[str, bytes, int]:
    """The uploaded sheet of a targets-page form and the year it is for (the campaign's where none is given)."""
    upload = form.get("file")
    if not isinstance(upload, StarletteUpload) or not upload.filename:
        raise YibaoError("ROSTER_EMPTY", field="file", name="（未选择文件）")
    year_text = str(form.get("year", ""))
    return upload.filename, await upload.read(), int(year_text) if year_text.isdigit() else campaign_year(work)


@router.post("/targets/population-counts")
async def load_population_counts(request: Request, work: WebWork, _csrf: CheckedCsrf) -> Response:
    form = await request.form()
    try:
        name, content, year = await _sheet_and_year(work, form)
        goal, source = str(form.get("goal_id", "")), str(form.get("source", ""))
        statistics.load_population_counts(work.uow, work.principal, year, goal, name, content, source)
    except YibaoError as error:
        return page(request, work, "error.html", status_code=status_for(error), error=error)
    return RedirectResponse(f"/targets?year={year}&counted=1", status_code=303)


@router.post("/targets/import")
async def import_target_sheet(request: Request, work: WebWork, _csrf: CheckedCsrf) -> Response:
    form = await request.form()
    try:
        name, content, year = await _sheet_and_year(work, form)
        targets.import_targets(work.uow, work.principal, year, name, content)
    except YibaoError as error:
        return page(request, work, "error.html", status_code=status_for(error), error=error)
    return RedirectResponse(f"/targets?year={year}&imported=1", status_code=303)
