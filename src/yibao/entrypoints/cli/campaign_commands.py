"""`yibao campaign open|close|list`: a district's campaign for an insurance year, bound to one plan. The server's
operator acts for the district (as with `yibao policy add`); the district admin does the same on the page 实施方案."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from rich.table import Table

from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.domain.errors import YibaoError
from yibao.domain.timeutil import SHANGHAI
from yibao.entrypoints.cli.database import unit_of_work
from yibao.entrypoints.cli.options import Clock, Json
from yibao.entrypoints.cli.output import console, fail, instant_option, print_json
from yibao.services.policy import campaigns
from yibao.services.policy.campaigns import CampaignView

app = typer.Typer(help="参保缴费工作（年度）：开启、结束、查看。Campaigns: open, close, list.", no_args_is_help=True)


def _unit_of_work(clock: str | None, as_json: bool) -> UnitOfWork:
    now = instant_option(clock, "clock", as_json) or datetime.now(SHANGHAI)
    return unit_of_work(None, now, as_json=as_json)


def _show(views: list[CampaignView], as_json: bool) -> None:
    if as_json:
        print_json([view.__dict__ for view in views])
        return
    table = Table("区县", "参保年度", "方案", "开启", "结束", "今日")
    for view in views:
        opened = view.opened_at.astimezone(SHANGHAI).strftime("%Y-%m-%d")
        closed = view.closed_at.astimezone(SHANGHAI).strftime("%Y-%m-%d") if view.closed_at else "—"
        today = "登记期内" if view.window_open else ""
        table.add_row(view.district_code, str(view.insurance_year), view.policy_name, opened, closed, today)
    console.print(table)


@app.command("open")
def open_command(
    policy: Annotated[str, typer.Argument(help="the plan's id (bundled or added with `yibao policy add`)")],
    clock: Clock = None,
    as_json: Json = False,
) -> None:
    """Open the campaign of a plan's district and year. 开启年度参保缴费工作。"""
    try:
        with _unit_of_work(clock, as_json) as uow:
            view = campaigns.open_campaign(uow, None, policy)
    except YibaoError as error:
        fail(error, as_json=as_json)
    _show([view], as_json)


@app.command("close")
def close_command(
    district: Annotated[str, typer.Argument(help="6-digit district code")],
    year: Annotated[int, typer.Argument(help="insurance year")],
    clock: Clock = None,
    as_json: Json = False,
) -> None:
    """Close a campaign: its plan is no longer the default of any day. 结束年度参保缴费工作。"""
    try:
        with _unit_of_work(clock, as_json) as uow:
            view = campaigns.close_campaign(uow, None, district, year)
    except YibaoError as error:
        fail(error, as_json=as_json)
    _show([view], as_json)


@app.command("list")
def list_command(
    district: Annotated[str, typer.Argument(help="6-digit district code")],
    clock: Clock = None,
    as_json: Json = False,
) -> None:
    """A district's campaigns. 查看年度参保缴费工作。"""
    with _unit_of_work(clock, as_json) as uow:
        views = campaigns.list_campaigns(uow, district)
    _show(views, as_json)
