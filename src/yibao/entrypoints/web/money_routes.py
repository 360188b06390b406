"""Money pages: issue and print a notice (with its QR code, and as PDF), take a payment on it, the receipt, a
collection batch, and finance's pages — the day's collections, refunds to issue, reversals.

Each form posts to one use case; a refusal comes back beside the form. A counter-cash form carries a one-time
token as its transaction id, so a double click or a resubmitted page records one payment.
"""

from __future__ import annotations

import secrets
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from yibao.adapters.printing import qr_svg
from yibao.domain.errors import YibaoError
from yibao.domain.money import yuan_in_capitals
from yibao.domain.payments import PAYMENT_CHANNELS, BatchLine
from yibao.domain.timeutil import SHANGHAI
from yibao.entrypoints.http.errors import status_for
from yibao.entrypoints.web.amounts import amount, people_lines
from yibao.entrypoints.web.routes import campaign_year, form_fields, page
from yibao.entrypoints.web.session import CheckedCsrf, WebWork
from yibao.services.access import Permission
from yibao.services.money import notices, payments, receipts, reversals
from yibao.services.money.collections import collections, refunds_to_issue
from yibao.services.money.payments import OWN_RECORD_CHANNELS
from yibao.services.registry import enrollments

router = APIRouter(include_in_schema=False)
Form = Annotated[dict[str, str], Depends(form_fields)]


def _notice_page(request: Request, work: Any, number: str, status_code: int = 200, **context: Any) -> Response:
    view = notices.get_notice(work.uow, work.principal, number)
    return page(
        request,
        work,
        "notice.html",
        status_code=status_code,
        n=view,
        qr=qr_svg(view.number),
        capitals=yuan_in_capitals(view.amount_fen),
        channels=PAYMENT_CHANNELS,
        token=secrets.token_urlsafe(12),
        tz=SHANGHAI,
        **context,
    )


@router.post("/households/{household_id}/notice")
def issue_household_notice(request: Request, work: WebWork, _csrf: CheckedCsrf, household_id: int) -> Response:
    try:
        view = notices.issue_notice(work.uow, work.principal, household_id=household_id)
    except YibaoError as error:
        return page(request, work, "error.html", status_code=status_for(error), error=error)
    return RedirectResponse(f"/notices/{view.number}", status_code=303)


@router.post("/enrollments/{enrollment_id}/notice")
def issue_enrollment_notice(request: Request, work: WebWork, _csrf: CheckedCsrf, enrollment_id: int) -> Response:
    try:
        view = notices.issue_notice(work.uow, work.principal, enrollment_id=enrollment_id)
    except YibaoError as error:
        return page(request, work, "error.html", status_code=status_for(error), error=error)
    return RedirectResponse(f"/notices/{view.number}", status_code=303)


@router.get("/notices/{number}.pdf")
def notice_pdf(work: WebWork, number: str) -> Response:
    content = notices.notice_pdf(work.uow, work.principal, number)
    headers = {"Content-Disposition": f'inline; filename="notice-{number}.pdf"'}
    return Response(content, media_type="application/pdf", headers=headers)


@router.get("/notices/{number}")
def notice(request: Request, work: WebWork, number: str) -> Response:
    return _notice_page(request, work, number)


@router.post("/notices/{number}/payments")
def pay_notice(request: Request, work: WebWork, _csrf: CheckedCsrf, number: str, form: Form) -> Response:
    channel = form.get("channel", "counter_cash")
    transaction_id = form.get("transaction_id", "").strip()
    if not transaction_id and channel in OWN_RECORD_CHANNELS:
        transaction_id = f"form-{form.get('token', '')}" if form.get("token") else ""
    try:
        payment_request = payments.PaymentRequest(
            channel=channel,
            amount_fen=amount(form.get("amount", ""), "amount"),
            paid_at=work.uow.now,
            transaction_id=transaction_id or None,
            notice_number=number,
            payer_name=form.get("payer_name", "").strip() or None,
        )
        view = payments.record_payment(work.uow, work.principal, payment_request)
    except YibaoError as error:
        work.uow.rollback()
        return _notice_page(request, work, number, status_code=status_for(error), error=error, pay_form=form)
    return RedirectResponse(f"/payments/{view.id}", status_code=303)


