"""The receipt as a PDF (缴费票据): what was paid, by whom, when and how, for whom, and from when each person is
covered — the page a township hands the payer, the same as the printable receipt page."""

from __future__ import annotations

from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.adapters.printing import Column, FontMissing, PrintedTable, table_pdf
from yibao.domain.errors import YibaoError
from yibao.domain.money import format_yuan, yuan_in_capitals
from yibao.domain.states import EnrollmentState, PaymentKind
from yibao.domain.timeutil import as_shanghai
from yibao.services.access import Principal
from yibao.services.money.payments import get_payment
from yibao.services.money.views import PaymentView
from yibao.services.registry.enrollments import get_enrollment
from yibao.services.registry.views import EnrollmentView

COLUMNS = [
    Column("序号", 12),
    Column("姓名", 30),
    Column("公民身份号码", 48),
    Column("本笔入账（元）", 32, numeric=True),
    Column("参保状态", 26),
    Column("待遇享受期", 60),
]


def receipt_document(view: PaymentView, covered: dict[int, EnrollmentView]) -> PrintedTable:
    """The receipt as printed (a refund or reversal prints as its record, not as a receipt)."""
    title = (
        "城乡居民基本医疗保险缴费票据"
        if view.kind == PaymentKind.PAYMENT
        else f"城乡居民基本医疗保险{view.kind_name}记录"
    )
    rows = []
    for index, allocation in enumerate(view.allocations, start=1):
        enrollment = covered[allocation.enrollment_id]
        state = EnrollmentState(enrollment.state)
        cover = (
            f"{enrollment.benefit_start:%Y年%m月%d日}至{enrollment.benefit_end:%Y年%m月%d日}"
            if state is EnrollmentState.EFFECTIVE and enrollment.benefit_start and enrollment.benefit_end
            else "—"
        )
        rows.append(
            [str(index), allocation.name, allocation.id_number, format_yuan(allocation.amount_fen), state.zh, cover]
        )
    rows.append(["", "合计", "", format_yuan(sum(a.amount_fen for a in view.allocations)), "", ""])
    paid = as_shanghai(view.paid_at)
    number = f"票据号：{view.receipt_number}    " if view.receipt_number else ""
    channel = f"{view.channel_name}" + (
        f"（流水号 {view.transaction_id}）"
        if view.transaction_id and not view.transaction_id.startswith("form-")
        else ""
    )
    closing = []
    if view.unapplied_fen:
        closing.append(f"其中{format_yuan(view.unapplied_fen)}元未计入参保，待退费。")
    if view.reversed:
        closing.append("该笔缴费已冲正。")
    closing.append("待遇享受期按当年度实施方案以缴费到账时间确定；凭票据号可查询参保状态。")
    return PrintedTable(
        title=title,
        lines=[
            f"{number}编号：{view.id}    {view.insurance_year}年度"
            + (f"    缴费通知单：{view.notice_number}" if view.notice_number else ""),
            f"缴费人：{view.payer_name or '—'}    金额：{format_yuan(view.amount_fen)}元"
            f"（{yuan_in_capitals(abs(view.amount_fen))}）    {channel}",
            f"缴费时间：{paid:%Y-%m-%d %H:%M}    经办：{view.actor_name}",
        ],
        columns=COLUMNS,
        rows=rows,
        closing=closing,
        qr_data=view.receipt_number or None,
    )


def receipt_pdf(uow: UnitOfWork, principal: Principal, payment_id: int) -> bytes:
    """The receipt of a payment the principal may see, as a PDF."""
    view = get_payment(uow, principal, payment_id)
    covered = {
        allocation.enrollment_id: get_enrollment(uow, principal, allocation.enrollment_id)
        for allocation in view.allocations
    }
    try:
        return table_pdf(receipt_document(view, covered))
    except FontMissing as missing:
        raise YibaoError("PDF_FONT_MISSING", font=str(missing)) from missing
