"""Tables of the system of record. Money is BIGINT fen; instants are stored in UTC; states are readable words.

Codes follow the national platform where it has them (``../shared/reference/national-codes.md``): 险种类型 390,
人员类别 for categories, 参保状态, 生存状态.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from yibao.adapters.db.base import NAMING as NAMING
from yibao.adapters.db.base import Base as Base
from yibao.adapters.db.base import Instant as Instant
from yibao.adapters.db.base import checked_per_statement, one_of

# The money, cross-check and progress tables live in modules of their own; importing them here registers them on
# Base.metadata wherever the tables are loaded (migrations, tests), and keeps `from yibao.adapters.db.tables import
# Payment` working.
from yibao.adapters.db.crosscheck_tables import CrosscheckRun as CrosscheckRun
from yibao.adapters.db.crosscheck_tables import Finding as Finding
from yibao.adapters.db.crosscheck_tables import NonEnrollmentReason as NonEnrollmentReason
from yibao.adapters.db.crosscheck_tables import ReferenceList as ReferenceList
from yibao.adapters.db.crosscheck_tables import ReferenceRow as ReferenceRow
from yibao.adapters.db.money_tables import CashHandover as CashHandover
from yibao.adapters.db.money_tables import Payment as Payment
from yibao.adapters.db.money_tables import PaymentAllocation as PaymentAllocation
from yibao.adapters.db.money_tables import PaymentNotice as PaymentNotice
from yibao.adapters.db.money_tables import PaymentNoticeItem as PaymentNoticeItem
from yibao.adapters.db.money_tables import Statement as Statement
from yibao.adapters.db.money_tables import StatementLine as StatementLine
from yibao.adapters.db.progress_tables import PopulationCount as PopulationCount
from yibao.adapters.db.progress_tables import ProgressChange as ProgressChange
from yibao.adapters.db.progress_tables import ProgressDay as ProgressDay
from yibao.adapters.db.progress_tables import ProgressDistrictDay as ProgressDistrictDay
from yibao.adapters.db.progress_tables import ProgressTotal as ProgressTotal
from yibao.adapters.db.progress_tables import UnitReport as UnitReport
from yibao.adapters.db.register_tables import VillageRegister as VillageRegister
from yibao.adapters.db.register_tables import VillageRegisterLine as VillageRegisterLine
from yibao.adapters.db.register_tables import VillageRegisterStep as VillageRegisterStep
from yibao.adapters.db.register_tables import VillageRegisterVersion as VillageRegisterVersion
from yibao.adapters.db.simulation_tables import Simulation as Simulation
from yibao.domain.states import EnrollmentState, OrganizationKind, SignInOutcome

ROLES = ("district_admin", "township_operator", "department", "institution", "finance", "inspector")
CHANGE_KINDS = (
    "name",
    "id_number",
    "address",
    "phone",
    "township_transfer",
    "village",
    "survival_status",
    "residency",
)


class Area(Base):
    """District → township → village/community, keyed by the 12-digit statistical code."""

    __tablename__ = "areas"
    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(16))
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("areas.code"))
    __table_args__ = (CheckConstraint("level in ('district', 'township', 'village')", name="level"),)


class Resident(Base):
    __tablename__ = "residents"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    id_number: Mapped[str] = mapped_column(String(18), unique=True)
    cert_type: Mapped[str] = mapped_column(String(2), default="01")  # 证件类型 psn_cert_type
    name: Mapped[str] = mapped_column(String(64))
    sex: Mapped[str] = mapped_column(String(8))
    birth_date: Mapped[date] = mapped_column(Date)
    ethnicity: Mapped[str | None] = mapped_column(String(16))
    residency: Mapped[str] = mapped_column(String(24), default="local_hukou")
    phone: Mapped[str | None] = mapped_column(String(20))
    address: Mapped[str | None] = mapped_column(String(200))
    township_code: Mapped[str] = mapped_column(checked_per_statement("areas.code"), index=True)
    village_code: Mapped[str | None] = mapped_column(checked_per_statement("areas.code"))
    survival_status: Mapped[str] = mapped_column(
        String(12), default="alive"
    )  # 生存状态: alive/deceased/missing/unknown
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's declarative hook


class Household(Base):
    """户: a family registered together; the whole household enrolls in one step (整户参保)."""

    __tablename__ = "households"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    township_code: Mapped[str] = mapped_column(checked_per_statement("areas.code"), index=True)
    village_code: Mapped[str | None] = mapped_column(checked_per_statement("areas.code"))
    number: Mapped[str | None] = mapped_column(String(32))  # 户号 as the village writes it
    address: Mapped[str | None] = mapped_column(String(200))


class HouseholdMember(Base):
    __tablename__ = "household_members"
    household_id: Mapped[int] = mapped_column(checked_per_statement("households.id"), primary_key=True)
    resident_id: Mapped[int] = mapped_column(checked_per_statement("residents.id"), primary_key=True, unique=True)
    relation: Mapped[str] = mapped_column(String(16))  # 与户主关系: 户主, 配偶, 子女, 父母, 其他


class IdentityFlag(Base):
    """A special-group identity (低保, 重度残疾 …) as a department certified it, with its validity — or as a clerk or a
    roster claimed it (source 柜台 or 名册, see :mod:`yibao.domain.certification`), with what the clerk saw."""

    __tablename__ = "identity_flags"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resident_id: Mapped[int] = mapped_column(checked_per_statement("residents.id"), index=True)
    identity: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(32))  # 民政, 残联, 退役军人, 老干部, 乡村振兴, 教育 … or 柜台, 名册
    evidence: Mapped[str | None] = mapped_column(String(100))  # a claim's certificate and number (低保证 …第123号)
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)


class Organization(Base):
    """A school, kindergarten, nursery, welfare institution or university that enrolls its own people (代收代缴) in one
    township."""

    __tablename__ = "organizations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(24))
    township_code: Mapped[str] = mapped_column(ForeignKey("areas.code"), index=True)
    __table_args__ = (one_of("kind", OrganizationKind),)


class Enrollment(Base):
    """One resident in one insurance year, with the assessment frozen as it was computed."""

    __tablename__ = "enrollments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resident_id: Mapped[int] = mapped_column(checked_per_statement("residents.id"), index=True)
    household_id: Mapped[int | None] = mapped_column(checked_per_statement("households.id"))
    insurance_year: Mapped[int] = mapped_column(Integer)
    insurance_type: Mapped[str] = mapped_column(String(3), default="390")  # 险种类型
    policy_id: Mapped[str] = mapped_column(String(80))
    policy_hash: Mapped[str] = mapped_column(String(64))  # sha256 of the policy file the figures came from
    township_code: Mapped[str] = mapped_column(checked_per_statement("areas.code"), index=True)
    channel: Mapped[str] = mapped_column(String(24))
    organization_id: Mapped[int | None] = mapped_column(checked_per_statement("organizations.id"), index=True)
    state: Mapped[str] = mapped_column(String(16))
    # Requested category and tier (None: the plan's default); the assessment replaces them with what applies.
    category: Mapped[str | None] = mapped_column(String(16))
    tier: Mapped[str | None] = mapped_column(String(32))
    benefit_tier: Mapped[str | None] = mapped_column(String(32))
    financing_total_fen: Mapped[int | None] = mapped_column(BigInteger)
    government_subsidy_fen: Mapped[int | None] = mapped_column(BigInteger)
    assisted_subsidy_fen: Mapped[int | None] = mapped_column(BigInteger)
    individual_due_fen: Mapped[int | None] = mapped_column(BigInteger)
    assisted_by_payer_fen: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    benefit_start: Mapped[date | None] = mapped_column(Date)
    benefit_end: Mapped[date | None] = mapped_column(Date)
    rules: Mapped[list[str]] = mapped_column(JSON, default=list)
    assumptions: Mapped[list[str]] = mapped_column(JSON, default=list)
    registered_at: Mapped[datetime] = mapped_column(Instant())
    assessed_at: Mapped[datetime | None] = mapped_column(Instant())
    # When the money was complete (the payment moment), and when it was cancelled: progress is counted as of any
    # day from these, with no nightly batch.
    effective_at: Mapped[datetime | None] = mapped_column(Instant())
    cancelled_at: Mapped[datetime | None] = mapped_column(Instant())
    __table_args__ = (
        one_of("state", EnrollmentState),
        # One live enrollment per resident and year, across all townships: the database decides, so two clerks
        # enrolling the same person at the same moment cannot both succeed. A cancelled one does not count.
        Index(
            "uq_enrollments_resident_year_live",
            "resident_id",
            "insurance_year",
            unique=True,
            sqlite_where=text(f"state <> '{EnrollmentState.CANCELLED}'"),
            postgresql_where=text(f"state <> '{EnrollmentState.CANCELLED}'"),
        ),
    )


class AuditEntry(Base):
    """Append-only: who changed what, when, from what to what."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(Instant())
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(64))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    __table_args__ = (Index("ix_audit_log_entity", "entity", "entity_id"),)


