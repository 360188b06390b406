"""targets (任务指标); when an enrollment became effective or was cancelled

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 23:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "targets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("insurance_year", sa.Integer(), nullable=False),
        sa.Column("district_code", sa.String(length=6), nullable=False),
        sa.Column("area_code", sa.String(length=12), nullable=True),
        sa.Column("unit", sa.String(length=64), nullable=False),
        sa.Column("unit_kind", sa.String(length=16), nullable=False),
        sa.Column("includes", sa.JSON(), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("persons", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=120), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.CheckConstraint(
            "category in ('all', 'general', 'students', 'special_groups')", name=op.f("ck_targets_category")
        ),
        sa.ForeignKeyConstraint(["area_code"], ["areas.code"], name=op.f("fk_targets_area_code_areas")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_targets")),
    )
    with op.batch_alter_table("targets", schema=None) as batch_op:
        batch_op.create_index(
            "uq_targets_year_unit_category", ["insurance_year", "district_code", "unit", "category"], unique=True
        )

    # Plain ADD COLUMN (not a batch copy of the table), so the partial unique index stays as it is on SQLite.
    op.add_column("enrollments", sa.Column("effective_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("enrollments", sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True))
    # Enrollments covered before this column: the best moment known is their assessment (or registration).
    op.execute(
        "UPDATE enrollments SET effective_at = coalesce(assessed_at, registered_at) WHERE state IN ('paid', 'effective')"
    )


def downgrade() -> None:
    op.drop_column("enrollments", "cancelled_at")
    op.drop_column("enrollments", "effective_at")

    with op.batch_alter_table("targets", schema=None) as batch_op:
        batch_op.drop_index("uq_targets_year_unit_category")

    op.drop_table("targets")
