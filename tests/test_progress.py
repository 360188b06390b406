"""Targets and progress on SQLite and PostgreSQL: the plans' tables reproduce their totals, and on a simulated
campaign (enrollments and payments spread over the plan's dates, some cancelled) the report matches an
independent count, day by day, per township and category, with rankings, bands and projections."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine

from households import open_campaign_of, uow
from principals import admin, operator
from yibao.adapters.db.database import session_factory
from yibao.adapters.db.tables import Enrollment, IdentityFlag, Resident
from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.domain import idnumber
from yibao.domain.errors import YibaoError
from yibao.domain.progress import band, project, ranked
from yibao.domain.timeutil import SHANGHAI
from yibao.services.progress.report import progress_report
from yibao.services.progress.targets import load_policy_targets
from yibao.services.registry.areas import seed_district


def totals(rows: list[Any], **where: object) -> int:
    return sum(row.persons for row in rows if all(getattr(row, key) == value for key, value in where.items()))


def test_the_plans_tables_reproduce_their_totals(engine: Engine) -> None:
    for district in ("120119", "120118"):
        with uow(engine, "admin") as work:
            seed_district(work, district)
    with uow(engine, "admin") as work:
        jizhou = load_policy_targets(work, admin("120119000000"), "tianjin-jizhou-2018")
    # The townships' figures exclude special groups and students; with them, the district's 62.84万.
    townships = [row for row in jizhou if row.unit_kind in ("township", "unmatched")]
    assert totals(townships, category="general") == 495_400 and len(townships) == 27
    assert totals(jizhou, unit_kind="district", category="all") == 628_400
    assert not [row for row in jizhou if row.unit_kind == "unmatched"]
    # 五百户镇, merged into 州河湾镇 since 2018, is counted and ranked as 州河湾镇
    merged = [row for row in jizhou if row.area_code == "120119127000"]
    assert [(row.unit, row.persons) for row in merged] == [("州河湾镇", 19_600)] and "五百户镇" not in {
        r.unit for r in jizhou
    }
    assert next(r.area_code for r in jizhou if r.unit == "孙各庄乡") == "120119203000"  # now 孙各庄满族乡
    with uow(engine, "admin") as work:
        jinghai = load_policy_targets(work, admin("120118000000"), "tianjin-jinghai-2022")
    assert totals(jinghai, unit_kind="township", category="all") == 452_977
    assert totals(jinghai, unit_kind="institution", category="all") == 14_015
    assert totals(jinghai, category="students") == 106_739 + 14_015
    jinghai_town = next(r for r in jinghai if r.unit == "静海镇" and r.category == "all")
    assert jinghai_town.includes == ["120118002000"]  # 朝阳街道办 is counted with 静海镇
    with uow(engine, "admin") as work:  # loading again replaces, never adds
        assert len(load_policy_targets(work, admin("120118000000"), "tianjin-jinghai-2022")) == len(jinghai)


def _day_end(day: date) -> datetime:
    return datetime.combine(day, time.max, tzinfo=SHANGHAI)


def test_progress_matches_an_independent_count_day_by_day(engine: Engine) -> None:
    with uow(engine, "admin") as work:
        seed_district(work, "120119")
        open_campaign_of(work, "tianjin-jizhou-2018")
    with uow(engine, "admin") as work:
        load_policy_targets(work, admin("120119000000"), "tianjin-jizhou-2018")
    rng = random.Random(7)
    townships = ["120119100000", "120119101000", "120119106000"]
    start = date(2017, 11, 1)
    people = []
    with uow(engine, "sim") as work:
        for index in range(240):
            registered = datetime.combine(start + timedelta(days=rng.randrange(40)), time(9), tzinfo=SHANGHAI)
            resident = Resident(
                id_number=idnumber.make("120119", date(1960, 1, 1) + timedelta(days=index), 300 + index % 600),
                name=f"模拟{index}",
                sex="male",
                birth_date=date(1960, 1, 1),
                township_code=townships[index % 3],
            )
            work.session.add(resident)
            work.session.flush()
            paid = (
                registered + timedelta(days=rng.randrange(0, 20), hours=rng.randrange(8))
                if rng.random() < 0.8
                else None
            )
            cancelled = registered + timedelta(days=rng.randrange(1, 30)) if rng.random() < 0.1 else None
            category = "student" if index % 5 == 0 else "adult"
            assisted = 18000 if index % 7 == 0 else 0
            enrollment = Enrollment(
                resident_id=resident.id,
                insurance_year=2018,
                policy_id="tianjin-jizhou-2018",
                policy_hash="0" * 64,
                township_code=resident.township_code,
                channel="village",
                state="cancelled" if cancelled else ("effective" if paid else "assessed"),
                category=category,
                assisted_subsidy_fen=assisted,
                individual_due_fen=44000,
                benefit_start=date(2018, 1, 1),
                benefit_end=date(2018, 12, 31),
                registered_at=registered,
                assessed_at=registered,
                effective_at=paid,
                cancelled_at=cancelled,
            )
            work.session.add(enrollment)
            people.append((resident.township_code, category, assisted, registered, paid, cancelled))
        work.commit()

    def expected(on: date, township: str, measure: str) -> int:
        end = _day_end(on)
        count = 0
        for code, category, assisted, registered, paid, cancelled in people:
            alive = cancelled is None or cancelled > end
            general = assisted == 0 and category != "student"
            moment = registered if measure == "registered" else paid
            if code == township and general and moment is not None and moment <= end and alive:
                count += 1
        return count

    for offset in range(0, 62, 3):
        on = start + timedelta(days=offset)
        with uow(engine, "admin") as work:
            report = progress_report(work, admin("120119000000"), on)
        units = {unit.area_code: unit for unit in report.units}
        for township in townships:
            unit = units[township]
            assert unit.measured == "general"  # 蓟州's targets exclude special groups and students
            assert unit.paid == expected(on, township, "paid"), (on, township)
            assert unit.registered == expected(on, township, "registered"), (on, township)
            assert unit.paid_since_last == unit.paid - expected(on - timedelta(days=1), township, "paid")
        assert report.series[-1].day == on
        all_paid = sum(
            1
            for *_, paid, cancelled in people
            if paid and paid <= _day_end(on) and (cancelled is None or cancelled > _day_end(on))
        )
        assert report.paid == report.series[-1].paid == all_paid
    assert report.rhythm == "daily" and report.deadline == date(2017, 12, 31) and report.target == 628_400
    ranks = [unit.rank for unit in report.units if unit.rank is not None]
    ranked_units = [unit for unit in report.units if unit.rank is not None]
    assert ranks == sorted(ranks)
    assert report.slowest and all(name in {u.unit for u in ranked_units} for name in report.slowest)
    with uow(engine, "clerk") as work:  # a township's operator reads the same bulletin
        assert progress_report(work, operator("120119100000"), on).paid == report.paid


def test_bands_ranks_and_projections() -> None:
    assert [band(rate) for rate in (1.2, 1.0, 0.85, 0.8, 0.5, None)] == [
        "green",
        "green",
        "amber",
        "amber",
        "red",
        None,
    ]
    assert ranked({"a": 0.5, "b": 0.9, "c": 0.5, "d": None}) == {"b": 1, "a": 2, "c": 2}
    on = date(2017, 12, 1)
    projection = project(done=700, done_before=630, target=1000, on=on, deadline=date(2017, 12, 31))
    assert projection.pace_per_day == 10 and projection.reached_on == date(2017, 12, 31)
    assert projection.needed_per_day == 10
    assert project(1000, 900, 1000, on, None).reached
    assert project(10, 10, 1000, on, date(2017, 12, 31)).reached_on is None  # no recent pace: never, at that pace


def test_a_bureaus_own_target_sheet(engine: Engine) -> None:
    from yibao.services.progress.targets import import_targets, list_targets

    with uow(engine, "admin") as work:
        seed_district(work, "120119")
        open_campaign_of(work, "tianjin-jizhou-2018")
    with uow(engine, "admin") as work:
        load_policy_targets(work, admin("120119000000"), "tianjin-jizhou-2018")
    bad = "蓟州区2018年度参保任务分解表\n单位,合计,一般居民,学生\n渔阳镇,50000,,8000\n别山镇,三万,,\n".encode()
    with uow(engine, "admin") as work, pytest.raises(YibaoError) as refused:
        import_targets(work, admin("120119000000"), 2018, "分解表.csv", bad)
    assert (refused.value.code, refused.value.row, refused.value.field) == ("TARGET_FIGURE", 4, "合计")
    sheet = '单位,合计,一般居民,学生\n渔阳镇,"50,000",,8000\n州河湾镇,19600,,\n合计,69600,,\n'.encode()
    with uow(engine, "admin") as work:
        rows = import_targets(work, admin("120119000000"), 2018, "分解表.csv", sheet)
    yuyang = {row.category: row.persons for row in rows if row.unit == "渔阳镇"}
    assert yuyang == {"all": 50_000, "students": 8_000}  # the plan's general figure for 渔阳镇 is replaced
    assert next(row for row in rows if row.unit == "州河湾镇").unit_kind == "township"
    assert any(row.unit == "别山镇" and row.source == "policy:tianjin-jizhou-2018" for row in rows)  # kept
    with uow(engine, "inspector") as work:
        assert len(list_targets(work, admin("120119000000"), 2018)) == len(rows)


def add_enrolled(
    work: UnitOfWork,
    number: str,
    township: str,
    registered: datetime,
    *,
    paid: datetime | None = None,
    cancelled: datetime | None = None,
    policy: str = "tianjin-jizhou-2018",
    channel: str = "village",
    category: str = "adult",
    assisted: int = 0,
    village: str | None = None,
    organization: int | None = None,
) -> int:
    """A resident and their enrollment written straight into the tables, as a campaign left them; the resident's
    id. The state follows the moments given (cancelled, else paid, else assessed)."""
    resident = Resident(
        id_number=number,
        name=f"居民{number[-4:]}",
        sex="male",
        birth_date=date(1970, 1, 1),
        township_code=township,
        village_code=village,
    )
    work.session.add(resident)
    work.session.flush()
    work.session.add(
        Enrollment(
            resident_id=resident.id,
            insurance_year=int(policy[-4:]),
            policy_id=policy,
            policy_hash="0" * 64,
            township_code=township,
            channel=channel,
            organization_id=organization,
            state="cancelled" if cancelled else ("effective" if paid else "assessed"),
            category=category,
            assisted_subsidy_fen=assisted,
            benefit_start=date(int(policy[-4:]), 1, 1),
            registered_at=registered,
            assessed_at=registered,
            effective_at=paid,
            cancelled_at=cancelled,
        )
    )
    return resident.id


def test_coverage_over_the_registers_base_population(engine: Engine) -> None:
    """The latest population register is the base of the coverage rates, per township and for the district; a
    reason that the person is insured elsewhere (or serving, or dead) takes them out of it, a refusal does not."""
    from yibao.services.crosscheck.reasons import record_reason
    from yibao.services.crosscheck.reference_lists import ReferenceRequest, import_reference_list

    yuyang, bieshan = "120119100000", "120119106000"
    on = datetime(2017, 12, 20, 9, tzinfo=SHANGHAI)
    with uow(engine, "admin") as work:
        seed_district(work, "120119")
        open_campaign_of(work, "tianjin-jizhou-2018")
    people = [(idnumber.make("120119", date(1970, 1, 1) + timedelta(days=i), 500 + i), f"人{i}") for i in range(10)]
    with uow(engine, "sim") as work:
        for index, (number, _) in enumerate(people[:5]):  # 4 paid in 渔阳镇, 1 in 别山镇
            township = yuyang if index < 4 else bieshan
            add_enrolled(work, number, township, on - timedelta(days=30), paid=on - timedelta(days=20))
        work.commit()
    # The register: 6 people in 渔阳镇 (4 enrolled), 3 in 别山镇, and 别山镇's enrollee with no township (the
    # registry places them).
    rows = [f"{n},{name},{'渔阳镇' if i < 7 else '别山镇'}" for i, (n, name) in enumerate(people)]
    rows[4] = f"{people[4][0]},{people[4][1]},"
    content = ("公民身份号码,姓名,镇（街）\n" + "\n".join(rows)).encode()
    with UnitOfWork(session_factory(engine), actor="admin", now=on) as work:
        listed = import_reference_list(work, admin(), ReferenceRequest("户籍.csv", content, "population"))
    assert listed.stored == 10
    for number, name, reason in (
        (people[5][0], people[5][1], "military_service"),
        (people[6][0], people[6][1], "refused"),
    ):
        with UnitOfWork(session_factory(engine), actor="clerk", now=on) as work:
            record_reason(
                work,
                operator(yuyang),
                insurance_year=2018,
                id_number=number,
                name=name,
                township_code=yuyang,
                reason=reason,
            )
    with UnitOfWork(session_factory(engine), actor="admin", now=on) as work:
        report = progress_report(work, admin(), on.date())
    units = {unit.area_code: unit for unit in report.units}
    assert (units[yuyang].base_population, units[yuyang].coverage) == (5, 4 / 5)  # 6 less the one serving
    assert (units[bieshan].base_population, units[bieshan].coverage) == (4, 1 / 4)  # 3 listed + 1 placed by registry
    assert report.base_population == 10 - 1 and report.base_excluded == 1
    assert report.coverage == 5 / 9


def test_a_special_groups_coverage_goal(engine: Engine) -> None:
    """静海 2022 wants every person in its hardship groups covered (困难群体参保率 100 %): counted over the people a
    department certified for the year; a roster's own claim is not a certification."""
    on = datetime(2022, 3, 1, 9, tzinfo=SHANGHAI)
    town = "120118100000"
    with uow(engine, "admin") as work:
        seed_district(work, "120118")
        open_campaign_of(work, "tianjin-jinghai-2022")
    with uow(engine, "sim") as work:
        for index, (source, paid) in enumerate((("民政", True), ("民政", False), ("残联", True), ("名册", True))):
            number = idnumber.make("120118", date(1950, 1, 1) + timedelta(days=index), 100 + index)
            resident_id = add_enrolled(
                work,
                number,
                town,
                on - timedelta(days=60),
                paid=on - timedelta(days=30) if paid else None,
                policy="tianjin-jinghai-2022",
                channel="department",
            )
            identity = "severe_disability" if source == "残联" else "dibao"
            work.session.add(IdentityFlag(resident_id=resident_id, identity=identity, source=source))
        work.commit()
    with UnitOfWork(session_factory(engine), actor="admin", now=on) as work:
        report = progress_report(work, admin("120118000000"), on.date(), insurance_year=2022)
    goals = {goal.id: goal for goal in report.goals}
    special = goals["special-groups"]
    assert (special.goal, special.base, special.covered, special.met) == (1.0, 3, 2, False)  # 名册 is not counted
    assert goals["general"].base is None and goals["general"].met is None  # no register imported yet
