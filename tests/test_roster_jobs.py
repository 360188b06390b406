"""Roster imports through the API on SQLite and PostgreSQL: upload, a job id to poll, the report and the error
file; the template round-trips; refusals of the whole file become the job's error; a job is private to its
user and the district's administrators; a job whose process died shows as interrupted."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import openpyxl
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api_site import finished_job
from db_fixtures import migrated_engine
from households import BIESHAN, NOW, YUYANG, open_campaign_of, uow
from principals import operator
from yibao.adapters.db.database import session_factory
from yibao.adapters.db.progress_tables import ProgressChange
from yibao.adapters.job_files import JobFiles, JobRecord
from yibao.adapters.sheet_files import ERROR_COLUMN, read_sheet
from yibao.domain.errors import YibaoError
from yibao.domain.roster import resolve_headers
from yibao.domain.states import JobState
from yibao.entrypoints.http.context import AppContext
from yibao.entrypoints.server import create_app
from yibao.services.access import Principal, Role
from yibao.services.jobs import JobRunner
from yibao.services.policy.plans import get_policy
from yibao.services.progress.counts import FOLD_STEP
from yibao.services.registry.areas import seed_district
from yibao.services.users import NewUser, add_user, login
from yibao.synthetic.rosters import roster

PASSWORD = "roster-clerk-1"
OWNER = Principal(9, "clerk", "经办员", Role.TOWNSHIP_OPERATOR, YUYANG)
NEEDS_DATABASE = {"ENROLLED_ELSEWHERE", "RESIDENT_NAME_MISMATCH"}  # planted kinds that need people on record first


@pytest.fixture(params=["sqlite", "postgresql"])
def api(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str]]]:
    for engine in migrated_engine(request.param, tmp_path):
        tokens = {}
        with uow(engine, "setup") as work:
            seed_district(work, "120119")
            open_campaign_of(work, "tianjin-jizhou-2018")
            for name, role, area in (
                ("yuyang", Role.TOWNSHIP_OPERATOR, YUYANG),
                ("bieshan", Role.TOWNSHIP_OPERATOR, BIESHAN),
                ("admin", Role.DISTRICT_ADMIN, "120119"),
            ):
                add_user(work, NewUser(name, name, PASSWORD, role, area), by=None)
        for name in ("yuyang", "bieshan", "admin"):
            with uow(engine, name) as work:
                tokens[name] = login(work, name, PASSWORD, kind="api")
        context = AppContext(session_factory(engine), clock=lambda: NOW, data_dir=tmp_path / "data")
        with TestClient(create_app(context)) as client:
            yield client, {name: f"Bearer {token}" for name, token in tokens.items()}
        context.jobs.shutdown()
        engine.dispose()


def finished(client: TestClient, auth: str, job: dict[str, Any]) -> dict[str, Any]:
    return finished_job(client, {"Authorization": auth}, job)


def _logged_changes(client: TestClient) -> int:
    context: AppContext = cast(FastAPI, client.app).state.context
    with context.session_factory() as session:
        return int(session.execute(select(func.count()).select_from(ProgressChange)).scalar_one())


def upload(client: TestClient, auth: str, name: str, content: bytes, **form: str) -> dict[str, object]:
    response = client.post(
        "/api/v1/roster-imports",
        headers={"Authorization": auth},
        files={"file": (name, content)},
        data={"township_code": YUYANG, **form},
    )
    assert response.status_code == 202, response.text
    return dict(response.json())


def test_upload_poll_download_the_error_file_and_upload_the_fix(api: tuple[TestClient, dict[str, str]]) -> None:
    client, auth = api
    planted = roster(40, seed=3, on=NOW.date(), plant=24)
    content = _csv(planted.headers, planted.rows)
    job = upload(client, auth["yuyang"], "西关村.csv", content)
    assert job["state"] in ("queued", "running", "succeeded") and job["kind"] == "roster_import"
    done = finished(client, auth["yuyang"], job)
    assert done["state"] == "succeeded", done
    result = done["result"]
    assert isinstance(result, dict)
    expected = {row: code for row, code in planted.planted.items() if code not in NEEDS_DATABASE}
    assert {problem["row"]: problem["code"] for problem in result["problems"]} == expected
    assert result["created"] == len(planted.rows) - len(expected) and result["errors"] == len(expected)
    # The job's last step folded what it wrote into the kept progress counts: no report has to.
    assert done["step"] == FOLD_STEP and _logged_changes(client) == 0

    # The error file: the csv again with the error column; another township's operator cannot see the job.
    file_url = str(done["file_url"])
    assert client.get(file_url, headers={"Authorization": auth["bieshan"]}).status_code == 404
    assert client.get(str(done["status_url"]), headers={"Authorization": auth["bieshan"]}).json()["code"] == (
        "JOB_NOT_FOUND"
    )
    downloaded = client.get(file_url, headers={"Authorization": auth["admin"]})
    assert downloaded.status_code == 200 and "%E9%94%99%E8%AF%AF" in downloaded.headers["content-disposition"]
    error_sheet = read_sheet(downloaded.content, "西关村-错误.csv")
    assert error_sheet.headers[-1] == ERROR_COLUMN
    assert (error_sheet.frame.get_column(ERROR_COLUMN).fill_null("") != "").sum() == len(expected)

    # The fix: the clean rows. Those imported before are unchanged, the corrected ones created.
    fixed = finished(
        client, auth["yuyang"], upload(client, auth["yuyang"], "西关村-改.csv", _csv(planted.headers, planted.clean))
    )
    fixed_result = fixed["result"]
    assert isinstance(fixed_result, dict)
    assert (fixed_result["errors"], fixed_result["unchanged"]) == (0, result["created"])
    assert fixed_result["created"] == len(expected) and fixed["file_url"] is None


def test_whole_file_refusals_become_the_jobs_error(api: tuple[TestClient, dict[str, str]]) -> None:
    client, auth = api
    done = finished(
        client,
        auth["yuyang"],
        upload(client, auth["yuyang"], "名单.csv", "身份证号,电话\n120119201001010015,1\n".encode()),
    )
    assert done["state"] == "failed" and done["error"]["code"] == "ROSTER_COLUMNS_MISSING"
    assert done["file_url"] is None
    refused = client.post(
        "/api/v1/roster-imports",
        headers={"Authorization": auth["bieshan"]},
        files={"file": ("a.csv", b"x")},
        data={"township_code": YUYANG},
    )
    assert refused.status_code == 422 and refused.json()["code"] == "AREA_UNKNOWN"


def test_the_template_reads_back_with_every_column(api: tuple[TestClient, dict[str, str]]) -> None:
    client, auth = api
    for kind in ("xlsx", "csv"):
        response = client.get(
            f"/api/v1/roster-template?format={kind}&township_code={YUYANG}", headers={"Authorization": auth["yuyang"]}
        )
        assert response.status_code == 200
        sheet = read_sheet(response.content, f"template.{kind}")
        mapping, missing = resolve_headers(sheet.headers)
        assert missing == [] and len(mapping) == len(sheet.headers) == 13 and sheet.rows == 0
    xlsx = client.get("/api/v1/roster-template", headers={"Authorization": auth["yuyang"]}).content
    book = openpyxl.load_workbook(io.BytesIO(xlsx))
    assert book.sheetnames == ["名册", "填写说明", "取值"]
    tiers = [cell.value for cell in book["取值"]["H"] if cell.value]
    plan = get_policy("tianjin-jizhou-2018")  # the campaign under way on the test clock
    assert tiers == [tier.name for tier in plan.tiers.values()]  # its tiers, as a drop-down
    assert book["名册"].column_dimensions["A"].number_format == "@"  # ID numbers stay text


def test_a_job_whose_process_died_is_interrupted(tmp_path: Path) -> None:
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, check=True)
    files = JobFiles(tmp_path)
    when = NOW.isoformat()
    record = JobRecord("deadbeef", "roster_import", "导入名册", "clerk", YUYANG, "running", when, when, {})
    record.pid = int(gone.stdout)
    files.save(record)
    runner = JobRunner(tmp_path, clock=lambda: NOW)
    with pytest.raises(YibaoError, match="JOB_NOT_FOUND"):  # another clerk of the same township
        runner.view(operator(YUYANG), "deadbeef")
    view = runner.view(OWNER, "deadbeef")
    assert view.state is JobState.INTERRUPTED and view.finished
    record.pid = os.getpid()
    files.save(record)
    assert runner.view(OWNER, "deadbeef").state is JobState.RUNNING
    runner.shutdown()


def _csv(headers: list[str], rows: list[list[str]]) -> bytes:
    lines = [",".join(headers), *(",".join(row) for row in rows)]
    return ("\n".join(lines) + "\n").encode()
