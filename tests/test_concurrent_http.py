"""Two clerks of two townships post the same person at the same moment to a real server (two worker processes,
PostgreSQL): exactly one enrollment, and one clear refusal naming where the person is enrolled."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import date

import httpx2 as httpx
import pytest
from sqlalchemy import func, select

from db_fixtures import migrated_postgres_url
from households import BIESHAN, YUYANG, numbered, uow
from yibao.adapters.db.database import make_engine
from yibao.adapters.db.tables import Enrollment
from yibao.domain import idnumber
from yibao.services.access import Role
from yibao.services.registry.areas import seed_district
from yibao.services.users import NewUser, add_user, login

PEOPLE = 12
CLOCK = "2017-10-25T09:30:00+08:00"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def served() -> Iterator[tuple[str, dict[str, str], str]]:
    for url in migrated_postgres_url():
        engine = make_engine(url)
        tokens = {}
        with uow(engine, "setup") as work:
            seed_district(work, "120119")
            for name, township in (("yuyang", YUYANG), ("bieshan", BIESHAN)):
                add_user(work, NewUser(name, name, "clerk-password", Role.TOWNSHIP_OPERATOR, township), by=None)
        for name in ("yuyang", "bieshan"):
            with uow(engine, name) as work:
                tokens[name] = login(work, name, "clerk-password", kind="api")
        port = _free_port()
        environment = os.environ | {"YIBAO_DATABASE_URL": url}
        command = [sys.executable, "-m", "yibao", "serve", "--port", str(port), "--workers", "2", "--clock", CLOCK]
        server = subprocess.Popen(command, env=environment)  # as a bureau serves it
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    httpx.get(base + "/login")
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            yield base, tokens, url
        finally:
            server.terminate()
            server.wait(timeout=20)
            engine.dispose()


def test_the_same_person_posted_by_two_townships_at_once_is_enrolled_once(
    served: tuple[str, dict[str, str], str],
) -> None:
    base, tokens, url = served
    outcomes: dict[int, list[tuple[str, int, dict[str, object]]]] = {number: [] for number in range(PEOPLE)}
    barrier = threading.Barrier(2)

    def clerk(name: str, township: str) -> None:
        # A connection per request, so the two clerks land on either worker process.
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {tokens[name]}"}, timeout=30) as client:
            for number in range(PEOPLE):
                person = idnumber.make("120119", date(1980, 1, 1 + number), 7)
                body = {
                    "policy_id": "tianjin-jizhou-2018",
                    "township_code": township,
                    "members": [{"id_number": person, "name": numbered("赵敏", number), "relation": "户主"}],
                }
                barrier.wait()
                response = client.post("/api/v1/households", json=body, headers={"Connection": "close"})
                outcomes[number].append((name, response.status_code, response.json()))

    threads = [threading.Thread(target=clerk, args=pair) for pair in (("yuyang", YUYANG), ("bieshan", BIESHAN))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    for answers in outcomes.values():
        assert sorted(status for _, status, _ in answers) == [201, 409]
        winner = next(name for name, status, _ in answers if status == 201)
        refusal = next(body for _, status, body in answers if status == 409)
        assert refusal["code"] == "ENROLLED_ELSEWHERE"  # the loser's township is told nothing of the winner's
        assert ("渔阳镇" if winner == "yuyang" else "别山镇") not in str(refusal["message"])
    engine = make_engine(url)
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(Enrollment)) == PEOPLE
    engine.dispose()
