"""cross-checks (信息比对): reference lists, runs, findings with their follow-up, non-enrollment reasons

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 00:23:09.682058
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "crosscheck_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("insurance_year", sa.Integer(), nullable=False),
        sa.Column("district_code", sa.String(length=6), nullable=False),
        sa.Column("policy_id", sa.String(length=80), nullable=False),
        sa.Column("engine", sa.String(length=16), nullable=False),
        sa.Column("list_ids", sa.JSON(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("new_findings", sa.Integer(), nullable=False),
        sa.Column("cleared_findings", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.Double(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crosscheck_runs")),
    )
    op.create_table(
        "non_enrollment_reasons",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("insurance_year", sa.Integer(), nullable=False),
        sa.Column("district_code", sa.String(length=6), nullable=False),
        sa.Column("id_number", sa.String(length=18), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("township_code", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.String(length=24), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_by", sa.String(length=64), nullable=True),
        sa.CheckConstraint(
            "reason in ('insured_elsewhere', 'employee_insurance', 'military_service', 'deceased', 'unreachable', 'refused', 'other')",
            name=op.f("ck_non_enrollment_reasons_reason"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_non_enrollment_reasons")),
    )
    with op.batch_alter_table("non_enrollment_reasons", schema=None) as batch_op:
        batch_op.create_index("ix_non_enrollment_reasons_person", ["insurance_year", "id_number"], unique=False)

    op.create_table(
        "reference_lists",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("insurance_year", sa.Integer(), nullable=True),
        sa.Column("district_code", sa.String(length=6), nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("stored", sa.Integer(), nullable=False),
        sa.Column("errors", sa.Integer(), nullable=False),
        sa.Column("error_counts", sa.JSON(), nullable=False),
        sa.Column("township_counts", sa.JSON(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind in ('population', 'deaths', 'students', 'tax_payments', 'last_year_enrollment', 'insured_elsewhere')",
            name=op.f("ck_reference_lists_kind"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reference_lists")),
    )
    with op.batch_alter_table("reference_lists", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reference_lists_file_sha256"), ["file_sha256"], unique=False)

    op.create_table(
        "reference_rows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("row", sa.Integer(), nullable=False),
        sa.Column("id_number", sa.String(length=18), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("township_code", sa.String(length=12), nullable=True),
        sa.Column("village_code", sa.String(length=12), nullable=True),
        sa.Column("event_date", sa.Date(), nullable=True),
        sa.Column("amount_fen", sa.BigInteger(), nullable=True),
        sa.Column("detail", sa.String(length=100), nullable=True),
        sa.Column("insurance_type", sa.String(length=3), nullable=True),
        sa.ForeignKeyConstraint(
            ["list_id"], ["reference_lists.id"], name=op.f("fk_reference_rows_list_id_reference_lists")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reference_rows")),
    )
    with op.batch_alter_table("reference_rows", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reference_rows_id_number"), ["id_number"], unique=False)
        batch_op.create_index(batch_op.f("ix_reference_rows_list_id"), ["list_id"], unique=False)

    op.create_table(
        "findings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("insurance_year", sa.Integer(), nullable=False),
        sa.Column("district_code", sa.String(length=6), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=True),
        sa.Column("id_number", sa.String(length=18), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=True),
        sa.Column("township_code", sa.String(length=12), nullable=False),
        sa.Column("village_code", sa.String(length=12), nullable=True),
        sa.Column("list_id", sa.Integer(), nullable=True),
        sa.Column("evidence_date", sa.Date(), nullable=True),
        sa.Column("amount_fen", sa.BigInteger(), nullable=True),
        sa.Column("detail", sa.String(length=100), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("status_by", sa.String(length=64), nullable=True),
        sa.Column("status_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_run_id", sa.Integer(), nullable=False),
        sa.Column("last_run_id", sa.Integer(), nullable=False),
        sa.Column("current", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "status in ('open', 'contacted', 'enrolled', 'reason_recorded', 'not_applicable')",
            name=op.f("ck_findings_status"),
        ),
        sa.ForeignKeyConstraint(
            ["first_run_id"], ["crosscheck_runs.id"], name=op.f("fk_findings_first_run_id_crosscheck_runs")
        ),
        sa.ForeignKeyConstraint(
            ["last_run_id"], ["crosscheck_runs.id"], name=op.f("fk_findings_last_run_id_crosscheck_runs")
        ),
        sa.ForeignKeyConstraint(["list_id"], ["reference_lists.id"], name=op.f("fk_findings_list_id_reference_lists")),
        sa.ForeignKeyConstraint(["resident_id"], ["residents.id"], name=op.f("fk_findings_resident_id_residents")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_findings")),
    )
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_findings_last_run_id"), ["last_run_id"], unique=False)
        batch_op.create_index("ix_findings_township", ["insurance_year", "township_code", "kind"], unique=False)
        batch_op.create_index(
            "uq_findings_key", ["insurance_year", "district_code", "kind", "id_number", "township_code"], unique=True
        )


def downgrade() -> None:
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.drop_index("uq_findings_key")
        batch_op.drop_index("ix_findings_township")
        batch_op.drop_index(batch_op.f("ix_findings_last_run_id"))

    op.drop_table("findings")
    with op.batch_alter_table("reference_rows", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reference_rows_list_id"))
        batch_op.drop_index(batch_op.f("ix_reference_rows_id_number"))

    op.drop_table("reference_rows")
    with op.batch_alter_table("reference_lists", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reference_lists_file_sha256"))

    op.drop_table("reference_lists")
    with op.batch_alter_table("non_enrollment_reasons", schema=None) as batch_op:
        batch_op.drop_index("ix_non_enrollment_reasons_person")

    op.drop_table("non_enrollment_reasons")
    op.drop_table("crosscheck_runs")
