from __future__ import annotations

from decimal import Decimal

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from yibao.domain.money import (
    apply_ratio,
    apply_ratio_expr,
    format_yuan,
    split_by_shares,
    yuan_in_capitals,
    yuan_to_fen,
)


def test_yuan_to_fen_is_exact() -> None:
    assert yuan_to_fen(Decimal("160")) == 16000
    assert yuan_to_fen("0.01") == 1
    with pytest.raises(ValueError):
        yuan_to_fen("0.001")


def test_half_up() -> None:
    assert apply_ratio(1, Decimal("0.5")) == 1  # 0.5 fen rounds up
    assert apply_ratio(3, Decimal("0.5")) == 2
    assert apply_ratio(35000, Decimal("0.9")) == 31500
    assert format_yuan(31500) == "315.00"


ratios = st.decimals(min_value=0, max_value=1, places=4)


@given(st.integers(0, 10**10), ratios)
def test_vectorized_rounding_equals_scalar(fen: int, ratio: Decimal) -> None:
    vectorized = pl.select(apply_ratio_expr(pl.lit(fen, dtype=pl.Int64), ratio)).item()
    assert vectorized == apply_ratio(fen, ratio)
    assert vectorized == int((Decimal(fen) * ratio).quantize(Decimal(1), rounding="ROUND_HALF_UP"))


@given(
    st.integers(0, 10**8),
    st.lists(st.decimals(min_value="0.01", max_value=1, places=2), min_size=1, max_size=4),
)
def test_split_always_adds_up(total: int, shares: list[Decimal]) -> None:
    parts = split_by_shares(total, shares)
    assert sum(parts) == total


@pytest.mark.parametrize(
    ("fen", "capitals"),
    [
        (0, "零元整"),
        (5, "伍分"),
        (50, "伍角整"),
        (1010, "壹拾元壹角整"),
        (10005, "壹佰元零伍分"),
        (44000, "肆佰肆拾元整"),
        (123456, "壹仟贰佰叁拾肆元伍角陆分"),
        (10000000, "壹拾万元整"),
        (100000100, "壹佰万零壹元整"),
        (100100000000, "壹拾亿零壹佰万元整"),
    ],
)
def test_amounts_in_financial_capitals(fen: int, capitals: str) -> None:
    assert yuan_in_capitals(fen) == capitals
