"""cash_handovers: a 村（居）'s collected cash handed up to the township's finance office, per collection day

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 11:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cash_handovers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("insurance_year", sa.Integer(), nullable=False),
        sa.Column("township_code", sa.String(length=12), nullable=False),
        sa.Column("village_code", sa.String(length=12), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("receipt_numbers", sa.String(length=200), nullable=True),
        sa.Column("handed_by", sa.String(length=64), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["township_code"], ["areas.code"], name=op.f("fk_cash_handovers_township_code_areas")),
        sa.ForeignKeyConstraint(["village_code"], ["areas.code"], name=op.f("fk_cash_handovers_village_code_areas")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cash_handovers")),
    )
    with op.batch_alter_table("cash_handovers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cash_handovers_township_code"), ["township_code"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("cash_handovers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cash_handovers_township_code"))
    op.drop_table("cash_handovers")
