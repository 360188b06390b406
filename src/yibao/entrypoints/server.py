"""The web server: the REST API under /api/v1 and the clerks' web pages, one FastAPI application."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DataError, DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from yibao.domain.errors import YibaoError
from yibao.entrypoints.api import (
    account_routes,
    area_routes,
    crosscheck_routes,
    job_routes,
    money_routes,
    policy_routes,
    routes,
    simulation_routes,
)
from yibao.entrypoints.api import progress_routes as api_progress_routes
from yibao.entrypoints.api import register_routes as api_register_routes
from yibao.entrypoints.http import errors
from yibao.entrypoints.http.context import AppContext
from yibao.entrypoints.web import area_routes as web_area_routes
from yibao.entrypoints.web import crosscheck_routes as web_crosscheck_routes
from yibao.entrypoints.web import (
    export_routes,
    handover_routes,
    list_routes,
    progress_routes,
    reconcile_routes,
    record_routes,
    roster_routes,
    unit_report_routes,
    user_routes,
)
from yibao.entrypoints.web import (
    money_routes as web_money_routes,
)
from yibao.entrypoints.web import policy_routes as web_policy_routes
from yibao.entrypoints.web import register_routes as web_register_routes
from yibao.entrypoints.web import routes as web_routes
from yibao.entrypoints.web import simulation_routes as web_simulation_routes
from yibao.entrypoints.web.session import LoginRequired

STATIC = Path(web_routes.__file__).parent / "static"
log = logging.getLogger(__name__)


# Pages run our own scripts and styles only, are framed by no one, and tell other sites nothing of where a clerk
# came from. Inline style attributes stay allowed (the server-drawn charts use them); inline scripts do not.
SECURITY_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        b"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    ),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"x-content-type-options", b"nosniff"),
]


class SecurityHeaders:
    """Adds :data:`SECURITY_HEADERS` to every response (plain ASGI: no cost on the counter's busy path beyond
    the headers themselves)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, with_headers)


JSON_LIMIT = 1024 * 1024  # a request body of JSON: a household is a few KB, a thousand of them well under this
UPLOAD_LIMIT_MB = 100  # a file uploaded (a roster, a list, a statement); YIBAO_MAX_UPLOAD_MB sets another


