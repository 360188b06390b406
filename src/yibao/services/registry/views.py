"""What the use cases return: plain, validated records the API serialises and the web pages render.

ID numbers are masked here unless the principal may see them whole (see :mod:`yibao.services.access`).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy.orm import object_session

from yibao.adapters.db.tables import AuditEntry, Enrollment, Resident
from yibao.domain import idnumber
from yibao.domain.errors import YibaoError
from yibao.domain.policy.rules import fired
from yibao.domain.states import EnrollmentState
from yibao.domain.vocabulary import CATEGORIES
from yibao.services.access import Permission, Principal
from yibao.services.policy.plans import get_policy


class AreaView(BaseModel):
    code: str
    name: str
    level: str
    parent_code: str | None = None


class OrganizationView(BaseModel):
    id: int
    name: str
    kind: str
    township_code: str
    township_name: str


class ClauseView(BaseModel):
    rule: str
    section: str | None
    text: str | None
    assumptions: list[str]


class AssumptionView(BaseModel):
    id: str
    statement: str


class EnrollmentView(BaseModel):
    id: int
    resident_id: int
    household_id: int | None
    insurance_year: int
    insurance_type: str
    policy_id: str
    policy_hash: str
    township_code: str
    channel: str
    organization_id: int | None
    state: str
    category: str | None
    tier: str | None
    benefit_tier: str | None
    financing_total_fen: int | None
    government_subsidy_fen: int | None
    assisted_subsidy_fen: int | None
    individual_due_fen: int | None
    assisted_by_payer_fen: dict[str, int]
    payer_names: dict[str, str] = Field(description="each payer of assisted_by_payer_fen by the plan's own name")
    benefit_start: date | None
    benefit_end: date | None
    registered_at: datetime
    assessed_at: datetime | None
    clauses: list[ClauseView]
    assumptions: list[AssumptionView]
    # What a clerk reads for the codes above: the plan's own names of its tiers, the category's and state's.
    policy_name: str | None = None
    state_name: str | None = None
    category_name: str | None = None
    tier_name: str | None = None
    benefit_tier_name: str | None = None

    @property
    def cited(self) -> list[tuple[str, str]]:
        """The plan's sentences behind the figures, each once, as a clerk reads them: several rules often rest on
        the same sentence (a tier's contribution and its subsidy on one row of the plan's table)."""
        return list(dict.fromkeys((c.section or "", c.text) for c in self.clauses if c.text))


class IdentityView(BaseModel):
    identity: str
    source: str  # the certifying department (民政 …), or 柜台 / 名册 for a claim
    certified: bool  # false: a claim, provisional until a department's list confirms it
    evidence: str | None = None  # a claim's certificate as the clerk saw it
    valid_from: date | None
    valid_to: date | None


class MemberView(BaseModel):
    resident_id: int
    name: str
    id_number: str
    relation: str


class HouseholdView(BaseModel):
    id: int
    township_code: str
    village_code: str | None
    number: str | None
    address: str | None
    members: list[MemberView]
    members_elsewhere: int = 0  # members registered outside the reader's area: counted, not shown


class ResidentSummary(BaseModel):
    id: int
    name: str
    id_number: str
    sex: str
    birth_date: date
    township_code: str
    township_name: str
    village_code: str | None
    household_id: int | None
    survival_status: str
    # What a search shows beside each person (filled by the search; None elsewhere)
    village_name: str | None = None
    household_number: str | None = None  # 户号 as typed at registration
    enrollment_year: int | None = None  # the latest year the person is enrolled in (not cancelled)
    enrollment_state: str | None = None
    enrollment_state_name: str | None = None


class ResidentDetail(ResidentSummary):
    version: int
    cert_type: str
    ethnicity: str | None
    residency: str
    phone: str | None
    address: str | None
    identities: list[IdentityView]
    enrollments: list[EnrollmentView]
    household: HouseholdView | None


class AuditView(BaseModel):
    id: int
    at: datetime
    actor: str
    action: str
    entity: str
    entity_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    actor_name: str | None = None  # the user's display name, where the actor is one
    sentence: str | None = None  # what happened, in Chinese (services.registry.audit_text)


class ResidentPage(BaseModel):
    total: int
    offset: int
    items: list[ResidentSummary]


class EnrollmentPage(BaseModel):
    total: int
    offset: int
    items: list[EnrollmentView]


def shown_id(principal: Principal, number: str) -> str:
    return number if principal.may(Permission.SEE_FULL_ID) else idnumber.mask(number)


def shown_phone(principal: Principal, phone: str | None) -> str | None:
    """A phone as the reader may see it: whole for those who see whole ID numbers (they call people), else masked
    as an ID number is and as the exports mask it (138****2222) — an inspector checks that a phone is on record,
    not whom to call."""
    if phone is None or principal.may(Permission.SEE_FULL_ID):
        return phone
    return idnumber.mask(phone)


def enrollment_view(enrollment: Enrollment) -> EnrollmentView:
    clauses: list[ClauseView] = []
    assumptions: list[AssumptionView] = []
    payers = enrollment.assisted_by_payer_fen or {}
    payer_names = {key: key for key in payers}
    try:
        policy = get_policy(enrollment.policy_id, object_session(enrollment))
    except YibaoError:  # a frozen assessment outlives the policy file it came from (POLICY_UNKNOWN)
        policy = None
    tiers = {key: tier.name for key, tier in policy.tiers.items()} if policy is not None else {}
    if (enrollment.rules or payers) and policy is not None:
        payer_names = {key: policy.payers[key].name if key in policy.payers else key for key in payers}
        clauses = [
            ClauseView(
                rule=rule.id,
                section=rule.clause.section if rule.clause else None,
                text=rule.clause.text if rule.clause else None,
                assumptions=rule.assumptions,
            )
            for rule in fired(policy, enrollment.rules)
        ]
        known = {assumption.id: assumption for assumption in policy.assumptions}
        assumptions = [
            AssumptionView(id=key, statement=known[key].statement) for key in enrollment.assumptions if key in known
        ]
    return EnrollmentView(
        id=enrollment.id,
        resident_id=enrollment.resident_id,
        household_id=enrollment.household_id,
        insurance_year=enrollment.insurance_year,
        insurance_type=enrollment.insurance_type,
        policy_id=enrollment.policy_id,
        policy_hash=enrollment.policy_hash,
        township_code=enrollment.township_code,
        channel=enrollment.channel,
        organization_id=enrollment.organization_id,
        state=enrollment.state,
        category=enrollment.category,
        tier=enrollment.tier,
        benefit_tier=enrollment.benefit_tier,
        financing_total_fen=enrollment.financing_total_fen,
        government_subsidy_fen=enrollment.government_subsidy_fen,
        assisted_subsidy_fen=enrollment.assisted_subsidy_fen,
        individual_due_fen=enrollment.individual_due_fen,
        assisted_by_payer_fen=payers,
        payer_names=payer_names,
        benefit_start=enrollment.benefit_start,
        benefit_end=enrollment.benefit_end,
        registered_at=enrollment.registered_at,
        assessed_at=enrollment.assessed_at,
        clauses=clauses,
        assumptions=assumptions,
        policy_name=policy.name if policy is not None else None,
        state_name=EnrollmentState(enrollment.state).zh,
        category_name=CATEGORIES.get(enrollment.category or "", enrollment.category),
        tier_name=tiers.get(enrollment.tier or "", enrollment.tier),
        benefit_tier_name=tiers.get(enrollment.benefit_tier or "", enrollment.benefit_tier),
    )


def resident_summary(
    principal: Principal, resident: Resident, township_name: str, household_id: int | None
) -> ResidentSummary:
    return ResidentSummary(
        id=resident.id,
        name=resident.name,
        id_number=shown_id(principal, resident.id_number),
        sex=resident.sex,
        birth_date=resident.birth_date,
        township_code=resident.township_code,
        township_name=township_name,
        village_code=resident.village_code,
        household_id=household_id,
        survival_status=resident.survival_status,
    )


def audit_view(entry: AuditEntry) -> AuditView:
    return AuditView(
        id=entry.id,
        at=entry.at,
        actor=entry.actor,
        action=entry.action,
        entity=entry.entity,
        entity_id=entry.entity_id,
        before=entry.before,
        after=entry.after,
    )


class EnrolledMemberView(BaseModel):
    resident_id: int
    name: str
    id_number: str
    relation: str
    enrollment: EnrollmentView
    pending_identities: list[str] = []  # claimed, not yet certified by a department's list
    pending_note: str | None = None  # what the plan does with such a claim, as the clerk is told


class EnrolledHouseholdView(BaseModel):
    household_id: int
    township_code: str
    members: list[EnrolledMemberView]
    individual_due_total_fen: int
