"""Who is asking the API: a bearer token (``Authorization: Bearer …``) turned into the request's unit of work.
What the API shares with the web pages (the application context, the clock) is :mod:`yibao.entrypoints.http.context`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from yibao.entrypoints.http.context import AppContext, Work, app_context, open_work

bearer = HTTPBearer(
    auto_error=False, description="yibao API token (`yibao user token NAME`, or POST /api/v1/auth/token)"
)


def api_work(
    context: Annotated[AppContext, Depends(app_context)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Iterator[Work]:
    yield from open_work(context, credentials.credentials if credentials else None)


ApiWork = Annotated[Work, Depends(api_work)]
