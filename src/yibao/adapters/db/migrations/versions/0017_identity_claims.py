"""an identity claimed at the counter records what the clerk saw, and is named in Chinese (柜台) as a claim

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 21:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("identity_flags", schema=None) as batch_op:
        batch_op.add_column(sa.Column("evidence", sa.String(length=100), nullable=True))
    op.execute("UPDATE identity_flags SET source = '柜台' WHERE source = 'counter'")


def downgrade() -> None:
    op.execute("UPDATE identity_flags SET source = 'counter' WHERE source = '柜台'")
    with op.batch_alter_table("identity_flags", schema=None) as batch_op:
        batch_op.drop_column("evidence")
