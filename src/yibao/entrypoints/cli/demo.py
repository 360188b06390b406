"""`yibao demo`: worked examples from each plan, run through the same services as every other command."""

from __future__ import annotations

from datetime import date

from rich.console import Console
from rich.table import Table

from yibao.domain import idnumber
from yibao.domain.timeutil import parse_instant
from yibao.entrypoints.cli.output import yuan
from yibao.services.policy.plans import list_policies
from yibao.services.policy.quotes import QuoteRequest, ReimburseRequest, quote, reimburse

# (policy, who, region code, birth date, registered, paid, options)
EXAMPLES: list[tuple[str, str, str, date, str, str | None, dict[str, object]]] = [
    (
        "tianjin-jizhou-2018",
        "成年居民选中档",
        "120119",
        date(1975, 6, 1),
        "2017-10-25",
        None,
        {"tier": "middle"},
    ),
    (
        "tianjin-jizhou-2018",
        "在校学生",
        "120119",
        date(2008, 3, 2),
        "2017-10-25",
        None,
        {"channel": "school"},
    ),
    (
        "tianjin-jizhou-2018",
        "低保对象（政府全额补助）",
        "120225",
        date(1960, 1, 9),
        "2017-11-02",
        None,
        {"identities": ("dibao",)},
    ),
    ("tianjin-jizhou-2018", "新生儿出生第100日参保", "120119", date(2018, 3, 1), "2018-06-09", None, {}),
    ("tengzhou-jinghe-2019", "65岁老人（市财政承担50%）", "370481", date(1953, 5, 1), "2018-11-20", None, {}),
    (
        "tengzhou-jinghe-2019",
        "逾期缴费（全额缴纳，等待30日）",
        "370481",
        date(1985, 5, 1),
        "2018-12-10",
        None,
        {},
    ),
    (
        "kunming-songming-2018",
        "零星参保，16:59缴费",
        "530127",
        date(1990, 2, 2),
        "2018-02-22T16:00",
        "2018-02-23T16:59",
        {},
    ),
    (
        "kunming-songming-2018",
        "零星参保，17:01缴费",
        "530127",
        date(1990, 2, 2),
        "2018-02-22T16:00",
        "2018-02-23T17:01",
        {},
    ),
    (
        "tianjin-ninghe-2023",
        "重度残疾人低档（定额资助90%）",
        "120117",
        date(1970, 8, 8),
        "2022-10-10",
        None,
        {"identities": ("severe_disability",)},
    ),
    (
        "tianjin-jinghai-2022",
        "学生（低档缴费，高档待遇）",
        "120118",
        date(2010, 9, 9),
        "2021-10-20",
        None,
        {},
    ),
]


def run_demo(console: Console) -> None:
    console.rule("[bold]yibao 演示：内置参保政策[/]")
    for summary in list_policies():
        console.print(f"· {summary.id}  {summary.name}（{summary.assumptions} 条假设）")
    table = Table("政策", "情形", "结果", "个人应缴", "待遇享受期", title="核定示例", title_justify="left")
    for policy_id, who, region, birth, registered, paid, options in EXAMPLES:
        request = QuoteRequest(
            policy_id=policy_id,
            id_number=idnumber.make(region, birth, 11),
            registered_at=parse_instant(registered),
            paid_at=parse_instant(paid) if paid else None,
            **options,  # type: ignore[arg-type]
        )
        result = quote(request)
        outcome = "可以参保" if result["eligible"] else f"不能参保：{result['reason']}"
        period = f"{result['benefit_start']} 至 {result['benefit_end']}" if result["eligible"] else ""
        table.add_row(policy_id, who, outcome, yuan(result["individual_due_fen"]), period)
    console.print(table)
    claim = reimburse(ReimburseRequest("tianjin-jinghai-2022", "high", "outpatient", "1", 200_000))
    console.print(
        f"静海2022 高档 一级医院门诊 2000元：起付 {yuan(claim['deductible_fen'])}，"
        f"比例 {claim['ratio']}，报销 {yuan(claim['reimbursed_fen'])}"
    )
    console.print("更多：yibao policy show tianjin-jizhou-2018 · yibao quote --help · yibao reimburse --help")
