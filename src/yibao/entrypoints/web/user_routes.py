"""User management for the district admin — the district's users, a form to add one (role bound to an area), and
for each a password reset, stop/restart and a role or area change; the district's API tokens to revoke — and every
user's own account page (password, their tokens)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import RedirectResponse, Response

from yibao.domain.errors import YibaoError
from yibao.entrypoints.http.errors import ID_MAX, status_for
from yibao.entrypoints.web.routes import form_fields, page
from yibao.entrypoints.web.session import COOKIE, CheckedCsrf, WebWork
from yibao.services import accounts, sign_in_guard, users
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
        tokens=accounts.list_tokens(work.uow, work.principal),
        back="users",
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


def _standing(work: Any, form: dict[str, str]) -> accounts.AccountChange:
    """The role and where it is bound, as the add and change forms give them: a district role to the district, an
    operator to the township chosen, an institution user to the organization chosen (whose township the service
    looks up)."""
    try:
        role = Role(form.get("role", ""))
    except ValueError:
        raise YibaoError("ROLE_UNKNOWN", field="role", role=form.get("role", "")) from None
    organization = form.get("organization_id", "")
    return accounts.AccountChange(
        role=role,
        area_code=work.principal.district if role in DISTRICT_ROLES else form.get("township_code", ""),
        organization_id=int(organization) if role is Role.INSTITUTION and organization.isdigit() else None,
        department=form.get("department", "").strip() or None,
        display_name=form.get("display_name", "").strip() or None,
    )


@router.post("/users")
def user_add(
    request: Request, work: WebWork, _csrf: CheckedCsrf, form: Annotated[dict[str, str], Depends(form_fields)]
) -> Response:
    username = form.get("username", "").strip()
    try:
        standing = _standing(work, form)
        request_user = users.NewUser(
            username=username,
            display_name=standing.display_name or username,
            password=form.get("password", ""),
            role=standing.role,
            area_code=standing.area_code,
            organization_id=standing.organization_id,
            department=standing.department,
        )
        users.add_user(work.uow, request_user, by=work.principal)
    except YibaoError as error:
        return _refused(request, work, error, user_form=form)
    return RedirectResponse(f"/users?added={quote(username)}", status_code=303)


def _refused(request: Request, work: Any, error: YibaoError, **context: Any) -> Response:
    work.uow.rollback()
    return users_page(request, work, status_code=status_for(error), error=error, **context)


@router.post("/users/{username}/password")
def user_reset_password(
    request: Request, work: WebWork, _csrf: CheckedCsrf, username: str, new_password: Annotated[str, Form()] = ""
) -> Response:
    try:
        accounts.reset_password(work.uow, work.principal, username, new_password)
    except YibaoError as error:
        return _refused(request, work, error)
    return RedirectResponse(f"/users?reset={quote(username)}", status_code=303)


@router.post("/users/{username}/active")
def user_set_active(
    request: Request, work: WebWork, _csrf: CheckedCsrf, username: str, active: Annotated[str, Form()] = ""
) -> Response:
    try:
        accounts.set_active(work.uow, work.principal, username, active == "1")
    except YibaoError as error:
        return _refused(request, work, error)
    done = "reactivated" if active == "1" else "deactivated"
    return RedirectResponse(f"/users?{done}={quote(username)}", status_code=303)


@router.post("/users/{username}/account")
def user_change(
    request: Request,
    work: WebWork,
    _csrf: CheckedCsrf,
    username: str,
    form: Annotated[dict[str, str], Depends(form_fields)],
) -> Response:
    try:
        accounts.change_account(work.uow, work.principal, username, _standing(work, form))
    except YibaoError as error:
        return _refused(request, work, error)
    return RedirectResponse(f"/users?changed={quote(username)}", status_code=303)


@router.post("/tokens/{token_id}/revoke")
def token_revoke(
    request: Request,
    work: WebWork,
    _csrf: CheckedCsrf,
    token_id: Annotated[int, Path(ge=1, le=ID_MAX)],
    back: Annotated[str, Form()] = "",
) -> Response:
    accounts.revoke_token(work.uow, work.principal, token_id)
    target = "/users" if back == "users" else "/account"
    return RedirectResponse(f"{target}?revoked=1", status_code=303)


@router.get("/account")
def account(request: Request, work: WebWork) -> Response:
    return _account_page(request, work)


def _account_page(request: Request, work: Any, status_code: int = 200, **context: Any) -> Response:
    tokens = accounts.list_tokens(work.uow, work.principal, work.principal.username)
    return page(request, work, "account.html", status_code=status_code, tokens=tokens, back="account", **context)


@router.post("/account/password")
def account_password(
    request: Request,
    work: WebWork,
    _csrf: CheckedCsrf,
    current_password: Annotated[str, Form()] = "",
    new_password: Annotated[str, Form()] = "",
    new_password_again: Annotated[str, Form()] = "",
) -> Response:
    try:
        if new_password != new_password_again:
            raise YibaoError("PASSWORD_MISMATCH", field="new_password_again")
        accounts.change_own_password(
            work.uow, work.principal, current_password, new_password, keep=request.cookies.get(COOKIE)
        )
    except YibaoError as error:
        work.uow.rollback()
        return _account_page(request, work, status_code=status_for(error), error=error)
    return RedirectResponse("/account?changed=1", status_code=303)
