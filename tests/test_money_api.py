"""Money over the REST API on SQLite and PostgreSQL: a notice, a channel's payment delivered twice, the area rule
on notices and payments, a reversal and the refund worklist, and the collection totals."""

from __future__ import annotations

from typing import Any

from api_site import Site, finished_job, household_body
from yibao.domain.states import JobState


def test_notice_payment_replay_reversal_and_totals(site: Site) -> None:
    body = household_body(household_number="money-api")
    for member, sequence in zip(body["members"], range(70, 74), strict=False):
        member["id_number"] = member["id_number"][:14] + str(sequence) + member["id_number"][16:]
    status, enrolled = site.call("op_yuyang", "POST", "/api/v1/households", json=_valid(body))
    assert status == 201, enrolled
    household_id = enrolled["household_id"]
    status, notice = site.call("op_yuyang", "POST", "/api/v1/notices", json={"household_id": household_id})
    assert status == 201, notice
    number, amount = notice["number"], notice["amount_fen"]
    assert site.call("op_bieshan", "GET", f"/api/v1/notices/{number}")[0] == 404
    assert site.call("department", "POST", "/api/v1/notices", json={"household_id": household_id})[0] == 403
    payment = {"channel": "wechat", "amount_fen": amount, "transaction_id": "wx-api-1", "notice_number": number}
    status, first = site.call("op_yuyang", "POST", "/api/v1/payments", json=payment)
    assert status == 201 and first["receipt_number"] and not first["duplicate"]
    status, again = site.call("op_yuyang", "POST", "/api/v1/payments", json=payment)
    assert status == 200 and again["duplicate"] and again["id"] == first["id"]
    status, conflict = site.call("op_yuyang", "POST", "/api/v1/payments", json=payment | {"amount_fen": amount + 1})
    assert status == 409 and conflict["code"] == "PAYMENT_CONFLICT"
    status, paid = site.call("op_yuyang", "GET", f"/api/v1/notices/{number}")
    assert paid["balance_fen"] == 0 and {i["state"] for i in paid["items"]} == {"effective"}
    auth = {"Authorization": f"Bearer {site.tokens['op_yuyang']}"}
    for url in (f"/api/v1/payments/{first['id']}/receipt.pdf", f"/api/v1/notices/{number}/pdf"):
        printed = site.client.get(url, headers=auth)
        assert printed.status_code == 200 and printed.content[:4] == b"%PDF", url
        elsewhere = site.client.get(url, headers={"Authorization": f"Bearer {site.tokens['op_bieshan']}"})
        assert elsewhere.status_code == 404  # another township's payment: as if there were none
    status, missing = site.call("op_yuyang", "POST", "/api/v1/payments", json=payment | {"transaction_id": None})
    assert status == 422 and missing["code"] == "TRANSACTION_ID_REQUIRED"

    assert site.call("op_yuyang", "POST", f"/api/v1/payments/{first['id']}/reversal", json={"reason": "x"})[0] == 403
    status, reversal = site.call("finance", "POST", f"/api/v1/payments/{first['id']}/reversal", json={"reason": "退票"})
    assert status == 201 and reversal["amount_fen"] == -amount
    status, extra = site.call(
        "op_yuyang",
        "POST",
        "/api/v1/payments",
        json=payment | {"transaction_id": "wx-api-2", "amount_fen": amount + 500},
    )
    assert status == 201 and extra["unapplied_fen"] == 500
    status, due = site.call("finance", "GET", "/api/v1/refunds-due")
    assert status == 200 and [p["id"] for p in due] == [extra["id"]]
    status, refund = site.call("finance", "POST", f"/api/v1/payments/{extra['id']}/refund", json={"reason": "多缴"})
    assert status == 201 and refund["amount_fen"] == -500
    status, report = site.call("finance", "GET", "/api/v1/collections?insurance_year=2018")
    assert status == 200, report
    assert report["received_fen"] == 2 * amount + 500
    assert report["reversed_fen"] == amount and report["refunded_fen"] == 500
    assert report["applied_fen"] == amount and report["awaiting_refund_fen"] == 0
    spec = site.client.get("/openapi.json").json()
    assert {"/api/v1/payments", "/api/v1/notices/{number}", "/api/v1/collection-batches"} <= set(spec["paths"])


def _valid(body: dict[str, Any]) -> dict[str, Any]:
    """Fix the check digits of the edited ID numbers."""
    from yibao.domain.idnumber import check_character

    for member in body["members"]:
        member["id_number"] = member["id_number"][:17] + check_character(member["id_number"][:17])
    return body


def test_a_statement_through_the_api(site: Site) -> None:
    body = household_body(household_number="statement-api")
    for member, sequence in zip(body["members"], range(80, 84), strict=False):
        member["id_number"] = member["id_number"][:14] + str(sequence) + member["id_number"][16:]
    status, enrolled = site.call("op_yuyang", "POST", "/api/v1/households", json=_valid(body))
    assert status == 201, enrolled
    status, notice = site.call("op_yuyang", "POST", "/api/v1/notices", json={"household_id": enrolled["household_id"]})
    number, amount = notice["number"], notice["amount_fen"]
    content = (
        f"Serial,Amt,Time,Ref\nS1,{amount / 100:.2f},2017-10-25 10:00:00,{number}\nS2,1.00,2017-10-25 10:01:00,\n"
    ).encode()
    layout = '{"Serial": "transaction_id", "Amt": "amount", "Time": "paid_at", "Ref": "notice_number"}'
    headers = {"Authorization": f"Bearer {site.tokens['finance']}"}
    files = {"file": ("boc.csv", content)}
    denied = site.client.post(
        "/api/v1/statements",
        headers={"Authorization": f"Bearer {site.tokens['op_yuyang']}"},
        files=files,
        data={"channel": "bank"},
    )
    assert denied.status_code == 403
    started = site.client.post(
        "/api/v1/statements", headers=headers, files=files, data={"channel": "bank", "layout": layout}
    )
    assert started.status_code == 202, started.text
    job = started.json()
    job = finished_job(site.client, headers, job, within=30)
    assert job["state"] == JobState.SUCCEEDED, job
    assert job["result"]["state_counts"] == {"matched": 1, "no_such_notice": 1}
    statement_id = job["result"]["statement_id"]
    status, report = site.call("finance", "GET", f"/api/v1/statements/{statement_id}")
    assert status == 200 and [d["transaction_id"] for d in report["differences"]] == ["S2"]
    status, lines = site.call("finance", "GET", "/api/v1/statement-lines")
    s2 = next(line for line in lines if line["transaction_id"] == "S2")
    status, rejected = site.call(
        "finance", "POST", f"/api/v1/statement-lines/{s2['id']}/reject", json={"reason": "非本区款项"}
    )
    assert status == 200 and rejected["state"] == "rejected"
    status, again = site.call("finance", "POST", f"/api/v1/statement-lines/{s2['id']}/reject", json={"reason": "x"})
    assert status == 409 and again["code"] == "LINE_NOT_OPEN"
