"""Human-readable `yibao policy show`: every number of the plan beside the sentence it comes from."""

from __future__ import annotations

from collections.abc import Iterable

from rich.console import Console
from rich.table import Table

from yibao.domain.policy import Policy
from yibao.domain.policy.checks import instant_closes, instant_opens
from yibao.domain.policy.citations import Cited
from yibao.domain.policy.model import NoCap, Silent
from yibao.domain.policy.uses import assumption_uses
from yibao.domain.vocabulary import CATEGORIES, CHANNELS, IDENTITIES, RESIDENCIES, SERVICES, SETTINGS
from yibao.entrypoints.cli.output import yuan

DEDUCTIBLE_PER = {"year": "年", "admission": "次住院", "visit": "次"}


def cite(cited: Cited | None) -> str:
    if cited is None:
        return ""
    parts = []
    if cited.clause is not None:
        parts.append(f"〔{cited.clause.section}〕“{cited.clause.text}”")
    if cited.derived:
        parts.append(f"推导：{cited.derived}")
    if cited.assumption_ids:
        parts.append(f"[yellow]假设 {'、'.join(cited.assumption_ids)}[/]")
    return "\n".join(parts)


def _table(title: str, *columns: str) -> Table:
    table = Table(*columns, title=title, title_justify="left", show_lines=True)
    table.columns[-1].overflow = "fold"
    return table


def _names(codes: Iterable[str], vocabulary: dict[str, str]) -> str:
    return "、".join(vocabulary.get(code, code) for code in codes)


def _header(console: Console, policy: Policy) -> None:
    main = policy.documents["main"]
    console.rule(f"[bold]{policy.name}[/]  ({policy.id})")
    console.print(f"文件：{main.title}  {main.reference or ''}  {main.issuer}  {main.issued or '（无日期）'}")
    console.print(f"地区：{policy.region.name}（{policy.region.code}）  险种：390 城乡居民基本医疗保险")


def _eligibility(console: Console, policy: Policy) -> None:
    eligibility = _table("参保范围 Eligibility", "规则", "出处")
    eligibility.add_row(
        "户籍/居住证：" + _names(policy.eligibility.residency.accepted, RESIDENCIES), cite(policy.eligibility.residency)
    )
    for admission in policy.eligibility.nonlocal_admissions:
        channels = f"（经{_names(admission.channels, CHANNELS)}参保）" if admission.channels else ""
        eligibility.add_row(f"不论户籍可参保：{_names(admission.categories, CATEGORIES)}{channels}", cite(admission))
    eligibility.add_row("职工医保参保范围的人员除外", cite(policy.eligibility.employee_insurance_excluded))
    console.print(eligibility)


def _windows(console: Console, policy: Policy) -> None:
    windows = _table("参保缴费期 Windows (Asia/Shanghai)", "期间", "开始", "截止", "渠道", "出处")
    for window in policy.enrollment.windows:
        channels = "全部" if window.channels == "all" else _names(window.channels, CHANNELS)
        windows.add_row(
            f"{window.name}（{'/'.join(window.applies_to)}）",
            instant_opens(window.opens).strftime("%Y-%m-%d %H:%M"),
            instant_closes(window.closes).strftime("%Y-%m-%d %H:%M"),
            channels,
            cite(window),
        )
    late = policy.enrollment.late
    late_text = (
        "逾期不受理"
        if not late.accepted
        else (
            f"逾期受理至{late.until or policy.benefit_period.end}；"
            + ("须全额缴纳含政府补助的保费；" if late.pays_full_financing else "")
            + ("" if late.keeps_assisted_subsidy else "不享受资助；")
            + f"缴费后第{late.benefit_starts_days_after_payment}日起享受待遇"
        )
    )
    windows.add_row("逾期", "", "", "", late_text + "\n" + cite(late))
    console.print(windows)


