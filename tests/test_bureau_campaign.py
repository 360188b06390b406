"""A bureau runs its campaign, for each of the five plans, from an empty database, through the command line and
the API only: seed the plan's scope, import villages, create a school and its user, add users, open the campaign,
enroll a household at the counter, import a roster naming villages, import a department list, record a payment,
load the plan's targets, read the progress report and the bulletin — and the figures are the plan's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api_site import finished_job
from yibao.adapters.db.database import make_engine, session_factory
from yibao.domain import idnumber
from yibao.domain.states import JobState
from yibao.entrypoints.cli.app import app
from yibao.entrypoints.http.context import AppContext
from yibao.entrypoints.server import create_app

PASSWORD = "bureau-pass-2024"


@dataclass(frozen=True)
class Campaign:
    plan: str
    district: str
    township: str  # where the clerk works
    township_name: str
    clock: str  # inside the campaign
    adult_fen: int  # an adult's contribution under the plan's default tier
    dibao_fen: int  # the same adult on 民政's 低保 list
    target: int | None  # the plan's total target, where it gives one


CAMPAIGNS = [
    Campaign("tianjin-jizhou-2018", "120119", "120119100000", "渔阳镇", "2017-11-15T09:00:00+08:00", 18000, 0, 628_400),
    Campaign("tianjin-jinghai-2022", "120118", "120118100000", "静海镇", "2021-11-15T09:00:00+08:00", 32000, 0, None),
    # 宁河 subsidises 低保 at 90 %: 35 of the 350 yuan remain
    Campaign(
        "tianjin-ninghe-2023", "120117", "120117001000", "芦台街道", "2022-10-20T09:00:00+08:00", 35000, 3500, 269_100
    ),
    Campaign("tengzhou-jinghe-2019", "370481", "370481001000", "荆河街道", "2018-11-20T09:00:00+08:00", 22000, 0, None),
    Campaign(
        "kunming-songming-2018", "530127", "530127001000", "嵩阳街道", "2017-11-01T09:00:00+08:00", 18000, 0, None
    ),
]


def cli(*arguments: str) -> str:
    result = CliRunner().invoke(app, list(arguments))
    assert result.exit_code == 0, result.output
    return result.stdout


def person(district: str, born: date, sequence: int) -> str:
    return idnumber.make(district, born, sequence)


@pytest.mark.slow
@pytest.mark.parametrize("campaign", CAMPAIGNS, ids=[c.plan for c in CAMPAIGNS])
def test_a_bureau_runs_its_campaign(
    campaign: Campaign, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, empty_database_url: str
) -> None:
    monkeypatch.setenv("YIBAO_DATABASE_URL", empty_database_url)
    d, t = campaign.district, campaign.township
    # The operator sets up the district at the command line.
    cli("db", "upgrade")
    cli("db", "seed-plan", campaign.plan)
    (tmp_path / "村居.csv").write_text(
        f"镇（街）,村（居）\n{campaign.township_name},第一村\n{campaign.township_name},第二村\n"
    )
    cli("area", "import-villages", str(tmp_path / "村居.csv"), "--district", d)
    school = cli("area", "add-organization", "第一中学", "--kind", "school", "--township", t, "--json")
    school_id = __import__("json").loads(school)["id"]
    for name, role, area, extra in (
        ("admin", "district_admin", d, []),
        ("clerk", "township_operator", t, []),
        ("school", "institution", t, ["--organization", str(school_id)]),
        ("caiwu", "finance", d, []),
        ("minzheng", "department", d, []),
    ):
        cli("user", "add", name, "--role", role, "--area", area, "--password", PASSWORD, *extra)
    cli("campaign", "open", campaign.plan, "--clock", campaign.clock)

    # The bureau and the township work through the API, on the campaign's clock.
    now = datetime.fromisoformat(campaign.clock)
    engine = make_engine(empty_database_url)
    context = AppContext(session_factory(engine), clock=lambda: now, data_dir=tmp_path / "data")
    try:
        with TestClient(create_app(context)) as client:
            _work(client, campaign, now)
    finally:
        context.jobs.shutdown()
        engine.dispose()


def _work(client: TestClient, campaign: Campaign, now: datetime) -> None:
    d, t = campaign.district, campaign.township
    tokens = {
        name: client.post("/api/v1/auth/token", json={"username": name, "password": PASSWORD}).json()["token"]
        for name in ("admin", "clerk", "caiwu", "minzheng")
    }

    def call(user: str, method: str, url: str, **kwargs: Any) -> tuple[int, Any]:
        response = client.request(method, url, headers={"Authorization": f"Bearer {tokens[user]}"}, **kwargs)
        return response.status_code, response.json() if response.headers.get("content-type", "").startswith(
            "application/json"
        ) else response.content

    status, areas = call("clerk", "GET", "/api/v1/areas")
    villages = {area["name"]: area["code"] for area in areas if area["level"] == "village"}
    assert set(villages) == {"第一村", "第二村"}

    # At the counter: a couple, each at the plan's default adult contribution.
    couple = [person(d, date(1975, 3, 4), 13), person(d, date(1977, 6, 5), 24)]
    body = {
        "policy_id": campaign.plan,
        "township_code": t,
        "village_code": villages["第一村"],
        "members": [
            {"id_number": couple[0], "name": "王建国", "relation": "户主"},
            {"id_number": couple[1], "name": "李秀英", "relation": "配偶"},
        ],
    }
    status, enrolled = call("clerk", "POST", "/api/v1/households", json=body)
    assert status == 201, enrolled
    assert [m["enrollment"]["individual_due_fen"] for m in enrolled["members"]] == [campaign.adult_fen] * 2

    # A village's roster, naming its village.
    roster = [person(d, date(1960 + i, 5, 1), 31 + i) for i in range(3)]
    lines = ["公民身份号码,姓名,镇（街）,村（居）,户号,与户主关系"]
    lines += [
        f"{n},张{'一二三'[i]},{campaign.township_name},第二村,R1,{'户主' if i == 0 else '子女'}"
        for i, n in enumerate(roster)
    ]
    files = {"file": ("第二村名册.csv", "\n".join(lines).encode("utf-8"))}
    status, job = call("clerk", "POST", "/api/v1/roster-imports", files=files, data={"township_code": t})
    assert status == 202, job
    job = finished_job(client, {"Authorization": f"Bearer {tokens['clerk']}"}, job)
    assert job["state"] == JobState.SUCCEEDED and job["result"]["created"] == 3, job

    # 民政's 低保 list: the first of the roster is subsidised as the plan says.
    content = f"姓名,公民身份号码\n张一,{roster[0]}\n".encode()
    data = {"department": "civil_affairs", "identity": "dibao", "valid_from": f"{now.year - 1}-01-01"}
    status, job = call("minzheng", "POST", "/api/v1/list-imports", files={"file": ("低保.csv", content)}, data=data)
    assert status == 202, job
    job = finished_job(client, {"Authorization": f"Bearer {tokens['minzheng']}"}, job)
    assert job["state"] == JobState.SUCCEEDED and job["result"]["flagged"] == 1, job
    status, found = call("clerk", "GET", f"/api/v1/residents?q={roster[0]}")
    status, record = call("clerk", "GET", f"/api/v1/residents/{found['items'][0]['id']}")
    year = int(campaign.plan[-4:])
    this_year = next(e for e in record["enrollments"] if e["insurance_year"] == year)
    assert this_year["individual_due_fen"] == campaign.dibao_fen

    # The couple pays their notice.
    status, notice = call("clerk", "POST", "/api/v1/notices", json={"household_id": enrolled["household_id"]})
    assert status == 201 and notice["amount_fen"] == 2 * campaign.adult_fen, notice
    payment = {
        "channel": "wechat",
        "amount_fen": notice["amount_fen"],
        "transaction_id": "wx-1",
        "notice_number": notice["number"],
    }
    status, paid = call("clerk", "POST", "/api/v1/payments", json=payment)
    assert status == 201, paid

    # Targets, progress and the bulletin of the campaign.
    status, loaded = call("admin", "POST", "/api/v1/targets/from-policy", json={"policy_id": campaign.plan})
    assert status == 200, loaded
    for unit in sorted({row["unit"] for row in loaded if row["unit_kind"] == "institution"}):  # 静海's 仁爱学院
        school_id = next(
            org["id"] for org in call("admin", "GET", "/api/v1/organizations")[1] if org["name"] == "第一中学"
        )
        bind = {"insurance_year": year, "unit": unit, "organization_id": school_id}
        assert call("clerk", "PUT", "/api/v1/targets/institution", json=bind)[0] == 403
        status, bound = call("admin", "PUT", "/api/v1/targets/institution", json=bind)
        assert status == 200 and {row["organization_name"] for row in bound if row["unit"] == unit} == {"第一中学"}
    status, report = call("admin", "GET", f"/api/v1/progress?on={now.date()}")
    assert status == 200, report
    assert report["insurance_year"] == year and report["paid"] == 2 and report["registered"] == 5
    assert report["target"] == campaign.target
    mine = [unit for unit in report["units"] if unit["area_code"] == t]
    assert len(mine) == 1 and mine[0]["paid"] == 2  # the clerk's township, once
    # where the plan's targets count general residents only (蓟州), the 低保 person is not among them
    assert mine[0]["registered"] == (4 if mine[0]["measured"] == "general" else 5)
    general = next((goal for goal in report["goals"] if goal["id"] == "general"), None)
    if general is not None and general["base_kind"] == "statistics":  # 嵩明: 以县统计局统计的农业人口数为准
        assert general["base"] is None and general["rate"] is None  # until the bureau loads the count
        _load_statistical_base(call, campaign, year, now)

    status, workbook = call("admin", "GET", f"/api/v1/progress/bulletin?on={now.date()}&format=xlsx")
    assert status == 200 and workbook[:2] == b"PK"


def _load_statistical_base(call: Any, campaign: Campaign, year: int, now: datetime) -> None:
    """The statistics bureau's agricultural population per township, loaded by the bureau: the general goal is
    measured against it, township by township (the couple paid: 2 of 嵩阳街道's 2; none of 杨桥街道's 100)."""
    sheet = f"镇（街）,人数\n{campaign.township_name},2\n杨桥街道,100\n合计,102\n".encode()
    form = {"insurance_year": str(year), "goal_id": "general", "source": "县统计局2016年末农业人口"}
    files = {"file": ("农业人口.csv", sheet)}
    assert call("clerk", "POST", "/api/v1/population-counts", files=files, data=form)[0] == 403
    status, refused = call(
        "admin", "POST", "/api/v1/population-counts", files=files, data=form | {"goal_id": "poverty"}
    )
    assert status == 422 and refused["code"] == "GOAL_NOT_STATISTICAL", refused
    status, counts = call("admin", "POST", "/api/v1/population-counts", files=files, data=form)
    assert status == 200, counts
    assert [(row["township_name"], row["persons"]) for row in counts] == [
        (campaign.township_name, 2),
        ("杨桥街道", 100),
    ]
    status, report = call("admin", "GET", f"/api/v1/progress?on={now.date()}")
    general = next(goal for goal in report["goals"] if goal["id"] == "general")
    assert (general["base"], general["covered"], general["met"]) == (102, 2, False)
    assert general["townships_below"] == ["杨桥街道"] and "统计数" in general["base_source"]
    listed = cli("report", "base", "--user", "admin", "--year", str(year))
    assert "杨桥街道" in listed and "县统计局2016年末农业人口" in listed
