"""Counter registrations through the HTTP API on PostgreSQL: households of 3, assessed, per second and p95.

Goal (issue "system of record"): at least 200 households/s and p95 under 100 ms on a 2-core machine. The server is
`yibao serve --workers 2` (uvicorn, 2 worker processes, Polars on one thread each) against PostgreSQL
(YIBAO_BENCH_POSTGRES_URL, default the local `test` database, in a schema of its own); the client posts
from 8 threads, a new connection per request, as a reverse proxy in front of the workers would spread them (kept-alive
connections all land on whichever worker accepted them first, and leave the other idle). Baseline in the same run:
the same use case called in-process (no HTTP, one thread), to show what the HTTP layer costs.

Ceiling in the same run: as many ``GET /api/v1/me`` — a request that authenticates its bearer token and does
nothing else — through the same server from the same clients. No counter registration, which authenticates the
same way and then checks, assesses and writes a household, can be answered faster on this machine than that.

Where the CPU goes, for both: the CPU time the server's workers, PostgreSQL's processes and the client used during
the run (from /proc), per request. Their sum against the machine's cores bounds the rate: at 200 households/s
on 2 cores, everything a household costs must fit in 10 ms of CPU.
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import httpx2 as httpx
from sqlalchemy import text

from yibao.adapters.db import migrate
from yibao.adapters.db.database import make_engine, session_factory
from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.domain import idnumber
from yibao.domain.timeutil import parse_instant
from yibao.services.access import Principal, Role
from yibao.services.registry.areas import seed_district
from yibao.services.registry.households import HouseholdEnrollment, Member, enroll_household
from yibao.services.users import NewUser, add_user, login

URL = os.environ.get("YIBAO_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
CLOCK = "2017-11-15T09:00:00+08:00"
YUYANG = "120119100000"
HOUSEHOLDS = int(os.environ.get("YIBAO_BENCH_HOUSEHOLDS", "1500"))
CLIENTS = 8


def family(number: int) -> list[dict[str, str]]:
    birth = date(1950, 1, 1) + timedelta(days=number % 20_000)  # a distinct (birth, sequence) per household
    sequence = 2 * (number // 20_000) + 1
    return [
        {"id_number": idnumber.make("120119", birth, sequence % 1000), "name": f"户主{number}", "relation": "户主"},
        {"id_number": idnumber.make("120225", birth, sequence % 1000), "name": f"配偶{number}", "relation": "配偶"},
        {"id_number": idnumber.make("120118", birth, sequence % 1000), "name": f"子女{number}", "relation": "子女"},
    ]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def prepare(url: str) -> str:
    engine = make_engine(url)
    migrate.upgrade(engine)
    with UnitOfWork(session_factory(engine), actor="bench", now=parse_instant(CLOCK)) as uow:
        seed_district(uow, "120119")
        add_user(uow, NewUser("clerk", "clerk", "bench-password", Role.TOWNSHIP_OPERATOR, YUYANG), by=None)
    with UnitOfWork(session_factory(engine), actor="bench", now=parse_instant(CLOCK)) as uow:
        token = login(uow, "clerk", "bench-password", kind="api")
    engine.dispose()
    return token


def in_process_baseline(url: str, count: int) -> float:
    engine = make_engine(url)
    clerk = Principal(1, "clerk", "clerk", Role.TOWNSHIP_OPERATOR, YUYANG)
    start = time.perf_counter()
    for number in range(count):
        members = tuple(Member(m["id_number"], m["name"], m["relation"]) for m in family(100_000 + number))
        request = HouseholdEnrollment("tianjin-jizhou-2018", YUYANG, "village", parse_instant(CLOCK), members)
        with UnitOfWork(session_factory(engine), actor="bench", now=parse_instant(CLOCK)) as uow:
            enroll_household(uow, clerk, request)
    engine.dispose()
    return count / (time.perf_counter() - start)


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (0 once it has gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _processes(name: str) -> list[int]:
    pids = []
    for comm in Path("/proc").glob("[0-9]*/comm"):
        try:
            if comm.read_text().strip() == name:
                pids.append(int(comm.parent.name))
        except (FileNotFoundError, ProcessLookupError):
            continue
    return pids


def _children(pid: int) -> list[int]:
    return [
        int(child) for task in Path(f"/proc/{pid}/task").iterdir() for child in (task / "children").read_text().split()
    ]


@dataclass(frozen=True)
class Run:
    rate: float  # requests per second
    p95_ms: float
    server_cpu_ms: float  # per request: the server's worker processes
    database_cpu_ms: float  # PostgreSQL's processes
    client_cpu_ms: float  # this process: the client threads

    @property
    def total_cpu_ms(self) -> float:
        return self.server_cpu_ms + self.database_cpu_ms + self.client_cpu_ms

    def cpu_line(self) -> str:
        cores = os.cpu_count() or 1
        return (
            f"CPU per request: server {self.server_cpu_ms:.1f} ms + PostgreSQL {self.database_cpu_ms:.1f} ms + "
            f"client {self.client_cpu_ms:.1f} ms = {self.total_cpu_ms:.1f} ms; {cores} cores at full use: "
            f"at most {cores * 1000 / self.total_cpu_ms:.0f}/s"
        )


def hammer(send: Callable[[int], None], numbers: range, server_pid: int | None = None) -> Run:
    """``send`` for every number, from the bench's clients at once: the rate, p95 and CPU used per request."""
    latencies: list[float] = []

    def timed(number: int) -> None:
        started = time.perf_counter()
        send(number)
        latencies.append(time.perf_counter() - started)

    workers = _children(server_pid) if server_pid else []
    databases = _processes("postgres")
    before = {pid: _cpu_seconds(pid) for pid in [*workers, *databases]}
    client_before = os.times()
    start = time.perf_counter()
    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(timed, numbers))
    elapsed = time.perf_counter() - start
    client_after = os.times()
    databases = sorted({*databases, *_processes("postgres")})  # connections opened during the run count too

    def per_request(pids: list[int]) -> float:
        return sum(_cpu_seconds(pid) - before.get(pid, 0.0) for pid in pids) / len(numbers) * 1000

    client = (client_after.user + client_after.system) - (client_before.user + client_before.system)
    return Run(
        len(numbers) / elapsed,
        statistics.quantiles(latencies, n=100)[94] * 1000,
        per_request(workers),
        per_request(databases),
        client / len(numbers) * 1000,
    )


