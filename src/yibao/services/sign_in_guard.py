"""Guessing passwords is slowed to a stop: after :data:`LOCK_AFTER` wrong passwords in a row an account is locked
for :data:`LOCK_MINUTES` (a district admin may lift it at once), and an address with :data:`ADDRESS_LIMIT` failures
in that time — one machine trying many accounts — is refused until they age out. Every attempt is counted by the
username typed, whether or not such a user exists, so a lock tells an attacker nothing about which names exist.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from yibao.adapters.db.tables import SignInAttempt, User
from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.domain.errors import YibaoError
from yibao.domain.states import SignInOutcome
from yibao.services.access import Permission, Principal

LOCK_AFTER = 5
LOCK_MINUTES = 15
ADDRESS_LIMIT = 30


def _failures_in_a_row(uow: UnitOfWork, usernames: list[str]) -> dict[str, int]:
    """Per username, the wrong passwords within the lock window after its last success or unlock (by the order
    they were written: a server on a set clock may write several in the same instant) — one query for any number
    of names (the users page asks for all of a district's)."""
    cleared = (
        select(SignInAttempt.username, func.max(SignInAttempt.id).label("last"))
        .where(
            SignInAttempt.username.in_(usernames),
            SignInAttempt.outcome.in_([SignInOutcome.SUCCEEDED, SignInOutcome.UNLOCKED]),
        )
        .group_by(SignInAttempt.username)
        .subquery()
    )
    rows = uow.session.execute(
        select(SignInAttempt.username, func.count())
        .outerjoin(cleared, cleared.c.username == SignInAttempt.username)
        .where(
            SignInAttempt.username.in_(usernames),
            SignInAttempt.outcome == SignInOutcome.FAILED,
            SignInAttempt.at > uow.now - timedelta(minutes=LOCK_MINUTES),
            SignInAttempt.id > func.coalesce(cleared.c.last, 0),
        )
        .group_by(SignInAttempt.username)
    ).all()
    return {username: int(count) for username, count in rows}


def check_allowed(uow: UnitOfWork, username: str, address: str | None) -> None:
    """Refuse, before the password is even checked, an account locked or an address throttled."""
    failures = _failures_in_a_row(uow, [username]).get(username, 0)
    if failures >= LOCK_AFTER:
        raise YibaoError("LOGIN_LOCKED", field="username", count=failures, minutes=LOCK_MINUTES)
    if address:
        recent = uow.session.scalar(
            select(func.count()).where(
                SignInAttempt.address == address,
                SignInAttempt.outcome == SignInOutcome.FAILED,
                SignInAttempt.at > uow.now - timedelta(minutes=LOCK_MINUTES),
            )
        )
        if (recent or 0) >= ADDRESS_LIMIT:
            raise YibaoError("LOGIN_THROTTLED", field="username", minutes=LOCK_MINUTES)


def record(uow: UnitOfWork, username: str, address: str | None, outcome: SignInOutcome) -> None:
    """Keep one attempt (the caller commits; a failure is committed before the refusal is answered)."""
    uow.session.add(SignInAttempt(at=uow.now, username=username[:64], address=(address or None), outcome=outcome))


def locked(uow: UnitOfWork, usernames: list[str]) -> set[str]:
    """Which of these accounts are locked now (for the users page)."""
    return {username for username, count in _failures_in_a_row(uow, usernames).items() if count >= LOCK_AFTER}


def unlock(uow: UnitOfWork, by: Principal | None, username: str) -> None:
    """Lift a lock at once: a district admin for a user of the district, or the server's operator (``by`` None,
    ``yibao user unlock``). The next wrong passwords count from zero."""
    if by is not None:
        by.require(Permission.MANAGE_USERS)
    user = uow.session.scalars(select(User).where(User.username == username)).first()
    if user is None or (by is not None and user.area_code[:6] != by.district):
        raise YibaoError("USER_UNKNOWN", field="username", username=username)
    record(uow, username, None, SignInOutcome.UNLOCKED)
    uow.audit("unlock", "user", user.id, None, {"username": username})
    uow.commit()