def _newborn_and_continuation(console: Console, policy: Policy) -> None:
    special = _table("新生儿与接续 Newborns and continuation", "规则", "出处")
    newborn = policy.enrollment.newborn
    if newborn is not None:
        born = f"{newborn.births.born_from or '不限'} 至 {newborn.births.born_to or '不限'} 出生"
        special.add_row(born, cite(newborn.births))
        within = newborn.registration.within
        limit = f"，出生后{within.months}个月内" if within and within.months else ""
        special.add_row(f"可随时参保{limit}", cite(newborn.registration))
        days = newborn.benefit.from_birth_if_paid_within_days
        benefit = "自出生之日起享受待遇" if days is None else f"出生{days}日内参保的自出生之日起享受，否则自缴费次日起"
        if newborn.benefit.not_before:
            benefit += f"（不早于{newborn.benefit.not_before}）"
        special.add_row(benefit, cite(newborn.benefit))
    if policy.enrollment.continuation is not None:
        rule = policy.enrollment.continuation
        special.add_row(
            f"职工医保终止后{rule.within_months}个月内可接续，缴费后第{rule.benefit_starts_days_after_payment}日起享受",
            cite(rule),
        )
    if special.row_count:
        console.print(special)


def _tiers(console: Console, policy: Policy) -> None:
    tiers = _table("缴费档次与筹资标准 Tiers (yuan)", "档次", "筹资标准", "政府补助", "个人缴费", "出处")
    for tier_id, tier in policy.tiers.items():
        tiers.add_row(
            f"{tier.name} ({tier_id})",
            yuan(tier.financing_total_fen),
            yuan(tier.government_subsidy.fen),
            yuan(tier.individual.fen),
            "\n".join(dict.fromkeys(filter(None, [cite(tier.individual), cite(tier.government_subsidy)]))),
        )
    console.print(tiers)


def _categories(console: Console, policy: Policy) -> None:
    categories = _table("人员类别 Categories", "类别", "可选档次", "默认档次", "待遇档次", "出处")
    for name, category in policy.categories.items():
        categories.add_row(
            f"{CATEGORIES[name]} ({name})",
            "、".join(category.tiers),
            category.default_tier.tier,
            category.benefit_tier.tier if category.benefit_tier else "同缴费档次",
            "\n".join(filter(None, [cite(category), cite(category.default_tier), cite(category.benefit_tier)])),
        )
    console.print(categories)


def _assisted(console: Console, policy: Policy) -> None:
    if policy.assisted.groups:
        assisted = _table("资助参保 Subsidies for special groups", "对象", "资助", "承担", "出处")
        for group in policy.assisted.groups:
            who = group.name
            if group.identities:
                who += "\n身份：" + _names(group.identities, IDENTITIES)
            if group.age is not None:
                reference = group.age.reference_date or "登记日"
                who += f"\n年龄：{group.age.min or 0}–{group.age.max or '∞'}岁（参照日 {reference}）"
            if group.residency is not None:
                who += "\n限：" + _names(group.residency, RESIDENCIES)
            basis = f"{group.basis_tier.tier}档个人缴费" if group.basis_tier else "所选档次个人缴费"
            amount = f"{basis}的{group.share.value * 100:.0f}%"
            if group.lost_above_basis_tier:
                amount += "；选更高档次不再资助"
            if group.benefit_tier:
                amount += f"；待遇：{group.benefit_tier.tier}档"
            payers = "、".join(f"{policy.payers[p.payer].name} {p.share * 100:.0f}%" for p in group.payers)
            assisted.add_row(who, amount, payers, "\n".join(filter(None, [cite(group), cite(group.share)])))
        if policy.assisted.precedence is not None:
            assisted.add_row("多项资助", "只享受资助额最高的一项", "", cite(policy.assisted.precedence))
        claims = policy.assisted.claims
        rule = "确认前先按申报资助" if policy.assisted.claims_subsidised else "确认前不予资助"
        assisted.add_row("柜台、名册申报的身份（待部门名单确认）", rule, "", cite(claims) if claims else "方案未规定")
        console.print(assisted)


def _benefit_period(console: Console, policy: Policy) -> None:
    period = policy.benefit_period
    benefit = _table("待遇享受期 Benefit period", "期间", "出处")
    benefit.add_row(f"{period.start} 至 {period.end}", cite(period))
    for extra in period.extras:
        benefit.add_row(
            f"{extra.name}：{extra.start} 至 {extra.end}（{_names(extra.categories, CATEGORIES)}）",
            cite(extra),
        )
    console.print(benefit)


