"""The states and kinds of the system's records, one enum each: the stable code (stored in the database, given in
the API's JSON) and its Chinese name (what a clerk reads), with the named subsets the use cases ask about.

Nothing else writes a state as a bare string: the database's check constraints are built from these enums
(:func:`yibao.adapters.db.base.one_of`), and ``tests/test_states.py`` looks for stray literals.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Self


class State(StrEnum):
    """A code with its Chinese name: ``EnrollmentState.PAID == "paid"``, ``EnrollmentState.PAID.zh == "已缴费"``."""

    zh: str

    if not TYPE_CHECKING:  # for mypy a member is looked up by its code alone, as it is: State("paid")

        def __new__(cls, code: str, zh: str) -> Self:
            member = str.__new__(cls, code)
            member._value_ = code
            member.zh = zh
            return member

    @property
    def code(self) -> str:
        """The stable code as plain text (Ibis and Polars literals, which type no enum)."""
        return str.__str__(self)

    @classmethod
    def codes(cls) -> tuple[str, ...]:
        """Every code, in the order declared (for check constraints and forms)."""
        return tuple(member.code for member in cls)

    @classmethod
    def names(cls) -> dict[str, str]:
        """Code -> Chinese name."""
        return {member.code: member.zh for member in cls}


class EnrollmentState(State):
    """Where one person's enrollment for one insurance year stands."""

    REGISTERED = "registered", "已登记"  # registered, not yet assessed
    ASSESSED = "assessed", "已核定"  # the amount due is set
    NOTIFIED = "notified", "已通知缴费"  # on a payment notice
    PAID = "paid", "已缴费"  # paid in full; cover has not begun yet
    EFFECTIVE = "effective", "已生效"  # paid, and the benefit period has begun (or is set)
    CANCELLED = "cancelled", "已注销"


# What each state means, said once: the pages show it where the state's name is a heading or a count.
ENROLLMENT_STATE_HELP = {
    EnrollmentState.REGISTERED: "已登记参保，尚未核定个人应缴金额",
    EnrollmentState.ASSESSED: "已按方案核定个人应缴金额，尚未开具缴费通知",
    EnrollmentState.NOTIFIED: "已开具缴费通知单，尚未缴清",
    EnrollmentState.PAID: "已缴清，待遇享受期尚未开始（如缴费期内缴费、次年1月1日起享受）",
    EnrollmentState.EFFECTIVE: "已缴清，待遇享受期已开始或已确定；“已缴费参保”人数含已缴费和已生效",
    EnrollmentState.CANCELLED: "已注销，不计入参保人数",
}
# The progress figures' own words, defined once beside the states they count.
PROGRESS_HELP = {
    "paid": "已缴费参保：已缴费和已生效的人数合计（各类人员）",
    "registered": "登记参保：本年度各状态（已登记、已核定、已通知缴费、已缴费、已生效）人数合计，不含已注销",
}


# Enrollments that count: one per person and year (the partial unique index's predicate).
LIVE_ENROLLMENTS = (
    EnrollmentState.REGISTERED,
    EnrollmentState.ASSESSED,
    EnrollmentState.NOTIFIED,
    EnrollmentState.PAID,
    EnrollmentState.EFFECTIVE,
)
# Assessed, whatever has happened since: what the assessment list and the cross-checks read.
ASSESSED_ENROLLMENTS = (
    EnrollmentState.ASSESSED,
    EnrollmentState.NOTIFIED,
    EnrollmentState.PAID,
    EnrollmentState.EFFECTIVE,
)
# Not yet billed: a new assessment replaces the old one without touching money.
REASSESSABLE_ENROLLMENTS = (EnrollmentState.REGISTERED, EnrollmentState.ASSESSED)
# Live and not yet paid: a clerk may still change or cancel them at the counter.
UNPAID_ENROLLMENTS = (EnrollmentState.REGISTERED, EnrollmentState.ASSESSED, EnrollmentState.NOTIFIED)
# What money can complete.
PAYABLE_ENROLLMENTS = (EnrollmentState.ASSESSED, EnrollmentState.NOTIFIED)
# Paid for: last year's covered enrollees, for renewal.
COVERED_ENROLLMENTS = (EnrollmentState.PAID, EnrollmentState.EFFECTIVE)


class PaymentKind(State):
    """Money rows: a payment brings money in; a reversal undoes a payment entirely (a bounced transfer, a clerk's
    mistake); a refund pays money back out of a payment's unapplied amount."""

    PAYMENT = "payment", "缴费"
    REVERSAL = "reversal", "冲正"
    REFUND = "refund", "退费"


