"""The five plans load, quote their sources faithfully, add up; the loader refuses what it must."""

from __future__ import annotations

import copy
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from yibao.adapters.policy_files import bundled_ids
from yibao.domain.errors import YibaoError
from yibao.domain.policy import parse_policy
from yibao.domain.policy.figures import written_numbers, written_shares
from yibao.services.policy.plans import check_bundled, get_policy

Loader = Callable[[str], dict[str, Any]]
PLANS = [
    "kunming-songming-2018",
    "tengzhou-jinghe-2019",
    "tianjin-jinghai-2022",
    "tianjin-jizhou-2018",
    "tianjin-ninghe-2023",
]


def test_all_five_plans_are_bundled() -> None:
    assert bundled_ids() == PLANS


@pytest.mark.parametrize("policy_id", PLANS)
def test_every_quotation_is_in_the_published_text(policy_id: str) -> None:
    report = check_bundled(policy_id)
    assert report.citation_problems == []


def test_jizhou_township_targets_add_up() -> None:
    policy = get_policy("tianjin-jizhou-2018")
    table = policy.targets.township_table
    assert table is not None and policy.targets.total is not None
    assert len(table.rows) == 27
    assert sum(row.total or 0 for row in table.rows) == 495_400
    # special groups and students are outside the township table, inside the district total
    assert table.excludes == ["special_groups", "students"]
    assert policy.targets.total.persons == 628_400


def test_jinghai_targets_add_up() -> None:
    table = get_policy("tianjin-jinghai-2022").targets.township_table
    assert table is not None and table.subtotal is not None and table.grand_total is not None
    assert table.subtotal.total == 452_977
    assert sum(row.total or 0 for row in table.institutions) == 14_015
    assert table.grand_total.total == 466_992


def _reject(data: dict[str, Any]) -> YibaoError:
    with pytest.raises(YibaoError) as raised:
        parse_policy(data, source="edited.yaml")
    assert raised.value.code == "POLICY_INVALID"
    assert "edited.yaml" in raised.value.message
    return raised.value


def test_unknown_key_is_refused(bundled_yaml: Loader) -> None:
    data = bundled_yaml("tianjin-jizhou-2018")
    data["tiers"]["low"]["discount"] = 10
    error = _reject(data)
    assert error.field == "tiers.low.discount"


def test_value_without_clause_is_refused(bundled_yaml: Loader) -> None:
    data = bundled_yaml("tianjin-jizhou-2018")
    del data["tiers"]["low"]["individual"]["clause"]
    error = _reject(data)
    assert error.field == "tiers.low.individual"
    assert "clause" in error.message


def test_unknown_assumption_is_refused(bundled_yaml: Loader) -> None:
    data = bundled_yaml("tianjin-ninghe-2023")
    data["tiers"]["low"]["government_subsidy"]["assumption"] = "no-such-assumption"
    assert _reject(data).field == "tiers.low.government_subsidy.assumption"


def test_financing_that_does_not_add_up_is_refused(bundled_yaml: Loader) -> None:
    data = bundled_yaml("tianjin-jizhou-2018")
    data["tiers"]["high"]["financing_total"]["yuan"] = 1700
    assert _reject(data).field == "tiers.high.financing_total"


def test_overlapping_windows_are_refused(bundled_yaml: Loader) -> None:
    data = bundled_yaml("kunming-songming-2018")
    windows = data["enrollment"]["windows"]
    scattered = next(w for w in windows if w["id"] == "scattered-registration")
    scattered["opens"] = scattered["opens"].replace(day=15)  # now overlaps the individual window
    error = _reject(data)
    assert error.field is not None and error.field.startswith("enrollment.windows")
    assert "overlaps" in error.message


def test_subsidy_groups_without_precedence_are_refused(bundled_yaml: Loader) -> None:
    data = bundled_yaml("tengzhou-jinghe-2019")
    del data["assisted"]["precedence"]
    assert _reject(data).field == "assisted.precedence"


def test_township_table_that_does_not_add_up_is_refused(bundled_yaml: Loader) -> None:
    data = bundled_yaml("tianjin-jinghai-2022")
    data["targets"]["township_table"]["rows"][1]["general"] += 1
    error = _reject(data)
    assert error.field == "targets.township_table.rows[1]"


