"""进度报送: a department's or township's user submits the unit's figures for this period; a township's clerk
records its 村（居）'s reports to it; the district sees every unit's report side by side and which units have not
reported, and a township's communities."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from yibao.domain.errors import YibaoError
from yibao.domain.timeutil import SHANGHAI
from yibao.entrypoints.http.errors import status_for
from yibao.entrypoints.web.routes import campaign_year, form_fields, page
from yibao.entrypoints.web.session import CheckedCsrf, WebWork
from yibao.services.access import Role
from yibao.services.progress import unit_reports

router = APIRouter(include_in_schema=False)
Form = Annotated[dict[str, str], Depends(form_fields)]
REPORTING = (Role.DEPARTMENT, Role.TOWNSHIP_OPERATOR)


def _page(
    request: Request, work: Any, on: date | None, township: str | None = None, status_code: int = 200, **extra: Any
) -> Response:
    year = campaign_year(work)
    today = work.uow.now.astimezone(SHANGHAI).date()
    context: dict[str, Any] = {"year": year, "day": on or today}
    me = work.principal
    if me.role in REPORTING:
        unit = unit_reports.own_unit(work.uow, me)
        context["unit"] = unit
        context["figures"] = unit_reports.unit_figures(work.uow, me.district, year, unit, today)
    else:
        context["report"] = unit_reports.period_report(work.uow, me, year, on or today)
    if me.role is Role.TOWNSHIP_OPERATOR:
        township = me.area_code
    if township:  # the township's 村（居）, reporting to it
        context["township"] = township
        context["communities"] = unit_reports.township_report(work.uow, me, year, on or today, township)
    return page(request, work, "unit_reports.html", status_code=status_code, **context, **extra)


@router.get("/unit-reports")
def unit_report_page(request: Request, work: WebWork, on: date | None = None, township: str | None = None) -> Response:
    return _page(request, work, on, township or None)


@router.post("/unit-reports")
def submit(request: Request, work: WebWork, _csrf: CheckedCsrf, form: Form) -> Response:
    try:
        row = unit_reports.submit_report(
            work.uow, work.principal, campaign_year(work), form.get("note") or None, form.get("village") or None
        )
    except YibaoError as error:
        work.uow.rollback()
        return _page(request, work, None, status_code=status_for(error), error=error)
    return RedirectResponse(f"/unit-reports?submitted={row.unit.code}", status_code=303)
