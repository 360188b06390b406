"""Reports by unit (报送参保缴费进度): each unit the plan makes answer for progress — a department for the special
groups it certifies, a township for its people — submits its figures for the period its rhythm says (宁河: 区民政局、
区残联……各镇街等有关部门依职责每周向区医保局报送参保缴费进度), and the district sees the units side by side and
which have not reported.

A unit's figures are counted by yibao from the registry as of its submission, and frozen with it: a department's
are the people it certified (its own identity flags, valid that day) and how many of them are enrolled and paid;
a township's are its enrollments. Submitting again within a period replaces nothing: the latest submission of
the period is the unit's report, the earlier ones stay on record.

Under a township, its 村（居） report to it (滕州: 各居每天汇总参保人数上报至街道人力资源和社会保障所): the street's
clerk records each community's figures — the enrollments of the people registered in it — for the period, and
the street (and the district) sees its communities side by side and which have not reported.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, func, or_, select

from yibao.adapters.db.tables import Area, Campaign, Enrollment, IdentityFlag, Resident, UnitReport, User
from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.domain.errors import YibaoError
from yibao.domain.states import LIVE_ENROLLMENTS
from yibao.domain.timeutil import as_shanghai, end_of_day
from yibao.services.access import DISTRICT_ROLES, ROLE_NAMES, Permission, Principal, Role
from yibao.services.policy.plans import get_policy
from yibao.services.progress.live import counted
from yibao.services.users import actor_name, actor_names

DEPARTMENT, TOWNSHIP, VILLAGE = "department", "township", "village"


@dataclass(frozen=True)
class Unit:
    kind: str  # department | township | village
    code: str  # the department's name (民政, 残联 …), the township's or the village's code
    name: str


@dataclass(frozen=True)
class UnitFigures:
    people: int  # a department: the people it certified; a township: enrollments registered
    enrolled: int  # of them, enrolled this year (a township: the same as people)
    paid: int


@dataclass(frozen=True)
class UnitRow:
    unit: Unit
    submitted_at: datetime | None  # None: not reported this period
    submitted_by: str | None  # the user's display name
    figures: UnitFigures | None
    note: str | None


@dataclass(frozen=True)
class PeriodReport:
    insurance_year: int
    rhythm: str  # daily | weekly
    period_start: date
    period_end: date
    rows: list[UnitRow]
    missing: list[Unit]  # the units that have not reported this period, named


def _rhythm(uow: UnitOfWork, district: str, year: int) -> str:
    campaign = uow.session.scalars(
        select(Campaign).where(Campaign.district_code == district, Campaign.insurance_year == year)
    ).first()
    if campaign is None:
        raise YibaoError("CAMPAIGN_UNKNOWN", field="insurance_year", district=district, year=year)
    reporting = get_policy(campaign.policy_id, uow.session).targets.reporting
    return reporting.frequency if reporting is not None else "weekly"


def period_of(rhythm: str, day: date) -> tuple[date, date]:
    """The reporting period a day falls in: the day itself, or its week from Monday to Sunday."""
    if rhythm == "daily":
        return day, day
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)


def district_units(uow: UnitOfWork, district: str) -> list[Unit]:
    """The units that report: the departments with users in the district, then the townships."""
    departments = uow.session.scalars(
        select(User.department)
        .where(User.role == Role.DEPARTMENT.value, User.area_code.startswith(district), User.department.is_not(None))
        .distinct()
        .order_by(User.department)
    ).all()
    townships = uow.session.execute(
        select(Area.code, Area.name).where(Area.level == "township", Area.code.startswith(district)).order_by(Area.code)
    ).all()
    return [Unit(DEPARTMENT, name, f"{name}部门") for name in departments if name] + [
        Unit(TOWNSHIP, code, name) for code, name in townships
    ]


def unit_figures(uow: UnitOfWork, district: str, year: int, unit: Unit, on: date) -> UnitFigures:
    end = end_of_day(on)
    live = and_(Enrollment.insurance_year == year, Enrollment.state.in_(LIVE_ENROLLMENTS))
    if unit.kind in (TOWNSHIP, VILLAGE):
        query = select(counted(Enrollment.registered_at, end), counted(Enrollment.effective_at, end)).where(live)
        if unit.kind == TOWNSHIP:
            query = query.where(Enrollment.township_code == unit.code)
        else:
            query = query.join(Resident, Resident.id == Enrollment.resident_id).where(
                Enrollment.township_code == unit.code[:9] + "000", Resident.village_code == unit.code
            )
        registered, paid = uow.session.execute(query).one()
        return UnitFigures(int(registered or 0), int(registered or 0), int(paid or 0))
    certified = (
        select(IdentityFlag.resident_id)
        .where(
            IdentityFlag.source == unit.code,
            or_(IdentityFlag.valid_from.is_(None), IdentityFlag.valid_from <= on),
            or_(IdentityFlag.valid_to.is_(None), IdentityFlag.valid_to >= on),
        )
        .distinct()
        .subquery()
    )
    people = uow.session.scalar(select(func.count()).select_from(certified)) or 0
    enrolled, paid = uow.session.execute(
        select(counted(Enrollment.registered_at, end), counted(Enrollment.effective_at, end))
        .join(certified, certified.c.resident_id == Enrollment.resident_id)
        .where(live, Enrollment.township_code.startswith(district))
    ).one()
    return UnitFigures(int(people), int(enrolled or 0), int(paid or 0))


def own_unit(uow: UnitOfWork, principal: Principal) -> Unit:
    """The unit a user reports for: a department's user its department, a township's clerk her township."""
    if principal.role is Role.DEPARTMENT:
        department = uow.session.scalar(select(User.department).where(User.id == principal.user_id))
        if department:
            return Unit(DEPARTMENT, department, f"{department}部门")
    if principal.role is Role.TOWNSHIP_OPERATOR:
        name = uow.session.scalar(select(Area.name).where(Area.code == principal.area_code)) or principal.area_code
        return Unit(TOWNSHIP, principal.area_code, name)
    raise YibaoError("UNIT_REPORT_NO_UNIT", field="unit", role=ROLE_NAMES[principal.role])


def village_unit(uow: UnitOfWork, principal: Principal, village_code: str) -> Unit:
    """A 村（居） as a unit reporting to its township: only the township's own clerk (or the district) records it."""
    township = village_code[:9] + "000"
    principal.require(Permission.READ_RESIDENTS)
    principal.require_township(township)
    village = uow.session.get(Area, village_code)
    if village is None or village.parent_code != township:  # as services.registry.areas.check_village refuses
        raise YibaoError("VILLAGE_UNKNOWN", field="village_code", township=township, area=village_code)
    return Unit(VILLAGE, village_code, village.name)


