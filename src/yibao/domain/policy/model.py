"""The policy model: one plan (实施方案) of one region for one insurance year.

The file is YAML; this module is its schema. Sections follow the questions a township office answers:
who may enroll, when, in which category and tier, with which subsidy paid by whom, from when cover runs,
what is reimbursed, and what the targets are.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field, model_validator

from yibao.domain.policy.checks import check_policy
from yibao.domain.policy.citations import (
    Amount,
    Assumption,
    Cited,
    Count,
    Identifier,
    Ratio,
    Strict,
    TierRef,
)
from yibao.domain.policy.processes import ReasonRegister, Reporting, ReviewChain
from yibao.domain.vocabulary import Category, Channel, Residency, Service, Setting

IdentityCode = Annotated[str, Field(pattern=r"^[a-z0-9_]+$")]


class Document(Strict):
    title: str
    issuer: str
    issued: date | None = Field(default=None, description="null where the published text carries no date")
    reference: str | None = Field(default=None, description="文号, e.g. 津静海政发〔2021〕10号")


class Region(Strict):
    name: str
    code: str = Field(pattern=r"^[0-9]{6}$")
    former_codes: list[str] = Field(default_factory=list, description="codes of abolished predecessors")
    townships: list[Annotated[str, Field(pattern=r"^[0-9]{12}$")]] = Field(
        default_factory=list,
        description="the plan's scope where it is narrower than its district: the 12-digit codes of the townships "
        "or streets it is for (滕州's plan is 荆河街道's); empty: the whole district",
    )


# --- who may enroll -------------------------------------------------------------------------------------


class Residencies(Cited):
    accepted: list[Residency] = Field(min_length=1)


class NonlocalAdmission(Cited):
    """Residents a plan takes whatever their residency: students of local schools, children of its kindergartens."""

    categories: list[Category] = Field(default=["student"], min_length=1)
    channels: list[Channel] | None = Field(
        default=None,
        description="only when enrolled through one of these channels (托幼机构儿童: kindergarten); null: any",
    )


class Eligibility(Strict):
    residency: Residencies
    nonlocal_students: NonlocalAdmission | None = Field(
        default=None, description="students of local schools may enroll (categories default to student)"
    )
    nonlocal_admitted: list[NonlocalAdmission] = Field(
        default_factory=list, description="further groups taken whatever their residency (幼儿园、托儿所的儿童)"
    )
    employee_insurance_excluded: Cited

    @property
    def nonlocal_admissions(self) -> list[NonlocalAdmission]:
        return ([self.nonlocal_students] if self.nonlocal_students is not None else []) + self.nonlocal_admitted


# --- when -----------------------------------------------------------------------------------------------


class Window(Cited):
    id: Identifier
    name: str
    phase: Literal["concentrated", "scattered"] = "concentrated"
    applies_to: list[Literal["registration", "payment"]] = Field(default=["registration", "payment"], min_length=1)
    channels: list[Channel] | Literal["all"] = "all"
    opens: date | datetime
    closes: date | datetime = Field(description="a date runs through the end of that day; a time is inclusive")


class LateEnrollment(Cited):
    accepted: bool
    until: date | None = Field(default=None, description="last day a late payment is taken; default: year end")
    pays_full_financing: bool = Field(default=False, description="the late payer also pays the general subsidy")
    keeps_assisted_subsidy: bool = True
    benefit_starts_days_after_payment: int = Field(default=1, ge=0)


class Period(Strict):
    months: int | None = Field(default=None, ge=1)
    days: int | None = Field(default=None, ge=1)


class NewbornBirths(Cited):
    born_from: date | None = None
    born_to: date | None = None


class NewbornRegistration(Cited):
    anytime: bool = Field(description="may register outside the enrollment window")
    within: Period | None = Field(default=None, description="…but only within this long after birth")


class NewbornBenefit(Cited):
    from_birth_if_paid_within_days: int | None = Field(
        default=None, ge=0, description="null: cover always runs from birth"
    )
    otherwise_starts_days_after_payment: int = Field(default=1, ge=0)
    not_before: date | None = None


class Newborn(Strict):
    births: NewbornBirths
    registration: NewbornRegistration
    benefit: NewbornBenefit


class Continuation(Cited):
    """Continuation from employee insurance (接续): enroll outside the window soon after it ends."""

    within_months: int = Field(ge=1)
    benefit_starts_days_after_payment: int = Field(default=1, ge=0)


# --- how much ---------------------------------------------------------------------------------------------


class Tier(Strict):
    name: str
    individual: Amount
    government_subsidy: Amount
    financing_total: Amount | None = Field(default=None, description="if stated: must equal the two parts")

    @property
    def financing_total_fen(self) -> int:
        return self.individual.fen + self.government_subsidy.fen


class CategoryRule(Cited):
    tiers: list[Identifier] = Field(min_length=1)
    default_tier: TierRef
    benefit_tier: TierRef | None = Field(default=None, description="null: benefits follow the tier paid")
    min_age: Count | None = Field(default=None, description="younger residents may not take this category")


class AgeBand(Strict):
    below: int | None = Field(default=None, ge=1)
    category: Category


class DefaultCategory(Cited):
    """The category of a resident when none is given: newborn rule first, then these bands by age."""

    by_age: list[AgeBand] = Field(min_length=1)


class Payer(Cited):
    name: str


class PayerShare(Strict):
    payer: Identifier
    share: Decimal = Field(gt=0, le=1)


class AgeCondition(Cited):
    min: int | None = Field(default=None, ge=0)
    max: int | None = Field(default=None, ge=0)
    reference_date: date | None = Field(default=None, description="null: the registration date")


class AssistedGroup(Cited):
    id: Identifier
    name: str
    identities: list[IdentityCode] = Field(default_factory=list, description="any of these; empty: by age only")
    age: AgeCondition | None = None
    categories: list[Category] | None = None
    residency: list[Residency] | None = Field(
        default=None, description="only residents of these residencies (嵩明: 具有本市户籍的…); null: any enrolled"
    )
    share: Ratio
    basis_tier: TierRef | None = Field(
        default=None, description="subsidy = share × this tier's individual amount; null: the tier enrolled"
    )
    enrolled_tier: TierRef | None = Field(default=None, description="tier when the resident chose none")
    benefit_tier: TierRef | None = None
    lost_above_basis_tier: Cited | None = Field(
        default=None, description="choosing a dearer tier than the basis loses the subsidy entirely"
    )
    payers: list[PayerShare] = Field(min_length=1)
    payers_basis: Cited


class Precedence(Cited):
    rule: Literal["highest_amount"]


class Claims(Cited):
    """What a special-group identity claimed at the counter or in a roster, and not yet confirmed by a
    department's list, does to the amount due (see :mod:`yibao.domain.certification`)."""

    subsidised: bool = Field(
        description="true: assessed with the claimed identity's subsidy until a department's list decides; "
        "false: assessed without it (the resident pays as anyone else) until a list confirms it"
    )


