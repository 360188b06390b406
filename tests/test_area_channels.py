"""The area rule on the indirect channels, as an attacker with a township operator's account would try them (SQLite
and PostgreSQL): another township's person is never named, placed or described — not in an error message, a dry
run, an import report, a reason, a household or a breakdown — and no write of theirs touches that person."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import select

from api_site import Site, finished_job, household_body
from households import BIESHAN, YUYANG
from yibao.adapters.db.database import session_factory
from yibao.adapters.db.tables import AuditEntry
from yibao.domain import idnumber

# What 别山镇 must never learn of 渔阳镇's family: names, their township, their enrollment state.
SECRETS = ("王建国", "李秀英", "王小明", "渔阳镇", "已核定", "13811112222")


def leaks(answer: Any) -> list[str]:
    text = json.dumps(answer, ensure_ascii=False)
    return [secret for secret in SECRETS if secret in text]


def test_nothing_of_another_townships_person_leaks_on_any_channel(site: Site) -> None:
    yuyang_family = household_body()
    yuyang_family["members"][0]["phone"] = "13811112222"
    status, enrolled = site.call("op_yuyang", "POST", "/api/v1/households", json=yuyang_family)
    assert status == 201, enrolled
    head = yuyang_family["members"][0]["id_number"]
    spouse = enrolled["members"][1]

    # The counter, with the number and a guessed name: enrolled elsewhere, nothing more.
    guess = household_body(BIESHAN)
    guess["members"] = [guess["members"][0] | {"name": "王某某"}]
    status, answer = site.call("op_bieshan", "POST", "/api/v1/households", json=guess)
    assert (status, answer["code"], leaks(answer)) == (409, "ENROLLED_ELSEWHERE", [])

    # Registering the number as a new resident, or correcting one's own resident to it.
    person = {"id_number": head, "name": "王某某", "township_code": BIESHAN}
    status, answer = site.call("op_bieshan", "POST", "/api/v1/residents", json=person)
    assert (status, answer["code"], leaks(answer)) == (409, "RESIDENT_ELSEWHERE", [])
    own = {"id_number": idnumber.make("120119", date(1985, 2, 2), 77), "name": "赵本地", "township_code": BIESHAN}
    status, created = site.call("op_bieshan", "POST", "/api/v1/residents", json=own)
    assert status == 201, created
    change = {"reason": "更正身份证号", "id_number": head}
    status, answer = site.call("op_bieshan", "PATCH", f"/api/v1/residents/{created['id']}", json=change)
    assert (status, answer["code"], leaks(answer)) == (409, "RESIDENT_ELSEWHERE", [])

    # A roster: a dry run is no oracle (and is audited), a real import writes nothing of that person.
    headers = {"Authorization": f"Bearer {site.tokens['op_bieshan']}"}
    for name, dry_run in (("王某某", "true"), ("王建国", "false")):
        roster = f"户号,姓名,公民身份号码,与户主关系,联系电话\n1,{name},{head},户主,13900000000\n".encode()
        form = {"township_code": BIESHAN, "dry_run": dry_run}
        status, job = site.call(
            "op_bieshan", "POST", "/api/v1/roster-imports", files={"file": ("名册.csv", roster)}, data=form
        )
        assert status == 202, job
        done = finished_job(site.client, headers, job)
        assert done["result"]["errors"] == 1 and done["result"]["created"] == 0 and leaks(done) == [], done
        assert set(done["result"]["error_counts"]) == {"ENROLLED_ELSEWHERE"}
    status, record = site.call("op_yuyang", "GET", f"/api/v1/residents/{enrolled['members'][0]['resident_id']}")
    assert record["phone"] == "13811112222"  # untouched by the other township's roster
    with session_factory(site.engine)() as session:  # the dry run is on record: who checked which numbers
        checks = session.scalars(select(AuditEntry.actor).where(AuditEntry.action == "check")).all()
    assert "op_bieshan" in " ".join(checks)

    # A department's dry run of its list: told that a name differs, never the name on record.
    listed = f"公民身份号码,姓名,身份类别\n{head},王某某,低保\n".encode()
    status, job = site.call(
        "department",
        "POST",
        "/api/v1/list-imports",
        files={"file": ("低保.csv", listed)},
        data={"department": "civil_affairs", "dry_run": "true"},
    )
    done = finished_job(site.client, {"Authorization": f"Bearer {site.tokens['department']}"}, job)
    assert leaks(done) == [] and set(done["result"]["error_counts"]) == {"RESIDENT_NAME_DIFFERS"}, done

    # The reason register: another township's reason is neither withdrawn nor described from here.
    stranger = idnumber.make("120119", date(1990, 3, 3), 88)
    reason = {"insurance_year": 2018, "id_number": stranger, "name": "钱外出", "reason": "insured_elsewhere"}
    status, recorded = site.call(
        "op_yuyang", "POST", "/api/v1/non-enrollment-reasons", json=reason | {"township_code": YUYANG}
    )
    assert status == 201, recorded
    status, answer = site.call(
        "op_bieshan",
        "POST",
        "/api/v1/non-enrollment-reasons",
        json=reason | {"township_code": BIESHAN, "reason": "refused"},
    )
    assert (status, answer["code"]) == (409, "REASON_ELSEWHERE") and "钱外出" not in json.dumps(
        answer, ensure_ascii=False
    )
    status, register = site.call("op_yuyang", "GET", "/api/v1/non-enrollment-reasons?insurance_year=2018")
    assert [(row["id"], row["withdrawn_at"]) for row in register] == [(recorded["id"], None)]

    # The village breakdown: a township's own villages only.
    status, breakdown = site.call("op_bieshan", "GET", "/api/v1/progress/breakdown?by=village&on=2017-11-15")
    assert status == 200 and all(row["key"].startswith(BIESHAN[:9]) or row["key"] == "" for row in breakdown["rows"])
    status, refused = site.call(
        "op_bieshan", "GET", f"/api/v1/progress/breakdown?by=village&on=2017-11-15&township_code={YUYANG}"
    )
    assert status in (403, 404, 422) and leaks(refused) == []

    # A member who moved away: counted in the old household, never named there.
    move = {"reason": "户籍迁入别山镇", "township_code": BIESHAN}
    status, moved = site.call("admin", "PATCH", f"/api/v1/residents/{spouse['resident_id']}", json=move)
    assert status == 200, moved
    status, household = site.call("op_yuyang", "GET", f"/api/v1/households/{enrolled['household_id']}")
    assert status == 200 and household["members_elsewhere"] == 1
    assert "李秀英" not in json.dumps(household, ensure_ascii=False)


# Each role whose area does not hold 渔阳镇's family — another township's clerk, a department, 渔阳镇's school (it
# sees its own pupils only; it is in 渔阳镇, so the township's name is no secret to it) — and what it must not learn.
OUTSIDERS = {
    "op_bieshan": ("王建国", "王小明", "渔阳镇", "已核定", "13811112222"),
    "department": ("王建国", "王小明", "渔阳镇", "已核定", "13811112222"),
    "school": ("王建国", "王小明", "已核定", "13811112222"),
}


def test_no_role_outside_the_area_learns_of_the_person_on_any_channel(site: Site) -> None:
    """The matrix: each role outside the area tries every channel above; no answer names, places or describes
    渔阳镇's family, whatever the answer's status. (李秀英 moved to 别山镇 in the test above: hers to see now.)"""
    family = household_body()
    family["members"][0]["phone"] = "13811112222"
    status, _ = site.call("op_yuyang", "POST", "/api/v1/households", json=family)
    assert status in (201, 409)
    head = family["members"][0]["id_number"]
    found = site.call("admin", "GET", "/api/v1/residents", params={"q": head})[1]["items"][0]
    resident, household = found["id"], found["household_id"]
    guess = household_body(BIESHAN)
    guess["members"] = [guess["members"][0] | {"name": "王某某"}]
    roster = f"户号,姓名,公民身份号码,与户主关系\n1,王某某,{head},户主\n".encode()
    listed = f"公民身份号码,姓名,身份类别\n{head},王某某,低保\n".encode()
    reason = {
        "insurance_year": 2018,
        "id_number": head,
        "name": "王某某",
        "reason": "refused",
        "township_code": BIESHAN,
    }
    newcomer = {"id_number": head, "name": "王某某", "township_code": BIESHAN}
    breakdown = f"/api/v1/progress/breakdown?by=village&on=2017-11-15&township_code={YUYANG}"

    def channels(user: str) -> dict[str, Callable[[], Any]]:
        auth = {"Authorization": f"Bearer {site.tokens[user]}"}

        def job(url: str, files: dict[str, Any], data: dict[str, str]) -> Any:
            answer = site.client.post(url, headers=auth, files=files, data=data)
            return finished_job(site.client, auth, answer.json()) if answer.status_code == 202 else answer.json()

        def call(method: str, url: str, **kwargs: Any) -> Callable[[], Any]:
            return lambda: site.call(user, method, url, **kwargs)[1]

        return {
            "counter": call("POST", "/api/v1/households", json=guess),
            "counter preview": call("POST", "/api/v1/households?dry_run=true", json=guess),
            "new resident": call("POST", "/api/v1/residents", json=newcomer),
            "record": call("GET", f"/api/v1/residents/{resident}"),
            "history": call("GET", f"/api/v1/residents/{resident}/history"),
            "household": call("GET", f"/api/v1/households/{household}"),
            "search": call("GET", "/api/v1/residents", params={"q": head[:14]}),
            "roster dry run": lambda: job(
                "/api/v1/roster-imports", {"file": ("名册.csv", roster)}, {"township_code": BIESHAN, "dry_run": "true"}
            ),
            "list dry run": lambda: job(
                "/api/v1/list-imports",
                {"file": ("低保.csv", listed)},
                {"department": "civil_affairs", "dry_run": "true"},
            ),
            "reason": call("POST", "/api/v1/non-enrollment-reasons", json=reason),
            "reasons": call("GET", "/api/v1/non-enrollment-reasons?insurance_year=2018"),
            "breakdown": call("GET", breakdown),
            "findings": call("GET", "/api/v1/findings?insurance_year=2018"),
        }

    leaked: dict[str, list[str]] = {}
    for user, secrets in OUTSIDERS.items():
        for channel, answer in channels(user).items():
            text = json.dumps(answer(), ensure_ascii=False)
            if found_secrets := [secret for secret in secrets if secret in text]:
                leaked[f"{user} · {channel}"] = found_secrets
    assert leaked == {}
