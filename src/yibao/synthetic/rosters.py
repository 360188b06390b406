"""Synthetic rosters of realistic shape, with deliberately bad rows of known kinds, for tests and benchmarks.

Households of one to six with plausible ages (couples, children at school or not yet, a grandparent), valid ID
numbers unique per seed, a few per cent in special groups; then chosen rows spoiled, each in one way that
yields exactly one error code, so a test can hold the import to the exact list of what was planted.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from yibao.domain.idnumber import CHECK_CHARACTERS, WEIGHTS, make

HEADERS = ["序号", "户号", "姓名", "性别", "公民身份号码", "与户主关系", "人员类别", "缴费档次", "特殊身份", "联系电话"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "建国秀英小明丽华志强桂兰海燕文博雨涵子轩欣怡浩然佳琪俊杰淑珍玉梅德胜"
SPECIAL = ["低保", "特困", "重度残疾", "优抚对象"]

# Each spoils a row in one way and names the one error code the import must report for it. The last two need
# the database prepared by the caller (see Roster.enrolled_elsewhere and Roster.registered_names).
PLANTABLE = (
    "ID_NUMBER_CHECK_DIGIT",
    "ID_NUMBER_FORMAT",
    "ID_NUMBER_BIRTH_DATE",
    "NAME_REQUIRED",
    "DUPLICATE_IN_FILE",
    "CATEGORY_UNKNOWN",
    "TIER_UNKNOWN",
    "IDENTITY_UNKNOWN",
    "PHONE_INVALID",
    "SEX_MISMATCH",
    "ENROLLED_ELSEWHERE",
    "RESIDENT_NAME_MISMATCH",
)


@dataclass
class Roster:
    headers: list[str]
    rows: list[list[str]]  # as written to the sheet; the sheet row of rows[i] is i + 2
    clean: list[list[str]]  # the same rows before spoiling: the corrected file
    planted: dict[int, str]  # sheet row -> the error code planted there
    enrolled_elsewhere: list[tuple[str, str]]  # (ID number, name) to enroll in another township first
    registered_names: list[tuple[str, str]]  # (ID number, a different name) to register first


def _check_character(first17: str) -> str:
    return CHECK_CHARACTERS[sum(int(digit) * weight for digit, weight in zip(first17, WEIGHTS, strict=False)) % 11]


def _person(rng: random.Random, region: str, born: date, sequence: int) -> tuple[str, str, str]:
    number = make(region, born, sequence)
    name = rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, 2))
    return number, name, "男" if int(number[16]) % 2 else "女"


def roster(households: int, *, seed: int = 1, on: date = date(2017, 11, 15), plant: int = 0) -> Roster:
    """``households`` families (about 3 people each); ``plant`` rows spoiled, spread over :data:`PLANTABLE`."""
    rng = random.Random(seed)
    region = "120119"
    rows: list[list[str]] = []
    sequence = seed * 7919 % 500
    issued: set[str] = set()
    for household in range(1, households + 1):
        head_born = on - timedelta(days=rng.randint(25 * 365, 70 * 365))
        members = [("户主", head_born)]
        if rng.random() < 0.85:
            members.append(("配偶", head_born + timedelta(days=rng.randint(-1500, 1500))))
        for _ in range(rng.choice((0, 1, 1, 2, 2, 3))):
            child_born = head_born + timedelta(days=rng.randint(20 * 365, 35 * 365))
            if child_born < on - timedelta(days=30):
                members.append(("子女", child_born))
        if rng.random() < 0.15 and head_born > on - timedelta(days=50 * 365):
            members.append(("父母", head_born - timedelta(days=rng.randint(20 * 365, 30 * 365))))
        for relation, born in members:
            number = ""
            while not number or number in issued:  # one person per number, whatever the dates drawn
                sequence = (sequence + 1) % 1000
                number, name, sex = _person(rng, region, born, sequence)
            issued.add(number)
            age = (on - born).days // 365
            category = "学生" if 6 <= age <= 18 and rng.random() < 0.9 else ""
            tier = rng.choice(("", "", "低档", "中档", "高档")) if age >= 18 and not category else ""
            special = rng.choice(SPECIAL) if rng.random() < 0.03 else ""
            phone = f"13{rng.randint(0, 999_999_999):09d}" if relation == "户主" else ""
            rows.append(["", str(household), name, sex, number, relation, category, tier, special, phone])
    for index, row in enumerate(rows, start=1):
        row[0] = str(index)
    clean = [list(row) for row in rows]
    planted: dict[int, str] = {}
    enrolled_elsewhere: list[tuple[str, str]] = []
    registered_names: list[tuple[str, str]] = []
    # Spoil rows that are not heads, so no household loses its head (that would be a second error kind).
    # Never two neighbours: a duplicate copies the row above, which must stay as it is.
    candidates = [index for index, row in enumerate(rows) if row[5] != "户主" and index > 0]
    rng.shuffle(candidates)
    chosen: set[int] = set()
    for index in candidates:
        if len(chosen) == plant:
            break
        if not {index - 1, index + 1} & chosen:
            chosen.add(index)
    for count, index in enumerate(sorted(chosen)):
        code = PLANTABLE[count % len(PLANTABLE)]
        row = rows[index]
        number = row[4]
        if code == "ID_NUMBER_CHECK_DIGIT":
            row[4] = number[:17] + next(c for c in CHECK_CHARACTERS if c != number[17])
        elif code == "ID_NUMBER_FORMAT":
            row[4] = number[:16]
        elif code == "ID_NUMBER_BIRTH_DATE":
            first17 = number[:10] + "13" + number[12:17]  # month 13
            row[4] = first17 + _check_character(first17)
        elif code == "NAME_REQUIRED":
            row[2] = ""
        elif code == "DUPLICATE_IN_FILE":
            earlier = rows[index - 1]
            row[4], row[2], row[3] = earlier[4], earlier[2], earlier[3]
        elif code == "CATEGORY_UNKNOWN":
            row[6] = "退休人员"
        elif code == "TIER_UNKNOWN":
            row[6], row[7] = "", "特档"
        elif code == "IDENTITY_UNKNOWN":
            row[8] = "五好家庭"
        elif code == "PHONE_INVALID":
            row[9] = "12345"
        elif code == "SEX_MISMATCH":
            row[3] = "女" if row[3] == "男" else "男"
        elif code == "ENROLLED_ELSEWHERE":  # as a township's clerk is told it: not where, nor by whom
            enrolled_elsewhere.append((number, row[2]))
        elif code == "RESIDENT_NAME_MISMATCH":
            registered_names.append((number, row[2] + "某"))
        planted[index + 2] = code
    return Roster(list(HEADERS), rows, clean, planted, enrolled_elsewhere, registered_names)
