"""Use cases: quote what a resident owes and from when they are covered; estimate a reimbursement.

Both run the vectorized engine on a one-row frame, so a counter quote and a million-row bulk assessment can
never disagree. The output dictionaries are a published contract (see docs/cli.md): add keys, never rename.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import polars as pl

from yibao.domain import idnumber
from yibao.domain.engine import fired
from yibao.domain.engine.assess import assess
from yibao.domain.engine.reasons import reason_text
from yibao.domain.engine.reimburse import reimburse as reimburse_claims
from yibao.domain.errors import YibaoError, message_for
from yibao.domain.policy import Policy
from yibao.domain.policy.model import ServiceRule
from yibao.domain.policy.rules import assumptions_of, policy_span
from yibao.domain.policy.rules import fired as resolve_rules
from yibao.domain.timeutil import as_shanghai
from yibao.domain.vocabulary import CATEGORIES, CHANNELS, IDENTITIES, RESIDENCIES, SERVICES, SETTINGS
from yibao.services.policy.plans import get_policy

if TYPE_CHECKING:  # a quote on a bundled plan never opens a database: SQLAlchemy is not loaded for it
    from sqlalchemy.orm import Session


@dataclass(frozen=True)
class QuoteRequest:
    policy_id: str
    id_number: str
    registered_at: datetime
    paid_at: datetime | None = None
    category: str | None = None
    tier: str | None = None
    identities: tuple[str, ...] = ()
    employee_insurance_ended: date | None = None
    channel: str | None = None
    residency: str | None = None


@dataclass(frozen=True)
class ReimburseRequest:
    policy_id: str
    benefit_tier: str
    service: str
    hospital_level: str
    expense_fen: int
    ytd_reimbursed_fen: int = 0
    ytd_deductible_paid_fen: int | None = None
    identities: tuple[str, ...] = field(default_factory=tuple)
    # Where the claim arose: None at a hospital; "pharmacy" (hospital_level is then the prescribing
    # institution's), "emergency_observation" (留观 before admission) — as the plan's settings say.
    setting: str | None = None


def _check_choice(code: str, value: str | None, allowed: dict[str, str] | list[str], **params: Any) -> None:
    if value is not None and value not in allowed:
        raise YibaoError(code, field=code.split("_")[0].lower(), value=value, allowed=", ".join(allowed), **params)


def _validate(policy: Policy, request: QuoteRequest) -> idnumber.ResidentId:
    registered_at = as_shanghai(request.registered_at)
    resident = idnumber.parse(request.id_number, on=registered_at.date())
    _check_choice("CATEGORY_UNKNOWN", request.category, list(policy.categories))
    _check_choice("TIER_UNKNOWN", request.tier, list(policy.tiers), policy=policy.id)
    _check_choice("CHANNEL_UNKNOWN", request.channel, CHANNELS)
    _check_choice("RESIDENCY_UNKNOWN", request.residency, RESIDENCIES)
    for identity in request.identities:
        _check_choice("IDENTITY_UNKNOWN", identity, IDENTITIES)
    span = policy_span(policy)
    for what, moment in (("登记日期", registered_at), ("缴费时间", request.paid_at)):
        if moment is not None and not span.start <= as_shanghai(moment) <= span.end:
            raise YibaoError(
                "DATE_OUTSIDE_POLICY",
                field="as_of" if what == "登记日期" else "paid_at",
                what=what,
                value=as_shanghai(moment).isoformat(),
                policy=policy.id,
                start=span.start.date().isoformat(),
                end=span.end.date().isoformat(),
            )
    if request.paid_at is not None and as_shanghai(request.paid_at) < registered_at:
        raise YibaoError(
            "PAID_BEFORE_REGISTERED",
            field="paid_at",
            paid=as_shanghai(request.paid_at).isoformat(),
            registered=registered_at.isoformat(),
        )
    return resident


def _rules_and_assumptions(policy: Policy, rule_ids: list[str]) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    rules = [
        {
            "id": rule.id,
            "clause": rule.clause.model_dump() if rule.clause else None,
            "assumptions": rule.assumptions,
        }
        for rule in resolve_rules(policy, rule_ids)
    ]
    assumptions = [assumption.model_dump() for assumption in assumptions_of(policy, rule_ids)]
    return rules, assumptions


def quote(request: QuoteRequest, session: Session | None = None) -> dict[str, Any]:
    """What one resident owes under a policy, who pays the rest, and when cover runs.

    Raises :class:`YibaoError` for bad input (ID number, unknown policy/tier/category, a date the policy does
    not cover). Not being eligible is an answer (``eligible: false`` with a reason), not an error. A plan a
    bureau stored is found through ``session``.
    """
    policy = get_policy(request.policy_id, session)
    resident = _validate(policy, request)
    frame = pl.DataFrame(
        {
            "id_number": [resident.number],
            "registered_at": [as_shanghai(request.registered_at)],
            "paid_at": [as_shanghai(request.paid_at) if request.paid_at else None],
            "category": [request.category],
            "tier": [request.tier],
            "identities": [list(request.identities)],
            "employee_insurance_ended": [request.employee_insurance_ended],
            "channel": [request.channel],
            "residency": [request.residency],
        },
        schema_overrides={"identities": pl.List(pl.String)},
    )
    row = assess(policy, frame).row(0, named=True)
    rule_ids = fired.decode(policy, [row[name] for name in fired.mask_names(policy)])
    rules, assumptions = _rules_and_assumptions(policy, rule_ids)
    reason_zh, reason_en = reason_text(row["reason"]) if row["reason"] else (None, None)
    extras = {extra.id: extra for extra in policy.benefit_period.extras}
    return {
        "policy": policy.id,
        "id_number_masked": resident.masked,
        "birth_date": resident.birth_date.isoformat(),
        "sex": resident.sex.value,
        "age": row["age"],
        "eligible": row["eligible"],
        "reason_code": row["reason"],
        "reason": reason_zh,
        "reason_en": reason_en,
        "path": row["path"],
        "late": row["path"] == "late",
        "category": row["category"],
        "tier": row["tier"],
        "benefit_tier": row["benefit_tier"],
        # the names a person reads (the codes above are for other systems): the plan's own tier names
        "category_name": CATEGORIES.get(row["category"] or "", row["category"]),
        "tier_name": policy.tiers[row["tier"]].name if row["tier"] in policy.tiers else row["tier"],
        "benefit_tier_name": (
            policy.tiers[row["benefit_tier"]].name if row["benefit_tier"] in policy.tiers else row["benefit_tier"]
        ),
        "payer_names": {key: payer.name for key, payer in policy.payers.items()},
        "assisted_group_name": next(
            (group.name for group in policy.assisted.groups if group.id == row["assisted_group"]), None
        ),
        "policy_name": policy.name,
        "financing_total_fen": row["financing_total_fen"],
        "government_subsidy_fen": row["government_subsidy_fen"],
        "assisted_group": row["assisted_group"],
        "assisted_subsidy_fen": row["assisted_subsidy_fen"],
        "assisted_by_payer_fen": {
            payer: row[f"assisted_fen__{payer}"]
            for payer in policy.payers
            if row["eligible"] and row[f"assisted_fen__{payer}"]
        },
        "individual_due_fen": row["individual_due_fen"],
        "benefit_start": row["benefit_start"].isoformat() if row["benefit_start"] else None,
        "benefit_end": row["benefit_end"].isoformat() if row["benefit_end"] else None,
        "extra_benefit_periods": [
            {
                "id": key,
                "name": extras[key].name,
                "start": extras[key].start.isoformat(),
                "end": extras[key].end.isoformat(),
            }
            for key in row["extra_benefit_periods"]
        ],
        "rules": rules,
        "assumptions": assumptions,
        "warnings": [
            {"code": warning.code, "message": message_for(warning.code, **warning.params)[0]}
            for warning in resident.warnings
        ],
    }


def reimburse(request: ReimburseRequest, session: Session | None = None) -> dict[str, Any]:
    """Estimate what the fund pays for one claim. Raises :class:`YibaoError` for input the policy cannot take."""
    policy = get_policy(request.policy_id, session)
    _check_choice("SERVICE_UNKNOWN", request.service, SERVICES)
    if request.hospital_level not in ("1", "2", "3"):
        raise YibaoError("HOSPITAL_LEVEL_INVALID", field="hospital_level", value=request.hospital_level)
    for name in ("expense_fen", "ytd_reimbursed_fen", "ytd_deductible_paid_fen"):
        value = getattr(request, name)
        if value is not None and value < 0:
            raise YibaoError("AMOUNT_INVALID", field=name, value=value)
    for identity in request.identities:
        _check_choice("IDENTITY_UNKNOWN", identity, IDENTITIES)
    setting_rules: list[str] = []
    setting = request.setting
    if setting is not None:
        _check_choice("SETTING_UNKNOWN", setting, SETTINGS)
        setting_rule = policy.reimbursement.settings.get(setting)  # type: ignore[call-overload]
        if setting_rule is None:
            return _not_covered(policy.id, request, f"{SETTINGS[setting]}的报销")
        if setting_rule.follows == "inpatient":
            request = replace(request, service="inpatient")
        elif request.service == "inpatient":
            raise YibaoError("SETTING_SERVICE", field="service", setting=SETTINGS[setting])
        setting_rules.append(f"reimbursement.setting.{setting}")
    rule = policy.reimbursement.services.get(request.service)  # type: ignore[call-overload]
    if rule is None:
        return _not_covered(policy.id, request, f"{SERVICES[request.service]}的报销")
    allowed_tiers = list(rule.ratios.by_benefit_tier)
    if request.benefit_tier not in allowed_tiers:
        raise YibaoError(
            "BENEFIT_TIER_UNKNOWN",
            field="benefit_tier",
            policy=policy.id,
            value=request.benefit_tier,
            allowed=", ".join(allowed_tiers),
        )
    claim = pl.DataFrame(
        {
            "benefit_tier": [request.benefit_tier],
            "service": [request.service],
            "hospital_level": [request.hospital_level],
            "expense_fen": [request.expense_fen],
            "ytd_reimbursed_fen": [request.ytd_reimbursed_fen],
            "ytd_deductible_paid_fen": [request.ytd_deductible_paid_fen],
        },
        schema_overrides={"ytd_deductible_paid_fen": pl.Int64},
    )
    row = reimburse_claims(policy, claim).row(0, named=True)
    rules, assumptions = _rules_and_assumptions(policy, [*setting_rules, *row["rules"]])
    answer = {
        "policy": policy.id,
        "service": request.service,
        "setting": request.setting,
        "benefit_tier": request.benefit_tier,
        "hospital_level": int(request.hospital_level),
        "expense_fen": request.expense_fen,
        "computed": row["computed"],
        "deductible_fen": row["deductible_fen"],
        "ratio": row["ratio"],
        "cap_fen": row["cap_fen"],
        "capped": row["capped"],
        "reimbursed_fen": row["reimbursed_fen"],
        "self_paid_fen": request.expense_fen - row["reimbursed_fen"] if row["computed"] else None,
        "rules": rules,
        "assumptions": assumptions,
    }
    if not row["computed"]:
        # An answer, not an error: the plan gives the ratio but not what the sum needs, and a figure computed
        # without it would be too high.
        answer.update(_silence(policy.id, request.service, rule))
    return answer


def _not_covered(policy_id: str, request: ReimburseRequest, what: str) -> dict[str, Any]:
    """A service (or a setting) the plan says nothing of: an answer that computes nothing (as for a silent
    deductible)."""
    return {
        "policy": policy_id,
        "service": request.service,
        "setting": request.setting,
        "benefit_tier": request.benefit_tier,
        "hospital_level": int(request.hospital_level),
        "expense_fen": request.expense_fen,
        "computed": False,
        **dict.fromkeys(("deductible_fen", "ratio", "cap_fen", "reimbursed_fen", "self_paid_fen")),
        "capped": False,
        "rules": [],
        "assumptions": [],
        "code": "POLICY_SILENT",
        "message": message_for("POLICY_SILENT", policy=policy_id, what=what)[0],
        "silent_on": ["setting" if request.setting else "service"],
    }


def _silence(policy_id: str, service: str, rule: ServiceRule) -> dict[str, Any]:
    names = {"deductible": "起付标准", "cap": "最高支付限额"}
    what = f"{SERVICES[service]}的" + "和".join(names[name] for name in rule.silent_on)
    notes = [getattr(rule, name).note for name in rule.silent_on if getattr(rule, name).note]
    message = message_for("POLICY_SILENT", policy=policy_id, what=what)[0]
    return {
        "code": "POLICY_SILENT",
        "message": message + ("（" + "；".join(dict.fromkeys(notes)) + "）" if notes else ""),
        "silent_on": rule.silent_on,
    }
