"""Money over /api/v1: notices, payments from any channel (idempotent on the channel's transaction id),
collection batches, reversals, refunds, and the collection totals. Each route parses and calls one use case."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Response, UploadFile
from pydantic import BaseModel, Field, model_validator

from yibao.domain.errors import YibaoError
from yibao.domain.payments import PAYMENT_CHANNELS, BatchLine
from yibao.entrypoints.api.context import ApiWork
from yibao.entrypoints.api.schemas import ERROR_RESPONSES, RecordId
from yibao.entrypoints.http.context import Context
from yibao.entrypoints.http.jobs import JobOut, job_out
from yibao.services.money import handovers, notices, payments, receipts, reversals
from yibao.services.money.collections import CollectionReport, collections, refunds_to_issue
from yibao.services.money.reconciliation import StatementRequest
from yibao.services.money.statement_jobs import start_statement_import
from yibao.services.money.statement_worklist import (
    LineView,
    ReconciliationReport,
    assign_line,
    open_lines,
    reconciliation_report,
    reject_line,
)
from yibao.services.money.views import NoticeView, PaymentView

router = APIRouter(prefix="/api/v1", tags=["money"], responses=ERROR_RESPONSES)


class NoticeIn(BaseModel):
    """A notice for a household's assessed members (整户), or for one enrollment: give one of the two."""

    household_id: RecordId | None = None
    enrollment_id: RecordId | None = None


class PaymentIn(BaseModel):
    channel: str = Field(description=f"one of {', '.join(PAYMENT_CHANNELS)}")
    amount_fen: int = Field(description="amount received, in fen (分)")
    transaction_id: str | None = Field(
        None,
        max_length=64,
        description="the channel's own id; required except for counter cash. Sent twice: one payment",
    )
    paid_at: datetime | None = Field(None, description="when the money moved; default: now")
    notice_number: str | None = Field(None, description="缴费通知单号 (or give enrollment_id)")
    enrollment_id: RecordId | None = None
    payer_name: str | None = Field(None, max_length=64)
    note: str | None = Field(None, max_length=200)


class BatchLineIn(BaseModel):
    enrollment_id: RecordId
    collected_fen: int = Field(ge=0)


class CollectionBatchIn(BaseModel):
    batch_number: str = Field(min_length=1, max_length=64, description="the collector's own number for the hand-in")
    collector: str = Field(min_length=1, max_length=64, description="the village, school or institution")
    handed_in_fen: int
    paid_at: datetime | None = None
    lines: list[BatchLineIn] = Field(min_length=1)


class ReversalIn(BaseModel):
    reason: str
    transaction_id: str | None = Field(None, description="the channel's id of the reversal, if it has one")


class RefundIn(BaseModel):
    reason: str
    amount_fen: int | None = Field(None, description="default: all the payment holds for nobody")
    transaction_id: str | None = Field(None, description="the transfer's id, if the refund went by bank")

    @model_validator(mode="after")
    def _positive(self) -> RefundIn:
        if self.amount_fen is not None and self.amount_fen <= 0:
            raise ValueError("amount_fen must be positive")
        return self


@router.post("/notices", status_code=201, summary="Issue a payment notice (缴费通知单)")
def issue_notice(work: ApiWork, body: NoticeIn) -> NoticeView:
    return notices.issue_notice(
        work.uow, work.principal, household_id=body.household_id, enrollment_id=body.enrollment_id
    )


@router.get("/notices/{number}", summary="A notice, its people, what is paid and what is left")
def get_notice(work: ApiWork, number: str) -> NoticeView:
    return notices.get_notice(work.uow, work.principal, number)


@router.post(
    "/payments",
    status_code=201,
    summary="Record a payment from any channel",
    description="Idempotent: the same (channel, transaction_id) again answers 200 with the first payment and "
    "`duplicate: true`; with a different amount or notice it is refused (PAYMENT_CONFLICT).",
)
def record_payment(work: ApiWork, body: PaymentIn, response: Response) -> PaymentView:
    request = payments.PaymentRequest(
        channel=body.channel,
        amount_fen=body.amount_fen,
        paid_at=body.paid_at or work.uow.now,
        transaction_id=body.transaction_id,
        notice_number=body.notice_number,
        enrollment_id=body.enrollment_id,
        payer_name=body.payer_name,
        note=body.note,
    )
    view = payments.record_payment(work.uow, work.principal, request)
    if view.duplicate:
        response.status_code = 200
    return view


@router.post("/collection-batches", status_code=201, summary="A village's or school's cash for a list (代收)")
def record_collection_batch(work: ApiWork, body: CollectionBatchIn, response: Response) -> PaymentView:
    batch = payments.CollectionBatchRequest(
        batch_number=body.batch_number,
        collector=body.collector,
        handed_in_fen=body.handed_in_fen,
        paid_at=body.paid_at or work.uow.now,
        lines=tuple(BatchLine(line.enrollment_id, line.collected_fen) for line in body.lines),
    )
    view = payments.record_collection_batch(work.uow, work.principal, batch)
    if view.duplicate:
        response.status_code = 200
    return view


class HandoverIn(BaseModel):
    insurance_year: int = Field(ge=2000, le=2100)
    township_code: str = Field(max_length=12)
    village_code: str = Field(max_length=12, description="the 村（居） that collected the cash")
    day: date = Field(description="the collection day the cash belongs to")
    amount_fen: int = Field(ge=-(10**12), le=10**12, description="negative: a correction, with a note")
    receipt_numbers: str = Field(default="", max_length=200, description="专用票据号 issued for this cash")
    handed_by: str = Field(max_length=64, description="the community's collector")
    note: str | None = Field(default=None, max_length=200)


