"""`yibao area import-villages|add-organization|organizations`: a district's villages and communities (村/居) from a
bureau's sheet, and the organizations that enroll their own people. The server's operator acts for the district;
the district admin does the same on the page 村居与单位."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.domain.errors import YibaoError
from yibao.domain.states import OrganizationKind
from yibao.entrypoints.cli.database import unit_of_work
from yibao.entrypoints.cli.options import Json
from yibao.entrypoints.cli.output import console, fail, print_json
from yibao.services.access import Principal, Role
from yibao.services.registry.areas import list_organizations
from yibao.services.registry.organizations import add_organization
from yibao.services.registry.villages import import_villages

app = typer.Typer(help="村（居）与参保单位：导入村居、新增单位。Villages and organizations.", no_args_is_help=True)
KINDS = "、".join(f"{kind.code} {kind.zh}" for kind in OrganizationKind)


def _unit_of_work() -> UnitOfWork:
    return unit_of_work()


@app.command("import-villages")
def import_villages_command(
    file: Annotated[Path, typer.Argument(help="a sheet (.xlsx/.csv): 镇（街）, 村（居）, optionally 统计代码")],
    district: Annotated[str, typer.Option(help="6-digit district code")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="check and report, write nothing")] = False,
    as_json: Json = False,
) -> None:
    """Villages and communities from a sheet, checked whole; the same sheet again changes nothing. 导入村（居）。"""
    try:
        content = file.read_bytes()
    except OSError as unreadable:
        fail(
            YibaoError("ROSTER_FILE_UNREADABLE", field="file", name=file.name, detail=str(unreadable)), as_json=as_json
        )
    try:
        with _unit_of_work() as uow:
            report = import_villages(uow, None, file.name, content, district=district, dry_run=dry_run)
    except YibaoError as error:
        fail(error, as_json=as_json)
    if as_json:
        print_json(report.summary(None))
    else:
        for problem in report.problems:
            console.print(f"[red]✗[/] {problem.message}", highlight=False)
        verb = "检查" if dry_run else "导入"
        console.print(f"{verb}：{report.rows} 行，新增 {report.created}，已有 {report.unchanged}，错误 {report.errors}")
    if report.problems:
        raise typer.Exit(code=1)


@app.command("add-organization")
def add_organization_command(
    name: Annotated[str, typer.Argument(help="the organization's name, e.g. 天津大学仁爱学院")],
    kind: Annotated[str, typer.Option(help=KINDS)],
    township: Annotated[str, typer.Option(help="12-digit township code")],
    as_json: Json = False,
) -> None:
    """A school, kindergarten, nursery, welfare institution or university; its users are added with `yibao user add
    --role institution --organization ID`. 新增参保单位。"""
    try:
        with _unit_of_work() as uow:
            view = add_organization(uow, None, name, kind, township, district=township[:6])
    except YibaoError as error:
        fail(error, as_json=as_json)
    if as_json:
        print_json(view.model_dump())
    else:
        console.print(
            f"[green]✓[/] {view.name}（{OrganizationKind(view.kind).zh}，{view.township_name}）编号 {view.id}"
        )


@app.command("organizations")
def organizations_command(
    district: Annotated[str, typer.Argument(help="6-digit district code")],
    as_json: Json = False,
) -> None:
    """The district's organizations. 参保单位列表。"""
    viewer = Principal(0, "operator", "operator", Role.DISTRICT_ADMIN, f"{district}000000")
    with _unit_of_work() as uow:
        views = list_organizations(uow, viewer)
    if as_json:
        print_json([view.model_dump() for view in views])
        return
    table = Table("编号", "名称", "类型", "镇（街）")
    for view in views:
        table.add_row(str(view.id), view.name, OrganizationKind(view.kind).zh, view.township_name)
    console.print(table)
