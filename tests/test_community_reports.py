"""Communities report to their street (滕州: 各居每天汇总参保人数上报至街道人力资源和社会保障所): the street's clerk
records each community's day, counted by yibao from the community's own people; the street (and the district)
sees its communities side by side each day and which have not reported; through the API and the CLI too."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from principals import admin, operator
from test_handovers import DAY_ONE, DAY_TWO, JINGHE, LONGQUAN, SHANGUO, TENGZHOU, community_collects, work_at
from yibao.adapters.db.tables import Area
from yibao.domain.errors import YibaoError
from yibao.services.access import Role
from yibao.services.progress.unit_reports import submit_report, township_report
from yibao.services.users import NewUser, add_user, login


def test_a_community_reports_its_day_and_the_street_names_who_has_not(engine: Engine) -> None:
    community_collects(engine)
    clerk = operator(JINGHE)
    with work_at(engine, DAY_ONE) as work:
        row = submit_report(work, clerk, 2019, "龙泉社区当日汇总", village_code=LONGQUAN)
    assert row.unit.name == "龙泉社区" and row.figures is not None
    assert (row.figures.people, row.figures.paid) == (3, 3)  # its three people, paid through its batches
    with work_at(engine, DAY_ONE) as work:
        day = township_report(work, clerk, 2019, DAY_ONE.date(), JINGHE)
        district_view = township_report(work, admin(TENGZHOU + "000000"), 2019, DAY_ONE.date(), JINGHE)
    assert day.rhythm == "daily" and day.period_start == day.period_end == DAY_ONE.date()
    assert [(r.unit.name, r.submitted_at is not None) for r in day.rows] == [("龙泉社区", True), ("善国社区", False)]
    assert [unit.name for unit in day.missing] == ["善国社区"] and district_view.rows == day.rows
    with work_at(engine, DAY_TWO) as work:
        next_day = township_report(work, clerk, 2019, DAY_TWO.date(), JINGHE)
    assert [unit.name for unit in next_day.missing] == ["龙泉社区", "善国社区"]  # each day reports anew


def test_only_the_street_records_its_communities(engine: Engine) -> None:
    community_collects(engine)
    with work_at(engine, DAY_ONE) as work:
        work.session.add(Area(code="370481002000", name="北辛街道", level="township", parent_code="370481000000"))
        work.session.add(Area(code="370481002001", name="北辛社区", level="village", parent_code="370481002000"))
        work.commit()
    for principal, village, code in (
        (operator("370481002000"), LONGQUAN, "AREA_UNKNOWN"),  # another street's clerk
        (operator(JINGHE), "370481002001", "AREA_UNKNOWN"),  # another street's community
        (operator(JINGHE), "370481001009", "VILLAGE_UNKNOWN"),  # no such community of 荆河
    ):
        with work_at(engine, DAY_ONE) as work, pytest.raises(YibaoError) as refused:
            submit_report(work, principal, 2019, village_code=village)
        assert refused.value.code == code
    with work_at(engine, DAY_ONE) as work, pytest.raises(YibaoError) as other:
        township_report(work, operator("370481002000"), 2019, DAY_ONE.date(), JINGHE)
    assert other.value.code == "AREA_UNKNOWN"


def test_community_reports_through_the_api_and_the_cli(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fastapi.testclient import TestClient

    from yibao.adapters.db.database import session_factory
    from yibao.entrypoints.cli.app import app
    from yibao.entrypoints.http.context import AppContext
    from yibao.entrypoints.server import create_app

    community_collects(engine)
    with work_at(engine, DAY_ONE) as work:
        add_user(work, NewUser("jinghe", "荆河街道经办员", "community-2019-x", Role.TOWNSHIP_OPERATOR, JINGHE), by=None)
        token = login(work, "jinghe", "community-2019-x", kind="api")
    context = AppContext(session_factory(engine), clock=lambda: DAY_ONE, data_dir=tmp_path / "data")
    mine = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(context)) as client:
        made = client.post("/api/v1/unit-reports", json={"insurance_year": 2019, "village_code": SHANGUO}, headers=mine)
        assert made.status_code == 201 and made.json()["unit"]["kind"] == "village"
        read = client.get(
            "/api/v1/unit-reports", params={"insurance_year": 2019, "township_code": JINGHE}, headers=mine
        ).json()
        assert [unit["name"] for unit in read["missing"]] == ["龙泉社区"]
    if engine.dialect.name != "sqlite":
        return
    monkeypatch.setenv("YIBAO_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    runner = CliRunner()
    clock = ["--clock", (DAY_ONE + timedelta(hours=1)).isoformat()]
    submitted = runner.invoke(
        app, ["report", "submit", "--user", "jinghe", "--year", "2019", "--village", LONGQUAN, *clock]
    )
    assert submitted.exit_code == 0 and "龙泉社区" in submitted.stdout, submitted.output
    listed = runner.invoke(
        app, ["report", "units", "--user", "jinghe", "--year", "2019", "--township", JINGHE, "--json", *clock]
    )
    assert json.loads(listed.stdout)["missing"] == []
