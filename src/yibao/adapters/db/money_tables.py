"""Tables of money: payment notices and their items, payments (append-only, reversals and refunds as rows of
their own), allocations of payments to enrollments, and bank or tax statements with their lines."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, CheckConstraint, Date, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from yibao.adapters.db.base import Base, Instant, checked_per_statement, one_of
from yibao.domain.states import PaymentKind, StatementLineState


class PaymentNotice(Base):
    """缴费通知单: what a household (or one person) is to pay, frozen when it is issued. A notice issued again for
    the same people voids the earlier one; what was paid on it stays paid."""

    __tablename__ = "payment_notices"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str | None] = mapped_column(String(24), unique=True)  # set from the id right after insert
    insurance_year: Mapped[int] = mapped_column(Integer)
    township_code: Mapped[str] = mapped_column(ForeignKey("areas.code"), index=True)
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"), index=True)
    payer_name: Mapped[str] = mapped_column(String(64))  # the head of household, or the person
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    due_at: Mapped[datetime] = mapped_column(Instant())
    issued_at: Mapped[datetime] = mapped_column(Instant())
    actor: Mapped[str] = mapped_column(String(64))
    voided_at: Mapped[datetime | None] = mapped_column(Instant())
    void_reason: Mapped[str | None] = mapped_column(String(200))


class PaymentNoticeItem(Base):
    __tablename__ = "payment_notice_items"
    notice_id: Mapped[int] = mapped_column(ForeignKey("payment_notices.id"), primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollments.id"), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(Integer)
    amount_fen: Mapped[int] = mapped_column(BigInteger)  # what this person owed when the notice was issued


class Payment(Base):
    """Append-only money row. A payment is positive; its reversal or a refund out of it is a negative row that
    names it (``original_id``). The same channel transaction is one row: the database refuses a second."""

    __tablename__ = "payments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))
    channel: Mapped[str] = mapped_column(String(16))
    transaction_id: Mapped[str | None] = mapped_column(String(64))  # the channel's own id; null for our own rows
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    insurance_year: Mapped[int] = mapped_column(Integer)
    township_code: Mapped[str] = mapped_column(checked_per_statement("areas.code"), index=True)
    notice_id: Mapped[int | None] = mapped_column(checked_per_statement("payment_notices.id"), index=True)
    original_id: Mapped[int | None] = mapped_column(checked_per_statement("payments.id"), index=True)
    receipt_number: Mapped[str | None] = mapped_column(String(24), unique=True)
    payer_name: Mapped[str | None] = mapped_column(String(64))
    paid_at: Mapped[datetime] = mapped_column(Instant())  # when the money moved, as the channel says
    recorded_at: Mapped[datetime] = mapped_column(Instant())
    actor: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(String(200))
    __table_args__ = (
        one_of("kind", PaymentKind),
        CheckConstraint(
            f"(kind = '{PaymentKind.PAYMENT}' AND amount_fen > 0) "
            f"OR (kind <> '{PaymentKind.PAYMENT}' AND amount_fen < 0)",
            name="sign",
        ),
        Index("uq_payments_channel_transaction", "channel", "transaction_id", unique=True),
        # A payment is reversed at most once, so a reversal delivered twice cannot undo it twice.
        Index(
            "uq_payments_reversal_of",
            "original_id",
            unique=True,
            sqlite_where=text(f"kind = '{PaymentKind.REVERSAL}'"),
            postgresql_where=text(f"kind = '{PaymentKind.REVERSAL}'"),
        ),
    )


class PaymentAllocation(Base):
    """Append-only: part of a payment applied to one enrollment (negative: released again, by a reversal or a
    cancellation). An enrollment's paid amount is the sum of its rows."""

    __tablename__ = "payment_allocations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    payment_id: Mapped[int] = mapped_column(checked_per_statement("payments.id"), index=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollments.id"), index=True)  # a row's check: see 0027
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(Instant())
    reason: Mapped[str] = mapped_column(String(16))  # yibao.domain.states.AllocationReason


class Statement(Base):
    """A bank's or the tax bureau's statement of money received (对账单), imported once: the same file again is
    the same statement."""

    __tablename__ = "statements"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    district_code: Mapped[str] = mapped_column(String(6))
    file_name: Mapped[str] = mapped_column(String(200))
    file_sha256: Mapped[str] = mapped_column(String(64), index=True)
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(Instant())
    lines: Mapped[int] = mapped_column(Integer)
    amount_fen: Mapped[int] = mapped_column(BigInteger)  # the statement's own total: received less reversed
    state_counts: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)  # as imported


class StatementLine(Base):
    """One line of a statement and what became of it. A line of the worklist (no such notice, amount differs,
    refused) stays visible until a finance user assigns or rejects it."""

    __tablename__ = "statement_lines"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    statement_id: Mapped[int] = mapped_column(checked_per_statement("statements.id"), index=True)
    row: Mapped[int] = mapped_column(Integer)  # the line's row in the file
    channel: Mapped[str] = mapped_column(String(16))
    transaction_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(12))  # payment | reversal
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    paid_at: Mapped[datetime] = mapped_column(Instant())
    notice_number: Mapped[str | None] = mapped_column(String(24))
    payer_name: Mapped[str | None] = mapped_column(String(64))
    original_transaction_id: Mapped[str | None] = mapped_column(String(64))
    memo: Mapped[str | None] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(20))
    payment_id: Mapped[int | None] = mapped_column(checked_per_statement("payments.id"), index=True)
    township_code: Mapped[str | None] = mapped_column(checked_per_statement("areas.code"), index=True)
    note: Mapped[str | None] = mapped_column(String(200))
    resolved_by: Mapped[str | None] = mapped_column(String(64))
    resolved_at: Mapped[datetime | None] = mapped_column(Instant())
    __table_args__ = (
        one_of("state", StatementLineState),
        Index("ix_statement_lines_channel_transaction", "channel", "transaction_id"),
    )


class CashHandover(Base):
    """Cash a 村（居） collected (代收) handed up to the township's or street's finance office (街道财政所), for one
    collection day, with the special receipts (专用票据) issued for it. Append-only: a mistake is answered by a
    correcting row (a negative amount, with a note), never by changing one."""

    __tablename__ = "cash_handovers"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    insurance_year: Mapped[int] = mapped_column(Integer)
    township_code: Mapped[str] = mapped_column(ForeignKey("areas.code"), index=True)
    village_code: Mapped[str] = mapped_column(ForeignKey("areas.code"))
    day: Mapped[date] = mapped_column(Date)  # the collection day the cash belongs to
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    receipt_numbers: Mapped[str | None] = mapped_column(String(200))  # 专用票据号: a range or a list
    handed_by: Mapped[str] = mapped_column(String(64))  # the community's collector
    note: Mapped[str | None] = mapped_column(String(200))
    actor: Mapped[str] = mapped_column(String(64))  # who received it at the office
    at: Mapped[datetime] = mapped_column(Instant())
