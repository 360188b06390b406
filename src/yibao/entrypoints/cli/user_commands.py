"""`yibao user add|token|unlock|password|deactivate|activate|tokens|revoke`: the server operator creates accounts
(the first admin too), issues and revokes API tokens, resets passwords and stops accounts."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.domain.errors import YibaoError
from yibao.domain.timeutil import as_shanghai
from yibao.entrypoints.cli.database import unit_of_work
from yibao.entrypoints.cli.output import console, fail
from yibao.services import accounts, sign_in_guard
from yibao.services.access import ROLE_NAMES, Role
from yibao.services.users import NewUser, add_user, issue_api_token

app = typer.Typer(
    help="用户：新增账号、签发与撤销接口令牌、解锁、重置密码、停用。Users, API tokens, passwords, stopping accounts.",
    no_args_is_help=True,
)
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


@app.command("password")
def password_command(
    username: Annotated[str, typer.Argument()],
    password: Annotated[
        str | None, typer.Option(help="default: asked for without echo", envvar="YIBAO_NEW_PASSWORD")
    ] = None,
) -> None:
    """Set a new password for a user who forgot theirs; their sessions and tokens end. 重置密码。"""
    secret = password or typer.prompt("新密码 / new password", hide_input=True, confirmation_prompt=True)
    try:
        with _unit_of_work() as uow:
            accounts.reset_password(uow, None, username, secret)
    except YibaoError as error:
        fail(error, as_json=False)
    console.print(f"已为 {username} 设置新密码；其原有登录和接口令牌已失效。", highlight=False)


@app.command("deactivate")
def deactivate_command(username: Annotated[str, typer.Argument()]) -> None:
    """Stop an account: it cannot sign in, its sessions and tokens end. 停用账号。"""
    _set_active(username, active=False)


@app.command("activate")
def activate_command(username: Annotated[str, typer.Argument()]) -> None:
    """Restart a stopped account (no old session or token comes back). 启用账号。"""
    _set_active(username, active=True)


def _set_active(username: str, *, active: bool) -> None:
    try:
        with _unit_of_work() as uow:
            accounts.set_active(uow, None, username, active)
    except YibaoError as error:
        fail(error, as_json=False)
    console.print(f"已{'启用' if active else '停用'} {username}。", highlight=False)


@app.command("tokens")
def tokens_command(
    username: Annotated[str | None, typer.Argument(help="one user's; default: everyone's")] = None,
) -> None:
    """List live API tokens (id, user, label, issued, expires). 列出接口令牌。"""
    try:
        with _unit_of_work() as uow:
            tokens = accounts.list_tokens(uow, None, username)
    except YibaoError as error:
        fail(error, as_json=False)
    table = Table("编号", "用户", "用途", "签发时间", "有效期至")
    for token in tokens:
        table.add_row(
            str(token.id),
            f"{token.display_name}（{token.username}）",
            token.label or "—",
            as_shanghai(token.created_at).strftime("%Y-%m-%d %H:%M"),
            as_shanghai(token.expires_at).strftime("%Y-%m-%d"),
        )
    console.print(table if tokens else "没有有效的接口令牌。")


@app.command("revoke")
def revoke_command(token_id: Annotated[int, typer.Argument(help="the token's 编号 (yibao user tokens)")]) -> None:
    """Revoke an API token at once. 撤销接口令牌。"""
    try:
        with _unit_of_work() as uow:
            accounts.revoke_token(uow, None, token_id)
    except YibaoError as error:
        fail(error, as_json=False)
    console.print(f"已撤销接口令牌 {token_id}。", highlight=False)
