"""Reference-list imports and cross-check runs as background jobs, for the web pages and the API: the same use
cases as `yibao crosscheck import` and `yibao crosscheck run`, with the error file kept for download."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from yibao.adapters.crosscheck_engines import check_engine, configured_engine
from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.services.access import Permission, Principal
from yibao.services.crosscheck.reference_lists import (
    ReferenceReport,
    ReferenceRequest,
    import_reference_list,
    reference_kind,
)
from yibao.services.crosscheck.runs import CrosscheckRequest, run_crosscheck
from yibao.services.jobs import Job, JobRunner, JobView
from yibao.services.sheets import reported

REFERENCE_IMPORT = "reference_import"
CROSSCHECK_RUN = "crosscheck_run"


def start_reference_import(
    runner: JobRunner, unit_of_work: Callable[[str], UnitOfWork], principal: Principal, request: ReferenceRequest
) -> JobView:
    principal.require(Permission.UPLOAD_LISTS)
    kind = reference_kind(request.kind)
    title = f"{'检查' if request.dry_run else '导入'}{kind.name}名单 {request.file_name}"

    def run(job: Job) -> ReferenceReport:
        with unit_of_work(principal.username) as uow:
            return import_reference_list(uow, principal, request, job.progress)

    params = {
        "file_name": request.file_name,
        "kind": request.kind,
        "as_of": request.as_of.isoformat() if request.as_of else None,
        "source": request.source,
        "insurance_year": request.insurance_year,
        "dry_run": request.dry_run,
    }
    return runner.submit(principal, REFERENCE_IMPORT, title, principal.area_code, params, reported(run))


def start_crosscheck_run(
    runner: JobRunner,
    unit_of_work: Callable[[str], UnitOfWork],
    principal: Principal,
    request: CrosscheckRequest,
    data_directory: Path,
) -> JobView:
    principal.require(Permission.RUN_CROSSCHECKS)
    engine = check_engine(request.engine or configured_engine())

    def work(job: Job) -> dict[str, Any]:
        with unit_of_work(principal.username) as uow:
            report = run_crosscheck(uow, principal, request, data_directory=data_directory, progress=job.progress)
        return asdict(report)

    params = {"insurance_year": request.insurance_year, "engine": engine}
    return runner.submit(principal, CROSSCHECK_RUN, "信息比对", principal.area_code, params, work)
