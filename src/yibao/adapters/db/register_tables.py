"""A 村（居）'s 登记册 in the review chain (see :mod:`yibao.domain.registers`): the register and where it stands,
its electronic roster as it stands, each version of that roster with the checksum printed on its paper, and the
register's history — who did what, when, with which remarks."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from yibao.adapters.db.base import Base, Instant, one_of
from yibao.domain.states import RegisterAction, RegisterState


class VillageRegister(Base):
    """One 登记册: a village's people collected for, with the cash, handed to the township office for review."""

    __tablename__ = "village_registers"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)  # 登记册编号, given at submission
    insurance_year: Mapped[int] = mapped_column(Integer)
    township_code: Mapped[str] = mapped_column(ForeignKey("areas.code"), index=True)
    village_code: Mapped[str] = mapped_column(ForeignKey("areas.code"))
    collector: Mapped[str] = mapped_column(String(64))  # the village's collector who hands the register in
    cash_fen: Mapped[int] = mapped_column(BigInteger)  # the cash the village says it collected
    people: Mapped[int] = mapped_column(Integer)
    total_fen: Mapped[int] = mapped_column(BigInteger)  # the roster's sum
    version: Mapped[int] = mapped_column(Integer)  # of the electronic roster: 1 at submission, +1 per correction
    state: Mapped[str] = mapped_column(String(16))
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"))  # the deposit, once made
    deposit_reference: Mapped[str | None] = mapped_column(String(64))  # the bank's 缴款凭证号
    submitted_at: Mapped[datetime] = mapped_column(Instant())
    updated_at: Mapped[datetime] = mapped_column(Instant())
    __table_args__ = (one_of("state", RegisterState),)


class VillageRegisterLine(Base):
    """A person on the register's electronic roster as it stands now."""

    __tablename__ = "village_register_lines"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    register_id: Mapped[int] = mapped_column(ForeignKey("village_registers.id"), index=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollments.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"))
    collected_fen: Mapped[int] = mapped_column(BigInteger)


class VillageRegisterVersion(Base):
    """One version of the electronic roster, as its paper prints it: the checksum, the totals and each household's
    digest (JSON: household id → [people, fen, digest]), kept so a paper printed earlier is recognised and its
    differing households named."""

    __tablename__ = "village_register_versions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    register_id: Mapped[int] = mapped_column(ForeignKey("village_registers.id"))
    version: Mapped[int] = mapped_column(Integer)
    checksum: Mapped[str] = mapped_column(String(24))
    people: Mapped[int] = mapped_column(Integer)
    total_fen: Mapped[int] = mapped_column(BigInteger)
    households: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(Instant())
    __table_args__ = (Index("uq_village_register_versions_version", "register_id", "version", unique=True),)


class VillageRegisterStep(Base):
    """The register's history, append-only: a submission, a correction, a step passed, a return with its reasons."""

    __tablename__ = "village_register_steps"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    register_id: Mapped[int] = mapped_column(ForeignKey("village_registers.id"), index=True)
    action: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer)  # of the roster the action saw
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(Instant())
    remarks: Mapped[str | None] = mapped_column(String(500))
    findings: Mapped[str | None] = mapped_column(Text)  # JSON: what the check found (people vs money, paper)
    __table_args__ = (one_of("action", RegisterAction),)