def _payment_page(request: Request, work: Any, payment_id: int, status_code: int = 200, **context: Any) -> Response:
    view = payments.get_payment(work.uow, work.principal, payment_id)
    covered = [
        enrollments.get_enrollment(work.uow, work.principal, allocation.enrollment_id)
        for allocation in view.allocations
    ]
    original = payments.get_payment(work.uow, work.principal, view.original_id) if view.original_id else None
    return page(
        request,
        work,
        "payment.html",
        status_code=status_code,
        p=view,
        original=original,
        covered={e.id: e for e in covered},
        capitals=yuan_in_capitals(abs(view.amount_fen)),
        tz=SHANGHAI,
        **context,
    )


@router.get("/payments/{payment_id}.pdf")
def payment_pdf(work: WebWork, payment_id: int) -> Response:
    content = receipts.receipt_pdf(work.uow, work.principal, payment_id)
    headers = {"Content-Disposition": f'inline; filename="receipt-{payment_id}.pdf"'}
    return Response(content, media_type="application/pdf", headers=headers)


@router.get("/payments/{payment_id}")
def payment(request: Request, work: WebWork, payment_id: int) -> Response:
    return _payment_page(request, work, payment_id)


@router.post("/payments/{payment_id}/reversal")
def reverse(request: Request, work: WebWork, _csrf: CheckedCsrf, payment_id: int, form: Form) -> Response:
    try:
        view = reversals.reverse_payment(work.uow, work.principal, payment_id, form.get("reason", ""))
    except YibaoError as error:
        work.uow.rollback()
        return _payment_page(request, work, payment_id, status_code=status_for(error), error=error)
    return RedirectResponse(f"/payments/{view.id}", status_code=303)


@router.post("/payments/{payment_id}/refund")
def refund(request: Request, work: WebWork, _csrf: CheckedCsrf, payment_id: int, form: Form) -> Response:
    try:
        refund_fen = amount(form["amount"], "amount") if form.get("amount", "").strip() else None
        view = reversals.refund_payment(work.uow, work.principal, payment_id, form.get("reason", ""), refund_fen)
    except YibaoError as error:
        work.uow.rollback()
        return _payment_page(request, work, payment_id, status_code=status_for(error), error=error)
    return RedirectResponse(f"/payments/{view.id}", status_code=303)


@router.get("/finance")
def finance(request: Request, work: WebWork, day: date | None = None, year: int | None = None) -> Response:
    """收款与退费: a day's collections per township and channel, the year's totals, and the refunds to issue."""
    on = day or work.uow.now.astimezone(SHANGHAI).date()
    campaign = year or campaign_year(work)
    return page(
        request,
        work,
        "finance.html",
        day=on,
        year=campaign,
        today=collections(work.uow, work.principal, campaign, on),
        season=collections(work.uow, work.principal, campaign),
        refunds=refunds_to_issue(work.uow, work.principal, campaign) if work.principal.may(Permission.PAYMENTS) else [],
    )


@router.get("/collection-batches")
def batch_form(request: Request, work: WebWork) -> Response:
    work.principal.require(Permission.TAKE_PAYMENTS)
    return page(request, work, "collection_batch.html", form={})


@router.post("/collection-batches")
def batch_submit(request: Request, work: WebWork, _csrf: CheckedCsrf, form: Form) -> Response:
    try:
        lines = [BatchLine(enrollment_id, fen) for enrollment_id, fen in people_lines(form.get("lines", ""))]
        batch = payments.CollectionBatchRequest(
            batch_number=form.get("batch_number", ""),
            collector=form.get("collector", ""),
            handed_in_fen=amount(form.get("handed_in", ""), "handed_in"),
            paid_at=work.uow.now,
            lines=tuple(lines),
        )
        view = payments.record_collection_batch(work.uow, work.principal, batch)
    except YibaoError as error:
        work.uow.rollback()
        return page(request, work, "collection_batch.html", status_code=status_for(error), error=error, form=form)
    return RedirectResponse(f"/payments/{view.id}", status_code=303)
