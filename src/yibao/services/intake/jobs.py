"""Roster and department-list imports as background jobs, for the web pages and the API: the same use cases as
`yibao import roster` and `yibao import list`, with the error file kept for download and the report as the
job's result (:func:`yibao.services.sheets.reported`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.services.access import Permission, Principal
from yibao.services.intake.department_lists import ListReport, ListRequest, department_of, import_department_list
from yibao.services.intake.roster_import import import_roster
from yibao.services.intake.roster_report import RosterReport, RosterRequest
from yibao.services.jobs import Job, JobRunner, JobView
from yibao.services.policy.campaigns import campaign_policy
from yibao.services.policy.plans import get_policy
from yibao.services.progress.counts import fold_after_write
from yibao.services.sheets import reported

ROSTER_IMPORT = "roster_import"


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
    with unit_of_work(principal.username) as uow:
        if request.policy_id:
            policy = get_policy(request.policy_id, uow.session)
        else:
            policy = campaign_policy(request.township_code[:6], now.date(), uow.session)
    request = request.with_policy(policy.id)
    verb = "检查" if request.dry_run else "导入"
    title = f"{verb}名册 {request.file_name}（{policy.insurance_year}年度）"

    def run(job: Job) -> RosterReport:
        with unit_of_work(principal.username) as uow:
            report = import_roster(uow, principal, request, job.progress)
            fold_after_write(uow, job.progress)
            return report

    params = {
        "file_name": request.file_name,
        "township_code": request.township_code,
        "channel": request.channel,
        "policy_id": request.policy_id,
        "organization_id": request.organization_id,
        "dry_run": request.dry_run,
    }
    return runner.submit(principal, ROSTER_IMPORT, title, request.township_code, params, reported(run))


LIST_IMPORT = "list_import"


def start_list_import(
    runner: JobRunner, unit_of_work: Callable[[str], UnitOfWork], principal: Principal, request: ListRequest
) -> JobView:
    """A department list (部门名单) in the background: refused at once for a role or department that cannot."""
    principal.require(Permission.UPLOAD_LISTS)
    department = department_of(request.department)
    title = f"{'检查' if request.dry_run else '导入'}{department.name}名单 {request.file_name}"

    def run(job: Job) -> ListReport:
        with unit_of_work(principal.username) as uow:
            report = import_department_list(uow, principal, request, job.progress)
            fold_after_write(uow, job.progress)
            return report

    params = {
        "file_name": request.file_name,
        "department": request.department,
        "identity": request.identity,
        "valid_from": request.valid_from.isoformat() if request.valid_from else None,
        "valid_to": request.valid_to.isoformat() if request.valid_to else None,
        "dry_run": request.dry_run,
    }
    return runner.submit(principal, LIST_IMPORT, title, principal.area_code, params, reported(run))
