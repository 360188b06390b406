"""`yibao`: the command line. Each command parses, calls one service, and prints; no rules live here.

The commands are loaded as they are used (:mod:`yibao.entrypoints.cli.lazy`): `yibao --help` and a command's
start import only what that command needs.
"""

from __future__ import annotations

import typer

from yibao.entrypoints.cli.lazy import Lazy, LazyGroup

CLI = "yibao.entrypoints.cli"
COMMANDS: dict[str, Lazy] = {
    "policy": Lazy(
        f"{CLI}.policy_commands",
        "app",
        "参保政策（实施方案）：查看、校验、添加本地方案、比较。Policies: list, show, check, add, diff.",
    ),
    "campaign": Lazy(
        f"{CLI}.campaign_commands", "app", "参保缴费工作（年度）：开启、结束、查看。Campaigns: open, close, list."
    ),
    "db": Lazy(f"{CLI}.db_commands", "app", "数据库：迁移与初始化。Database: migrate and seed."),
    "area": Lazy(f"{CLI}.area_commands", "app", "村（居）与参保单位：导入村居、新增单位。Villages and organizations."),
    "user": Lazy(
        f"{CLI}.user_commands",
        "app",
        "用户：新增账号、签发与撤销接口令牌、解锁、重置密码、停用。Users, API tokens, passwords, stopping accounts.",
    ),
    "import": Lazy(
        f"{CLI}.import_commands", "app", "批量导入：电子名册、部门名单。Bulk imports: rosters, department lists."
    ),
    "export": Lazy(f"{CLI}.export_commands", "app", "导出：参保登记名册、核定缴费清单。Exports."),
    "pay": Lazy(f"{CLI}.money_commands", "app", "缴费：缴费通知单、收款、代收批次、冲正、退费、收款汇总。Payments."),
    "review": Lazy(
        f"{CLI}.review_commands",
        "app",
        "登记册审核：收取、更正、社保所核对、医保中心复核、退回、缴入指定账户、打印。Village registers through review.",
    ),
    "reconcile": Lazy(
        f"{CLI}.reconcile_commands", "app", "对账：导入银行、税务对账单，查看对账结果，处理未匹配明细。Reconciliation."
    ),
    "report": Lazy(f"{CLI}.report_commands", "app", "进度：参保进度、排名通报、任务指标。Progress and targets."),
    "crosscheck": Lazy(
        f"{CLI}.crosscheck_commands", "app", "信息比对：导入部门名单，运行比对，核查结果，登记未参保原因。Cross-checks."
    ),
    "simulate": Lazy(
        f"{CLI}.simulate_commands",
        "simulate_command",
        "方案测算：草案按本年度参保人员测算，与本年度对照。Simulate a draft plan over this year's people.",
    ),
    "simulation": Lazy(
        f"{CLI}.simulate_commands", "app", "方案测算报告：查看、导出。Simulation reports: list, show, export."
    ),
    "serve": Lazy(
        f"{CLI}.serve_commands",
        "serve_command",
        "Start the web UI and the REST API on YIBAO_DATABASE_URL. 启动网页与接口服务。",
    ),
    "demo": Lazy(
        f"{CLI}.serve_commands",
        "demo_command",
        "A demo of a bundled plan (default 蓟州区2018): its district or street, invented families, users of every "
        "role, in the web UI and API. 演示系统。",
    ),
    "quote": Lazy(
        f"{CLI}.quote_commands",
        "quote_command",
        "What a resident owes, who pays the rest, and when cover runs. 核定个人缴费与待遇享受期。",
    ),
    "reimburse": Lazy(
        f"{CLI}.quote_commands", "reimburse_command", "Estimate the fund's share of a claim. 估算报销金额。"
    ),
    "examples": Lazy(
        f"{CLI}.quote_commands",
        "examples_command",
        "Walk through the five plans with worked quotes. 示例：五个方案的核定。",
    ),
}


class YibaoGroup(LazyGroup):
    commands_by_name = COMMANDS


app = typer.Typer(
    cls=YibaoGroup,
    help="yibao：城乡居民基本医疗保险参保缴费工作系统。Residents' medical insurance campaigns.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def yibao() -> None:
    """yibao：城乡居民基本医疗保险参保缴费工作系统。Residents' medical insurance campaigns."""


def main() -> None:
    app()
