"""Finance's reconciliation pages (对账): upload a statement (reconciled in the background; the job's page links
to its report), a statement's report per township, and the worklist of lines nothing matched, each assigned to
a notice or rejected right there."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from yibao.domain.errors import YibaoError
from yibao.domain.payments import PAYMENT_CHANNELS
from yibao.domain.statement import STATEMENT_COLUMNS, parse_layout
from yibao.domain.states import StatementLineState
from yibao.domain.timeutil import SHANGHAI
from yibao.entrypoints.http.context import Context
from yibao.entrypoints.http.errors import status_for
from yibao.entrypoints.web.routes import form_fields, page
from yibao.entrypoints.web.session import CheckedCsrf, WebWork
from yibao.services.money import statement_worklist
from yibao.services.money.reconciliation import StatementRequest
from yibao.services.money.statement_jobs import start_statement_import

router = APIRouter(include_in_schema=False)


def reconciliation_page(request: Request, work: Any, status_code: int = 200, **extra: Any) -> Response:
    return page(
        request,
        work,
        "reconciliation.html",
        status_code=status_code,
        channels=PAYMENT_CHANNELS,
        columns=STATEMENT_COLUMNS,
        statements=statement_worklist.recent_statements(work.uow, work.principal),
        lines=statement_worklist.open_lines(work.uow, work.principal),
        tz=SHANGHAI,
        **extra,
    )


@router.get("/reconciliation")
def reconciliation(request: Request, work: WebWork) -> Response:
    return reconciliation_page(request, work)


@router.post("/reconciliation")
def upload(
    request: Request,
    context: Context,
    work: WebWork,
    _csrf: CheckedCsrf,
    file: Annotated[UploadFile, File()],
    channel: Annotated[str, Form()],
    layout: Annotated[str, Form()] = "",
) -> Response:
    try:
        content = file.file.read()
        if not file.filename or not content:
            raise YibaoError("ROSTER_EMPTY", field="file", name=file.filename or "（未选择文件）")
        statement = StatementRequest(channel, file.filename, content, parse_layout(layout.splitlines()))
        job = start_statement_import(context.jobs, context.unit_of_work, work.principal, statement)
    except YibaoError as error:
        form = {"channel": channel, "layout": layout}
        return reconciliation_page(request, work, status_code=status_for(error), error=error, upload_form=form)
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)


@router.get("/statements/{statement_id}")
def statement(request: Request, work: WebWork, statement_id: int) -> Response:
    report = statement_worklist.reconciliation_report(work.uow, work.principal, statement_id)
    return page(request, work, "statement.html", report=report, states=StatementLineState.names(), tz=SHANGHAI)


Form_ = Annotated[dict[str, str], Depends(form_fields)]


@router.post("/statement-lines/{line_id}/assign")
def assign(request: Request, work: WebWork, _csrf: CheckedCsrf, line_id: int, form: Form_) -> Response:
    try:
        statement_worklist.assign_line(work.uow, work.principal, line_id, form.get("notice_number", "").strip())
    except YibaoError as error:
        work.uow.rollback()
        return reconciliation_page(request, work, status_code=status_for(error), error=error, failed_line=line_id)
    return RedirectResponse(f"/reconciliation?assigned={line_id}", status_code=303)


@router.post("/statement-lines/{line_id}/reject")
def reject(request: Request, work: WebWork, _csrf: CheckedCsrf, line_id: int, form: Form_) -> Response:
    try:
        statement_worklist.reject_line(work.uow, work.principal, line_id, form.get("reason", ""))
    except YibaoError as error:
        work.uow.rollback()
        return reconciliation_page(request, work, status_code=status_for(error), error=error, failed_line=line_id)
    return RedirectResponse(f"/reconciliation?rejected={line_id}", status_code=303)
