"""代收款上缴: a township's or street's finance office receives a community's collected cash for a day, with the
special receipts issued for it, and sees per community and day what was collected against what was handed up."""

from __future__ import annotations

from datetime import date
from decimal import InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from yibao.domain.errors import YibaoError
from yibao.domain.money import yuan_to_fen
from yibao.entrypoints.http.errors import status_for
from yibao.entrypoints.web.routes import campaign_year, form_fields, page
from yibao.entrypoints.web.session import CheckedCsrf, WebWork
from yibao.services.money.handovers import HandoverRequest, handover_days, record_handover
from yibao.services.registry.areas import list_areas

router = APIRouter(include_in_schema=False)
Form = Annotated[dict[str, str], Depends(form_fields)]


def _page(request: Request, work: Any, township: str | None, status_code: int = 200, **extra: Any) -> Response:
    areas = list_areas(work.uow, work.principal)
    townships = [area for area in areas if area.level == "township"]
    chosen = township or (townships[0].code if townships else work.principal.area_code)
    year = campaign_year(work)
    return page(
        request,
        work,
        "handovers.html",
        status_code=status_code,
        year=year,
        township=chosen,
        townships=townships,
        villages=[area for area in areas if area.level == "village" and area.parent_code == chosen],
        days=handover_days(work.uow, work.principal, year, chosen),
        today=work.uow.now.date(),
        **extra,
    )


@router.get("/handovers")
def handovers(request: Request, work: WebWork, township: str | None = None) -> Response:
    return _page(request, work, township)


@router.post("/handovers")
def hand_over(request: Request, work: WebWork, _csrf: CheckedCsrf, form: Form) -> Response:
    township = form.get("township", "")
    try:
        try:
            amount = yuan_to_fen(form.get("amount", "").strip() or "0")
            day = date.fromisoformat(form.get("day", ""))
        except (ValueError, InvalidOperation):
            raise YibaoError("YUAN_INVALID", field="amount", value=form.get("amount", "")) from None
        record_handover(
            work.uow,
            work.principal,
            HandoverRequest(
                campaign_year(work),
                township,
                form.get("village", ""),
                day,
                amount,
                form.get("receipt_numbers", ""),
                form.get("handed_by", ""),
                form.get("note") or None,
            ),
        )
    except YibaoError as error:
        work.uow.rollback()
        return _page(request, work, township or None, status_code=status_for(error), error=error, form=form)
    return RedirectResponse(f"/handovers?township={township}", status_code=303)
