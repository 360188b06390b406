"""Progress broken down (参保进度明细) by village, channel or category, for the district or one township, as of
any day: registered, assessed, paid and covered to date, and paid on that day itself — counted from the
enrollments at request time (:mod:`yibao.services.progress.live`)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy import select

from yibao.adapters.db.tables import Area, Enrollment, Resident, Target
from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.domain.errors import YibaoError
from yibao.domain.progress import completion
from yibao.domain.timeutil import end_of_day
from yibao.domain.vocabulary import CHANNELS
from yibao.services.access import Permission, Principal, Role
from yibao.services.policy.campaigns import campaign_policy
from yibao.services.policy.plans import district_policies
from yibao.services.progress.live import category_of, counted

Dimension = Literal["township", "village", "channel", "category"]
DIMENSIONS: dict[str, str] = {
    "township": "镇（街）",
    "village": "村（居）",
    "channel": "参保渠道",
    "category": "人员类别",
}
CATEGORY_NAMES = {
    "general": "一般居民",
    "students": "在校学生",
    "children": "儿童（含新生儿）",
    "special_groups": "特殊群体（资助参保）",
}


class BreakdownRow(BaseModel):
    key: str  # a code (township, village), a channel or a category; "" where none is recorded
    name: str
    township_name: str | None = None  # by village: the township it is in (names repeat across townships)
    registered: int
    assessed: int
    paid: int
    covered: int
    paid_on_day: int  # paid during the day itself (today's figure of a daily report)
    target: int | None = None  # a village's target (all categories) where the bureau set one
    completion: float | None = None


class ProgressBreakdown(BaseModel):
    insurance_year: int
    on: date
    by: str
    by_name: str
    township_code: str | None
    rows: list[BreakdownRow]


def progress_breakdown(
    uow: UnitOfWork,
    principal: Principal,
    on: date,
    by: str,
    township_code: str | None = None,
    insurance_year: int | None = None,
) -> ProgressBreakdown:
    principal.require(Permission.READ_RESIDENTS)
    if by not in DIMENSIONS:
        allowed = "、".join(f"{key}（{name}）" for key, name in DIMENSIONS.items())
        raise YibaoError("BREAKDOWN_UNKNOWN", field="by", value=by, allowed=allowed)
    if by == "village" and township_code is None and principal.role is Role.TOWNSHIP_OPERATOR:
        township_code = principal.area_code  # a township's villages are its own: never every township's
    if township_code is not None:
        principal.require_township(township_code)
    year = _year(uow, principal.district, on, insurance_year)
    key = _dimension(by)
    end, day_before = end_of_day(on), end_of_day(on - timedelta(days=1))
    # By village, each township's villages apart: the same village name (and "no village") in two townships
    # are two rows, each with its township.
    groups = [Enrollment.township_code.label("township"), key] if by == "village" else [key]

    query = (
        select(
            *groups,
            counted(Enrollment.registered_at, end),
            counted(Enrollment.assessed_at, end),
            counted(Enrollment.effective_at, end),
            counted(Enrollment.effective_at, end, Enrollment.benefit_start <= on),
            counted(Enrollment.effective_at, day_before),
        )
        .select_from(Enrollment)
        .join(Resident, Resident.id == Enrollment.resident_id)
        .where(Enrollment.insurance_year == year, Enrollment.township_code.startswith(principal.district))
        .group_by(*groups)
        .order_by(*(column.asc().nulls_last() for column in groups))  # 未登记 last, on both databases
    )
    if township_code is not None:
        query = query.where(Enrollment.township_code == township_code)
    names = _names(uow, principal.district, by)  # by village: every area's, the townships' too
    rows = []
    for found in uow.session.execute(query).all():
        values = list(found)
        township: str | None = values.pop(0) if by == "village" else None
        value, registered, assessed, paid, covered, paid_before = values
        rows.append(
            BreakdownRow(
                key=value or "",
                name=names.get(value or "", value or "（未登记）"),
                township_name=names.get(township, township) if township else None,
                registered=int(registered or 0),
                assessed=int(assessed or 0),
                paid=int(paid or 0),
                covered=int(covered or 0),
                paid_on_day=int(paid or 0) - int(paid_before or 0),
            )
        )
    if by == "village":
        targets = dict(
            uow.session.execute(
                select(Target.area_code, Target.persons).where(
                    Target.insurance_year == year,
                    Target.district_code == principal.district,
                    Target.unit_kind == "village",
                    Target.category == "all",
                )
            ).all()
        )
        for row in rows:
            row.target = targets.get(row.key)
            row.completion = completion(row.paid, row.target)
    return ProgressBreakdown(
        insurance_year=year, on=on, by=by, by_name=DIMENSIONS[by], township_code=township_code, rows=rows
    )


def _dimension(by: str) -> Any:
    if by == "township":
        return Enrollment.township_code.label("key")
    if by == "village":
        return Resident.village_code.label("key")
    if by == "channel":
        return Enrollment.channel.label("key")
    return category_of().label("key")


def _names(uow: UnitOfWork, district: str, by: str) -> dict[str, str]:
    if by in ("township", "village"):
        return dict(uow.session.execute(select(Area.code, Area.name).where(Area.code.startswith(district))).all())
    return dict(CHANNELS) if by == "channel" else dict(CATEGORY_NAMES)


def _year(uow: UnitOfWork, district: str, on: date, insurance_year: int | None) -> int:
    if insurance_year is None:
        return campaign_policy(district, on, uow.session).insurance_year
    if not any(policy.insurance_year == insurance_year for policy in district_policies(district, uow.session)):
        raise YibaoError("POLICY_NONE_FOR_DISTRICT", field="insurance_year", district=district)
    return insurance_year
