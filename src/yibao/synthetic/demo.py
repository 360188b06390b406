"""A demo for each bundled plan: the plan's district (or street) with its real townships, invented villages or
communities, a school, a kindergarten (and 天津大学仁爱学院 for 静海), invented families with valid ID numbers, last
year's enrollment renewed into the plan's year and mostly assessed, the plan's targets, notices and a reconciled
bank statement of the payments since the window opened, a cross-check run, one user per role, and a clock inside
the campaign.

Everything personal here is invented (names, villages, ID numbers with valid check digits); the townships and the
plans are real. Writes go through the same use cases as production (seed, renew, assess), in bulk.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import insert, select

from yibao.adapters.db.tables import Area, Enrollment, Household, HouseholdMember, IdentityFlag, Organization, Resident
from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.adapters.job_files import data_directory
from yibao.adapters.township_data import DISTRICTS
from yibao.domain import idnumber
from yibao.domain.policy import Policy
from yibao.domain.policy.checks import instant_opens
from yibao.domain.states import EnrollmentState, OrganizationKind
from yibao.domain.timeutil import SHANGHAI
from yibao.services.access import Principal, Role
from yibao.services.crosscheck.reference_lists import ReferenceRequest, import_reference_list
from yibao.services.crosscheck.runs import CrosscheckRequest, run_crosscheck
from yibao.services.intake.roster_import import import_roster
from yibao.services.intake.roster_report import RosterRequest
from yibao.services.money.notices import issue_notice
from yibao.services.money.reconciliation import StatementRequest, import_statement
from yibao.services.policy.campaigns import open_campaign
from yibao.services.policy.plans import get_policy
from yibao.services.progress.targets import load_policy_targets
from yibao.services.registry.areas import seed_plan
from yibao.services.registry.enrollments import assess_township, renew_township
from yibao.services.users import NewUser, add_user
from yibao.synthetic.plans import add_next_year_draft

DEMO_PASSWORD = "yibao-demo-2018"
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎"
GIVEN = "建国秀英淑珍玉兰桂芳志强海军文华明丽红梅春燕晓东子涵雨欣浩然梓萱宇轩佳怡俊杰思远凤霞德福永胜金凤"
VILLAGE_HEADS = ["东", "西", "南", "北", "前", "后", "上", "下", "大", "小", "新", "老"]
VILLAGE_TAILS = ["王庄", "李庄", "河口", "营子", "官庄", "峪", "店子", "屯", "家坞", "各庄", "山前", "台头"]
COMMUNITY_NAMES = ["龙泉", "善国", "杏坛", "文昌", "鑫城", "荆河", "平安", "和谐", "幸福", "学院", "银河", "春秋"]
RELATIONS = ["配偶", "子女", "子女", "父母", "父母"]


@dataclass(frozen=True)
class DemoPlan:
    """What a plan's demo needs beyond the plan itself."""

    clock: str  # inside the campaign (ISO 8601, Shanghai)
    operators: tuple[tuple[str, str], ...]  # (username, township code) of the township clerks
    school: str
    kindergarten: str
    university: str | None = None  # an institution the plan's targets name


DEMOS: dict[str, DemoPlan] = {
    "tianjin-jizhou-2018": DemoPlan(
        "2017-11-15T09:00:00+08:00",
        (("yuyang", "120119100000"), ("bieshan", "120119106000")),
        "渔阳镇第一中学",
        "渔阳镇中心幼儿园",
    ),
    "tianjin-jinghai-2022": DemoPlan(
        "2021-11-15T09:00:00+08:00",
        (("jinghai", "120118100000"), ("tangguan", "120118101000")),
        "静海区第一中学",
        "静海镇中心幼儿园",
        "天津大学仁爱学院",
    ),
    "tianjin-ninghe-2023": DemoPlan(
        "2022-10-20T09:00:00+08:00",
        (("lutai", "120117001000"), ("qiaobei", "120117002000")),
        "芦台第一中学",
        "芦台街道中心幼儿园",
    ),
    "tengzhou-jinghe-2019": DemoPlan(
        "2018-11-20T09:00:00+08:00", (("jinghe", "370481001000"),), "滕州市荆河中学", "荆河街道中心幼儿园"
    ),
    "kunming-songming-2018": DemoPlan(
        "2017-11-01T09:00:00+08:00",
        (("songyang", "530127001000"), ("xiaojie", "530127101000")),
        "嵩明县第一中学",
        "嵩阳街道中心幼儿园",
    ),
}
DEFAULT_PLAN = "tianjin-jizhou-2018"
DRAFT_RAISE_YUAN = 20  # the demo's next-year draft: every tier's individual contribution this much higher