class AllocationReason(State):
    """Why an amount was applied to (or taken back from) an enrollment."""

    PAYMENT = "payment", "缴费"
    REVERSAL = "reversal", "冲正"
    CANCELLATION = "cancellation", "注销退回"  # the enrollment was cancelled: its money is unapplied again


class StatementLineState(State):
    """What reconciliation made of one line of a bank's or the tax bureau's statement."""

    MATCHED = "matched", "已匹配入账"
    ALREADY_RECORDED = "already_recorded", "已登记"
    REVERSAL = "reversal", "冲正"
    DUPLICATE_LINE = "duplicate_line", "重复行"
    ASSIGNED = "assigned", "已人工匹配"
    REJECTED = "rejected", "已退回"
    NO_SUCH_NOTICE = "no_such_notice", "无此通知单"
    AMOUNT_DIFFERS = "amount_differs", "金额不符"
    REFUSED = "refused", "不予受理"


# Money that is in the ledger.
SETTLED_LINES = (StatementLineState.MATCHED, StatementLineState.ALREADY_RECORDED, StatementLineState.ASSIGNED)
# Waiting for a person in the statement worklist: assign or reject.
OPEN_LINES = (StatementLineState.NO_SUCH_NOTICE, StatementLineState.AMOUNT_DIFFERS, StatementLineState.REFUSED)


class JobState(State):
    """A background job (an import, an export, a cross-check run)."""

    QUEUED = "queued", "排队中"
    RUNNING = "running", "进行中"
    SUCCEEDED = "succeeded", "已完成"
    FAILED = "failed", "失败"
    INTERRUPTED = "interrupted", "已中断"  # its process ended without finishing it (a restart, a crash)
    COMMITTED = "committed", "已写入（报告未保存）"  # its process ended after its write committed, before its report


FINISHED_JOBS = frozenset({JobState.SUCCEEDED, JobState.FAILED, JobState.INTERRUPTED, JobState.COMMITTED})


class FindingStatus(State):
    """The follow-up of a cross-check finding, kept across later runs."""

    OPEN = "open", "待核查"
    CONTACTED = "contacted", "已联系"
    ENROLLED = "enrolled", "已参保"
    REASON_RECORDED = "reason_recorded", "已登记原因"
    NOT_APPLICABLE = "not_applicable", "不适用"


# Still to be followed up: a recorded reason closes these.
PENDING_FINDINGS = (FindingStatus.OPEN, FindingStatus.CONTACTED)


class OrganizationKind(State):
    """An organization that enrolls its own people (代收代缴) and may carry a target."""

    SCHOOL = "school", "学校"
    KINDERGARTEN = "kindergarten", "幼儿园"
    NURSERY = "nursery", "托儿所"
    WELFARE_INSTITUTION = "welfare_institution", "福利机构"
    UNIVERSITY = "university", "高校"


class SignInOutcome(State):
    """What one attempt to sign in came to, kept to lock an account after repeated wrong passwords."""

    FAILED = "failed", "密码错误"
    SUCCEEDED = "succeeded", "登录成功"
    UNLOCKED = "unlocked", "管理员解锁"


class RegisterState(State):
    """Where a 村（居）'s 登记册 (its paper and electronic roster with the cash collected) stands in the review chain
    the plan prescribes (嵩明: 村（居）提交 → 社保所核对 → 县医保中心复核 → 缴入指定账户)."""

    SUBMITTED = "submitted", "村（居）已提交"
    CHECKED = "checked", "社保所已核对"
    REVIEWED = "reviewed", "医保中心已复核"
    DEPOSITED = "deposited", "已缴入指定账户"
    RETURNED = "returned", "已退回村（居）"


# Still moving through the chain: its people are in no other register, its roster may not change without a return.
OPEN_REGISTERS = (RegisterState.SUBMITTED, RegisterState.CHECKED, RegisterState.REVIEWED)


class ReviewStep(State):
    """A step of the review chain after the village's submission; a plan names the ones it uses, in this order."""

    TOWNSHIP_CHECK = "township_check", "社保所核对"
    COUNTY_REVIEW = "county_review", "医保中心复核"
    DEPOSIT = "deposit", "缴入指定账户"


class RegisterAction(State):
    """One entry of a register's history: who did what to it, when."""

    SUBMIT = "submit", "村（居）提交"
    AMEND = "amend", "更正电子名册"
    CHECK = "check", "社保所核对通过"
    REVIEW = "review", "医保中心复核通过"
    DEPOSIT = "deposit", "缴入指定账户"
    RETURN = "return", "退回"


ALL_STATES: tuple[type[State], ...] = (
    EnrollmentState,
    PaymentKind,
    AllocationReason,
    StatementLineState,
    JobState,
    FindingStatus,
    OrganizationKind,
    SignInOutcome,
    RegisterState,
    ReviewStep,
    RegisterAction,
)
