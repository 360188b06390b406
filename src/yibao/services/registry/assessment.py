"""Assessing stored enrollments with the policy engine, and freezing the result on the enrollment row.

One frame in, one frame out: a counter household of four and a township's ten thousand renewals go through the
same vectorized :func:`~yibao.domain.engine.assess.assess`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import polars as pl
from sqlalchemy import or_, select, true, update

from yibao.adapters.db.tables import Enrollment, IdentityFlag, Resident
from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.domain.certification import CLAIM_SOURCES
from yibao.domain.engine import fired
from yibao.domain.engine.assess import assess
from yibao.domain.engine.inputs import RESIDENT_SCHEMA
from yibao.domain.policy import Policy
from yibao.domain.policy.rules import assumptions_of
from yibao.domain.states import EnrollmentState
from yibao.domain.timeutil import as_shanghai
from yibao.services.policy.plans import get_policy, policy_digest
from yibao.services.registry.assessment_group import AssessmentGroup

# States whose figures may still be recomputed: once a notice is out or money is in, the assessment stands.


GROUPED_MAX_ROWS = 64


@dataclass(frozen=True)
class AssessInput:
    id_number: str
    registered_at: datetime
    category: str | None
    tier: str | None
    identities: tuple[str, ...]
    channel: str | None
    paid_at: datetime | None = None  # None: as if paid when registered (what a notice is computed on)
    residency: str | None = None  # None: local hukou


def assess_inputs(policy: Policy, inputs: list[AssessInput]) -> list[dict[str, Any]]:
    """One result per input, in order. A few rows (a counter household) join other requests' rows in one engine
    run (see :mod:`~yibao.services.registry.assessment_group`); a township's thousands run at once, in the
    caller's thread."""
    if len(inputs) <= GROUPED_MAX_ROWS:
        return _group.assess(policy, inputs)
    return _assess_now(policy, inputs)


def _assess_now(policy: Policy, inputs: list[AssessInput]) -> list[dict[str, Any]]:
    # Built from rows: for a counter household that costs a fifth of building it from columns.
    frame = pl.DataFrame(
        [tuple(map(row.get, RESIDENT_SCHEMA)) for row in map(_resident_row, inputs)],
        schema=RESIDENT_SCHEMA,
        orient="row",
    )
    return list(assess(policy, frame).iter_rows(named=True))


_group = AssessmentGroup(_assess_now)


def _resident_row(item: AssessInput) -> dict[str, Any]:
    """The engine's input columns for one resident; those left out are null (see RESIDENT_SCHEMA)."""
    return {
        "id_number": item.id_number,
        "registered_at": as_shanghai(item.registered_at),
        "paid_at": as_shanghai(item.paid_at) if item.paid_at else None,
        "category": item.category,
        "tier": item.tier,
        "identities": list(item.identities),
        "channel": item.channel,
        "residency": item.residency,
    }


def frozen_fields(policy: Policy, result: dict[str, Any]) -> dict[str, Any]:
    """The enrollment columns an eligible result sets: figures, cover dates, and the rules behind them."""
    rule_ids = fired.decode(policy, [result[name] for name in fired.mask_names(policy)])
    return {
        "policy_id": policy.id,
        "policy_hash": policy_digest(policy),
        "category": result["category"],
        "tier": result["tier"],
        "benefit_tier": result["benefit_tier"],
        "financing_total_fen": result["financing_total_fen"],
        "government_subsidy_fen": result["government_subsidy_fen"],
        "assisted_subsidy_fen": result["assisted_subsidy_fen"],
        "individual_due_fen": result["individual_due_fen"],
        "assisted_by_payer_fen": {
            payer: result[f"assisted_fen__{payer}"] for payer in policy.payers if result[f"assisted_fen__{payer}"]
        },
        "benefit_start": result["benefit_start"],
        "benefit_end": result["benefit_end"],
        "rules": rule_ids,
        "assumptions": [assumption.id for assumption in assumptions_of(policy, rule_ids)],
    }


