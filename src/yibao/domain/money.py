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
