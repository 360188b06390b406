"""Keeping accounts after they are made: a user changes their own password; a district admin resets one, stops or
restarts an account, moves it to another role or area; API tokens are listed and revoked.

Every change is audited with who did it. What ends a person's access ends it at once: a reset password, a stopped
account or a revoked token leaves no session or token of the old standing alive (a stopped account's tokens are
refused by :func:`yibao.services.users.authenticate` too, and revoked here so restarting it gives nothing back).
An admin may not stop or demote their own account — the district could be left with no one to manage it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import select, update

from yibao.adapters import passwords
from yibao.adapters.db.tables import ApiToken, User
from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.domain.errors import YibaoError
from yibao.domain.password_rule import check_password
from yibao.domain.states import SignInOutcome
from yibao.services import sign_in_guard
from yibao.services.access import Permission, Principal, Role
from yibao.services.users import NewUser, area_for, principal_of


def _user(uow: UnitOfWork, by: Principal | None, username: str) -> User:
    """A user of ``by``'s district (``by`` None: the server's operator, any user)."""
    if by is not None:
        by.require(Permission.MANAGE_USERS)
    user = uow.session.scalars(select(User).where(User.username == username)).first()
    if user is None or (by is not None and user.area_code[:6] != by.district):
        raise YibaoError("USER_UNKNOWN", field="username", username=username)
    return user


def account_of(uow: UnitOfWork, by: Principal | None, username: str) -> Principal:
    """A user of ``by``'s district as they stand now."""
    return principal_of(_user(uow, by, username))


def _revoke_all(uow: UnitOfWork, user_id: int, *, keep: str | None = None) -> int:
    """End every live session and token of a user (but the one in use, ``keep``); returns how many."""
    query = update(ApiToken).where(
        ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None), ApiToken.expires_at > uow.now
    )
    if keep is not None:
        query = query.where(ApiToken.token_hash != passwords.token_digest(keep))
    result = uow.session.execute(query.values(revoked_at=uow.now).execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)


def change_own_password(uow: UnitOfWork, principal: Principal, current: str, new: str, *, keep: str | None) -> None:
    """The signed-in user's own change: the current password first. Their other sessions end; the one in use
    (``keep``) stays signed in."""
    user = uow.session.get(User, principal.user_id)
    if user is None or not passwords.verify_password(user.password_hash, current):
        raise YibaoError("PASSWORD_CURRENT_WRONG", field="current_password")
    check_password(new, user.username, field="new_password")
    if passwords.verify_password(user.password_hash, new):
        raise YibaoError("PASSWORD_UNCHANGED", field="new_password")
    user.password_hash = passwords.hash_password(new)
    ended = _revoke_all(uow, user.id, keep=keep)
    uow.audit("change_password", "user", user.id, None, {"sessions_ended": ended})
    uow.commit()


def reset_password(uow: UnitOfWork, by: Principal | None, username: str, new: str) -> None:
    """A district admin (or the server's operator) sets a new password for someone who forgot theirs: every
    session and token of the account ends, and a lock from wrong passwords is lifted."""
    user = _user(uow, by, username)
    check_password(new, user.username, field="new_password")
    user.password_hash = passwords.hash_password(new)
    ended = _revoke_all(uow, user.id)
    sign_in_guard.record(uow, username, None, SignInOutcome.UNLOCKED)
    uow.audit("reset_password", "user", user.id, None, {"username": username, "sessions_ended": ended})
    uow.commit()


def set_active(uow: UnitOfWork, by: Principal | None, username: str, active: bool) -> None:
    """Stop an account (someone left the office) or restart it. A stopped account cannot sign in and its
    sessions and tokens end; restarting it gives none of them back."""
    user = _user(uow, by, username)
    if by is not None and user.id == by.user_id and not active:
        raise YibaoError("USER_CHANGE_SELF", field="username")
    if user.active == active:
        return
    user.active = active
    ended = 0 if active else _revoke_all(uow, user.id)
    uow.audit(
        "reactivate" if active else "deactivate",
        "user",
        user.id,
        {"active": not active},
        {"active": active, "sessions_ended": ended},
    )
    uow.commit()


