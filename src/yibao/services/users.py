"""Use cases for users: add one, sign in (web session or API token), recognise a token, sign out.

``add_user`` with ``by=None`` is the server operator at the command line (``yibao user add``), who needs no
account to create the first one; through the API and the web a district admin adds users within the district.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from yibao.adapters import passwords
from yibao.adapters.db.tables import ApiToken, Area, Organization, User
from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.domain.errors import YibaoError
from yibao.domain.password_rule import check_password
from yibao.domain.states import SignInOutcome
from yibao.services import sign_in_guard
from yibao.services.access import DISTRICT_ROLES, ROLE_NAMES, Permission, Principal, Role

WEB_SESSION = timedelta(hours=12)
API_TOKEN_DAYS = 90  # default; YIBAO_API_TOKEN_DAYS sets another


def api_token_lifetime() -> timedelta:
    """How long an API token lives: 90 days unless the server is told otherwise (YIBAO_API_TOKEN_DAYS)."""
    days = os.environ.get("YIBAO_API_TOKEN_DAYS", "")
    return timedelta(days=int(days) if days.isdigit() and int(days) > 0 else API_TOKEN_DAYS)


USERNAME = re.compile(r"^[A-Za-z0-9._-]{3,32}$")


@dataclass(frozen=True)
class NewUser:
    username: str
    display_name: str
    password: str
    role: Role
    area_code: str  # district (6 or 12 digits) or township code
    organization_id: int | None = None
    department: str | None = None


def principal_of(user: User) -> Principal:
    return Principal(
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=Role(user.role),
        area_code=user.area_code,
        organization_id=user.organization_id,
    )


def area_for(uow: UnitOfWork, request: NewUser) -> tuple[str, int | None]:
    """The area the role is bound to: the district for district roles, the township for an operator, the
    organization's township for an institution user."""
    role = request.role
    organization_id = request.organization_id
    code = request.area_code + "000000" if len(request.area_code) == 6 else request.area_code
    if role is Role.INSTITUTION:
        organization = uow.session.get(Organization, organization_id) if organization_id is not None else None
        if organization is None:
            raise YibaoError("ORGANIZATION_UNKNOWN", field="organization_id", id=organization_id)
        return organization.township_code, organization.id
    area = uow.session.get(Area, code)
    expected = "district" if role in DISTRICT_ROLES else "township"
    if area is None or area.level != expected:
        raise YibaoError(
            "USER_AREA_INVALID",
            field="area_code",
            role=ROLE_NAMES[role],
            role_en=role.value,
            expected="区县代码" if expected == "district" else "镇（街）代码",
            expected_en=expected,
            area=request.area_code,
        )
    return code, None


def add_user(uow: UnitOfWork, request: NewUser, *, by: Principal | None) -> Principal:
    if by is not None:
        by.require(Permission.MANAGE_USERS)
    if not USERNAME.match(request.username):
        raise YibaoError("USERNAME_INVALID", field="username")
    check_password(request.password, request.username)
    area_code, organization_id = area_for(uow, request)
    if by is not None and area_code[:6] != by.district:
        raise YibaoError("AREA_UNKNOWN", field="area_code", area=request.area_code, level="本区县区域")
    if uow.session.scalars(select(User.id).where(User.username == request.username)).first() is not None:
        raise YibaoError("USERNAME_TAKEN", field="username", username=request.username)
    user = User(
        username=request.username,
        display_name=request.display_name,
        password_hash=passwords.hash_password(request.password),
        role=request.role.value,
        area_code=area_code,
        organization_id=organization_id,
        department=request.department,
        active=True,
        created_at=uow.now,
    )
    uow.session.add(user)
    uow.session.flush()
    uow.audit(
        "create",
        "user",
        user.id,
        None,
        {"username": user.username, "role": user.role, "area_code": area_code, "organization_id": organization_id},
    )
    uow.commit()
    return principal_of(user)


