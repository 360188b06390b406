"""The database a command works on (YIBAO_DATABASE_URL, default ``yibao.sqlite`` here): the unit of work of every
command that needs it (refused in Chinese where it is missing, empty or of another version), and an optional
session for the commands that only read it when it is there — a quote or a plan's listing needs no database
unless a bureau's plan is asked for."""

from __future__ import annotations

import getpass
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from yibao.adapters.db.url import DEFAULT_URL, database_url
from yibao.domain.errors import YibaoError
from yibao.domain.timeutil import SHANGHAI
from yibao.entrypoints.cli.output import fail

# The database's modules are imported by the functions that open one: a quote on a bundled plan with no database
# here never loads SQLAlchemy (see bench/bench_cli_start.py).
if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from yibao.adapters.db.unit_of_work import UnitOfWork


def _configured() -> bool:
    return "YIBAO_DATABASE_URL" in os.environ or Path(DEFAULT_URL.removeprefix("sqlite:///")).exists()


@contextmanager
def optional_session() -> Iterator[Session | None]:
    """A session on the configured database if there is one with the policy store in it; else None."""
    if not _configured():
        yield None
        return
    from sqlalchemy import inspect

    from yibao.adapters.db.database import make_engine, session_factory

    engine = make_engine(database_url())
    try:
        if not inspect(engine).has_table("stored_policies"):
            yield None
            return
        with session_factory(engine)() as session:
            yield session
    finally:
        engine.dispose()


def _hint() -> str:
    """Where the CLI could look instead: a demo's database in this folder (``yibao demo`` writes its own file)."""
    demos = sorted(Path().glob("yibao-demo*.sqlite"))
    if not demos:
        return "先运行 yibao db upgrade 建立数据库，或设置 YIBAO_DATABASE_URL 指向已有的数据库"
    return f"本目录有演示数据库 {demos[0].name}，可先执行 export YIBAO_DATABASE_URL=sqlite:///{demos[0].name}"


def require_database(url: str | None = None) -> None:
    """Refuse, in Chinese and with the way out, a database a command cannot work on: a SQLite file that is not
    there (never created empty by connecting to it), a database with no tables, or one of another version."""
    from sqlalchemy import make_url

    from yibao.adapters.db import migrate
    from yibao.adapters.db.database import make_engine

    url = url or database_url()
    parsed = make_url(url)
    shown = parsed.render_as_string(hide_password=True)
    a_file = parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:")
    if a_file and not Path(str(parsed.database)).exists():
        raise YibaoError("DATABASE_MISSING", field="YIBAO_DATABASE_URL", url=shown, hint=_hint())
    engine = make_engine(url)
    try:
        current = migrate.current_revision(engine)
    finally:
        engine.dispose()
    if current is None:
        raise YibaoError("DATABASE_EMPTY", field="YIBAO_DATABASE_URL", url=shown, hint=_hint())
    head = migrate.head_revision()
    if current != head:
        raise YibaoError("DATABASE_VERSION", field="YIBAO_DATABASE_URL", url=shown, current=current, head=head)


def unit_of_work(user: str | None = None, now: datetime | None = None, *, as_json: bool = False) -> UnitOfWork:
    """The unit of work a command acts in, on the configured database, recorded as this operating-system user
    (acting for ``user``, where one is named): never a traceback or a new empty file where the database is not
    ready (:func:`require_database`)."""
    from yibao.adapters.db.database import make_engine, session_factory
    from yibao.adapters.db.unit_of_work import UnitOfWork

    try:
        require_database()
    except YibaoError as error:
        fail(error, as_json=as_json)
    actor = f"cli:{getpass.getuser()}" + (f":{user}" if user else "")
    return UnitOfWork(session_factory(make_engine()), actor=actor, now=now or datetime.now(SHANGHAI))
