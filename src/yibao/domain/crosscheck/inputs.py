"""What the cross-check rules (:mod:`yibao.domain.crosscheck.rules`) are written over: the input tables of one
Ibis backend, the year's parameters, the columns of a finding, and the building blocks the rules share (this
year's enrollees, the known dead, the certified identities, the people not enrolled)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date

import ibis
import ibis.expr.types as ir

from yibao.domain.certification import CLAIM_SOURCES
from yibao.domain.states import ASSESSED_ENROLLMENTS, EnrollmentState

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

ADULT_AGE = 18  # 年满十八周岁的按照成年居民身份办理参保登记 (滕州 2019, 荆河街道; the plans agree)
ASSESSED_STATES = tuple(state.code for state in ASSESSED_ENROLLMENTS)  # plain text: Ibis types no enum


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


def finding(table: ir.Table, kind: str, **values: ir.Value | None) -> ir.Table:
    """The rows of ``table`` as findings: each column from ``values``, typed nulls where a rule has none."""
    columns = {"kind": ibis.literal(kind)}
    for name, dtype in FINDING_COLUMNS.items():
        if name == "kind":
            continue
        value = values.get(name)
        columns[name] = (ibis.null().cast(dtype) if value is None else value.cast(dtype)).name(name)
    return table.select(**columns)


def person(table: ir.Table) -> dict[str, ir.Value]:
    """A finding's person columns from a table shaped like :func:`enrolled_in`'s."""
    return {name: table[name] for name in ("id_number", "name", "resident_id", "township_code", "village_code")}


def age_on(birth: ir.DateValue, on: date) -> ir.IntegerValue:
    not_yet = (birth.month() * 100 + birth.day()) > (on.month * 100 + on.day)
    return (on.year - birth.year()) - not_yet.ifelse(1, 0)


def listed(tables: Tables, kind: str) -> ir.Table:
    return tables.reference.filter(tables.reference.kind == kind)


def first_per_person(rows: ir.Table, order: str) -> ir.Table:
    """One row per ID number: the one with the least ``order`` (then the least list): deterministic on every
    engine, unlike an arbitrary pick."""
    ranked = rows.mutate(
        _rank=ibis.row_number().over(ibis.window(group_by=rows.id_number, order_by=[rows[order], rows.list_id]))
    )
    return ranked.filter(ranked._rank == 0).drop("_rank")


def live_enrollments(tables: Tables, year: int) -> ir.Table:
    enrollments = tables.enrollments
    return enrollments.filter(
        (enrollments.insurance_year == year) & (enrollments.state != EnrollmentState.CANCELLED.code)
    )


def enrolled_in(tables: Tables, year: int) -> ir.Table:
    """The ID numbers with a live enrollment in ``year``, with the enrollment and the resident."""
    live = live_enrollments(tables, year)
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


def known_deaths(tables: Tables, params: Params) -> ir.Table:
    deaths = listed(tables, "deaths")
    return first_per_person(deaths.filter(deaths.event_date <= params.as_of), "event_date")


def reasons_recorded(tables: Tables, year: int) -> ir.Table:
    reasons = tables.reasons
    return reasons.filter((reasons.insurance_year == year) & ~reasons.withdrawn).select("id_number").distinct()


def certified(tables: Tables, params: Params) -> ir.Table:
    """Identity flags a department certified (a counter's or a roster's claim is not: see
    :mod:`yibao.domain.certification`), of the identities the plan subsidises."""
    flags = tables.identity_flags
    return flags.filter(flags.identity.isin(params.subsidised_identities) & ~flags.source.isin(CLAIM_SOURCES))


def flags_in_year(tables: Tables, params: Params) -> ir.Table:
    flags = certified(tables, params)
    return flags.filter(
        (flags.valid_from.isnull() | (flags.valid_from <= params.year_end))
        & (flags.valid_to.isnull() | (flags.valid_to >= params.year_start))
    )


def not_enrolled(tables: Tables, params: Params, people: ir.Table) -> ir.Table:
    """``people`` (with id_number) less those enrolled this year, with a reason on record, or known dead."""
    enrolled = enrolled_in(tables, params.year).select("id_number")
    reasons = reasons_recorded(tables, params.year)
    dead = known_deaths(tables, params).select("id_number")
    residents = tables.residents
    deceased_here = residents.filter(residents.survival_status == "deceased").select("id_number")
    return (
        people.anti_join(enrolled, "id_number")
        .anti_join(reasons, "id_number")
        .anti_join(dead, "id_number")
        .anti_join(deceased_here, "id_number")
    )
