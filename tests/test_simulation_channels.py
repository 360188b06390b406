"""Plan what-if through every way in: the API as a background job (and its files free of English), the CLI, the
demo's own next-year draft on each plan's demo; and both ways of reading the base (columnar, rows) alike."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from test_simulation import LUTAI, NINGHE, NINGHE_CLOCK, ninghe_district, work_on
from yibao.adapters.db.database import session_factory
from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.services.access import Role
from yibao.services.policy.plans import get_policy
from yibao.services.simulation.runs import SimulationRequest, run_simulation


def test_cli_simulate_and_reports(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from db_fixtures import migrated_engine
    from yibao.entrypoints.cli.app import app

    for engine in migrated_engine("sqlite", tmp_path):
        ninghe_district(engine)
        monkeypatch.setenv("YIBAO_DATABASE_URL", engine.url.render_as_string(hide_password=False))
        monkeypatch.setenv("YIBAO_DATA_DIR", str(tmp_path / "data"))
        runner = CliRunner()
        result = runner.invoke(
            app, ["simulate", "--draft", "tianjin-ninghe-2024", "--base-year", "2023", "--tier-rule", "keep", "--json"]
        )
        assert result.exit_code == 0, result.output
        data = json.loads(result.stdout)
        assert data["summary"]["people"]["base"] == 10
        assert any("测算基数" in line for line in data["assumptions"])
        pdf = tmp_path / "测算报告.pdf"
        shown = runner.invoke(app, ["simulation", "export", str(data["id"]), "--output", str(pdf)])
        assert shown.exit_code == 0, shown.output
        assert pdf.read_bytes().startswith(b"%PDF")
        listed = runner.invoke(app, ["simulation", "list"])
        assert "测算报告" in listed.output
        wrong = runner.invoke(app, ["simulate", "--draft", "tianjin-ninghe-2024", "--base-year", "2021"])
        assert wrong.exit_code == 2 and "没有2021年度的参保缴费工作" in wrong.output


def test_api_runs_a_simulation_as_a_job(engine: Engine, tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from api_site import finished_job
    from test_chinese_pages import english_in_text, pdf_text, workbook_text
    from yibao.entrypoints.http.context import AppContext
    from yibao.entrypoints.server import create_app
    from yibao.services.users import NewUser, add_user, login

    ninghe_district(engine)
    tokens = {}
    with work_on(engine, NINGHE_CLOCK, "setup") as work:
        for username, display_name, role, area in (
            ("admin", "区医保局", Role.DISTRICT_ADMIN, NINGHE),
            ("caiwu", "区财务", Role.FINANCE, NINGHE),
            ("lutai", "芦台街道经办员", Role.TOWNSHIP_OPERATOR, LUTAI),
        ):
            add_user(work, NewUser(username, display_name, "simulate-2024-x", role, area), by=None)
    for username in ("admin", "caiwu", "lutai"):
        with work_on(engine, NINGHE_CLOCK, username) as work:
            tokens[username] = {"Authorization": f"Bearer {login(work, username, 'simulate-2024-x', kind='api')}"}
    context = AppContext(session_factory(engine), clock=lambda: NINGHE_CLOCK, data_dir=tmp_path / "data")
    body = {"draft_policy_id": "tianjin-ninghe-2024", "base_year": 2023, "tier_rule": "keep"}
    with TestClient(create_app(context)) as client:
        refused = client.post("/api/v1/simulations", json=body, headers=tokens["lutai"])
        assert refused.status_code == 403 and refused.json()["code"] == "FORBIDDEN"
        started = client.post("/api/v1/simulations", json=body, headers=tokens["caiwu"])
        assert started.status_code == 202
        job = finished_job(client, tokens["caiwu"], started.json())
        assert job["state"] == "succeeded", job
        report_id = job["result"]["report_id"]
        report = client.get(f"/api/v1/simulations/{report_id}", headers=tokens["admin"]).json()
        assert report["summary"]["people"]["base"] == 10
        assert report["title"] == "天津市宁河区2024年度城乡居民基本医疗保险测算报告"
        page = client.get(
            f"/api/v1/simulations/{report_id}/persons",
            params={"township": LUTAI, "outcome": "rise"},
            headers=tokens["admin"],
        ).json()
        assert page["total"] == 4 and all(row["township_code"] == LUTAI for row in page["rows"])
        township = client.get(f"/api/v1/simulations/{report_id}/townships/{LUTAI}", headers=tokens["admin"]).json()
        assert township["people"]["base"] == 4
        pdf = client.get(f"/api/v1/simulations/{report_id}/report.pdf", headers=tokens["admin"])
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
        xlsx = client.get(f"/api/v1/simulations/{report_id}/report.xlsx", headers=tokens["admin"])
        assert xlsx.status_code == 200 and xlsx.content.startswith(b"PK")
        for name, text in (("PDF", pdf_text(pdf.content)), ("xlsx", workbook_text(xlsx.content))):
            assert "测算人：区财务" in text.replace(" ", "") and not english_in_text(text), name
        both = client.get(
            "/api/v1/simulations/compare", params={"ids": [report_id, report_id]}, headers=tokens["admin"]
        )
        assert [item["id"] for item in both.json()] == [report_id, report_id]
        hidden = client.get(f"/api/v1/simulations/{report_id}", headers=tokens["lutai"])
        assert hidden.status_code == 403
        missing = client.get("/api/v1/simulations/999999", headers=tokens["admin"])
        assert missing.status_code == 404 and missing.json()["code"] == "SIMULATION_UNKNOWN"
        listed = client.get("/api/v1/simulations", headers=tokens["caiwu"]).json()
        assert [item["id"] for item in listed] == [report_id]
    context.jobs.shutdown()


@pytest.mark.parametrize(
    "plan", ["tianjin-jizhou-2018", "tianjin-jinghai-2022", "tengzhou-jinghe-2019", "kunming-songming-2018"]
)
def test_each_demo_comes_with_a_draft_to_simulate(plan: str, tmp_path: Path) -> None:
    """`yibao demo` stores next year's draft (every tier's contribution 20 元 higher): the what-if runs on it at once,
    and those who pay this year pay 20 元 more, or less where a subsidy covers part of it."""
    from db_fixtures import migrated_engine
    from yibao.synthetic.demo import DEMOS, build_demo

    for engine in migrated_engine("sqlite", tmp_path):
        clock = datetime.fromisoformat(DEMOS[plan].clock)
        with UnitOfWork(session_factory(engine), actor="demo", now=clock) as work:
            summary = build_demo(work, plan, households_per_township=4)
        policy = get_policy(plan)
        draft = plan.removesuffix(str(policy.insurance_year)) + str(policy.insurance_year + 1)
        assert f"{policy.insurance_year + 1}年度" in summary.draft
        with UnitOfWork(session_factory(engine), actor="demo", now=clock) as work:
            report = run_simulation(
                work, None, SimulationRequest(draft, policy.insurance_year), data_directory=tmp_path
            )
        changes = {item["from_fen"] for item in report.summary["distribution"]}
        assert report.summary["outcomes"]["rise"] > 0 and 2000 in changes, report.summary["distribution"]
        assert max(changes) <= 2000


def test_columnar_and_row_reads_give_the_same_base(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """ADBC (PostgreSQL) and the session's rows (SQLite, or where ADBC cannot go) load the same frame."""
    from yibao.services.simulation import base as loader

    ninghe_district(engine)
    current = get_policy("tianjin-ninghe-2023")
    frames = []
    for columnar in (True, False):
        monkeypatch.setattr(loader, "COLUMNAR", columnar)
        with work_on(engine, NINGHE_CLOCK) as work:
            frames.append(
                loader.load_base(
                    work,
                    NINGHE,
                    current,
                    ["government"],
                    include_unenrolled=True,
                    unenrolled_registered_at=NINGHE_CLOCK,
                    progress=lambda *_: None,
                ).sort("resident_id")
            )
    assert frames[0].height == 10
    assert frames[0].equals(frames[1])
    assert frames[0].schema == frames[1].schema