def frozen_columns(policy: Policy, results: pl.DataFrame) -> pl.DataFrame:
    """:func:`frozen_fields` for a whole frame of engine results, the JSON columns as text ready to store.

    Rules, assumptions and payers are decoded once per distinct combination (a plan yields a few dozen), not per
    row: a million results cost one join."""
    masks = fired.mask_names(policy)
    payer_columns = [f"assisted_fen__{payer}" for payer in policy.payers]
    keys = [*masks, *payer_columns]
    encoded: dict[str, list[Any]] = {key: [] for key in [*keys, "rules", "assumptions", "assisted_by_payer_fen"]}
    for row in results.select(keys).unique().iter_rows(named=True):
        rule_ids = fired.decode(policy, [row[name] for name in masks])
        for key in keys:
            encoded[key].append(row[key])
        encoded["rules"].append(json.dumps(rule_ids))
        encoded["assumptions"].append(json.dumps([item.id for item in assumptions_of(policy, rule_ids)]))
        payers = {payer: row[f"assisted_fen__{payer}"] for payer in policy.payers if row[f"assisted_fen__{payer}"]}
        encoded["assisted_by_payer_fen"].append(json.dumps(payers))
    schema = {key: results.schema[key] for key in keys} | dict.fromkeys(
        ("rules", "assumptions", "assisted_by_payer_fen"), pl.String
    )
    lookup = pl.DataFrame(encoded, schema=schema)
    return results.join(lookup, on=keys, how="left", nulls_equal=True, maintain_order="left").select(
        pl.lit(policy.id).alias("policy_id"),
        pl.lit(policy_digest(policy)).alias("policy_hash"),
        "category",
        "tier",
        "benefit_tier",
        "financing_total_fen",
        "government_subsidy_fen",
        "assisted_subsidy_fen",
        "individual_due_fen",
        "assisted_by_payer_fen",
        "benefit_start",
        "benefit_end",
        "rules",
        "assumptions",
    )


def inputs_of_rows(uow: UnitOfWork, policy: Policy, rows: Sequence[Any]) -> list[AssessInput]:
    """The engine's input for stored enrollment rows (``resident_id, id_number, residency, registered_at, category,
    tier, channel``), with the identities valid on the day each registered — one lookup per registration day,
    not per person — counted as the plan says a claim counts."""
    by_day: dict[date, list[int]] = {}
    for row in rows:
        by_day.setdefault(as_shanghai(row.registered_at).date(), []).append(row.resident_id)
    identities: dict[int, tuple[str, ...]] = {}
    for day, resident_ids in by_day.items():
        identities.update(identities_on(uow, resident_ids, day, claims=policy.assisted.claims_subsidised))
    return [
        AssessInput(
            row.id_number,
            row.registered_at,
            row.category,
            row.tier,
            identities.get(row.resident_id, ()),
            row.channel,
            residency=row.residency,
        )
        for row in rows
    ]


def identities_on(
    uow: UnitOfWork, resident_ids: list[int], on: date, *, claims: bool = True
) -> dict[int, tuple[str, ...]]:
    """Identity flags valid on a day, per resident: what a department had certified at registration, and the
    claims not yet decided where ``claims`` (the plan's ``assisted.claims_subsidised``) says they count."""
    found: dict[int, list[str]] = {}
    for chunk_start in range(0, len(resident_ids), 5000):
        chunk = resident_ids[chunk_start : chunk_start + 5000]
        rows = uow.session.execute(
            select(IdentityFlag.resident_id, IdentityFlag.identity).where(
                IdentityFlag.resident_id.in_(chunk),
                or_(IdentityFlag.valid_from.is_(None), IdentityFlag.valid_from <= on),
                or_(IdentityFlag.valid_to.is_(None), IdentityFlag.valid_to >= on),
                true() if claims else IdentityFlag.source.not_in(CLAIM_SOURCES),
            )
        )
        for resident_id, identity in rows:
            found.setdefault(resident_id, []).append(identity)
    return {key: tuple(sorted(set(values))) for key, values in found.items()}


