"""`yibao user add|token`: the server operator creates accounts (the first admin too) and API tokens."""

from __future__ import annotations

from typing import Annotated

import typer

from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.domain.errors import YibaoError
from yibao.entrypoints.cli.database import unit_of_work
from yibao.entrypoints.cli.output import console, fail
from yibao.services import sign_in_guard
from yibao.services.access import ROLE_NAMES, Role
from yibao.services.users import NewUser, add_user, issue_api_token

app = typer.Typer(help="用户：新增账号、签发接口令牌、解锁。Users, API tokens, unlocking.", no_args_is_help=True)
ROLES_HELP = "; ".join(f"{role.value} {name}" for role, name in ROLE_NAMES.items())


def _unit_of_work() -> UnitOfWork:
    return unit_of_work()


@app.command("add")
def add_command(
    username: Annotated[str, typer.Argument(help="login name")],
    role: Annotated[Role, typer.Option(help=ROLES_HELP)],
    area: Annotated[str, typer.Option(help="district code (e.g. 120119) or township code (12 digits)")],
    display_name: Annotated[str | None, typer.Option("--name", help="shown name, e.g. 渔阳镇经办员")] = None,
    organization: Annotated[int | None, typer.Option(help="organization id, for institution users")] = None,
    department: Annotated[str | None, typer.Option(help="for department users: 民政, 残联 …")] = None,
    password: Annotated[
        str | None, typer.Option(help="default: asked for without echo", envvar="YIBAO_NEW_PASSWORD")
    ] = None,
) -> None:
    """Add a user; the first district admin is added this way. 新增用户。"""
    secret = password or typer.prompt("密码 / password", hide_input=True, confirmation_prompt=True)
    request = NewUser(username, display_name or username, secret, role, area, organization, department)
    try:
        with _unit_of_work() as uow:
            principal = add_user(uow, request, by=None)
    except YibaoError as error:
        fail(error, as_json=False)
    console.print(f"[green]✓[/] {principal.username}：{ROLE_NAMES[principal.role]}，区域 {principal.area_code}")


@app.command("token")
def token_command(
    username: Annotated[str, typer.Argument()],
    label: Annotated[str | None, typer.Option(help="what the token is for")] = None,
) -> None:
    """Issue an API bearer token for a user (shown once). 签发接口令牌。"""
    try:
        with _unit_of_work() as uow:
            token = issue_api_token(uow, username, label=label)
    except YibaoError as error:
        fail(error, as_json=False)
    console.print(token, highlight=False)


@app.command("unlock")
def unlock_command(username: Annotated[str, typer.Argument()]) -> None:
    """Lift the lock of an account locked after repeated wrong passwords. 解锁账号。"""
    try:
        with _unit_of_work() as uow:
            sign_in_guard.unlock(uow, None, username)
    except YibaoError as error:
        fail(error, as_json=False)
    console.print(f"已解锁 {username}，可重新登录。", highlight=False)
