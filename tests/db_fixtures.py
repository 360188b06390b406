"""Databases for tests: a SQLite file, and a PostgreSQL database of its own when YIBAO_TEST_POSTGRES_URL is set.

The migrations run once per test process and database kind, into a template; each test that wants a migrated
database gets a copy of it (a file copy on SQLite, ``CREATE DATABASE … TEMPLATE`` on PostgreSQL: 40 ms against
300 ms for migrating). The template is itself migrated from empty, so every run still proves the migrations on
both databases; ``tests/test_registry.py`` also runs them down and up again.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sqlite3
import tempfile
import uuid
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest
from sqlalchemy import Engine, make_url, text

from yibao.adapters.db import migrate
from yibao.adapters.db.database import make_engine

POSTGRES_URL = os.environ.get("YIBAO_TEST_POSTGRES_URL")
NO_POSTGRES = (
    "PostgreSQL not configured: set YIBAO_TEST_POSTGRES_URL (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test); "
    ".ci/run sets it, so CI always runs these"
)


def sqlite_engine(tmp_path: Path) -> Engine:
    """An empty SQLite database (no tables) in ``tmp_path``."""
    return make_engine(f"sqlite:///{tmp_path / 'yibao.sqlite'}")


@cache
def _sqlite_template() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="yibao-template-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    engine = sqlite_engine(folder)
    migrate.upgrade(engine)
    engine.dispose()
    return folder / "yibao.sqlite"


def migrated_sqlite_url(folder: Path) -> str:
    """The URL of a migrated SQLite database in ``folder``: a copy of the template, through SQLite's backup so
    that nothing still in the template's write-ahead log is lost."""
    target = folder / "yibao.sqlite"
    with sqlite3.connect(_sqlite_template()) as source, sqlite3.connect(target) as copy:
        source.backup(copy)
    source.close()
    copy.close()
    return f"sqlite:///{target}"


def _require_postgres() -> str:
    if not POSTGRES_URL:
        if os.environ.get("YIBAO_REQUIRE_POSTGRES"):
            pytest.fail(NO_POSTGRES)
        pytest.skip(NO_POSTGRES)
    return POSTGRES_URL


def _admin() -> Engine:
    return make_engine(_require_postgres(), isolation_level="AUTOCOMMIT")


def _database_url(name: str) -> str:
    return make_url(_require_postgres()).set(database=name).render_as_string(hide_password=False)


@cache
def _postgres_template() -> str:
    name = f"yibao_template_{os.getpid()}"
    admin = _admin()
    with admin.connect() as connection:
        for (stale,) in connection.execute(
            text("SELECT datname FROM pg_database WHERE datname LIKE 'yibao_template_%'")
        ):
            if stale == name or not _process_alive(int(stale.rsplit("_", 1)[1])):  # left by a killed test run
                connection.execute(text(f'DROP DATABASE IF EXISTS "{stale}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(_database_url(name))
    migrate.upgrade(engine)
    engine.dispose()
    atexit.register(_drop, name)
    admin.dispose()
    return name


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _drop(name: str) -> None:
    admin = _admin()
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def postgres_schema_url() -> Iterator[str]:
    """A URL whose connections work in a fresh, empty schema of their own, dropped afterwards (a server in
    another process can be given it)."""
    admin = _admin()
    schema = f"test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = _require_postgres()
        joiner = "&" if "?" in url else "?"
        yield f"{url}{joiner}options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def migrated_postgres_url() -> Iterator[str]:
    """The URL of a migrated PostgreSQL database of its own, a copy of the template, dropped afterwards (with any
    connection a killed process left behind)."""
    yield from _postgres_copy(_postgres_template())


def _postgres_copy(template: str) -> Iterator[str]:
    name = f"test_{uuid.uuid4().hex[:12]}"
    admin = _admin()
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    try:
        yield _database_url(name)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def empty_url(kind: str, folder: Path) -> Iterator[str]:
    """An empty database of ``kind``, for what migrates it itself (``yibao db upgrade``)."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'yibao.sqlite'}"
    else:
        yield from postgres_schema_url()


def copy_of(url: str, folder: Path) -> Iterator[str]:
    """A copy of the database at ``url`` (a SQLite file, or a PostgreSQL database no one is connected to), for one
    example of a property test to change as it likes; dropped afterwards."""
    if url.startswith("sqlite"):
        target = folder / f"copy-{uuid.uuid4().hex[:8]}.sqlite"
        with sqlite3.connect(make_url(url).database or "") as source, sqlite3.connect(target) as copy:
            source.backup(copy)
        source.close()
        copy.close()
        try:
            yield f"sqlite:///{target}"
        finally:
            target.unlink()
    else:
        yield from _postgres_copy(make_url(url).database or "")


def migrated_url(kind: str, folder: Path) -> Iterator[str]:
    """A migrated database of ``kind`` (``sqlite`` or ``postgresql``), for the test's lifetime."""
    if kind == "sqlite":
        yield migrated_sqlite_url(folder)
    else:
        yield from migrated_postgres_url()


def migrated_engine(kind: str, folder: Path) -> Iterator[Engine]:
    """An engine on a migrated database of ``kind``, disposed of afterwards."""
    for url in migrated_url(kind, folder):
        engine = make_engine(url, pool_size=10) if kind != "sqlite" else make_engine(url)
        try:
            yield engine
        finally:
            engine.dispose()
