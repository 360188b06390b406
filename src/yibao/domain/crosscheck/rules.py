"""The cross-checks (信息比对), each written once as an Ibis expression over the system of record and the other
departments' lists, so one definition runs on DuckDB over a Parquet snapshot, on the database itself, or on
Spark (:mod:`yibao.adapters.crosscheck_engines`).

Every rule yields rows of :data:`FINDING_COLUMNS`: the person, where they belong, and the evidence (which list,
which date, which amount, a detail and a sub-code). The words a clerk reads are added by the service; here is
only what is found. A rule that needs a list nobody has imported is not run, rather than finding everyone.
"""

from __future__ import annotations

from datetime import date

import ibis
import ibis.expr.types as ir

from yibao.domain.crosscheck.inputs import (
    ADULT_AGE,
    ASSESSED_STATES,
    Params,
    Rule,
    Tables,
    age_on,
    certified,
    enrolled_in,
    finding,
    first_per_person,
    flags_in_year,
    known_deaths,
    listed,
    not_enrolled,
    person,
)


def unenrolled(tables: Tables, params: Params) -> ir.Table:
    """In the population register, not enrolled this year, no reason recorded, not known dead: split into those
    who lapsed (enrolled last year, here or on last year's list: 断保) and those never enrolled."""
    register = first_per_person(listed(tables, "population"), "list_id")
    missing = not_enrolled(tables, params, register)
    last_here = enrolled_in(tables, params.year - 1).select("id_number")
    last_list = listed(tables, "last_year_enrollment").select("id_number")
    last_year = last_here.union(last_list, distinct=True).mutate(lapsed=ibis.literal(True))
    residents = tables.residents.select(
        resident_id="id", id_number="id_number", known_name="name", home="township_code", home_village="village_code"
    )
    joined = missing.left_join(last_year, "id_number").left_join(residents, "id_number")
    lapsed = joined.lapsed.notnull()
    return finding(
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
    flags = flags_in_year(tables, params)
    first = flags.group_by("resident_id").aggregate(identity=flags.identity.min(), since=flags.valid_from.min())
    residents = tables.residents
    people = first.join(residents, first.resident_id == residents.id)
    missing = not_enrolled(tables, params, people)
    return finding(
        missing,
        "special_group_unenrolled",
        code=missing.identity,
        **person(missing),
        evidence_date=missing.since,
    )


def enrolled_twice(tables: Tables, params: Params) -> ir.Table:
    """Enrolled here and, per the platform's records, elsewhere this year or in employee insurance (重复参保);
    ID numbers enrolled twice in the snapshot itself (a city's or province's snapshot joins districts); and, only
    suspected, one person under two numbers (a mistyped ID number enrolled beside the right one): the same name
    and birth date under different numbers — two people may share both, so a clerk verifies (疑似)."""
    enrolled = enrolled_in(tables, params.year)
    parts = []
    if "insured_elsewhere" in params.available:
        elsewhere = first_per_person(listed(tables, "insured_elsewhere"), "list_id")
        both = enrolled.join(elsewhere, "id_number")
        parts.append(
            finding(
                both,
                "enrolled_twice",
                code=ibis.coalesce(both.insurance_type, ibis.literal("390")),
                **person(both),
                list_id=both.list_id,
                detail=both.detail,
            )
        )
    twice = enrolled.group_by("id_number").aggregate(times=enrolled.count()).filter(lambda t: t.times > 1)
    here = enrolled.join(twice, "id_number")
    parts.append(
        finding(
            here,
            "enrolled_twice",
            code=ibis.literal("here"),
            **person(here),
        )
    )
    named = enrolled.filter(enrolled.name.notnull() & enrolled.birth_date.notnull())
    # More than one number where the least and the greatest differ: a plain aggregate, where counting distinct
    # numbers over ten million groups cost DuckDB three times the whole rule.
    alike = (
        named.group_by(["name", "birth_date"])
        .aggregate(least=named.id_number.min(), greatest=named.id_number.max())
        .filter(lambda t: t.least != t.greatest)
        .select("name", "birth_date")
    )
    suspected = named.join(alike, ["name", "birth_date"])
    parts.append(finding(suspected, "enrolled_twice", code=ibis.literal("same_person"), **person(suspected)))
    return ibis.union(*parts)


def deceased_enrolled(tables: Tables, params: Params) -> ir.Table:
    """Enrolled this year, but dead before the benefit period began."""
    enrolled = enrolled_in(tables, params.year)
    deaths = known_deaths(tables, params).select("id_number", "list_id", died="event_date")
    joined = enrolled.join(deaths, "id_number")
    starts = ibis.coalesce(joined.benefit_start, ibis.literal(params.year_start))
    found = joined.filter(joined.died < starts)
    return finding(
        found,
        "deceased_enrolled",
        **person(found),
        list_id=found.list_id,
        evidence_date=found.died,
    )


def subsidy_without_identity(tables: Tables, params: Params) -> ir.Table:
    """Assessed with a subsidy for a special group, with no identity a department certified for the year (a
    roster's claim alone does not count) and no age that a subsidy by age alone would explain."""
    enrolled = enrolled_in(tables, params.year)
    subsidised = enrolled.filter(
        enrolled.state.isin(ASSESSED_STATES) & (ibis.coalesce(enrolled.assisted_subsidy_fen, 0) > 0)
    )
    flags = flags_in_year(tables, params).select("resident_id")
    found = subsidised.anti_join(flags, "resident_id")
    for low, high in params.age_only_ranges:
        # Lenient on purpose: an age reached at any time in the campaign explains the subsidy.
        old_enough = ibis.literal(True) if low is None else age_on(found.birth_date, params.year_end) >= low
        young_enough = (
            ibis.literal(True) if high is None else age_on(found.birth_date, date(params.year - 1, 1, 1)) <= high
        )
        found = found.filter(~(old_enough & young_enough))
    return finding(
        found,
        "subsidy_without_identity",
        **person(found),
        amount_fen=found.assisted_subsidy_fen,
    )


def identity_without_subsidy(tables: Tables, params: Params) -> ir.Table:
    """Certified in a subsidised group on the day cover starts, yet assessed with no subsidy (the list came after
    the assessment, or the clerk missed it); not where the plan withholds it for a dearer tier chosen."""
    enrolled = enrolled_in(tables, params.year)
    unsubsidised = enrolled.filter(
        enrolled.state.isin(ASSESSED_STATES) & (ibis.coalesce(enrolled.assisted_subsidy_fen, 0) == 0)
    )
    joined = unsubsidised.join(certified(tables, params), "resident_id")
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
    return finding(
        rows,
        "identity_without_subsidy",
        code=rows.identity,
        **person(rows),
    )


def category_mismatch(tables: Tables, params: Params) -> ir.Table:
    """A minor enrolled as an adult; an adult enrolled as a student or child without being on the education
    bureau's list; a student on that list enrolled as an adult."""
    enrolled = enrolled_in(tables, params.year)
    assessed = enrolled.filter(enrolled.state.isin(ASSESSED_STATES))
    students = first_per_person(listed(tables, "students"), "list_id").select(
        "id_number", student_list="list_id", school="detail"
    )
    joined = assessed.left_join(students, "id_number")
    age = age_on(joined.birth_date, params.year_start)
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
    return finding(
        found,
        "category_mismatch",
        code=found.code,
        **person(found),
        list_id=found.student_list,
        detail=ibis.coalesce(found.school, found.category),
    )


def _tax_money(tables: Tables, params: Params) -> ir.Table:
    """This year's enrollments with money recorded from the tax channel (net of reversals), per ID number."""
    payments = tables.payments.filter(tables.payments.channel == "tax")
    allocations = tables.payment_allocations
    money = allocations.join(payments, allocations.payment_id == payments.id)
    per_enrollment = money.group_by(enrollment_id=money.enrollment_id).aggregate(tax_fen=money.amount_fen.sum())
    enrolled = enrolled_in(tables, params.year)
    joined = enrolled.join(per_enrollment, "enrollment_id")
    return joined.filter(joined.tax_fen > 0)


def _tax_list(tables: Tables) -> ir.Table:
    rows = listed(tables, "tax_payments")
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
    return finding(
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
    return finding(
        found,
        "tax_missing",
        **person(found),
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
