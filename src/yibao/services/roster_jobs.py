"""Roster, department-list and statement imports as background jobs, for the web pages and the API: the same use
cases as `yibao import roster`, `yibao import list` and `yibao pay reconcile`, with the error file kept for
download and the report as the job's result."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.services.access import Permission, Principal
from yibao.services.department_lists import ListReport, ListRequest, department_of, import_department_list
from yibao.services.jobs import Job, JobRunner, JobView
from yibao.services.payments import check_channel
from yibao.services.policies import campaign_policy
from yibao.services.progress import fold_after_write
from yibao.services.reconciliation import StatementRequest, import_statement
from yibao.services.roster_import import import_roster
from yibao.services.roster_report import RosterReport, RosterRequest

ROSTER_IMPORT = "roster_import"
Report = TypeVar("Report", RosterReport, ListReport)


def _reported(run: Callable[[Job], Report], file_name: str) -> Callable[[Job], dict[str, Any]]:
    """An import as a job's work: its error file kept for download, its report (problems capped) the result."""

    def work(job: Job) -> dict[str, Any]:
        report = run(job)
        error_file = None
        if report.problems:
            error_file = f"{Path(file_name).stem}-错误.{report.sheet.kind}"
            report.write_error_file(job.output(error_file))
        return report.summary(error_file, SHOWN_PROBLEMS)

    return work


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
    return runner.submit(
        principal, ROSTER_IMPORT, title, request.township_code, params, _reported(run, request.file_name)
    )


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
    return runner.submit(principal, LIST_IMPORT, title, principal.area_code, params, _reported(run, request.file_name))


STATEMENT_IMPORT = "statement_import"


def start_statement_import(
    runner: JobRunner, unit_of_work: Callable[[str], UnitOfWork], principal: Principal, request: StatementRequest
) -> JobView:
    """A bank's or the tax bureau's statement (对账单) reconciled in the background; a statement with bad lines
    is refused whole, its error file kept for download."""
    principal.require(Permission.PAYMENTS)
    check_channel(request.channel)
    title = f"对账 {request.file_name}"

    def work(job: Job) -> dict[str, Any]:
        with unit_of_work(principal.username) as uow:
            report = import_statement(uow, principal, request, job.progress)
            fold_after_write(uow, job.progress)
        error_file = None
        if report.problems and report.sheet is not None:
            error_file = f"{Path(request.file_name).stem}-错误.{report.sheet.kind}"
            report.write_error_file(job.output(error_file))
        summary = report.summary()
        summary["problems_total"] = len(report.problems)
        summary["problems"] = summary["problems"][:SHOWN_PROBLEMS]
        summary["error_file"] = error_file
        return summary

    params = {"file_name": request.file_name, "channel": request.channel, "layout": dict(request.layout or {})}
    return runner.submit(principal, STATEMENT_IMPORT, title, principal.area_code, params, work)
