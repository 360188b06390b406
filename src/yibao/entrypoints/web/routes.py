"""Pages: sign-in, a home page per role, search, the counter (register and enroll a household), a record.

Each page parses its form, calls one use case, and renders what it returns; refusals come back as the services'
errors, shown beside the form with the row and field they name.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from yibao.domain.certification import source_text
from yibao.domain.crosscheck.findings import FINDING_KINDS
from yibao.domain.errors import YibaoError, kind_of
from yibao.domain.money import format_yuan
from yibao.domain.policy import Policy
from yibao.domain.states import (
    ENROLLMENT_STATE_HELP,
    PAYABLE_ENROLLMENTS,
    PROGRESS_HELP,
    REASSESSABLE_ENROLLMENTS,
    UNPAID_ENROLLMENTS,
    EnrollmentState,
    FindingStatus,
    JobState,
    OrganizationKind,
    PaymentKind,
    StatementLineState,
)
from yibao.domain.timeutil import SHANGHAI
from yibao.domain.vocabulary import CATEGORIES, CHANNELS, IDENTITIES, RESIDENCY_SHORT, SURVIVAL_STATUSES
from yibao.entrypoints.http.context import AppContext, app_context
from yibao.entrypoints.http.errors import status_for
from yibao.entrypoints.web.dashboard import dashboard_context
from yibao.entrypoints.web.session import (
    COOKIE,
    LOGIN_COOKIE,
    CheckedCsrf,
    WebWork,
    csrf_token,
    login_csrf_ok,
    new_login_nonce,
)
from yibao.services import users
from yibao.services.access import ROLE_NAMES, Permission
from yibao.services.policy.campaigns import CampaignChoice, campaign_choices, campaign_policy
from yibao.services.policy.plans import district_policies, get_policy
from yibao.services.registry import enrollments, residents
from yibao.services.registry import households as registry
from yibao.services.registry.areas import list_areas

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.filters["yuan"] = lambda fen: "—" if fen is None else format_yuan(fen)
templates.env.filters["local_time"] = lambda at: at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
templates.env.filters["local_date"] = lambda at: at.astimezone(SHANGHAI).strftime("%Y-%m-%d")
templates.env.filters["count"] = lambda number: "—" if number is None else f"{number:,}"
templates.env.filters["error_kind"] = kind_of  # a code's kind in Chinese; the code itself only as small print


class _Who:
    """``{{ who(s.actor) }}`` in a page: who did something, as people call them (a record's actor is a username);
    the users' names are read once per page, when first asked."""

    def __init__(self, work: Any) -> None:
        self._work = work
        self._names: dict[str, str] | None = None

    def __call__(self, actor: str | None) -> str:
        if not actor:
            return "—"
        if self._work is None:
            return actor
        if self._names is None:
            self._names = users.actor_names(self._work.uow.session)
        return users.actor_name(actor, self._names)


templates.env.globals.update(
    CATEGORIES=CATEGORIES,
    CHANNELS=CHANNELS,
    IDENTITIES=IDENTITIES,
    STATES=EnrollmentState.names(),
    STATE_HELP=ENROLLMENT_STATE_HELP,
    PROGRESS_HELP=PROGRESS_HELP,
    EnrollmentState=EnrollmentState,
    PaymentKind=PaymentKind,
    StatementLineState=StatementLineState,
    FindingStatus=FindingStatus,
    OrganizationKind=OrganizationKind,
    JobState=JobState,
    PAYABLE_ENROLLMENTS=PAYABLE_ENROLLMENTS,
    REASSESSABLE_ENROLLMENTS=REASSESSABLE_ENROLLMENTS,
    UNPAID_ENROLLMENTS=UNPAID_ENROLLMENTS,
    ROLE_NAMES=ROLE_NAMES,
    SURVIVAL=SURVIVAL_STATUSES,
    RESIDENCY=RESIDENCY_SHORT,
    identity_source=source_text,
    Permission=Permission,
    FINDING_KINDS=FINDING_KINDS,
)
router = APIRouter(include_in_schema=False)
MEMBER_ROWS = 6
RELATIONS = ["户主", "配偶", "子女", "父母", "其他"]


def page(request: Request, work: Any, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    token = request.cookies.get(COOKIE, "")
    return templates.TemplateResponse(
        request,
        name,
        {
            "me": work.principal if work else None,
            "who": _Who(work),
            "csrf": csrf_token(token) if token else "",
            **context,
        },
        status_code=status_code,
    )


def _login_page(request: Request, next: str, status_code: int = 200, **extra: Any) -> HTMLResponse:
    """The sign-in form with a fresh CSRF pair: the nonce in a cookie and in the form's hidden field."""
    nonce = new_login_nonce()
    response = page(request, None, "login.html", status_code=status_code, next=next, login_nonce=nonce, **extra)
    context = app_context(request)
    response.set_cookie(
        LOGIN_COOKIE, nonce, httponly=True, samesite="strict", secure=context.secure_cookies, max_age=3600
    )
    return response


@router.get("/login")
def login_form(request: Request, next: str = "/") -> HTMLResponse:
    return _login_page(request, next)


@router.post("/login")
def login(
    request: Request,
    context: Annotated[AppContext, Depends(app_context)],
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",
    login_nonce: Annotated[str, Form()] = "",
) -> Response:
    try:
        if not login_csrf_ok(request, login_nonce):
            raise YibaoError("LOGIN_FORM_STALE")
        address = request.client.host if request.client else None
        with context.unit_of_work(username) as uow:
            token = users.login(uow, username, password, kind="web", address=address)
    except YibaoError as error:
        return _login_page(request, next, status_for(error), error=error, username=username)
    target = next if next.startswith("/") and not next.startswith("//") else "/"
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(COOKIE, token, httponly=True, samesite="lax", secure=context.secure_cookies, max_age=12 * 3600)
    return response


@router.post("/logout")
def logout(request: Request, work: WebWork, _csrf: CheckedCsrf) -> Response:
    users.logout(work.uow, request.cookies.get(COOKIE, ""))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE)
    return response


def _district_policies(work: Any) -> list[Policy]:
    return district_policies(work.principal.district, work.uow.session)


def campaign_year(work: Any) -> int:
    """The insurance year of the district's campaign under way (the next year, for a district with no plan)."""
    try:
        return campaign_policy(work.principal.district, work.uow.now.date(), work.uow.session).insurance_year
    except YibaoError:
        return int(work.uow.now.year) + 1


def open_campaign_choices(work: Any) -> list[CampaignChoice]:
    """The district's open campaigns today, for the pages that say which year is which where two are open."""
    day = work.uow.now.astimezone(SHANGHAI).date()
    return campaign_choices(work.uow.session, work.principal.district, day)


@router.get("/")
def home(request: Request, work: WebWork) -> HTMLResponse:
    year = campaign_year(work)
    counts = (
        enrollments.enrollment_counts(work.uow, work.principal, year)
        if work.principal.may(Permission.READ_RESIDENTS)
        else []
    )
    totals: dict[str, int] = {}
    for township in counts:
        for state, count in township.by_state.items():
            totals[state] = totals.get(state, 0) + count
    progress: dict[str, Any] = {}
    if work.principal.may(Permission.READ_RESIDENTS):
        try:  # the campaign's progress heads the page (the district bureau's dashboard); no plan, no progress
            progress = dashboard_context(work, work.uow.now.astimezone(SHANGHAI).date())
        except YibaoError:
            progress = {}
    campaigns = open_campaign_choices(work)
    return page(request, work, "home.html", year=year, counts=counts, totals=totals, campaigns=campaigns, **progress)


@router.get("/residents")
def search(request: Request, work: WebWork, q: str = "", household: int | None = None, offset: int = 0) -> HTMLResponse:
    query = residents.SearchQuery(q or None, None, None, household, 50, max(offset, 0))
    found = residents.search(work.uow, work.principal, query)
    return page(request, work, "search.html", q=q, found=found)


def _counter_choices(work: Any) -> dict[str, Any]:
    """The plans a clerk may register under today — those of the district's open campaigns, the day's default
    first, each saying which year it is and whether its registration window is open — and whether the form
    offers 按人员自动确定: where two are open and neither's window is, the members decide (a newborn of this
    year goes to this year's campaign)."""
    campaigns = open_campaign_choices(work)
    policies = [choice.policy for choice in campaigns] or _district_policies(work)
    areas = list_areas(work.uow, work.principal)
    return {
        "policies": policies,
        "campaigns": campaigns,
        "by_person": len(campaigns) > 1 and not any(choice.in_window for choice in campaigns),
        "townships": [area for area in areas if area.level == "township"],
        "villages": [area for area in areas if area.level == "village"],
        "relations": RELATIONS,
        "rows": range(1, MEMBER_ROWS + 1),
    }


@router.get("/counter")
def counter_form(request: Request, work: WebWork) -> HTMLResponse:
    work.principal.require(Permission.WRITE_RESIDENTS)
    return page(request, work, "counter.html", form={}, **_counter_choices(work))


async def form_fields(request: Request) -> dict[str, str]:
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


def _household_request(work: Any, form: dict[str, str]) -> tuple[registry.HouseholdEnrollment, list[int]]:
    """The household the form describes, and the form row of each member (the clerk may leave rows empty)."""
    members = []
    form_rows = []
    for row in range(1, MEMBER_ROWS + 1):
        name, number = form.get(f"m{row}_name", "").strip(), form.get(f"m{row}_id_number", "").strip()
        if not name and not number:
            continue
        form_rows.append(row)
        identity = form.get(f"m{row}_identity", "")
        members.append(
            registry.Member(
                id_number=number,
                name=name,
                relation=form.get(f"m{row}_relation", "其他"),
                category=form.get(f"m{row}_category") or None,
                tier=form.get(f"m{row}_tier") or None,
                identities=(identity,) if identity else (),
                phone=form.get(f"m{row}_phone") or None,
                residency=form.get(f"m{row}_residency") or None,
                evidence=form.get(f"m{row}_evidence", "").strip() or None,
            )
        )
    request = registry.HouseholdEnrollment(
        policy_id=form.get("policy_id", ""),
        township_code=form.get("township_code", ""),
        channel=form.get("channel", "village"),
        registered_at=work.uow.now,
        members=tuple(members),
        address=form.get("address") or None,
        household_number=form.get("household_number") or None,
        village_code=form.get("village_code") or None,
    )
    return request, form_rows


def _form_digest(form: dict[str, str]) -> str:
    """What the clerk typed, as one value: a confirmation holds only for the very form that was previewed."""
    typed = sorted((key, value) for key, value in form.items() if key not in ("csrf", "action", "previewed"))
    return hashlib.sha256(json.dumps(typed, ensure_ascii=False).encode()).hexdigest()


@router.post("/counter")
def counter_submit(
    request: Request, work: WebWork, _csrf: CheckedCsrf, form: Annotated[dict[str, str], Depends(form_fields)]
) -> HTMLResponse:
    """核定 first: the household checked and assessed as registering would, nothing written, shown to the clerk;
    then 确认登记 registers it — only the form previewed (changed since, it is previewed again)."""
    household, form_rows = _household_request(work, form)
    digest = _form_digest(form)
    confirmed = form.get("action") == "confirm" and form.get("previewed") == digest
    try:
        result = registry.enroll_household_view(work.uow, work.principal, household, preview=not confirmed)
    except YibaoError as error:
        # The request's rows are the member rows the clerk filled in; the form shows them by the form's own rows.
        row_of = {number: row for number, row in enumerate(form_rows, start=1)}
        bad_rows = {row_of[problem.row] for problem in error.problems if problem.row in row_of}
        return page(
            request,
            work,
            "counter.html",
            status_code=422,
            form=form,
            error=error,
            row_of=row_of,
            bad_rows=bad_rows,
            **_counter_choices(work),
        )
    if not confirmed:
        changed = form.get("action") == "confirm"  # confirmed a form edited after its preview
        return page(
            request,
            work,
            "counter.html",
            form=form,
            preview=result,
            previewed=digest,
            changed=changed,
            **_counter_choices(work),
        )
    policy = get_policy(result.members[0].enrollment.policy_id, work.uow.session)
    return page(request, work, "counter_result.html", result=result, policy=policy)
