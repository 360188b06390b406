"""money: payment notices, payments, allocations (append-only)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 23:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "payment_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=24), nullable=True),
        sa.Column("insurance_year", sa.Integer(), nullable=False),
        sa.Column("township_code", sa.String(length=12), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=True),
        sa.Column("payer_name", sa.String(length=64), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("voided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("void_reason", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["household_id"], ["households.id"], name=op.f("fk_payment_notices_household_id_households")
        ),
        sa.ForeignKeyConstraint(["township_code"], ["areas.code"], name=op.f("fk_payment_notices_township_code_areas")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_notices")),
        sa.UniqueConstraint("number", name=op.f("uq_payment_notices_number")),
    )
    with op.batch_alter_table("payment_notices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payment_notices_household_id"), ["household_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_payment_notices_township_code"), ["township_code"], unique=False)

    op.create_table(
        "payment_notice_items",
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("enrollment_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enrollment_id"], ["enrollments.id"], name=op.f("fk_payment_notice_items_enrollment_id_enrollments")
        ),
        sa.ForeignKeyConstraint(
            ["notice_id"], ["payment_notices.id"], name=op.f("fk_payment_notice_items_notice_id_payment_notices")
        ),
        sa.PrimaryKeyConstraint("notice_id", "enrollment_id", name=op.f("pk_payment_notice_items")),
    )
    with op.batch_alter_table("payment_notice_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payment_notice_items_enrollment_id"), ["enrollment_id"], unique=False)

    op.create_table(
        "payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("transaction_id", sa.String(length=64), nullable=True),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("insurance_year", sa.Integer(), nullable=False),
        sa.Column("township_code", sa.String(length=12), nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=True),
        sa.Column("original_id", sa.Integer(), nullable=True),
        sa.Column("receipt_number", sa.String(length=24), nullable=True),
        sa.Column("payer_name", sa.String(length=64), nullable=True),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.CheckConstraint(
            "(kind = 'payment' AND amount_fen > 0) OR (kind <> 'payment' AND amount_fen < 0)",
            name=op.f("ck_payments_sign"),
        ),
        sa.CheckConstraint("kind in ('payment', 'reversal', 'refund')", name=op.f("ck_payments_kind")),
        sa.ForeignKeyConstraint(
            ["notice_id"], ["payment_notices.id"], name=op.f("fk_payments_notice_id_payment_notices")
        ),
        sa.ForeignKeyConstraint(["original_id"], ["payments.id"], name=op.f("fk_payments_original_id_payments")),
        sa.ForeignKeyConstraint(["township_code"], ["areas.code"], name=op.f("fk_payments_township_code_areas")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
        sa.UniqueConstraint("receipt_number", name=op.f("uq_payments_receipt_number")),
    )
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payments_notice_id"), ["notice_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_payments_original_id"), ["original_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_payments_township_code"), ["township_code"], unique=False)
        batch_op.create_index("uq_payments_channel_transaction", ["channel", "transaction_id"], unique=True)
        batch_op.create_index(
            "uq_payments_reversal_of",
            ["original_id"],
            unique=True,
            sqlite_where=sa.text("kind = 'reversal'"),
            postgresql_where=sa.text("kind = 'reversal'"),
        )

    op.create_table(
        "payment_allocations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=False),
        sa.Column("enrollment_id", sa.Integer(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["enrollment_id"], ["enrollments.id"], name=op.f("fk_payment_allocations_enrollment_id_enrollments")
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.id"], name=op.f("fk_payment_allocations_payment_id_payments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_allocations")),
    )
    with op.batch_alter_table("payment_allocations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payment_allocations_enrollment_id"), ["enrollment_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_payment_allocations_payment_id"), ["payment_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("payment_allocations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_allocations_payment_id"))
        batch_op.drop_index(batch_op.f("ix_payment_allocations_enrollment_id"))

    op.drop_table("payment_allocations")
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_payments_reversal_of",
            sqlite_where=sa.text("kind = 'reversal'"),
            postgresql_where=sa.text("kind = 'reversal'"),
        )
        batch_op.drop_index("uq_payments_channel_transaction")
        batch_op.drop_index(batch_op.f("ix_payments_township_code"))
        batch_op.drop_index(batch_op.f("ix_payments_original_id"))
        batch_op.drop_index(batch_op.f("ix_payments_notice_id"))

    op.drop_table("payments")
    with op.batch_alter_table("payment_notice_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_notice_items_enrollment_id"))

    op.drop_table("payment_notice_items")
    with op.batch_alter_table("payment_notices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_notices_township_code"))
        batch_op.drop_index(batch_op.f("ix_payment_notices_household_id"))

    op.drop_table("payment_notices")
