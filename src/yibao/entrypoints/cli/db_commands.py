"""`yibao db upgrade|seed-district|seed-plan`: the database under YIBAO_DATABASE_URL (default: yibao.sqlite here)."""

from __future__ import annotations

import getpass
from datetime import datetime
from typing import Annotated

import typer

from yibao.adapters.township_data import DISTRICTS
from yibao.domain.errors import YibaoError
from yibao.domain.idnumber import mask
from yibao.domain.timeutil import SHANGHAI
from yibao.entrypoints.cli.output import console, fail
from yibao.services import database
from yibao.services.registry.areas import current_district

app = typer.Typer(help="数据库：迁移与初始化。Database: migrate and seed.", no_args_is_help=True)


@app.command("upgrade")
def upgrade_command() -> None:
    """Create or migrate the database to the current schema. 建库或升级到当前结构。"""
    url = database.upgrade_database()
    console.print(f"[green]✓[/] 数据库已是最新结构：{mask(url) if '@' in url else url}")


@app.command("seed-district")
def seed_command(district: Annotated[str, typer.Argument(help="6-digit district code, e.g. 120119 (蓟州区)")]) -> None:
    """Add a district and its townships with their statistical codes. 导入区县及其镇街。"""
    try:
        current = current_district(district)
        added = database.seed(district, actor=f"cli:{getpass.getuser()}", now=datetime.now(SHANGHAI))
    except YibaoError as error:
        fail(error, as_json=False)
    shown = district if current == district else f"{district}（今{current} {DISTRICTS[current][0]}）"
    console.print(f"[green]✓[/] {shown}：新增 {added} 个区划")


@app.command("seed-plan")
def seed_plan_command(policy: Annotated[str, typer.Argument(help="a plan's id, e.g. tengzhou-jinghe-2019")]) -> None:
    """Add the areas a plan is for: its district's townships, or only its own where the plan is narrower (滕州:
    荆河街道). 按方案导入适用区域。"""
    try:
        region, added = database.seed_plan_scope(policy, actor=f"cli:{getpass.getuser()}", now=datetime.now(SHANGHAI))
    except YibaoError as error:
        fail(error, as_json=False)
    console.print(f"[green]✓[/] {region}：新增 {added} 个区划")
