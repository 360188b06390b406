"""Keeping accounts (SQLite and PostgreSQL), through the API and the operator's command line: one's own password
changed (other sessions end, this one stays), an admin's reset (every session and token ends), an account stopped
and restarted (nothing of the old standing comes back; an admin cannot stop herself), a role and area changed, API
tokens listed per role and revoked at once; each audited."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from api_site import PASSWORD, Site, open_site
from households import YUYANG
from yibao.adapters.db.database import session_factory
from yibao.adapters.db.tables import AuditEntry
from yibao.entrypoints.cli.app import app

NEW_PASSWORD = "river-lantern-42"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def accounts_site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    yield from open_site(request, tmp_path_factory)


def sign_in(site: Site, username: str, password: str) -> tuple[int, dict[str, object]]:
    response = site.client.post("/api/v1/auth/token", json={"username": username, "password": password})
    return response.status_code, response.json()


def me(site: Site, token: str) -> int:
    return site.client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code


def audited(site: Site, action: str) -> int:
    with session_factory(site.engine)() as session:
        return len(session.scalars(select(AuditEntry.id).where(AuditEntry.action == action)).all())


def test_ones_own_password_is_changed_with_the_current_one(accounts_site: Site) -> None:
    site = accounts_site
    status, other = sign_in(site, "finance", PASSWORD)  # a second session, on another machine
    assert status == 200
    wrong = site.call("finance", "POST", "/api/v1/me/password", json={"current_password": "x", "new_password": "a"})
    assert wrong[0] == 422 and wrong[1]["code"] == "PASSWORD_CURRENT_WRONG" and wrong[1]["message"] == "当前密码不正确"
    weak = site.call(
        "finance", "POST", "/api/v1/me/password", json={"current_password": PASSWORD, "new_password": "1234567890"}
    )
    assert (weak[1]["code"], weak[1]["field"]) == ("PASSWORD_COMMON", "new_password")
    response = site.client.post(
        "/api/v1/me/password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers={"Authorization": f"Bearer {site.tokens['finance']}"},
    )
    assert response.status_code == 204
    assert me(site, site.tokens["finance"]) == 200  # the session in use stays signed in
    assert me(site, str(other["token"])) == 401  # the other one ended
    assert sign_in(site, "finance", PASSWORD)[0] == 401
    assert sign_in(site, "finance", NEW_PASSWORD)[0] == 200
    assert audited(site, "change_password") == 1


def test_an_admin_resets_a_forgotten_password(accounts_site: Site) -> None:
    site = accounts_site
    body = {"new_password": NEW_PASSWORD}
    assert site.call("op_yuyang", "POST", "/api/v1/users/op_bieshan/password", json=body)[0] == 403
    assert site.call("admin", "POST", "/api/v1/users/nobody/password", json=body)[1]["code"] == "USER_UNKNOWN"
    weak = site.call("admin", "POST", "/api/v1/users/op_bieshan/password", json={"new_password": "op_bieshan-1234"})
    assert weak[1]["code"] == "PASSWORD_HAS_USERNAME"
    response = site.client.post(
        "/api/v1/users/op_bieshan/password", json=body, headers={"Authorization": f"Bearer {site.tokens['admin']}"}
    )
    assert response.status_code == 204
    assert me(site, site.tokens["op_bieshan"]) == 401  # every session and token of the account ended
    assert sign_in(site, "op_bieshan", NEW_PASSWORD)[0] == 200
    assert audited(site, "reset_password") == 1


def test_an_account_stopped_and_restarted(accounts_site: Site) -> None:
    site = accounts_site
    self_stop = site.call("admin", "PATCH", "/api/v1/users/admin", json={"active": False})
    assert self_stop[0] == 409 and self_stop[1]["code"] == "USER_CHANGE_SELF"
    stopped = site.call("admin", "PATCH", "/api/v1/users/inspector", json={"active": False})
    assert stopped[0] == 200
    assert me(site, site.tokens["inspector"]) == 401
    assert sign_in(site, "inspector", PASSWORD)[0] == 401
    assert site.call("admin", "PATCH", "/api/v1/users/inspector", json={"active": True})[0] == 200
    assert me(site, site.tokens["inspector"]) == 401  # restarting gives no old token back
    status, fresh = sign_in(site, "inspector", PASSWORD)
    assert status == 200 and me(site, str(fresh["token"])) == 200
    assert audited(site, "deactivate") == 1 and audited(site, "reactivate") == 1


def test_a_role_and_area_changed(accounts_site: Site) -> None:
    site = accounts_site
    outside = site.call(
        "admin", "PATCH", "/api/v1/users/department", json={"role": "township_operator", "area_code": "120225100000"}
    )
    assert outside[0] == 422
    status, changed = site.call(
        "admin", "PATCH", "/api/v1/users/department", json={"role": "township_operator", "area_code": YUYANG}
    )
    assert status == 200 and (changed["role"], changed["area_code"]) == ("township_operator", YUYANG)
    assert me(site, site.tokens["department"]) == 401  # a new standing: signed in anew
    status, fresh = sign_in(site, "department", PASSWORD)
    seen = site.client.get("/api/v1/me", headers={"Authorization": f"Bearer {fresh['token']}"}).json()
    assert seen["role"] == "township_operator" and seen["area_code"] == YUYANG
    own = site.call("admin", "PATCH", "/api/v1/users/admin", json={"role": "inspector"})
    assert own[1]["code"] == "USER_CHANGE_SELF"
    assert audited(site, "change_account") == 1


def test_tokens_listed_per_role_and_revoked_at_once(accounts_site: Site) -> None:
    site = accounts_site
    status, listed = site.call("admin", "GET", "/api/v1/tokens")
    assert status == 200 and {"admin", "op_yuyang", "school"} <= {token["username"] for token in listed}
    status, own = site.call("op_yuyang", "GET", "/api/v1/tokens")
    assert status == 200 and {token["username"] for token in own} == {"op_yuyang"}
    admins = next(token["id"] for token in listed if token["username"] == "admin")
    refused = site.call("op_yuyang", "DELETE", f"/api/v1/tokens/{admins}")
    assert refused[0] == 404 and refused[1]["code"] == "TOKEN_UNKNOWN"  # another's token: not hers to know
    assert site.call("op_yuyang", "DELETE", "/api/v1/tokens/99999999999")[0] == 422
    school = next(token["id"] for token in listed if token["username"] == "school")
    response = site.client.delete(
        f"/api/v1/tokens/{school}", headers={"Authorization": f"Bearer {site.tokens['admin']}"}
    )
    assert response.status_code == 204
    assert me(site, site.tokens["school"]) == 401
    assert audited(site, "revoke_token") == 1


def test_the_operator_resets_stops_lists_and_revokes_at_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, empty_database_url: str
) -> None:
    runner = CliRunner()
    monkeypatch.setenv("YIBAO_DATABASE_URL", empty_database_url)
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    assert runner.invoke(app, ["db", "seed-district", "120119"]).exit_code == 0
    added = runner.invoke(
        app, ["user", "add", "clerk", "--role", "township_operator", "--area", YUYANG, "--password", PASSWORD]
    )
    assert added.exit_code == 0, added.output
    issued = runner.invoke(app, ["user", "token", "clerk", "--label", "税务接口"])
    assert issued.exit_code == 0
    tokens = runner.invoke(app, ["user", "tokens"])
    assert tokens.exit_code == 0 and "税务接口" in tokens.output and "clerk" in tokens.output
    weak = runner.invoke(app, ["user", "password", "clerk", "--password", "short"])
    assert weak.exit_code != 0 and "密码至少需要10个字符" in weak.output
    reset = runner.invoke(app, ["user", "password", "clerk", "--password", NEW_PASSWORD])
    assert reset.exit_code == 0 and "已失效" in reset.output
    assert "没有有效的接口令牌" in runner.invoke(app, ["user", "tokens"]).output  # the reset ended it
    runner.invoke(app, ["user", "token", "clerk"])
    listed = runner.invoke(app, ["user", "tokens", "clerk"]).output
    token_id = next(line.split("│")[1].strip() for line in listed.splitlines() if "clerk" in line and "│" in line)
    assert runner.invoke(app, ["user", "revoke", token_id]).exit_code == 0
    assert runner.invoke(app, ["user", "revoke", "424242"]).exit_code != 0
    stopped = runner.invoke(app, ["user", "deactivate", "clerk"])
    assert stopped.exit_code == 0 and "已停用 clerk" in stopped.output
    refused = runner.invoke(app, ["user", "token", "clerk"])
    assert refused.exit_code != 0
    assert runner.invoke(app, ["user", "activate", "clerk"]).exit_code == 0
