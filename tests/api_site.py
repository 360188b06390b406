"""A running API for tests: users of every role in 蓟州区, their tokens, and a test client (SQLite and
PostgreSQL); the ``site`` fixture itself lives in ``conftest.py``."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from db_fixtures import migrated_engine
from households import BIESHAN, NOW, YUYANG, family, open_campaign_of, uow
from yibao.adapters.db.database import session_factory
from yibao.adapters.db.tables import Organization
from yibao.entrypoints.http.context import AppContext
from yibao.entrypoints.server import create_app
from yibao.services.access import Role
from yibao.services.registry.areas import seed_district
from yibao.services.users import NewUser, add_user, login

PASSWORD = "correct-horse-9"
USERS = {
    "admin": (Role.DISTRICT_ADMIN, "120119"),
    "op_yuyang": (Role.TOWNSHIP_OPERATOR, YUYANG),
    "op_bieshan": (Role.TOWNSHIP_OPERATOR, BIESHAN),
    "department": (Role.DEPARTMENT, "120119"),
    "school": (Role.INSTITUTION, YUYANG),
    "finance": (Role.FINANCE, "120119"),
    "inspector": (Role.INSPECTOR, "120119"),
}


@dataclass
class Site:
    client: TestClient
    tokens: dict[str, str]
    engine: Engine

    def call(self, user: str | None, method: str, url: str, **kwargs: Any) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {self.tokens[user]}"} if user else {}
        response = self.client.request(method, url, headers=headers, **kwargs)
        return response.status_code, response.json()


def open_site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    for engine in migrated_engine(request.param, Path(tmp_path_factory.mktemp("api"))):
        tokens = {}
        with uow(engine, "setup") as work:
            seed_district(work, "120119")
            open_campaign_of(work, "tianjin-jizhou-2018")
            school = Organization(name="渔阳镇第一中学", kind="school", township_code=YUYANG)
            work.session.add(school)
            work.commit()
            for username, (role, area) in USERS.items():
                organization = school.id if role is Role.INSTITUTION else None
                add_user(work, NewUser(username, username, PASSWORD, role, area, organization), by=None)
        for username in USERS:
            with uow(engine, username) as work:
                tokens[username] = login(work, username, PASSWORD, kind="api")
        context = AppContext(session_factory(engine), clock=lambda: NOW, data_dir=tmp_path_factory.mktemp("data"))
        with TestClient(create_app(context)) as client:
            yield Site(client, tokens, engine)
        context.jobs.shutdown()
        engine.dispose()


def household_body(township: str = YUYANG, **changes: Any) -> dict[str, Any]:
    request = family(township)
    body: dict[str, Any] = {
        "policy_id": request.policy_id,
        "township_code": township,
        "channel": "village",
        "members": [
            {
                "id_number": member.id_number,
                "name": member.name,
                "relation": member.relation,
                "category": member.category,
                "tier": member.tier,
                "identities": list(member.identities),
            }
            for member in request.members
        ],
    }
    return body | changes


def finished_job(
    client: TestClient, headers: dict[str, str], job: dict[str, Any], within: float = 60
) -> dict[str, Any]:
    """Poll a background job (as the API answered it) until it has finished, whatever its end; fail if it runs
    longer than ``within`` seconds."""
    deadline = time.monotonic() + within
    while not job["finished"]:
        assert time.monotonic() < deadline, f"job {job['id']} did not finish in {within} s: {job}"
        time.sleep(0.05)
        job = client.get(job["status_url"], headers=headers).json()
    return job
