"""A unit of work: one transaction per use case, with its audit entries; all of it commits or none does."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextvars import ContextVar
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from yibao.adapters.db.tables import AuditEntry, JobCommit

# The background job this thread runs (set by services.jobs while a job's work runs), or None: its commits are
# marked so the job's state follows what was committed even if its process dies before writing its state file.
running_job: ContextVar[str | None] = ContextVar("running_job", default=None)


class UnitOfWork:
    def __init__(self, session_factory: Callable[[], Session], *, actor: str, now: datetime) -> None:
        self._session_factory = session_factory
        self.actor = actor
        self.now = now
        self.session: Session

    def __enter__(self) -> UnitOfWork:
        self.session = self._session_factory()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        # Nothing commits unless the use case says so; anything left open is rolled back.
        self.session.rollback()
        self.session.close()

    def commit(self) -> None:
        job = running_job.get()
        if job is not None and self.session.get(JobCommit, job) is None:
            self.session.add(JobCommit(job_id=job, at=self.now))  # in the same transaction as the job's write
        self.session.commit()

    def rollback(self) -> None:
        """Undo whatever a refused use case left in the session (a loaded record it touched before refusing), so
        that the same request can go on to read, e.g. to show the form again with the error."""
        self.session.rollback()

    def audit(
        self, action: str, entity: str, entity_id: object, before: dict[str, Any] | None, after: dict[str, Any] | None
    ) -> None:
        self.session.add(
            AuditEntry(
                at=self.now.astimezone(UTC),
                actor=self.actor,
                action=action,
                entity=entity,
                entity_id=str(entity_id),
                before=before,
                after=after,
            )
        )

    def audit_many(self, entries: Sequence[AuditRecord]) -> None:
        """Several audit entries written now, in one statement: for busy paths (the counter, bulk updates),
        where an ORM object per entry costs more than the statement itself. Same transaction, same columns as
        :meth:`audit`."""
        if not entries:
            return
        at = self.now.astimezone(UTC)
        self.session.execute(
            insert(AuditEntry),
            [
                {
                    "at": at,
                    "actor": self.actor,
                    "action": action,
                    "entity": entity,
                    "entity_id": str(entity_id),
                    "before": before,
                    "after": after,
                }
                for action, entity, entity_id, before, after in entries
            ],
        )


# action, entity, entity id, before, after
AuditRecord = tuple[str, str, object, dict[str, Any] | None, dict[str, Any] | None]
