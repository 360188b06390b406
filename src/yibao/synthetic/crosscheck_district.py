"""A synthetic district for the cross-checks, with known numbers of each finding planted, for tests and the
benchmark: the system of record (as the snapshot's tables) and the departments' lists, built vectorized so ten
million people take seconds.

Most people are plain: enrolled, of the right category, unsubsidised, in no list but the register. Disjoint sets
of people are planted for each finding (and for look-alikes that must *not* be found: the dead who died after
cover began, the certified subsidised, students on the list, the unenrolled with a reason recorded).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import polars as pl

from yibao.adapters.snapshot import REFERENCE_SCHEMA, SCHEMAS
from yibao.domain.idnumber_bulk import check_character_expr
from yibao.domain.roster import ROSTER_SOURCE
from yibao.domain.states import EnrollmentState

SURNAMES = list("王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗")
GIVEN = list("建国秀英明丽华志强桂兰海燕文博雨涵子轩欣怡浩然佳琪俊杰")
IDENTITY = "dibao"  # the certified identity planted (every plan subsidises 低保)


@dataclass
class PlantedDistrict:
    year: int
    tables: dict[str, pl.DataFrame]  # the snapshot's tables (SCHEMAS)
    lists: dict[str, pl.DataFrame]  # reference kind -> rows (REFERENCE_SCHEMA less kind and list_id)
    expected: dict[tuple[str, str | None], set[str]] = field(default_factory=dict)  # (kind, code) -> ID numbers

    def expected_rows(self) -> set[tuple[str, str | None, str]]:
        return {(kind, code, number) for (kind, code), numbers in self.expected.items() for number in numbers}


DAYS = 80 * 365  # the birth days of a synthetic district


def _numbers(region: str, born: pl.Series, seq: pl.Series) -> pl.Series:
    frame = pl.DataFrame({"born": born, "seq": seq}).with_columns(
        first17=pl.lit(region) + pl.col("born").dt.strftime("%Y%m%d") + pl.col("seq").cast(pl.String).str.zfill(3)
    )
    return frame.select(pl.col("first17") + check_character_expr(pl.col("first17"))).to_series()


def _ids(region: str, count: int, start: date) -> tuple[pl.Series, pl.Series]:
    """``count`` distinct valid ID numbers born over 80 years before ``start``, and their birth dates."""
    index = np.arange(count)
    # A prime stride spreads even a small district over every age (29,200 days and 7,919 share no factor, so
    # the first 29,200 people are born on distinct days; the sequence number — the cohort, index // DAYS — tells
    # the next ones apart).
    offsets = (index * 7919) % DAYS
    born = pl.Series(np.datetime64(start - timedelta(days=DAYS)) + offsets.astype("timedelta64[D]")).cast(pl.Date)
    return _numbers(region, born, pl.Series((index // DAYS) % 1000)), born


def _names(rng: np.random.Generator, count: int) -> pl.Series:
    """Names that look drawn at random but never repeat among people born on the same day (up to 600 a day, a
    district of 17.5 million), so that no one is taken for someone else by name and birth date unless planted."""
    index = np.arange(count)
    shift = rng.integers(0, len(SURNAMES) * len(GIVEN), DAYS)  # each birth day starts somewhere else in the names
    which = (index // DAYS + shift[(index * 7919) % DAYS]) % (len(SURNAMES) * len(GIVEN))
    return pl.Series(np.array(SURNAMES)[which % len(SURNAMES)]) + pl.Series(np.array(GIVEN)[which // len(SURNAMES)])


def planted_district(
    people: int,
    townships: list[str],
    villages: dict[str, list[str]],
    *,
    year: int,
    planted: int,
    unenrolled_share: float = 0.0,
    seed: int = 7,
) -> PlantedDistrict:
    """``people`` in the register; ``planted`` people for each finding kind (and each look-alike); besides them,
    ``unenrolled_share`` of the register never enrolled (a real district's few per cent)."""
    rng = np.random.default_rng(seed)
    region = townships[0][:6]
    numbers, born = _ids(region, people, date(year - 1, 9, 1))
    start = date(year, 1, 1)
    age = pl.select(
        (year - born.dt.year()) - ((born.dt.month().cast(pl.Int32) * 100 + born.dt.day()) > 101).cast(pl.Int32)
    ).to_series()
    names = _names(rng, people)
    town_index = rng.integers(0, len(townships), people)
    township = pl.Series(np.array(townships)[town_index])
    village = _villages(rng, townships, villages, town_index)
    order = rng.permutation(people)
    ages = age.to_numpy()
    minors = order[ages[order] < 17]
    adults = order[ages[order] >= 19]
    taken: set[int] = set()

    def pick(pool: np.ndarray, count: int = planted) -> list[int]:
        chosen: list[int] = []
        for i in pool.tolist():
            if i not in taken:
                chosen.append(i)
                taken.add(i)
                if len(chosen) == count:
                    break
        return chosen

    roles = {
        "lapsed": pick(adults),
        "never": pick(adults),
        "reason": pick(adults),
        "dead_unenrolled": pick(adults),
        "special_unenrolled": pick(adults),
        "tax_unenrolled": pick(adults),
        "twice_310": pick(adults),
        "twice_390": pick(adults),
        "dead_before": pick(adults),
        "dead_after": pick(adults),
        "subsidy_uncertified": pick(adults),
        "subsidy_certified": pick(adults),
        "flag_unsubsidised": pick(adults),
        "minor_as_adult": pick(minors),
        "adult_as_student": pick(adults),
        "student_ok": pick(minors),
        "student_as_adult": pick(adults),
        "tax_ok": pick(adults),
        "tax_missing": pick(adults),
        "tax_cash": pick(adults),
        "same_person": pick(adults),
    }
    roles["never"] += pick(order, int(people * unenrolled_share))
    unenrolled = {*roles["lapsed"], *roles["never"], *roles["reason"], *roles["dead_unenrolled"]}
    unenrolled |= {*roles["special_unenrolled"], *roles["tax_unenrolled"]}
    enrolled_mask = np.ones(people, dtype=bool)
    enrolled_mask[list(unenrolled)] = False
    person = pl.DataFrame(
        {
            "id": np.arange(1, people + 1),
            "id_number": numbers,
            "name": names,
            "birth_date": born,
            "township_code": township,
            "village_code": village,
            "age": age,
        }
    )
    # Each "same_person" is enrolled a second time under a mistyped number: the same name and birth date, a
    # sequence number no one born that day has (999 less the cohort; cohorts stay under 343 up to 10 million).
    originals = person[roles["same_person"]]
    cohort = pl.Series(np.array(roles["same_person"], dtype=np.int64) // DAYS)
    twins = originals.with_columns(
        id=pl.int_range(people + 1, people + 1 + originals.height, dtype=pl.Int64),
        id_number=_numbers(region, originals["birth_date"], 999 - cohort),
    )
    roles["same_person_twin"] = list(range(people, people + twins.height))
    person = pl.concat([person.with_columns(pl.col("id").cast(pl.Int64)), twins])
    total = person.height
    enrolled_mask = np.concatenate([enrolled_mask, np.ones(twins.height, dtype=bool)])
    registered = enrolled_mask.copy()
    registered[roles["special_unenrolled"]] = True
    residents = person.filter(pl.Series(registered)).select(
        *[name for name in SCHEMAS["residents"] if name != "survival_status"],
        survival_status=pl.lit("alive"),
    )

    def role(name: str) -> pl.Series:
        mask = np.zeros(total, dtype=bool)
        mask[roles[name]] = True
        return pl.Series(mask)

    enrolled = person.filter(pl.Series(enrolled_mask)).with_columns(
        is_minor_as_adult=role("minor_as_adult").filter(pl.Series(enrolled_mask)),
        is_adult_as_student=role("adult_as_student").filter(pl.Series(enrolled_mask)),
        subsidised=(role("subsidy_uncertified") | role("subsidy_certified")).filter(pl.Series(enrolled_mask)),
        unsubsidised_flag=role("flag_unsubsidised").filter(pl.Series(enrolled_mask)),
    )
    category = (
        pl.when(pl.col("is_minor_as_adult"))
        .then(pl.lit("adult"))
        .when(pl.col("is_adult_as_student"))
        .then(pl.lit("student"))
        .when(pl.col("age") < 18)
        .then(pl.lit("student"))
        .otherwise(pl.lit("adult"))
    )
    enrollments = enrolled.select(
        id=pl.int_range(1, pl.len() + 1, dtype=pl.Int64),
        resident_id="id",
        insurance_year=pl.lit(year, dtype=pl.Int64),
        township_code="township_code",
        state=pl.when(pl.col("unsubsidised_flag"))
        .then(pl.lit(EnrollmentState.NOTIFIED.code))
        .otherwise(pl.lit(EnrollmentState.EFFECTIVE.code)),
        category=category,
        tier=pl.lit("standard"),
        assisted_subsidy_fen=pl.when(pl.col("subsidised")).then(pl.lit(18000, dtype=pl.Int64)).otherwise(0),
        benefit_start=pl.lit(start),
    )

    def people_of(*names: str) -> pl.DataFrame:
        index = sorted({i for name in names for i in roles[name]})
        return person[index]

    flags = pl.concat(
        [
            people_of("subsidy_uncertified").select(
                resident_id="id", identity=pl.lit(IDENTITY), source=pl.lit(ROSTER_SOURCE)
            ),
            people_of("subsidy_certified", "flag_unsubsidised", "special_unenrolled").select(
                resident_id="id", identity=pl.lit(IDENTITY), source=pl.lit("民政")
            ),
        ]
    ).with_columns(valid_from=pl.lit(date(year - 1, 1, 1)), valid_to=pl.lit(None, dtype=pl.Date))
    taxed = people_of("tax_ok", "tax_missing")
    payments = taxed.select(id=pl.int_range(1, pl.len() + 1, dtype=pl.Int64), channel=pl.lit("tax"))
    cash = people_of("tax_cash")
    payments = pl.concat(
        [
            payments,
            cash.select(
                id=pl.int_range(1, pl.len() + 1, dtype=pl.Int64) + taxed.height, channel=pl.lit("counter_cash")
            ),
        ]
    )
    allocations = (
        pl.concat([taxed, cash])
        .select(payment_id=pl.int_range(1, pl.len() + 1, dtype=pl.Int64), resident_id="id")
        .join(enrollments.select("resident_id", enrollment_id="id"), on="resident_id", maintain_order="left")
        .select("payment_id", "enrollment_id", amount_fen=pl.lit(22000, dtype=pl.Int64))
    )
    reasons = people_of("reason").select(
        insurance_year=pl.lit(year, dtype=pl.Int64), id_number="id_number", withdrawn=pl.lit(False)
    )

    def listed(frame: pl.DataFrame, **values: object) -> pl.DataFrame:
        base = {"id_number": frame["id_number"], "name": frame["name"]}
        columns = {key: dtype for key, dtype in REFERENCE_SCHEMA.items() if key not in ("kind", "list_id")}
        out = pl.DataFrame(base).with_columns(township_code=frame["township_code"], village_code=frame["village_code"])
        for key, value in values.items():
            out = out.with_columns(value.alias(key) if isinstance(value, pl.Series) else pl.lit(value).alias(key))
        return out.with_columns(
            *[pl.lit(None, dtype=dtype).alias(key) for key, dtype in columns.items() if key not in out.columns]
        ).select([pl.col(key).cast(dtype) for key, dtype in columns.items()])

    def death_dates(frame: pl.DataFrame, day: date) -> pl.Series:
        return pl.Series([day] * frame.height, dtype=pl.Date)

    dead_before = people_of("dead_before", "dead_unenrolled")
    dead_after = people_of("dead_after")
    twice_310, twice_390 = people_of("twice_310"), people_of("twice_390")
    students = people_of("student_ok", "student_as_adult")
    tax_listed = people_of("tax_ok", "tax_unenrolled", "tax_cash")
    lists = {
        "population": listed(person[:people]),  # a mistyped number is in no register
        "deaths": pl.concat(
            [
                listed(dead_before, event_date=death_dates(dead_before, date(year - 1, 10, 5))),
                listed(dead_after, event_date=death_dates(dead_after, date(year, 1, 20))),
            ]
        ),
        "students": listed(students, detail="第一中学"),
        "tax_payments": listed(tax_listed, amount_fen=22000, event_date=date(year - 1, 11, 3)),
        "last_year_enrollment": listed(people_of("lapsed")),
        "insured_elsewhere": pl.concat(
            [
                listed(twice_310, detail="天津市某公司", insurance_type="310"),
                listed(twice_390, detail="河北省某县", insurance_type="390"),
            ]
        ),
    }

    def numbers_of(*names: str) -> set[str]:
        return set(people_of(*names).get_column("id_number").to_list())

    expected: dict[tuple[str, str | None], set[str]] = {
        ("unenrolled", "lapsed"): numbers_of("lapsed"),
        ("unenrolled", "never"): numbers_of("never", "special_unenrolled", "tax_unenrolled"),
        ("special_group_unenrolled", IDENTITY): numbers_of("special_unenrolled"),
        ("enrolled_twice", "310"): numbers_of("twice_310"),
        ("enrolled_twice", "390"): numbers_of("twice_390"),
        ("enrolled_twice", "same_person"): numbers_of("same_person", "same_person_twin"),
        ("deceased_enrolled", None): numbers_of("dead_before"),
        ("subsidy_without_identity", None): numbers_of("subsidy_uncertified"),
        ("identity_without_subsidy", IDENTITY): numbers_of("flag_unsubsidised"),
        ("category_mismatch", "minor_as_adult"): numbers_of("minor_as_adult"),
        ("category_mismatch", "adult_as_student"): numbers_of("adult_as_student"),
        ("category_mismatch", "student_as_adult"): numbers_of("student_as_adult"),
        ("tax_not_recorded", None): numbers_of("tax_unenrolled", "tax_cash"),
        ("tax_missing", None): numbers_of("tax_missing"),
    }
    tables = {
        "residents": residents,
        "enrollments": enrollments,
        "identity_flags": flags,
        "payments": payments,
        "payment_allocations": allocations,
        "reasons": reasons,
    }
    tables = {
        name: frame.select([pl.col(key).cast(dtype) for key, dtype in SCHEMAS[name].items()])
        for name, frame in tables.items()
    }
    return PlantedDistrict(year=year, tables=tables, lists=lists, expected=expected)


def _villages(
    rng: np.random.Generator, townships: list[str], villages: dict[str, list[str]], town_index: np.ndarray
) -> pl.Series:
    """A village of each person's township (None where the township has none listed)."""
    pools: list[list[str | None]] = []
    for code in townships:
        pool: list[str | None] = list(villages.get(code, []))
        pools.append(pool or [None])
    flat = np.array([village for pool in pools for village in pool], dtype=object)
    sizes = np.array([len(pool) for pool in pools])
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    picks = rng.integers(0, 1 << 30, len(town_index)) % sizes[town_index]
    return pl.Series(flat[offsets[town_index] + picks].tolist(), dtype=pl.String)
