"""Run a draft plan over a base campaign's people (测算) and keep the answer as a dated report.

Nothing is written to the enrollments: the draft is assessed in memory, compared with this year person by person
(:mod:`yibao.domain.simulation`), and kept as a :class:`~yibao.adapters.db.simulation_tables.Simulation` row (the
question, every assumption, the totals) plus a Parquet file of the persons for drilling down.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import select

from yibao.adapters.db.tables import Campaign, Simulation
from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.domain.engine.assess import assess
from yibao.domain.errors import YibaoError
from yibao.domain.policy import Policy
from yibao.domain.policy.checks import instant_opens
from yibao.domain.policy.rules import policy_span
from yibao.domain.simulation import (
    TIER_RULE_NAMES,
    Options,
    TierRule,
    TierShift,
    compare,
    draft_inputs,
    payer_ids,
    payer_names,
    summarize,
)
from yibao.domain.timeutil import SHANGHAI, as_shanghai
from yibao.services.access import Permission, Principal
from yibao.services.jobs import Progress, no_progress
from yibao.services.policy.plans import get_policy, policy_digest
from yibao.services.simulation.base import load_base
from yibao.services.users import actor_name, actor_names

FOLDER = "simulations"


@dataclass(frozen=True)
class SimulationRequest:
    draft_policy_id: str
    base_year: int
    tier_rule: TierRule = TierRule.KEEP
    tier_shift: TierShift | None = None
    include_unenrolled: bool = False
    registered_on: date | None = None  # None: the day the draft's registration window opens


@dataclass(frozen=True)
class SimulationView:
    id: int
    district_code: str
    draft_policy_id: str
    draft_name: str
    base_year: int
    base_policy_id: str
    base_name: str
    created_at: datetime
    actor: str
    options: dict[str, Any]
    assumptions: list[str]
    summary: dict[str, Any]
    payer_names: dict[str, str] = field(default_factory=dict)
    actor_name: str = ""  # who ran it, as people call them (the user's display name)
    title: str = ""  # 测算报告's title: the draft's name and 测算报告


def registration_moment(draft: Policy, day: date | None) -> datetime:
    """When everyone registers under the draft: the opening of its first registration window, or noon of the
    chosen day (inside any window that day, whatever hour it opens)."""
    if day is not None:
        span = policy_span(draft)
        if not span.start.date() <= day <= span.end.date():
            raise YibaoError(
                "SIMULATION_DAY_OUTSIDE",
                field="registered_on",
                day=day.isoformat(),
                policy=draft.name,
                start=span.start.date().isoformat(),
                end=span.end.date().isoformat(),
            )
        return datetime.combine(day, time(12), SHANGHAI)
    windows = [w for w in draft.enrollment.windows if "registration" in w.applies_to] or draft.enrollment.windows
    return min(instant_opens(w.opens) for w in windows)


def _years_back(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year - years, day=28)


def _base_policy(uow: UnitOfWork, district: str, year: int) -> Policy:
    campaign = uow.session.scalars(
        select(Campaign).where(Campaign.district_code == district, Campaign.insurance_year == year)
    ).first()
    if campaign is None:
        raise YibaoError("CAMPAIGN_UNKNOWN", field="base_year", district=district, year=year)
    return get_policy(campaign.policy_id, uow.session)


def _check_shift(draft: Policy, shift: TierShift | None) -> None:
    if shift is None:
        return
    for tier in (shift.from_tier, shift.to_tier):
        if tier not in draft.tiers:
            raise YibaoError(
                "SIMULATION_TIER_UNKNOWN",
                field="tier_shift",
                policy=draft.id,
                tier=tier,
                allowed="、".join(f"{code}（{tier.name}）" for code, tier in draft.tiers.items()),
            )
    if not 0 < shift.share <= 1:
        raise YibaoError("SIMULATION_SHARE_INVALID", field="tier_shift", value=shift.share)


def assumptions(current: Policy, draft: Policy, options: Options, summary: dict[str, Any], waiting: int) -> list[str]:
    """Every assumption of a simulation, as the report prints it."""
    people = summary["people"]
    moment = as_shanghai(options.registered_at)
    lines = [
        f"测算基数：{current.insurance_year}年度参保人员{people['enrolled']}人"
        + (
            f"，另加未参保的登记人员{people['base'] - people['enrolled']}人（按其全部参保测算）"
            if options.include_unenrolled
            else "（不含未参保人员）"
        )
        + "。",
        f"本年度金额：已核定的按核定金额（应收数）；尚未核定的{waiting}人按本年度方案“{current.name}”核定。",
        f"参保登记时间：所有人员均按{moment:%Y年%m月%d日%H:%M}登记并当即缴费测算。",
        "人员类别：按年龄确定的类别（如成年居民、学生儿童、新生儿）按草案的年龄规定重新确定；由名册或单位确定的类别保持不变。",
        f"缴费档次：{TIER_RULE_NAMES[options.tier_rule]}。",
        "特殊群体身份：保留本年度登记时有效的部门认定身份；尚未认定的申报身份是否资助按草案规定。",
        "户籍、居住情况及参保渠道：保持本年度登记的情况。",
    ]
    shift = options.tier_shift
    if shift is not None:
        lines.append(
            f"档次转移：原按{draft.tiers[shift.from_tier].name}缴费的人员中{shift.share:.0%}改按"
            f"{draft.tiers[shift.to_tier].name}缴费（按身份证号顺序均匀选取）。"
        )
    lines += [f"草案假设：{item.statement}" for item in draft.assumptions]
    return lines


def run_simulation(
    uow: UnitOfWork,
    principal: Principal | None,
    request: SimulationRequest,
    progress: Progress = no_progress,
    *,
    data_directory: Path,
) -> SimulationView:
    """Simulate ``request.draft_policy_id`` over the campaign of ``request.base_year`` and keep the report.
    ``principal`` None: the operator at the command line, for the draft's district."""
    if principal is not None:
        principal.require(Permission.SIMULATE)
    draft = get_policy(request.draft_policy_id, uow.session)
    district = principal.district if principal is not None else draft.region.code
    if draft.region.code != district and district not in draft.region.former_codes:
        raise YibaoError(
            "POLICY_OTHER_DISTRICT", field="draft", policy=draft.id, region=draft.region.name, township=district
        )
    current = _base_policy(uow, district, request.base_year)
    _check_shift(draft, request.tier_shift)
    moment = registration_moment(draft, request.registered_on)
    options = Options(moment, request.tier_rule, request.tier_shift, request.include_unenrolled)
    payers = payer_ids(current, draft)
    base = load_base(
        uow,
        district,
        current,
        payers,
        include_unenrolled=request.include_unenrolled,
        unenrolled_registered_at=_years_back(moment, draft.insurance_year - current.insurance_year),
        progress=progress,
    )
    if base.height == 0:
        raise YibaoError("SIMULATION_NO_BASE", field="base_year", year=request.base_year)
    progress("按草案核定", 0, 1)
    results = assess(draft, draft_inputs(base, current, draft, options).drop("resident_id"))
    persons = compare(base, results, current, draft)
    summary = summarize(persons, current, draft)
    progress("按草案核定", 1, 1)
    waiting = base.filter(pl.col("enrolled") & ~pl.col("billed")).height
    lines = assumptions(current, draft, options, summary, waiting)
    return _keep(uow, district, request, current, draft, options, summary, persons, lines, data_directory)