@dataclass(frozen=True)
class AccountChange:
    role: Role
    area_code: str  # district or township code; ignored for institution users
    organization_id: int | None = None
    department: str | None = None
    display_name: str | None = None


def change_account(uow: UnitOfWork, by: Principal | None, username: str, change: AccountChange) -> Principal:
    """Give an account another role, area, organization, department or name (a clerk moved to another township).
    The area follows the role as when the account was made; sessions end so the next page is seen anew."""
    user = _user(uow, by, username)
    if by is not None and user.id == by.user_id and change.role is not Role(user.role):
        raise YibaoError("USER_CHANGE_SELF", field="role")
    request = NewUser(
        user.username, user.display_name, "", change.role, change.area_code, change.organization_id, change.department
    )
    area_code, organization_id = area_for(uow, request)
    if by is not None and area_code[:6] != by.district:
        raise YibaoError("AREA_UNKNOWN", field="area_code", area=change.area_code, level="本区县区域")
    before = _account_record(user)
    user.role = change.role.value
    user.area_code = area_code
    user.organization_id = organization_id
    user.department = change.department if change.role is Role.DEPARTMENT else None
    user.display_name = (change.display_name or "").strip() or user.display_name
    after = _account_record(user)
    if after == before:
        return principal_of(user)
    standing = ("role", "area_code", "organization_id")  # what decides what the user may see and do
    moved = any(before[key] != after[key] for key in standing)
    ended = _revoke_all(uow, user.id) if moved else 0
    uow.audit("change_account", "user", user.id, before, after | {"sessions_ended": ended})
    uow.commit()
    return principal_of(user)


def _account_record(user: User) -> dict[str, object]:
    return {
        "role": user.role,
        "area_code": user.area_code,
        "organization_id": user.organization_id,
        "department": user.department,
        "display_name": user.display_name,
    }


class TokenView(BaseModel):
    """A live API token as listed: never the token itself (only its hash is kept)."""

    id: int
    username: str
    display_name: str
    label: str | None
    created_at: datetime
    expires_at: datetime


def list_tokens(uow: UnitOfWork, by: Principal | None, username: str | None = None) -> list[TokenView]:
    """Live API tokens (not the web's sessions): a district admin's of the district's users, anyone else's own;
    ``username`` narrows to one user."""
    query = (
        select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.kind == "api", ApiToken.revoked_at.is_(None), ApiToken.expires_at > uow.now)
        .order_by(User.username, ApiToken.created_at, ApiToken.id)
    )
    if by is not None:
        if by.may(Permission.MANAGE_USERS):
            query = query.where(User.area_code.startswith(by.district))
        else:
            query = query.where(User.id == by.user_id)
    if username:
        query = query.where(User.username == username)
    return [
        TokenView(
            id=token.id,
            username=user.username,
            display_name=user.display_name,
            label=token.label,
            created_at=token.created_at,
            expires_at=token.expires_at,
        )
        for token, user in uow.session.execute(query).all()
    ]


def revoke_token(uow: UnitOfWork, by: Principal | None, token_id: int) -> None:
    """End one API token at once: its user's own, or any of the district's by a district admin."""
    row = uow.session.execute(
        select(ApiToken, User).join(User, User.id == ApiToken.user_id).where(ApiToken.id == token_id)
    ).first()
    allowed = row is not None and (
        by is None
        or row[1].id == by.user_id
        or (by.may(Permission.MANAGE_USERS) and row[1].area_code.startswith(by.district))
    )
    if row is None or not allowed or row[0].kind != "api":
        raise YibaoError("TOKEN_UNKNOWN", field="token_id", id=token_id)
    token, user = row
    if token.revoked_at is None:
        token.revoked_at = uow.now
        uow.audit("revoke_token", "user", user.id, None, {"token_id": token.id, "label": token.label})
        uow.commit()
