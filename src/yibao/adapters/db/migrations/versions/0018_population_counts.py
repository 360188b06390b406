"""population counts: a coverage goal's base as a statistics bureau counts it, per township

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 22:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "population_counts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("insurance_year", sa.Integer(), nullable=False),
        sa.Column("district_code", sa.String(length=6), nullable=False),
        sa.Column("goal_id", sa.String(length=80), nullable=False),
        sa.Column("township_code", sa.String(length=12), nullable=False),
        sa.Column("persons", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=120), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["township_code"], ["areas.code"], name=op.f("fk_population_counts_township_code_areas")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_population_counts")),
    )
    op.create_index(
        "uq_population_counts_goal_township",
        "population_counts",
        ["insurance_year", "district_code", "goal_id", "township_code"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("uq_population_counts_goal_township", table_name="population_counts")
    op.drop_table("population_counts")
