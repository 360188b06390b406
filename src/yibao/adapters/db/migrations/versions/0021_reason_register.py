"""non_enrollment_reasons: the 村（居） whose register holds a reason and the day written on the paper form

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 11:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("non_enrollment_reasons", schema=None) as batch_op:
        batch_op.add_column(sa.Column("village_code", sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column("recorded_on", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("non_enrollment_reasons", schema=None) as batch_op:
        batch_op.drop_column("recorded_on")
        batch_op.drop_column("village_code")
