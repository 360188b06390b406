"""organizations may be nurseries (托儿所) and universities (高校) too

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 16:35:00
"""

from __future__ import annotations

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

BEFORE = "kind in ('school', 'kindergarten', 'welfare_institution')"
AFTER = "kind in ('school', 'kindergarten', 'nursery', 'welfare_institution', 'university')"


def _constraint(text: str) -> None:
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_organizations_kind"), type_="check")
        batch_op.create_check_constraint("kind", text)


def upgrade() -> None:
    _constraint(AFTER)


def downgrade() -> None:
    _constraint(BEFORE)
