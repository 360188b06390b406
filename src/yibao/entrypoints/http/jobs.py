"""Jobs and files over HTTP, for the API and the web pages alike: a job's state as JSON to poll, and a file to
download under its Chinese name."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi.responses import Response
from pydantic import BaseModel

from yibao.domain.states import JobState
from yibao.services.jobs import JobView

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class JobOut(BaseModel):
    id: str
    kind: str
    title: str
    state: JobState
    state_name: str
    finished: bool
    step: str
    done: int
    total: int
    percent: int
    created_at: str
    updated_at: str
    params: dict[str, Any]
    result: dict[str, Any] | None
    error: dict[str, Any] | None
    status_url: str
    file_url: str | None


def job_out(job: JobView) -> JobOut:
    return JobOut(
        id=job.id,
        kind=job.kind,
        title=job.title,
        state=job.state,
        state_name=job.state_name,
        finished=job.finished,
        step=job.step,
        done=job.done,
        total=job.total,
        percent=job.percent,
        created_at=job.created_at,
        updated_at=job.updated_at,
        params=job.params,
        result=job.result,
        error=job.error,
        status_url=f"/api/v1/jobs/{job.id}",
        file_url=f"/api/v1/jobs/{job.id}/file" if job.download_name else None,
    )


def template_response(content: bytes, name: str) -> Response:
    media = "text/csv; charset=utf-8" if name.endswith(".csv") else XLSX
    # RFC 5987: a Chinese file name survives every browser only percent-encoded as UTF-8.
    disposition = f"attachment; filename*=utf-8''{quote(name)}"
    return Response(content, media_type=media, headers={"Content-Disposition": disposition})
