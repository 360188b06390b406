"""Payment notices (缴费通知单): issued per household or per person, numbered, frozen at issue.

Issuing a notice again for the same people voids the earlier one (what was paid stays paid; the new notice asks
only the rest). People who owe nothing — fully assisted, their share paid by a department — are covered as the
notice is issued: their whole individual share, nothing, is paid.
"""

from __future__ import annotations

from sqlalchemy import select

from yibao.adapters.db.tables import Enrollment, HouseholdMember, PaymentNotice, PaymentNoticeItem, Resident
from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.adapters.printing import Column, FontMissing, PrintedTable, table_pdf
from yibao.domain.errors import YibaoError
from yibao.domain.money import format_yuan, yuan_in_capitals
from yibao.domain.payments import notice_number, payment_deadline
from yibao.domain.states import LIVE_ENROLLMENTS, PAYABLE_ENROLLMENTS, EnrollmentState
from yibao.domain.timeutil import as_shanghai
from yibao.services.access import Permission, Principal, enrollment_scope, notice_scope
from yibao.services.money.ledger import lock_enrollments, paid_fen
from yibao.services.money.settlement import assess_at, make_effective
from yibao.services.money.views import NoticeView, notice_view
from yibao.services.policy.plans import get_policy

RELATION_ORDER = {"户主": 0, "配偶": 1}  # the head first: an underpaid household's money covers the head first


def _household_enrollments(uow: UnitOfWork, principal: Principal, household_id: int) -> list[Enrollment]:
    rows = uow.session.execute(
        select(Enrollment, HouseholdMember.relation)
        .join(HouseholdMember, HouseholdMember.resident_id == Enrollment.resident_id)
        .where(
            HouseholdMember.household_id == household_id,
            Enrollment.state.in_(LIVE_ENROLLMENTS),
            enrollment_scope(principal),
        )
    ).all()
    if not rows:
        raise YibaoError("HOUSEHOLD_NOT_FOUND", field="household_id", id=household_id)
    year = max(enrollment.insurance_year for enrollment, _ in rows)  # the campaign's year
    current = [(enrollment, relation) for enrollment, relation in rows if enrollment.insurance_year == year]
    current.sort(key=lambda pair: (RELATION_ORDER.get(pair[1], 2), pair[0].id))
    return [enrollment for enrollment, _ in current]


def _one_enrollment(uow: UnitOfWork, principal: Principal, enrollment_id: int) -> list[Enrollment]:
    enrollment = uow.session.scalars(
        select(Enrollment).where(Enrollment.id == enrollment_id, enrollment_scope(principal))
    ).first()
    if enrollment is None:
        raise YibaoError("ENROLLMENT_NOT_FOUND", field="enrollment_id", id=enrollment_id)
    return [enrollment]


def issue_notice(
    uow: UnitOfWork, principal: Principal, *, household_id: int | None = None, enrollment_id: int | None = None
) -> NoticeView:
    """A notice for a household's assessed members (整户), or for one enrollment."""
    principal.require(Permission.TAKE_PAYMENTS)
    if (household_id is None) == (enrollment_id is None):
        raise YibaoError("PAYMENT_TARGET", field="household_id")
    found = (
        _household_enrollments(uow, principal, household_id)
        if household_id is not None
        else _one_enrollment(uow, principal, enrollment_id or 0)
    )
    locked = lock_enrollments(uow, [e.id for e in found])
    billable = [locked[e.id] for e in found if locked[e.id].state in PAYABLE_ENROLLMENTS]
    if not billable:
        states = "、".join(sorted({EnrollmentState(e.state).zh for e in found}))
        raise YibaoError("NOTHING_TO_NOTIFY", field="household_id", states=states)
    _void_earlier(uow, [e.id for e in billable])
    paid = paid_fen(uow, [e.id for e in billable])
    first = billable[0]
    residents = {
        r.id: r for r in uow.session.scalars(select(Resident).where(Resident.id.in_([e.resident_id for e in billable])))
    }
    policy = get_policy(first.policy_id, uow.session)
    amounts = [max((e.individual_due_fen or 0) - paid[e.id], 0) for e in billable]
    notice = PaymentNotice(
        insurance_year=first.insurance_year,
        township_code=first.township_code,
        household_id=household_id,
        payer_name=residents[first.resident_id].name,
        amount_fen=sum(amounts),
        due_at=payment_deadline(policy, first.channel),
        issued_at=uow.now,
        actor=uow.actor,
    )
    uow.session.add(notice)
    uow.session.flush()
    notice.number = notice_number(notice.insurance_year, notice.township_code, notice.id)
    for position, (enrollment, amount) in enumerate(zip(billable, amounts, strict=True)):
        uow.session.add(
            PaymentNoticeItem(notice_id=notice.id, enrollment_id=enrollment.id, position=position, amount_fen=amount)
        )
        if enrollment.state == EnrollmentState.ASSESSED:
            enrollment.state = EnrollmentState.NOTIFIED
    uow.session.flush()
    nothing_owed = [e for e, amount in zip(billable, amounts, strict=True) if amount == 0]
    if nothing_owed:
        results = assess_at(uow, nothing_owed, uow.now)
        for enrollment in nothing_owed:
            if results[enrollment.id]["eligible"]:
                make_effective(uow, enrollment, results[enrollment.id], uow.now)
    uow.audit(
        "issue",
        "payment_notice",
        notice.number,
        None,
        {"amount_fen": notice.amount_fen, "enrollments": [e.id for e in billable], "household_id": household_id},
    )
    uow.commit()
    return notice_view(uow, principal, notice)


