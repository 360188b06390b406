"""Other departments' lists for the cross-checks (信息比对): 公安's population register, the deaths 民政 and 公安
report, 教育's students, 税务's payments, last year's enrollment, and the platform's records of people insured
elsewhere or in employee insurance. Each is checked whole like a roster (header aliases, ID numbers, dates,
amounts, duplicates in the file); the import service adds the areas and stores the rows that passed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from yibao.domain.idnumber_bulk import with_id_checks
from yibao.domain.roster import COLUMNS, ROW, Column, error_struct, loose_date, with_errors


@dataclass(frozen=True)
class ReferenceKind:
    key: str
    name: str
    source: str  # the department that usually hands it in
    columns: tuple[Column, ...]  # beyond ID number, name, township and village
    year_offset: int | None  # the insurance year it is about, relative to the year checked; None: not tied to one


_ROSTER = {column.key: column for column in COLUMNS}
_PERSON = (_ROSTER["id_number"], _ROSTER["name"], _ROSTER["township"], _ROSTER["village"])
_DEATH_DATE = Column("event_date", "死亡日期", ("死亡时间", "注销日期", "殡葬日期", "火化日期"), True)
_PAID_ON = Column("event_date", "缴费日期", ("缴费时间", "入库日期", "到账日期", "申报日期"))
_AMOUNT = Column("amount", "缴费金额", ("金额", "缴费金额（元）", "实缴金额", "个人缴费", "实缴金额（元）"), True)
_SCHOOL = Column("detail", "学校", ("学校名称", "就读学校", "所在学校", "院校"))
_PLACE = Column("detail", "参保地", ("参保地区", "参保统筹区", "参保单位", "参保地点"))
_INSURANCE = Column("insurance_type", "险种", ("险种类型", "参保险种", "险种名称"))

REFERENCE_KINDS: dict[str, ReferenceKind] = {
    kind.key: kind
    for kind in (
        ReferenceKind("population", "户籍及常住人口", "公安", (), None),
        ReferenceKind("deaths", "死亡人员", "民政", (_DEATH_DATE,), None),
        ReferenceKind("students", "在校学生", "教育", (_SCHOOL,), None),
        ReferenceKind("tax_payments", "税务缴费信息", "税务", (_AMOUNT, _PAID_ON), 0),
        ReferenceKind("last_year_enrollment", "上年度参保人员", "医保", (), -1),
        ReferenceKind("insured_elsewhere", "外地及职工医保参保人员", "医保信息平台", (_PLACE, _INSURANCE), 0),
    )
}

# 险种类型 as lists write it: the national code, or its name.
INSURANCE_TYPE_ALIASES = {
    "390": "390",
    "城乡居民基本医疗保险": "390",
    "居民医保": "390",
    "城乡居民医保": "390",
    "310": "310",
    "职工基本医疗保险": "310",
    "职工医保": "310",
    "城镇职工基本医疗保险": "310",
}


def columns_of(kind: ReferenceKind) -> tuple[Column, ...]:
    return _PERSON + kind.columns


def yuan_to_fen(text: pl.Expr) -> pl.Expr:
    """'320', '320.5', '320.50', '¥320', '1,280.00' → fen; anything else (or more than two decimals) → null."""
    cleaned = text.str.replace_all(r"[,，¥￥元\s]", "")
    parts = cleaned.str.extract_groups(r"^(\d{1,9})(?:\.(\d{1,2}))?$")
    whole = parts.struct.field("1").cast(pl.Int64, strict=False)
    cents = parts.struct.field("2").fill_null("").str.pad_end(2, "0").cast(pl.Int64, strict=False)
    return whole * 100 + cents


def check_reference(frame: pl.DataFrame, kind: ReferenceKind, on: date) -> pl.DataFrame:
    """Each row's ID number, name and the kind's own fields, normalized, with its errors (``errors``)."""
    keys = [column.key for column in columns_of(kind)]
    present = set(frame.columns)

    def given(key: str) -> pl.Expr:
        if key not in present:
            return pl.lit(None, dtype=pl.String)
        value = pl.col(key).cast(pl.String).str.strip_chars()
        return pl.when(value != "").then(value)

    lazy = frame.lazy().select(ROW, *[given(key).alias(f"given_{key}") for key in keys])
    checked = with_id_checks(
        lazy.with_columns(pl.col("given_id_number").fill_null("").alias("id_number")),
        "id_number",
        on=on,
        from_sheet=True,
    ).with_columns(
        name=pl.col("given_name"),
        township=pl.col("given_township"),
        village=pl.col("given_village"),
        event_date=loose_date(pl.col("given_event_date")) if "event_date" in keys else pl.lit(None, dtype=pl.Date),
        amount_fen=yuan_to_fen(pl.col("given_amount")) if "amount" in keys else pl.lit(None, dtype=pl.Int64),
        detail=pl.col("given_detail").str.slice(0, 100) if "detail" in keys else pl.lit(None, dtype=pl.String),
        insurance_type=(
            pl.col("given_insurance_type").replace_strict(INSURANCE_TYPE_ALIASES, default=None)
            if "insurance_type" in keys
            else pl.lit(None, dtype=pl.String)
        ),
    )
    valid_id = pl.col("id_error").is_null()
    first_row = pl.col(ROW).min().over("id_number")
    errors = [
        pl.when(~valid_id).then(error_struct(pl.col("id_error"), "id_number", pl.col("given_id_number"))),
        pl.when(pl.col("given_name").is_null()).then(error_struct("NAME_REQUIRED", "name", pl.col("given_name"))),
        # One row per person: a second is a duplicate, except on a tax list, where one person may pay twice.
        pl.when(valid_id & (pl.col(ROW) != first_row) & pl.lit(kind.key != "tax_payments")).then(
            error_struct("DUPLICATE_IN_FILE", "id_number", first_row)
        ),
    ]
    if "event_date" in keys:
        date_required = any(column.key == "event_date" and column.required for column in kind.columns)
        errors += [
            pl.when(pl.col("given_event_date").is_not_null() & pl.col("event_date").is_null()).then(
                error_struct("DATE_INVALID", "event_date", pl.col("given_event_date"))
            ),
            pl.when(pl.lit(date_required) & pl.col("given_event_date").is_null()).then(
                error_struct("VALUE_REQUIRED", "event_date", pl.lit(None, dtype=pl.String))
            ),
            pl.when(pl.col("event_date") > pl.lit(on)).then(
                error_struct("DATE_IN_FUTURE", "event_date", pl.col("given_event_date"))
            ),
        ]
    if "amount" in keys:
        errors += [
            pl.when(pl.col("given_amount").is_null()).then(
                error_struct("VALUE_REQUIRED", "amount", pl.lit(None, dtype=pl.String))
            ),
            pl.when(pl.col("given_amount").is_not_null() & pl.col("amount_fen").is_null()).then(
                error_struct("YUAN_INVALID", "amount", pl.col("given_amount"))
            ),
        ]
    if "insurance_type" in keys:
        errors.append(
            pl.when(pl.col("given_insurance_type").is_not_null() & pl.col("insurance_type").is_null()).then(
                error_struct("INSURANCE_TYPE_UNKNOWN", "insurance_type", pl.col("given_insurance_type"))
            )
        )
    return (
        with_errors(checked, errors)
        .select(
            ROW,
            "id_number",
            "name",
            "township",
            "village",
            "event_date",
            "amount_fen",
            "detail",
            "insurance_type",
            "errors",
        )
        .collect()
    )
