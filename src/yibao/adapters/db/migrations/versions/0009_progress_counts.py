"""progress counts kept as enrollments change: a log of changes written by triggers on enrollments, folded into
deltas per day and their totals (see yibao.adapters.db.progress_tables)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 02:31:50.912030
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "progress_changes",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("insurance_year", sa.Integer(), nullable=False),
        sa.Column("township_code", sa.String(length=12), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("weight", sa.Integer(), nullable=False),
        sa.Column("registered_on", sa.Date(), nullable=True),
        sa.Column("assessed_on", sa.Date(), nullable=True),
        sa.Column("paid_on", sa.Date(), nullable=True),
        sa.Column("covered_on", sa.Date(), nullable=True),
        sa.Column("cancelled_on", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_progress_changes")),
    )
    op.create_table(
        "progress_days",
        sa.Column("insurance_year", sa.Integer(), nullable=False),
        sa.Column("measure", sa.String(length=12), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("township_code", sa.String(length=12), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "insurance_year", "measure", "day", "township_code", "category", name=op.f("pk_progress_days")
        ),
    )
    op.create_table(
        "progress_totals",
        sa.Column("insurance_year", sa.Integer(), nullable=False),
        sa.Column("measure", sa.String(length=12), nullable=False),
        sa.Column("township_code", sa.String(length=12), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "insurance_year", "measure", "township_code", "category", name=op.f("pk_progress_totals")
        ),
    )
    op.create_table(
        "progress_district_days",
        sa.Column("insurance_year", sa.Integer(), nullable=False),
        sa.Column("measure", sa.String(length=12), nullable=False),
        sa.Column("district_code", sa.String(length=6), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "insurance_year", "measure", "district_code", "day", name=op.f("pk_progress_district_days")
        ),
    )
    op.create_index(
        "ix_progress_days_year_day",
        "progress_days",
        ["insurance_year", "day", "measure", "township_code", "category", "count"],
        unique=False,
    )
    if op.get_bind().dialect.name == "postgresql":
        for statement in _postgresql_triggers():
            op.execute(statement)
    else:
        for statement in _sqlite_triggers():
            op.execute(statement)
    # The enrollments already stored enter the log as if just written; the first report folds them.
    op.execute(
        f"INSERT INTO progress_changes ({', '.join(LOGGED)}, weight) "
        f"SELECT {_derived('e')}, count(*) FROM enrollments e GROUP BY {_derived('e')}"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER enrollments_progress_{event} ON enrollments")
            op.execute(f"DROP FUNCTION progress_log_{event}()")
    else:
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER enrollments_progress_{event}")
    op.drop_table("progress_district_days")
    op.drop_table("progress_totals")
    op.drop_index("ix_progress_days_year_day", table_name="progress_days")
    op.drop_table("progress_days")
    op.drop_table("progress_changes")


# The columns each logged change carries (see ProgressChange), derived from an enrollment row as the progress report
# counts it: the category a target counts (资助参保 first, then students), and each measure's day in Shanghai.
LOGGED = (
    "insurance_year",
    "township_code",
    "category",
    "registered_on",
    "assessed_on",
    "paid_on",
    "covered_on",
    "cancelled_on",
)


def _derived_columns(row: str, postgresql: bool) -> list[str]:
    def day(instant: str) -> str:
        if postgresql:
            return f"({row}.{instant} AT TIME ZONE 'Asia/Shanghai')::date"
        return f"date({row}.{instant}, '+8 hours')"  # stored in UTC; Shanghai keeps no daylight saving

    later = "GREATEST" if postgresql else "max"
    return [
        f"{row}.insurance_year",
        f"{row}.township_code",
        f"CASE WHEN COALESCE({row}.assisted_subsidy_fen, 0) > 0 THEN 'special_groups' "
        f"WHEN {row}.category = 'student' THEN 'students' ELSE 'general' END",
        day("registered_at"),
        day("assessed_at"),
        day("effective_at"),
        f"CASE WHEN {row}.effective_at IS NOT NULL AND {row}.benefit_start IS NOT NULL "
        f"THEN {later}({day('effective_at')}, {row}.benefit_start) END",
        day("cancelled_at"),
    ]


def _derived(row: str) -> str:
    return ", ".join(_derived_columns(row, op.get_bind().dialect.name == "postgresql"))


def _sqlite_triggers() -> list[str]:
    columns = f"{', '.join(LOGGED)}, weight"
    old, new = _derived_columns("OLD", False), _derived_columns("NEW", False)
    changed = " OR ".join(f"({a}) IS NOT ({b})" for a, b in zip(old, new, strict=True))
    return [
        f"CREATE TRIGGER enrollments_progress_insert AFTER INSERT ON enrollments BEGIN "
        f"INSERT INTO progress_changes ({columns}) VALUES ({', '.join(new)}, 1); END",
        f"CREATE TRIGGER enrollments_progress_delete AFTER DELETE ON enrollments BEGIN "
        f"INSERT INTO progress_changes ({columns}) VALUES ({', '.join(old)}, -1); END",
        f"CREATE TRIGGER enrollments_progress_update AFTER UPDATE ON enrollments WHEN {changed} BEGIN "
        f"INSERT INTO progress_changes ({columns}) VALUES ({', '.join(old)}, -1); "
        f"INSERT INTO progress_changes ({columns}) VALUES ({', '.join(new)}, 1); END",
    ]


def _postgresql_triggers() -> list[str]:
    """Statement-level triggers over the transition tables: a bulk load (COPY) or a bulk update logs its rows in
    one set-based insert, not one call per row, alike rows as one change of their number (a village's roster,
    registered on one day, is a few rows of the log)."""
    columns = f"{', '.join(LOGGED)}, weight"
    old, new = ", ".join(_derived_columns("o", True)), ", ".join(_derived_columns("n", True))
    logged = ", ".join(LOGGED)
    bodies = {
        "insert": f"INSERT INTO progress_changes ({columns}) SELECT {new}, count(*) FROM new_rows n GROUP BY {new}",
        "delete": f"INSERT INTO progress_changes ({columns}) SELECT {old}, -count(*) FROM old_rows o GROUP BY {old}",
        "update": (
            f"INSERT INTO progress_changes ({columns}) SELECT {logged}, sum(weight) FROM ("
            f"SELECT v.* FROM old_rows o JOIN new_rows n ON n.id = o.id "
            f"CROSS JOIN LATERAL (VALUES ({old}, -1), ({new}, 1)) AS v ({logged}, weight) "
            f"WHERE ROW({old}) IS DISTINCT FROM ROW({new})) AS changed "
            f"GROUP BY {logged} HAVING sum(weight) <> 0"
        ),
    }
    referencing = {
        "insert": "NEW TABLE AS new_rows",
        "delete": "OLD TABLE AS old_rows",
        "update": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
    }
    statements = []
    for event, body in bodies.items():
        statements.append(
            f"CREATE FUNCTION progress_log_{event}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN {body}; RETURN NULL; END $$"
        )
        statements.append(
            f"CREATE TRIGGER enrollments_progress_{event} AFTER {event.upper()} ON enrollments "
            f"REFERENCING {referencing[event]} FOR EACH STATEMENT EXECUTE FUNCTION progress_log_{event}()"
        )
    return statements
