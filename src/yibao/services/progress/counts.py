"""The progress counts kept as enrollments change: a large write folds what it committed into them as its last
step, and a server folds whatever else is logged in the background, so that no clerk's request pays for more than
a bounded part of it (see :mod:`yibao.adapters.db.progress_counts`)."""

from __future__ import annotations

import logging
import threading

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from yibao.adapters.db import progress_counts
from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.services.jobs import Progress, no_progress

log = logging.getLogger(__name__)

FOLD_STEP = "更新进度统计"


def fold_after_write(uow: UnitOfWork, progress: Progress = no_progress) -> int:
    """Fold what a large write just committed (a roster, a department list, a statement) into the kept counts, as
    the last step of that write's job: otherwise the first progress report after it would fold it inside a
    clerk's request (seconds for a district's roster on SQLite). The number of changes folded; none where the
    database is busy (the next reader folds them)."""
    progress(FOLD_STEP, 0, 1)
    try:
        folded = progress_counts.fold_all(uow.session.get_bind().engine)
    except SQLAlchemyError:
        # The write is committed and the counts stay exact without a fold (readers add the log): a failed fold
        # must not turn a successful import into a failed job that a clerk would upload again.
        log.warning("progress fold after a write failed; the next report folds", exc_info=True)
        folded = 0
    progress(FOLD_STEP, 1, 1)
    return folded


FOLD_INTERVAL = 5.0  # seconds between a server's background folds


class BackgroundFold:
    """A server process's thread that folds the log every few seconds, a chunk per transaction — after a load that
    bypassed the jobs (a restore, a migration) as much as after a day's counter work. With several server
    processes, one folds at a time (PostgreSQL's advisory lock; SQLite's one writer) and the others skip."""

    def __init__(self, engine: Engine, interval: float = FOLD_INTERVAL) -> None:
        self.engine = engine
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="progress-fold", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=60)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                progress_counts.fold_all(self.engine)
            except SQLAlchemyError:  # the database restarting, say: the readers add the log meanwhile
                log.warning("background progress fold failed; retried in %s s", self.interval, exc_info=True)
