"""`yibao policy list|show|check`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from yibao.domain.errors import YibaoError
from yibao.entrypoints.cli.output import console, fail, print_json
from yibao.entrypoints.cli.policy_view import render_policy
from yibao.services.policy import plans as policies

app = typer.Typer(help="参保政策（实施方案）：查看与校验。Policies: list, show, check.", no_args_is_help=True)


@app.command("list")
def list_command(as_json: Annotated[bool, typer.Option("--json", help="JSON output")] = False) -> None:
    """List the bundled policies. 列出内置的参保政策。"""
    summaries = policies.list_policies()
    if as_json:
        print_json([summary.__dict__ for summary in summaries])
        return
    table = Table("ID", "名称", "年度", "假设")
    for summary in summaries:
        table.add_row(summary.id, summary.name, str(summary.insurance_year), str(summary.assumptions))
    console.print(table)


@app.command("show")
def show_command(
    policy_id: Annotated[str, typer.Argument(help="policy id, e.g. tianjin-jizhou-2018")],
    as_json: Annotated[bool, typer.Option("--json", help="the whole policy as JSON")] = False,
) -> None:
    """Show a policy with every clause and assumption. 显示政策全文要点、条款出处与假设。"""
    try:
        policy = policies.get_policy(policy_id)
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
