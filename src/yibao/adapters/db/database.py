"""Connecting: a SQLite file by default (zero set-up), PostgreSQL when YIBAO_DATABASE_URL says so."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from yibao.adapters.db.url import database_url


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")  # SQLite ignores foreign keys unless asked, per connection
    cursor.execute("PRAGMA journal_mode = WAL")  # readers do not block the one writer
    cursor.execute("PRAGMA busy_timeout = 5000")
    # Temporary tables (staged keys, bulk updates) and the statement journals that each row of a bulk insert
    # opens once enrollments have triggers, kept in memory instead of temporary files: a bulk insert into
    # enrollments ran 60 % slower with them on disk. Set at connect: changing it later drops temporary tables.
    cursor.execute("PRAGMA temp_store = MEMORY")
    cursor.close()


def make_engine(url: str | None = None, **options: Any) -> Engine:
    # hide_parameters: a database error names the statement, never its values — ID numbers, names and phones
    # would otherwise reach the server's log (and any traceback) with every failed insert.
    engine = create_engine(url or database_url(), hide_parameters=True, **options)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
