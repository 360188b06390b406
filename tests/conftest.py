from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import settings
from sqlalchemy import Engine

from api_site import Site, open_site
from browser_site import open_browser_page, run_server
from db_fixtures import empty_url, migrated_engine
from yibao.adapters import policy_files

# Locally, property tests explore new examples each run; in CI the same examples run every time, so a landing
# is never refused by chance. Anything new found locally is added as a plain test case.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

TESTS = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that drives Chromium is a ``browser`` test (``pytest -m "not browser"`` for a quick run)."""
    for item in items:
        if "browser_page" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)


@pytest.fixture
def bundled_yaml() -> Any:
    """A bundled policy's raw mapping, to mutate in rejection tests."""

    def load(policy_id: str) -> dict[str, Any]:
        text = (Path(policy_files.__file__).parent.parent / "policies" / f"{policy_id}.yaml").read_text("utf-8")
        data: dict[str, Any] = yaml.safe_load(text)
        return data

    return load


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The API with a user of every role signed in, per test module, on each database."""
    yield from open_site(request, tmp_path_factory)


@pytest.fixture
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The web UI and API served on a free port, with a district and users (see ``browser_site``); on SQLite
    unless a test asks for PostgreSQL (``@pytest.mark.parametrize("server", [...], indirect=True)``)."""
    yield from run_server(tmp_path, getattr(request, "param", "sqlite"))


@pytest.fixture
def browser_page() -> Iterator[object]:
    """A page of a headless Debian Chromium; fails (in CI) or skips where there is none."""
    yield from open_browser_page()


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated database of each kind (on PostgreSQL a database of its own), for service tests."""
    yield from migrated_engine(request.param, tmp_path)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of each kind, for the commands that migrate it themselves (``yibao db upgrade``)."""
    yield from empty_url(request.param, tmp_path)
