"""Who may do what, and over which people: the one place the area rule lives.

Every use case that reads or writes residents takes a :class:`Principal` and asks this module, so the API, the
web pages and the CLI cannot drift apart. Two kinds of refusal:

* a role that may never do a thing gets ``FORBIDDEN`` (HTTP 403);
* a record outside the principal's area is ``*_NOT_FOUND`` (HTTP 404), exactly as if it did not exist, so a
  township operator cannot even learn that another township's resident is there.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import ColumnElement, exists, false, func, select

from yibao.adapters.db.tables import Enrollment, Payment, PaymentAllocation, PaymentNotice, Resident
from yibao.domain.errors import YibaoError


class Role(StrEnum):
    DISTRICT_ADMIN = "district_admin"
    TOWNSHIP_OPERATOR = "township_operator"
    DEPARTMENT = "department"
    INSTITUTION = "institution"
    FINANCE = "finance"
    INSPECTOR = "inspector"


ROLE_NAMES: dict[Role, str] = {
    Role.DISTRICT_ADMIN: "区医保局管理员",
    Role.TOWNSHIP_OPERATOR: "镇（街）经办员",
    Role.DEPARTMENT: "部门用户",
    Role.INSTITUTION: "学校/机构用户",
    Role.FINANCE: "财务",
    Role.INSPECTOR: "督查（只读）",
}


class Permission(StrEnum):
    READ_RESIDENTS = "read_residents"
    WRITE_RESIDENTS = "write_residents"  # enroll, assess, change, cancel (an institution: its own people)
    REGISTER_RESIDENTS = "register_residents"  # a resident on their own, outside any organization's roster
    RENEW_TOWNSHIP = "renew_township"
    READ_AUDIT = "read_audit"
    SEE_FULL_ID = "see_full_id"  # unmasked ID numbers
    MANAGE_USERS = "manage_users"
    UPLOAD_LISTS = "upload_lists"  # department lists (issue: bulk rosters)
    TAKE_PAYMENTS = "take_payments"  # issue payment notices, record payments and collection batches
    PAYMENTS = "payments"  # reversals, refunds, reconciliation (finance)
    MANAGE_TARGETS = "manage_targets"  # load or import the year's targets (the district bureau)
    RUN_CROSSCHECKS = "run_crosschecks"  # run the cross-checks against the reference lists (the district bureau)
    FOLLOW_UP = "follow_up"  # record the follow-up of findings and reasons for non-enrollment
    MANAGE_POLICIES = "manage_policies"  # add the district's own plans and their revisions (the district bureau)
    MANAGE_AREAS = "manage_areas"  # villages and communities (村/居), organizations (the district bureau)
    SIMULATE = "simulate"  # run a draft plan over the registry (测算) and read the reports (the bureau, finance)
    CHECK_REGISTERS = "check_registers"  # 社保所核对: people vs money, paper vs electronic, of its villages' 登记册
    REVIEW_REGISTERS = "review_registers"  # 医保中心复核: the county's review of the townships' checked registers


PERMISSION_NAMES: dict[Permission, str] = {
    Permission.READ_RESIDENTS: "查询参保人员",
    Permission.WRITE_RESIDENTS: "参保、核定、变更、注销",
    Permission.REGISTER_RESIDENTS: "登记人员信息",
    Permission.RENEW_TOWNSHIP: "整镇续保",
    Permission.READ_AUDIT: "查看操作记录",
    Permission.SEE_FULL_ID: "查看完整身份证号",
    Permission.MANAGE_USERS: "管理用户",
    Permission.UPLOAD_LISTS: "上传部门名单",
    Permission.TAKE_PAYMENTS: "开具缴费通知单、收款",
    Permission.PAYMENTS: "冲正、退费与对账",
    Permission.MANAGE_TARGETS: "设定任务指标",
    Permission.RUN_CROSSCHECKS: "运行信息比对",
    Permission.FOLLOW_UP: "比对结果核查与未参保原因登记",
    Permission.MANAGE_POLICIES: "添加与修订实施方案",
    Permission.MANAGE_AREAS: "维护村（居）与参保单位",
    Permission.SIMULATE: "方案测算",
    Permission.CHECK_REGISTERS: "核对村（居）登记册",
    Permission.REVIEW_REGISTERS: "复核村（居）登记册",
}

P = Permission
GRANTS: dict[Role, frozenset[Permission]] = {
    Role.DISTRICT_ADMIN: frozenset(Permission),
    Role.TOWNSHIP_OPERATOR: frozenset(
        {
            P.READ_RESIDENTS,
            P.WRITE_RESIDENTS,
            P.REGISTER_RESIDENTS,
            P.RENEW_TOWNSHIP,
            P.READ_AUDIT,
            P.SEE_FULL_ID,
            P.TAKE_PAYMENTS,
            P.FOLLOW_UP,
            P.CHECK_REGISTERS,
        }
    ),
    # A school's or institution's office collects its people's money (代收) and hands it in as a batch.
    Role.INSTITUTION: frozenset({P.READ_RESIDENTS, P.WRITE_RESIDENTS, P.READ_AUDIT, P.SEE_FULL_ID, P.TAKE_PAYMENTS}),
    Role.DEPARTMENT: frozenset({P.UPLOAD_LISTS}),
    Role.FINANCE: frozenset({P.READ_RESIDENTS, P.TAKE_PAYMENTS, P.PAYMENTS, P.SEE_FULL_ID, P.SIMULATE}),
    Role.INSPECTOR: frozenset({P.READ_RESIDENTS, P.READ_AUDIT}),
}

# Roles whose area is a whole district; the others are bound to a township (operator) or an organization.
DISTRICT_ROLES = frozenset({Role.DISTRICT_ADMIN, Role.DEPARTMENT, Role.FINANCE, Role.INSPECTOR})


@dataclass(frozen=True)
class Principal:
    """The signed-in user as the services see it."""

    user_id: int
    username: str
    display_name: str
    role: Role
    area_code: str  # 12-digit district (…000000) or township code
    organization_id: int | None = None

    @property
    def district(self) -> str:
        return self.area_code[:6]

    def may(self, permission: Permission) -> bool:
        return permission in GRANTS[self.role]

    def require(self, permission: Permission) -> None:
        if not self.may(permission):
            raise YibaoError(
                "FORBIDDEN", role=ROLE_NAMES[self.role], action=PERMISSION_NAMES[permission], role_en=self.role.value
            )

    def require_township(self, township_code: str) -> None:
        """Writes aimed at a township outside one's area are refused, naming the code."""
        if not self.covers_township(township_code):
            raise YibaoError("AREA_UNKNOWN", field="township_code", area=township_code, level="本辖区镇（街）")

    def covers_township(self, township_code: str) -> bool:
        """Whether a township lies in this principal's area (for organizations: the organization's township)."""
        if self.role in DISTRICT_ROLES:
            return township_code[:6] == self.district
        return township_code == self.area_code