class ResidentChange(Base):
    """Append-only: one information change (信息变更) of a resident, with the reason the clerk gave."""

    __tablename__ = "resident_changes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    before: Mapped[str | None] = mapped_column(String(200))
    after: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(String(200))
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(Instant())
    __table_args__ = (CheckConstraint(f"kind in {CHANGE_KINDS!r}", name="kind"),)


class RosterImport(Base):
    """One roster file imported (or checked, in a dry run): what it held and what came of it, row by row counted."""

    __tablename__ = "roster_imports"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    file_name: Mapped[str] = mapped_column(String(200))
    file_sha256: Mapped[str] = mapped_column(String(64), index=True)
    township_code: Mapped[str] = mapped_column(ForeignKey("areas.code"), index=True)
    policy_id: Mapped[str] = mapped_column(String(80))
    channel: Mapped[str] = mapped_column(String(24))
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(Instant())
    dry_run: Mapped[bool] = mapped_column(Boolean)
    rows: Mapped[int] = mapped_column(Integer)
    created: Mapped[int] = mapped_column(Integer)
    updated: Mapped[int] = mapped_column(Integer)
    unchanged: Mapped[int] = mapped_column(Integer)
    errors: Mapped[int] = mapped_column(Integer)  # rows with at least one error
    error_counts: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)  # code -> rows


