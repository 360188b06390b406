"""Long work in the background: a roster import or an export runs in a worker thread while the web page and the
API poll its state by id. The CLI does the same work in the foreground with a progress bar.

A job is visible to the user who started it and to the district's administrators; to anyone else it does not
exist (``JOB_NOT_FOUND``), as with records outside one's area.
"""

from __future__ import annotations

import logging
import shutil
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from yibao.adapters.db.tables import JobCommit
from yibao.adapters.db.unit_of_work import running_job
from yibao.adapters.job_files import JobFiles, JobRecord, iso, process_alive
from yibao.domain.errors import YibaoError
from yibao.domain.states import FINISHED_JOBS, JobState
from yibao.services.access import Principal, Role

log = logging.getLogger(__name__)

WORKERS = 2  # jobs at once per server process: each holds a whole file in memory
KEEP_FOR = timedelta(days=7)  # a job's folder (and its error or export file) is removed after this
SAVE_EVERY = 0.25  # seconds between progress writes within one step

Progress = Callable[[str, int, int], None]  # step, done, total: long work reports it, a bar or a job shows it


def no_progress(_step: str, _done: int, _total: int) -> None:
    """The progress of a caller that shows none."""


@dataclass(frozen=True)
class JobView:
    id: str
    kind: str
    title: str
    state: JobState
    state_name: str
    step: str
    done: int
    total: int
    created_at: str
    updated_at: str
    params: dict[str, Any]
    result: dict[str, Any] | None
    error: dict[str, Any] | None
    download_name: str | None  # the file to download once finished, if the job made one

    @property
    def finished(self) -> bool:
        return self.state in FINISHED_JOBS

    @property
    def percent(self) -> int:
        if self.state is JobState.SUCCEEDED:
            return 100
        return int(100 * self.done / self.total) if self.total else 0


class Job:
    """What a job's work sees: where to report progress and where to put the file it makes."""

    def __init__(self, files: JobFiles, record: JobRecord, clock: Callable[[], datetime]) -> None:
        self._files = files
        self._record = record
        self._clock = clock
        self._saved_at = 0.0

    @property
    def id(self) -> str:
        return self._record.id

    def progress(self, step: str, done: int, total: int) -> None:
        record = self._record
        changed_step = step != record.step
        record.step, record.done, record.total = step, done, total
        now = time.monotonic()
        if changed_step or done >= total or now - self._saved_at >= SAVE_EVERY:
            self.save()
            self._saved_at = now

    def output(self, download_name: str) -> Path:
        """The path to write the job's file to; it is offered for download under ``download_name``."""
        suffix = Path(download_name).suffix
        self._record.output_name = f"output{suffix}"
        self._record.download_name = download_name
        return self._files.folder(self._record.id) / self._record.output_name

    def start(self) -> None:
        self._record.state = JobState.RUNNING.code
        self.progress("开始", 0, 1)

    def finish(self, state: JobState, result: dict[str, Any] | None, error: dict[str, Any] | None) -> None:
        self._record.state, self._record.result, self._record.error = state.code, result, error
        if error is not None:
            self._record.output_name = self._record.download_name = None
        self.save()

    def save(self) -> None:
        self._record.updated_at = iso(self._clock())
        self._files.save(self._record)


Work = Callable[[Job], dict[str, Any]]


def commits_in(session_factory: Callable[[], Session]) -> Callable[[str], bool]:
    """Whether a job's work committed, read from the database its work writes to (see :class:`JobCommit`)."""

    def committed(job_id: str) -> bool:
        with session_factory() as session:
            return session.get(JobCommit, job_id) is not None

    return committed