def summary(enrollment: Enrollment) -> dict[str, Any]:
    """What the audit log keeps of an enrollment: enough to rebuild its history."""
    return {
        "resident_id": enrollment.resident_id,
        "insurance_year": enrollment.insurance_year,
        "policy_id": enrollment.policy_id,
        "township_code": enrollment.township_code,
        "channel": enrollment.channel,
        "organization_id": enrollment.organization_id,
        "state": enrollment.state,
        "category": enrollment.category,
        "tier": enrollment.tier,
        "benefit_tier": enrollment.benefit_tier,
        "individual_due_fen": enrollment.individual_due_fen,
        "assisted_subsidy_fen": enrollment.assisted_subsidy_fen,
        "assisted_by_payer_fen": enrollment.assisted_by_payer_fen,
        "benefit_start": enrollment.benefit_start.isoformat() if enrollment.benefit_start else None,
        "benefit_end": enrollment.benefit_end.isoformat() if enrollment.benefit_end else None,
    }


def reassess(uow: UnitOfWork, enrollment: Enrollment, resident: Resident, *, recompute_category: bool = False) -> None:
    """Recompute one enrollment under its policy; an enrollment that is no longer eligible stays ``registered``.

    After an ID number correction the age may differ, so an age-derived category (adult, child, newborn) is
    derived again; "student" is a fact of schooling, not of age, and is kept.
    """
    policy = get_policy(enrollment.policy_id, uow.session)
    identities = identities_on(
        uow, [resident.id], enrollment.registered_at.date(), claims=policy.assisted.claims_subsidised
    ).get(resident.id, ())

    def run(category: str | None, tier: str | None) -> dict[str, Any]:
        item = AssessInput(
            resident.id_number,
            enrollment.registered_at,
            category,
            tier,
            identities,
            enrollment.channel,
            residency=resident.residency,
        )
        return assess_inputs(policy, [item])[0]

    if recompute_category and enrollment.category != "student":
        result = run(None, enrollment.tier)
        if result["category"] != enrollment.category:
            result = run(None, None)  # a new category: last tier choice was among another category's tiers
    else:
        result = run(enrollment.category, enrollment.tier)
    before = summary(enrollment)
    if result["eligible"]:
        for key, value in frozen_fields(policy, result).items():
            setattr(enrollment, key, value)
        enrollment.state = EnrollmentState.ASSESSED
        enrollment.assessed_at = uow.now
    else:
        enrollment.state = EnrollmentState.REGISTERED
        enrollment.individual_due_fen = None
    uow.session.flush()
    uow.audit("assess", "enrollment", enrollment.id, before, summary(enrollment) | {"reason": result["reason"]})


def reassess_enrollments(uow: UnitOfWork, enrollment_ids: list[int]) -> int:
    """Assess again, in one engine run per policy, enrollments whose people's identities changed (a department
    list); the caller passes only re-assessable ones. As :func:`reassess`: eligible ones take the new figures,
    the others fall back to ``registered``. Returns how many were assessed."""
    rows: list[Any] = []
    for start in range(0, len(enrollment_ids), 5000):
        rows += uow.session.execute(
            select(
                Enrollment.id,
                Enrollment.resident_id,
                Enrollment.policy_id,
                Resident.id_number,
                Resident.residency,
                Enrollment.registered_at,
                Enrollment.category,
                Enrollment.tier,
                Enrollment.channel,
            )
            .join(Resident, Resident.id == Enrollment.resident_id)
            .where(Enrollment.id.in_(enrollment_ids[start : start + 5000]))
        ).all()
    assessed = 0
    for policy_id in sorted({row.policy_id for row in rows}):
        policy = get_policy(policy_id, uow.session)
        mine = [row for row in rows if row.policy_id == policy_id]
        inputs = inputs_of_rows(uow, policy, mine)
        updates = []
        for row, result in zip(mine, assess_inputs(policy, inputs), strict=True):
            if result["eligible"]:
                updates.append(
                    {"id": row.id, "state": EnrollmentState.ASSESSED, "assessed_at": uow.now}
                    | frozen_fields(policy, result)
                )
                assessed += 1
            else:
                updates.append({"id": row.id, "state": EnrollmentState.REGISTERED, "individual_due_fen": None})
        uow.session.execute(update(Enrollment), updates)
        for item in updates:
            after = {
                key: value for key, value in item.items() if key not in ("id", "assessed_at", "rules", "assumptions")
            }
            for key in ("benefit_start", "benefit_end"):
                if after.get(key) is not None:
                    after[key] = after[key].isoformat()
            uow.audit("assess", "enrollment", item["id"], None, after | {"reason": "identity_list"})
    return assessed
