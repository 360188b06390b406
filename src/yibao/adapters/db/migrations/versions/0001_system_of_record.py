"""the system of record: areas, residents, households, enrollments, audit

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-22 13:59:06.152772
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "areas",
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("parent_code", sa.String(length=12), nullable=True),
        sa.CheckConstraint("level in ('district', 'township', 'village')", name=op.f("ck_areas_level")),
        sa.ForeignKeyConstraint(["parent_code"], ["areas.code"], name=op.f("fk_areas_parent_code_areas")),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_areas")),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("entity_id", sa.String(length=64), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index("ix_audit_log_entity", ["entity", "entity_id"], unique=False)

    op.create_table(
        "households",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("township_code", sa.String(length=12), nullable=False),
        sa.Column("village_code", sa.String(length=12), nullable=True),
        sa.Column("number", sa.String(length=32), nullable=True),
        sa.Column("address", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(["township_code"], ["areas.code"], name=op.f("fk_households_township_code_areas")),
        sa.ForeignKeyConstraint(["village_code"], ["areas.code"], name=op.f("fk_households_village_code_areas")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_households")),
    )
    with op.batch_alter_table("households", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_households_township_code"), ["township_code"], unique=False)

    op.create_table(
        "residents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("id_number", sa.String(length=18), nullable=False),
        sa.Column("cert_type", sa.String(length=2), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("sex", sa.String(length=8), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("ethnicity", sa.String(length=16), nullable=True),
        sa.Column("residency", sa.String(length=24), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("address", sa.String(length=200), nullable=True),
        sa.Column("township_code", sa.String(length=12), nullable=False),
        sa.Column("village_code", sa.String(length=12), nullable=True),
        sa.Column("survival_status", sa.String(length=12), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["township_code"], ["areas.code"], name=op.f("fk_residents_township_code_areas")),
        sa.ForeignKeyConstraint(["village_code"], ["areas.code"], name=op.f("fk_residents_village_code_areas")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_residents")),
        sa.UniqueConstraint("id_number", name=op.f("uq_residents_id_number")),
    )
    with op.batch_alter_table("residents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_residents_township_code"), ["township_code"], unique=False)

    op.create_table(
        "enrollments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=True),
        sa.Column("insurance_year", sa.Integer(), nullable=False),
        sa.Column("insurance_type", sa.String(length=3), nullable=False),
        sa.Column("policy_id", sa.String(length=80), nullable=False),
        sa.Column("policy_hash", sa.String(length=64), nullable=False),
        sa.Column("township_code", sa.String(length=12), nullable=False),
        sa.Column("channel", sa.String(length=24), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("tier", sa.String(length=32), nullable=False),
        sa.Column("benefit_tier", sa.String(length=32), nullable=True),
        sa.Column("financing_total_fen", sa.BigInteger(), nullable=True),
        sa.Column("government_subsidy_fen", sa.BigInteger(), nullable=True),
        sa.Column("assisted_subsidy_fen", sa.BigInteger(), nullable=True),
        sa.Column("individual_due_fen", sa.BigInteger(), nullable=True),
        sa.Column("assisted_by_payer_fen", sa.JSON(), nullable=False),
        sa.Column("benefit_start", sa.Date(), nullable=True),
        sa.Column("benefit_end", sa.Date(), nullable=True),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("assumptions", sa.JSON(), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("assessed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "state in ('registered', 'assessed', 'notified', 'paid', 'effective', 'cancelled')",
            name=op.f("ck_enrollments_state"),
        ),
        sa.ForeignKeyConstraint(
            ["household_id"], ["households.id"], name=op.f("fk_enrollments_household_id_households")
        ),
        sa.ForeignKeyConstraint(["resident_id"], ["residents.id"], name=op.f("fk_enrollments_resident_id_residents")),
        sa.ForeignKeyConstraint(["township_code"], ["areas.code"], name=op.f("fk_enrollments_township_code_areas")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enrollments")),
    )
    with op.batch_alter_table("enrollments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_enrollments_resident_id"), ["resident_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_enrollments_township_code"), ["township_code"], unique=False)
        batch_op.create_index(
            "uq_enrollments_resident_year_live",
            ["resident_id", "insurance_year"],
            unique=True,
            sqlite_where=sa.text("state <> 'cancelled'"),
            postgresql_where=sa.text("state <> 'cancelled'"),
        )

    op.create_table(
        "household_members",
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("relation", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["household_id"], ["households.id"], name=op.f("fk_household_members_household_id_households")
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["residents.id"], name=op.f("fk_household_members_resident_id_residents")
        ),
        sa.PrimaryKeyConstraint("household_id", "resident_id", name=op.f("pk_household_members")),
        sa.UniqueConstraint("resident_id", name=op.f("uq_household_members_resident_id")),
    )
    op.create_table(
        "identity_flags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("identity", sa.String(length=32), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["residents.id"], name=op.f("fk_identity_flags_resident_id_residents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_flags")),
    )
    with op.batch_alter_table("identity_flags", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_identity_flags_resident_id"), ["resident_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("identity_flags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_identity_flags_resident_id"))

    op.drop_table("identity_flags")
    op.drop_table("household_members")
    with op.batch_alter_table("enrollments", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_enrollments_resident_year_live",
            sqlite_where=sa.text("state <> 'cancelled'"),
            postgresql_where=sa.text("state <> 'cancelled'"),
        )
        batch_op.drop_index(batch_op.f("ix_enrollments_township_code"))
        batch_op.drop_index(batch_op.f("ix_enrollments_resident_id"))

    op.drop_table("enrollments")
    with op.batch_alter_table("residents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_residents_township_code"))

    op.drop_table("residents")
    with op.batch_alter_table("households", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_households_township_code"))

    op.drop_table("households")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_log_entity")

    op.drop_table("audit_log")
    op.drop_table("areas")
