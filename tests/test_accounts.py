"""Accounts as a government system needs them (SQLite and PostgreSQL): passwords no one guesses, an account locked
after repeated wrong passwords and unlocked by an admin, an address trying many accounts slowed down, every failure
audited; the sign-in form's own CSRF pair; headers that keep pages from being framed or running others' scripts;
Secure cookies outside a demo; API tokens that expire."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from api_site import PASSWORD, Site
from households import NOW
from yibao.adapters.db.database import session_factory
from yibao.adapters.db.tables import ApiToken, AuditEntry, SignInAttempt
from yibao.domain.errors import YibaoError
from yibao.domain.password_rule import check_password
from yibao.entrypoints.http.context import secure_cookies_setting
from yibao.services.sign_in_guard import ADDRESS_LIMIT, LOCK_AFTER


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("12345678", "PASSWORD_WEAK"),
        ("short-9", "PASSWORD_WEAK"),
        ("1234567890", "PASSWORD_COMMON"),
        ("qwertyuiop", "PASSWORD_COMMON"),
        ("aaaaaaaaaaaa", "PASSWORD_COMMON"),
        ("Password123", "PASSWORD_COMMON"),
        ("woaini1314", "PASSWORD_COMMON"),
        ("yuyang-2018-x", "PASSWORD_HAS_USERNAME"),
    ],
)
def test_a_password_no_one_should_use_is_refused(password: str, code: str) -> None:
    with pytest.raises(YibaoError) as refused:
        check_password(password, "yuyang")
    assert refused.value.code == code and refused.value.message


def test_a_good_password_passes() -> None:
    check_password("correct-horse-9", "yuyang")
    check_password("渔阳镇经办员二〇一八", "yuyang")


def sign_in(site: Site, username: str, password: str) -> tuple[int, dict[str, object]]:
    response = site.client.post("/api/v1/auth/token", json={"username": username, "password": password})
    return response.status_code, response.json()


def test_an_account_locks_after_repeated_wrong_passwords_and_an_admin_unlocks_it(site: Site) -> None:
    for _ in range(LOCK_AFTER):
        assert sign_in(site, "op_bieshan", "not-the-password")[1]["code"] == "LOGIN_FAILED"
    status, locked = sign_in(site, "op_bieshan", PASSWORD)  # even the right password, while locked
    assert (status, locked["code"]) == (429, "LOGIN_LOCKED") and "锁定" in str(locked["message"])
    # a name that does not exist locks the same way: a lock tells nobody which usernames exist
    for _ in range(LOCK_AFTER):
        sign_in(site, "no-such-user", "whatever-it-is")
    assert sign_in(site, "no-such-user", "whatever-it-is")[1]["code"] == "LOGIN_LOCKED"
    assert site.call("op_yuyang", "POST", "/api/v1/users/op_bieshan/unlock")[0] == 403
    response = site.client.post(
        "/api/v1/users/op_bieshan/unlock", headers={"Authorization": f"Bearer {site.tokens['admin']}"}
    )
    assert response.status_code == 204
    assert sign_in(site, "op_bieshan", PASSWORD)[0] == 200
    with session_factory(site.engine)() as session:
        failed = session.scalar(
            select(func.count()).where(AuditEntry.action == "login_failed", AuditEntry.entity_id == "op_bieshan")
        )
        unlocked = session.scalar(select(func.count()).where(AuditEntry.action == "unlock"))
    assert failed == LOCK_AFTER and unlocked == 1


def test_api_tokens_expire_in_ninety_days_unless_the_server_says_otherwise(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    status, _ = sign_in(site, "finance", PASSWORD)
    assert status == 200
    with session_factory(site.engine)() as session:
        latest = session.scalars(select(ApiToken).order_by(ApiToken.id.desc())).first()
        assert latest is not None and latest.expires_at - latest.created_at == timedelta(days=90)
    monkeypatch.setenv("YIBAO_API_TOKEN_DAYS", "30")
    sign_in(site, "finance", PASSWORD)
    with session_factory(site.engine)() as session:
        latest = session.scalars(select(ApiToken).order_by(ApiToken.id.desc())).first()
        assert latest is not None and latest.expires_at - latest.created_at == timedelta(days=30)
    assert NOW  # the site's clock: the tokens above were made at it


def test_pages_carry_the_security_headers_and_the_sign_in_form_its_csrf_pair(site: Site) -> None:
    form = site.client.get("/login")
    assert "script-src 'self'" in form.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in form.headers["content-security-policy"]
    assert form.headers["x-frame-options"] == "DENY" and form.headers["referrer-policy"] == "same-origin"
    assert site.client.get("/api/v1/me").headers["x-content-type-options"] == "nosniff"
    assert 'name="login_nonce"' in form.text and "yibao_login" in form.cookies
    site.client.cookies.clear()  # a form posted from another site: no nonce cookie, no sign-in
    forged = site.client.post("/login", data={"username": "admin", "password": PASSWORD, "login_nonce": "x"})
    assert forged.status_code == 400 and "登录页面已过期" in forged.text
    assert "yibao_session" not in forged.cookies


def test_secure_cookies_are_on_outside_a_demo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("YIBAO_SECURE_COOKIES", raising=False)
    assert secure_cookies_setting(None) is True
    assert secure_cookies_setting("2017-11-15T09:00:00+08:00") is False  # a demo's clock: http://localhost
    monkeypatch.setenv("YIBAO_SECURE_COOKIES", "0")
    assert secure_cookies_setting(None) is False
    monkeypatch.setenv("YIBAO_SECURE_COOKIES", "1")
    assert secure_cookies_setting("2017-11-15T09:00:00+08:00") is True


def test_zz_an_address_trying_many_accounts_is_slowed_down(site: Site) -> None:
    """Last in the module: the test client's address stays throttled for the rest of the window (the wrong
    passwords of the tests above count too)."""
    answers = [sign_in(site, f"guess-{index % 9}", "not-the-password")[1]["code"] for index in range(ADDRESS_LIMIT)]
    assert set(answers) <= {"LOGIN_FAILED", "LOGIN_LOCKED", "LOGIN_THROTTLED"} and answers[-1] == "LOGIN_THROTTLED"
    status, throttled = sign_in(site, "someone-new", "not-the-password")
    assert (status, throttled["code"]) == (429, "LOGIN_THROTTLED")
    with session_factory(site.engine)() as session:
        failures = session.scalar(
            select(func.count()).where(SignInAttempt.address == "testclient", SignInAttempt.outcome == "failed")
        )
    assert failures == ADDRESS_LIMIT  # refused ones are not counted again: the window ends when it ends
