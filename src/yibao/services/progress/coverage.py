"""The base population of the coverage rates (参保率): the latest population register's people per township, less
those a recorded reason says need not enroll here.

The plans set coverage goals over a base population (松明: 96 % of the agricultural population per township; 静海:
96 % of the residents; 宁河: 95 %). The register's counts per township are kept with the list when it is imported,
so a report reads them without counting millions of rows. A reason for non-enrollment keeps a person in the
denominator (they are still to be covered) unless it says they are covered, or to be covered, elsewhere or not at
all: 已在外地参保, 参加职工医保, 服兵役, 死亡 — an assumption where the plans are silent, stated in docs/progress.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from pydantic import BaseModel
from sqlalchemy import case, exists, func, or_, select

from yibao.adapters.db.tables import (
    Enrollment,
    IdentityFlag,
    NonEnrollmentReason,
    ReferenceList,
    ReferenceRow,
    Resident,
)
from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.domain.certification import CLAIM_SOURCES
from yibao.domain.policy import Policy
from yibao.domain.timeutil import end_of_day
from yibao.services.progress.statistics import population_counts

OUTSIDE_THE_BASE = ("insured_elsewhere", "employee_insurance", "military_service", "deceased")


@dataclass(frozen=True)
class BasePopulation:
    source: str  # the register it comes from, as a clerk reads it
    as_of: date
    by_township: dict[str, int]  # township code ("" unplaced) -> people, after the exclusions
    excluded: int  # people taken out for a recorded reason

    @property
    def total(self) -> int:
        return sum(self.by_township.values())


def base_population(uow: UnitOfWork, district: str, insurance_year: int) -> BasePopulation | None:
    """None where no population register has been imported."""
    register = uow.session.scalars(
        select(ReferenceList)
        .where(ReferenceList.district_code == district, ReferenceList.kind == "population")
        .order_by(ReferenceList.as_of.desc(), ReferenceList.id.desc())
        .limit(1)
    ).first()
    if register is None:
        return None
    township = func.coalesce(ReferenceRow.township_code, Resident.township_code, "")
    excluded = uow.session.execute(
        select(township, func.count(func.distinct(NonEnrollmentReason.id_number)))
        .select_from(NonEnrollmentReason)
        .join(
            ReferenceRow,
            (ReferenceRow.id_number == NonEnrollmentReason.id_number) & (ReferenceRow.list_id == register.id),
        )
        .outerjoin(Resident, Resident.id_number == NonEnrollmentReason.id_number)
        .where(
            NonEnrollmentReason.district_code == district,
            NonEnrollmentReason.insurance_year == insurance_year,
            NonEnrollmentReason.withdrawn_at.is_(None),
            NonEnrollmentReason.reason.in_(OUTSIDE_THE_BASE),
        )
        .group_by(township)
    ).all()
    counts = dict(register.township_counts)
    for code, people in excluded:
        counts[code] = counts.get(code, 0) - people
    return BasePopulation(
        source=f"{register.source}户籍及常住人口名单（{register.as_of:%Y-%m-%d}）",
        as_of=register.as_of,
        by_township=counts,
        excluded=sum(people for _, people in excluded),
    )


class GoalProgress(BaseModel):
    """One of the plan's coverage goals (参保率目标) as of a day: the base, those of it covered, the rate."""

    id: str
    name: str
    goal: float  # e.g. 0.96, or 1 for 应保尽保
    population: str  # the base as the plan names it
    base: int | None  # None: no base known yet (no register imported, no statistical count loaded)
    covered: int
    rate: float | None
    met: bool | None
    base_kind: str = "register"  # register | statistics (the count a bureau loads) | certified (special groups)
    base_source: str | None = None  # where the base comes from: the register, or the statistics bureau's count
    scope: str = "district"  # township: the goal holds for each township (嵩明: 以镇（街道）为单位)
    townships_below: list[str] | None = None  # with a township scope: those whose own rate is under the goal

    @property
    def identities_based(self) -> bool:
        return self.base_kind == "certified"


def statistical_base(uow: UnitOfWork, district: str, insurance_year: int, goal_id: str) -> BasePopulation | None:
    """A goal's base as the statistics bureau counts it (loaded by the bureau), or None where none is loaded."""
    source, counts = population_counts(uow, district, insurance_year, goal_id)
    if not counts:
        return None
    return BasePopulation(
        source=f"{source}（统计数）", as_of=date(insurance_year, 1, 1), by_township=counts, excluded=0
    )


def goal_base(uow: UnitOfWork, policy: Policy, district: str, register: BasePopulation | None) -> BasePopulation | None:
    """The base of the plan's general goal: the statistical count where the plan measures it so, else the
    register's."""
    general = next((goal for goal in policy.targets.coverage if not goal.identities), None)
    if general is not None and general.base == "statistics":
        return statistical_base(uow, district, policy.insurance_year, general.id)
    return register


def goal_progress(
    uow: UnitOfWork, policy: Policy, district: str, on: date, paid: int, base: BasePopulation | None
) -> list[GoalProgress]:
    """Each coverage goal of the plan: the general one over the register's base population; a special group's
    over the people a department certified for the year in one of its identities (a roster's claim alone does
    not count), covered when their enrollment of the year is paid by the end of ``on``."""
    goals = []
    for goal in policy.targets.coverage:
        people: int | None
        source: str | None = None
        if goal.identities:
            people, covered = _certified_coverage(uow, district, policy.insurance_year, goal.identities, on)
            source = "部门认定的人员"
        else:
            measured = (
                statistical_base(uow, district, policy.insurance_year, goal.id) if goal.base == "statistics" else base
            )
            people, covered = (measured.total if measured else None), paid
            source = measured.source if measured else None
        rate = covered / people if people else None
        goals.append(
            GoalProgress(
                id=goal.id,
                name=goal.name,
                goal=float(goal.rate),
                population=goal.population,
                base=people,
                covered=covered,
                rate=rate,
                met=None if rate is None else rate >= float(goal.rate),
                base_kind="certified" if goal.identities else goal.base,
                base_source=source,
                scope=goal.scope,
            )
        )
    return goals


def _certified_coverage(uow: UnitOfWork, district: str, year: int, identities: list[str], on: date) -> tuple[int, int]:
    moment = end_of_day(on)
    certified = (
        select(IdentityFlag.resident_id)
        .join(Resident, Resident.id == IdentityFlag.resident_id)
        .where(
            Resident.township_code.startswith(district),
            IdentityFlag.identity.in_(identities),
            IdentityFlag.source.not_in(CLAIM_SOURCES),
            or_(IdentityFlag.valid_from.is_(None), IdentityFlag.valid_from <= date(year, 12, 31)),
            or_(IdentityFlag.valid_to.is_(None), IdentityFlag.valid_to >= date(year, 1, 1)),
        )
        .distinct()
        .subquery()
    )
    paid = exists(
        select(Enrollment.id).where(
            Enrollment.resident_id == certified.c.resident_id,
            Enrollment.insurance_year == year,
            Enrollment.effective_at <= moment,
            or_(Enrollment.cancelled_at.is_(None), Enrollment.cancelled_at > moment),
        )
    )
    people, covered = uow.session.execute(
        select(func.count(), func.coalesce(func.sum(case((paid, 1), else_=0)), 0)).select_from(certified)
    ).one()
    return int(people), int(covered)
