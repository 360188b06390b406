"""登记册审核: a township office receives its villages' registers (paper and electronic, with the cash), checks
them, returns them with reasons; the county reviews them; the deposit is recorded. Where each village's register
stands, on the township's page; each township's, on the district's."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from yibao.domain.errors import YibaoError
from yibao.domain.money import format_yuan
from yibao.domain.states import RegisterState
from yibao.entrypoints.http.errors import status_for
from yibao.entrypoints.http.jobs import XLSX
from yibao.entrypoints.web.amounts import amount, people_lines
from yibao.entrypoints.web.routes import campaign_year, form_fields, page
from yibao.entrypoints.web.session import CheckedCsrf, WebWork
from yibao.services.access import DISTRICT_ROLES, Permission
from yibao.services.registry.areas import list_areas
from yibao.services.review.printout import write_register_paper
from yibao.services.review.registers import SubmitRequest, amend_register, submit_register
from yibao.services.review.steps import (
    STEP_PERMISSION,
    CheckRequest,
    check_register,
    deposit_register,
    return_register,
    review_register,
)
from yibao.services.review.views import RegisterView, list_registers, payable_counts, payable_lines, register_detail

router = APIRouter(include_in_schema=False)
Form = Annotated[dict[str, str], Depends(form_fields)]


def _lines_text(lines: list[tuple[int, int]]) -> str:
    return "\n".join(f"{enrollment_id} {format_yuan(fen)}" for enrollment_id, fen in lines)


def _by_township(registers: list[RegisterView]) -> list[dict[str, Any]]:
    """Per township: its name and how many registers stand in each state (the district's view)."""
    rows: dict[str, dict[str, Any]] = {}
    for register in registers:
        row = rows.setdefault(
            register.township_code,
            {"code": register.township_code, "name": register.township_name} | dict.fromkeys(RegisterState.codes(), 0),
        )
        row[register.state.code] += 1
    return sorted(rows.values(), key=lambda row: row["code"])


def _latest_by_village(registers: list[RegisterView]) -> dict[str, RegisterView]:
    latest: dict[str, RegisterView] = {}
    for register in registers:  # newest first
        latest.setdefault(register.village_code, register)
    return latest


def _list_page(request: Request, work: Any, township: str | None, status_code: int = 200, **extra: Any) -> Response:
    areas = list_areas(work.uow, work.principal)
    townships = [area for area in areas if area.level == "township"]
    district_view = work.principal.role in DISTRICT_ROLES and not township
    chosen = township or (townships[0].code if len(townships) == 1 else None)
    year = campaign_year(work)
    registers = list_registers(work.uow, work.principal, year, chosen)
    form = extra.pop("form", None) or {}
    village = form.get("village") or request.query_params.get("village", "")
    if "lines" not in form and village and request.query_params.get("prefill"):
        form = {
            **form,
            "village": village,
            "lines": _lines_text(payable_lines(work.uow, work.principal, year, village)),
        }
    return page(
        request,
        work,
        "registers.html",
        status_code=status_code,
        year=year,
        township=chosen,
        townships=townships,
        district_view=district_view,
        villages=[area for area in areas if area.level == "village" and area.parent_code == chosen],
        registers=registers,
        latest=_latest_by_village(registers),
        to_pay=payable_counts(work.uow, work.principal, year, chosen) if chosen else {},
        by_township=_by_township(registers) if district_view else [],
        states=list(RegisterState),
        may_submit=work.principal.may(Permission.CHECK_REGISTERS) and chosen is not None,
        form=form,
        **extra,
    )


@router.get("/registers")
def registers(request: Request, work: WebWork, township: str | None = None) -> Response:
    return _list_page(request, work, township)


@router.post("/registers")
def submit(request: Request, work: WebWork, _csrf: CheckedCsrf, form: Form) -> Response:
    township = form.get("township", "")
    try:
        detail = submit_register(
            work.uow,
            work.principal,
            SubmitRequest(
                campaign_year(work),
                township,
                form.get("village", ""),
                form.get("collector", ""),
                amount(form.get("cash", ""), "cash"),
                tuple(people_lines(form.get("lines", ""))),
            ),
        )
    except YibaoError as error:
        work.uow.rollback()
        return _list_page(request, work, township or None, status_code=status_for(error), error=error, form=form)
    return RedirectResponse(f"/registers/{detail.register.id}", status_code=303)


def _detail_page(request: Request, work: Any, register_id: int, status_code: int = 200, **extra: Any) -> Response:
    detail = register_detail(work.uow, work.principal, register_id)
    register = detail.register
    step = register.awaiting
    me = work.principal
    return page(
        request,
        work,
        "register.html",
        status_code=status_code,
        detail=detail,
        register=register,
        may_amend=me.may(Permission.CHECK_REGISTERS)
        and register.state in (RegisterState.SUBMITTED, RegisterState.RETURNED),
        may_step=step is not None and me.may(STEP_PERMISSION[step]) and me.covers_township(register.township_code),
        lines_text=_lines_text([(line.enrollment_id, line.collected_fen) for line in detail.lines]),
        form=extra.pop("form", None) or {},
        **extra,
    )


@router.get("/registers/{register_id}")
def register(request: Request, work: WebWork, register_id: int) -> Response:
    return _detail_page(request, work, register_id)


@router.get("/registers/{register_id}/paper.{kind}")
def paper(work: WebWork, register_id: int, kind: str) -> Response:
    """The printed 登记册 of the roster's current version, to sign and stamp (PDF) or keep (xlsx)."""
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / f"register.{kind}"
        content = write_register_paper(work.uow, work.principal, register_id, target, kind).read_bytes()
    number = register_detail(work.uow, work.principal, register_id).register.number
    disposition = f"attachment; filename*=utf-8''{quote(f'参保缴费登记册-{number}.{kind}')}"
    return Response(
        content,
        media_type="application/pdf" if kind == "pdf" else XLSX,
        headers={"Content-Disposition": disposition},
    )


def _optional_count(value: str) -> int | None:
    value = value.strip()
    if not value:
        return None
    if not value.isdigit():
        raise YibaoError("YUAN_INVALID", field="paper_people", value=value)
    return int(value)


@router.post("/registers/{register_id}/{action}")
def act(request: Request, work: WebWork, _csrf: CheckedCsrf, register_id: int, action: str, form: Form) -> Response:
    """One step on the register: amend, check, review, return or deposit."""
    remarks = form.get("remarks", "")
    try:
        if action == "amend":
            amend_register(
                work.uow,
                work.principal,
                register_id,
                amount(form.get("cash", ""), "cash"),
                tuple(people_lines(form.get("lines", ""))),
            )
        elif action == "check":
            total = form.get("paper_total", "").strip()
            check_register(
                work.uow,
                work.principal,
                register_id,
                CheckRequest(
                    amount(form.get("cash", ""), "cash"),
                    form.get("paper_code", ""),
                    _optional_count(form.get("paper_people", "")),
                    amount(total, "paper_total") if total else None,
                    remarks or None,
                ),
            )
        elif action == "review":
            review_register(work.uow, work.principal, register_id, remarks or None)
        elif action == "return":
            return_register(work.uow, work.principal, register_id, remarks)
        elif action == "deposit":
            deposit_register(
                work.uow,
                work.principal,
                register_id,
                form.get("reference", ""),
                amount(form.get("amount", ""), "amount"),
            )
        else:
            raise YibaoError("PAGE_NOT_FOUND", path=request.url.path)
    except YibaoError as error:
        work.uow.rollback()
        return _detail_page(request, work, register_id, status_code=status_for(error), error=error, form=form)
    return RedirectResponse(f"/registers/{register_id}", status_code=303)