def submit_report(
    uow: UnitOfWork, principal: Principal, year: int, note: str | None = None, village_code: str | None = None
) -> UnitRow:
    """Submit one's unit's figures for the period today falls in, counted now and frozen; with ``village_code``,
    a 村（居）'s figures handed in to its township."""
    unit = village_unit(uow, principal, village_code) if village_code else own_unit(uow, principal)
    today = as_shanghai(uow.now).date()
    start, _ = period_of(_rhythm(uow, principal.district, year), today)
    figures = unit_figures(uow, principal.district, year, unit, today)
    row = UnitReport(
        insurance_year=year,
        district_code=principal.district,
        unit_kind=unit.kind,
        unit_code=unit.code,
        period_start=start,
        people=figures.people,
        enrolled=figures.enrolled,
        paid=figures.paid,
        note=(note or "").strip()[:200] or None,
        actor=uow.actor,
        at=uow.now,
    )
    uow.session.add(row)
    uow.session.flush()
    uow.audit("submit", "unit_report", row.id, None, {"unit": unit.code, "period": start.isoformat()})
    uow.commit()
    return UnitRow(unit, row.at, principal.display_name, figures, row.note)


def period_report(uow: UnitOfWork, principal: Principal, year: int, on: date) -> PeriodReport:
    """The district's units for the period ``on`` falls in: each unit's latest submission, or none."""
    if principal.role not in DISTRICT_ROLES or not principal.may(Permission.READ_RESIDENTS):
        principal.require(Permission.MANAGE_TARGETS)  # the bureau, finance and the inspectors read it
    return _report(uow, principal, year, on, district_units(uow, principal.district))


def township_report(uow: UnitOfWork, principal: Principal, year: int, on: date, township_code: str) -> PeriodReport:
    """A township's 村（居） for the period ``on`` falls in: each one's latest report to the township, or none."""
    principal.require(Permission.READ_RESIDENTS)
    principal.require_township(township_code)
    villages = uow.session.execute(
        select(Area.code, Area.name)
        .where(Area.level == "village", Area.parent_code == township_code)
        .order_by(Area.code)
    ).all()
    return _report(uow, principal, year, on, [Unit(VILLAGE, code, name) for code, name in villages])


def _report(uow: UnitOfWork, principal: Principal, year: int, on: date, units: list[Unit]) -> PeriodReport:
    rhythm = _rhythm(uow, principal.district, year)
    start, end = period_of(rhythm, on)
    latest: dict[tuple[str, str], UnitReport] = {}
    for row in uow.session.scalars(
        select(UnitReport)
        .where(
            UnitReport.district_code == principal.district,
            UnitReport.insurance_year == year,
            UnitReport.period_start == start,
        )
        .order_by(UnitReport.id)
    ):
        latest[(row.unit_kind, row.unit_code)] = row
    names = actor_names(uow.session)
    rows = []
    for unit in units:
        found = latest.get((unit.kind, unit.code))
        if found is None:
            rows.append(UnitRow(unit, None, None, None, None))
            continue
        figures = UnitFigures(found.people, found.enrolled, found.paid)
        rows.append(UnitRow(unit, found.at, actor_name(found.actor, names), figures, found.note))
    return PeriodReport(year, rhythm, start, end, rows, [row.unit for row in rows if row.submitted_at is None])
