"""a resident's 户籍类别 may be changed by an information change (a hukou moved in, a residence permit obtained)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 21:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

BEFORE = "kind in ('name', 'id_number', 'address', 'phone', 'township_transfer', 'village', 'survival_status')"
AFTER = (
    "kind in ('name', 'id_number', 'address', 'phone', 'township_transfer', 'village', 'survival_status', 'residency')"
)


def _constraint(text: str) -> None:
    with op.batch_alter_table("resident_changes", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_resident_changes_kind"), type_="check")
        batch_op.create_check_constraint("kind", text)


def upgrade() -> None:
    _constraint(AFTER)


def downgrade() -> None:
    _constraint(BEFORE)
