"""Progress counts kept as enrollments change, so a progress report reads a few thousand small rows instead of
counting millions of enrollments (see :mod:`yibao.adapters.db.progress_counts`).

Every figure of a report is "enrollments whose moment falls on or before day D and that were not cancelled by
then", so each enrollment adds +1 on its moment's day and −1 on its cancellation's day, per measure. Triggers on
``enrollments`` (migration 0009) append each change to :class:`ProgressChange`, a log that costs a writer one small
insert and never makes two writers wait for each other; the log is folded into :class:`ProgressDay` (the deltas
per day), :class:`ProgressTotal` (their sums) and :class:`ProgressDistrictDay` (a district's per day) by whoever
reads next; the same log, by village (the resident's, which triggers on ``residents`` follow when it changes), into
:class:`ProgressVillageDay` and :class:`ProgressVillageTotal` for the breakdown by village (进度明细).
:class:`PopulationCount` keeps the statistics bureau's counts a coverage goal may be measured
against.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from yibao.adapters.db.base import Base, Instant

MEASURES = ("registered", "assessed", "paid", "covered")


class ProgressChange(Base):
    """Enrollments entering or leaving the counts, with the days their measures begin and their cancellation's
    day, in Shanghai. Written only by the triggers; emptied by the fold."""

    __tablename__ = "progress_changes"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    insurance_year: Mapped[int] = mapped_column(Integer)
    township_code: Mapped[str] = mapped_column(String(12))
    village_code: Mapped[str | None] = mapped_column(String(12))  # the resident's; None where none is recorded
    category: Mapped[str] = mapped_column(String(16))  # general | students | children | special_groups
    weight: Mapped[int] = mapped_column(Integer)  # enrollments entering (> 0) or leaving (< 0) the counts alike
    registered_on: Mapped[date | None] = mapped_column(Date)
    assessed_on: Mapped[date | None] = mapped_column(Date)
    paid_on: Mapped[date | None] = mapped_column(Date)
    covered_on: Mapped[date | None] = mapped_column(Date)  # the later of the payment's day and the cover's start
    cancelled_on: Mapped[date | None] = mapped_column(Date)


class ProgressDay(Base):
    """The change of one measure on one day, per township and category (folded from the log)."""

    __tablename__ = "progress_days"
    insurance_year: Mapped[int] = mapped_column(Integer, primary_key=True)
    measure: Mapped[str] = mapped_column(String(12), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    township_code: Mapped[str] = mapped_column(String(12), primary_key=True)
    category: Mapped[str] = mapped_column(String(16), primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger)
    # The days after a report's, read from the index alone (PostgreSQL's index-only scan, SQLite's covering index).
    __table_args__ = (
        Index("ix_progress_days_year_day", "insurance_year", "day", "measure", "township_code", "category", "count"),
    )


class ProgressTotal(Base):
    """The sum of a measure's changes over every day, per township and category: the count as of the last day."""

    __tablename__ = "progress_totals"
    insurance_year: Mapped[int] = mapped_column(Integer, primary_key=True)
    measure: Mapped[str] = mapped_column(String(12), primary_key=True)
    township_code: Mapped[str] = mapped_column(String(12), primary_key=True)
    category: Mapped[str] = mapped_column(String(16), primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger)


class ProgressDistrictDay(Base):
    """The change of one measure on one day in a whole district (the campaign's daily series, read without
    summing a thousand townships' rows)."""

    __tablename__ = "progress_district_days"
    insurance_year: Mapped[int] = mapped_column(Integer, primary_key=True)
    measure: Mapped[str] = mapped_column(String(12), primary_key=True)
    district_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger)


class ProgressVillageDay(Base):
    """The change of each measure on one day, per village of a township (every category), the measures side by side:
    a district of thousands of villages has a row per village and day, not four. ``village_code`` is "" where the
    resident has no village recorded; a village is counted in the township of the enrollment, as the breakdown
    shows it."""

    __tablename__ = "progress_village_days"
    insurance_year: Mapped[int] = mapped_column(Integer, primary_key=True)
    township_code: Mapped[str] = mapped_column(String(12), primary_key=True)  # one township's days after a report's:
    day: Mapped[date] = mapped_column(Date, primary_key=True)  # one range of the key
    village_code: Mapped[str] = mapped_column(String(12), primary_key=True)
    registered: Mapped[int] = mapped_column(Integer)  # a village's counts: Integer, its sums BigInteger
    assessed: Mapped[int] = mapped_column(Integer)
    paid: Mapped[int] = mapped_column(Integer)
    covered: Mapped[int] = mapped_column(Integer)
    # The district's days after a report's read from the index alone, as ix_progress_days_year_day: the rows
    # themselves lie scattered (one per page) in the order the folds wrote them.
    __table_args__ = (
        Index(
            "ix_progress_village_days_year_day",
            "insurance_year",
            "day",
            "township_code",
            "village_code",
            "registered",
            "assessed",
            "paid",
            "covered",
        ),
    )


class ProgressVillageTotal(Base):
    """The sums of the measures' changes over every day, per village of a township: its counts as of the last day."""

    __tablename__ = "progress_village_totals"
    insurance_year: Mapped[int] = mapped_column(Integer, primary_key=True)
    township_code: Mapped[str] = mapped_column(String(12), primary_key=True)  # one township's villages: a range
    village_code: Mapped[str] = mapped_column(String(12), primary_key=True)
    registered: Mapped[int] = mapped_column(Integer)
    assessed: Mapped[int] = mapped_column(Integer)
    paid: Mapped[int] = mapped_column(Integer)
    covered: Mapped[int] = mapped_column(Integer)


class PopulationCount(Base):
    """A coverage goal's base as a statistics bureau counts it (统计数), per township and insurance year: 嵩明's
    agricultural population “以县统计局统计的农业人口数为准”. Loaded from a bureau's sheet; loading again replaces
    the goal's counts of the year."""

    __tablename__ = "population_counts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    insurance_year: Mapped[int] = mapped_column(Integer)
    district_code: Mapped[str] = mapped_column(String(6))
    goal_id: Mapped[str] = mapped_column(String(80))  # the plan's coverage goal (targets.coverage[].id)
    township_code: Mapped[str] = mapped_column(ForeignKey("areas.code"))
    persons: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(120))  # as the bureau names it: 县统计局2016年末农业人口
    loaded_at: Mapped[datetime] = mapped_column(Instant())
    actor: Mapped[str] = mapped_column(String(64))
    __table_args__ = (
        Index(
            "uq_population_counts_goal_township",
            "insurance_year",
            "district_code",
            "goal_id",
            "township_code",
            unique=True,
        ),
    )


class UnitReport(Base):
    """A unit's progress submitted for a reporting period (a department for the groups it certifies, a township
    for its people), its figures counted by yibao at submission and frozen. Append-only: the latest of a period is
    the unit's report."""

    __tablename__ = "unit_reports"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    insurance_year: Mapped[int] = mapped_column(Integer)
    district_code: Mapped[str] = mapped_column(String(6))
    unit_kind: Mapped[str] = mapped_column(String(16))  # department | township | village
    unit_code: Mapped[str] = mapped_column(String(32))  # the department's name or the township's code
    period_start: Mapped[date] = mapped_column(Date)  # the day (daily) or the Monday (weekly)
    people: Mapped[int] = mapped_column(Integer)
    enrolled: Mapped[int] = mapped_column(Integer)
    paid: Mapped[int] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(String(200))
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(Instant())
    __table_args__ = (Index("ix_unit_reports_period", "district_code", "insurance_year", "period_start"),)
