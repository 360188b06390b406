"""The cross-checks (信息比对), each written once as an Ibis expression over the system of record and the other
departments' lists, so one definition runs on DuckDB over a Parquet snapshot, on the database itself, or on
Spark (:mod:`yibao.adapters.crosscheck_engines`).

Every rule yields rows of :data:`FINDING_COLUMNS`: the person, where they belong, and the evidence (which list,
which date, which amount, a detail and a sub-code). The words a clerk reads are added by the service; here is
only what is found. A rule that needs a list nobody has imported is not run, rather than finding everyone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date

import ibis
import ibis.expr.types as ir

FINDING_COLUMNS: dict[str, str] = {
    "kind": "string",
    "code": "string",  # a rule's sub-case: a mismatch's direction, an insurance type
    "id_number": "string",
    "name": "string",
    "resident_id": "int64",
    "township_code": "string",
    "village_code": "string",
    "list_id": "int64",
    "evidence_date": "date",
    "amount_fen": "int64",
    "detail": "string",
}

# A roster's 特殊身份 column is the village's claim; only a department's list certifies an identity.
UNCERTIFIED_SOURCES = ("名册",)
ADULT_AGE = 18  # 年满十八周岁的按照成年居民身份办理参保登记 (滕州 2019, 荆河街道; the plans agree)
ASSESSED_STATES = ("assessed", "notified", "paid", "effective")


@dataclass(frozen=True)
class Tables:
    """The inputs, as tables of one Ibis backend (the columns are those the snapshot writes)."""

    residents: ir.Table  # id, id_number, name, birth_date, township_code, village_code, survival_status
    enrollments: ir.Table  # id, resident_id, insurance_year, township_code, state, category, tier, ...
    identity_flags: ir.Table  # resident_id, identity, source, valid_from, valid_to
    payments: ir.Table  # id, channel
    payment_allocations: ir.Table  # payment_id, enrollment_id, amount_fen
    reasons: ir.Table  # insurance_year, id_number, withdrawn (bool)
    reference: ir.Table  # kind, list_id, id_number, name, township_code, village_code, event_date, amount_fen, …


@dataclass(frozen=True)
class Params:
    """The year checked and what the year's plan says about subsidies."""

    year: int
    as_of: date  # the day of the run: deaths after it are not yet known
    subsidised_identities: tuple[str, ...]  # identities some subsidy group of the plan names
    # identity -> the only tier it is subsidised in (the plan's lost_above_basis_tier): choosing another loses it
    identity_tiers: Mapping[str, str] = field(default_factory=dict)
    age_only_ranges: tuple[tuple[int | None, int | None], ...] = ()  # subsidy groups by age alone (min, max)
    available: frozenset[str] = frozenset()  # reference kinds with a list for this run

    @property
    def year_start(self) -> date:
        return date(self.year, 1, 1)

    @property
    def year_end(self) -> date:
        return date(self.year, 12, 31)


@dataclass(frozen=True)
class Rule:
    kind: str
    needs: tuple[str, ...]  # reference kinds without which the rule does not run
    build: Callable[[Tables, Params], ir.Table]


def _finding(table: ir.Table, kind: str, **values: ir.Value | None) -> ir.Table:
    """The rows of ``table`` as findings: each column from ``values``, typed nulls where a rule has none."""
    columns = {"kind": ibis.literal(kind)}
    for name, dtype in FINDING_COLUMNS.items():
        if name == "kind":
            continue
        value = values.get(name)
        columns[name] = (ibis.null().cast(dtype) if value is None else value.cast(dtype)).name(name)
    return table.select(**columns)


def _age_on(birth: ir.DateValue, on: date) -> ir.IntegerValue:
    not_yet = (birth.month() * 100 + birth.day()) > (on.month * 100 + on.day)
    return (on.year - birth.year()) - not_yet.ifelse(1, 0)


