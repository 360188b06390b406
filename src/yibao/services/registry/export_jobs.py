"""An export as a background job, for the web page and the API: the file is kept with the job for download."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.services.access import Principal
from yibao.services.jobs import Job, JobRunner, JobView
from yibao.services.registry.exports import EXPORT_NAMES, ExportRequest, check_export, export, export_file_name

EXPORT = "export"


def start_export(
    runner: JobRunner, unit_of_work: Callable[[str], UnitOfWork], principal: Principal, request: ExportRequest
) -> JobView:
    check_export(principal, request)
    with unit_of_work(principal.username) as uow:
        name = export_file_name(uow, principal, request)

    def work(job: Job) -> dict[str, Any]:
        with unit_of_work(principal.username) as uow:
            result = export(uow, principal, request, job.output(name), job.progress)
        return {"rows": result.rows, "file_name": result.file_name, "masked": result.masked}

    params = {
        "kind": request.kind.value,
        "format": request.format,
        "insurance_year": request.insurance_year,
        "township_code": request.township_code,
        "village_code": request.village_code,
        "channel": request.channel,
    }
    area = request.township_code or principal.area_code
    return runner.submit(principal, EXPORT, f"导出{EXPORT_NAMES[request.kind]}", area, params, work)
