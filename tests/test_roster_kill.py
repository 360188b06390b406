"""A 120,000-row roster import killed (SIGKILL) while it writes leaves the database exactly as it was: one
transaction. It is killed once the residents are loaded and the rest is being written (the rest of a file this
size takes seconds to write: the kill always lands inside the transaction; bench/ runs the million-row imports)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from db_fixtures import migrated_url
from households import YUYANG, open_campaign_of, uow
from yibao.adapters.db.database import make_engine
from yibao.adapters.db.tables import AuditEntry, Enrollment, Household, Resident, RosterImport
from yibao.services.access import Role
from yibao.services.registry.areas import seed_district
from yibao.services.users import NewUser, add_user
from yibao.synthetic.rosters import roster

HOUSEHOLDS = 40_000  # about 120,000 rows


@pytest.fixture(scope="module")
def roster_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    planted = roster(HOUSEHOLDS, seed=11)
    path = Path(tmp_path_factory.mktemp("kill")) / "roster.csv"
    path.write_text("\n".join(",".join(row) for row in [planted.headers, *planted.rows]), encoding="utf-8")
    assert len(planted.rows) >= 120_000
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from migrated_url(request.param, tmp_path)


@pytest.mark.slow
def test_kill_during_the_write_leaves_nothing(database_url: str, roster_file: Path) -> None:
    engine = make_engine(database_url)
    with uow(engine, "setup") as work:
        seed_district(work, "120119")
        open_campaign_of(work, "tianjin-jizhou-2018")
        add_user(work, NewUser("yuyang", "渔阳镇经办员", "clerk-password", Role.TOWNSHIP_OPERATOR, YUYANG), by=None)
    path = roster_file

    def counts() -> dict[str, int]:
        with engine.connect() as connection:
            return {
                table.__tablename__: int(connection.scalar(select(func.count()).select_from(table)) or 0)
                for table in (Resident, Household, Enrollment, RosterImport, AuditEntry)
            }

    before = counts()
    command = [sys.executable, "-m", "yibao", "import", "roster", str(path), "--township", YUYANG, "--user", "yuyang"]
    command += ["--clock", "2017-11-15T09:00:00+08:00"]
    process = subprocess.Popen(
        command,
        env=os.environ | {"YIBAO_DATABASE_URL": database_url},
        stderr=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    assert process.stderr is not None
    for line in process.stderr:
        if line.decode().startswith("写入 2/"):
            process.send_signal(signal.SIGKILL)  # mid-write: the residents are in, the rest is being inserted now
            break
    process.wait(timeout=120)
    assert process.returncode == -signal.SIGKILL, "the import ended before it could be killed"
    assert counts() == before
    engine.dispose()
