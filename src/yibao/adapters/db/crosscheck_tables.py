"""Tables of the cross-checks (信息比对): other departments' reference lists, the runs, their findings with the
village staff's follow-up, and the register of reasons for non-enrollment (未参保原因登记)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from yibao.adapters.db.base import Base, Instant, one_of
from yibao.domain.states import FindingStatus

REFERENCE_KINDS = (
    "population",
    "deaths",
    "students",
    "tax_payments",
    "last_year_enrollment",
    "insured_elsewhere",
)
REASON_CODES = (
    "insured_elsewhere",
    "employee_insurance",
    "military_service",
    "deceased",
    "unreachable",
    "refused",
    "other",
)


class ReferenceList(Base):
    """One list a department handed in (公安's register, 民政's deaths, 税务's payments …) as of a date. Lists are
    never changed: a newer one is a new version, and the cross-check takes each source's latest."""

    __tablename__ = "reference_lists"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(24))
    source: Mapped[str] = mapped_column(String(32))  # the department: 公安, 民政, 税务 …
    as_of: Mapped[date] = mapped_column(Date)
    insurance_year: Mapped[int | None] = mapped_column(Integer)  # for lists about one year (tax, enrollment)
    district_code: Mapped[str] = mapped_column(String(6))
    file_name: Mapped[str] = mapped_column(String(200))
    file_sha256: Mapped[str] = mapped_column(String(64), index=True)
    rows: Mapped[int] = mapped_column(Integer)  # rows in the file
    stored: Mapped[int] = mapped_column(Integer)  # rows kept (the others had errors)
    errors: Mapped[int] = mapped_column(Integer)
    error_counts: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    # People kept per township code ("" where neither the list nor the registry names one): a register's counts
    # are the base population of the coverage rates, read without counting millions of rows at each report.
    township_counts: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(Instant())
    __table_args__ = (CheckConstraint(f"kind in {REFERENCE_KINDS!r}", name="kind"),)


class ReferenceRow(Base):
    """One person on a reference list, with what the list says of them: a date (of death, of payment), an amount
    (paid, in fen), a detail (the school, the place insured)."""

    __tablename__ = "reference_rows"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("reference_lists.id"), index=True)
    row: Mapped[int] = mapped_column(Integer)  # the row's number in the file
    id_number: Mapped[str] = mapped_column(String(18), index=True)
    name: Mapped[str] = mapped_column(String(64))
    township_code: Mapped[str | None] = mapped_column(String(12))
    village_code: Mapped[str | None] = mapped_column(String(12))
    event_date: Mapped[date | None] = mapped_column(Date)
    amount_fen: Mapped[int | None] = mapped_column(BigInteger)
    detail: Mapped[str | None] = mapped_column(String(100))
    insurance_type: Mapped[str | None] = mapped_column(String(3))  # 险种类型: 390 residents, 310 employees


class CrosscheckRun(Base):
    """One run of the cross-checks: on which engine, over which lists, and how many findings of each kind."""

    __tablename__ = "crosscheck_runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    insurance_year: Mapped[int] = mapped_column(Integer)
    district_code: Mapped[str] = mapped_column(String(6))
    policy_id: Mapped[str] = mapped_column(String(80))
    engine: Mapped[str] = mapped_column(String(16))
    list_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    counts: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)  # kind -> findings
    new_findings: Mapped[int] = mapped_column(Integer)
    cleared_findings: Mapped[int] = mapped_column(Integer)
    seconds: Mapped[float] = mapped_column()
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(Instant())


class Finding(Base):
    """A person a cross-check found, with its evidence and the follow-up village staff record. A later run that
    finds the same (kind, person, township) keeps the follow-up; one that no longer finds it clears it."""

    __tablename__ = "findings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    insurance_year: Mapped[int] = mapped_column(Integer)
    district_code: Mapped[str] = mapped_column(String(6))
    kind: Mapped[str] = mapped_column(String(32))
    code: Mapped[str | None] = mapped_column(String(32))  # the rule's sub-case (lapsed/never, a mismatch's direction)
    id_number: Mapped[str] = mapped_column(String(18))
    name: Mapped[str] = mapped_column(String(64))
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id"))
    township_code: Mapped[str] = mapped_column(String(12))  # "" where no list names a township
    village_code: Mapped[str | None] = mapped_column(String(12))
    list_id: Mapped[int | None] = mapped_column(ForeignKey("reference_lists.id"))
    evidence_date: Mapped[date | None] = mapped_column(Date)
    amount_fen: Mapped[int | None] = mapped_column(BigInteger)
    detail: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16), default=FindingStatus.OPEN.code)
    note: Mapped[str | None] = mapped_column(String(200))
    status_by: Mapped[str | None] = mapped_column(String(64))
    status_at: Mapped[datetime | None] = mapped_column(Instant())
    first_run_id: Mapped[int] = mapped_column(ForeignKey("crosscheck_runs.id"))
    last_run_id: Mapped[int] = mapped_column(ForeignKey("crosscheck_runs.id"), index=True)
    current: Mapped[bool] = mapped_column(Boolean)  # found by the latest run
    __table_args__ = (
        one_of("status", FindingStatus),
        Index("uq_findings_key", "insurance_year", "district_code", "kind", "id_number", "township_code", unique=True),
        Index("ix_findings_township", "insurance_year", "township_code", "kind"),
    )


class NonEnrollmentReason(Base):
    """未参保原因登记: why a person cannot or will not enroll this year. Append-only: a correction withdraws the
    old entry (withdrawn_at) and records a new one; the latest entry not withdrawn is the reason."""

    __tablename__ = "non_enrollment_reasons"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    insurance_year: Mapped[int] = mapped_column(Integer)
    district_code: Mapped[str] = mapped_column(String(6))
    id_number: Mapped[str] = mapped_column(String(18))
    name: Mapped[str] = mapped_column(String(64))
    township_code: Mapped[str] = mapped_column(String(12))
    village_code: Mapped[str | None] = mapped_column(String(12))  # the 村（居） whose register holds it
    reason: Mapped[str] = mapped_column(String(24))
    note: Mapped[str | None] = mapped_column(String(200))
    recorded_on: Mapped[date | None] = mapped_column(Date)  # the day written on the paper register (登记日期)
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(Instant())
    withdrawn_at: Mapped[datetime | None] = mapped_column(Instant())
    withdrawn_by: Mapped[str | None] = mapped_column(String(64))
    __table_args__ = (
        CheckConstraint(f"reason in {REASON_CODES!r}", name="reason"),
        Index("ix_non_enrollment_reasons_person", "insurance_year", "id_number"),
    )
