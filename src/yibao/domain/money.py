"""Money is integer fen. Ratios are exact fractions; the one rounding rule is ROUND_HALF_UP.

Both the scalar form (a quote) and the vectorized form (a million residents) round through
:func:`ratio_fraction` and the same integer formula, so they cannot drift apart.
"""

from __future__ import annotations

from decimal import Decimal

import polars as pl

FEN_PER_YUAN = 100


def yuan_to_fen(yuan: Decimal | int | str) -> int:
    """Exact conversion; a value with fractions of a fen is an error, never silently rounded."""
    value = Decimal(str(yuan)) * FEN_PER_YUAN
    if value != value.to_integral_value():
        raise ValueError(f"{yuan} yuan is not a whole number of fen")
    return int(value)


def format_yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), FEN_PER_YUAN)
    return f"{sign}{whole}.{cents:02d}"


def ratio_fraction(ratio: Decimal) -> tuple[int, int]:
    numerator, denominator = ratio.as_integer_ratio()
    return numerator, denominator


def apply_ratio(fen: int, ratio: Decimal) -> int:
    """fen × ratio, rounded half up to a whole fen (amounts here are never negative)."""
    if fen < 0:
        raise ValueError("apply_ratio takes non-negative amounts")
    numerator, denominator = ratio_fraction(ratio)
    return (2 * fen * numerator + denominator) // (2 * denominator)


def apply_ratio_expr(fen: pl.Expr, ratio: Decimal) -> pl.Expr:
    """Vectorized :func:`apply_ratio` over an integer-fen column."""
    numerator, denominator = ratio_fraction(ratio)
    return (fen * (2 * numerator) + denominator) // (2 * denominator)


def apply_ratio_columns(fen: pl.Expr, numerator: pl.Expr, denominator: pl.Expr) -> pl.Expr:
    """Vectorized half-up rounding where the ratio itself varies by row (given as numerator/denominator)."""
    return (fen * numerator * 2 + denominator) // (denominator * 2)


def split_by_shares(total_fen: int, shares: list[Decimal]) -> list[int]:
    """Split an amount among payers by share; every payer but the last is rounded, the last takes the rest,
    so the parts always add up to the total."""
    parts = [apply_ratio(total_fen, share) for share in shares[:-1]]
    parts.append(total_fen - sum(parts))
    return parts


_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_PLACES = ("", "拾", "佰", "仟")
_GROUPS = ("", "万", "亿", "万亿")


def yuan_in_capitals(fen: int) -> str:
    """The amount in financial capitals (大写金额) as notices and receipts print it: 44000 → 肆佰肆拾元整."""
    if fen < 0:
        return "负" + yuan_in_capitals(-fen)
    yuan, cents = divmod(fen, FEN_PER_YUAN)
    jiao, fen_digit = divmod(cents, 10)
    text = _integer_capitals(yuan) + "元" if yuan else ""
    if jiao:
        text += _DIGITS[jiao] + "角"
    elif fen_digit and yuan:
        text += "零"
    if fen_digit:
        text += _DIGITS[fen_digit] + "分"
    if not text:
        return "零元整"
    return text if fen_digit else text + "整"


def _integer_capitals(number: int) -> str:
    groups = []
    while number:
        number, group = divmod(number, 10000)
        groups.append(group)
    text, gap = "", False
    for index in reversed(range(len(groups))):
        group = groups[index]
        if group == 0:
            gap = bool(text)  # a whole group of zeros between two figures is read as one 零
            continue
        if text and (gap or group < 1000):
            text += "零"
        text += _group_capitals(group) + _GROUPS[index]
        gap = False
    return text


def _group_capitals(group: int) -> str:
    text, zero = "", False
    for place in (3, 2, 1, 0):
        digit = group // 10**place % 10
        if digit == 0:
            zero = bool(text)
            continue
        if zero:
            text += "零"
            zero = False
        text += _DIGITS[digit] + _PLACES[place]
    return text
