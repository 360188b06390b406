"""progress counts by village: each logged change carries the village of the enrollment's resident, folded into
counts per village (the breakdown by village, 进度明细, read as the report reads the townships')

The enrollments' triggers look the village up on the resident (PostgreSQL: one join per statement over the
transition table; SQLite: one lookup by primary key per row). A resident's village changing is logged by a new
trigger on ``residents`` as each of their enrollments leaving the old village and entering the new one: same
township, category and days, so the township counts net nothing and the village counts follow the resident, as a
breakdown counted from the tables does. The log is rebuilt from the enrollments, as 0019 did.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07 10:30:00
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

VILLAGE_TABLES = ("progress_village_days", "progress_village_totals")
MEASURES = ("registered", "assessed", "paid", "covered")  # frozen here: progress_tables.MEASURES may grow


def _load(name: str) -> ModuleType:
    path = Path(__file__).with_name(name)
    spec = importlib.util.spec_from_file_location(f"yibao_migration_{path.stem}_for_0026", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _v19() -> ModuleType:
    return _load("0019_progress_children.py")


def _current() -> ModuleType:
    """0009's trigger builders with 0019's derivation (children apart): what this revision adds the village to."""
    v19 = _v19()
    return v19._with_children(v19._revision("0009_progress_counts.py"))  # type: ignore[no-any-return]


def upgrade() -> None:
    op.add_column("progress_changes", sa.Column("village_code", sa.String(length=12), nullable=True))
    op.create_table(
        "progress_village_days",
        sa.Column("insurance_year", sa.Integer(), nullable=False),
        sa.Column("township_code", sa.String(length=12), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("village_code", sa.String(length=12), nullable=False),
        *_measures(),
        sa.PrimaryKeyConstraint(
            "insurance_year", "township_code", "day", "village_code", name=op.f("pk_progress_village_days")
        ),
    )
    op.create_index(
        "ix_progress_village_days_year_day",
        "progress_village_days",
        ["insurance_year", "day", "township_code", "village_code", *MEASURES],
        unique=False,
    )
    op.create_table(
        "progress_village_totals",
        sa.Column("insurance_year", sa.Integer(), nullable=False),
        sa.Column("township_code", sa.String(length=12), nullable=False),
        sa.Column("village_code", sa.String(length=12), nullable=False),
        *_measures(),
        sa.PrimaryKeyConstraint(
            "insurance_year", "township_code", "village_code", name=op.f("pk_progress_village_totals")
        ),
    )
    v9 = _current()
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        for statement in _postgresql(v9):
            op.execute(statement)
    else:
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER enrollments_progress_{event}")
        for statement in _sqlite(v9):
            op.execute(statement)
    for table in _v19().KEPT:
        op.execute(f"DELETE FROM {table}")
    derived = ", ".join(v9._derived_columns("e", postgresql))
    op.execute(
        f"INSERT INTO progress_changes ({', '.join(v9.LOGGED)}, village_code, weight) "
        f"SELECT {derived}, r.village_code, count(*) FROM enrollments e LEFT JOIN residents r ON r.id = e.resident_id "
        f"GROUP BY {derived}, r.village_code"
    )


def _measures() -> list[sa.Column[int]]:
    return [sa.Column(measure, sa.Integer(), nullable=False) for measure in MEASURES]


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER residents_progress_village ON residents")
        op.execute("DROP FUNCTION progress_log_village()")
    else:
        op.execute("DROP TRIGGER residents_progress_village")
    op.drop_index("ix_progress_village_days_year_day", table_name="progress_village_days")
    for table in VILLAGE_TABLES:
        op.drop_table(table)
    v19 = _v19()
    v19._install(v19._with_children(v19._revision("0009_progress_counts.py")))  # no trigger names the village now
    op.execute("ALTER TABLE progress_changes DROP COLUMN village_code")  # SQLite: 3.35 and later


def _sqlite(v9: ModuleType) -> list[str]:
    """0009's row triggers with the resident's village looked up, and the trigger following a village's change."""
    derived, logged = v9._derived_columns, v9.LOGGED

    def with_village(row: str, postgresql: bool) -> list[str]:
        return [*derived(row, postgresql), f"(SELECT village_code FROM residents WHERE id = {row}.resident_id)"]

    vars(v9).update(_derived_columns=with_village, LOGGED=(*logged, "village_code"))  # the builders look them up
    try:
        triggers = list(v9._sqlite_triggers())
    finally:
        vars(v9).update(_derived_columns=derived, LOGGED=logged)
    columns = f"{', '.join(logged)}, village_code, weight"
    enrollment = ", ".join(derived("e", False))
    triggers.append(
        "CREATE TRIGGER residents_progress_village AFTER UPDATE OF village_code ON residents "
        "WHEN OLD.village_code IS NOT NEW.village_code BEGIN "
        f"INSERT INTO progress_changes ({columns}) "
        f"SELECT {enrollment}, OLD.village_code, -1 FROM enrollments e WHERE e.resident_id = NEW.id; "
        f"INSERT INTO progress_changes ({columns}) "
        f"SELECT {enrollment}, NEW.village_code, 1 FROM enrollments e WHERE e.resident_id = NEW.id; END"
    )
    return triggers


def _postgresql(v9: ModuleType) -> list[str]:
    """The enrollments' statement triggers joined to the residents once per statement, each side of an update
    grouped on its own (0010's form), and the residents' trigger for a change of village."""
    logged = f"{', '.join(v9.LOGGED)}, village_code"
    old, new = ", ".join(v9._derived_columns("o", True)), ", ".join(v9._derived_columns("n", True))
    enrollment = ", ".join(v9._derived_columns("e", True))

    def side(rows: str, alias: str, derived: str, sign: str) -> str:
        return (
            f"SELECT {derived}, r.village_code, {sign}count(*) FROM {rows} {alias} "
            f"LEFT JOIN residents r ON r.id = {alias}.resident_id GROUP BY {derived}, r.village_code"
        )

    def moved(village: str, sign: str) -> str:
        return (
            f"SELECT {enrollment}, {village}, {sign}count(*) FROM old_rows o JOIN new_rows n ON n.id = o.id "
            f"JOIN enrollments e ON e.resident_id = n.id WHERE o.village_code IS DISTINCT FROM n.village_code "
            f"GROUP BY {enrollment}, {village}"
        )

    def summed(first: str, second: str) -> str:
        return (
            f"INSERT INTO progress_changes ({logged}, weight) SELECT {logged}, sum(weight) FROM ("
            f"{first} UNION ALL {second}) AS sides ({logged}, weight) GROUP BY {logged} HAVING sum(weight) <> 0"
        )

    bodies = {
        "insert": f"INSERT INTO progress_changes ({logged}, weight) {side('new_rows', 'n', new, '')}",
        "delete": f"INSERT INTO progress_changes ({logged}, weight) {side('old_rows', 'o', old, '-')}",
        "update": summed(side("old_rows", "o", old, "-"), side("new_rows", "n", new, "")),
        "village": summed(moved("o.village_code", "-"), moved("n.village_code", "")),
    }
    statements = [
        f"CREATE OR REPLACE FUNCTION progress_log_{event}() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN {body}; RETURN NULL; END $$"
        for event, body in bodies.items()
    ]
    # A column list (UPDATE OF village_code) is not allowed with transition tables: every update of residents
    # fires it, and the join on a changed village finds nothing for the others.
    statements.append(
        "CREATE TRIGGER residents_progress_village AFTER UPDATE ON residents "
        "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION progress_log_village()"
    )
    return statements
