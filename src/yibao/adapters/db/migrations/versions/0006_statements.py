"""bank and tax statements (对账单) and their lines

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 23:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "statements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("district_code", sa.String(length=6), nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("state_counts", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_statements")),
    )
    with op.batch_alter_table("statements", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_statements_file_sha256"), ["file_sha256"], unique=False)

    op.create_table(
        "statement_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("statement_id", sa.Integer(), nullable=False),
        sa.Column("row", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("transaction_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("notice_number", sa.String(length=24), nullable=True),
        sa.Column("payer_name", sa.String(length=64), nullable=True),
        sa.Column("original_transaction_id", sa.String(length=64), nullable=True),
        sa.Column("memo", sa.String(length=200), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=True),
        sa.Column("township_code", sa.String(length=12), nullable=True),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("resolved_by", sa.String(length=64), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "state in ('matched', 'already_recorded', 'reversal', 'duplicate_line', 'assigned', 'rejected', 'no_such_notice', 'amount_differs', 'refused')",
            name=op.f("ck_statement_lines_state"),
        ),
        sa.ForeignKeyConstraint(["payment_id"], ["payments.id"], name=op.f("fk_statement_lines_payment_id_payments")),
        sa.ForeignKeyConstraint(
            ["statement_id"], ["statements.id"], name=op.f("fk_statement_lines_statement_id_statements")
        ),
        sa.ForeignKeyConstraint(["township_code"], ["areas.code"], name=op.f("fk_statement_lines_township_code_areas")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_statement_lines")),
    )
    with op.batch_alter_table("statement_lines", schema=None) as batch_op:
        batch_op.create_index("ix_statement_lines_channel_transaction", ["channel", "transaction_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_statement_lines_payment_id"), ["payment_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_statement_lines_statement_id"), ["statement_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_statement_lines_township_code"), ["township_code"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("statement_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_statement_lines_township_code"))
        batch_op.drop_index(batch_op.f("ix_statement_lines_statement_id"))
        batch_op.drop_index(batch_op.f("ix_statement_lines_payment_id"))
        batch_op.drop_index("ix_statement_lines_channel_transaction")

    op.drop_table("statement_lines")
    with op.batch_alter_table("statements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_statements_file_sha256"))

    op.drop_table("statements")