def _reimbursement(console: Console, policy: Policy) -> None:
    if policy.reimbursement.services:
        reimbursement = _table("报销 Reimbursement", "项目", "起付", "最高支付", "比例（一/二/三级）", "出处")
        for service, rule in policy.reimbursement.services.items():
            ratios = "\n".join(
                f"{tier}: " + " / ".join(f"{ratio * 100:.0f}%" for ratio in by_level.values())
                for tier, by_level in rule.ratios.by_benefit_tier.items()
            )
            if isinstance(rule.cap, Silent):
                cap = "方案未规定"
            else:
                cap = "无" if isinstance(rule.cap, NoCap) else yuan(rule.cap.fen)
            if isinstance(rule.deductible, Silent):
                deductible = "方案未规定"
            else:
                deductible = f"{yuan(rule.deductible.fen)}/{DEDUCTIBLE_PER[rule.deductible.per]}"
            cited = [value for value in (rule.deductible, rule.cap) if not isinstance(value, Silent)]
            notes = [value.note for value in (rule.deductible, rule.cap) if isinstance(value, Silent) and value.note]
            reimbursement.add_row(
                SERVICES[service],
                deductible,
                cap,
                ratios,
                "\n".join(filter(None, [*map(cite, cited), cite(rule.ratios), *dict.fromkeys(notes)])),
            )
        follows = {"prescribing_institution": "按外配处方的定点医疗机构的规定", "inpatient": "按住院报销政策"}
        for setting, setting_rule in policy.reimbursement.settings.items():
            reimbursement.add_row(SETTINGS[setting], "", "", follows[setting_rule.follows], cite(setting_rule))
        for tilt in policy.reimbursement.critical_illness_tilts:
            reimbursement.add_row(
                "大病保险倾斜",
                f"普通的{tilt.deductible_share * 100:.0f}%",
                "取消封顶" if tilt.cap_removed else "",
                f"+{tilt.ratio_increase * 100:.0f}%",
                cite(tilt),
            )
        console.print(reimbursement)


def _targets(console: Console, policy: Policy) -> None:
    targets = policy.targets
    if targets.total or targets.coverage or targets.township_table or targets.reporting:
        table = _table("目标任务 Targets", "目标", "出处")
        if targets.total:
            table.add_row(f"参保 {targets.total.persons:,} 人，{targets.total.by} 前", cite(targets.total))
        for goal in targets.coverage:
            table.add_row(f"{goal.name} ≥ {goal.rate * 100:.0f}%（基数：{goal.population}）", cite(goal))
        if targets.township_table:
            rows = targets.township_table.rows
            total = sum(row.total or 0 for row in rows)
            excludes = "，不含" + "、".join(targets.township_table.excludes) if targets.township_table.excludes else ""
            table.add_row(
                f"镇乡街任务表：{len(rows)} 个单位，合计 {total:,} 人{excludes}", cite(targets.township_table)
            )
        if targets.reporting:
            frequency = {"daily": "日报告", "weekly": "周报"}[targets.reporting.frequency]
            table.add_row(f"{frequency}，自 {targets.reporting.starts or '开始'}", cite(targets.reporting))
        console.print(table)
        if targets.township_table:
            column = targets.township_table.students_column
            townships = Table(
                "单位",
                "合计",
                "一般居民",
                "学生儿童（含儿童）" if column and column.counts_children else "在校学生",
                "特殊群体",
                title="镇乡街任务指标",
                title_justify="left",
            )
            for row in [*targets.township_table.rows, *targets.township_table.institutions]:
                townships.add_row(
                    row.unit + (f"（含{'、'.join(row.includes)}）" if row.includes else ""),
                    *[
                        f"{value:,}" if value is not None else ""
                        for value in (row.total, row.general, row.students, row.special_groups)
                    ],
                )
            console.print(townships)


def _assumptions(console: Console, policy: Policy) -> None:
    if policy.assumptions:
        assumptions = _table("假设（方案未写明或有歧义之处）Assumptions", "ID", "假设（按此计算）", "理由", "用于")
        uses = assumption_uses(policy)
        for assumption in policy.assumptions:
            assumptions.add_row(
                assumption.id, assumption.statement, assumption.reason, "\n".join(uses[assumption.id]) or "（未用）"
            )
        console.print(assumptions)


SECTIONS = (
    _header,
    _eligibility,
    _windows,
    _newborn_and_continuation,
    _tiers,
    _categories,
    _assisted,
    _benefit_period,
    _reimbursement,
    _targets,
    _assumptions,
)


def render_policy(console: Console, policy: Policy) -> None:
    for section in SECTIONS:
        section(console, policy)
