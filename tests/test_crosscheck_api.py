"""Cross-checks through the REST API, on SQLite and PostgreSQL: a population register uploaded as a job, a run
as a job, each township's worklist (and only its own), a follow-up, the export masked for a role that may not
see ID numbers, and a reason for non-enrollment that takes a person off the list at the next run."""

from __future__ import annotations

import dataclasses
import io
from datetime import date
from typing import Any

from openpyxl import load_workbook

from api_site import Site, finished_job
from households import family, uow
from principals import operator
from yibao.domain import idnumber
from yibao.domain.states import JobState
from yibao.services.registry.households import enroll_household

YUYANG, BIESHAN = "120119100000", "120119106000"
UNENROLLED = [
    (idnumber.make("120119", date(1960, 5, 6), 31), "赵大明", "渔阳镇"),
    (idnumber.make("120119", date(1962, 7, 8), 42), "钱小红", "渔阳镇"),
    (idnumber.make("120119", date(1970, 1, 2), 53), "孙立新", "别山镇"),
]


def finished(site: Site, user: str, job: dict[str, Any]) -> dict[str, Any]:
    job = finished_job(site.client, {"Authorization": f"Bearer {site.tokens[user]}"}, job)
    assert job["state"] == JobState.SUCCEEDED, job
    return job


def run(site: Site) -> dict[str, Any]:
    status, job = site.call("admin", "POST", "/api/v1/crosscheck-runs", json={"engine": "duckdb"})
    assert status == 202, job
    result: dict[str, Any] = finished(site, "admin", job)["result"]
    return result


def test_cross_checks_over_the_api(site: Site) -> None:
    # No one claims a special identity at the counter here (a claim would be a finding of its own: see
    # test_certification); this test is about the people the register holds who are not enrolled.
    unclaimed = tuple(dataclasses.replace(member, identities=()) for member in family().members)
    with uow(site.engine) as work:
        enroll_household(work, operator(YUYANG), family(members=unclaimed))
    register = "公民身份号码,姓名,镇（街）\n" + "".join(
        f"{member.id_number},{member.name},渔阳镇\n" for member in family().members
    )
    register += "".join(f"{number},{name},{town}\n" for number, name, town in UNENROLLED)
    files = {"file": ("户籍人口.csv", register.encode("utf-8"), "text/csv")}
    headers = {"Authorization": f"Bearer {site.tokens['department']}"}
    started = site.client.post("/api/v1/reference-lists", headers=headers, files=files, data={"kind": "population"})
    assert started.status_code == 202, started.text
    imported = finished(site, "department", started.json())["result"]
    assert imported["stored"] == 7 and imported["errors"] == 0
    status, refused = site.call("op_yuyang", "POST", "/api/v1/crosscheck-runs", json={})
    assert status == 403 and refused["code"] == "FORBIDDEN"  # the bureau runs them

    result = run(site)
    assert result["counts"]["unenrolled"] == 3
    status, mine = site.call("op_yuyang", "GET", "/api/v1/findings?insurance_year=2018")
    assert status == 200 and sorted(row["name"] for row in mine) == ["赵大明", "钱小红"]
    status, villages = site.call(
        "op_yuyang", "GET", f"/api/v1/findings/villages?insurance_year=2018&township_code={YUYANG}"
    )
    assert status == 200 and [(v["village_name"], v["total"]) for v in villages] == [("（未注明村居）", 2)]
    first = mine[0]
    assert first["evidence"].startswith("上年度亦未参保；依据：公安户籍及常住人口名单")
    status, _ = site.call("op_bieshan", "PATCH", f"/api/v1/findings/{first['id']}", json={"status": "contacted"})
    assert status == 404  # another township's finding does not exist for Bieshan
    status, updated = site.call(
        "op_yuyang", "PATCH", f"/api/v1/findings/{first['id']}", json={"status": "contacted", "note": "已入户"}
    )
    assert status == 200 and updated["status_name"] == "已联系"

    exported = site.client.get(
        "/api/v1/findings/export?insurance_year=2018",
        headers={"Authorization": f"Bearer {site.tokens['inspector']}"},
    )
    assert exported.status_code == 200
    sheet = load_workbook(io.BytesIO(exported.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("镇（街）", "村（居）", "姓名", "公民身份号码") and len(rows) == 4
    assert all("*" in str(row[3]) for row in rows[1:])  # the inspector may not see ID numbers

    second = mine[1]
    number = next(n for n, name, _ in UNENROLLED if name == second["name"])
    reason = {
        "insurance_year": 2018,
        "id_number": number,
        "name": second["name"],
        "township_code": YUYANG,
        "reason": "military_service",
    }
    status, recorded = site.call("op_bieshan", "POST", "/api/v1/non-enrollment-reasons", json=reason)
    assert status == 422  # not Bieshan's township
    status, recorded = site.call("op_yuyang", "POST", "/api/v1/non-enrollment-reasons", json=reason)
    assert status == 201 and recorded["reason_name"] == "服兵役"
    again = run(site)
    assert again["counts"]["unenrolled"] == 2 and again["cleared_findings"] == 1
    status, mine = site.call("op_yuyang", "GET", "/api/v1/findings?insurance_year=2018")
    assert [(row["name"], row["status"]) for row in mine] == [(first["name"], "contacted")]
    status, reasons = site.call("inspector", "GET", "/api/v1/non-enrollment-reasons?insurance_year=2018")
    assert status == 200 and [row["name"] for row in reasons] == [second["name"]]
