"""The plans page for the district admin (实施方案): the bundled plans and the district's own with their
revisions; upload next year's plan (or a correction) with its published text, see what the check finds, add it;
open and close the district's campaigns."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from yibao.domain.errors import YibaoError
from yibao.entrypoints.http.errors import status_for
from yibao.entrypoints.http.uploads import uploaded_text
from yibao.entrypoints.web.routes import page
from yibao.entrypoints.web.session import CheckedCsrf, WebWork
from yibao.services.access import Permission
from yibao.services.policy.campaigns import close_campaign, list_campaigns, open_campaign
from yibao.services.policy.plans import district_policies, list_policies
from yibao.services.policy.store import add_policy, check_plan, stored_revisions

router = APIRouter(include_in_schema=False)


def policies_page(request: Request, work: Any, status_code: int = 200, **extra: Any) -> Response:
    work.principal.require(Permission.MANAGE_POLICIES)
    return page(
        request,
        work,
        "policies.html",
        status_code=status_code,
        plans=list_policies(work.uow.session),
        revisions=stored_revisions(work.uow),
        campaigns=list_campaigns(work.uow, work.principal.district),
        district_plans=district_policies(work.principal.district, work.uow.session),
        **extra,
    )


@router.get("/policies")
def policies(request: Request, work: WebWork) -> Response:
    return policies_page(request, work)


@router.post("/policies")
def upload(
    request: Request,
    work: WebWork,
    _csrf: CheckedCsrf,
    file: Annotated[UploadFile, File()],
    document: Annotated[UploadFile | None, File()] = None,
    note: Annotated[str, Form()] = "",
    check_only: Annotated[str | None, Form()] = None,
) -> Response:
    form = {"note": note, "check_only": check_only or ""}
    try:
        text = uploaded_text(file, "file")
        if text is None:
            raise YibaoError("POLICY_UNREADABLE", field="file", source="（未选择文件）", problem="没有文件")
        name, quoted = file.filename or "policy.yaml", uploaded_text(document, "document")
        if check_only:
            report = check_plan(name, text, document=quoted, by=work.principal)
            return policies_page(request, work, report=report, checked_document=quoted is not None, policy_form=form)
        added = add_policy(work.uow, name, text, document=quoted, note=note, by=work.principal)
    except YibaoError as error:
        work.uow.rollback()
        return policies_page(request, work, status_code=status_for(error), error=error, policy_form=form)
    if added.stored is None:
        return policies_page(request, work, status_code=422, report=added.report, policy_form=form)
    stored = added.stored
    return RedirectResponse(
        f"/policies?added={stored.policy_id}&revision={stored.revision}&new={int(added.new_revision)}", status_code=303
    )


@router.post("/campaigns")
def campaign_open(
    request: Request, work: WebWork, _csrf: CheckedCsrf, policy_id: Annotated[str, Form()] = ""
) -> Response:
    try:
        view = open_campaign(work.uow, work.principal, policy_id)
    except YibaoError as error:
        work.uow.rollback()
        return policies_page(request, work, status_code=status_for(error), error=error)
    return RedirectResponse(f"/policies?opened={view.insurance_year}", status_code=303)


@router.post("/campaigns/{insurance_year}/close")
def campaign_close(request: Request, work: WebWork, _csrf: CheckedCsrf, insurance_year: int) -> Response:
    try:
        view = close_campaign(work.uow, work.principal, work.principal.district, insurance_year)
    except YibaoError as error:
        work.uow.rollback()
        return policies_page(request, work, status_code=status_for(error), error=error)
    return RedirectResponse(f"/policies?closed={view.insurance_year}", status_code=303)
