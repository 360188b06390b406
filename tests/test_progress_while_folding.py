"""Right after a load of more changes than a request may add, the pages and the API answer at once with the counts
as of the last fold, and say how many changes are still being counted; the bulletin, a printout, counts them all.
On SQLite and PostgreSQL, through the web pages and the REST API."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from pathlib import Path

from pytest import MonkeyPatch
from sqlalchemy import Engine

from households import open_campaign_of, uow
from test_progress_counts import _enroll_some, _logged, _report_counts
from yibao.adapters.db import progress_counts
from yibao.domain.timeutil import SHANGHAI
from yibao.services.access import Role
from yibao.services.users import NewUser, add_user, login

ON = date(2017, 12, 31)
PASSWORD = "Qu-yibao-2017!"


def test_pages_answer_at_once_while_a_load_is_counted(engine: Engine, tmp_path: Path, monkeypatch: MonkeyPatch) -> None:
    from fastapi.testclient import TestClient

    from yibao.adapters.db.database import session_factory
    from yibao.entrypoints.http.context import AppContext
    from yibao.entrypoints.server import create_app

    monkeypatch.setattr(progress_counts, "REQUEST_FOLD", 3)
    _enroll_some(engine, 3)
    with uow(engine, "admin") as work:
        open_campaign_of(work, "tianjin-jizhou-2018")
        add_user(work, NewUser("bureau", "区医保局", PASSWORD, Role.DISTRICT_ADMIN, "120119"), by=None)
        token = login(work, "bureau", PASSWORD, kind="api")
    progress_counts.fold_all(engine)
    folded = _report_counts(engine, ON)
    _enroll_some(engine, 6, first=200, all_paid=True)  # "the load": more than a request may add
    logged = _logged(engine)
    now = datetime.combine(ON, datetime.min.time(), SHANGHAI) + timedelta(hours=16)
    context = AppContext(session_factory(engine), clock=lambda: now, data_dir=tmp_path / "data")
    with TestClient(create_app(context)) as client:
        bearer = {"Authorization": f"Bearer {token}"}
        report = client.get("/api/v1/progress", params={"on": ON.isoformat()}, headers=bearer).json()
        assert (report["registered"], report["paid"]) == folded and report["uncounted_changes"] == logged

        form = client.get("/login")
        nonce = re.search(r'name="login_nonce" value="([^"]+)"', form.text)
        assert nonce is not None
        signed = client.post(
            "/login",
            data={"username": "bureau", "password": PASSWORD, "login_nonce": nonce.group(1)},
            follow_redirects=False,
        )
        assert signed.status_code == 303
        page = client.get("/progress", params={"on": ON.isoformat()}).text
        assert f"刚写入的约 {logged} 条变动正在后台统计" in page
        villages = client.get("/progress/breakdown", params={"on": ON.isoformat(), "by": "village"}).text
        assert f"刚写入的约 {logged} 条变动正在后台统计" in villages
        assert _logged(engine) == logged  # nothing folded inside a page's request
        bulletin = client.get("/progress/bulletin", params={"on": ON.isoformat()}).text
        assert f"全区已缴费参保{_report_counts(engine, ON)[1]:,}人" in bulletin  # a printout counts every change

        progress_counts.fold_all(engine)  # the server's background fold, done
        page = client.get("/progress", params={"on": ON.isoformat()}).text
        report = client.get("/api/v1/progress", params={"on": ON.isoformat()}, headers=bearer).json()
    assert "正在后台统计" not in page
    assert (report["registered"], report["paid"]) == _report_counts(engine, ON) != folded
    assert report["uncounted_changes"] == 0
