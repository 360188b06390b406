"""The district's own plans over the API: the district admin adds next year's plan (checked whole), everyone reads
it; other roles may not add; a plan whose quotations are not in its text is refused with every problem."""

from __future__ import annotations

from api_site import Site
from next_year import jizhou_2019


def test_the_district_admin_adds_next_years_plan(site: Site) -> None:
    plan, text = jizhou_2019()
    files = {"file": ("蓟州2019.yaml", plan.encode("utf-8")), "document": ("蓟州2019.txt", text.encode("utf-8"))}
    status, body = site.call("op_yuyang", "POST", "/api/v1/policies", files=files)
    assert status == 403 and body["code"] == "FORBIDDEN"

    misquoted = {**files, "document": ("蓟州2019.txt", text.replace("学生儿童", "学生").encode("utf-8"))}
    status, body = site.call("admin", "POST", "/api/v1/policies", files=misquoted)
    assert status == 422 and body["code"] == "POLICY_CITATION_NOT_FOUND" and len(body["problems"]) >= 1

    status, body = site.call("admin", "POST", "/api/v1/policies", files=files, data={"note": "2019年度方案"})
    assert status == 201 and body == {
        "policy": "tianjin-jizhou-2019",
        "revision": 1,
        "sha256": body["sha256"],
        "new_revision": True,
    }

    status, listed = site.call("inspector", "GET", "/api/v1/policies")
    assert status == 200
    assert {(p["id"], p["source"], p["revision"]) for p in listed} >= {
        ("tianjin-jizhou-2018", "bundled", None),
        ("tianjin-jizhou-2019", "stored", 1),
    }
    status, shown = site.call("op_yuyang", "GET", "/api/v1/policies/tianjin-jizhou-2019")
    assert status == 200 and shown["insurance_year"] == 2019 and shown["benefit_period"]["start"] == "2019-01-01"
    status, missing = site.call("op_yuyang", "GET", "/api/v1/policies/tianjin-jizhou-2031")
    assert status == 404 and missing["code"] == "POLICY_UNKNOWN"

    status, body = site.call("op_yuyang", "POST", "/api/v1/campaigns", json={"policy_id": "tianjin-jizhou-2019"})
    assert status == 403 and body["code"] == "FORBIDDEN"
    status, body = site.call("admin", "POST", "/api/v1/campaigns", json={"policy_id": "tianjin-jizhou-2018"})
    assert status == 201 and (body["insurance_year"], body["window_open"]) == (2018, True)  # the clock: 2017-10-25
    status, body = site.call("admin", "POST", "/api/v1/campaigns", json={"policy_id": "tianjin-jizhou-2019"})
    assert status == 201 and (body["insurance_year"], body["window_open"]) == (2019, False)
    status, listed = site.call("inspector", "GET", "/api/v1/campaigns")
    assert status == 200 and [row["policy_id"] for row in listed] == ["tianjin-jizhou-2018", "tianjin-jizhou-2019"]
