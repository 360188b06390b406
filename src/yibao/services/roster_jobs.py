"""A roster import as a background job, for the web page and the API: the same use case as `yibao import roster`,
with its error file kept for download and its report as the job's result."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.services.access import Permission, Principal
from yibao.services.jobs import Job, JobRunner, JobView
from yibao.services.policies import campaign_policy
from yibao.services.roster_import import import_roster
from yibao.services.roster_report import RosterRequest

ROSTER_IMPORT = "roster_import"
SHOWN_PROBLEMS = 500  # in the job's result; the error file has them all


def start_roster_import(
    runner: JobRunner,
    unit_of_work: Callable[[str], UnitOfWork],
    principal: Principal,
    request: RosterRequest,
    now: datetime,
) -> JobView:
    """Refuse at once what can be refused without reading the file (role, area, no plan); the rest runs in the
    background, and its refusals (an unreadable file, missing columns) become the job's error."""
    principal.require(Permission.WRITE_RESIDENTS)
    principal.require_township(request.township_code)
    if not request.policy_id:
        request = request.with_policy(campaign_policy(request.township_code[:6], now.date()).id)
    verb = "检查" if request.dry_run else "导入"
    title = f"{verb}名册 {request.file_name}"

    def work(job: Job) -> dict[str, Any]:
        with unit_of_work(principal.username) as uow:
            report = import_roster(uow, principal, request, job.progress)
        error_file = None
        if report.problems:
            error_file = f"{Path(request.file_name).stem}-错误.{report.sheet.kind}"
            report.write_error_file(job.output(error_file))
        return report.summary(error_file, SHOWN_PROBLEMS)

    params = {
        "file_name": request.file_name,
        "township_code": request.township_code,
        "channel": request.channel,
        "policy_id": request.policy_id,
        "organization_id": request.organization_id,
        "dry_run": request.dry_run,
    }
    return runner.submit(principal, ROSTER_IMPORT, title, request.township_code, params, work)
