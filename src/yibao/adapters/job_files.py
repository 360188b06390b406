"""Background jobs kept as files: one folder per job with its state (``job.json``) and what it produced.

Why files and not a table: a job reports progress while its own transaction is open, and SQLite allows one
writer at a time, so a progress row would wait for the very import it describes. A file written atomically
(write beside, then rename) never blocks and is read by every server process on the machine. The durable
records of what a job did — the roster import row and the audit entries — are in the database, written by the
job's own transaction. Several machines behind one address need YIBAO_DATA_DIR on shared storage.
"""

from __future__ import annotations

import json
import os
import socket
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

STATE_FILE = "job.json"


def data_directory() -> Path:
    """Where files the server makes are kept (error files, exports): YIBAO_DATA_DIR, or ./yibao-data."""
    return Path(os.environ.get("YIBAO_DATA_DIR", "yibao-data"))


@dataclass
class JobRecord:
    id: str
    kind: str  # roster_import, export …
    title: str  # what a person reads in a list of jobs
    actor: str  # the username that started it
    area_code: str  # the area it concerns (a township, or the district)
    state: str  # queued, running, succeeded, failed
    created_at: str  # ISO 8601, Asia/Shanghai
    updated_at: str
    params: dict[str, Any] = field(default_factory=dict)  # what it was asked, to show and to ask again
    step: str = ""
    done: int = 0
    total: int = 0
    result: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    output_name: str | None = None  # the file the job produced, inside its folder
    download_name: str | None = None  # the name it is offered under
    host: str = field(default_factory=socket.gethostname)
    pid: int = field(default_factory=os.getpid)


class JobFiles:
    def __init__(self, root: Path) -> None:
        self.root = root

    def folder(self, job_id: str) -> Path:
        return self.root / job_id

    def save(self, record: JobRecord) -> None:
        folder = self.folder(record.id)
        folder.mkdir(parents=True, exist_ok=True)
        staged = folder / f".{STATE_FILE}.{os.getpid()}.tmp"
        staged.write_text(json.dumps(asdict(record), ensure_ascii=False), encoding="utf-8")
        os.replace(staged, folder / STATE_FILE)  # readers see the old state or the new, never half of one

    def load(self, job_id: str) -> JobRecord | None:
        if not job_id.isalnum():  # an id names a folder: nothing like ../ gets near the file system
            return None
        try:
            data = json.loads((self.folder(job_id) / STATE_FILE).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        return JobRecord(**data)

    def recent(self, limit: int) -> list[JobRecord]:
        if not self.root.exists():
            return []
        states = sorted(self.root.glob(f"*/{STATE_FILE}"), key=lambda path: path.stat().st_mtime, reverse=True)
        records = [self.load(path.parent.name) for path in states[: limit * 4]]
        return [record for record in records if record is not None][:limit]


def process_alive(host: str, pid: int) -> bool | None:
    """Whether the process that runs a job still lives; None when it ran on another machine (cannot tell)."""
    if host != socket.gethostname():
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by someone else
        return True
    return True


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")
