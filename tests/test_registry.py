"""The system of record on SQLite and on PostgreSQL: migrations, whole-household enrollment, one enrollment per
resident and year even under concurrency, and an audit trail a record's history can be rebuilt from."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine, func, inspect, select

from households import BIESHAN, NOW, YUYANG, family, uow
from principals import admin, operator
from yibao.adapters.db import migrate
from yibao.adapters.db.database import make_engine, session_factory
from yibao.adapters.db.tables import Area, AuditEntry, Enrollment, Household, HouseholdMember, IdentityFlag, Resident
from yibao.domain import idnumber
from yibao.domain.errors import YibaoError
from yibao.domain.timeutil import SHANGHAI
from yibao.services.policy.plans import get_policy
from yibao.services.registry.areas import seed_district, seed_plan
from yibao.services.registry.households import Member, enroll_household


@pytest.fixture
def district(engine: Engine) -> Engine:
    with uow(engine, "admin") as work:
        assert seed_district(work, "120119") == 28  # 蓟州区 and its 27 townships today
    return engine


def count(engine: Engine, table: type) -> int:
    with session_factory(engine)() as session:
        return session.scalar(select(func.count()).select_from(table)) or 0


def test_migrations_from_empty_and_back(engine: Engine) -> None:
    tables = set(inspect(engine).get_table_names())
    assert {"areas", "residents", "households", "household_members", "enrollments", "audit_log"} <= tables
    migrate.downgrade(engine, "base")
    assert "enrollments" not in inspect(engine).get_table_names()
    migrate.upgrade(engine)
    assert "enrollments" in inspect(engine).get_table_names()


def test_enroll_a_family_of_four(district: Engine) -> None:
    with uow(district) as work:
        enrolled = enroll_household(work, operator(YUYANG), family())
    dues = {member.name: member.assessment["individual_due_fen"] for member in enrolled}
    assert dues == {"王建国": 44000, "李秀英": 0, "王小明": 16000, "王老汉": 18000}
    spouse = next(member for member in enrolled if member.name == "李秀英")
    assert spouse.assessment["assisted_by_payer_fen"] == {"district": 18000}
    with session_factory(district)() as session:
        rows = session.scalars(select(Enrollment)).all()
        assert {row.state for row in rows} == {"assessed"}
        assert all(len(row.policy_hash) == 64 and row.rules for row in rows)
        assert session.scalar(select(func.count()).select_from(Household)) == 1
        # What is stored links each figure, relation and identity to the right person, as the answer does.
        stored = session.execute(
            select(Resident.name, Enrollment.individual_due_fen, HouseholdMember.relation)
            .join(Enrollment, Enrollment.resident_id == Resident.id)
            .join(HouseholdMember, HouseholdMember.resident_id == Resident.id)
        ).all()
        assert {name: due for name, due, _ in stored} == dues
        assert {name: relation for name, _, relation in stored} == {m.name: m.relation for m in enrolled}
        resident_ids = {name: resident_id for name, resident_id in session.execute(select(Resident.name, Resident.id))}
        assert {member.name: member.resident_id for member in enrolled} == resident_ids
        flagged = session.scalars(
            select(Resident.name).join(IdentityFlag, IdentityFlag.resident_id == Resident.id)
        ).all()
        assert flagged == ["李秀英"]


def test_the_household_is_checked_whole(district: Engine) -> None:
    bad = family()
    members = (*bad.members[:3], Member("120119194801020465", "王老汉", "父母"))  # wrong check digit
    with uow(district) as work, pytest.raises(YibaoError) as raised:
        enroll_household(work, operator(YUYANG), family(members=members))
    assert (raised.value.code, raised.value.row) == ("ID_NUMBER_CHECK_DIGIT", 4)
    assert count(district, Resident) == 0 and count(district, Enrollment) == 0


def test_an_ineligible_member_refuses_the_household(district: Engine) -> None:
    late = family(registered_at=datetime(2018, 1, 5, 10, tzinfo=SHANGHAI))
    with uow(district) as work, pytest.raises(YibaoError) as raised:
        enroll_household(work, operator(YUYANG), late)
    assert raised.value.code == "NOT_ELIGIBLE" and raised.value.row == 1
    assert count(district, Enrollment) == 0


def test_a_second_enrollment_is_refused_telling_another_township_nothing_of_the_person(district: Engine) -> None:
    with uow(district) as work:
        enroll_household(work, operator(YUYANG), family())
    head = family().members[0]
    again = family(township=BIESHAN, members=(head,))
    with uow(district, "clerk-bieshan") as work, pytest.raises(YibaoError) as raised:
        enroll_household(work, operator(BIESHAN), again)
    # Another township learns that the number is enrolled, never where, in what state, or under what name.
    assert raised.value.code == "ENROLLED_ELSEWHERE"
    assert not any(word in str(raised.value) for word in ("渔阳镇", "王建国", "已核定"))
    with uow(district, "admin") as work, pytest.raises(YibaoError) as told:  # the district bureau is told all
        enroll_household(work, admin("120119000000"), again)
    assert told.value.code == "ALREADY_ENROLLED" and "渔阳镇" in told.value.message
    assert count(district, Enrollment) == 4 and count(district, Household) == 1


def test_a_different_name_for_a_known_number_is_refused(district: Engine) -> None:
    with uow(district) as work:
        enroll_household(work, operator(YUYANG), family())
    head = family().members[0]
    renamed = Member(head.id_number, "王建军", "户主")
    with uow(district) as work, pytest.raises(YibaoError) as raised:
        enroll_household(work, operator(YUYANG), family(members=(renamed,)))
    assert raised.value.code == "RESIDENT_NAME_MISMATCH" and "王建国" in raised.value.message  # one's own resident
    with uow(district) as work, pytest.raises(YibaoError) as elsewhere:
        enroll_household(work, operator(BIESHAN), family(township=BIESHAN, members=(renamed,)))
    assert elsewhere.value.code == "ENROLLED_ELSEWHERE" and "王建国" not in str(elsewhere.value)


def test_two_clerks_at_the_same_moment_enroll_one_person_once(district: Engine) -> None:
    person = Member(idnumber.make("120119", date(1990, 1, 1), 57), "赵敏", "户主")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def clerk(township: str) -> None:
        request = family(township=township, members=(person,))
        with uow(district, f"clerk-{township}") as work:
            barrier.wait()
            try:
                enroll_household(work, operator(township), request)
                outcomes.append("enrolled")
            except YibaoError as error:
                outcomes.append(error.code)

    threads = [threading.Thread(target=clerk, args=(code,)) for code in (YUYANG, BIESHAN)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["ENROLLED_ELSEWHERE", "enrolled"]  # the other township's, told nothing more
    assert count(district, Enrollment) == 1


def test_history_is_rebuilt_from_the_audit_log(district: Engine) -> None:
    with uow(district) as work:
        enrolled = enroll_household(work, operator(YUYANG), family())
    with session_factory(district)() as session:
        entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        assert [entry.action for entry in entries if entry.entity == "enrollment"] == ["enroll"] * 4
        assert all(entry.actor == "clerk-yuyang" for entry in entries if entry.entity != "district")
        assert all(entry.at.replace(tzinfo=entry.at.tzinfo or UTC) == NOW for entry in entries)
        for member in enrolled:
            trail = [e for e in entries if e.entity == "enrollment" and e.entity_id == str(member.enrollment_id)]
            rebuilt: dict[str, object] = {}
            for entry in trail:
                rebuilt.update(entry.after or {})
            assert rebuilt == member.assessment
        created = [e for e in entries if e.entity == "resident"]
        assert all("*" in (e.after or {})["id_number"] for e in created)  # masked in the log


def test_an_unknown_township_is_refused(district: Engine) -> None:
    with uow(district) as work, pytest.raises(YibaoError) as raised:
        enroll_household(work, admin(), family(township="120119999000"))
    assert raised.value.code == "AREA_UNKNOWN" and "120119999000" in raised.value.message


def test_operator_commands(empty_database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from yibao.entrypoints.cli.app import app

    monkeypatch.setenv("YIBAO_DATABASE_URL", empty_database_url)
    runner = CliRunner()
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    seeded = runner.invoke(app, ["db", "seed-district", "120118"])
    assert seeded.exit_code == 0 and "新增 21 个区划" in seeded.stdout  # 静海区 and its 20 townships
    again = runner.invoke(app, ["db", "seed-district", "120118"])
    assert again.exit_code == 0 and "新增 0 个区划" in again.stdout  # seeding twice adds nothing
    engine = make_engine(empty_database_url)
    try:
        assert count(engine, Area) == 21
    finally:
        engine.dispose()
    scoped = runner.invoke(app, ["db", "seed-plan", "tengzhou-jinghe-2019"])  # 荆河街道's plan: the street only
    assert scoped.exit_code == 0 and "山东省枣庄市滕州市荆河街道：新增 2 个区划" in scoped.stdout
    unknown = runner.invoke(app, ["db", "seed-district", "999999"])
    assert unknown.exit_code == 2


def test_the_migrations_build_exactly_the_tables_the_code_declares(engine: Engine) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from yibao.adapters.db.base import schema_comparison
    from yibao.adapters.db.tables import Base

    with engine.connect() as connection:
        # On PostgreSQL the references checked per statement are triggers, not constraints: held by
        # tests/test_references_per_statement.py.
        options = {"include_object": schema_comparison(connection.dialect.name)}
        assert compare_metadata(MigrationContext.configure(connection, opts=options), Base.metadata) == []


def test_a_former_district_code_seeds_todays_district(engine: Engine) -> None:
    """The plans' own former codes (120223 静海县, now 120118 静海区) resolve; an unknown code is refused."""
    with uow(engine, "admin") as work:
        assert seed_district(work, "120223") == 21
    with session_factory(engine)() as session:
        district = session.get(Area, "120118000000")
        assert district is not None and district.name == "静海区"
    with uow(engine, "admin") as work, pytest.raises(YibaoError) as unknown:
        seed_district(work, "110101")
    assert unknown.value.code == "AREA_UNKNOWN"


