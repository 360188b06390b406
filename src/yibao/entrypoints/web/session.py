"""Web sign-in: a session token in an HttpOnly cookie, and a per-session CSRF token in every form."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterator
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Form, Request

from yibao.domain.errors import YibaoError
from yibao.entrypoints.http.context import AppContext, Work, app_context, open_work

COOKIE = "yibao_session"
LOGIN_COOKIE = "yibao_login"  # before a session exists: the sign-in form's own CSRF pair (cookie and field)


class LoginRequired(Exception):
    """Raised by a page whose visitor has no valid session: the app answers with a redirect to /login."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url

    @property
    def location(self) -> str:
        return "/login?next=" + quote(self.next_url, safe="/")


def csrf_token(session_token: str) -> str:
    return hashlib.sha256(b"yibao-csrf:" + session_token.encode()).hexdigest()[:32]


def new_login_nonce() -> str:
    return secrets.token_urlsafe(24)


def login_csrf_ok(request: Request, field: str) -> bool:
    """The sign-in form came from our page: its hidden field equals the cookie set with the form (a site
    elsewhere can neither read that cookie nor set it, so it cannot sign a clerk's browser into its account)."""
    cookie = request.cookies.get(LOGIN_COOKIE) or ""
    return bool(cookie) and hmac.compare_digest(field, cookie)


def web_work(request: Request, context: Annotated[AppContext, Depends(app_context)]) -> Iterator[Work]:
    token = request.cookies.get(COOKIE)
    try:
        yield from open_work(context, token)
    except YibaoError as error:
        if error.code == "TOKEN_INVALID":
            raise LoginRequired(request.url.path + (f"?{request.url.query}" if request.url.query else "")) from None
        raise


def checked_csrf(request: Request, csrf: Annotated[str, Form()] = "") -> None:
    """POSTs from our own forms only: the hidden field must match the session cookie."""
    token = request.cookies.get(COOKIE) or ""
    if not token or not hmac.compare_digest(csrf, csrf_token(token)):
        raise YibaoError("TOKEN_INVALID")


WebWork = Annotated[Work, Depends(web_work)]
CheckedCsrf = Annotated[None, Depends(checked_csrf)]