def _reference(tables: Tables, kind: str) -> ir.Table:
    return tables.reference.filter(tables.reference.kind == kind)


def _first_per_person(rows: ir.Table, order: str) -> ir.Table:
    """One row per ID number: the one with the least ``order`` (then the least list): deterministic on every
    engine, unlike an arbitrary pick."""
    ranked = rows.mutate(
        _rank=ibis.row_number().over(ibis.window(group_by=rows.id_number, order_by=[rows[order], rows.list_id]))
    )
    return ranked.filter(ranked._rank == 0).drop("_rank")


def _live(tables: Tables, year: int) -> ir.Table:
    enrollments = tables.enrollments
    return enrollments.filter((enrollments.insurance_year == year) & (enrollments.state != "cancelled"))


def _enrolled(tables: Tables, year: int) -> ir.Table:
    """The ID numbers with a live enrollment in ``year``, with the enrollment and the resident."""
    live = _live(tables, year)
    residents = tables.residents
    return live.join(residents, live.resident_id == residents.id).select(
        enrollment_id=live.id,
        resident_id=residents.id,
        id_number=residents.id_number,
        name=residents.name,
        birth_date=residents.birth_date,
        township_code=live.township_code,
        village_code=residents.village_code,
        category=live.category,
        tier=live.tier,
        state=live.state,
        assisted_subsidy_fen=live.assisted_subsidy_fen,
        benefit_start=live.benefit_start,
    )


def _known_deaths(tables: Tables, params: Params) -> ir.Table:
    deaths = _reference(tables, "deaths")
    return _first_per_person(deaths.filter(deaths.event_date <= params.as_of), "event_date")


def _reasons(tables: Tables, year: int) -> ir.Table:
    reasons = tables.reasons
    return reasons.filter((reasons.insurance_year == year) & ~reasons.withdrawn).select("id_number").distinct()


def _certified(tables: Tables, params: Params) -> ir.Table:
    """Identity flags a department certified, of the identities the plan subsidises."""
    flags = tables.identity_flags
    return flags.filter(flags.identity.isin(params.subsidised_identities) & ~flags.source.isin(UNCERTIFIED_SOURCES))


def _flags_in_year(tables: Tables, params: Params) -> ir.Table:
    flags = _certified(tables, params)
    return flags.filter(
        (flags.valid_from.isnull() | (flags.valid_from <= params.year_end))
        & (flags.valid_to.isnull() | (flags.valid_to >= params.year_start))
    )


def _not_enrolled(tables: Tables, params: Params, people: ir.Table) -> ir.Table:
    """``people`` (with id_number) less those enrolled this year, with a reason on record, or known dead."""
    enrolled = _enrolled(tables, params.year).select("id_number")
    reasons = _reasons(tables, params.year)
    dead = _known_deaths(tables, params).select("id_number")
    residents = tables.residents
    deceased_here = residents.filter(residents.survival_status == "deceased").select("id_number")
    return (
        people.anti_join(enrolled, "id_number")
        .anti_join(reasons, "id_number")
        .anti_join(dead, "id_number")
        .anti_join(deceased_here, "id_number")
    )


def unenrolled(tables: Tables, params: Params) -> ir.Table:
    """In the population register, not enrolled this year, no reason recorded, not known dead: split into those
    who lapsed (enrolled last year, here or on last year's list: 断保) and those never enrolled."""
    register = _first_per_person(_reference(tables, "population"), "list_id")
    missing = _not_enrolled(tables, params, register)
    last_here = _enrolled(tables, params.year - 1).select("id_number")
    last_list = _reference(tables, "last_year_enrollment").select("id_number")
    last_year = last_here.union(last_list, distinct=True).mutate(lapsed=ibis.literal(True))
    residents = tables.residents.select(
        resident_id="id", id_number="id_number", known_name="name", home="township_code", home_village="village_code"
    )
    joined = missing.left_join(last_year, "id_number").left_join(residents, "id_number")
    lapsed = joined.lapsed.notnull()
    return _finding(
        joined,
        "unenrolled",
        code=lapsed.ifelse("lapsed", "never"),
        id_number=joined.id_number,
        name=ibis.coalesce(joined.known_name, joined.name),
        resident_id=joined.resident_id,
        township_code=ibis.coalesce(joined.home, joined.township_code, ibis.literal("")),
        village_code=ibis.coalesce(joined.home_village, joined.village_code),
        list_id=joined.list_id,
    )