def demo_users(policy: Policy, plan: DemoPlan) -> list[tuple[str, str, Role, str | None]]:
    """(username, display name, role, area or None for the demo school) of one plan's demo."""
    district = policy.region.code
    short = policy.region.name.removeprefix("天津市").removeprefix("山东省枣庄市").removeprefix("昆明市")
    users: list[tuple[str, str, Role, str | None]] = [("admin", f"{short}医保局管理员", Role.DISTRICT_ADMIN, district)]
    names = dict(DISTRICTS[district][1]) if district in DISTRICTS else {}
    users += [
        (username, f"{names.get(township, township)}经办员", Role.TOWNSHIP_OPERATOR, township)
        for username, township in plan.operators
    ]
    users += [
        ("minzheng", "民政局", Role.DEPARTMENT, district),
        ("school", plan.school, Role.INSTITUTION, None),
        ("caiwu", "医保局财务", Role.FINANCE, district),
        ("ducha", "督查组", Role.INSPECTOR, district),
    ]
    return users


@dataclass(frozen=True)
class DemoSummary:
    plan: str  # the plan's name
    townships: int
    villages: int
    residents: int
    households: int
    enrolled_last_year: int
    renewed: int
    assessed: int
    paid_lines: int  # lines of the demo's bank statement, reconciled
    users: list[tuple[str, str, str]]  # username, display name, area code
    draft: str = ""  # next year's draft plan stored for the what-if (方案测算)


def _name(rng: random.Random, surname: str) -> str:
    length = 1 if rng.random() < 0.3 else 2
    return surname + "".join(rng.choice(GIVEN) for _ in range(length))


def _birth(rng: random.Random, relation: str, head_birth: date, latest: date) -> date:
    if relation == "户主":
        start, span = date(1950, 1, 1), 45 * 365
    elif relation == "配偶":
        return head_birth + timedelta(days=rng.randint(-1500, 1500))
    elif relation == "子女":
        start, span = head_birth + timedelta(days=20 * 365), 22 * 365
    else:
        start, span = head_birth - timedelta(days=32 * 365), 8 * 365
    born = start + timedelta(days=rng.randint(0, span))
    return min(born, latest)


def _villages(uow: UnitOfWork, rng: random.Random, township: str, name: str) -> list[str]:
    """Invented villages (村, codes from 200) of a town, or communities (社区, codes from 001) of a street."""
    street = name.endswith("街道")
    codes = []
    used: set[str] = set()
    for number in range(1, rng.randint(4, 7)):
        while True:
            if street:
                village = rng.choice(COMMUNITY_NAMES) + "社区"
            else:
                village = rng.choice(VILLAGE_HEADS) + rng.choice(VILLAGE_TAILS) + "村"
            if village not in used:
                break
        used.add(village)
        code = f"{township[:9]}{number if street else 200 + number:03d}"
        if uow.session.get(Area, code) is None:
            uow.session.add(Area(code=code, name=village, level="village", parent_code=township))
        codes.append(code)
    return codes


def _prior_plan_id(policy: Policy) -> str:
    """The id last year's enrollments were made under (the plan itself is not bundled: only its year matters)."""
    return policy.id.removesuffix(str(policy.insurance_year)) + str(policy.insurance_year - 1)


