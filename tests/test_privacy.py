"""Personal data kept where it belongs (SQLite and PostgreSQL): no values of a failed statement in an error (and
so in the server's log), a phone masked for the inspector as an ID number is, a search's % and _ taken as
characters, and an error file that gives a formula back as text."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import IntegrityError

from api_site import Site, finished_job, household_body
from households import YUYANG, uow
from principals import operator
from yibao.adapters.db.database import session_factory
from yibao.adapters.db.tables import AuditEntry, Resident
from yibao.domain import idnumber
from yibao.services.intake.roster_import import import_roster
from yibao.services.intake.roster_report import RosterRequest


def test_a_failed_statement_names_no_values(engine: Engine) -> None:
    """SQLAlchemy's own message leaves the values out (PostgreSQL's may still quote the failing row: the server
    never logs that message, below)."""
    person = {"id_number": "120119197503040013", "name": "王建国", "sex": "male", "township_code": "120119100000"}
    with engine.begin() as connection, pytest.raises(IntegrityError) as failed:  # no such township: FK refuses
        connection.execute(insert(Resident), [person | {"birth_date": None}])
    assert "SQL parameters hidden" in str(failed.value)


def test_an_unexpected_database_error_reaches_neither_the_answer_nor_the_log(
    site: Site, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from yibao.services.registry import residents

    class Refusal(Exception):
        sqlstate = "23502"

    def failing(*_: object) -> None:
        detail = "null value violates not-null constraint; Failing row contains (120119197503040013, 王建国)"
        raise IntegrityError("INSERT INTO residents …", None, Refusal(detail))

    monkeypatch.setattr(residents, "get_resident", failing)  # the API route calls it through the module
    with caplog.at_level("DEBUG"):
        status, answer = site.call("admin", "GET", "/api/v1/residents/1")
    assert (status, answer["code"]) == (500, "INTERNAL_ERROR") and "23502" in answer["message"]
    for text in (str(answer), caplog.text):
        assert "120119197503040013" not in text and "王建国" not in text
    assert "23502" in caplog.text


def test_phones_are_masked_for_the_inspector_and_a_search_is_taken_literally(site: Site) -> None:
    body = household_body()
    body["members"][0]["phone"] = "13811112222"
    status, enrolled = site.call("op_yuyang", "POST", "/api/v1/households", json=body)
    assert status == 201, enrolled
    resident = enrolled["members"][0]["resident_id"]
    assert site.call("finance", "GET", f"/api/v1/residents/{resident}")[1]["phone"] == "13811112222"
    assert site.call("inspector", "GET", f"/api/v1/residents/{resident}")[1]["phone"] == "138****2222"
    for wildcard in ("%", "_", "王%"):
        status, found = site.call("op_yuyang", "GET", "/api/v1/residents", params={"q": wildcard})
        assert status == 200 and found["total"] == 0, wildcard  # once: every resident of the township
    assert site.call("op_yuyang", "GET", "/api/v1/residents", params={"q": "建国"})[1]["total"] == 1


def test_an_error_file_gives_a_formula_back_as_text(engine: Engine, tmp_path: Path) -> None:
    from households import open_campaign_of
    from yibao.services.registry.areas import seed_district

    with uow(engine, "admin") as work:
        seed_district(work, "120119")
        open_campaign_of(work, "tianjin-jizhou-2018")
    content = '户号,姓名,公民身份号码,与户主关系\n1,"=HYPERLINK(""http://x"",""点我"")",120119197503040013,户主\n'
    request = RosterRequest("名册.csv", content.encode(), YUYANG, "tianjin-jizhou-2018", dry_run=True)
    with uow(engine) as work:
        report = import_roster(work, operator(YUYANG), request)
    assert report.errors == 1
    written = report.write_error_file(tmp_path / "名册-错误.csv").read_text("utf-8-sig")
    assert "'=HYPERLINK" in written and "\n=HYPERLINK" not in written and ",=HYPERLINK" not in written


def test_who_saw_full_id_numbers_and_who_exported_people_is_kept(site: Site) -> None:
    """A record opened, a search and an export that show full ID numbers are audited (who, whose, when); the
    inspector, who sees them masked, leaves no such entry; the record's own trail stays a trail of changes."""

    def entries(action: str) -> list[AuditEntry]:
        with session_factory(site.engine)() as session:
            return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))

    body = household_body(household_number="audited-reads")
    body["members"] = body["members"][:1]
    body["members"][0]["id_number"] = idnumber.make("120119", date(1980, 1, 1), 1)
    body["members"][0]["name"] = "查阅者"
    status, enrolled = site.call("op_yuyang", "POST", "/api/v1/households", json=body)
    assert status == 201, enrolled
    resident = enrolled["members"][0]["resident_id"]
    views = len(entries("view"))
    assert site.call("inspector", "GET", f"/api/v1/residents/{resident}")[0] == 200  # masked: nothing to keep
    assert len(entries("view")) == views
    assert site.call("op_yuyang", "GET", f"/api/v1/residents/{resident}")[0] == 200
    seen = entries("view")[-1]
    assert (seen.actor, seen.entity_id, len(entries("view"))) == ("op_yuyang", str(resident), views + 1)
    site.call("op_yuyang", "GET", "/api/v1/residents", params={"q": "查阅者"})
    searched = entries("search")[-1]
    assert searched.actor == "op_yuyang" and searched.after and resident in searched.after["shown"]
    history = site.call("op_yuyang", "GET", f"/api/v1/residents/{resident}/history")[1]
    assert {entry["action"] for entry in history}.isdisjoint({"view", "search"})
    status, job = site.call("op_yuyang", "POST", "/api/v1/exports", json={"kind": "enrollments", "format": "csv"})
    assert status == 202, job
    finished_job(site.client, {"Authorization": f"Bearer {site.tokens['op_yuyang']}"}, job)
    exported = entries("export")[-1]
    assert exported.actor == "op_yuyang" and exported.after and exported.after["masked"] is False
    assert exported.after["rows"] >= 1
