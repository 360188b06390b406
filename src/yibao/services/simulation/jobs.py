"""A simulation as a background job, for the web page and the API: the same use case as `yibao simulate`, its
progress polled by id; the job's result names the report it kept."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.services.access import Permission, Principal
from yibao.services.jobs import Job, JobRunner, JobView
from yibao.services.simulation.runs import SimulationRequest, run_simulation

SIMULATION = "simulation"


def start_simulation(
    runner: JobRunner,
    unit_of_work: Callable[[str], UnitOfWork],
    principal: Principal,
    request: SimulationRequest,
    data_directory: Path,
) -> JobView:
    principal.require(Permission.SIMULATE)

    def work(job: Job) -> dict[str, Any]:
        with unit_of_work(principal.username) as uow:
            report = run_simulation(uow, principal, request, job.progress, data_directory=data_directory)
        return {"report_id": report.id, "title": report.title, "people": report.summary["people"]["base"]}

    shift = request.tier_shift
    params = {
        "draft_policy_id": request.draft_policy_id,
        "base_year": request.base_year,
        "tier_rule": request.tier_rule.value,
        "tier_shift": None
        if shift is None
        else {"from_tier": shift.from_tier, "to_tier": shift.to_tier, "share": shift.share},
        "include_unenrolled": request.include_unenrolled,
        "registered_on": request.registered_on.isoformat() if request.registered_on else None,
    }
    return runner.submit(
        principal, SIMULATION, f"方案测算 {request.draft_policy_id}", principal.area_code, params, work
    )