def test_subtotal_that_does_not_match_is_refused(bundled_yaml: Loader) -> None:
    data = bundled_yaml("tianjin-jinghai-2022")
    data["targets"]["township_table"]["subtotal"]["total"] = 452_978
    data["targets"]["township_table"]["subtotal"]["general"] = 318_127
    assert _reject(data).field == "targets.township_table.subtotal.total"


def test_payer_shares_must_add_up(bundled_yaml: Loader) -> None:
    data = bundled_yaml("tengzhou-jinghe-2019")
    group = next(g for g in data["assisted"]["groups"] if g["id"] == "family-planning")
    group["payers"][1]["share"] = 0.4
    assert "add up to 1" in _reject(data).message


def test_a_policy_is_immutable_once_loaded() -> None:
    policy = get_policy("tianjin-jizhou-2018")
    with pytest.raises(Exception):  # noqa: B017 - pydantic's frozen-instance error
        field = "yuan"  # set through setattr: the type checker knows it is read-only, which is the point
        setattr(policy.tiers["low"].individual, field, 1)
    assert copy.deepcopy(policy) == policy


def test_a_value_its_sentence_does_not_write_is_refused(bundled_yaml: Loader) -> None:
    """1010 where the quoted sentence says 980元: a typo a bureau makes when it copies last year's file."""
    data = bundled_yaml("tianjin-ninghe-2023")
    data["tiers"]["high"]["individual"]["yuan"] = 1010
    error = _reject(data)
    assert error.field == "tiers.high.individual"
    assert "1010" in error.message and "每人每年980元" in error.message


def test_a_value_that_follows_from_its_sentence_says_how(bundled_yaml: Loader) -> None:
    data = bundled_yaml("tianjin-ninghe-2023")
    data["tiers"]["high"]["individual"]["yuan"] = 1010
    data["tiers"]["high"]["individual"]["derived"] = "980元加上区里另行决定的30元"
    assert parse_policy(data, source="edited.yaml").tiers["high"].individual.fen == 101000


def test_a_plan_whose_dates_were_not_moved_on_is_refused(bundled_yaml: Loader) -> None:
    """Next year's file with the years of the id and the benefit period changed, but the windows still last
    year's: refused, naming the window."""
    data = bundled_yaml("tianjin-ninghe-2023")
    data["id"], data["insurance_year"] = "tianjin-ninghe-2025", 2025
    data["benefit_period"]["start"] = data["benefit_period"]["start"].replace(year=2025)
    data["benefit_period"]["end"] = data["benefit_period"]["end"].replace(year=2025)
    error = _reject(data)
    assert error.field == "enrollment.windows[0].opens" and "2022-09-01" in error.message


def test_an_id_naming_another_year_is_refused(bundled_yaml: Loader) -> None:
    data = bundled_yaml("tianjin-ninghe-2023")
    data["id"] = "tianjin-ninghe-2024"
    assert _reject(data).field == "id"


@pytest.mark.parametrize(
    ("sentence", "numbers", "shares"),
    [
        ("选择高档缴费的人员每人每年980元，选择低档缴费的人员每人每年350元。", {980, 350}, set()),
        ("最高支付限额20万元", {200000}, set()),
        ("年满十八周岁的按照成年居民身份办理参保登记", {18}, set()),
        ("出生90日内参保的从出生之日起享受待遇", {90}, set()),
        ("个人缴费部分由市财政承担50%", {50}, {Decimal("0.5")}),
        ("报销比例为百分之七十五", {75}, {Decimal("0.75")}),
        ("其个人缴费部分由政府全额补助，个人不缴费", set(), {Decimal(1)}),
        ("学生儿童 990 830 160", {990, 830, 160}, set()),
        ("每人每年１８０元", {180}, set()),
    ],
)
def test_the_figures_a_sentence_writes(sentence: str, numbers: set[int], shares: set[Decimal]) -> None:
    assert {Decimal(n) for n in numbers} <= written_numbers(sentence)
    assert shares == written_shares(sentence)