def special_group_unenrolled(tables: Tables, params: Params) -> ir.Table:
    """Certified in a subsidised group for this year (民政, 残联 … flags) but not enrolled: the plans require all
    of them (应保尽保)."""
    flags = _flags_in_year(tables, params)
    first = flags.group_by("resident_id").aggregate(identity=flags.identity.min(), since=flags.valid_from.min())
    residents = tables.residents
    people = first.join(residents, first.resident_id == residents.id)
    missing = _not_enrolled(tables, params, people)
    return _finding(
        missing,
        "special_group_unenrolled",
        code=missing.identity,
        id_number=missing.id_number,
        name=missing.name,
        resident_id=missing.resident_id,
        township_code=missing.township_code,
        village_code=missing.village_code,
        evidence_date=missing.since,
    )


def enrolled_twice(tables: Tables, params: Params) -> ir.Table:
    """Enrolled here and, per the platform's records, elsewhere this year or in employee insurance (重复参保);
    and ID numbers enrolled twice in the snapshot itself (a city's or province's snapshot joins districts)."""
    enrolled = _enrolled(tables, params.year)
    parts = []
    if "insured_elsewhere" in params.available:
        elsewhere = _first_per_person(_reference(tables, "insured_elsewhere"), "list_id")
        both = enrolled.join(elsewhere, "id_number")
        parts.append(
            _finding(
                both,
                "enrolled_twice",
                code=ibis.coalesce(both.insurance_type, ibis.literal("390")),
                id_number=both.id_number,
                name=both.name,
                resident_id=both.resident_id,
                township_code=both.township_code,
                village_code=both.village_code,
                list_id=both.list_id,
                detail=both.detail,
            )
        )
    twice = enrolled.group_by("id_number").aggregate(times=enrolled.count()).filter(lambda t: t.times > 1)
    here = enrolled.join(twice, "id_number")
    parts.append(
        _finding(
            here,
            "enrolled_twice",
            code=ibis.literal("here"),
            id_number=here.id_number,
            name=here.name,
            resident_id=here.resident_id,
            township_code=here.township_code,
            village_code=here.village_code,
        )
    )
    return ibis.union(*parts) if len(parts) > 1 else parts[0]


def deceased_enrolled(tables: Tables, params: Params) -> ir.Table:
    """Enrolled this year, but dead before the benefit period began."""
    enrolled = _enrolled(tables, params.year)
    deaths = _known_deaths(tables, params).select("id_number", "list_id", died="event_date")
    joined = enrolled.join(deaths, "id_number")
    starts = ibis.coalesce(joined.benefit_start, ibis.literal(params.year_start))
    found = joined.filter(joined.died < starts)
    return _finding(
        found,
        "deceased_enrolled",
        id_number=found.id_number,
        name=found.name,
        resident_id=found.resident_id,
        township_code=found.township_code,
        village_code=found.village_code,
        list_id=found.list_id,
        evidence_date=found.died,
    )


