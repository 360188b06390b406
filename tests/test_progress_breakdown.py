"""进度明细 (the progress breakdown) by village, township, category and channel: counted independently, on the
day itself and to date, within a township operator's area; a district's villages a page at a time through the API
and the web page, with 合计 over every row."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import Engine

from api_site import Site
from households import open_campaign_of, uow
from principals import admin, operator
from test_progress import add_enrolled
from yibao.domain import idnumber
from yibao.domain.errors import YibaoError
from yibao.domain.timeutil import SHANGHAI
from yibao.services.progress.report import progress_report
from yibao.services.registry.areas import seed_district


def test_breakdown_by_village_channel_and_category(engine: Engine) -> None:
    """进度明细: a township's villages, the channels and the categories, to date and on the day itself, counted
    independently; a township operator asking for another township is refused."""
    from yibao.adapters.db.tables import Area
    from yibao.services.progress.breakdown import progress_breakdown
    from yibao.services.progress.targets import import_targets

    yuyang, bieshan = "120119100000", "120119106000"
    day = date(2017, 11, 20)
    with uow(engine, "admin") as work:
        seed_district(work, "120119")
        open_campaign_of(work, "tianjin-jizhou-2018")
        work.session.add_all(
            [
                Area(code="120119100201", name="西关村", level="village", parent_code=yuyang),
                Area(code="120119100202", name="东关村", level="village", parent_code=yuyang),
            ]
        )
        work.commit()
    # (village, channel, category, assisted, paid: days before `day` or None, cancelled)
    people = [
        ("120119100201", "village", "adult", 0, 0, False),
        ("120119100201", "village", "adult", 0, 1, False),
        ("120119100201", "school", "student", 0, 0, False),
        ("120119100202", "village", "adult", 18000, 3, False),
        ("120119100202", "village", "adult", 0, None, False),
        ("120119100202", "village", "adult", 0, 2, True),  # paid, then cancelled: not counted
        (None, "individual", "adult", 0, 0, False),
    ]
    registered = datetime.combine(day - timedelta(days=10), time(9), tzinfo=SHANGHAI)
    with uow(engine, "sim") as work:
        for index, (village, channel, category, assisted, paid, cancelled) in enumerate(people):
            add_enrolled(
                work,
                idnumber.make("120119", date(1980, 1, 1) + timedelta(days=index), 700 + index),
                yuyang,
                registered,
                paid=None if paid is None else registered + timedelta(days=10 - paid, hours=2),
                cancelled=registered + timedelta(days=9) if cancelled else None,
                channel=channel,
                category=category,
                assisted=assisted,
                village=village,
            )
        work.commit()
    sheet = "单位,村（居）,合计\n渔阳镇,西关村,4\n渔阳镇,,300\n".encode()  # a village's target beside its township's
    with uow(engine, "admin") as work:
        import_targets(work, admin(), 2018, "村级任务.csv", sheet)
    with uow(engine, "admin") as work:
        assert [unit.unit for unit in progress_report(work, admin(), day).units if unit.area_code == yuyang] == [
            "渔阳镇"
        ]  # the village's target is not a unit of the township ranking
    with uow(engine, "admin") as work:
        villages = progress_breakdown(work, operator(yuyang), day, "village", yuyang)
        channels = progress_breakdown(work, admin(), day, "channel")
        categories = progress_breakdown(work, admin(), day, "category")
        townships = progress_breakdown(work, admin(), day, "township")
        with pytest.raises(YibaoError) as refused:
            progress_breakdown(work, operator(yuyang), day, "village", bieshan)
    assert refused.value.code == "AREA_UNKNOWN"
    by_village = {row.name: (row.registered, row.paid, row.paid_on_day) for row in villages.rows}
    assert by_village == {"西关村": (3, 3, 2), "东关村": (2, 1, 0), "（未登记）": (1, 1, 1)}
    assert {row.township_name for row in villages.rows} == {"渔阳镇"}  # each village with its township
    with uow(engine, "admin") as work:  # the district's villages: a row per township and village, even unnamed
        district_villages = progress_breakdown(work, admin(), day, "village")
        second = progress_breakdown(work, admin(), day, "village", offset=1, limit=1)  # a page of one row
        past_the_end = progress_breakdown(work, admin(), day, "channel", offset=3, limit=2)
    assert [(row.township_name, row.name) for row in district_villages.rows] == [
        ("渔阳镇", "西关村"),
        ("渔阳镇", "东关村"),
        ("渔阳镇", "（未登记）"),
    ]
    assert [row.name for row in second.rows] == ["东关村"] and (second.row_count, second.offset) == (3, 1)
    totals = second.totals  # 合计 counts every row, not the page's
    assert (totals.registered, totals.paid, totals.paid_on_day, totals.covered) == (6, 5, 3, 0)
    assert second.totals == district_villages.totals
    assert past_the_end.rows == [] and past_the_end.row_count == 3 and past_the_end.totals.paid == 5
    assert [(row.name, row.target, row.completion) for row in villages.rows if row.target] == [("西关村", 4, 0.75)]
    assert {row.key: (row.paid, row.paid_on_day) for row in channels.rows} == {
        "village": (3, 1),
        "school": (1, 1),
        "individual": (1, 1),
    }
    assert {row.key: row.paid for row in categories.rows} == {"general": 3, "students": 1, "special_groups": 1}
    # by category and township, read from the kept counts: registered, paid, and paid on the day itself
    assert {row.key: (row.registered, row.paid, row.paid_on_day) for row in categories.rows} == {
        "general": (4, 3, 2),
        "students": (1, 1, 1),
        "special_groups": (1, 1, 0),
    }
    assert [(row.name, row.registered, row.paid, row.paid_on_day) for row in townships.rows] == [("渔阳镇", 6, 5, 3)]
    assert townships.totals == categories.totals == channels.totals


def test_the_breakdown_comes_a_page_at_a_time(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    """进度明细 of a district's villages, thousands of rows, a page at a time: the API's ``limit`` and ``offset``,
    the web page's pager; 合计 counts every row on every page."""
    from test_chinese_pages import signed_in
    from yibao.adapters.db.tables import Area
    from yibao.entrypoints.web import progress_routes

    registered = datetime(2017, 11, 10, 9, tzinfo=SHANGHAI)
    villages = [f"120119100{number:03d}" for number in range(301, 306)]
    with uow(site.engine, "setup") as work:
        work.session.add_all(
            Area(code=code, name=f"第{index}村", level="village", parent_code="120119100000")
            for index, code in enumerate(villages, 1)
        )
        for index, code in enumerate(villages):
            number = idnumber.make("120119", date(1990, 1, 1) + timedelta(days=index), 650)
            add_enrolled(work, number, "120119100000", registered, paid=registered + timedelta(days=1), village=code)
        work.commit()
    url = "/api/v1/progress/breakdown?by=village&on=2017-11-20"
    status, everything = site.call("admin", "GET", url)
    assert status == 200 and everything["row_count"] == len(everything["rows"]) >= 5
    status, second = site.call("admin", "GET", f"{url}&limit=2&offset=2")
    assert status == 200 and second["rows"] == everything["rows"][2:4]
    assert (second["row_count"], second["offset"], second["totals"]) == (
        everything["row_count"],
        2,
        everything["totals"],
    )
    assert everything["totals"]["paid"] == sum(row["paid"] for row in everything["rows"]) >= 5
    assert site.call("admin", "GET", f"{url}&limit=0")[0] == 422

    monkeypatch.setattr(progress_routes, "BREAKDOWN_PAGE", 2)
    client = signed_in(site, "admin")
    pages = -(-everything["row_count"] // 2)
    page = client.get("/progress/breakdown", params={"by": "village", "on": "2017-11-20", "page": 2}).text
    assert f"（第 2 / {pages} 页）" in page and 'rel="next"' in page and 'rel="prev"' in page
    assert [row["name"] for row in everything["rows"][2:4]] == re.findall(
        r'<tr data-key="[^"]*"><td>[^<]*</td><td>([^<]*)</td>', page
    )
    assert f"{everything['totals']['paid']:,}" in page.split("<tfoot>")[1]
    last = client.get("/progress/breakdown", params={"by": "village", "on": "2017-11-20", "page": 999}).text
    assert f"（第 {pages} / {pages} 页）" in last and 'rel="next"' not in last  # past the end: the last page