class ListImport(Base):
    """One department list imported (民政's 低保 list, 残联's 重度残疾 list …): its identity flags and what came of
    it. A dry run is not recorded."""

    __tablename__ = "list_imports"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    department: Mapped[str] = mapped_column(String(32))  # the source the flags carry: 民政, 残联 …
    file_name: Mapped[str] = mapped_column(String(200))
    file_sha256: Mapped[str] = mapped_column(String(64), index=True)
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(Instant())
    rows: Mapped[int] = mapped_column(Integer)
    flagged: Mapped[int] = mapped_column(Integer)  # identity flags recorded
    unchanged: Mapped[int] = mapped_column(Integer)  # rows whose flag was on record already
    not_registered: Mapped[int] = mapped_column(Integer)  # people the registry does not know
    errors: Mapped[int] = mapped_column(Integer)
    reassessed: Mapped[int] = mapped_column(Integer)  # enrollments assessed again with the new identities
    error_counts: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)


class User(Base):
    """A person who signs in. ``area_code`` is the district or township the role applies to."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(24))
    area_code: Mapped[str] = mapped_column(ForeignKey("areas.code"))
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    department: Mapped[str | None] = mapped_column(String(32))  # for department users: 民政, 残联 …
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(Instant())
    __table_args__ = (CheckConstraint(f"role in {ROLES!r}", name="role"),)


class ApiToken(Base):
    """A bearer token (API) or a sign-in session (web). Only its SHA-256 is stored, never the token."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(8))  # api | web
    label: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(Instant())
    expires_at: Mapped[datetime] = mapped_column(Instant())
    revoked_at: Mapped[datetime | None] = mapped_column(Instant())
    __table_args__ = (CheckConstraint("kind in ('api', 'web')", name="kind"),)


