"""Progress broken down (参保进度明细) by village, channel or category, for the district or one township, as of
any day: registered, assessed, paid and covered to date, and paid on that day itself. By village, read from the
counts kept per village (:mod:`yibao.adapters.db.progress_village_counts`): a district's thousands of villages
answer as fast as one township's; by channel, category or township, counted from the enrollments at request time
(:mod:`yibao.services.progress.live`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any, Literal

from pydantic import BaseModel, TypeAdapter
from sqlalchemy import select

from yibao.adapters.db import progress_counts
from yibao.adapters.db.progress_village_counts import read_villages
from yibao.adapters.db.tables import Area, Enrollment, Target
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


ROWS = TypeAdapter(list[BreakdownRow])


class ProgressBreakdown(BaseModel):
    insurance_year: int
    on: date
    by: str
    by_name: str
    township_code: str | None
    rows: list[BreakdownRow]
    uncounted_changes: int = 0  # by village: changes of a load still being counted (see ProgressReport)


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
    uncounted = 0
    counted_rows: Sequence[Sequence[Any]]
    names: dict[str, str]
    if by == "village":
        connection = uow.session.connection()
        uncounted = progress_counts.before_reading(uow.session.get_bind().engine, connection, exact=False)
        found = read_villages(connection, year, principal.district, township_code, on, uncounted)
        counted_rows = [(v.township_code, v.village_code or None, *v[2:7]) for v in found]
        names = {code: name for v in found for code, name in zip(v[:2], v[7:], strict=True) if name is not None}
    else:
        counted_rows = _counted(uow, principal, year, on, by, township_code)
        names = _names(uow, principal.district, by)
    targets = _village_targets(uow, principal.district, year) if by == "village" else {}
    rows = []
    for counted_row in counted_rows:
        values: list[Any] = list(counted_row)
        township: str | None = values.pop(0) if by == "village" else None
        value, registered, assessed, paid, covered, paid_before = values
        target = targets.get(value) if value else None
        rows.append(
            {
                "key": value or "",
                "name": names.get(value or "", value or "（未登记）"),
                "township_name": names.get(township, township) if township else None,
                "registered": registered or 0,
                "assessed": assessed or 0,
                "paid": paid or 0,
                "covered": covered or 0,
                "paid_on_day": (paid or 0) - (paid_before or 0),
                "target": target,
                "completion": completion(paid or 0, target),
            }
        )
    return ProgressBreakdown(
        insurance_year=year,
        on=on,
        by=by,
        by_name=DIMENSIONS[by],
        township_code=township_code,
        rows=ROWS.validate_python(rows),  # one call for the list: a district's villages are thousands
        uncounted_changes=uncounted,
    )


def _village_targets(uow: UnitOfWork, district: str, year: int) -> dict[str, int]:
    """The villages' targets (all categories) where the bureau set them."""
    found = uow.session.execute(
        select(Target.area_code, Target.persons).where(
            Target.insurance_year == year,
            Target.district_code == district,
            Target.unit_kind == "village",
            Target.category == "all",
        )
    )
    return {code: persons for code, persons in found if code}


def _counted(
    uow: UnitOfWork, principal: Principal, year: int, on: date, by: str, township_code: str | None
) -> Sequence[Sequence[Any]]:
    """By channel, category or township: counted from the enrollments at request time."""
    key = _dimension(by)
    end, day_before = end_of_day(on), end_of_day(on - timedelta(days=1))
    query = (
        select(
            key,
            counted(Enrollment.registered_at, end),
            counted(Enrollment.assessed_at, end),
            counted(Enrollment.effective_at, end),
            counted(Enrollment.effective_at, end, Enrollment.benefit_start <= on),
            counted(Enrollment.effective_at, day_before),
        )
        .select_from(Enrollment)
        .where(Enrollment.insurance_year == year, Enrollment.township_code.startswith(principal.district))
        .group_by(key)
        .order_by(key.asc().nulls_last())
    )
    if township_code is not None:
        query = query.where(Enrollment.township_code == township_code)
    return uow.session.execute(query).all()


def _dimension(by: str) -> Any:
    if by == "township":
        return Enrollment.township_code.label("key")
    if by == "channel":
        return Enrollment.channel.label("key")
    return category_of().label("key")


def _names(uow: UnitOfWork, district: str, by: str) -> dict[str, str]:
    """What a breakdown by township, channel or category calls its keys (by village, the read names them)."""
    if by == "township":
        townships = select(Area.code, Area.name).where(Area.code.startswith(district), Area.level == "township")
        return dict(uow.session.connection().execute(townships).all())
    return dict(CHANNELS) if by == "channel" else dict(CATEGORY_NAMES)


def _year(uow: UnitOfWork, district: str, on: date, insurance_year: int | None) -> int:
    if insurance_year is None:
        return campaign_policy(district, on, uow.session).insurance_year
    if not any(policy.insurance_year == insurance_year for policy in district_policies(district, uow.session)):
        raise YibaoError("POLICY_NONE_FOR_DISTRICT", field="insurance_year", district=district)
    return insurance_year
