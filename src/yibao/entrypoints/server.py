"""The web server: the REST API under /api/v1 and the clerks' web pages, one FastAPI application."""

from __future__ import annotations

from fastapi import FastAPI

from yibao.entrypoints.api import errors, routes
from yibao.entrypoints.api.context import AppContext


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
    )
    app.state.context = context
    errors.install(app)
    app.include_router(routes.router)
    return app