class HandoverDayOut(BaseModel):
    village_code: str | None
    village_name: str
    day: date
    people: int
    collected_fen: int
    handed_fen: int
    difference_fen: int = Field(description="collected minus handed up: what the community still holds")
    receipts: list[str]


@router.post("/cash-handovers", status_code=201, summary="A community's collected cash handed up to the office (上缴)")
def record_handover(work: ApiWork, body: HandoverIn) -> handovers.HandoverView:
    return handovers.record_handover(work.uow, work.principal, handovers.HandoverRequest(**body.model_dump()))


@router.get("/cash-handovers", summary="Per community and collection day: collected against handed up")
def handover_days(
    work: ApiWork,
    insurance_year: Annotated[int, Query(ge=2000, le=2100)],
    township_code: Annotated[str, Query(max_length=12)],
) -> list[HandoverDayOut]:
    return [
        HandoverDayOut(**asdict(row), difference_fen=row.difference_fen)
        for row in handovers.handover_days(work.uow, work.principal, insurance_year, township_code)
    ]


@router.get("/payments/{payment_id}")
def get_payment(work: ApiWork, payment_id: int) -> PaymentView:
    return payments.get_payment(work.uow, work.principal, payment_id)


@router.get(
    "/payments/{payment_id}/receipt.pdf",
    summary="The receipt (缴费票据) as a PDF",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "the receipt"}},
)
def payment_receipt(work: ApiWork, payment_id: int) -> Response:
    content = receipts.receipt_pdf(work.uow, work.principal, payment_id)
    return Response(content, media_type="application/pdf")


@router.get(
    "/notices/{number}/pdf",
    summary="The notice (缴费通知单) as a PDF, with its QR code",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "the notice"}},
)
def notice_pdf(work: ApiWork, number: str) -> Response:
    return Response(notices.notice_pdf(work.uow, work.principal, number), media_type="application/pdf")


@router.post("/payments/{payment_id}/reversal", status_code=201, summary="冲正: undo a payment (finance)")
def reverse_payment(work: ApiWork, payment_id: int, body: ReversalIn) -> PaymentView:
    return reversals.reverse_payment(work.uow, work.principal, payment_id, body.reason, body.transaction_id)


@router.post("/payments/{payment_id}/refund", status_code=201, summary="退费: pay back what pays for nobody")
def refund_payment(work: ApiWork, payment_id: int, body: RefundIn) -> PaymentView:
    return reversals.refund_payment(
        work.uow, work.principal, payment_id, body.reason, body.amount_fen, body.transaction_id
    )


@router.get("/refunds-due", summary="Payments holding money for nobody: the refunds to issue")
def refunds_due(work: ApiWork, insurance_year: int | None = None) -> list[PaymentView]:
    return refunds_to_issue(work.uow, work.principal, insurance_year)


@router.get("/collections", summary="Collections per township and channel (a day's, or the year's)")
def collection_report(
    work: ApiWork,
    insurance_year: Annotated[int, Query(ge=2000, le=2100)],
    day: date | None = None,
) -> CollectionReport:
    return collections(work.uow, work.principal, insurance_year, day)


@router.post(
    "/statements",
    status_code=202,
    summary="Reconcile a bank or tax statement (对账单) in the background; poll the job it returns",
    description="Default layout: 交易流水号, 金额 (yuan), 交易时间, and optionally 通知单号, 缴费人, 交易类型 "
    "(收款/冲正), 原交易流水号, 摘要. A bank's own headers: `layout` as JSON, e.g. "
    '`{"Serial": "transaction_id", "Amt": "amount"}`. The same file again is the same statement.',
)
def import_statement(
    context: Context,
    work: ApiWork,
    file: Annotated[UploadFile, File(description=".xlsx or .csv")],
    channel: Annotated[str, Form(description=f"one of {', '.join(PAYMENT_CHANNELS)}")],
    layout: Annotated[str | None, Form(description="JSON: {their header: our column key}")] = None,
) -> JobOut:
    try:
        mapping = json.loads(layout) if layout else None
    except json.JSONDecodeError:
        raise YibaoError("REQUEST_INVALID", field="layout", problem="not JSON") from None
    if mapping is not None and not (
        isinstance(mapping, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in mapping.items())
    ):
        raise YibaoError("REQUEST_INVALID", field="layout", problem="an object of header to column key")
    request = StatementRequest(channel, file.filename or "对账单.csv", file.file.read(), mapping)
    return job_out(start_statement_import(context.jobs, context.unit_of_work, work.principal, request))


@router.get("/statements/{statement_id}", summary="The reconciliation report of a statement, per township")
def get_statement(work: ApiWork, statement_id: int) -> ReconciliationReport:
    return reconciliation_report(work.uow, work.principal, statement_id)


@router.get("/statement-lines", summary="Finance's worklist: statement lines nothing matched")
def worklist(work: ApiWork) -> list[LineView]:
    return open_lines(work.uow, work.principal)


class AssignIn(BaseModel):
    notice_number: str | None = None
    enrollment_id: RecordId | None = None


class RejectIn(BaseModel):
    reason: str


@router.post("/statement-lines/{line_id}/assign", summary="Record the line's money on a notice (or enrollment)")
def assign(work: ApiWork, line_id: int, body: AssignIn) -> LineView:
    return assign_line(work.uow, work.principal, line_id, body.notice_number, body.enrollment_id)


@router.post("/statement-lines/{line_id}/reject", summary="Not ours to take: the money goes back through the bank")
def reject(work: ApiWork, line_id: int, body: RejectIn) -> LineView:
    return reject_line(work.uow, work.principal, line_id, body.reason)
