"""village_registers: a 村（居）'s 登记册 in the review chain, its roster, the roster's versions and its history

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

REGISTER_STATES = ("submitted", "checked", "reviewed", "deposited", "returned")
REGISTER_ACTIONS = ("submit", "amend", "check", "review", "deposit", "return")


def upgrade() -> None:
    op.create_table(
        "village_registers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("insurance_year", sa.Integer(), nullable=False),
        sa.Column("township_code", sa.String(length=12), nullable=False),
        sa.Column("village_code", sa.String(length=12), nullable=False),
        sa.Column("collector", sa.String(length=64), nullable=False),
        sa.Column("cash_fen", sa.BigInteger(), nullable=False),
        sa.Column("people", sa.Integer(), nullable=False),
        sa.Column("total_fen", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=True),
        sa.Column("deposit_reference", sa.String(length=64), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(f"state in {REGISTER_STATES!r}", name=op.f("ck_village_registers_state")),
        sa.ForeignKeyConstraint(["payment_id"], ["payments.id"], name=op.f("fk_village_registers_payment_id_payments")),
        sa.ForeignKeyConstraint(
            ["township_code"], ["areas.code"], name=op.f("fk_village_registers_township_code_areas")
        ),
        sa.ForeignKeyConstraint(["village_code"], ["areas.code"], name=op.f("fk_village_registers_village_code_areas")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_village_registers")),
        sa.UniqueConstraint("number", name=op.f("uq_village_registers_number")),
    )
    with op.batch_alter_table("village_registers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_village_registers_township_code"), ["township_code"], unique=False)
    op.create_table(
        "village_register_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("register_id", sa.Integer(), nullable=False),
        sa.Column("enrollment_id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("collected_fen", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enrollment_id"], ["enrollments.id"], name=op.f("fk_village_register_lines_enrollment_id_enrollments")
        ),
        sa.ForeignKeyConstraint(
            ["household_id"], ["households.id"], name=op.f("fk_village_register_lines_household_id_households")
        ),
        sa.ForeignKeyConstraint(
            ["register_id"],
            ["village_registers.id"],
            name=op.f("fk_village_register_lines_register_id_village_registers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_village_register_lines")),
    )
    with op.batch_alter_table("village_register_lines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_village_register_lines_register_id"), ["register_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_village_register_lines_enrollment_id"), ["enrollment_id"], unique=False)
    op.create_table(
        "village_register_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("register_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("checksum", sa.String(length=24), nullable=False),
        sa.Column("people", sa.Integer(), nullable=False),
        sa.Column("total_fen", sa.BigInteger(), nullable=False),
        sa.Column("households", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["register_id"],
            ["village_registers.id"],
            name=op.f("fk_village_register_versions_register_id_village_registers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_village_register_versions")),
    )
    with op.batch_alter_table("village_register_versions", schema=None) as batch_op:
        batch_op.create_index("uq_village_register_versions_version", ["register_id", "version"], unique=True)
    op.create_table(
        "village_register_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("register_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("remarks", sa.String(length=500), nullable=True),
        sa.Column("findings", sa.Text(), nullable=True),
        sa.CheckConstraint(f"action in {REGISTER_ACTIONS!r}", name=op.f("ck_village_register_steps_action")),
        sa.ForeignKeyConstraint(
            ["register_id"],
            ["village_registers.id"],
            name=op.f("fk_village_register_steps_register_id_village_registers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_village_register_steps")),
    )
    with op.batch_alter_table("village_register_steps", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_village_register_steps_register_id"), ["register_id"], unique=False)


def downgrade() -> None:
    for table in ("village_register_steps", "village_register_versions", "village_register_lines", "village_registers"):
        op.drop_table(table)
