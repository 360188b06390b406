"""Progress counted from the enrollments themselves at request time, where the kept counts (by township and
category, see :mod:`yibao.adapters.db.progress_counts`) do not reach: a village breakdown, and an institution
the plan gives a target of its own (静海's 天津大学仁爱学院), counted from the enrollments it made.

Counted as the kept counts are: an enrollment counts as registered from ``registered_at``, assessed from
``assessed_at``, paid from ``effective_at``, covered once its cover has begun, and none of it after
``cancelled_at``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.orm import Session

from yibao.adapters.db.tables import Enrollment
from yibao.domain.timeutil import end_of_day


def category_of() -> ColumnElement[str]:
    """The category a target counts an enrollment in: special groups (资助参保) first, then students in school,
    then children (a plan's students column may count them, see :func:`yibao.services.progress.report.bucket`).
    (The kept counts derive it alike, in the triggers of migration 0019.)"""
    return case(
        (func.coalesce(Enrollment.assisted_subsidy_fen, 0) > 0, "special_groups"),
        (Enrollment.category == "student", "students"),
        (Enrollment.category.in_(["child", "newborn"]), "children"),
        else_="general",
    )


def counted(moment: Any, at: datetime, *more: ColumnElement[bool]) -> Any:
    """How many enrollments had reached ``moment`` by ``at`` and were not cancelled then."""
    alive = or_(Enrollment.cancelled_at.is_(None), Enrollment.cancelled_at > at)
    return func.sum(case((and_(moment.is_not(None), moment <= at, alive, *more), 1), else_=0))


def institution_counts(
    session: Session,
    insurance_year: int,
    organization_ids: Sequence[int],
    on: date,
    last_report: date,
    pace_from: date,
) -> dict[int, list[tuple[str, str, list[int]]]]:
    """Per organization, its enrollments per township and category with the six figures of the report
    (registered, assessed, paid, covered as of the end of ``on``; paid at the last report; paid at the start of
    the recent pace) — the shape of the kept counts, so that an institution is a unit like a township and its
    enrollments can be taken out of the townships they were registered in."""
    if not organization_ids:
        return {}
    end = end_of_day(on)
    category = category_of().label("category")
    query = (
        select(
            Enrollment.organization_id,
            Enrollment.township_code,
            category,
            counted(Enrollment.registered_at, end),
            counted(Enrollment.assessed_at, end),
            counted(Enrollment.effective_at, end),
            counted(Enrollment.effective_at, end, Enrollment.benefit_start <= on),
            counted(Enrollment.effective_at, end_of_day(last_report)),
            counted(Enrollment.effective_at, end_of_day(pace_from)),
        )
        .where(Enrollment.organization_id.in_(organization_ids), Enrollment.insurance_year == insurance_year)
        .group_by(Enrollment.organization_id, Enrollment.township_code, category)
    )
    found: dict[int, list[tuple[str, str, list[int]]]] = {}
    for organization, township, key, *values in session.execute(query).all():
        found.setdefault(int(organization), []).append((township, key, [int(value or 0) for value in values]))
    return found