def main() -> None:
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = make_engine(URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{URL}?options=-csearch_path%3D{schema}"
    port = free_port()
    server = None
    try:
        token = prepare(url)
        environment = os.environ | {"YIBAO_DATABASE_URL": url}
        command = [sys.executable, "-m", "yibao", "serve", "--port", str(port), "--workers", "2", "--clock", CLOCK]
        server = subprocess.Popen(command, env=environment)  # as a bureau serves it
        base = f"http://127.0.0.1:{port}"
        headers = {"Authorization": f"Bearer {token}"}
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(base + "/api/v1/me", headers=headers).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        client = httpx.Client(
            base_url=base, headers=headers, timeout=30, limits=httpx.Limits(max_keepalive_connections=0)
        )

        def register(number: int) -> None:
            body = {"policy_id": "tianjin-jizhou-2018", "township_code": YUYANG, "members": family(number)}
            response = client.post("/api/v1/households", json=body)
            if response.status_code != 201:
                raise RuntimeError(response.text)

        def authenticate(_: int) -> None:
            response = client.get("/api/v1/me")
            if response.status_code != 200:
                raise RuntimeError(response.text)

        for number in range(50):  # warm-up: imports, connection pools, policy caches in both workers
            register(number)
        counter = hammer(register, range(50, 50 + HOUSEHOLDS), server.pid)
        ceiling = hammer(authenticate, range(HOUSEHOLDS), server.pid)
        baseline = in_process_baseline(url, 300)
        print(f"HTTP counter registrations (household of 3, assessed), PostgreSQL, 2 workers, {CLIENTS} clients:")
        print(f"  {counter.rate:8.0f} households/s   (goal ≥ 200)   p95 {counter.p95_ms:6.1f} ms (goal < 100)")
        print(f"    {counter.cpu_line()}")
        print(
            f"  ceiling, an authenticated request doing nothing else (GET /api/v1/me): {ceiling.rate:8.0f} "
            f"requests/s   p95 {ceiling.p95_ms:6.1f} ms"
        )
        print(f"    {ceiling.cpu_line()}")
        print(
            f"  in-process, one thread, same use case: {baseline:8.0f} households/s   ratio HTTP/in-process "
            f"{counter.rate / baseline:.2f}"
        )
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


if __name__ == "__main__":
    main()
