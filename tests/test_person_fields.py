"""One validation per field of a person for every entry path: the scalar rule (counter, API, change) and the
vectorized one (rosters, department lists) agree on every input; a blank name is refused everywhere; a phone the
roster refuses the counter and the information change refuse too; a household's problems come all at once."""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from api_site import Site, household_body
from yibao.domain.errors import YibaoError
from yibao.domain.person_fields import (
    check_name,
    check_phone,
    name_expr,
    name_problem,
    normalized_name,
    phone_problem,
)

NAME_PARTS = st.sampled_from(["王", "李", "建国", "𠀀", "·", "•", " ", "  ", "A", "n", "1", "。", "-", "\t", ""])
PHONE_PARTS = st.sampled_from(["1", "3", "7", "0", "9", "-", " ", "a", "+86", ""])


def scalar_name(value: str | None) -> tuple[str | None, str | None]:
    try:
        return check_name(value), None
    except YibaoError as error:
        return (normalized_name(value or "") or None), error.code


@settings(max_examples=400, deadline=None)
@given(st.lists(st.lists(NAME_PARTS, max_size=8).map("".join), min_size=1, max_size=20))
def test_the_name_rule_is_one_in_both_forms(values: list[str]) -> None:
    frame = pl.DataFrame({"given": values}).with_columns(name=name_expr(pl.col("given")))
    frame = frame.with_columns(problem=name_problem(pl.col("name")))
    for value, name, problem in frame.iter_rows():
        assert (name, problem) == scalar_name(value), value


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(PHONE_PARTS, max_size=14).map("".join), min_size=1, max_size=20))
def test_the_phone_rule_is_one_in_both_forms(values: list[str]) -> None:
    frame = pl.DataFrame({"given": values}).with_columns(bad=phone_problem(pl.col("given")))
    for value, bad in frame.iter_rows():
        try:
            check_phone(value)
            refused = False
        except YibaoError:
            refused = True
        assert bool(bad) == refused, value


def test_what_a_name_and_a_phone_may_be() -> None:
    assert check_name(" 李 四 ") == "李四" and check_name("阿卜杜•热合曼") == "阿卜杜·热合曼"
    assert check_name("John  Smith") == "John Smith"
    for blank in ("", "   ", "\t", None):
        with pytest.raises(YibaoError) as refused:
            check_name(blank)
        assert refused.value.code == "NAME_REQUIRED"
    for bad in ("王", "张三1", "张三。", "x" * 41):
        with pytest.raises(YibaoError) as refused:
            check_name(bad)
        assert refused.value.code == "NAME_INVALID" and "无效" in refused.value.message
    assert check_phone("13700001111") == "13700001111" and check_phone("022-29141234") == "022-29141234"
    assert check_phone("  ") is None
    for bad in ("12345", "1370000111", "137000011112", "phone"):
        with pytest.raises(YibaoError) as refused:
            check_phone(bad)
        assert refused.value.code == "PHONE_INVALID"


def test_a_household_is_refused_with_every_problem_at_once(site: Site) -> None:
    body = household_body()
    members: list[dict[str, Any]] = body["members"]
    members[0]["name"] = "   "  # blank after trimming: the API once took it
    members[1]["id_number"] = members[1]["id_number"][:17] + ("0" if members[1]["id_number"][17] != "0" else "1")
    members[2]["phone"] = "12345"
    members[3]["name"] = "王老汉2"
    status, answer = site.call("op_yuyang", "POST", "/api/v1/households", json=body)
    assert status == 422, answer
    found = {(problem["row"], problem["code"]) for problem in answer["problems"]}
    assert found == {(1, "NAME_REQUIRED"), (2, "ID_NUMBER_CHECK_DIGIT"), (3, "PHONE_INVALID"), (4, "NAME_INVALID")}
    assert (answer["code"], answer["row"]) == ("NAME_REQUIRED", 1)  # the first, as before
    status, listed = site.call("op_yuyang", "GET", f"/api/v1/residents?q={members[2]['id_number']}")
    assert status == 200 and listed["total"] == 0  # and nothing was written


def test_a_phone_is_checked_alike_on_every_path(site: Site) -> None:
    body = household_body()
    body["members"] = [body["members"][0] | {"phone": " 13700001111 "}]
    status, enrolled = site.call("op_yuyang", "POST", "/api/v1/households", json=body)
    assert status == 201, enrolled
    resident = enrolled["members"][0]["resident_id"]
    for bad in ("12345", "1370000111"):
        change = {"reason": "户主来电更正", "phone": bad}
        status, refused = site.call("op_yuyang", "PATCH", f"/api/v1/residents/{resident}", json=change)
        assert (status, refused["code"]) == (422, "PHONE_INVALID"), refused
    change = {"reason": "户主来电更正", "name": "  "}
    status, refused = site.call("op_yuyang", "PATCH", f"/api/v1/residents/{resident}", json=change)
    assert (status, refused["code"]) == (422, "NAME_REQUIRED")
    status, shown = site.call("op_yuyang", "GET", f"/api/v1/residents/{resident}")
    assert shown["phone"] == "13700001111" and shown["name"] == body["members"][0]["name"]