def subsidy_without_identity(tables: Tables, params: Params) -> ir.Table:
    """Assessed with a subsidy for a special group, with no identity a department certified for the year (a
    roster's claim alone does not count) and no age that a subsidy by age alone would explain."""
    enrolled = _enrolled(tables, params.year)
    subsidised = enrolled.filter(
        enrolled.state.isin(ASSESSED_STATES) & (ibis.coalesce(enrolled.assisted_subsidy_fen, 0) > 0)
    )
    flags = _flags_in_year(tables, params).select("resident_id")
    found = subsidised.anti_join(flags, "resident_id")
    for low, high in params.age_only_ranges:
        # Lenient on purpose: an age reached at any time in the campaign explains the subsidy.
        old_enough = ibis.literal(True) if low is None else _age_on(found.birth_date, params.year_end) >= low
        young_enough = (
            ibis.literal(True) if high is None else _age_on(found.birth_date, date(params.year - 1, 1, 1)) <= high
        )
        found = found.filter(~(old_enough & young_enough))
    return _finding(
        found,
        "subsidy_without_identity",
        id_number=found.id_number,
        name=found.name,
        resident_id=found.resident_id,
        township_code=found.township_code,
        village_code=found.village_code,
        amount_fen=found.assisted_subsidy_fen,
    )


def identity_without_subsidy(tables: Tables, params: Params) -> ir.Table:
    """Certified in a subsidised group on the day cover starts, yet assessed with no subsidy (the list came after
    the assessment, or the clerk missed it); not where the plan withholds it for a dearer tier chosen."""
    enrolled = _enrolled(tables, params.year)
    unsubsidised = enrolled.filter(
        enrolled.state.isin(ASSESSED_STATES) & (ibis.coalesce(enrolled.assisted_subsidy_fen, 0) == 0)
    )
    joined = unsubsidised.join(_certified(tables, params), "resident_id")
    starts = ibis.coalesce(joined.benefit_start, ibis.literal(params.year_start))
    valid = (joined.valid_from.isnull() | (joined.valid_from <= starts)) & (
        joined.valid_to.isnull() | (joined.valid_to >= starts)
    )
    in_tier = ibis.literal(True)
    if params.identity_tiers:
        in_tier = ibis.cases(
            *[(joined.identity == identity, joined.tier == tier) for identity, tier in params.identity_tiers.items()],
            else_=True,
        )
    found = joined.filter(valid & in_tier)
    per_person = found.group_by("resident_id").aggregate(identity=found.identity.min())
    rows = enrolled.join(per_person, "resident_id")
    return _finding(
        rows,
        "identity_without_subsidy",
        code=rows.identity,
        id_number=rows.id_number,
        name=rows.name,
        resident_id=rows.resident_id,
        township_code=rows.township_code,
        village_code=rows.village_code,
    )


def category_mismatch(tables: Tables, params: Params) -> ir.Table:
    """A minor enrolled as an adult; an adult enrolled as a student or child without being on the education
    bureau's list; a student on that list enrolled as an adult."""
    enrolled = _enrolled(tables, params.year)
    assessed = enrolled.filter(enrolled.state.isin(ASSESSED_STATES))
    students = _first_per_person(_reference(tables, "students"), "list_id").select(
        "id_number", student_list="list_id", school="detail"
    )
    joined = assessed.left_join(students, "id_number")
    age = _age_on(joined.birth_date, params.year_start)
    on_list = joined.student_list.notnull()
    has_list = "students" in params.available
    adult = joined.category == "adult"
    code = ibis.cases(
        (adult & (age < ADULT_AGE), "minor_as_adult"),
        (joined.category.isin(("student", "child", "newborn")) & (age >= ADULT_AGE) & ~on_list, "adult_as_student"),
        (adult & on_list, "student_as_adult"),
        else_=ibis.null().cast("string"),
    )
    marked = joined.mutate(code=code, age=age)
    found = marked.filter(marked.code.notnull())
    if not has_list:
        found = found.filter(found.code == "minor_as_adult")
    return _finding(
        found,
        "category_mismatch",
        code=found.code,
        id_number=found.id_number,
        name=found.name,
        resident_id=found.resident_id,
        township_code=found.township_code,
        village_code=found.village_code,
        list_id=found.student_list,
        detail=ibis.coalesce(found.school, found.category),
    )


