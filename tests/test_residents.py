"""Use cases on residents and enrollments, on SQLite and PostgreSQL: search within one's area, information changes
with their trail, cancel, renew a township from last year and assess it in bulk."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, insert, select

from db_fixtures import migrated_engine
from households import BIESHAN, YUYANG, family, numbered, uow
from principals import admin, of_role, operator
from yibao.adapters.db.tables import Enrollment, Organization, Resident, ResidentChange
from yibao.domain import idnumber
from yibao.domain.errors import YibaoError
from yibao.domain.timeutil import SHANGHAI
from yibao.services.access import Role
from yibao.services.registry.areas import seed_district
from yibao.services.registry.changes import ResidentChangeRequest, change_resident
from yibao.services.registry.enrollments import assess_township, cancel_enrollment, get_enrollment, renew_township
from yibao.services.registry.households import Member, enroll_household
from yibao.services.registry.residents import SearchQuery, get_resident, history, resident_record, search


@pytest.fixture(params=["sqlite", "postgresql"])
def district(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    for engine in migrated_engine(request.param, tmp_path):
        with uow(engine, "admin") as work:
            seed_district(work, "120119")
        yield engine
        engine.dispose()


def enroll(engine: Engine, township: str = YUYANG, **changes: object) -> list[int]:
    with uow(engine) as work:
        return [
            member.resident_id for member in enroll_household(work, operator(township), family(township, **changes))
        ]


def test_search_sees_only_ones_own_township(district: Engine) -> None:
    enroll(district)
    enroll(district, BIESHAN, members=(Member(idnumber.make("120119", date(1980, 2, 2), 11), "刘备", "户主"),))
    with uow(district) as work:
        assert search(work, admin(), SearchQuery()).total == 5
        assert search(work, operator(YUYANG), SearchQuery()).total == 4
        mine = search(work, operator(BIESHAN), SearchQuery(text="王"))
        assert mine.total == 0  # the 王 family lives in 渔阳镇
        by_name = search(work, operator(YUYANG), SearchQuery(text="王小"))
        assert [item.name for item in by_name.items] == ["王小明"]
        number = by_name.items[0].id_number
        assert search(work, operator(YUYANG), SearchQuery(text=number[:10])).total >= 1
        inspector = search(work, of_role(Role.INSPECTOR), SearchQuery(text="王小"))
        assert "*" in inspector.items[0].id_number and "*" not in number  # masked for the inspector
        household = by_name.items[0].household_id
        assert household is not None
        assert search(work, admin(), SearchQuery(household_id=household)).total == 4
        with pytest.raises(YibaoError) as raised:
            search(work, of_role(Role.DEPARTMENT), SearchQuery())
        assert raised.value.code == "FORBIDDEN"


def test_another_townships_resident_is_not_found(district: Engine) -> None:
    resident_id = enroll(district)[0]
    with uow(district) as work:
        assert get_resident(work, operator(YUYANG), resident_id).name == "王建国"
        for principal in (operator(BIESHAN), of_role(Role.INSTITUTION, BIESHAN, organization_id=99)):
            with pytest.raises(YibaoError) as raised:
                get_resident(work, principal, resident_id)
            assert raised.value.code == "RESIDENT_NOT_FOUND"


def test_information_changes_leave_a_trail_the_record_can_be_rebuilt_from(district: Engine) -> None:
    head = enroll(district)[0]
    with uow(district, "clerk-a") as work:
        changed = change_resident(
            work, operator(YUYANG), head, ResidentChangeRequest(reason="户口簿更名", name="王建民", phone="13800000000")
        )
        assert changed.name == "王建民" and changed.version == 2
    with uow(district, "clerk-b") as work, pytest.raises(YibaoError) as raised:
        change_resident(
            work, operator(YUYANG), head, ResidentChangeRequest(reason="x", address="新址", expected_version=1)
        )
    assert raised.value.code == "STALE_RECORD"
    with uow(district, "clerk-b") as work:
        change_resident(work, admin(), head, ResidentChangeRequest(reason="迁居", township_code=BIESHAN))
    with uow(district) as work:
        trail = history(work, admin(), head)
        rebuilt: dict[str, object] = {}
        for entry in trail:
            if entry.entity == "resident":
                rebuilt.update({k: v for k, v in (entry.after or {}).items() if k != "reason"})
        resident = work.session.get_one(Resident, head)
        assert rebuilt == resident_record(resident)
        assert [e.action for e in trail if e.entity == "resident"] == ["create", "change", "change"]
        kinds = work.session.scalars(select(ResidentChange.kind).order_by(ResidentChange.id)).all()
        assert kinds == ["name", "phone", "township_transfer"]
        # Moved out: 渔阳镇 no longer sees the resident, 别山镇 does.
        with pytest.raises(YibaoError):
            get_resident(work, operator(YUYANG), head)
        assert get_resident(work, operator(BIESHAN), head).township_code == BIESHAN


def test_an_id_number_correction_reassesses_what_is_not_yet_billed(district: Engine) -> None:
    ids = enroll(district)
    # The clerk typed the grandchild's number in the grandfather's row: corrected, the row is a child's (160, not 180).
    father = ids[3]
    corrected = idnumber.make("120119", date(2014, 1, 2), 46)
    with uow(district) as work:
        view = change_resident(work, admin(), father, ResidentChangeRequest(reason="出生年份录错", id_number=corrected))
        assert view.birth_date == date(2014, 1, 2)
        assert (view.enrollments[0].category, view.enrollments[0].individual_due_fen) == ("child", 16000)
        with pytest.raises(YibaoError) as raised:
            change_resident(work, admin(), ids[0], ResidentChangeRequest(reason="x", id_number=corrected))
        assert raised.value.code == "ID_NUMBER_TAKEN"


def test_cancel_in_ones_own_area_and_only_once(district: Engine) -> None:
    enroll(district)
    with uow(district) as work:
        first = work.session.scalars(select(Enrollment.id).order_by(Enrollment.id).limit(1)).one()
    with uow(district) as work:
        with pytest.raises(YibaoError) as raised:
            cancel_enrollment(work, operator(BIESHAN), first, "重复登记")
        assert raised.value.code == "ENROLLMENT_NOT_FOUND"
        assert cancel_enrollment(work, operator(YUYANG), first, "重复登记").state == "cancelled"
    with uow(district) as work:
        with pytest.raises(YibaoError) as raised:
            cancel_enrollment(work, operator(YUYANG), first, "重复登记")
        assert raised.value.code == "ENROLLMENT_STATE" and "已注销" in raised.value.message
    # (Money on a cancelled enrollment becomes a refund to issue: tests/test_payments.py.)
    # Cancelled, the resident may enroll again (elsewhere too).
    with uow(district) as work:
        assert get_enrollment(work, admin(), first).state == "cancelled"


def _last_year(engine: Engine, count: int) -> None:
    """Last year's enrollees of 渔阳镇, as imported from last year's system: paid, one of them since deceased."""
    with uow(engine) as work:
        rows = []
        for number in range(count):
            resident = Resident(
                id_number=idnumber.make("120119", date(1960 + number % 40, 1 + number % 12, 1 + number % 28), number),
                name=numbered("居民", number),
                sex="male",
                birth_date=date(1960, 1, 1),
                township_code=YUYANG,
                survival_status="deceased" if number == 0 else "alive",
            )
            work.session.add(resident)
            work.session.flush()
            rows.append(
                {
                    "resident_id": resident.id,
                    "insurance_year": 2017,
                    "insurance_type": "390",
                    "policy_id": "tianjin-jizhou-2017",
                    "policy_hash": "0" * 64,
                    "township_code": YUYANG,
                    "channel": "village",
                    "state": "effective" if number % 10 else "paid",
                    "category": "adult",
                    "tier": "low",
                    "assisted_by_payer_fen": {},
                    "rules": [],
                    "assumptions": [],
                    "registered_at": datetime(2016, 11, 1, tzinfo=SHANGHAI),
                }
            )
        work.session.execute(insert(Enrollment), rows)
        work.commit()


def test_renew_a_township_then_assess_it_in_bulk(district: Engine) -> None:
    _last_year(district, 120)
    enroll(district, members=(Member(idnumber.make("120119", date(1962, 3, 3), 3), numbered("居民", 3), "户主"),))
    with uow(district) as work:
        three = work.session.scalars(select(Resident).where(Resident.name == numbered("居民", 3))).all()
        assert len(three) == 2  # a different person of the same name enrolled at the counter: not the same
    with uow(district) as work:
        result = renew_township(work, operator(YUYANG), YUYANG, "tianjin-jizhou-2018")
    assert (result.candidates, result.created, result.not_alive) == (120, 119, 1)
    with uow(district) as work:
        again = renew_township(work, operator(YUYANG), YUYANG, "tianjin-jizhou-2018")
    assert (again.created, again.already_enrolled) == (0, 119)
    with uow(district) as work, pytest.raises(YibaoError) as raised:
        renew_township(work, operator(BIESHAN), YUYANG, "tianjin-jizhou-2018")
    assert raised.value.code == "AREA_UNKNOWN"
    with uow(district) as work:
        bulk = assess_township(work, operator(YUYANG), YUYANG, "tianjin-jizhou-2018")
    assert bulk.waiting == 119 and bulk.assessed == 119
    with uow(district) as work:
        states = dict(
            work.session.execute(
                select(Enrollment.state, func.count())
                .where(Enrollment.insurance_year == 2018)
                .group_by(Enrollment.state)
            ).all()
        )
        assert states == {"assessed": 120}  # 119 renewed and 1 at the counter
        low = work.session.scalars(
            select(Enrollment.individual_due_fen).where(Enrollment.insurance_year == 2018, Enrollment.tier == "low")
        ).all()
        assert low and set(low) <= {18000}  # Jizhou's low tier: 180 yuan


def test_an_institution_enrolls_only_through_itself(district: Engine) -> None:
    with uow(district) as work:
        school = Organization(name="渔阳镇中学", kind="school", township_code=YUYANG)
        work.session.add(school)
        work.commit()
        school_id = school.id
    teacher = of_role(Role.INSTITUTION, YUYANG, organization_id=school_id)
    pupil = Member(idnumber.make("120119", date(2005, 5, 5), 71), "张同学", "户主", category="student")
    with uow(district) as work, pytest.raises(YibaoError) as raised:
        enroll_household(work, teacher, family(members=(pupil,)))  # channel village: not the school's
    assert raised.value.code == "CHANNEL_NOT_ALLOWED"
    with uow(district) as work:
        enrolled = enroll_household(work, teacher, family(members=(pupil,), channel="school"))
    with uow(district) as work:
        assert search(work, teacher, SearchQuery()).total == 1
        view = get_resident(work, teacher, enrolled[0].resident_id)
        assert view.enrollments[0].organization_id == school_id
    enroll(district)
    with uow(district) as work:
        assert search(work, teacher, SearchQuery()).total == 1  # the 王 family is not the school's


def test_an_operator_who_moves_her_person_out_is_answered_success_for_what_was_committed(district: Engine) -> None:
    """The change is committed, so the answer is the record as changed — not RESIDENT_NOT_FOUND for a write that
    happened; afterwards she no longer finds the person."""
    head = enroll(district)[0]
    with uow(district, "clerk-a") as work:
        moved = change_resident(
            work, operator(YUYANG), head, ResidentChangeRequest(reason="迁往别山镇", township_code=BIESHAN)
        )
        assert moved.township_code == BIESHAN and moved.version == 2
    with uow(district) as work:
        assert work.session.get_one(Resident, head).township_code == BIESHAN
        with pytest.raises(YibaoError) as hidden:
            get_resident(work, operator(YUYANG), head)
        assert hidden.value.code == "RESIDENT_NOT_FOUND"
