"""What the commands share: the options every command that acts for a user takes (the user, the clock, JSON out)
and the unit of work in which it acts as that user."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated, Any

import typer

from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.domain.errors import YibaoError
from yibao.domain.timeutil import SHANGHAI
from yibao.entrypoints.cli.database import unit_of_work
from yibao.entrypoints.cli.output import fail, instant_option
from yibao.services.access import Principal
from yibao.services.users import acting_as

User = Annotated[str, typer.Option(help="act as this user (their role and area apply)")]
Clock = Annotated[str | None, typer.Option(help="as if it were this moment (ISO 8601)")]
Json = Annotated[bool, typer.Option("--json", help="print JSON")]


@contextmanager
def acting(user: str, clock: str | None, as_json: bool) -> Iterator[tuple[UnitOfWork, Principal]]:
    now = instant_option(clock, "clock", as_json) or datetime.now(SHANGHAI)
    uow = unit_of_work(user, now, as_json=as_json)
    with uow:
        try:
            yield uow, acting_as(uow, user)
        except YibaoError as error:
            fail(error, as_json=as_json)


def run_as(user: str, clock: str | None, as_json: bool, call: Callable[[UnitOfWork, Principal], Any]) -> Any:
    with acting(user, clock, as_json) as (uow, principal):
        return call(uow, principal)