class Assisted(Strict):
    precedence: Precedence | None = None
    claims: Claims | None = Field(default=None, description="null: a claim is subsidised until decided")
    groups: list[AssistedGroup] = Field(default_factory=list)

    @property
    def claims_subsidised(self) -> bool:
        return self.claims is None or self.claims.subsidised


class BenefitExtra(Cited):
    id: Identifier
    name: str
    start: date
    end: date
    categories: list[Category]
    channels: list[Channel] | None = None


class BenefitPeriod(Cited):
    start: date
    end: date
    extras: list[BenefitExtra] = Field(default_factory=list)


# --- reimbursement ---------------------------------------------------------------------------------------


class NoCap(Cited):
    none: Literal[True]


class Silent(Strict):
    """A value the plan does not give (静海 gives the inpatient ratios, not the deductible or the cap): a
    calculation that needs it answers POLICY_SILENT rather than a figure computed with a guess."""

    silent: Literal[True]
    note: str | None = Field(default=None, description="where the value is to be found, e.g. 以市医保规定为准")


class Deductible(Amount):
    per: Literal["year", "admission", "visit"]


class RatioTable(Cited):
    by_benefit_tier: dict[Identifier, dict[Literal["1", "2", "3"], Decimal]]


class ServiceRule(Strict):
    deductible: Deductible | Silent
    cap: Amount | NoCap | Silent
    ratios: RatioTable

    @property
    def silent_on(self) -> list[str]:
        """What the plan leaves out that a reimbursement needs: ``deductible``, ``cap``."""
        return [name for name in ("deductible", "cap") if isinstance(getattr(self, name), Silent)]


