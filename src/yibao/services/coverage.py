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

from sqlalchemy import func, select

from yibao.adapters.db.tables import NonEnrollmentReason, ReferenceList, ReferenceRow, Resident
from yibao.adapters.db.unit_of_work import UnitOfWork

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