def test_a_street_plan_is_for_its_street_alone(engine: Engine) -> None:
    """滕州's plan is 荆河街道's: seeding it seeds that street only, and a 龙泉街道 resident is refused under it."""
    tengzhou = get_policy("tengzhou-jinghe-2019")
    with uow(engine, "admin") as work:
        assert seed_plan(work, tengzhou) == 2  # the city, and 荆河街道
    with session_factory(engine)() as session:
        assert sorted(session.scalars(select(Area.name))) == ["滕州市", "荆河街道"]
    with uow(engine, "admin") as work:
        seed_district(work, "370481")  # the whole city, for the refusal below
    registered = datetime(2018, 11, 20, 10, tzinfo=SHANGHAI)  # in the window
    for street, refused in (("370481002000", True), ("370481001000", False)):  # 龙泉街道, 荆河街道
        request = family(
            street,
            policy_id="tengzhou-jinghe-2019",
            registered_at=registered,
            members=(Member(idnumber.make("370481", date(1980, 1, 1), 11 + int(refused)), "张三", "户主"),),
        )
        with uow(engine) as work:
            if refused:
                with pytest.raises(YibaoError) as raised:
                    enroll_household(work, operator(street), request)
                assert raised.value.code == "POLICY_OTHER_DISTRICT" and "龙泉街道" in raised.value.message
            else:
                assert len(enroll_household(work, operator(street), request)) == 1


