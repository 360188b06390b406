"""simulations: plan what-if reports (测算报告), their totals kept, their persons in a file

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 10:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "simulations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("district_code", sa.String(length=6), nullable=False),
        sa.Column("draft_policy_id", sa.String(length=80), nullable=False),
        sa.Column("draft_hash", sa.String(length=64), nullable=False),
        sa.Column("draft_name", sa.String(length=200), nullable=False),
        sa.Column("base_year", sa.Integer(), nullable=False),
        sa.Column("base_policy_id", sa.String(length=80), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("assumptions", sa.JSON(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("persons_file", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_simulations")),
    )
    with op.batch_alter_table("simulations", schema=None) as batch_op:
        batch_op.create_index("ix_simulations_district_created", ["district_code", "created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("simulations", schema=None) as batch_op:
        batch_op.drop_index("ix_simulations_district_created")
    op.drop_table("simulations")
