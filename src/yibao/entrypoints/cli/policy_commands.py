"""`yibao policy list|show|check|add|revisions|diff`: the bundled plans and a bureau's own, stored in the database
under YIBAO_DATABASE_URL (default: yibao.sqlite here)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from yibao.adapters import policy_files
from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.domain.errors import YibaoError
from yibao.domain.policy.diff import policy_diff
from yibao.domain.timeutil import SHANGHAI
from yibao.entrypoints.cli.database import optional_session, unit_of_work
from yibao.entrypoints.cli.output import console, fail, print_json
from yibao.entrypoints.cli.policy_view import render_policy
from yibao.services.policy import plans as policies
from yibao.services.policy import store

app = typer.Typer(
    help="参保政策（实施方案）：查看、校验、添加本地方案、比较。Policies: list, show, check, add, diff.",
    no_args_is_help=True,
)


@app.command("list")
def list_command(as_json: Annotated[bool, typer.Option("--json", help="JSON output")] = False) -> None:
    """List the plans: the bundled five and those added to the database. 列出内置方案与本地添加的方案。"""
    with optional_session() as session:
        summaries = policies.list_policies(session)
    if as_json:
        print_json([summary.__dict__ for summary in summaries])
        return
    table = Table("ID", "名称", "年度", "假设", "来源")
    for summary in summaries:
        source = "内置" if summary.source == "bundled" else f"本地（第{summary.revision}版）"
        table.add_row(summary.id, summary.name, str(summary.insurance_year), str(summary.assumptions), source)
    console.print(table)


@app.command("show")
def show_command(
    policy_id: Annotated[str, typer.Argument(help="policy id, e.g. tianjin-jizhou-2018")],
    as_json: Annotated[bool, typer.Option("--json", help="the whole policy as JSON")] = False,
) -> None:
    """Show a policy with every clause and assumption. 显示政策全文要点、条款出处与假设。"""
    try:
        with optional_session() as session:
            policy = policies.get_policy(policy_id, session)
    except YibaoError as error:
        fail(error, as_json=as_json)
    if as_json:
        print_json(policy.model_dump(mode="json"))
        return
    render_policy(console, policy)


@app.command("check")
def check_command(
    file: Annotated[Path, typer.Argument(help="a policy YAML file", exists=False)],
    document: Annotated[
        Path | None, typer.Option("--document", help="the plan's text: check every quotation against it")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Validate a policy file a bureau wrote. 校验政策文件；给出原文时核对每条引文。"""
    try:
        report = policies.check_policy_file(file, main_document=document)
    except YibaoError as error:
        fail(error, as_json=as_json)
    if as_json:
        print_json(
            {
                "ok": report.ok,
                "policy": report.policy.id,
                "citation_problems": [problem.to_dict() for problem in report.citation_problems],
            }
        )
    else:
        for problem in report.citation_problems:
            console.print(f"[red]✗[/] [{problem.code}] {problem.message}", highlight=False)
        if report.ok:
            checked = "，引文已逐条核对原文" if document else ""
            console.print(
                f"[green]✓[/] {report.policy.id} 校验通过{checked}（{len(report.policy.assumptions)} 条假设）"
            )
    if not report.ok:
        raise typer.Exit(code=1)


def _unit_of_work() -> UnitOfWork:
    return unit_of_work()


@app.command("add")
def add_command(
    file: Annotated[Path, typer.Argument(help="the plan as a policy YAML file")],
    document: Annotated[
        Path | None, typer.Option("--document", help="the published plan's text: every quotation is checked")
    ] = None,
    note: Annotated[str | None, typer.Option(help="what this revision corrects")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Check a plan and add it to the database; the same id again is a new revision. 添加本地实施方案。"""
    try:
        text = policy_files.read_text(file)
        document_text = policy_files.read_text(document) if document is not None else None
        with _unit_of_work() as uow:
            added = store.add_policy(uow, file.name, text, document=document_text, note=note, by=None)
    except YibaoError as error:
        fail(error, as_json=as_json)
    problems = added.report.citation_problems
    if as_json:
        stored = added.stored
        print_json(
            {
                "ok": added.report.ok,
                "policy": added.report.policy.id,
                "revision": stored.revision if stored else None,
                "sha256": stored.sha256 if stored else None,
                "new_revision": added.new_revision,
                "citation_problems": [problem.to_dict() for problem in problems],
            }
        )
    else:
        for problem in problems:
            console.print(f"[red]✗[/] [{problem.code}] {problem.message}", highlight=False)
        if added.stored is not None:
            done = "已添加" if added.new_revision else "与已存的最新版相同，未改动"
            console.print(f"[green]✓[/] {added.stored.policy_id} 第{added.stored.revision}版 {done}", highlight=False)
    if added.stored is None:
        raise typer.Exit(code=1)


@app.command("revisions")
def revisions_command(
    policy_id: Annotated[str | None, typer.Argument(help="one plan's id; default: every stored plan")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """The stored revisions of the bureau's plans, and the enrollments still assessed under an earlier one.
    本地方案的各版本。"""
    with _unit_of_work() as uow:
        revisions = store.stored_revisions(uow, policy_id)
        earlier = store.assessed_under_earlier_revisions(uow, policy_id) if policy_id else {}
    if as_json:
        print_json({"revisions": [view.__dict__ for view in revisions], "assessed_under_earlier": earlier})
        return
    table = Table("ID", "版本", "名称", "年度", "添加", "说明")
    for view in revisions:
        added_at = view.added_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
        table.add_row(
            view.policy_id, str(view.revision), view.name, str(view.insurance_year), added_at, view.note or ""
        )
    console.print(table)
    if earlier:
        console.print(f"尚未开票、仍按旧版核定的参保登记：{sum(earlier.values())} 人（重新核定后按最新版）")


@app.command("diff")
def diff_command(
    before: Annotated[str, typer.Argument(help="the earlier plan's id (or a YAML file)")],
    after: Annotated[str, typer.Argument(help="the later plan's id (or a YAML file)")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """What changed between two plans, value by value with its clause. 比较两个方案。"""
    try:
        with optional_session() as session:
            plans = [
                policy_files.load_file(Path(name))
                if name.endswith((".yaml", ".yml"))
                else policies.get_policy(name, session)
                for name in (before, after)
            ]
    except YibaoError as error:
        fail(error, as_json=as_json)
    changes = policy_diff(plans[0], plans[1])
    if as_json:
        print_json([change.__dict__ for change in changes])
        return
    table = Table("项目", plans[0].id, plans[1].id, "原文", title=f"{plans[0].name} → {plans[1].name}")
    for change in changes:
        table.add_row(change.path, _shown(change.before), _shown(change.after), change.clause or "")
    console.print(table)
    console.print(f"共 {len(changes)} 处不同")


def _shown(value: object) -> str:
    return "—" if value is None else str(value)
