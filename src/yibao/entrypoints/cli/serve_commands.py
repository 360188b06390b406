"""`yibao serve` (web UI and API) and `yibao demo` (the same, on a demo district, as the README's first command)."""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from yibao.adapters.db import migrate
from yibao.adapters.db.database import make_engine, session_factory
from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.adapters.db.url import database_url
from yibao.domain.errors import YibaoError
from yibao.domain.timeutil import parse_instant
from yibao.entrypoints.cli.output import console, fail
from yibao.entrypoints.http.context import AppContext, Clock, campaign_clock, secure_cookies_setting, system_clock
from yibao.services.access import ROLE_NAMES
from yibao.services.policy.plans import get_policy
from yibao.synthetic.demo import DEFAULT_PLAN, DEMO_PASSWORD, DEMOS, build_demo, demo_users

if TYPE_CHECKING:
    import uvicorn

# The demo of 蓟州区's 2018 plan, the README's first command, keeps its file name; each demo's clock is set inside
# its plan's campaign (yibao.synthetic.demo.DEMOS).
DEMO_DATABASE = "yibao-demo.sqlite"


def _clock(value: str | None) -> Clock:
    return campaign_clock(parse_instant(value)) if value else system_clock


def serve_app(url: str, clock_setting: str | None, host: str, port: int, workers: int = 1) -> None:
    """Migrate, then serve. One worker serves from this process; several are separate processes that each build
    the app from the environment (uvicorn starts them by import string), so a busy counter uses every core."""
    import uvicorn

    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    console.print(f"[green]✓[/] 网页：http://{host}:{port}/   接口：http://{host}:{port}/api/v1 （/openapi.json）")
    if workers == 1:
        from yibao.entrypoints.server import create_app, settle_for_serving

        secure = secure_cookies_setting(clock_setting)
        context = AppContext(session_factory(make_engine(url)), clock=_clock(clock_setting), secure_cookies=secure)
        app = settle_for_serving(create_app(context))
        uvicorn.run(app, host=host, port=port, log_level="warning")
        return
    os.environ["YIBAO_DATABASE_URL"] = url
    if clock_setting:
        os.environ["YIBAO_CLOCK"] = clock_setting
    # Each worker would otherwise start one Polars thread per core; the workers already share the cores out.
    os.environ.setdefault("POLARS_MAX_THREADS", "1")
    from uvicorn.supervisors import Multiprocess

    config = uvicorn.Config(
        "yibao.entrypoints.server:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
    )
    Multiprocess(config, sockets=[tcp_listener(config)]).run()


def tcp_listener(config: uvicorn.Config) -> socket.socket:
    """The socket the workers share, marked as TCP. uvicorn binds it with the protocol left 0, and asyncio turns
    Nagle's algorithm off (TCP_NODELAY) only on connections accepted from a socket that says TCP: every request
    on a kept-alive connection after the first then waited for the client's delayed ACK — 40 ms added to each
    page and API call with two workers, none with one (uvicorn issue 3149, open as of uvicorn 0.54)."""
    bound = config.bind_socket()
    return socket.socket(bound.family, bound.type, socket.IPPROTO_TCP, bound.detach())


def serve_command(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
    clock: Annotated[
        str | None, typer.Option(help="run as if it were this moment (ISO 8601), e.g. inside a past campaign")
    ] = None,
    workers: Annotated[int, typer.Option(min=1, help="server processes; one per core on a busy counter")] = 1,
) -> None:
    """Start the web UI and the REST API on YIBAO_DATABASE_URL. 启动网页与接口服务。"""
    if clock:
        parse_instant(clock)  # a bad value is refused here, not in each worker
    serve_app(database_url(), clock, host, port, workers)


def demo_command(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
    plan: Annotated[str, typer.Option(help="the plan to demonstrate: " + "、".join(DEMOS))] = DEFAULT_PLAN,
    database: Annotated[
        Path | None, typer.Option(help="the demo's SQLite file; default yibao-demo.sqlite (蓟州), else per plan")
    ] = None,
    households: Annotated[int, typer.Option(min=1, help="invented households per township")] = 40,
    fresh: Annotated[bool, typer.Option(help="rebuild the demo data from scratch")] = False,
    serve: Annotated[bool, typer.Option(help="start the server after preparing the data")] = True,
) -> None:
    """A demo of a bundled plan (default 蓟州区2018): its district or street, invented families, users of every
    role, in the web UI and API. 演示系统。"""
    if plan not in DEMOS:
        fail(YibaoError("POLICY_UNKNOWN", field="plan", policy=plan, available=", ".join(DEMOS)), as_json=False)
    demo = DEMOS[plan]
    policy = get_policy(plan)
    database = database or Path(DEMO_DATABASE if plan == DEFAULT_PLAN else f"yibao-demo-{plan}.sqlite")
    if fresh and database.exists():
        for suffix in ("", "-wal", "-shm"):
            Path(f"{database}{suffix}").unlink(missing_ok=True)
    url = f"sqlite:///{database}"
    clock = campaign_clock(parse_instant(demo.clock))
    if not database.exists():
        engine = make_engine(url)
        migrate.upgrade(engine)
        with (
            console.status(f"正在生成演示数据（{policy.region.name}的合成居民与家庭）…"),
            UnitOfWork(session_factory(engine), actor="demo", now=clock()) as uow,
        ):
            summary = build_demo(uow, plan, households_per_township=households)
        engine.dispose()
        console.print(
            f"[green]✓[/] 演示数据：{summary.townships} 个镇街、{summary.villages} 个村居、{summary.households} 户、"
            f"{summary.residents} 人；上年度参保 {summary.enrolled_last_year} 人，本年度续保 {summary.renewed} 人，"
            f"已核定 {summary.assessed} 人；银行对账单 {summary.paid_lines} 笔已对账"
        )
        if summary.draft:
            console.print(
                f"[green]✓[/] 下年度方案草案：《{summary.draft}》（各档个人缴费各增加20元），可在“方案测算”中试算"
            )
    table = Table("用户名", "角色", title=f"演示账号（密码均为 {DEMO_PASSWORD}）", title_justify="left")
    for username, display_name, role, _area in demo_users(policy, demo):
        table.add_row(username, f"{ROLE_NAMES[role]}：{display_name}")
    console.print(table)
    console.print(f"演示时钟：系统按 {demo.clock} 起运行（《{policy.name}》的参保期内）。")
    console.print(f"其他命令使用此演示数据库，请先执行：export YIBAO_DATABASE_URL={url}", highlight=False)
    if serve and not os.environ.get("YIBAO_DEMO_NO_SERVE"):
        serve_app(url, demo.clock, host, port)