def test_a_cancelled_or_lapsed_member_is_enrolled_again_in_their_household(district: Engine) -> None:
    """The household-members index once refused anyone already in a household: a person whose enrollment was
    cancelled, or who lapsed a year, could never be enrolled again at the counter (a 500). Now they come back into
    their household, and a member registered with another family moves into it."""
    from yibao.services.registry.enrollments import cancel_enrollment

    with uow(district) as work:
        first = enroll_household(work, operator(YUYANG), family())
    head, spouse = family().members[0], family().members[1]
    with uow(district) as work:
        cancel_enrollment(work, operator(YUYANG), first[0].enrollment_id, "户主申请撤销")
    with uow(district) as work:
        again = enroll_household(work, operator(YUYANG), family(members=(head,)))
    assert again[0].resident_id == first[0].resident_id and again[0].household_id == first[0].household_id
    assert count(district, Household) == 1 and count(district, HouseholdMember) == 4
    # The spouse, cancelled, marries into another family: registered with its head, she moves into its household.
    with uow(district) as work:
        cancel_enrollment(work, operator(YUYANG), first[1].enrollment_id, "另立户")
    groom = Member(idnumber.make("120119", date(1980, 4, 4), 61), "赵新郎", "户主")
    with uow(district) as work:
        other = enroll_household(work, operator(YUYANG), family(members=(groom,)))
    bride = Member(spouse.id_number, spouse.name, "配偶")
    with uow(district) as work:
        cancel_enrollment(work, operator(YUYANG), other[0].enrollment_id, "与配偶一同登记")
    with uow(district) as work:
        married = enroll_household(work, operator(YUYANG), family(members=(groom, bride)))
    assert {member.household_id for member in married} == {other[0].household_id}
    with session_factory(district)() as session:
        members = session.scalars(
            select(HouseholdMember.resident_id).where(HouseholdMember.household_id == first[0].household_id)
        ).all()
        assert first[1].resident_id not in members and len(members) == 3
        assert session.scalar(select(func.count()).where(AuditEntry.action == "move")) == 1
    assert count(district, Household) == 2
