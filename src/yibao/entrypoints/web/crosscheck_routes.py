"""The cross-check pages (信息比对): an overview of findings per township and kind with the lists compared and
the runs; the worklist of one kind or township with each row's follow-up and, for the unenrolled, a reason to
record; the worklist as a file. Uploads and runs go to the background job page."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from yibao.adapters.crosscheck_engines import ENGINES, configured_engine
from yibao.domain.crosscheck.findings import FINDING_KINDS
from yibao.domain.crosscheck.reference_list import REFERENCE_KINDS
from yibao.domain.errors import YibaoError
from yibao.domain.states import FindingStatus
from yibao.entrypoints.http.context import Context
from yibao.entrypoints.http.errors import status_for
from yibao.entrypoints.http.jobs import XLSX
from yibao.entrypoints.web.routes import page
from yibao.entrypoints.web.session import CheckedCsrf, WebWork
from yibao.services.access import Permission
from yibao.services.crosscheck import reasons, worklists
from yibao.services.crosscheck import runs as crosscheck
from yibao.services.crosscheck.findings_export import export_findings
from yibao.services.crosscheck.jobs import start_crosscheck_run, start_reference_import
from yibao.services.crosscheck.reason_register import register, write_register
from yibao.services.crosscheck.reference_lists import ReferenceRequest
from yibao.services.policy.campaigns import campaign_policy
from yibao.services.registry.areas import list_areas

router = APIRouter(include_in_schema=False)


def _year(work: Any, year: int | None) -> int:
    if year is not None:
        return year
    today: date = work.uow.now.date()
    return campaign_policy(work.principal.district, today, work.uow.session).insurance_year


def overview_page(request: Request, work: Any, year: int | None, status_code: int = 200, **extra: Any) -> Response:
    insurance_year = _year(work, year)
    reads = work.principal.may(Permission.READ_RESIDENTS)
    if not reads:
        work.principal.require(Permission.UPLOAD_LISTS)
    counts = worklists.finding_counts(work.uow, work.principal, insurance_year)
    townships: dict[str, dict[str, Any]] = {}
    for count in counts:
        row = townships.setdefault(count.township_code, {"name": count.township_name, "kinds": {}, "open": 0})
        row["kinds"][count.kind] = count
        row["open"] += count.open
    kinds = sorted({count.kind for count in counts}, key=list(FINDING_KINDS).index)
    return page(
        request,
        work,
        "crosscheck.html",
        status_code=status_code,
        year=insurance_year,
        townships=townships,
        kinds=kinds,
        totals={kind: sum(c.total for c in counts if c.kind == kind) for kind in kinds},
        # A department's user only hands in lists: the upload form, none of the district's results.
        runs=crosscheck.recent_runs(work.uow, work.principal, insurance_year) if reads else [],
        lists=crosscheck.reference_lists(work.uow, work.principal, insurance_year) if reads else [],
        reference_kinds=REFERENCE_KINDS,
        engines=ENGINES,
        default_engine=configured_engine(),
        register_areas=list_areas(work.uow, work.principal) if work.principal.may(Permission.FOLLOW_UP) else [],
        **extra,
    )


@router.get("/crosscheck")
def overview(request: Request, work: WebWork, year: int | None = None) -> Response:
    return overview_page(request, work, year)


@router.get("/crosscheck/reason-register")
def reason_register(work: WebWork, year: int, township: str, village: str = "", kind: str = "pdf") -> Response:
    """The plan's 未参保原因登记表 of a 村（居）, or the township's summary to sign and stamp."""
    sheet = register(work.uow, work.principal, year, township, village or None)
    with tempfile.TemporaryDirectory() as folder:
        content = write_register(work.uow, sheet, Path(folder) / f"register.{kind}", kind).read_bytes()
    title = sheet.title + (f"-{sheet.village}" if sheet.village else f"-{sheet.township}汇总")
    disposition = f"attachment; filename*=utf-8''{quote(f'{title}.{kind}')}"
    media = "application/pdf" if kind == "pdf" else XLSX
    return Response(content, media_type=media, headers={"Content-Disposition": disposition})


@router.post("/crosscheck/run")
def run(
    request: Request,
    context: Context,
    work: WebWork,
    _csrf: CheckedCsrf,
    year: Annotated[int, Form()],
    engine: Annotated[str, Form()] = "",
) -> Response:
    try:
        job = start_crosscheck_run(
            context.jobs,
            context.unit_of_work,
            work.principal,
            crosscheck.CrosscheckRequest(year, engine or None),
            context.data_dir,
        )
    except YibaoError as error:
        return overview_page(request, work, year, status_code=status_for(error), error=error)
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)


@router.post("/crosscheck/lists")
def upload_list(
    request: Request,
    context: Context,
    work: WebWork,
    _csrf: CheckedCsrf,
    file: Annotated[UploadFile, File()],
    kind: Annotated[str, Form()],
    year: Annotated[int, Form()],
    as_of: Annotated[str, Form()] = "",
    source: Annotated[str, Form()] = "",
    dry_run: Annotated[str | None, Form()] = None,
) -> Response:
    try:
        content = file.file.read()
        if not file.filename or not content:
            raise YibaoError("ROSTER_EMPTY", field="file", name=file.filename or "（未选择文件）")
        try:
            day = date.fromisoformat(as_of) if as_of else None
        except ValueError:
            raise YibaoError("DATE_INVALID", field="as_of", value=as_of) from None
        offset = REFERENCE_KINDS[kind].year_offset if kind in REFERENCE_KINDS else None
        listed = ReferenceRequest(
            file.filename, content, kind, day, source or None, None if offset is None else year + offset, bool(dry_run)
        )
        job = start_reference_import(context.jobs, context.unit_of_work, work.principal, listed)
    except YibaoError as error:
        return overview_page(request, work, year, status_code=status_for(error), error=error)
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)


def _filters(kind: str | None, township: str | None, status: str | None) -> dict[str, str]:
    return {key: value for key, value in (("kind", kind), ("township", township), ("status", status)) if value}


FINDINGS_PAGE = 50  # rows per page of the worklist: a screen or two, not 37,000 px


@router.get("/crosscheck/findings")
def findings(
    request: Request,
    work: WebWork,
    year: int | None = None,
    kind: str | None = None,
    township: str | None = None,
    status: str | None = None,
    village: str | None = None,
    order: str = "place",
    page_number: Annotated[int, Query(alias="page", ge=1, le=1_000_000)] = 1,
) -> Response:
    insurance_year = _year(work, year)
    order = order if order in worklists.FINDING_ORDERS else "place"
    townships = [area for area in list_areas(work.uow, work.principal) if area.level == "township"]
    if not township and len(townships) == 1:
        township = townships[0].code  # a township's clerk: her own, with its villages to choose from
    filters = {
        "kind": kind or None,
        "township_code": township or None,
        "status": status or None,
        "village_code": (village or None) if township else None,
    }
    total = worklists.count_findings(work.uow, work.principal, insurance_year, **filters)
    pages = max(1, -(-total // FINDINGS_PAGE))
    page_number = min(page_number, pages)
    rows = worklists.list_findings(
        work.uow,
        work.principal,
        insurance_year,
        **filters,
        limit=FINDINGS_PAGE,
        offset=(page_number - 1) * FINDINGS_PAGE,
        order=order,
    )
    shown = _filters(kind, township, status) | ({"village": village} if village and township else {})
    query = urlencode({"year": insurance_year, **shown, **({"order": order} if order != "place" else {})})
    villages = worklists.village_counts(work.uow, work.principal, insurance_year, township) if township else []
    return page(
        request,
        work,
        "findings.html",
        year=insurance_year,
        rows=rows,
        total=total,
        pages=pages,
        first_row=(page_number - 1) * FINDINGS_PAGE + 1,
        page_number=page_number,
        query=query,
        kind=kind or "",
        township=township or "",
        townships=townships,
        status=status or "",
        village=village or "",
        villages=villages,
        order=order,
        orders=worklists.FINDING_ORDER_NAMES,
        statuses=FindingStatus.names(),
        reasons=reasons.REASON_NAMES,
        unenrolled_kinds=worklists.UNENROLLED_KINDS,
    )


@router.post("/crosscheck/findings/{finding_id}")
def follow_up(
    work: WebWork,
    _csrf: CheckedCsrf,
    finding_id: int,
    status: Annotated[str, Form()],
    back: Annotated[str, Form()],
    note: Annotated[str, Form()] = "",
) -> Response:
    worklists.set_status(work.uow, work.principal, finding_id, status, note or None)
    return RedirectResponse(_back(back, f"#finding-{finding_id}"), status_code=303)


@router.post("/crosscheck/reasons")
def reason(
    work: WebWork,
    _csrf: CheckedCsrf,
    finding_id: Annotated[int, Form()],
    reason: Annotated[str, Form()],
    back: Annotated[str, Form()],
    note: Annotated[str, Form()] = "",
) -> Response:
    reasons.record_reason_for_finding(work.uow, work.principal, finding_id, reason, note or None)
    return RedirectResponse(_back(back, f"#finding-{finding_id}"), status_code=303)


def _back(query: str, anchor: str) -> str:
    """Back to the worklist as it was filtered (only our own path: never an address from outside)."""
    return f"/crosscheck/findings?{query}{anchor}" if "//" not in query else "/crosscheck/findings"


@router.get("/crosscheck/findings.xlsx")
def export(
    work: WebWork,
    year: int | None = None,
    kind: str | None = None,
    township: str | None = None,
    status: str | None = None,
    village: str | None = None,
) -> Response:
    insurance_year = _year(work, year)
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "findings.xlsx"
        export_findings(
            work.uow,
            work.principal,
            insurance_year,
            target,
            kind=kind or None,
            township_code=township or None,
            status=status or None,
            village_code=(village or None) if township else None,
        )
        content = target.read_bytes()
    name = f"核查清单-{insurance_year}.xlsx"
    return Response(
        content,
        media_type=XLSX,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"},
    )
