"""Units of a progress report beyond the townships (SQLite and PostgreSQL): an institution the plan gives a target
of its own, counted from its organization's enrollments; and how the bulletin names the slowest and what its
table counts."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine

from households import open_campaign_of, uow
from principals import admin
from test_progress import add_enrolled
from yibao.adapters.db.database import session_factory
from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.domain import idnumber
from yibao.domain.errors import YibaoError
from yibao.domain.timeutil import SHANGHAI
from yibao.services.policy.plans import get_policy
from yibao.services.progress.report import progress_report
from yibao.services.progress.targets import list_targets, load_policy_targets
from yibao.services.registry.areas import seed_district


def _jinghai_with_targets(engine: Engine) -> None:
    """静海's townships, its 2022 campaign open, and the plan's target table loaded."""
    with uow(engine, "admin") as work:
        seed_district(work, "120118")
        open_campaign_of(work, "tianjin-jinghai-2022")
    with uow(engine, "admin") as work:
        load_policy_targets(work, admin("120118000000"), "tianjin-jinghai-2022")


def test_an_institution_target_counts_its_organizations_enrollments(engine: Engine) -> None:
    """静海's 天津大学仁爱学院 (14,015) is a unit of its own: unranked until an organization enrolls for it, then
    counted from that organization's enrollments — which leave the township it sits in, so no one counts twice."""
    from yibao.services.progress.targets import bind_institution
    from yibao.services.registry.organizations import add_organization

    town, district = "120118100000", admin("120118000000")
    on = datetime(2021, 11, 20, 9, tzinfo=SHANGHAI)
    _jinghai_with_targets(engine)

    def report_now() -> Any:
        with UnitOfWork(session_factory(engine), actor="admin", now=on) as work:
            return progress_report(work, district, on.date())

    def student(work: UnitOfWork, index: int, organization: int | None, paid: bool = True) -> None:
        number = idnumber.make("120118", date(2003, 1, 1) + timedelta(days=index), 400 + index)
        moment = on - timedelta(days=10)
        add_enrolled(
            work,
            number,
            town,
            moment,
            paid=moment if paid else None,
            policy="tianjin-jinghai-2022",
            category="student",
            channel="school",
            organization=organization,
        )

    with uow(engine, "sim") as work:
        for index in range(4):
            student(work, index, None)  # the township's own pupils
        work.commit()
    renai = next(unit for unit in report_now().units if unit.unit == "天津大学仁爱学院")
    assert (renai.unit_kind, renai.target, renai.paid, renai.completion, renai.rank) == (
        "institution",
        14_015,
        0,
        None,
        None,
    )
    assert "天津大学仁爱学院" not in report_now().slowest
    with uow(engine, "admin") as work:  # created after the targets were loaded: found by its name
        university = add_organization(work, district, "仁爱学院", "university", town)
        school = add_organization(work, district, "静海一中", "school", town)
    with uow(engine, "sim") as work:
        for index in range(4, 10):
            student(work, index, university.id, paid=index < 9)  # 5 paid, 1 registered only
        student(work, 10, school.id)
        work.commit()
    report = report_now()
    units = {unit.unit: unit for unit in report.units}
    renai = units["天津大学仁爱学院"]
    assert (renai.registered, renai.paid, renai.paid_by_category["students"]) == (6, 5, 5)
    assert renai.completion == 5 / 14_015 and renai.rank is not None
    township = next(unit for unit in report.units if unit.area_code == town)
    assert township.paid == 4 + 1 and report.paid == 10  # the school's pupil stays the township's
    with uow(engine, "admin") as work:  # bound by hand: the college's pupils now count for the unit instead
        rows = bind_institution(work, district, 2022, "天津大学仁爱学院", school.id)
    assert {row.organization_name for row in rows if row.unit == "天津大学仁爱学院"} == {"静海一中"}
    report = report_now()
    assert next(u for u in report.units if u.unit == "天津大学仁爱学院").paid == 1
    assert next(u for u in report.units if u.area_code == town).paid == 4 + 5
    with uow(engine, "admin") as work, pytest.raises(YibaoError) as refused:
        bind_institution(work, district, 2022, "静海镇", school.id)  # a township is no institution
    assert refused.value.code == "TARGET_UNIT_UNKNOWN"


def test_the_bulletin_names_ties_and_says_what_its_table_counts() -> None:
    """The headline once said 1,770 paid while the table added up to 1,602 (蓟州's townships count general residents
    only, unsaid), and 后三位 named one of two tied units but not the other."""
    from yibao.services.progress.bulletin import headline
    from yibao.services.progress.report import ProgressReport, UnitProgress, slowest_units

    def unit(name: str, paid: int, target: int | None, measured: str = "general") -> UnitProgress:
        rate = paid / target if target else None
        return UnitProgress(
            unit=name,
            unit_kind="township",
            area_code=None,
            measured=measured,
            target=target,
            registered=paid,
            assessed=paid,
            paid=paid,
            covered=0,
            paid_by_category={},
            paid_since_last=0,
            completion=rate,
            band=None,
            band_name=None,
            rank=None,
            pace_per_day=0.0,
            reached_on=None,
            needed_per_day=None,
        )

    units = [unit("甲镇", 50, 100), unit("乙镇", 10, 100), unit("丙镇", 20, 100), unit("丁镇", 20, 100)]
    units += [unit("戊镇", 90, 100), unit("无任务镇", 7, None, "all")]
    assert slowest_units(units) == ["乙镇", "丙镇", "丁镇"]
    units.append(unit("己镇", 40, 200))  # 20 %, tied with 丙镇 and 丁镇 at the third place
    assert slowest_units(units) == ["乙镇", "丙镇", "丁镇", "己镇"]
    report = ProgressReport(
        insurance_year=2018,
        policy_id="tianjin-jizhou-2018",
        on=date(2017, 11, 15),
        rhythm="daily",
        last_report=date(2017, 11, 14),
        deadline=None,
        target=None,
        registered=300,
        paid=300,
        paid_since_last=0,
        completion=None,
        units=units,
        series=[],
        slowest=slowest_units(units),
    )
    lines = headline(report)
    assert "全区已缴费参保300人（含特殊群体、在校学生等全部人员）" in lines[0]
    assert any("表中已缴费参保合计237人" in line and "一般居民" in line for line in lines)
    assert any(line.startswith("完成率后三位（含并列）：乙镇、丙镇、丁镇、己镇") for line in lines)


