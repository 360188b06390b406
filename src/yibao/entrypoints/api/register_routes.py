"""登记册审核 over /api/v1: a village's register submitted, corrected, checked, reviewed, returned and deposited,
its paper printed, and where each register stands. Each route parses and calls one use case."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from yibao.entrypoints.api.context import ApiWork
from yibao.entrypoints.api.schemas import ERROR_RESPONSES, RecordId
from yibao.entrypoints.http.jobs import XLSX
from yibao.services.review import registers, steps, views
from yibao.services.review.printout import write_register_paper

router = APIRouter(prefix="/api/v1", tags=["registers"], responses=ERROR_RESPONSES)
Fen = Annotated[int, Field(ge=0, le=10**12, description="in fen (分)")]


class RegisterLineIn(BaseModel):
    enrollment_id: RecordId
    collected_fen: Fen


class RosterIn(BaseModel):
    cash_fen: Fen = Field(description="the cash the village says it collected")
    lines: list[RegisterLineIn] = Field(max_length=20_000, description="the electronic roster: one line a person")


class RegisterIn(RosterIn):
    insurance_year: int = Field(ge=2000, le=2100)
    township_code: str = Field(max_length=12)
    village_code: str = Field(max_length=12)
    collector: str = Field(max_length=64, description="the village's collector who hands the register in")


class CheckIn(BaseModel):
    cash_fen: Fen = Field(description="the cash counted at the office")
    paper_code: str = Field(max_length=120, description="the checksum printed on the paper, or its QR code's text")
    paper_people: int | None = Field(None, ge=0, le=1_000_000, description="the paper's total people; null: QR's")
    paper_total_fen: Fen | None = Field(None, description="the paper's total; null: the QR code's")
    remarks: str | None = Field(None, max_length=500)


class RemarksIn(BaseModel):
    remarks: str | None = Field(None, max_length=500)


class DepositIn(BaseModel):
    reference: str = Field(max_length=64, description="the bank's deposit reference (缴款凭证号)")
    amount_fen: Fen


def _lines(body: RosterIn) -> tuple[tuple[int, int], ...]:
    return tuple((line.enrollment_id, line.collected_fen) for line in body.lines)


@router.post("/registers", status_code=201, summary="村（居）提交: the office receives a village's register")
def submit_register(work: ApiWork, body: RegisterIn) -> views.RegisterDetail:
    request = registers.SubmitRequest(
        body.insurance_year, body.township_code, body.village_code, body.collector, body.cash_fen, _lines(body)
    )
    return registers.submit_register(work.uow, work.principal, request)


@router.get("/registers", summary="The year's registers, with where each stands (one township's, if given)")
def list_registers(
    work: ApiWork,
    insurance_year: Annotated[int, Query(ge=2000, le=2100)],
    township_code: Annotated[str | None, Query(max_length=12)] = None,
) -> list[views.RegisterView]:
    return views.list_registers(work.uow, work.principal, insurance_year, township_code)


@router.get("/registers/{register_id}", summary="A register: its roster and its history")
def get_register(work: ApiWork, register_id: int) -> views.RegisterDetail:
    return views.register_detail(work.uow, work.principal, register_id)


@router.put("/registers/{register_id}/roster", summary="The village corrects its electronic roster (a new version)")
def amend_register(work: ApiWork, register_id: int, body: RosterIn) -> views.RegisterDetail:
    return registers.amend_register(work.uow, work.principal, register_id, body.cash_fen, _lines(body))


@router.post(
    "/registers/{register_id}/check",
    summary="社保所核对: passes the register, or returns it naming each differing person and household",
)
def check_register(work: ApiWork, register_id: int, body: CheckIn) -> views.RegisterDetail:
    request = steps.CheckRequest(body.cash_fen, body.paper_code, body.paper_people, body.paper_total_fen, body.remarks)
    return steps.check_register(work.uow, work.principal, register_id, request)


@router.post("/registers/{register_id}/review", summary="医保中心复核: the county passes the checked register")
def review_register(work: ApiWork, register_id: int, body: RemarksIn) -> views.RegisterDetail:
    return steps.review_register(work.uow, work.principal, register_id, body.remarks)


@router.post("/registers/{register_id}/return", summary="Back to the village, with the reasons")
def return_register(work: ApiWork, register_id: int, body: RemarksIn) -> views.RegisterDetail:
    return steps.return_register(work.uow, work.principal, register_id, body.remarks or "")


@router.post("/registers/{register_id}/deposit", summary="缴入指定账户: the deposit pays for the register's people")
def deposit_register(work: ApiWork, register_id: int, body: DepositIn) -> views.RegisterDetail:
    return steps.deposit_register(work.uow, work.principal, register_id, body.reference, body.amount_fen)


@router.get(
    "/registers/{register_id}/paper.{kind}",
    summary="The printed 登记册 of the roster's current version, with its totals, checksum and QR code",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}, XLSX: {}}, "description": "the paper"}},
)
def register_paper(work: ApiWork, register_id: int, kind: Literal["pdf", "xlsx"]) -> Response:
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / f"register.{kind}"
        content = write_register_paper(work.uow, work.principal, register_id, target, kind).read_bytes()
    return Response(content, media_type="application/pdf" if kind == "pdf" else XLSX)
