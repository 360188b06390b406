"""Databases for tests: a SQLite file, and a PostgreSQL schema of its own when YIBAO_TEST_POSTGRES_URL is set."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from yibao.adapters.db.database import make_engine

POSTGRES_URL = os.environ.get("YIBAO_TEST_POSTGRES_URL")
NO_POSTGRES = (
    "PostgreSQL not configured: set YIBAO_TEST_POSTGRES_URL (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test); "
    ".ci/run sets it, so CI always runs these"
)


def sqlite_engine(tmp_path: Path) -> Engine:
    return make_engine(f"sqlite:///{tmp_path / 'yibao.sqlite'}")


def postgres_schema_url() -> Iterator[str]:
    """A URL whose connections work in a fresh schema of their own, dropped afterwards (a server in another
    process can be given it)."""
    if not POSTGRES_URL:
        if os.environ.get("YIBAO_REQUIRE_POSTGRES"):
            pytest.fail(NO_POSTGRES)
        pytest.skip(NO_POSTGRES)
    schema = f"test_{uuid.uuid4().hex[:12]}"
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        joiner = "&" if "?" in POSTGRES_URL else "?"
        yield f"{POSTGRES_URL}{joiner}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def postgres_engine() -> Iterator[Engine]:
    for url in postgres_schema_url():
        engine = make_engine(url, pool_size=10)
        try:
            yield engine
        finally:
            engine.dispose()