def test_a_unit_the_target_table_leaves_without_a_figure(engine: Engine) -> None:
    """静海's table lists 华康街道办 with “—” (assumption unassigned-units): its enrollments are shown and counted
    in the district's total, with no target, completion rate or rank of its own."""
    huakang, district = "120118001000", admin("120118000000")
    on = datetime(2021, 11, 20, 9, tzinfo=SHANGHAI)
    _jinghai_with_targets(engine)
    with uow(engine, "sim") as work:
        for index in range(3):
            number = idnumber.make("120118", date(1980, 1, 1) + timedelta(days=index), 500 + index)
            moment = on - timedelta(days=5)
            add_enrolled(work, number, huakang, moment, paid=moment, policy="tianjin-jinghai-2022")
        work.commit()
    with UnitOfWork(session_factory(engine), actor="admin", now=on) as work:
        report = progress_report(work, district, on.date())
    unit = next(unit for unit in report.units if unit.area_code == huakang)
    assert (unit.paid, unit.target, unit.completion, unit.rank) == (3, None, None, None)
    assert report.paid == 3 and unit.unit not in report.slowest


@pytest.mark.parametrize(
    ("plan", "district", "town", "children_in"),
    [
        ("tianjin-jinghai-2022", "120118", "120118100000", "students"),  # 静海: 高中以下学生儿童
        ("tianjin-jizhou-2018", "120119", "120119100000", "general"),  # 蓟州: 在校学生 only
    ],
)
def test_children_count_where_the_plans_students_column_puts_them(
    engine: Engine, plan: str, district: str, town: str, children_in: str
) -> None:
    policy = get_policy(plan)
    on = datetime.combine(policy.benefit_period.start, datetime.min.time(), SHANGHAI) - timedelta(days=40)
    with uow(engine, "admin") as work:
        seed_district(work, district)
        open_campaign_of(work, plan)
    with uow(engine, "sim") as work:
        for index, (born, category) in enumerate([(date(2012, 3, 1), "student"), (date(2016, 3, 1), "child")]):
            number = idnumber.make(district, born, 600 + index)
            add_enrolled(
                work, number, town, on - timedelta(days=1), paid=on - timedelta(days=1), policy=plan, category=category
            )
        work.commit()
    with UnitOfWork(session_factory(engine), actor="admin", now=on) as work:
        report = progress_report(work, admin(f"{district}000000"), on.date())
    unit = next(unit for unit in report.units if unit.area_code == town)
    expected = {"general": 0, "students": 1, "special_groups": 0}
    expected[children_in] += 1
    assert unit.paid_by_category == expected


def test_a_projection_past_the_deadline_is_said_so_not_dated() -> None:
    """Two a day against thousands to go once projected 2180-09-13; the bulletin says it will not be done."""
    from datetime import date

    from yibao.services.progress.report import BEYOND_DEADLINE, reached_text

    deadline = date(2017, 12, 31)
    assert reached_text(0.1, date(2180, 9, 13), deadline) == BEYOND_DEADLINE == "按此进度期限内无法完成"
    assert reached_text(0.9, date(2017, 12, 20), deadline) == "2017-12-20"
    assert reached_text(1.0, None, deadline) == "已完成"
    assert reached_text(0.0, None, deadline) == "—"


def test_a_township_the_plan_calls_by_another_name_is_shown_by_todays(engine: Engine) -> None:
    """蓟州's table calls 文昌街道 “街道办” (renamed, not merged): the report and its bulletin rank it as 文昌街道, with
    the plan's target, as every other page names it; 五百户镇, merged into 州河湾镇, is no unit of its own."""
    on = datetime(2017, 11, 20, 9, tzinfo=SHANGHAI)
    with uow(engine, "admin") as work:
        seed_district(work, "120119")
        open_campaign_of(work, "tianjin-jizhou-2018")
        load_policy_targets(work, admin(), "tianjin-jizhou-2018")
    with UnitOfWork(session_factory(engine), actor="admin", now=on) as work:
        report = progress_report(work, admin(), on.date())
    names = [unit.unit for unit in report.units]
    assert "文昌街道" in names and "街道办" not in names and "五百户镇" not in names
    wenchang = next(unit for unit in report.units if unit.unit == "文昌街道")
    assert wenchang.target == 6500 and wenchang.rank is not None
    with UnitOfWork(session_factory(engine), actor="admin", now=on) as work:
        street = next(t for t in list_targets(work, admin(), 2018) if t.unit == "街道办")  # the plan's table as written
    assert street.area_name == "文昌街道"