class BodyLimit:
    """Refuses a request body larger than the server takes (413, BODY_TOO_LARGE): JSON beyond :data:`JSON_LIMIT`,
    anything beyond the upload limit. Judged before reading by the declared length, which browsers and clients send
    with every form and JSON body; a body streamed without one (chunked) is read up to the limit, and refused the
    moment it passes it — the application never sees it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        setting = os.environ.get("YIBAO_MAX_UPLOAD_MB", "")
        self.upload_limit = (int(setting) if setting.isdigit() else UPLOAD_LIMIT_MB) * 1024 * 1024

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        length = headers.get(b"content-length", b"")
        is_json = headers.get(b"content-type", b"").startswith(b"application/json")
        limit = JSON_LIMIT if is_json else self.upload_limit
        if length.isdigit():
            if int(length) > limit:
                await self._refuse(limit, scope, receive, send)
                return
            await self.app(scope, receive, send)
            return
        if scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        # No declared length: read what comes, up to the limit, then hand the whole body on.
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            body = message.get("body", b"")
            size += len(body)
            if size > limit:
                await self._refuse(limit, scope, receive, send)
                return
            chunks.append(body)
            if not message.get("more_body", False):
                break
        whole = {"type": "http.request", "body": b"".join(chunks), "more_body": False}
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return whole

        await self.app(scope, replay, send)

    @staticmethod
    async def _refuse(limit: int, scope: Scope, receive: Receive, send: Send) -> None:
        error = YibaoError("BODY_TOO_LARGE", field="body", limit=max(limit // (1024 * 1024), 1))
        body = json.dumps(error.to_dict(), ensure_ascii=False).encode()
        await Response(body, status_code=413, media_type="application/json")(scope, receive, send)


def create_app(context: AppContext) -> FastAPI:
    app = FastAPI(
        title="yibao 城乡居民医保参保缴费系统 API",
        version="1",
        description=(
            "Residents, households, enrollments and quotes of a district's campaign. Authenticate with a bearer "
            "token. Errors are `{code, message, message_en, field, row}`; `message` is Chinese."
        ),
        openapi_url="/openapi.json",
        # The interactive docs pages load their scripts from a CDN; offline bureaus get the spec itself only.
        docs_url=None,
        redoc_url=None,
        dependencies=[Depends(errors.ids_in_range)],
    )
    app.state.context = context
    errors.install(app)

    async def on_yibao_error(request: Request, error: Exception) -> Response:
        # The API answers JSON; a page answers a page with the message, in the clerk's language.
        assert isinstance(error, YibaoError)
        if request.url.path.startswith("/api/"):
            return errors.yibao_error_response(error)
        return web_routes.page(request, None, "error.html", status_code=errors.status_for(error), error=error)

    async def on_login_required(_request: Request, error: Exception) -> Response:
        assert isinstance(error, LoginRequired)
        return RedirectResponse(error.location, status_code=303)

    async def on_out_of_range(request: Request, error: Exception) -> Response:
        # The database refused a value no check caught first (an id of 2^63, a number beyond its column): the
        # request's transaction is rolled back with it, so the answer is the user's mistake, never a 500.
        return await on_yibao_error(request, YibaoError("VALUE_OUT_OF_RANGE", field="request"))

    async def on_database_error(request: Request, error: Exception) -> Response:
        # A database error no use case expected: logged by its kind and statement only — PostgreSQL's own message
        # quotes the failing row (ID numbers, names, phones), which must not reach the server's log — and answered
        # as an internal error in Chinese. The request's transaction was rolled back with it.
        assert isinstance(error, DBAPIError)
        code = getattr(error.orig, "sqlstate", None) or type(error.orig).__name__
        log.error("database error %s (%s) on %s %s", type(error).__name__, code, request.method, request.url.path)
        return await on_yibao_error(request, YibaoError("INTERNAL_ERROR", reference=str(code)))

    async def on_http_error(request: Request, error: Exception) -> Response:
        # Starlette's own answers (no such address, a method the address does not take) in the clerk's language,
        # shaped like every refusal: never {"detail": "Not Found"}.
        assert isinstance(error, StarletteHTTPException)
        if error.status_code == 404:
            return await on_yibao_error(request, YibaoError("PAGE_NOT_FOUND", field="path", path=request.url.path))
        if error.status_code == 405:
            return await on_yibao_error(
                request, YibaoError("METHOD_NOT_ALLOWED", field="method", method=request.method)
            )
        if error.status_code == 400:  # a body FastAPI could not parse (not UTF-8, not JSON, a broken form)
            return await on_yibao_error(
                request, YibaoError("REQUEST_INVALID", field="body", problem="无法解析请求内容")
            )
        return await http_exception_handler(request, error)

    app.add_middleware(BodyLimit)
    app.add_middleware(SecurityHeaders)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(DBAPIError, on_database_error)
    app.add_exception_handler(YibaoError, on_yibao_error)
    app.add_exception_handler(OverflowError, on_out_of_range)  # SQLite: an integer beyond 64 bits
    app.add_exception_handler(DataError, on_out_of_range)  # PostgreSQL: beyond a column's type
    app.add_exception_handler(LoginRequired, on_login_required)
    app.include_router(routes.router)
    app.include_router(account_routes.router)
    app.include_router(policy_routes.router)
    app.include_router(area_routes.router)
    app.include_router(job_routes.router)
    app.include_router(money_routes.router)
    app.include_router(crosscheck_routes.router)
    app.include_router(api_progress_routes.router)
    app.include_router(simulation_routes.router)
    app.include_router(api_register_routes.router)
    app.include_router(web_routes.router)
    app.include_router(record_routes.router)
    app.include_router(user_routes.router)
    app.include_router(web_policy_routes.router)
    app.include_router(web_area_routes.router)
    app.include_router(roster_routes.router)
    app.include_router(export_routes.router)
    app.include_router(list_routes.router)
    app.include_router(web_money_routes.router)
    app.include_router(reconcile_routes.router)
    app.include_router(progress_routes.router)
    app.include_router(web_crosscheck_routes.router)
    app.include_router(web_simulation_routes.router)
    app.include_router(handover_routes.router)
    app.include_router(unit_report_routes.router)
    app.include_router(web_register_routes.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app


def settle_for_serving(app: FastAPI) -> FastAPI:
    """Before a server process takes requests: the bundled plans parsed once, then everything alive so far moved
    out of the garbage collector's reach (``gc.freeze``). Otherwise a full collection, set off by the objects a
    large report makes, scans every module's objects again — measured at 150 ms added to one request in ten.
    While it serves, the process folds the progress log in the background (:class:`BackgroundFold`)."""
    import gc

    from yibao.services.policy.plans import list_policies

    list_policies()
    app.router.lifespan_context = _folding
    gc.collect()
    gc.freeze()
    return app


@asynccontextmanager
async def _folding(app: FastAPI) -> AsyncIterator[None]:
    from yibao.services.progress.counts import BackgroundFold

    context: AppContext = app.state.context
    with context.session_factory() as session:
        engine = session.get_bind().engine
    folder = BackgroundFold(engine)
    folder.start()
    try:
        yield
    finally:
        folder.stop()


def app_from_environment() -> FastAPI:
    """An app factory for servers that start workers by import string (``uvicorn --factory --workers N``):
    the database from YIBAO_DATABASE_URL, the clock from YIBAO_CLOCK (ISO 8601) if set."""
    import os

    from yibao.adapters.db.database import make_engine, session_factory
    from yibao.domain.timeutil import parse_instant
    from yibao.entrypoints.http.context import campaign_clock, secure_cookies_setting, system_clock

    clock_setting = os.environ.get("YIBAO_CLOCK")
    clock = campaign_clock(parse_instant(clock_setting)) if clock_setting else system_clock
    secure = secure_cookies_setting(clock_setting)
    context = AppContext(session_factory(make_engine(pool_size=20)), clock=clock, secure_cookies=secure)
    return settle_for_serving(create_app(context))