def login(
    uow: UnitOfWork,
    username: str,
    password: str,
    *,
    kind: str = "web",
    label: str | None = None,
    address: str | None = None,
) -> str:
    """Check a password and open a session (web) or issue a token (api). Returns the token, shown once.

    A locked account or a throttled address is refused before the password is checked; a wrong password is
    counted and audited (committed before the refusal is answered), a right one clears the count
    (:mod:`yibao.services.sign_in_guard`)."""
    sign_in_guard.check_allowed(uow, username, address)
    user = uow.session.scalars(select(User).where(User.username == username)).first()
    if not passwords.verify_password(user.password_hash if user else None, password) or user is None:
        sign_in_guard.record(uow, username, address, SignInOutcome.FAILED)
        uow.audit("login_failed", "user", username[:64], None, {"kind": kind, "address": address})
        uow.commit()
        raise YibaoError("LOGIN_FAILED", field="password")
    if not user.active:
        raise YibaoError("LOGIN_FAILED", field="username")
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    token = _issue(uow, user, kind=kind, label=label)
    sign_in_guard.record(uow, username, address, SignInOutcome.SUCCEEDED)
    uow.audit("login", "user", user.id, None, {"kind": kind, "address": address})
    uow.commit()
    return token


def issue_api_token(uow: UnitOfWork, username: str, *, label: str | None) -> str:
    """A long-lived API token for another system, issued by the server operator (``yibao user token``)."""
    user = uow.session.scalars(select(User).where(User.username == username)).first()
    if user is None or not user.active:
        raise YibaoError("LOGIN_FAILED", field="username")
    token = _issue(uow, user, kind="api", label=label)
    uow.audit("issue_token", "user", user.id, None, {"label": label})
    uow.commit()
    return token


def _issue(uow: UnitOfWork, user: User, *, kind: str, label: str | None) -> str:
    token = passwords.new_token()
    uow.session.add(
        ApiToken(
            user_id=user.id,
            token_hash=passwords.token_digest(token),
            kind=kind,
            label=label,
            created_at=uow.now,
            expires_at=uow.now + (WEB_SESSION if kind == "web" else api_token_lifetime()),
        )
    )
    return token


def authenticate(uow: UnitOfWork, token: str | None) -> Principal:
    """The principal a bearer token or session cookie stands for; TOKEN_INVALID when it stands for no one."""
    if not token:
        raise YibaoError("TOKEN_INVALID")
    row = uow.session.execute(
        select(User, ApiToken)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(ApiToken.token_hash == passwords.token_digest(token))
    ).first()
    if row is None:
        raise YibaoError("TOKEN_INVALID")
    user, stored = row
    if stored.revoked_at is not None or stored.expires_at <= uow.now or not user.active:
        raise YibaoError("TOKEN_INVALID")
    return principal_of(user)


def logout(uow: UnitOfWork, token: str) -> None:
    stored = uow.session.scalars(select(ApiToken).where(ApiToken.token_hash == passwords.token_digest(token))).first()
    if stored is not None and stored.revoked_at is None:
        stored.revoked_at = uow.now
        uow.audit("logout", "user", stored.user_id, None, {"kind": stored.kind})
        uow.commit()


def acting_as(uow: UnitOfWork, username: str) -> Principal:
    """The principal an operator's command runs as (the CLI on the server): the user's own role and area."""
    user = uow.session.scalars(select(User).where(User.username == username, User.active.is_(True))).first()
    if user is None:
        raise YibaoError("USER_UNKNOWN", field="user", username=username)
    return principal_of(user)


def list_users(uow: UnitOfWork, by: Principal) -> list[User]:
    by.require(Permission.MANAGE_USERS)
    return list(uow.session.scalars(select(User).where(User.area_code.startswith(by.district)).order_by(User.username)))


def actor_names(session: Session) -> dict[str, str]:
    """Every user's display name by username: what a page prints for who did something."""
    return {username: name for username, name in session.execute(select(User.username, User.display_name))}


# Actors that are no user: what wrote the demo's records (`yibao demo`).
SYSTEM_ACTORS = {"demo": "演示数据"}


def actor_name(actor: str, names: dict[str, str]) -> str:
    """Who an audit or record's actor is, as people call them: ``cli:root:caiwu`` acts for caiwu; the command
    line's own operator, and an actor no longer a user, as written (命令行操作员 for the operator)."""
    name = names.get(actor.rsplit(":", 1)[-1])
    if name is not None:
        return name
    if actor in SYSTEM_ACTORS:
        return SYSTEM_ACTORS[actor]
    return "命令行操作员" if actor.startswith("cli:") else actor