def _void_earlier(uow: UnitOfWork, enrollment_ids: list[int]) -> None:
    earlier = uow.session.scalars(
        select(PaymentNotice)
        .join(PaymentNoticeItem, PaymentNoticeItem.notice_id == PaymentNotice.id)
        .where(PaymentNoticeItem.enrollment_id.in_(enrollment_ids), PaymentNotice.voided_at.is_(None))
        .distinct()
    ).all()
    for notice in earlier:
        notice.voided_at = uow.now
        notice.void_reason = "已重新开具"
        uow.audit("void", "payment_notice", notice.number, None, {"reason": notice.void_reason})


def visible_notice(uow: UnitOfWork, principal: Principal, number: str) -> PaymentNotice:
    notice = uow.session.scalars(
        select(PaymentNotice).where(PaymentNotice.number == number.strip(), notice_scope(principal))
    ).first()
    if notice is None:
        raise YibaoError("NOTICE_NOT_FOUND", field="notice_number", number=number)
    return notice


def get_notice(uow: UnitOfWork, principal: Principal, number: str) -> NoticeView:
    if not (principal.may(Permission.TAKE_PAYMENTS) or principal.may(Permission.READ_RESIDENTS)):
        principal.require(Permission.TAKE_PAYMENTS)
    return notice_view(uow, principal, visible_notice(uow, principal, number))


def notices_of_household(uow: UnitOfWork, principal: Principal, household_id: int) -> list[NoticeView]:
    notices = uow.session.scalars(
        select(PaymentNotice)
        .where(PaymentNotice.household_id == household_id, notice_scope(principal))
        .order_by(PaymentNotice.id.desc())
    ).all()
    return [notice_view(uow, principal, notice) for notice in notices]


def notice_document(view: NoticeView) -> PrintedTable:
    """The notice as printed: who pays what, who subsidises what, by when, and the QR code with its number."""
    due = as_shanghai(view.due_at)
    columns = [
        Column("序号", 12),
        Column("姓名", 28),
        Column("公民身份号码", 46),
        Column("缴费档次", 30),
        Column("筹资标准", 24, numeric=True),
        Column("政府补助", 24, numeric=True),
        Column("资助参保", 40, numeric=True),
        Column("个人应缴", 24, numeric=True),
        Column("本单应缴", 24, numeric=True),
    ]
    rows = [
        [
            str(index),
            item.name,
            item.id_number,
            item.tier_name or "—",
            _yuan(item.financing_total_fen),
            _yuan(item.government_subsidy_fen),
            "、".join(f"{item.payer_names[k]}{_yuan(v)}" for k, v in item.assisted_by_payer_fen.items()) or "—",
            _yuan(item.individual_due_fen),
            _yuan(item.amount_fen),
        ]
        for index, item in enumerate(view.items, start=1)
    ]
    rows.append(["", "合计", "", "", "", "", "", "", _yuan(view.amount_fen)])
    voided = f"（已作废：{view.void_reason}）" if view.voided_at else ""
    return PrintedTable(
        title=f"城乡居民基本医疗保险缴费通知单{voided}",
        lines=[
            f"通知单号：{view.number}    {view.insurance_year}年度    {view.township_name}",
            f"缴费人：{view.payer_name}    应缴合计：{_yuan(view.amount_fen)}元（{yuan_in_capitals(view.amount_fen)}）",
            f"请于{due:%Y年%m月%d日 %H:%M}前缴费。开具时间：{as_shanghai(view.issued_at):%Y-%m-%d %H:%M}",
        ],
        columns=columns,
        rows=rows,
        closing=[
            "缴费后凭票据号查询参保状态；待遇享受期以缴费到账时间按当年度实施方案确定。",
            "扫描右上角二维码可读取通知单号，在各缴费渠道输入通知单号缴费。",
        ],
        qr_data=view.number,
    )


def notice_pdf(uow: UnitOfWork, principal: Principal, number: str) -> bytes:
    document = notice_document(get_notice(uow, principal, number))
    try:
        return table_pdf(document)
    except FontMissing as missing:
        raise YibaoError("PDF_FONT_MISSING", font=str(missing)) from missing


def _yuan(fen: int | None) -> str:
    return "—" if fen is None else format_yuan(fen)