class JobRunner:
    def __init__(
        self,
        root: Path,
        clock: Callable[[], datetime],
        workers: int = WORKERS,
        committed: Callable[[str], bool] | None = None,
    ) -> None:
        """``committed``: whether a job's work committed (:func:`commits_in`), asked only of a job whose process
        died while its state file said it was running; without it, such a job is interrupted."""
        self.files = JobFiles(root)
        self._clock = clock
        self._committed = committed
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="yibao-job")

    def submit(
        self, principal: Principal, kind: str, title: str, area_code: str, params: dict[str, Any], work: Work
    ) -> JobView:
        self._prune()
        now = iso(self._clock())
        record = JobRecord(
            uuid.uuid4().hex, kind, title, principal.username, area_code, JobState.QUEUED, now, now, params
        )
        job = Job(self.files, record, self._clock)
        job.save()
        self._pool.submit(self._run, job, work)
        return self._view(record)

    def view(self, principal: Principal, job_id: str) -> JobView:
        return self._view(self._visible(principal, job_id))

    def output(self, principal: Principal, job_id: str) -> tuple[Path, str]:
        record = self._visible(principal, job_id)
        if record.state != JobState.SUCCEEDED or not record.output_name or not record.download_name:
            raise YibaoError("JOB_NO_FILE", field="job_id", job=job_id)
        return self.files.folder(job_id) / record.output_name, record.download_name

    def recent(self, principal: Principal, kind: str, limit: int = 10) -> list[JobView]:
        return [
            self._view(record)
            for record in self.files.recent(limit * 5)
            if record.kind == kind and _may_see(principal, record)
        ][:limit]

    def wait(self, job_id: str, timeout: float) -> JobRecord | None:
        """Until a job has finished (tests and the CLI's --wait use this); the record as it then is."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            record = self.files.load(job_id)
            if record is not None and self._view(record).finished:
                return record
            time.sleep(0.05)
        return self.files.load(job_id)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=False)

    def _run(self, job: Job, work: Work) -> None:
        job.start()
        marking = running_job.set(job.id)  # this thread's commits are the job's (UnitOfWork.commit marks them)
        try:
            result = work(job)
        except YibaoError as error:
            job.finish(JobState.FAILED, None, error.to_dict())
        except Exception as error:  # a bug or a broken database: the job says so instead of running forever
            log.exception("job %s failed", job.id)
            job.finish(JobState.FAILED, None, YibaoError("JOB_FAILED", detail=type(error).__name__).to_dict())
        else:
            job.finish(JobState.SUCCEEDED, result, None)
        finally:
            running_job.reset(marking)

    def _visible(self, principal: Principal, job_id: str) -> JobRecord:
        record = self.files.load(job_id)
        if record is None or not _may_see(principal, record):
            raise YibaoError("JOB_NOT_FOUND", field="job_id", job=job_id)
        return record

    def _prune(self) -> None:
        cutoff = self._clock() - KEEP_FOR
        for record in self.files.recent(10_000):
            if self._view(record).finished and datetime.fromisoformat(record.updated_at) < cutoff:
                shutil.rmtree(self.files.folder(record.id), ignore_errors=True)

    def _view(self, record: JobRecord) -> JobView:
        state = JobState(record.state)
        if state in (JobState.QUEUED, JobState.RUNNING) and process_alive(record.host, record.pid) is False:
            # Its process died: what it wrote is in if its work committed (only its report is lost), else nothing is.
            committed = self._committed is not None and self._committed(record.id)
            state = JobState.COMMITTED if committed else JobState.INTERRUPTED
        return JobView(
            id=record.id,
            kind=record.kind,
            title=record.title,
            state=state,
            state_name=state.zh,
            step=record.step,
            done=record.done,
            total=record.total,
            created_at=record.created_at,
            updated_at=record.updated_at,
            params=record.params,
            result=record.result,
            error=record.error,
            download_name=record.download_name if state is JobState.SUCCEEDED and record.output_name else None,
        )


def _may_see(principal: Principal, record: JobRecord) -> bool:
    if record.actor == principal.username:
        return True
    return principal.role is Role.DISTRICT_ADMIN and record.area_code[:6] == principal.district
