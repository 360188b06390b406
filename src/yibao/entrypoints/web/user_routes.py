"""User management for the district admin: the district's users, and a form to add one (role bound to an area)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from yibao.domain.errors import YibaoError
from yibao.entrypoints.http.errors import status_for
from yibao.entrypoints.web.routes import form_fields, page
from yibao.entrypoints.web.session import CheckedCsrf, WebWork
from yibao.services import sign_in_guard, users
from yibao.services.access import DISTRICT_ROLES, Role
from yibao.services.registry.areas import list_areas, list_organizations

router = APIRouter(include_in_schema=False)


def users_page(request: Request, work: Any, status_code: int = 200, **context: Any) -> Response:
    listed = users.list_users(work.uow, work.principal)
    locked = sign_in_guard.locked(work.uow, [user.username for user in listed])
    areas = list_areas(work.uow, work.principal)
    return page(
        request,
        work,
        "users.html",
        status_code=status_code,
        users=listed,
        locked=locked,
        area_names={area.code: area.name for area in areas},
        district_roles=DISTRICT_ROLES,
        townships=[area for area in areas if area.level == "township"],
        organizations=list_organizations(work.uow, work.principal),
        roles=list(Role),
        **context,
    )


@router.get("/users")
def user_list(request: Request, work: WebWork) -> Response:
    return users_page(request, work)


@router.post("/users/{username}/unlock")
def user_unlock(request: Request, work: WebWork, _csrf: CheckedCsrf, username: str) -> Response:
    try:
        sign_in_guard.unlock(work.uow, work.principal, username)
    except YibaoError as error:
        return users_page(request, work, status_code=status_for(error), error=error)
    return RedirectResponse(f"/users?unlocked={username}", status_code=303)


@router.post("/users")
def user_add(
    request: Request, work: WebWork, _csrf: CheckedCsrf, form: Annotated[dict[str, str], Depends(form_fields)]
) -> Response:
    try:
        role = Role(form.get("role", ""))
    except ValueError:
        error = YibaoError("ROLE_UNKNOWN", field="role", role=form.get("role", ""))
        return users_page(request, work, status_code=status_for(error), error=error, user_form=form)
    # A district role is bound to the district, an operator to the township chosen, an institution user to the
    # organization chosen (whose township the service looks up).
    area = work.principal.district if role in DISTRICT_ROLES else form.get("township_code", "")
    organization = form.get("organization_id", "")
    request_user = users.NewUser(
        username=form.get("username", "").strip(),
        display_name=form.get("display_name", "").strip() or form.get("username", "").strip(),
        password=form.get("password", ""),
        role=role,
        area_code=area,
        organization_id=int(organization) if role is Role.INSTITUTION and organization.isdigit() else None,
        department=form.get("department", "").strip() or None,
    )
    try:
        users.add_user(work.uow, request_user, by=work.principal)
    except YibaoError as error:
        work.uow.rollback()
        return users_page(request, work, status_code=status_for(error), error=error, user_form=form)
    return RedirectResponse(f"/users?added={request_user.username}", status_code=303)
