"""Pages that change a record: information changes (信息变更), re-assessment and cancellation of an enrollment.

Each form posts to one use case and comes back to the record, or to the record with the refusal beside the form.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from yibao.domain.errors import YibaoError
from yibao.domain.timeutil import SHANGHAI
from yibao.entrypoints.http.errors import status_for
from yibao.entrypoints.web.routes import form_fields, page
from yibao.entrypoints.web.session import CheckedCsrf, WebWork
from yibao.services.access import Permission, person_outside
from yibao.services.money import notices
from yibao.services.registry import changes, enrollments, residents
from yibao.services.registry.areas import list_areas

router = APIRouter(include_in_schema=False)
CHANGEABLE = ("name", "id_number", "address", "phone", "township_code", "village_code", "survival_status", "residency")


def record_page(request: Request, work: Any, resident_id: int, status_code: int = 200, **context: Any) -> Response:
    """The record as the principal sees it, with what the change form needs."""
    detail = residents.view_resident(work.uow, work.principal, resident_id)
    trail = (
        residents.history(work.uow, work.principal, resident_id) if work.principal.may(Permission.READ_AUDIT) else []
    )
    areas = list_areas(work.uow, work.principal) if work.principal.may(Permission.WRITE_RESIDENTS) else []
    household_notices = (
        notices.notices_of_household(work.uow, work.principal, detail.household.id)
        if detail.household and work.principal.may(Permission.TAKE_PAYMENTS)
        else []
    )
    return page(
        request,
        work,
        "resident.html",
        status_code=status_code,
        r=detail,
        trail=trail,
        tz=SHANGHAI,
        townships=[area for area in areas if area.level == "township"],
        villages=[area for area in areas if area.level == "village"],
        household_notices=household_notices,
        **context,
    )


def _refused(request: Request, work: Any, resident_id: int, error: YibaoError, **context: Any) -> Response:
    work.uow.rollback()  # a refused change may have touched the loaded record before it was refused
    return record_page(request, work, resident_id, status_code=status_for(error), error=error, **context)


@router.get("/residents/{resident_id}")
def resident(request: Request, work: WebWork, resident_id: int) -> Response:
    return record_page(request, work, resident_id)


@router.post("/residents/{resident_id}/changes")
def change(
    request: Request,
    work: WebWork,
    _csrf: CheckedCsrf,
    resident_id: int,
    form: Annotated[dict[str, str], Depends(form_fields)],
) -> Response:
    # An empty field leaves that item as it is; only what the clerk filled in changes.
    given = {key: form[key].strip() for key in CHANGEABLE if form.get(key, "").strip()}
    version = form.get("version", "")
    change_request = changes.ResidentChangeRequest(
        reason=form.get("reason", ""), expected_version=int(version) if version.isdigit() else None, **given
    )
    try:
        changed = changes.change_resident(work.uow, work.principal, resident_id, change_request)
    except YibaoError as error:
        return _refused(request, work, resident_id, error, change_form=form)
    if person_outside(work.principal, changed.township_code):
        # Committed: the person moved to a township this operator does not see.
        return page(request, work, "moved.html", township_code=changed.township_code)
    return RedirectResponse(f"/residents/{resident_id}?changed=1", status_code=303)


@router.post("/enrollments/{enrollment_id}/assess")
def reassess(request: Request, work: WebWork, _csrf: CheckedCsrf, enrollment_id: int) -> Response:
    try:
        view = enrollments.assess_enrollment(work.uow, work.principal, enrollment_id)
    except YibaoError as error:
        return _enrollment_refused(request, work, enrollment_id, error)
    return RedirectResponse(f"/residents/{view.resident_id}?assessed={enrollment_id}", status_code=303)


@router.post("/enrollments/{enrollment_id}/cancel")
def cancel(
    request: Request,
    work: WebWork,
    _csrf: CheckedCsrf,
    enrollment_id: int,
    form: Annotated[dict[str, str], Depends(form_fields)],
) -> Response:
    try:
        view = enrollments.cancel_enrollment(work.uow, work.principal, enrollment_id, form.get("reason", ""))
    except YibaoError as error:
        return _enrollment_refused(request, work, enrollment_id, error)
    return RedirectResponse(f"/residents/{view.resident_id}?cancelled={enrollment_id}", status_code=303)


def _enrollment_refused(request: Request, work: Any, enrollment_id: int, error: YibaoError) -> Response:
    work.uow.rollback()
    # The enrollment's record, if the principal may see it at all (visible_enrollment raises the same not-found).
    resident_id = enrollments.get_enrollment(work.uow, work.principal, enrollment_id).resident_id
    return _refused(request, work, resident_id, error, failed_enrollment=enrollment_id)
