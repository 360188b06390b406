"""Accounts over /api/v1: one's own password; a district admin's reset, stop/restart and role or area change of the
district's users; API tokens listed and revoked. See :mod:`yibao.services.accounts`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel, Field

from yibao.entrypoints.api.context import ApiWork, bearer
from yibao.entrypoints.api.routes import user_out
from yibao.entrypoints.api.schemas import ERROR_RESPONSES, RecordId, UserOut
from yibao.entrypoints.http.errors import ID_MAX
from yibao.services import accounts
from yibao.services.access import Role

router = APIRouter(prefix="/api/v1", responses=ERROR_RESPONSES)
Password = Annotated[str, Field(max_length=256)]


class OwnPasswordIn(BaseModel):
    current_password: Password
    new_password: Password = Field(description="at least 10 characters, not the username, not a common password")


class PasswordResetIn(BaseModel):
    new_password: Password


class AccountIn(BaseModel):
    active: bool | None = Field(None, description="false stops the account (its sessions and tokens end)")
    role: Role | None = Field(None, description="a new role; area_code/organization_id/department follow it")
    area_code: str | None = Field(None, max_length=12, description="district or township code, as for a new user")
    organization_id: RecordId | None = None
    department: str | None = Field(None, max_length=32)
    display_name: str | None = Field(None, max_length=64)


@router.post(
    "/me/password",
    tags=["auth"],
    status_code=204,
    summary="Change one's own password (the current one first); other sessions end, this token stays valid",
)
def change_own_password(
    work: ApiWork, body: OwnPasswordIn, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Response:
    keep = credentials.credentials if credentials else None
    accounts.change_own_password(work.uow, work.principal, body.current_password, body.new_password, keep=keep)
    return Response(status_code=204)


@router.post(
    "/users/{username}/password",
    tags=["users"],
    status_code=204,
    summary="Set a new password for a user of the district (district admin); their sessions and tokens end",
)
def reset_password(work: ApiWork, username: str, body: PasswordResetIn) -> Response:
    accounts.reset_password(work.uow, work.principal, username, body.new_password)
    return Response(status_code=204)


@router.patch("/users/{username}", tags=["users"], summary="Stop or restart an account, change its role or area")
def change_user(work: ApiWork, username: str, body: AccountIn) -> UserOut:
    if body.role is not None:
        change = accounts.AccountChange(
            role=body.role,
            area_code=body.area_code or work.principal.district,
            organization_id=body.organization_id,
            department=body.department,
            display_name=body.display_name,
        )
        accounts.change_account(work.uow, work.principal, username, change)
    if body.active is not None:
        accounts.set_active(work.uow, work.principal, username, body.active)
    return user_out(accounts.account_of(work.uow, work.principal, username))


@router.get("/tokens", tags=["auth"], summary="Live API tokens: the district's (district admin) or one's own")
def list_tokens(work: ApiWork, username: str | None = None) -> list[accounts.TokenView]:
    return accounts.list_tokens(work.uow, work.principal, username)


@router.delete("/tokens/{token_id}", tags=["auth"], status_code=204, summary="Revoke an API token at once")
def revoke_token(work: ApiWork, token_id: Annotated[int, Path(ge=1, le=ID_MAX)]) -> Response:
    accounts.revoke_token(work.uow, work.principal, token_id)
    return Response(status_code=204)
