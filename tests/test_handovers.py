"""代收款上缴 (滕州: 各居……每天将代收保费上缴至街道财政所): a community's collection batches against the cash it
hands up to the street's finance office with the special receipts issued, per community and day; through the
API and the CLI; within the clerk's township."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from households import numbered
from principals import operator
from yibao.adapters.db.database import session_factory
from yibao.adapters.db.tables import Area
from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.domain import idnumber
from yibao.domain.errors import YibaoError
from yibao.domain.payments import BatchLine
from yibao.domain.timeutil import SHANGHAI
from yibao.services.access import Role
from yibao.services.money.handovers import HandoverRequest, handover_days, record_handover
from yibao.services.money.payments import CollectionBatchRequest, record_collection_batch
from yibao.services.policy.campaigns import open_campaign
from yibao.services.registry.areas import seed_district
from yibao.services.registry.households import HouseholdEnrollment, Member, enroll_household

TENGZHOU, JINGHE = "370481", "370481001000"
LONGQUAN, SHANGUO = "370481001001", "370481001002"
DAY_ONE = datetime(2018, 11, 20, 10, tzinfo=SHANGHAI)
DAY_TWO = DAY_ONE + timedelta(days=1)


def work_at(engine: Engine, now: datetime) -> UnitOfWork:
    return UnitOfWork(session_factory(engine), actor="jinghe-finance", now=now)


def community_collects(engine: Engine) -> None:
    """Two households of 龙泉社区 registered and collected for on day one (one batch each); 善国社区 none."""
    clerk = operator(JINGHE)
    with work_at(engine, DAY_ONE) as work:
        seed_district(work, TENGZHOU, [JINGHE])
        open_campaign(work, None, "tengzhou-jinghe-2019")
        work.session.add_all(
            [
                Area(code=LONGQUAN, name="龙泉社区", level="village", parent_code=JINGHE),
                Area(code=SHANGUO, name="善国社区", level="village", parent_code=JINGHE),
            ]
        )
        work.commit()
        for number, members in enumerate(((11, 12), (21,)), 1):
            request = HouseholdEnrollment(
                "tengzhou-jinghe-2019",
                JINGHE,
                "community",
                DAY_ONE,
                tuple(
                    Member(
                        idnumber.make(TENGZHOU, date(1980, 1, s), s), numbered("居民", s), "户主" if i == 0 else "配偶"
                    )
                    for i, s in enumerate(members)
                ),
                village_code=LONGQUAN,
            )
            enrolled = enroll_household(work, clerk, request)
            lines = tuple(BatchLine(m.enrollment_id, m.assessment["individual_due_fen"]) for m in enrolled)
            record_collection_batch(
                work,
                clerk,
                CollectionBatchRequest(
                    f"LQ-{number}", "龙泉社区代收员", sum(line.collected_fen for line in lines), DAY_ONE, lines
                ),
            )


def test_collected_against_handed_up_per_community_and_day(engine: Engine) -> None:
    community_collects(engine)
    clerk = operator(JINGHE)
    with work_at(engine, DAY_TWO) as work:
        (collected,) = handover_days(work, clerk, 2019, JINGHE)
        assert (collected.village_name, collected.day, collected.people) == ("龙泉社区", DAY_ONE.date(), 3)
        assert collected.handed_fen == 0 and collected.difference_fen == collected.collected_fen > 0
        part = collected.collected_fen - 10_000
        record_handover(
            work,
            clerk,
            HandoverRequest(2019, JINGHE, LONGQUAN, DAY_ONE.date(), part, "0012301-0012302", "龙泉社区代收员"),
        )
        record_handover(  # 善国社区 hands up cash no batch shows: a difference the other way
            work, clerk, HandoverRequest(2019, JINGHE, SHANGUO, DAY_TWO.date(), 5_000, "0012400", "善国社区代收员")
        )
        days = {(row.village_name, row.day): row for row in handover_days(work, clerk, 2019, JINGHE)}
        longquan = days[("龙泉社区", DAY_ONE.date())]
        assert longquan.handed_fen == part and longquan.difference_fen == 10_000
        assert longquan.receipts == ["0012301-0012302"]
        shanguo = days[("善国社区", DAY_TWO.date())]
        assert (shanguo.collected_fen, shanguo.handed_fen, shanguo.difference_fen) == (0, 5_000, -5_000)
        assert next(iter(days)) == ("善国社区", DAY_TWO.date())  # newest day first
        record_handover(  # the rest, the next day, for day one's collection
            work,
            clerk,
            HandoverRequest(2019, JINGHE, LONGQUAN, DAY_ONE.date(), 10_000, "0012303", "龙泉社区代收员"),
        )
        settled = next(row for row in handover_days(work, clerk, 2019, JINGHE) if row.village_name == "龙泉社区")
        assert settled.difference_fen == 0 and len(settled.receipts) == 2


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"amount_fen": 0}, "HANDOVER_AMOUNT_INVALID"),
        ({"receipt_numbers": " "}, "HANDOVER_RECEIPTS_REQUIRED"),
        ({"amount_fen": -100}, "HANDOVER_NOTE_REQUIRED"),
        ({"handed_by": ""}, "HANDOVER_COLLECTOR_REQUIRED"),
        ({"day": DAY_TWO.date() + timedelta(days=1)}, "HANDOVER_DATE_FUTURE"),
        ({"village_code": "370481002001"}, "VILLAGE_UNKNOWN"),
        ({"township_code": "370481002000"}, "AREA_UNKNOWN"),
    ],
)
def test_a_handover_is_refused_in_chinese(engine: Engine, change: dict[str, object], code: str) -> None:
    import dataclasses

    community_collects(engine)
    good = HandoverRequest(2019, JINGHE, LONGQUAN, DAY_ONE.date(), 100, "0012301", "龙泉社区代收员")
    with work_at(engine, DAY_TWO) as work, pytest.raises(YibaoError) as refused:
        record_handover(work, operator(JINGHE), dataclasses.replace(good, **change))  # type: ignore[arg-type]
    assert refused.value.code == code


def test_handovers_through_the_api_and_the_cli(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from fastapi.testclient import TestClient

    from yibao.entrypoints.cli.app import app
    from yibao.entrypoints.http.context import AppContext
    from yibao.entrypoints.server import create_app
    from yibao.services.users import NewUser, add_user, login

    community_collects(engine)
    with work_at(engine, DAY_TWO) as work:
        work.session.add(Area(code="370481002000", name="北辛街道", level="township", parent_code="370481000000"))
        work.commit()
        add_user(work, NewUser("jinghe", "荆河街道经办员", "handover-2019-x", Role.TOWNSHIP_OPERATOR, JINGHE), by=None)
        add_user(
            work, NewUser("other", "其他街道经办员", "handover-2019-x", Role.TOWNSHIP_OPERATOR, "370481002000"), by=None
        )
        tokens = {name: login(work, name, "handover-2019-x", kind="api") for name in ("jinghe", "other")}
    context = AppContext(session_factory(engine), clock=lambda: DAY_TWO, data_dir=tmp_path / "data")
    body = {
        "insurance_year": 2019,
        "township_code": JINGHE,
        "village_code": LONGQUAN,
        "day": "2018-11-20",
        "amount_fen": 1000,
        "receipt_numbers": "0012301",
        "handed_by": "龙泉社区代收员",
    }
    with TestClient(create_app(context)) as client:
        mine = {"Authorization": f"Bearer {tokens['jinghe']}"}
        theirs = {"Authorization": f"Bearer {tokens['other']}"}
        assert client.post("/api/v1/cash-handovers", json=body, headers=theirs).json()["code"] == "AREA_UNKNOWN"
        made = client.post("/api/v1/cash-handovers", json=body, headers=mine)
        assert made.status_code == 201 and made.json()["village_name"] == "龙泉社区"
        days = client.get(
            "/api/v1/cash-handovers", params={"insurance_year": 2019, "township_code": JINGHE}, headers=mine
        ).json()
        assert days[0]["handed_fen"] == 1000 and days[0]["difference_fen"] == days[0]["collected_fen"] - 1000
    if engine.dialect.name != "sqlite":
        return
    monkeypatch.setenv("YIBAO_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    runner = CliRunner()
    result = runner.invoke(
        app,
        [
            "pay",
            "handover",
            "--user",
            "jinghe",
            "--year",
            "2019",
            "--township",
            JINGHE,
            "--village",
            LONGQUAN,
            "--day",
            "2018-11-20",
            "--amount",
            "20",
            "--collector",
            "龙泉社区代收员",
            "--receipts",
            "0012302",
            "--clock",
            DAY_TWO.isoformat(),
        ],
    )
    assert result.exit_code == 0, result.output
    listed = runner.invoke(
        app, ["pay", "handovers", "--user", "jinghe", "--year", "2019", "--township", JINGHE, "--json"]
    )
    rows = json.loads(listed.stdout)
    assert rows[0]["handed_fen"] == 3000 and rows[0]["receipts"] == ["0012301", "0012302"]


def test_a_community_hands_up_cash_in_chromium(server: str, browser_page: object) -> None:
    from playwright.sync_api import Page, expect

    from browser_site import sign_in
    from test_chinese_pages import english_words

    page = browser_page
    assert isinstance(page, Page)
    sign_in(page, server, "yuyang")
    page.goto(server + "/finance")
    page.click("#handovers-link")
    page.select_option("#h_village", "120119100001")
    page.fill("#h_amount", "0")
    page.fill("#h_receipts", "0012301")
    page.fill("#h_by", "西关村代收员")
    page.click("#hand-over button.primary")
    expect(page.locator("#error")).to_contain_text("上缴金额不能为0.00元")  # the form keeps what was typed
    expect(page.locator("#h_by")).to_have_value("西关村代收员")
    page.fill("#h_amount", "120.50")
    page.click("#hand-over button.primary")
    row = page.locator("#handover-days tr[data-village='120119100001']")
    expect(row.locator(".handed")).to_have_text("120.50")
    expect(row.locator(".difference")).to_have_text("-120.50")  # no batch shows it collected: said plainly
    expect(row).to_contain_text("0012301")
    assert not english_words(page.content())
