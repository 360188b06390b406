"""户籍类别 on every entry path (SQLite and PostgreSQL): typed at the counter for a person new to the registry, read
from the record for a known one, changed by an information change — and judged by the plan (蓟州 takes the
children of its kindergartens whatever their hukou, not other non-local children without a permit)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine, select

from households import BIESHAN, YUYANG, family, uow
from principals import operator
from yibao.adapters.db.database import session_factory
from yibao.adapters.db.tables import Enrollment, Resident, ResidentChange
from yibao.domain import idnumber
from yibao.domain.errors import YibaoError
from yibao.services.registry.areas import seed_district
from yibao.services.registry.changes import ResidentChangeRequest, change_resident
from yibao.services.registry.households import HouseholdEnrollment, Member, enroll_household
from yibao.services.registry.residents import ResidentRegistration, register_resident

MOTHER = idnumber.make("410102", date(1990, 3, 4), 28)  # 郑州 hukou, a residence permit in 蓟州
CHILD = idnumber.make("410102", date(2014, 5, 6), 17)


@pytest.fixture
def district(engine: Engine) -> Engine:
    with uow(engine, "admin") as work:
        seed_district(work, "120119")
    return engine


def _migrant_family(channel: str) -> HouseholdEnrollment:
    members = (
        Member(MOTHER, "张丽", "户主", residency="residence_permit"),
        Member(CHILD, "张小宝", "子女", category="child", residency="nonlocal"),
    )
    return family(channel=channel, members=members)


def test_a_kindergarten_child_is_taken_whatever_the_hukou(district: Engine) -> None:
    """蓟州: “在本市各级各类院校、幼儿园就读的学生儿童” — enrolled through the kindergarten, not through the village."""
    with uow(district) as work, pytest.raises(YibaoError) as refused:
        enroll_household(work, operator(YUYANG), _migrant_family("village"))
    assert [(p.code, p.row) for p in refused.value.problems] == [("NOT_ELIGIBLE", 2)]
    assert "户籍或居住证" in refused.value.problems[0].message
    with uow(district) as work:
        enrolled = enroll_household(work, operator(YUYANG), _migrant_family("kindergarten"))
    assert len(enrolled) == 2
    with session_factory(district)() as session:
        stored = {
            number: residency for number, residency in session.execute(select(Resident.id_number, Resident.residency))
        }
    assert stored == {MOTHER: "residence_permit", CHILD: "nonlocal"}


def test_a_known_persons_residency_is_the_records(district: Engine) -> None:
    """The counter judges a registered person by the record; a different one typed is refused until it is changed,
    with its reason, by an information change — which the next assessment follows."""
    with uow(district) as work:
        resident = register_resident(
            work, operator(YUYANG), ResidentRegistration(MOTHER, "张丽", YUYANG, residency="nonlocal")
        )
    alone = family(members=(Member(MOTHER, "张丽", "户主"),))
    with uow(district) as work, pytest.raises(YibaoError) as refused:
        enroll_household(work, operator(YUYANG), alone)
    assert refused.value.code == "NOT_ELIGIBLE"  # no permit: outside 蓟州's scope, as on record
    typed = family(members=(Member(MOTHER, "张丽", "户主", residency="local_hukou"),))
    with uow(district) as work, pytest.raises(YibaoError) as differs:
        enroll_household(work, operator(YUYANG), typed)
    assert differs.value.code == "RESIDENCY_DIFFERS" and "外地无居住证" in differs.value.message
    with uow(district) as work:
        change_resident(
            work,
            operator(YUYANG),
            resident.id,
            ResidentChangeRequest(reason="已办理居住证", residency="residence_permit"),
        )
    with uow(district) as work:
        assert len(enroll_household(work, operator(YUYANG), alone)) == 1
    with session_factory(district)() as session:
        change = session.scalars(select(ResidentChange)).one()
        assert (change.kind, change.before, change.after) == ("residency", "nonlocal", "residence_permit")
        assert session.scalar(select(Enrollment.state)) == "assessed"


def test_another_townships_record_is_not_read_through_the_residency(district: Engine) -> None:
    """An operator of 别山镇 typing a 渔阳镇 resident is refused as a person of another area, not by that person's
    residency on record (which would tell what the record holds)."""
    with uow(district) as work:
        register_resident(work, operator(YUYANG), ResidentRegistration(MOTHER, "张丽", YUYANG, residency="nonlocal"))
    attempt = family(township=BIESHAN, members=(Member(MOTHER, "张丽", "户主"),))
    with uow(district, "clerk-bieshan") as work, pytest.raises(YibaoError) as refused:
        enroll_household(work, operator(BIESHAN), attempt)
    assert refused.value.code == "RESIDENT_ELSEWHERE"


def test_an_unknown_residency_is_named_in_chinese(district: Engine) -> None:
    typed = family(members=(Member(MOTHER, "张丽", "户主", residency="foreign"),))
    with uow(district) as work, pytest.raises(YibaoError) as refused:
        enroll_household(work, operator(YUYANG), typed)
    assert refused.value.code == "RESIDENCY_UNKNOWN" and "随迁子女" in refused.value.message


def test_a_roster_judges_a_known_person_by_the_residency_on_record(district: Engine) -> None:
    """A roster has no 户籍类别 column: a registered person's is on record (no permit: outside 蓟州's scope)."""
    from yibao.services.intake.roster_import import import_roster
    from yibao.services.intake.roster_report import RosterRequest

    with uow(district) as work:
        register_resident(work, operator(YUYANG), ResidentRegistration(MOTHER, "张丽", YUYANG, residency="nonlocal"))
    neighbour = idnumber.make("120119", date(1980, 1, 2), 33)
    content = f"姓名,身份证号\n张丽,{MOTHER}\n李强,{neighbour}\n".encode()
    with uow(district) as work:
        report = import_roster(
            work, operator(YUYANG), RosterRequest("名册.csv", content, YUYANG, "tianjin-jizhou-2018")
        )
    assert (report.created, [(p.row, p.code) for p in report.problems]) == (1, [(2, "NOT_ELIGIBLE")])