def _keep(
    uow: UnitOfWork,
    district: str,
    request: SimulationRequest,
    current: Policy,
    draft: Policy,
    options: Options,
    summary: dict[str, Any],
    persons: pl.DataFrame,
    lines: list[str],
    data_directory: Path,
) -> SimulationView:
    name = f"{FOLDER}/{uuid.uuid4().hex}.parquet"
    target = data_directory / name
    target.parent.mkdir(parents=True, exist_ok=True)
    persons.write_parquet(target)
    row = Simulation(
        district_code=district,  # the reader's district, which a draft may name by its former code
        draft_policy_id=draft.id,
        draft_hash=policy_digest(draft),
        draft_name=draft.name,
        base_year=request.base_year,
        base_policy_id=current.id,
        options={
            "registered_at": options.registered_at.isoformat(),
            "tier_rule": options.tier_rule.value,
            "tier_shift": None
            if options.tier_shift is None
            else {
                "from_tier": options.tier_shift.from_tier,
                "to_tier": options.tier_shift.to_tier,
                "share": options.tier_shift.share,
            },
            "include_unenrolled": options.include_unenrolled,
        },
        assumptions=lines,
        summary=summary,
        persons_file=name,
        created_at=uow.now,
        actor=uow.actor,
    )
    uow.session.add(row)
    uow.session.flush()
    uow.audit(
        "simulate",
        "simulation",
        row.id,
        None,
        {"draft": draft.id, "base_year": request.base_year, "people": summary["people"]["base"]},
    )
    uow.commit()
    return view(uow, row)


def view(uow: UnitOfWork, row: Simulation) -> SimulationView:
    current = get_policy(row.base_policy_id, uow.session)
    draft = get_policy(row.draft_policy_id, uow.session)
    return SimulationView(
        row.id,
        row.district_code,
        row.draft_policy_id,
        row.draft_name,
        row.base_year,
        row.base_policy_id,
        current.name,
        row.created_at,
        row.actor,
        row.options,
        row.assumptions,
        row.summary,
        payer_names(current, draft),
        actor_name(row.actor, actor_names(uow.session)),
        f"{row.draft_name}测算报告",
    )
