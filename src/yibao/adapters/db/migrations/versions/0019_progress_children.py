"""progress counts keep children apart: a plan's students column may count them (静海: 高中以下学生儿童) or not
(蓟州: 在校学生)

0009 logged each enrollment as ``special_groups``, ``students`` (category 在校学生) or ``general``, so a child or a
newborn was a general resident whatever the plan's target table counts. Children (categories child and newborn)
are now logged as ``children``; the report puts them where the plan's table does. The log is rebuilt from the
enrollments, as 0009 first filled it: every measure is "moment on or before the day and not cancelled by then",
which the enrollments' own columns give in full.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 22:30:00
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

KEPT = ("progress_changes", "progress_days", "progress_totals", "progress_district_days")
EVENTS = ("insert", "update", "delete")


def _revision(name: str) -> ModuleType:
    """An earlier revision's module (frozen with it: a migration is never edited once released), loaded afresh so
    that what this one changes in it stays here."""
    path = Path(__file__).with_name(name)
    spec = importlib.util.spec_from_file_location(f"yibao_migration_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _with_children(v9: ModuleType) -> ModuleType:
    """0009's derivation with the category of a logged change split: children apart from general residents."""
    derived = v9._derived_columns

    def columns(row: str, postgresql: bool) -> list[str]:
        values: list[str] = list(derived(row, postgresql))
        values[2] = (
            f"CASE WHEN COALESCE({row}.assisted_subsidy_fen, 0) > 0 THEN 'special_groups' "
            f"WHEN {row}.category = 'student' THEN 'students' "
            f"WHEN {row}.category IN ('child', 'newborn') THEN 'children' ELSE 'general' END"
        )
        return values

    vars(v9)["_derived_columns"] = columns  # the module's trigger builders look it up by name
    return v9


def _install(v9: ModuleType) -> None:
    """The triggers (SQLite) or trigger functions (PostgreSQL) with ``v9``'s derivation, and the log rebuilt."""
    if op.get_bind().dialect.name == "postgresql":
        insert, _, delete, _, _, _ = v9._postgresql_triggers()  # a function and a trigger each: insert, delete, update
        for function in (insert, delete):
            op.execute(function.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1))
        op.execute(_postgresql_update(v9))
    else:
        for event in EVENTS:
            op.execute(f"DROP TRIGGER enrollments_progress_{event}")
        for statement in v9._sqlite_triggers():
            op.execute(statement)
    for table in KEPT:
        op.execute(f"DELETE FROM {table}")
    op.execute(
        f"INSERT INTO progress_changes ({', '.join(v9.LOGGED)}, weight) "
        f"SELECT {v9._derived('e')}, count(*) FROM enrollments e GROUP BY {v9._derived('e')}"
    )


def _postgresql_update(v9: ModuleType) -> str:
    """0010's form of the update trigger: each side grouped on its own, no join."""
    logged = ", ".join(v9.LOGGED)
    old, new = ", ".join(v9._derived_columns("o", True)), ", ".join(v9._derived_columns("n", True))
    body = (
        f"INSERT INTO progress_changes ({logged}, weight) SELECT {logged}, sum(weight) FROM ("
        f"SELECT {old}, -count(*) FROM old_rows o GROUP BY {old} "
        f"UNION ALL SELECT {new}, count(*) FROM new_rows n GROUP BY {new}"
        f") AS sides ({logged}, weight) GROUP BY {logged} HAVING sum(weight) <> 0"
    )
    return (
        "CREATE OR REPLACE FUNCTION progress_log_update() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN {body}; RETURN NULL; END $$"
    )


def upgrade() -> None:
    _install(_with_children(_revision("0009_progress_counts.py")))


def downgrade() -> None:
    _install(_revision("0009_progress_counts.py"))
