"""Alembic, configured in code: the same migrations for SQLite and PostgreSQL, from empty to head."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, inspect, text

if TYPE_CHECKING:  # Alembic is loaded to migrate, not by every command that checks the database's revision
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def _config_for(connection: Connection) -> Config:
    config = alembic_config(connection.engine.url.render_as_string(hide_password=False))
    config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate on the engine's own connection (so connection options such as a search_path hold)."""
    from alembic import command

    with engine.begin() as connection:
        command.upgrade(_config_for(connection), revision)


def downgrade(engine: Engine, revision: str) -> None:
    from alembic import command

    with engine.begin() as connection:
        command.downgrade(_config_for(connection), revision)


def head_revision() -> str:
    """The code's newest migration: revisions are numbered as their files are (0014_….py is revision 0014), so
    the head is read from the file names — without loading Alembic and every migration, which a command that
    only checks the database would pay for at each start. (A test holds this to Alembic's own head.)"""
    return max(path.name[:4] for path in (MIGRATIONS / "versions").glob("[0-9][0-9][0-9][0-9]_*.py"))


def current_revision(engine: Engine) -> str | None:
    """The database's migration revision; None where it has none (empty, or not yibao's)."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(text("select version_num from alembic_version")).scalar()