def build_demo(
    uow: UnitOfWork, plan_id: str = DEFAULT_PLAN, *, households_per_township: int = 40, seed: int = 2018
) -> DemoSummary:
    """Fill an empty database with a plan's demo. Refuses nothing: call it on a fresh database only."""
    policy = get_policy(plan_id, uow.session)
    plan = DEMOS[plan_id]
    today = uow.now.astimezone(SHANGHAI).date()
    rng = random.Random(seed)
    district = policy.region.code
    seed_plan(uow, policy)
    open_campaign(uow, None, plan_id)  # the plan's campaign, under way at the demo's clock
    townships = [
        (area.code, area.name)
        for area in uow.session.scalars(
            select(Area).where(Area.level == "township", Area.code.startswith(district)).order_by(Area.code)
        )
    ]
    regions = [district, *policy.region.former_codes]
    sequence: dict[date, int] = {}
    residents = households = villages = enrolled = 0
    last_year = uow.now - timedelta(days=365)
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
                birth = _birth(rng, relation, head_birth, today - timedelta(days=60))
                if relation == "户主":
                    head_birth = birth
                sequence[birth] = sequence.get(birth, 0) + 1
                # numbers issued under a former code (蓟县, 宁河县 …) stay valid
                region = regions[-1] if len(regions) > 1 and rng.random() < 0.4 else district
                # A distinct sequence per birth date; its parity (the sex) is left to chance.
                number = idnumber.make(region, birth, (sequence[birth] * 2 + rng.randint(0, 1)) % 1000)
                parsed = idnumber.parse(number, on=today)
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
                            valid_from=date(policy.insurance_year - 1, 1, 1),
                        )
                    )
                if rng.random() < 0.88:  # most had cover last year; the rest are for the cross-checks to find
                    enrolled += 1
                    age = policy.insurance_year - 2 - birth_date.year
                    uow.session.add(
                        Enrollment(
                            resident_id=resident_id,
                            household_id=household.id,
                            insurance_year=policy.insurance_year - 1,
                            policy_id=_prior_plan_id(policy),
                            policy_hash="0" * 64,
                            township_code=township,
                            channel="village",
                            state=EnrollmentState.EFFECTIVE,
                            category="student" if 6 <= age <= 17 else "adult",
                            tier=min(policy.tiers, key=lambda tier: policy.tiers[tier].individual.fen),
                            registered_at=last_year,
                        )
                    )
    uow.commit()
    first_township = plan.operators[0][1]
    school = Organization(name=plan.school, kind=OrganizationKind.SCHOOL, township_code=first_township)
    organizations = [
        school,
        Organization(name=plan.kindergarten, kind=OrganizationKind.KINDERGARTEN, township_code=first_township),
    ]
    if plan.university:
        organizations.append(
            Organization(name=plan.university, kind=OrganizationKind.UNIVERSITY, township_code=first_township)
        )
    uow.session.add_all(organizations)
    uow.commit()
    users = []
    principals = {}
    for username, display_name, role, area in demo_users(policy, plan):
        request = NewUser(username, display_name, DEMO_PASSWORD, role, area or school.township_code, school.id)
        principals[username] = add_user(uow, request, by=None)
        users.append((username, display_name, principals[username].area_code))
    admin = principals["admin"]
    if plan.university:
        _university_roster(uow, admin, policy, organizations[-1], rng)
    renewed = assessed = 0
    for index, (township, _) in enumerate(townships):
        renewed += renew_township(uow, admin, township, plan_id).created
        if index % 9 != 8:  # a few townships keep their renewals waiting, as mid-campaign
            assessed += assess_township(uow, admin, township, plan_id).assessed
    if policy.targets.township_table is not None or policy.targets.total is not None:
        load_policy_targets(uow, admin, plan_id)
    paid = _campaign_payments(uow, policy, admin, principals["caiwu"], rng)
    _cross_checks(uow, policy, admin, rng)
    draft = add_next_year_draft(uow, policy, DRAFT_RAISE_YUAN)
    counts = (len(townships), villages, residents, households, enrolled, renewed, assessed, paid)
    return DemoSummary(policy.name, *counts, users, draft)


def _university_roster(
    uow: UnitOfWork, admin: Principal, policy: Policy, university: Organization, rng: random.Random
) -> None:
    """The students a university enrolled this campaign (代收代缴), through the roster import as its staff would:
    its target (静海: 天津大学仁爱学院, 14,015) counts them, and the township it sits in does not."""
    today = uow.now.astimezone(SHANGHAI).date()
    lines = ["序号,户号,姓名,性别,公民身份号码,与户主关系,人员类别"]
    for index in range(1, 61):
        born = date(today.year - 19 - index % 4, 1 + index % 12, 1 + index % 28)
        number = idnumber.make(policy.region.code, born, 700 + index)
        sex = "男" if int(number[16]) % 2 else "女"
        lines.append(f"{index},{index},{_name(rng, rng.choice(SURNAMES))},{sex},{number},户主,学生")
    request = RosterRequest(
        f"{university.name}-学生名册-演示.csv",
        "\n".join(lines).encode(),
        university.township_code,
        policy.id,
        "school",
        university.id,
    )
    report = import_roster(uow, admin, request)
    if report.errors:  # the demo's own data: a refusal here is a bug, not a clerk's to find
        raise RuntimeError(f"demo roster refused: {report.error_counts}")


