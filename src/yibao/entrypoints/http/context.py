"""What a request needs, for the API and the web pages alike: the database, the clock, and who is asking.

The clock is injectable because a campaign runs on the plan's dates: tests and the demo run the bundled 2018 plan
on a clock set inside its campaign (see :func:`campaign_clock`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.adapters.job_files import data_directory
from yibao.domain.timeutil import SHANGHAI
from yibao.services.access import Principal
from yibao.services.jobs import JobRunner, commits_in
from yibao.services.users import authenticate

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(SHANGHAI)


def campaign_clock(start: datetime) -> Clock:
    """A clock that starts at ``start`` and runs at real speed from there."""
    offset = start - system_clock()

    def now() -> datetime:
        return system_clock() + offset

    return now


def secure_cookies_setting(clock_setting: str | None) -> bool:
    """Whether the sign-in cookies carry ``Secure`` (sent over HTTPS only): YIBAO_SECURE_COOKIES says (1/0), else
    on — except for a demo or a server on a set clock, which run on http://localhost. Behind HTTPS, leave it on;
    served over plain HTTP on a network, browsers would not send the cookie back (set 0, and read
    docs/security.md first)."""
    value = os.environ.get("YIBAO_SECURE_COOKIES", "").strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    return clock_setting is None


@dataclass(frozen=True)
class AppContext:
    session_factory: Callable[[], Session]
    clock: Clock = system_clock
    secure_cookies: bool = False
    data_dir: Path = field(default_factory=data_directory)

    def unit_of_work(self, actor: str) -> UnitOfWork:
        return UnitOfWork(self.session_factory, actor=actor, now=self.clock())

    @cached_property
    def jobs(self) -> JobRunner:
        """This process's background jobs (imports, exports); their state files are shared by all processes."""
        return JobRunner(self.data_dir / "jobs", self.clock, committed=commits_in(self.session_factory))


def app_context(request: Request) -> AppContext:
    context: AppContext = request.app.state.context
    return context


@dataclass
class Work:
    """One request's unit of work, already knowing who asks (its actor is the user's name)."""

    principal: Principal
    uow: UnitOfWork


def open_work(context: AppContext, token: str | None) -> Iterator[Work]:
    with context.unit_of_work("anonymous") as uow:
        principal = authenticate(uow, token)
        uow.actor = principal.username
        yield Work(principal, uow)


Context = Annotated[AppContext, Depends(app_context)]
