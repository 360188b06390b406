"""A job's state follows what was committed (the boundary probe: a job stopped after its commit read 已中断, "数据未作
改动"). A job's commit is marked in its own transaction; a job whose process died reads 已写入 if its work
committed and 已中断 only if it did not — here with the process killed right after the commit, on both databases."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from sqlalchemy import Engine, func, select

from households import NOW
from yibao.adapters.db.database import session_factory
from yibao.adapters.db.tables import AuditEntry, JobCommit
from yibao.domain.states import JobState
from yibao.services.access import Principal, Role
from yibao.services.jobs import JobRunner, commits_in

KILLED_AFTER = textwrap.dedent(
    """
    import os, signal, sys
    from datetime import datetime
    from yibao.adapters.db.database import make_engine, session_factory
    from yibao.adapters.db.unit_of_work import UnitOfWork
    from yibao.services.access import Principal, Role
    from yibao.services.jobs import JobRunner

    url, folder, commit = sys.argv[1], sys.argv[2], sys.argv[3] == "commit"
    now = datetime.fromisoformat("2017-10-25T09:30:00+08:00")
    factory = session_factory(make_engine(url))
    clerk = Principal(2, "clerk", "经办员", Role.TOWNSHIP_OPERATOR, "120119100000")

    def work(job):
        with UnitOfWork(factory, actor="clerk", now=now) as uow:
            uow.audit("import", "roster", "名册.xlsx", None, {"rows": 1})
            if commit:
                uow.commit()
            print(job.id, flush=True)
            os.kill(os.getpid(), signal.SIGKILL)  # the process dies before the job writes its state file

    from pathlib import Path
    JobRunner(Path(folder), lambda: now).submit(clerk, "roster_import", "导入名册", "120119100000", {}, work)
    signal.pause()
    """
)


def _killed_job(engine: Engine, folder: Path, commit: bool) -> str:
    url = engine.url.render_as_string(hide_password=False)
    run = subprocess.run(
        [sys.executable, "-c", KILLED_AFTER, url, str(folder), "commit" if commit else "no"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == -9, run.stderr
    return run.stdout.strip()


def test_a_job_killed_after_its_commit_reads_as_written(engine: Engine, tmp_path: Path) -> None:
    folder = tmp_path / "jobs"
    written = _killed_job(engine, folder, commit=True)
    lost = _killed_job(engine, folder, commit=False)
    runner = JobRunner(folder, lambda: NOW, committed=commits_in(session_factory(engine)))
    owner = Principal(2, "clerk", "经办员", Role.TOWNSHIP_OPERATOR, "120119100000")  # who started both jobs
    assert runner.view(owner, written).state is JobState.COMMITTED
    assert runner.view(owner, lost).state is JobState.INTERRUPTED
    assert runner.view(owner, written).finished and runner.view(owner, lost).finished
    with session_factory(engine)() as session:
        assert session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.entity == "roster")) == 1
        assert set(session.scalars(select(JobCommit.job_id))) == {written}
    # Without the database to ask (a runner not given it), a dead job can only read as interrupted.
    assert JobRunner(folder, lambda: NOW).view(owner, written).state is JobState.INTERRUPTED
