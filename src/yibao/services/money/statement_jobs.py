"""A bank's or the tax bureau's statement reconciled as a background job, for the web page and the API: the same
use case as `yibao pay reconcile`, with the error file kept for download and the report as the job's result."""

from __future__ import annotations

from collections.abc import Callable

from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.services.access import Permission, Principal
from yibao.services.jobs import Job, JobRunner, JobView
from yibao.services.money.payments import check_channel
from yibao.services.money.reconciliation import StatementReport, StatementRequest, import_statement
from yibao.services.progress.counts import fold_after_write
from yibao.services.sheets import reported

STATEMENT_IMPORT = "statement_import"


def start_statement_import(
    runner: JobRunner, unit_of_work: Callable[[str], UnitOfWork], principal: Principal, request: StatementRequest
) -> JobView:
    """A bank's or the tax bureau's statement (对账单) reconciled in the background; a statement with bad lines
    is refused whole, its error file kept for download."""
    principal.require(Permission.PAYMENTS)
    check_channel(request.channel)
    title = f"对账 {request.file_name}"

    def run(job: Job) -> StatementReport:
        with unit_of_work(principal.username) as uow:
            report = import_statement(uow, principal, request, job.progress)
            fold_after_write(uow, job.progress)
            return report

    params = {"file_name": request.file_name, "channel": request.channel, "layout": dict(request.layout or {})}
    return runner.submit(principal, STATEMENT_IMPORT, title, principal.area_code, params, reported(run))