class SignInAttempt(Base):
    """Each attempt to sign in (and each unlock by an admin): the account is locked after repeated wrong passwords,
    and an address that tries many accounts is slowed down. Kept apart from the audit log, which records the same
    events for people to read: these rows are counted on every sign-in."""

    __tablename__ = "sign_in_attempts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(Instant())
    username: Mapped[str] = mapped_column(String(64))
    address: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16))
    __table_args__ = (
        one_of("outcome", SignInOutcome),
        Index("ix_sign_in_attempts_username_at", "username", "at"),
        Index("ix_sign_in_attempts_address_at", "address", "at"),
    )


TARGET_CATEGORIES = ("all", "general", "students", "special_groups")


class Target(Base):
    """任务指标: persons to enroll in an insurance year, for a township (or the district, or an institution named
    in the plan), by category; from the plan's table or a bureau's own sheet."""

    __tablename__ = "targets"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    insurance_year: Mapped[int] = mapped_column(Integer)
    district_code: Mapped[str] = mapped_column(String(6))
    area_code: Mapped[str | None] = mapped_column(ForeignKey("areas.code"))  # None: a unit that is no area
    unit: Mapped[str] = mapped_column(String(64))  # as the plan names it
    unit_kind: Mapped[str] = mapped_column(String(16))  # district | township | institution | unmatched
    includes: Mapped[list[str]] = mapped_column(JSON, default=list)  # area codes counted with this unit
    # An institution's target counts the enrollments its organization made (bound by name, see targets.py).
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    category: Mapped[str] = mapped_column(String(16))
    persons: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(120))  # policy:<id> or the file imported
    loaded_at: Mapped[datetime] = mapped_column(Instant())
    actor: Mapped[str] = mapped_column(String(64))
    __table_args__ = (
        CheckConstraint(f"category in {TARGET_CATEGORIES!r}", name="category"),
        Index("uq_targets_year_unit_category", "insurance_year", "district_code", "unit", "category", unique=True),
    )


class StoredPolicy(Base):
    """A plan a bureau added (``yibao policy add``): each revision kept whole, never changed, with the text it
    quotes. The bundled plans are not stored; a stored plan never takes a bundled plan's id."""

    __tablename__ = "stored_policies"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    policy_id: Mapped[str] = mapped_column(String(80))
    revision: Mapped[int] = mapped_column(Integer)  # 1, 2 …: a correction is a new revision
    name: Mapped[str] = mapped_column(String(200))
    region_code: Mapped[str] = mapped_column(String(12))
    insurance_year: Mapped[int] = mapped_column(Integer)
    yaml_text: Mapped[str] = mapped_column(Text)
    document_text: Mapped[str | None] = mapped_column(Text)  # the published plan, for checking quotations
    sha256: Mapped[str] = mapped_column(String(64))  # of yaml_text, frozen with every assessment made from it
    file_name: Mapped[str] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(String(200))  # what a revision corrects
    added_at: Mapped[datetime] = mapped_column(Instant())
    actor: Mapped[str] = mapped_column(String(64))
    __table_args__ = (
        CheckConstraint("revision >= 1", name="revision"),
        Index("uq_stored_policies_revision", "policy_id", "revision", unique=True),
    )


class Campaign(Base):
    """A district's campaign (参保缴费工作) for one insurance year, bound to one plan: opened by the district admin,
    closed when its work is done. Several may be open at once (next year's window while this year's newborns
    still register)."""

    __tablename__ = "campaigns"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    district_code: Mapped[str] = mapped_column(String(6))
    insurance_year: Mapped[int] = mapped_column(Integer)
    policy_id: Mapped[str] = mapped_column(String(80))
    opened_at: Mapped[datetime] = mapped_column(Instant())
    opened_by: Mapped[str] = mapped_column(String(64))
    closed_at: Mapped[datetime | None] = mapped_column(Instant())
    closed_by: Mapped[str | None] = mapped_column(String(64))
    __table_args__ = (Index("uq_campaigns_district_year", "district_code", "insurance_year", unique=True),)


class JobCommit(Base):
    """A background job whose work committed, written in the same transaction: its state file may say it was
    still running when its process died, but what it wrote is in (the job reads as committed, not interrupted)."""

    __tablename__ = "job_commits"
    job_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    at: Mapped[datetime] = mapped_column(Instant())
