"""Numbers beyond what a record can be — in a path, a query or a body — answer the same 422 on both databases and
write nothing; a fuzzer's 2^63 once answered 500 (SQLite past 2^63, PostgreSQL past 2^31 refused the query)."""

from __future__ import annotations

import pytest

from api_site import Site


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("GET", "/api/v1/residents/9223372036854775808", None),
        ("GET", "/api/v1/residents/2199023255552", None),
        ("GET", "/api/v1/households/99999999999", None),
        ("GET", "/api/v1/residents?household_id=9223372036854775809", None),
        ("POST", "/api/v1/notices", {"household_id": 2**40}),
        ("POST", "/api/v1/notices", {"household_id": 2**64}),
    ],
)
def test_a_number_beyond_any_record_is_the_users_mistake(site: Site, method: str, url: str, body: object) -> None:
    status, answer = site.call("admin", method, url, json=body)
    assert status == 422 and answer["code"] in ("VALUE_OUT_OF_RANGE", "REQUEST_INVALID"), answer
    assert "超出" in answer["message"] or "请求内容有误" in answer["message"]


@pytest.mark.parametrize("query", ["q=%00", "q=%E7%8E%8B%00", "q=" + "9" * 300])
def test_text_no_column_can_hold_is_no_server_error(site: Site, query: str) -> None:
    """A NUL character (which PostgreSQL refuses in any text) or an over-long search: an answer, never a 500."""
    status, answer = site.call("op_yuyang", "GET", f"/api/v1/residents?{query}")
    assert status in (200, 422), answer
    assert status == 200 or answer["code"] == "VALUE_OUT_OF_RANGE"


def test_a_body_that_is_not_json_is_refused_in_our_words(site: Site) -> None:
    """Bytes that are not UTF-8 JSON: FastAPI's own 400 {"detail": …} became REQUEST_INVALID (schemathesis found it)."""
    response = site.client.post(
        "/api/v1/enrollments/1/cancel",
        content=b"\xff;",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {site.tokens['op_yuyang']}"},
    )
    assert response.status_code == 422 and response.json()["code"] == "REQUEST_INVALID"
    assert "无法解析" in response.json()["message"]