def _cross_checks(uow: UnitOfWork, policy: Policy, admin: Principal, rng: random.Random) -> None:
    """公安's register (everyone, and a few people the registry never saw) and 民政's deaths (a few of this year's
    enrollees, before cover began), compared on the database itself: the worklists have something to show."""
    people = uow.session.execute(
        select(Resident.id_number, Resident.name, Resident.township_code, Resident.village_code)
    ).all()
    register = ["公民身份号码,姓名,镇（街）,村（居）"]
    register += [f"{number},{name},{township},{village or ''}" for number, name, township, village in people]
    townships = sorted({township for _, _, township, _ in people})
    for index in range(40):
        number = idnumber.make(policy.region.code, date(1960, 1, 1) + timedelta(days=211 * index), 900 + index % 90)
        register.append(f"{number},{_name(rng, rng.choice(SURNAMES))},{rng.choice(townships)},")
    request = ReferenceRequest("公安户籍人口-演示.csv", "\n".join(register).encode(), "population")
    import_reference_list(uow, admin, request)
    enrolled = uow.session.execute(
        select(Resident.id_number, Resident.name)
        .join(Enrollment, Enrollment.resident_id == Resident.id)
        .where(Enrollment.insurance_year == policy.insurance_year)
        .order_by(Resident.id)
    ).all()
    died = uow.now.astimezone(SHANGHAI).date() - timedelta(days=30)
    deaths = ["公民身份号码,姓名,死亡日期"]
    deaths += [
        f"{number},{name},{died + timedelta(days=index)}"
        for index, (number, name) in enumerate(rng.sample(enrolled, 6))
    ]
    import_reference_list(uow, admin, ReferenceRequest("民政死亡名单-演示.csv", "\n".join(deaths).encode(), "deaths"))
    run_crosscheck(uow, admin, CrosscheckRequest(engine="database"), data_directory=data_directory())


def _campaign_payments(
    uow: UnitOfWork, policy: Policy, admin: Principal, finance: Principal, rng: random.Random
) -> int:
    """Notices for most assessed households, and the bank's statement of their payments since the window opened,
    reconciled as finance would (a few lines name no notice: the worklist has something to show). Returns the
    lines."""
    query = select(Enrollment.household_id).where(
        Enrollment.insurance_year == policy.insurance_year, Enrollment.state == EnrollmentState.ASSESSED
    )
    households = sorted({household for household in uow.session.scalars(query) if household is not None})
    lines = ["交易流水号,金额,交易时间,通知单号,缴费人"]
    start = min(instant_opens(w.opens) for w in policy.enrollment.windows if "payment" in w.applies_to)
    start = start.replace(hour=9)
    days = max((uow.now - start).days - 2, 1)
    for household_id in households:
        if rng.random() > 0.7:
            continue
        notice = issue_notice(uow, admin, household_id=household_id)
        if notice.amount_fen == 0:
            continue
        # More payments as the campaign goes on, as the plans' daily reports show.
        moment = start + timedelta(days=int(days * rng.random() ** 0.6), hours=rng.randrange(8))
        amount = f"{notice.amount_fen / 100:.2f}"
        lines.append(f"DEMO{notice.id:06d},{amount},{moment:%Y-%m-%d %H:%M:%S},{notice.number},{notice.payer_name}")
    stray = uow.now.astimezone(SHANGHAI) - timedelta(days=2)
    for index in range(3):
        yuan = rng.choice([180, 220, 350, 440])
        lines.append(f"DEMOX{index},{yuan}.00,{stray:%Y-%m-%d} 10:0{index}:00,,{_name(rng, '王')}")
    content = "\n".join(lines).encode("utf-8")
    import_statement(uow, finance, StatementRequest("bank", "工商银行对账单-演示.csv", content))
    return len(lines) - 1
