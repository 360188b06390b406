"""unit_reports: progress submitted by each unit (departments, townships) for a reporting period

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 12:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "unit_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("insurance_year", sa.Integer(), nullable=False),
        sa.Column("district_code", sa.String(length=6), nullable=False),
        sa.Column("unit_kind", sa.String(length=16), nullable=False),
        sa.Column("unit_code", sa.String(length=32), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("people", sa.Integer(), nullable=False),
        sa.Column("enrolled", sa.Integer(), nullable=False),
        sa.Column("paid", sa.Integer(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unit_reports")),
    )
    with op.batch_alter_table("unit_reports", schema=None) as batch_op:
        batch_op.create_index("ix_unit_reports_period", ["district_code", "insurance_year", "period_start"])


def downgrade() -> None:
    with op.batch_alter_table("unit_reports", schema=None) as batch_op:
        batch_op.drop_index("ix_unit_reports_period")
    op.drop_table("unit_reports")
