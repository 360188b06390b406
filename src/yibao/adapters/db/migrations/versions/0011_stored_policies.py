"""stored policies: a bureau's own plans, each revision kept with its text and the document it quotes

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 16:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stored_policies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("policy_id", sa.String(length=80), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("insurance_year", sa.Integer(), nullable=False),
        sa.Column("yaml_text", sa.Text(), nullable=False),
        sa.Column("document_text", sa.Text(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.CheckConstraint("revision >= 1", name=op.f("ck_stored_policies_revision")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stored_policies")),
    )
    with op.batch_alter_table("stored_policies", schema=None) as batch_op:
        batch_op.create_index("uq_stored_policies_revision", ["policy_id", "revision"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("stored_policies", schema=None) as batch_op:
        batch_op.drop_index("uq_stored_policies_revision")
    op.drop_table("stored_policies")
