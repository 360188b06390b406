"""Statistical bases (统计数) of coverage goals: a count per township that a bureau loads from the statistics
bureau's sheet, for a goal whose plan measures it so (嵩明: “以2016年年底农业人口为基数（以县统计局统计的农业人口数
为准），普通人群以镇（街道）为单位，参保率达96%以上”). A goal over the register (``base: register``) counts the
population register's people instead (see :mod:`yibao.services.progress.coverage`).
"""

from __future__ import annotations

from datetime import datetime

import polars as pl
from pydantic import BaseModel
from sqlalchemy import delete, select

from yibao.adapters.db.tables import Area, PopulationCount
from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.domain.errors import YibaoError
from yibao.domain.policy import Policy
from yibao.domain.roster import ROW
from yibao.domain.roster import Column as SheetColumn
from yibao.services.access import Permission, Principal
from yibao.services.policy.plans import district_policies
from yibao.services.progress.targets import area_of, district_areas
from yibao.services.sheets import read_table

COUNT_COLUMNS: tuple[SheetColumn, ...] = (
    SheetColumn("unit", "镇（街）", ("镇街", "乡镇", "乡镇（街道）", "单位", "单位名称", "镇街名称", "地区"), True),
    SheetColumn(
        "persons", "人数", ("人口数", "农业人口", "农业人口数", "基数", "统计数", "户籍人口", "常住人口"), True
    ),
)
TOTAL_ROWS = ("合计", "小计", "总计", "全县", "全区", "全市")


class PopulationCountView(BaseModel):
    goal_id: str
    goal_name: str
    township_code: str
    township_name: str
    persons: int
    source: str
    loaded_at: datetime


def statistics_goals(policy: Policy) -> dict[str, str]:
    """The plan's coverage goals measured against a statistical count: id -> name."""
    return {goal.id: goal.name for goal in policy.targets.coverage if goal.base == "statistics"}


def _plan_of_year(uow: UnitOfWork, district: str, insurance_year: int) -> Policy:
    plans = [plan for plan in district_policies(district, uow.session) if plan.insurance_year == insurance_year]
    if not plans:
        raise YibaoError("POLICY_NONE_FOR_DISTRICT", field="insurance_year", district=district)
    return plans[0]


def load_population_counts(
    uow: UnitOfWork,
    principal: Principal,
    insurance_year: int,
    goal_id: str,
    file_name: str,
    content: bytes,
    source: str,
) -> list[PopulationCountView]:
    """The statistics bureau's count of each township for one goal of the year's plan, from a sheet with a
    镇（街） and a 人数 column. Checked whole (every row's problem at once, nothing stored while one stands); the
    goal's earlier counts of the year are replaced."""
    principal.require(Permission.MANAGE_TARGETS)
    policy = _plan_of_year(uow, principal.district, insurance_year)
    goals = statistics_goals(policy)
    if goal_id not in goals:
        raise YibaoError("GOAL_NOT_STATISTICAL", field="goal_id", goal=goal_id, allowed="、".join(goals) or "无")
    if not source.strip():
        raise YibaoError("BASE_SOURCE_REQUIRED", field="source")
    sheet, mapping = read_table(content, file_name, COUNT_COLUMNS)
    frame = sheet.frame.select(ROW, *[pl.col(header).alias(key) for header, key in mapping.items()])
    areas = district_areas(uow, principal.district)
    counts: dict[str, int] = {}
    problems: list[YibaoError] = []
    for record in frame.iter_rows(named=True):
        unit = str(record["unit"] or "").strip()
        text = str(record["persons"] or "").strip().replace(",", "")
        if not unit or unit in TOTAL_ROWS:
            continue
        code = area_of(unit, areas, principal.district)
        if code is None or code.endswith("000000"):
            problems.append(YibaoError("BASE_UNIT_UNKNOWN", field="镇（街）", row=record[ROW], value=unit))
        elif not text.isdigit():
            problems.append(YibaoError("BASE_FIGURE", field="人数", row=record[ROW], value=text))
        elif code in counts:
            problems.append(YibaoError("BASE_UNIT_TWICE", field="镇（街）", row=record[ROW], value=unit))
        else:
            counts[code] = int(text)
    if problems:
        raise YibaoError.all_of(problems)
    if not counts:
        raise YibaoError("ROSTER_EMPTY", field="file", name=file_name)
    where = (
        PopulationCount.insurance_year == insurance_year,
        PopulationCount.district_code == principal.district,
        PopulationCount.goal_id == goal_id,
    )
    uow.session.execute(delete(PopulationCount).where(*where))
    uow.session.add_all(
        PopulationCount(
            insurance_year=insurance_year,
            district_code=principal.district,
            goal_id=goal_id,
            township_code=code,
            persons=persons,
            source=" ".join(source.split())[:120],
            loaded_at=uow.now,
            actor=uow.actor,
        )
        for code, persons in counts.items()
    )
    uow.session.flush()
    after = {"insurance_year": insurance_year, "townships": len(counts), "persons": sum(counts.values())}
    uow.audit("import", "population_counts", f"{goal_id}:{file_name}", None, after)
    uow.commit()
    return list_population_counts(uow, principal, insurance_year)


def list_population_counts(uow: UnitOfWork, principal: Principal, insurance_year: int) -> list[PopulationCountView]:
    """The counts loaded for the year's goals, township by township (every role that reads progress sees them:
    they are statistics, not people)."""
    principal.require(Permission.READ_RESIDENTS)
    policy = _plan_of_year(uow, principal.district, insurance_year)
    goals = statistics_goals(policy)
    rows = uow.session.execute(
        select(PopulationCount, Area.name)
        .join(Area, Area.code == PopulationCount.township_code)
        .where(PopulationCount.insurance_year == insurance_year, PopulationCount.district_code == principal.district)
        .order_by(PopulationCount.goal_id, PopulationCount.township_code)
    ).all()
    return [
        PopulationCountView(
            goal_id=count.goal_id,
            goal_name=goals.get(count.goal_id, count.goal_id),
            township_code=count.township_code,
            township_name=name,
            persons=count.persons,
            source=count.source,
            loaded_at=count.loaded_at,
        )
        for count, name in rows
    ]


def population_counts(uow: UnitOfWork, district: str, insurance_year: int, goal_id: str) -> tuple[str, dict[str, int]]:
    """A goal's counts by township and their source as loaded; ("", {}) where none is loaded."""
    rows = uow.session.scalars(
        select(PopulationCount).where(
            PopulationCount.insurance_year == insurance_year,
            PopulationCount.district_code == district,
            PopulationCount.goal_id == goal_id,
        )
    ).all()
    return (rows[0].source if rows else ""), {row.township_code: row.persons for row in rows}
