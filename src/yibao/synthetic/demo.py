"""A demo district: 蓟州区 with its 27 townships, synthetic villages and families, last year's enrollment, this
year's renewal assessed under the 2018 plan, the plan's targets, notices and a reconciled bank statement of the
payments since September, and one user per role.

Everything personal here is invented (names, villages, ID numbers with valid check digits); the townships and the
plan are real. Writes go through the same use cases as production (seed, renew, assess), in bulk.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import insert, select

from yibao.adapters.db.tables import Area, Enrollment, Household, HouseholdMember, IdentityFlag, Organization, Resident
from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.adapters.job_files import data_directory
from yibao.adapters.township_data import DISTRICTS
from yibao.domain import idnumber
from yibao.domain.states import EnrollmentState, OrganizationKind
from yibao.domain.timeutil import SHANGHAI
from yibao.services.access import Principal, Role
from yibao.services.crosscheck.reference_lists import ReferenceRequest, import_reference_list
from yibao.services.crosscheck.runs import CrosscheckRequest, run_crosscheck
from yibao.services.money.notices import issue_notice
from yibao.services.money.reconciliation import StatementRequest, import_statement
from yibao.services.policy.campaigns import open_campaign
from yibao.services.progress.targets import load_policy_targets
from yibao.services.registry.areas import seed_district
from yibao.services.registry.enrollments import assess_township, renew_township
from yibao.services.users import NewUser, add_user

DISTRICT = "120119"
POLICY = "tianjin-jizhou-2018"
DEMO_PASSWORD = "yibao-demo-2018"
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎"
GIVEN = "建国秀英淑珍玉兰桂芳志强海军文华明丽红梅春燕晓东子涵雨欣浩然梓萱宇轩佳怡俊杰思远凤霞德福永胜金凤"
VILLAGE_HEADS = ["东", "西", "南", "北", "前", "后", "上", "下", "大", "小", "新", "老"]
VILLAGE_TAILS = ["王庄", "李庄", "河口", "营子", "官庄", "峪", "店子", "屯", "家坞", "各庄", "山前", "台头"]
RELATIONS = ["配偶", "子女", "子女", "父母", "父母"]

# (username, display name, role, area or None for the demo school)
DEMO_USERS: list[tuple[str, str, Role, str | None]] = [
    ("admin", "蓟州区医保局管理员", Role.DISTRICT_ADMIN, DISTRICT),
    ("yuyang", "渔阳镇经办员", Role.TOWNSHIP_OPERATOR, "120119100000"),
    ("bieshan", "别山镇经办员", Role.TOWNSHIP_OPERATOR, "120119106000"),
    ("minzheng", "区民政局", Role.DEPARTMENT, DISTRICT),
    ("school", "渔阳镇第一中学", Role.INSTITUTION, None),
    ("caiwu", "区医保局财务", Role.FINANCE, DISTRICT),
    ("ducha", "区督查组", Role.INSPECTOR, DISTRICT),
]


@dataclass(frozen=True)
class DemoSummary:
    townships: int
    villages: int
    residents: int
    households: int
    enrolled_last_year: int
    renewed: int
    assessed: int
    paid_lines: int  # lines of the demo's bank statement, reconciled
    users: list[tuple[str, str, str]]  # username, display name, area code


def _name(rng: random.Random, surname: str) -> str:
    length = 1 if rng.random() < 0.3 else 2
    return surname + "".join(rng.choice(GIVEN) for _ in range(length))


def _birth(rng: random.Random, relation: str, head_birth: date) -> date:
    if relation == "户主":
        start, span = date(1950, 1, 1), 45 * 365
    elif relation == "配偶":
        return head_birth + timedelta(days=rng.randint(-1500, 1500))
    elif relation == "子女":
        start, span = head_birth + timedelta(days=20 * 365), 22 * 365
    else:
        start, span = head_birth - timedelta(days=32 * 365), 8 * 365
    born = start + timedelta(days=rng.randint(0, span))
    return min(born, date(2017, 9, 30))


def _villages(uow: UnitOfWork, rng: random.Random, township: str, name: str) -> list[str]:
    codes = []
    used: set[str] = set()
    for number in range(1, rng.randint(4, 7)):
        village = rng.choice(VILLAGE_HEADS) + rng.choice(VILLAGE_TAILS) + "村"
        while village in used:
            village = rng.choice(VILLAGE_HEADS) + rng.choice(VILLAGE_TAILS) + "村"
        used.add(village)
        code = f"{township[:9]}{200 + number:03d}"
        if uow.session.get(Area, code) is None:
            uow.session.add(Area(code=code, name=village, level="village", parent_code=township))
        codes.append(code)
    return codes


def build_demo(uow: UnitOfWork, *, households_per_township: int = 40, seed: int = 2018) -> DemoSummary:
    """Fill an empty database with the demo district. Refuses nothing: call it on a fresh database only."""
    rng = random.Random(seed)
    seed_district(uow, DISTRICT)
    open_campaign(uow, None, POLICY)  # the 2018 campaign, under way at the demo's clock
    _, townships = DISTRICTS[DISTRICT]
    sequence: dict[date, int] = {}
    residents = households = villages = enrolled = 0
    last_year = datetime(2016, 11, 10, 10, tzinfo=SHANGHAI)
    for township, township_name in townships:
        village_codes = _villages(uow, rng, township, township_name)
        villages += len(village_codes)
        uow.session.flush()
        for _ in range(households_per_township):
            village = rng.choice(village_codes)
            surname = rng.choice(SURNAMES)
            household = Household(
                township_code=township,
                village_code=village,
                number=f"{rng.randint(1, 999):03d}",
                address=f"{township_name}{uow.session.get_one(Area, village).name}{rng.randint(1, 200)}号",
            )
            uow.session.add(household)
            uow.session.flush()
            households += 1
            relations = ["户主", *rng.sample(RELATIONS, rng.randint(0, 4))]
            head_birth = date(1970, 1, 1)
            members: list[dict[str, object]] = []
            births: list[date] = []
            for relation in relations:
                birth = _birth(rng, relation, head_birth)
                if relation == "户主":
                    head_birth = birth
                sequence[birth] = sequence.get(birth, 0) + 1
                region = "120225" if rng.random() < 0.4 else DISTRICT  # numbers issued under 蓟县 stay valid
                # A distinct sequence per birth date; its parity (the sex) is left to chance.
                number = idnumber.make(region, birth, (sequence[birth] * 2 + rng.randint(0, 1)) % 1000)
                parsed = idnumber.parse(number, on=date(2017, 11, 1))
                births.append(parsed.birth_date)
                members.append(
                    {
                        "id_number": parsed.number,
                        "name": _name(rng, surname if relation != "配偶" else rng.choice(SURNAMES)),
                        "sex": parsed.sex.value,
                        "birth_date": parsed.birth_date,
                        "township_code": township,
                        "village_code": village,
                        "address": household.address,
                        "survival_status": "alive",
                        "residency": "local_hukou",
                        "cert_type": "01",
                        "version": 1,
                        "relation": relation,
                    }
                )
            ids = uow.session.execute(
                insert(Resident).returning(Resident.id),
                [{key: value for key, value in member.items() if key != "relation"} for member in members],
            ).scalars()
            for resident_id, member, birth_date in zip(ids, members, births, strict=True):
                residents += 1
                uow.session.add(
                    HouseholdMember(household_id=household.id, resident_id=resident_id, relation=member["relation"])
                )
                if rng.random() < 0.04:
                    uow.session.add(
                        IdentityFlag(
                            resident_id=resident_id,
                            identity=rng.choice(["dibao", "tekun", "severe_disability", "youfu"]),
                            source="民政",
                            valid_from=date(2017, 1, 1),
                        )
                    )
                if rng.random() < 0.88:  # most had cover last year; the rest are for the cross-checks to find
                    enrolled += 1
                    uow.session.add(
                        Enrollment(
                            resident_id=resident_id,
                            household_id=household.id,
                            insurance_year=2017,
                            policy_id="tianjin-jizhou-2017",
                            policy_hash="0" * 64,
                            township_code=township,
                            channel="village",
                            state=EnrollmentState.EFFECTIVE,
                            category="student" if 6 <= 2016 - birth_date.year <= 17 else "adult",
                            tier="low",
                            registered_at=last_year,
                        )
                    )
    uow.commit()
    school = Organization(name="渔阳镇第一中学", kind=OrganizationKind.SCHOOL, township_code="120119100000")
    uow.session.add(school)
    uow.commit()
    users = []
    principals = {}
    for username, display_name, role, area in DEMO_USERS:
        request = NewUser(username, display_name, DEMO_PASSWORD, role, area or school.township_code, school.id)
        principals[username] = add_user(uow, request, by=None)
        users.append((username, display_name, principals[username].area_code))
    admin = principals["admin"]
    renewed = assessed = 0
    for index, (township, _) in enumerate(townships):
        renewed += renew_township(uow, admin, township, POLICY).created
        if index % 9 != 8:  # a few townships keep their renewals waiting, as mid-campaign
            assessed += assess_township(uow, admin, township, POLICY).assessed
    load_policy_targets(uow, admin, POLICY)
    paid = _campaign_payments(uow, admin, principals["caiwu"], rng)
    _cross_checks(uow, admin, rng)
    return DemoSummary(len(townships), villages, residents, households, enrolled, renewed, assessed, paid, users)


def _cross_checks(uow: UnitOfWork, admin: Principal, rng: random.Random) -> None:
    """公安's register (everyone, and a few people the registry never saw) and 民政's deaths (a few of this year's
    enrollees, before cover began), compared on the database itself: the worklists have something to show."""
    people = uow.session.execute(
        select(Resident.id_number, Resident.name, Resident.township_code, Resident.village_code)
    ).all()
    register = ["公民身份号码,姓名,镇（街）,村（居）"]
    register += [f"{number},{name},{township},{village or ''}" for number, name, township, village in people]
    townships = sorted({township for _, _, township, _ in people})
    for index in range(40):
        number = idnumber.make(DISTRICT, date(1960, 1, 1) + timedelta(days=211 * index), 900 + index % 90)
        register.append(f"{number},{_name(rng, rng.choice(SURNAMES))},{rng.choice(townships)},")
    request = ReferenceRequest("公安户籍人口-演示.csv", "\n".join(register).encode(), "population")
    import_reference_list(uow, admin, request)
    enrolled = uow.session.execute(
        select(Resident.id_number, Resident.name)
        .join(Enrollment, Enrollment.resident_id == Resident.id)
        .where(Enrollment.insurance_year == 2018)
        .order_by(Resident.id)
    ).all()
    deaths = ["公民身份号码,姓名,死亡日期"]
    deaths += [f"{number},{name},2017-10-{10 + index}" for index, (number, name) in enumerate(rng.sample(enrolled, 6))]
    import_reference_list(uow, admin, ReferenceRequest("民政死亡名单-演示.csv", "\n".join(deaths).encode(), "deaths"))
    run_crosscheck(uow, admin, CrosscheckRequest(engine="database"), data_directory=data_directory())


def _campaign_payments(uow: UnitOfWork, admin: Principal, finance: Principal, rng: random.Random) -> int:
    """Notices for most assessed households, and the bank's statement of their payments since September, reconciled
    as finance would (a few lines name no notice: the worklist has something to show). Returns the lines."""
    query = select(Enrollment.household_id).where(
        Enrollment.insurance_year == 2018, Enrollment.state == EnrollmentState.ASSESSED
    )
    households = sorted({household for household in uow.session.scalars(query) if household is not None})
    lines = ["交易流水号,金额,交易时间,通知单号,缴费人"]
    start = datetime(2017, 9, 4, 9, tzinfo=SHANGHAI)
    for household_id in households:
        if rng.random() > 0.7:
            continue
        notice = issue_notice(uow, admin, household_id=household_id)
        if notice.amount_fen == 0:
            continue
        # More payments as the campaign goes on, as the plans' daily reports show.
        moment = start + timedelta(days=int(71 * rng.random() ** 0.6), hours=rng.randrange(8))
        amount = f"{notice.amount_fen / 100:.2f}"
        lines.append(f"DEMO{notice.id:06d},{amount},{moment:%Y-%m-%d %H:%M:%S},{notice.number},{notice.payer_name}")
    for index in range(3):
        lines.append(f"DEMOX{index},{rng.choice([180, 440, 600])}.00,2017-11-13 10:0{index}:00,,{_name(rng, '王')}")
    content = "\n".join(lines).encode("utf-8")
    import_statement(uow, finance, StatementRequest("bank", "工商银行对账单-演示.csv", content))
    return len(lines) - 1
