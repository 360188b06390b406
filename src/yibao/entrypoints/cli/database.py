"""The database a command works on (YIBAO_DATABASE_URL, default ``yibao.sqlite`` here), for the commands that
only read it when it is there: a quote or a plan's listing needs no database unless a bureau's plan is asked for."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.orm import Session

from yibao.adapters.db.database import DEFAULT_URL, database_url, make_engine, session_factory


def _configured() -> bool:
    return "YIBAO_DATABASE_URL" in os.environ or Path(DEFAULT_URL.removeprefix("sqlite:///")).exists()


@contextmanager
def optional_session() -> Iterator[Session | None]:
    """A session on the configured database if there is one with the policy store in it; else None."""
    if not _configured():
        yield None
        return
    engine = make_engine(database_url())
    try:
        if not inspect(engine).has_table("stored_policies"):
            yield None
            return
        with session_factory(engine)() as session:
            yield session
    finally:
        engine.dispose()
