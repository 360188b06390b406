"""The same ID-number check as :mod:`yibao.domain.idnumber`, over a whole column at once (Polars).

Returns, per row, the normalized number, the first error code (or null), birth date, sex and region status.
A property test holds it to the scalar version.
"""

from __future__ import annotations

from datetime import date
from functools import cache

import polars as pl

from yibao.domain.idnumber import (
    CHECK_CHARACTERS,
    EIGHTEEN_DIGITS,
    MIN_BIRTH_YEAR,
    STORED_AS_NUMBER,
    WEIGHTS,
)
from yibao.domain.region_codes_data import CURRENT, HISTORICAL

_FULL_WIDTH = [chr(0xFF10 + d) for d in range(10)] + ["Ｘ", "ｘ"]
_ASCII = [str(d) for d in range(10)] + ["X", "X"]
_CHECK_SERIES = pl.Series(list(CHECK_CHARACTERS), dtype=pl.String)
_REGION_STATUSES = pl.Series(["unknown", "historical", "current"], dtype=pl.String)

ID_COLUMNS = ("id_number", "id_error", "birth_date", "sex", "region_code", "region_status", "id_upgraded")


_CHUNK = 5  # digits looked up at once: 4 lookups instead of 17 slices, over 5x faster


@cache
def _chunk_table(start: int, length: int) -> pl.Series:
    """Weighted digit sum of every ``length``-digit value at ``start``: index = the chunk's integer value."""
    values = pl.int_range(0, 10**length, dtype=pl.UInt32, eager=True)
    digits = [(values // 10 ** (length - 1 - j) % 10) * WEIGHTS[start + j] for j in range(length)]
    return pl.select(pl.sum_horizontal(digits).cast(pl.UInt16)).to_series()


@cache
def _region_status_table() -> pl.Series:
    """The status of every six-digit region code, index = the code's integer value (0 unknown, 1 historical,
    2 current): a lookup by position, where ``is_in`` over the ~6,700 codes builds hash sets at every run —
    a third of the ID check's time on a counter household."""
    status = [0] * 10**6
    for code in HISTORICAL:
        status[int(code)] = 1
    for code in CURRENT:  # a code both current and historical is current
        status[int(code)] = 2
    return pl.Series(status, dtype=pl.UInt8)


def region_status_expr(region: pl.Expr) -> pl.Expr:
    """``current``, ``historical`` or ``unknown`` for a column of six-digit region codes."""
    index = pl.lit(_region_status_table()).gather(region.str.to_integer(strict=False, dtype=pl.UInt32))
    return pl.lit(_REGION_STATUSES).gather(index)


def check_character_expr(first17: pl.Expr) -> pl.Expr:
    """The GB 11643 check character of a column of 17-digit prefixes (synthetic data builds numbers with it)."""
    weighted = [
        pl.lit(_chunk_table(start, min(_CHUNK, 17 - start))).gather(
            first17.str.slice(start, _CHUNK).str.to_integer(strict=False, dtype=pl.UInt32)
        )
        for start in range(0, 17, _CHUNK)
    ]
    return pl.lit(_CHECK_SERIES).gather(pl.sum_horizontal(weighted) % 11)


def validate_id_numbers(
    frame: pl.DataFrame, column: str, *, on: date | pl.Expr, from_sheet: bool = False
) -> pl.DataFrame:
    """Add the columns of :data:`ID_COLUMNS` (``id_number`` replaces ``column``'s normalized value).

    ``on`` is the date birth dates may not pass: a date, or an expression for a per-row date. ``from_sheet``: the
    numbers were read from a spreadsheet's cells (see :func:`yibao.domain.idnumber.stored_as_number`).
    """
    return with_id_checks(frame.lazy(), column, on=on, from_sheet=from_sheet).collect()


def with_id_checks(frame: pl.LazyFrame, column: str, *, on: date | pl.Expr, from_sheet: bool = False) -> pl.LazyFrame:
    """:func:`validate_id_numbers` as a step of a larger lazy query."""
    for step in id_check_steps(column, on=on, from_sheet=from_sheet):
        frame = frame.with_columns(step)
    return frame.drop(ID_TEMPORARIES).drop(column if column != "id_number" else [])


# Working columns of the check; a caller running :func:`id_check_steps` itself drops them when done.
ID_TEMPORARIES = ("_raw", "_first17", "_is15", "_well_formed", "_expected", "_number", "_birth")


def id_check_steps(column: str, *, on: date | pl.Expr, from_sheet: bool = False) -> list[list[pl.Expr]]:
    """The check as successive ``with_columns`` steps, each seeing the columns of the steps before.

    For a caller that builds the steps once and runs them many times (the policy engine, whose counter
    households cost more to describe than to compute). The working columns are :data:`ID_TEMPORARIES`."""
    on_expr = on if isinstance(on, pl.Expr) else pl.lit(on, dtype=pl.Date)
    given = pl.col(column).cast(pl.String)
    # Most numbers arrive clean; only the others pay for full-width conversion, trimming and upper-casing.
    raw = (
        pl.when(given.str.contains(r"^[0-9]{17}[0-9X]$"))
        .then(given)
        .otherwise(given.str.replace_many(_FULL_WIDTH, _ASCII).str.strip_chars().str.to_uppercase())
    )
    is15 = raw.str.contains(r"^[0-9]{15}$")
    first17 = pl.when(is15).then(raw.str.slice(0, 6) + "19" + raw.str.slice(6, 9)).otherwise(raw.str.slice(0, 17))
    number = pl.when(pl.col("_is15")).then(pl.col("_first17") + pl.col("_expected")).otherwise(pl.col("_raw"))
    parsed = pl.col("_first17").str.slice(6, 8).str.to_date("%Y%m%d", strict=False)
    error = (
        pl.when(~pl.col("_well_formed"))
        .then(pl.lit("ID_NUMBER_FORMAT"))
        .when(pl.col("_birth").is_null())
        .then(pl.lit("ID_NUMBER_BIRTH_DATE"))
        .when(pl.col("_birth") > on_expr)
        .then(pl.lit("ID_NUMBER_BIRTH_FUTURE"))
        .when(pl.col("_number").str.slice(17, 1) != pl.col("_expected"))
        .then(pl.lit("ID_NUMBER_CHECK_DIGIT"))
    )
    stored_as_number = pl.col("_raw").str.contains(STORED_AS_NUMBER)
    if from_sheet:
        cell = pl.col("_raw")
        nearest = ((cell.cast(pl.Float64, strict=False) / 1000).round(0) * 1000).cast(pl.Int64).cast(pl.String)
        fifteen = cell.str.contains(EIGHTEEN_DIGITS) & (cell.str.ends_with("000") | (cell == nearest))
        stored_as_number = stored_as_number | fifteen.fill_null(False)
    told = pl.when(error.is_not_null() & stored_as_number).then(pl.lit("ID_NUMBER_STORED_AS_NUMBER")).otherwise(error)
    region = pl.col("_number").str.slice(0, 6)
    ok = pl.col("id_error").is_null()
    return [
        [
            raw.alias("_raw"),
            first17.alias("_first17"),
            is15.fill_null(False).alias("_is15"),
            (is15 | raw.str.contains(r"^[0-9]{17}[0-9X]$")).fill_null(False).alias("_well_formed"),
        ],
        [check_character_expr(pl.col("_first17")).alias("_expected")],
        [number.alias("_number"), pl.when(parsed.dt.year() >= MIN_BIRTH_YEAR).then(parsed).alias("_birth")],
        [told.alias("id_error")],
        [
            pl.when(pl.col("_well_formed")).then(pl.col("_number")).otherwise(pl.col("_raw")).alias("id_number"),
            pl.when(ok).then(pl.col("_birth")).alias("birth_date"),
            pl.when(ok)
            .then(
                pl.when(pl.col("_number").str.slice(16, 1).cast(pl.Int8) % 2 == 1)
                .then(pl.lit("male"))
                .otherwise(pl.lit("female"))
            )
            .alias("sex"),
            pl.when(ok).then(region).alias("region_code"),
            pl.when(ok).then(region_status_expr(region)).alias("region_status"),
            (pl.col("_is15") & ok).alias("id_upgraded"),
        ],
    ]


def mask_column(number: pl.Expr) -> pl.Expr:
    """:func:`yibao.domain.idnumber.mask` over a column: the first three and last four characters, stars between
    (all stars for seven characters or fewer)."""
    length = number.str.len_chars()
    stars = pl.lit("*").repeat_by(length - 7).list.join("")
    everything = pl.lit("*").repeat_by(length).list.join("")
    return pl.when(length > 7).then(number.str.slice(0, 3) + stars + number.str.slice(-4)).otherwise(everything)