class CriticalIllnessTilt(Cited):
    identities: list[IdentityCode] = Field(min_length=1)
    deductible_share: Decimal = Field(gt=0, le=1)
    ratio_increase: Decimal = Field(ge=0, le=1)
    cap_removed: bool


class SettingRule(Cited):
    """Which rule a claim outside a hospital's own clinic or ward follows (静海: a pharmacy's purchase follows the
    prescribing institution; emergency observation before admission follows the inpatient rule)."""

    follows: Literal["prescribing_institution", "inpatient"]


class Reimbursement(Strict):
    services: dict[Service, ServiceRule] = Field(default_factory=dict)
    settings: dict[Setting, SettingRule] = Field(default_factory=dict)
    critical_illness_tilts: list[CriticalIllnessTilt] = Field(default_factory=list)


# --- targets and reporting -------------------------------------------------------------------------------


class TargetRow(Strict):
    unit: str
    total: int | None = Field(default=None, ge=0)
    general: int | None = Field(default=None, ge=0)
    students: int | None = Field(default=None, ge=0)
    special_groups: int | None = Field(default=None, ge=0)
    includes: list[str] = Field(default_factory=list, description="units with no target of their own")


class StudentsColumn(Cited):
    """Whom a table's students column counts: 在校学生 (蓟州), or with the children (静海: 高中以下学生儿童)."""

    categories: list[Literal["student", "child", "newborn"]] = Field(min_length=1)

    @property
    def counts_children(self) -> bool:
        return "child" in self.categories


class TargetTable(Cited):
    excludes: list[Literal["special_groups", "students"]] = Field(default_factory=list)
    students_column: StudentsColumn | None = Field(default=None, description="null: students in school only")
    rows: list[TargetRow] = Field(min_length=1)
    subtotal: TargetRow | None = None
    institutions: list[TargetRow] = Field(default_factory=list, description="units outside the townships")
    grand_total: TargetRow | None = None
    without_target: list[str] = Field(default_factory=list, description="units listed with no figure (—)")
    without_target_basis: Cited | None = None


class CoverageGoal(Cited):
    id: Identifier
    name: str
    rate: Decimal = Field(gt=0, le=1)
    population: str
    scope: Literal["district", "township"] = "district"
    identities: list[IdentityCode] = Field(default_factory=list)
    base: Literal["register", "statistics"] = Field(
        default="register",
        description="register: the population register's people; statistics: a count per township the bureau "
        "loads (嵩明: 以县统计局统计的农业人口数为准)",
    )


class EnrollmentTotal(Cited):
    persons: int = Field(gt=0)
    by: date


class Targets(Strict):
    total: EnrollmentTotal | None = None
    coverage: list[CoverageGoal] = Field(default_factory=list)
    township_table: TargetTable | None = None
    reporting: Reporting | None = None


# --- the whole plan --------------------------------------------------------------------------------------


class Enrollment(Strict):
    windows: list[Window] = Field(min_length=1)
    late: LateEnrollment
    newborn: Newborn | None = None
    continuation: Continuation | None = None


class Policy(Strict):
    id: Identifier
    name: str
    region: Region
    insurance_year: int = Field(ge=2000, le=2100)
    documents: dict[Identifier, Document]
    assumptions: list[Assumption] = Field(default_factory=list)
    eligibility: Eligibility
    enrollment: Enrollment
    tiers: dict[Identifier, Tier] = Field(min_length=1)
    categories: dict[Category, CategoryRule]
    default_category: DefaultCategory
    payers: dict[Identifier, Payer] = Field(default_factory=dict)
    assisted: Assisted = Field(default_factory=Assisted)
    benefit_period: BenefitPeriod
    reimbursement: Reimbursement = Field(default_factory=Reimbursement)
    targets: Targets = Field(default_factory=Targets)
    reason_register: ReasonRegister | None = Field(default=None, description="null: the register's usual name")
    review_chain: ReviewChain | None = Field(
        default=None, description="null: the township checks a village's register, then its money is deposited"
    )

    @model_validator(mode="after")
    def _consistent(self) -> Policy:
        check_policy(self)
        return self

    def assumption(self, assumption_id: str) -> Assumption:
        return next(a for a in self.assumptions if a.id == assumption_id)
