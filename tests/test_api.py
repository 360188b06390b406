"""The REST API on SQLite and PostgreSQL: sign-in, errors as {code, message, field}, the counter journey, and the
area rule as a matrix of every role × every endpoint that reads or writes residents."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from api_site import PASSWORD, USERS, Site, household_body
from households import BIESHAN, YUYANG, numbered
from yibao.domain import idnumber


@pytest.fixture(scope="module")
def enrolled(site: Site) -> dict[str, Any]:
    status, body = site.call("op_yuyang", "POST", "/api/v1/households", json=household_body())
    assert status == 201, body
    return dict(body)


def test_sign_in_and_errors(site: Site) -> None:
    status, body = site.call(None, "POST", "/api/v1/auth/token", json={"username": "admin", "password": "nope"})
    assert status == 401 and body["code"] == "LOGIN_FAILED" and "密码" in body["message"]
    status, body = site.call(None, "POST", "/api/v1/auth/token", json={"username": "admin", "password": PASSWORD})
    assert status == 200 and body["token"].startswith("yb_")
    assert site.call(None, "GET", "/api/v1/me")[0] == 401
    status, body = site.call("inspector", "GET", "/api/v1/me")
    assert body["role"] == "inspector" and "write_residents" not in body["permissions"]
    status, body = site.call("admin", "GET", "/api/v1/residents?limit=0")
    assert status == 422 and body["code"] == "REQUEST_INVALID" and body["field"] == "limit"


def test_the_counter_journey(site: Site, enrolled: dict[str, Any]) -> None:
    members = {member["name"]: member for member in enrolled["members"]}
    assert enrolled["individual_due_total_fen"] == 44000 + 0 + 16000 + 18000
    spouse = members["李秀英"]["enrollment"]
    assert spouse["assisted_by_payer_fen"] == {"district": 18000} and spouse["individual_due_fen"] == 0
    assert spouse["payer_names"] == {"district": "区财政"}  # the plan's own name for who pays
    assert any(clause["text"] for clause in spouse["clauses"])  # each figure names its clause
    resident_id = members["王建国"]["resident_id"]
    status, found = site.call("op_yuyang", "GET", f"/api/v1/residents?q={members['王建国']['id_number']}")
    assert status == 200 and found["total"] == 1
    status, again = site.call("op_bieshan", "POST", "/api/v1/households", json=household_body(BIESHAN))
    # another township learns that the number is enrolled, nothing of where or of whom
    assert status == 409 and again["code"] == "ENROLLED_ELSEWHERE" and "渔阳镇" not in again["message"]
    status, changed = site.call(
        "op_yuyang", "PATCH", f"/api/v1/residents/{resident_id}", json={"reason": "补录电话", "phone": "13912345678"}
    )
    assert status == 200 and changed["phone"] == "13912345678"
    status, trail = site.call("op_yuyang", "GET", f"/api/v1/residents/{resident_id}/history")
    actions = [entry["action"] for entry in trail if entry["entity"] == "resident"]
    assert actions == ["create", "change"]
    stale_change = {"reason": "x", "phone": "1", "expected_version": 1}
    status, stale = site.call("op_yuyang", "PATCH", f"/api/v1/residents/{resident_id}", json=stale_change)
    assert status == 409 and stale["code"] == "STALE_RECORD"


def test_openapi_lists_the_resources(site: Site) -> None:
    spec = site.client.get("/openapi.json").json()
    for path in ("/api/v1/residents", "/api/v1/households", "/api/v1/enrollments/{enrollment_id}/cancel"):
        assert path in spec["paths"]


# Expected HTTP status per endpoint and user, with the 渔阳镇 family enrolled. 404: outside the area, as if absent;
# 403: the role may never do it; 422: a write aimed at a township not one's own.
EXPECTED: dict[str, dict[str, int]] = {
    #                       admin  op_yuyang  op_bieshan  department  school  finance  inspector
    "list residents": dict(zip(USERS, (200, 200, 200, 403, 200, 200, 200), strict=True)),
    "get resident": dict(zip(USERS, (200, 200, 404, 403, 404, 200, 200), strict=True)),
    "resident history": dict(zip(USERS, (200, 200, 404, 403, 404, 403, 200), strict=True)),
    "change resident": dict(zip(USERS, (200, 200, 404, 403, 404, 403, 403), strict=True)),
    "register resident": dict(zip(USERS, (201, 201, 422, 403, 403, 403, 403), strict=True)),
    "enroll household": dict(zip(USERS, (201, 201, 422, 403, 422, 403, 403), strict=True)),
    "get household": dict(zip(USERS, (200, 200, 404, 403, 404, 200, 200), strict=True)),
    "list enrollments": dict(zip(USERS, (200, 200, 200, 403, 200, 200, 200), strict=True)),
    "get enrollment": dict(zip(USERS, (200, 200, 404, 403, 404, 200, 200), strict=True)),
    "assess enrollment": dict(zip(USERS, (200, 200, 404, 403, 404, 403, 403), strict=True)),
    "cancel enrollment": dict(zip(USERS, (200, 200, 404, 403, 404, 403, 403), strict=True)),
    "renew township": dict(zip(USERS, (200, 200, 422, 403, 403, 403, 403), strict=True)),
    "assess township": dict(zip(USERS, (200, 200, 422, 403, 200, 403, 403), strict=True)),
    "list simulations": dict(zip(USERS, (200, 403, 403, 403, 403, 200, 403), strict=True)),
}
# How many of the family's rows each user's list shows: never another township's.
VISIBLE = {"admin": 4, "op_yuyang": 4, "op_bieshan": 0, "school": 0, "finance": 4, "inspector": 4}


def requests_for(enrolled: dict[str, Any], user: str, index: int) -> dict[str, tuple[str, str, object]]:
    members = enrolled["members"]
    resident = members[0]["resident_id"]
    household = enrolled["household_id"]
    # Each permitted user cancels an enrollment of its own, so one user's success does not change another's answer.
    target = {"admin": 1, "op_yuyang": 2}.get(user, 3)
    cancel = members[target]["enrollment"]["id"]
    first = members[0]["enrollment"]["id"]
    fresh = [idnumber.make("120119", date(1990, 1, 1 + index), 100 + index * 2 + k) for k in range(2)]
    single = {"id_number": fresh[0], "name": numbered("新居民", index), "relation": "户主"}
    return {
        "list residents": ("GET", "/api/v1/residents", None),
        "get resident": ("GET", f"/api/v1/residents/{resident}", None),
        "resident history": ("GET", f"/api/v1/residents/{resident}/history", None),
        "change resident": ("PATCH", f"/api/v1/residents/{resident}", {"reason": "核对", "address": f"地址{index}"}),
        "register resident": (
            "POST",
            "/api/v1/residents",
            {"id_number": fresh[1], "name": numbered("登记", index), "township_code": YUYANG},
        ),
        "enroll household": ("POST", "/api/v1/households", household_body(members=[single])),
        "get household": ("GET", f"/api/v1/households/{household}", None),
        "list enrollments": ("GET", "/api/v1/enrollments", None),
        "list simulations": ("GET", "/api/v1/simulations", None),
        "get enrollment": ("GET", f"/api/v1/enrollments/{first}", None),
        "assess enrollment": ("POST", f"/api/v1/enrollments/{first}/assess", None),
        "cancel enrollment": ("POST", f"/api/v1/enrollments/{cancel}/cancel", {"reason": "重复登记"}),
        "renew township": ("POST", f"/api/v1/townships/{YUYANG}/renewal", {"policy_id": "tianjin-jizhou-2018"}),
        "assess township": ("POST", f"/api/v1/townships/{YUYANG}/assessment", {"policy_id": "tianjin-jizhou-2018"}),
    }


def test_the_area_rule_for_every_role_and_endpoint(site: Site, enrolled: dict[str, Any]) -> None:
    outcomes: dict[str, dict[str, int]] = {endpoint: {} for endpoint in EXPECTED}
    for index, user in enumerate(USERS):
        for endpoint, (method, url, body) in requests_for(enrolled, user, index).items():
            status, answer = site.call(user, method, url, json=body) if body else site.call(user, method, url)
            outcomes[endpoint][user] = status
            if status >= 400:
                assert answer["code"] and answer["message"], answer
            if endpoint == "list residents" and status == 200:
                names = {item["name"] for item in answer["items"]}
                assert len(names & {"王建国", "李秀英", "王小明", "王老汉"}) == VISIBLE[user], user
            if endpoint == "list enrollments" and status == 200 and user in ("op_bieshan", "school"):
                assert answer["total"] == 0
    assert outcomes == EXPECTED


def test_residency_through_the_api(site: Site) -> None:
    """A non-local kindergarten child enrolls through the kindergarten with 户籍类别 given; a permit obtained later
    is recorded by an information change."""
    child = {"id_number": idnumber.make("410102", date(2014, 5, 6), 917), "name": "张小宝", "relation": "户主"}
    body = {"policy_id": "tianjin-jizhou-2018", "township_code": YUYANG, "members": [child | {"residency": "nonlocal"}]}
    status, refused = site.call("op_yuyang", "POST", "/api/v1/households", json=body | {"channel": "village"})
    assert status == 422 and refused["code"] == "NOT_ELIGIBLE", refused
    status, enrolled = site.call("op_yuyang", "POST", "/api/v1/households", json=body | {"channel": "kindergarten"})
    assert status == 201, enrolled
    resident_id = enrolled["members"][0]["resident_id"]
    change = {"reason": "已办理居住证", "residency": "residence_permit"}
    status, changed = site.call("op_yuyang", "PATCH", f"/api/v1/residents/{resident_id}", json=change)
    assert status == 200 and changed["residency"] == "residence_permit", changed


def test_an_identity_claimed_through_the_api_is_provisional(site: Site) -> None:
    """A claim sent by another system is recorded like one typed at the counter: 柜台, with the certificate seen,
    not certified; the answer says so and what the plan does with it."""
    member = {
        "id_number": idnumber.make("120119", date(1966, 4, 5), 928),
        "name": "周桂芳",
        "relation": "户主",
        "identities": ["dibao"],
        "identity_evidence": "低保证 津蓟民低字第456号",
    }
    body = {"policy_id": "tianjin-jizhou-2018", "township_code": YUYANG, "channel": "village", "members": [member]}
    status, enrolled = site.call("op_yuyang", "POST", "/api/v1/households", json=body)
    assert status == 201, enrolled
    (answer,) = enrolled["members"]
    assert answer["pending_identities"] == ["dibao"] and "确认前先按申报资助" in answer["pending_note"]
    status, record = site.call("op_yuyang", "GET", f"/api/v1/residents/{answer['resident_id']}")
    assert status == 200
    assert [(i["identity"], i["source"], i["certified"], i["evidence"]) for i in record["identities"]] == [
        ("dibao", "柜台", False, "低保证 津蓟民低字第456号")
    ]


def test_a_household_previewed_writes_nothing(site: Site) -> None:
    """dry_run answers what registering would give — every check, every figure — and writes nothing."""
    member = {"id_number": idnumber.make("120119", date(1966, 4, 4), 513), "name": "钱预览", "relation": "户主"}
    body = {"policy_id": "tianjin-jizhou-2018", "township_code": YUYANG, "members": [member]}
    status, preview = site.call("op_yuyang", "POST", "/api/v1/households?dry_run=true", json=body)
    assert status == 200 and preview["members"][0]["enrollment"]["individual_due_fen"] == 18000, preview
    assert site.call("op_yuyang", "GET", "/api/v1/residents", params={"q": "钱预览"})[1]["total"] == 0
    status, bad = site.call(
        "op_yuyang", "POST", "/api/v1/households?dry_run=true", json=body | {"members": [member | {"name": " "}]}
    )
    assert status == 422 and bad["code"] == "NAME_REQUIRED"
    status, enrolled = site.call("op_yuyang", "POST", "/api/v1/households", json=body)
    assert status == 201
    ids = ("id", "resident_id", "household_id")  # a preview's ids name nothing (PostgreSQL's sequences move on)
    registered = {key: value for key, value in enrolled["members"][0]["enrollment"].items() if key not in ids}
    assert registered == {key: value for key, value in preview["members"][0]["enrollment"].items() if key not in ids}


def test_times_are_answered_in_shanghai_time_everywhere(site: Site) -> None:
    """An instant written and answered at once, and the same read back later, both carry +08:00 (GET once said Z)."""
    member = {"id_number": idnumber.make("120119", date(1967, 7, 7), 529), "name": "时区", "relation": "户主"}
    body = {"policy_id": "tianjin-jizhou-2018", "township_code": YUYANG, "members": [member]}
    status, enrolled = site.call("op_yuyang", "POST", "/api/v1/households", json=body)
    assert status == 201, enrolled
    written = enrolled["members"][0]["enrollment"]
    status, read = site.call("op_yuyang", "GET", f"/api/v1/enrollments/{written['id']}")
    assert status == 200 and written["registered_at"].endswith("+08:00") and read["registered_at"].endswith("+08:00")
    assert read["registered_at"] == written["registered_at"]


def test_a_search_says_village_household_number_and_where_each_stands(site: Site) -> None:
    member = {"id_number": idnumber.make("120119", date(1968, 8, 8), 531), "name": "查户号", "relation": "户主"}
    body = {"policy_id": "tianjin-jizhou-2018", "township_code": YUYANG, "members": [member]}
    status, enrolled = site.call("op_yuyang", "POST", "/api/v1/households", json=body | {"household_number": "0531"})
    assert status == 201, enrolled
    status, found = site.call("op_yuyang", "GET", "/api/v1/residents", params={"q": "查户号"})
    item = found["items"][0]
    assert (item["household_number"], item["enrollment_year"], item["enrollment_state_name"]) == (
        "0531",
        2018,
        "已核定",
    )