def _tax_money(tables: Tables, params: Params) -> ir.Table:
    """This year's enrollments with money recorded from the tax channel (net of reversals), per ID number."""
    payments = tables.payments.filter(tables.payments.channel == "tax")
    allocations = tables.payment_allocations
    money = allocations.join(payments, allocations.payment_id == payments.id)
    per_enrollment = money.group_by(enrollment_id=money.enrollment_id).aggregate(tax_fen=money.amount_fen.sum())
    enrolled = _enrolled(tables, params.year)
    joined = enrolled.join(per_enrollment, "enrollment_id")
    return joined.filter(joined.tax_fen > 0)


def _tax_list(tables: Tables) -> ir.Table:
    rows = _reference(tables, "tax_payments")
    return rows.group_by("id_number").aggregate(
        name=rows.name.min(),
        list_id=rows.list_id.min(),
        paid_fen=rows.amount_fen.sum(),
        paid_on=rows.event_date.max(),
        township_code=rows.township_code.min(),
        village_code=rows.village_code.min(),
    )


def tax_not_recorded(tables: Tables, params: Params) -> ir.Table:
    """On the tax bureau's list as paid this year, with no money from the tax channel recorded here."""
    paid = _tax_list(tables)
    recorded = _tax_money(tables, params).select("id_number")
    missing = paid.anti_join(recorded, "id_number")
    residents = tables.residents.select(
        resident_id="id", id_number="id_number", known_name="name", home="township_code", home_village="village_code"
    )
    joined = missing.left_join(residents, "id_number")
    return _finding(
        joined,
        "tax_not_recorded",
        id_number=joined.id_number,
        name=ibis.coalesce(joined.known_name, joined.name),
        resident_id=joined.resident_id,
        township_code=ibis.coalesce(joined.home, joined.township_code, ibis.literal("")),
        village_code=ibis.coalesce(joined.home_village, joined.village_code),
        list_id=joined.list_id,
        evidence_date=joined.paid_on,
        amount_fen=joined.paid_fen,
    )


def tax_missing(tables: Tables, params: Params) -> ir.Table:
    """Money from the tax channel recorded here this year, for a person absent from the tax bureau's list."""
    recorded = _tax_money(tables, params)
    found = recorded.anti_join(_tax_list(tables).select("id_number"), "id_number")
    return _finding(
        found,
        "tax_missing",
        id_number=found.id_number,
        name=found.name,
        resident_id=found.resident_id,
        township_code=found.township_code,
        village_code=found.village_code,
        amount_fen=found.tax_fen,
    )


RULES: tuple[Rule, ...] = (
    Rule("unenrolled", ("population",), unenrolled),
    Rule("special_group_unenrolled", (), special_group_unenrolled),
    Rule("enrolled_twice", (), enrolled_twice),
    Rule("deceased_enrolled", ("deaths",), deceased_enrolled),
    Rule("subsidy_without_identity", (), subsidy_without_identity),
    Rule("identity_without_subsidy", (), identity_without_subsidy),
    Rule("category_mismatch", (), category_mismatch),
    Rule("tax_not_recorded", ("tax_payments",), tax_not_recorded),
    Rule("tax_missing", ("tax_payments",), tax_missing),
)


def runnable(params: Params, kinds: frozenset[str] | None = None) -> list[Rule]:
    """The rules whose lists are there (and, if ``kinds`` is given, only those kinds)."""
    return [
        rule
        for rule in RULES
        if all(need in params.available for need in rule.needs) and (kinds is None or rule.kind in kinds)
    ]


def findings(tables: Tables, params: Params, rules: list[Rule]) -> ir.Table:
    """All findings of ``rules`` as one table (one query for the engine to plan)."""
    parts = [rule.build(tables, params) for rule in rules]
    return ibis.union(*parts) if len(parts) > 1 else parts[0]