def person_outside(principal: Principal, township_code: str) -> bool:
    """The one rule of what a user may learn about, and change of, a person registered in ``township_code``: a
    person outside the user's area (another township's, for a township's operator) is one whose existence may be
    told where the work needs it — never their name, township, phone or enrollment state — and whose record no
    write of the user's touches. A role that reads no residents (a department) is outside everywhere. An
    institution enrolls people of any township (its pupils live all over the district) but is told nothing of
    them beyond existence."""
    if principal.role is Role.INSTITUTION or not principal.may(Permission.READ_RESIDENTS):
        return True
    return not principal.covers_township(township_code)


def _by_township(principal: Principal, township_code: Any) -> ColumnElement[bool] | None:
    """The area rule on a township column: the district for district roles, the township for its operator; None
    for the roles whose rows are found otherwise (an organization's)."""
    if principal.role in DISTRICT_ROLES:
        return cast(ColumnElement[bool], township_code.startswith(principal.district))
    if principal.role is Role.TOWNSHIP_OPERATOR:
        return cast(ColumnElement[bool], township_code == principal.area_code)
    return None


def resident_scope(principal: Principal) -> ColumnElement[bool]:
    """The residents a principal may see, as a WHERE clause: list queries never leak other areas' rows."""
    if not principal.may(Permission.READ_RESIDENTS):
        return false()
    township_rule = _by_township(principal, Resident.township_code)
    if township_rule is not None:
        return township_rule
    if principal.role is Role.INSTITUTION and principal.organization_id is not None:
        # A school sees its own roster: the people it has enrolled, in any year.
        return exists(
            select(Enrollment.id).where(
                Enrollment.resident_id == Resident.id, Enrollment.organization_id == principal.organization_id
            )
        )
    return false()


def enrollment_scope(principal: Principal) -> ColumnElement[bool]:
    """The enrollments a principal may see: by the township that took them, or the organization's own."""
    if not principal.may(Permission.READ_RESIDENTS):
        return false()
    township_rule = _by_township(principal, Enrollment.township_code)
    if township_rule is not None:
        return township_rule
    if principal.role is Role.INSTITUTION and principal.organization_id is not None:
        return Enrollment.organization_id == principal.organization_id
    return false()


def notice_scope(principal: Principal) -> ColumnElement[bool]:
    """The payment notices a principal may see: by township (an organization: none; it collects in batches)."""
    if not principal.may(Permission.TAKE_PAYMENTS) and not principal.may(Permission.READ_RESIDENTS):
        return false()
    township_rule = _by_township(principal, PaymentNotice.township_code)
    if township_rule is not None:
        return township_rule
    return false()


def payment_scope(principal: Principal) -> ColumnElement[bool]:
    """The money rows a principal may see: by township; an organization, those paying for its own people."""
    if not principal.may(Permission.TAKE_PAYMENTS) and not principal.may(Permission.READ_RESIDENTS):
        return false()
    township_rule = _by_township(principal, Payment.township_code)
    if township_rule is not None:
        return township_rule
    if principal.role is Role.INSTITUTION and principal.organization_id is not None:
        original = func.coalesce(Payment.original_id, Payment.id)
        return exists(
            select(PaymentAllocation.id)
            .join(Enrollment, Enrollment.id == PaymentAllocation.enrollment_id)
            .where(PaymentAllocation.payment_id == original, Enrollment.organization_id == principal.organization_id)
        )
    return false()
