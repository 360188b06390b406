"""A department's list of a special group (民政's 低保 and 特困, 残联's 重度残疾 …), checked whole: who is on it,
with which identity and from when to when. Keyed by ID number and name; what the registry knows is added by the
import service (:mod:`yibao.services.intake.department_lists`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from yibao.domain.idnumber_bulk import with_id_checks
from yibao.domain.person_fields import name_expr, name_problem
from yibao.domain.roster import (
    COLUMNS,
    IDENTITY_ALIASES,
    ROW,
    Column,
    error_struct,
    loose_date,
    with_errors,
)


@dataclass(frozen=True)
class Department:
    key: str
    name: str  # the source an identity flag names
    identities: tuple[str, ...]  # what its lists may certify


DEPARTMENTS: dict[str, Department] = {
    department.key: department
    for department in (
        Department(
            "civil_affairs",
            "民政",
            (
                "dibao",
                "dibao_edge",
                "tekun",
                "orphan",
                "low_income_elderly",
                "low_income_minor",
                "medical_aid",
                "illness_poverty",
            ),
        ),
        Department("disabled_persons", "残联", ("severe_disability", "disability_1_4")),
        Department("veterans", "退役军人事务", ("youfu",)),
        Department("veteran_cadres", "老干部", ("lixiu_spouse",)),
        Department("rural_revitalization", "乡村振兴", ("poverty",)),
        Department("education", "教育", ("student_loan",)),
        Department("health", "卫生健康", ("family_planning",)),
    )
}

_ROSTER = {column.key: column for column in COLUMNS}
LIST_COLUMNS: tuple[Column, ...] = (
    _ROSTER["id_number"],
    _ROSTER["name"],
    _ROSTER["identity"],
    Column("valid_from", "有效期起", ("认定日期", "起始日期", "开始日期", "享受起始日期", "享受时间")),
    Column("valid_to", "有效期止", ("截止日期", "终止日期", "结束日期", "享受截止日期")),
    _ROSTER["township"],
    _ROSTER["village"],
)


def check_list(
    frame: pl.DataFrame,
    department: Department,
    identity: str | None,
    valid_from: date | None,
    valid_to: date | None,
    on: date,
) -> pl.DataFrame:
    """Each row's ID number, name, identity and validity, normalized, with its errors. ``identity``,
    ``valid_from`` and ``valid_to`` apply where the file has no such column or leaves the cell empty."""
    present = set(frame.columns)

    def given(key: str) -> pl.Expr:
        if key not in present:
            return pl.lit(None, dtype=pl.String)
        value = pl.col(key).cast(pl.String).str.strip_chars()
        return pl.when(value != "").then(value)

    lazy = frame.lazy().select(ROW, *[given(column.key).alias(f"given_{column.key}") for column in LIST_COLUMNS])
    checked = with_id_checks(
        lazy.with_columns(pl.col("given_id_number").fill_null("").alias("id_number")),
        "id_number",
        on=on,
        from_sheet=True,
    ).with_columns(
        name=name_expr(pl.col("given_name")),
        identity=pl.coalesce(
            pl.col("given_identity").replace_strict(IDENTITY_ALIASES, default=None), pl.lit(identity, dtype=pl.String)
        ),
        valid_from=pl.coalesce(loose_date(pl.col("given_valid_from")), pl.lit(valid_from, dtype=pl.Date)),
        valid_to=pl.coalesce(loose_date(pl.col("given_valid_to")), pl.lit(valid_to, dtype=pl.Date)),
    )
    first_row = pl.col(ROW).min().over("id_number", "identity")
    valid_id = pl.col("id_error").is_null()
    errors = [
        pl.when(~valid_id).then(error_struct(pl.col("id_error"), "id_number", pl.col("given_id_number"))),
        pl.when(name_problem(pl.col("name")).is_not_null()).then(
            error_struct(name_problem(pl.col("name")), "name", pl.col("given_name"))
        ),
        pl.when(pl.col("given_identity").is_not_null() & pl.col("identity").is_null()).then(
            error_struct("IDENTITY_UNKNOWN", "identity", pl.col("given_identity"))
        ),
        pl.when(pl.col("given_identity").is_null() & pl.col("identity").is_null()).then(
            error_struct("IDENTITY_REQUIRED", "identity", pl.lit(None, dtype=pl.String))
        ),
        pl.when(pl.col("identity").is_not_null() & ~pl.col("identity").is_in(list(department.identities))).then(
            error_struct("IDENTITY_NOT_OF_DEPARTMENT", "identity", pl.coalesce("given_identity", "identity"))
        ),
        pl.when(valid_id & pl.col("identity").is_not_null() & (pl.col(ROW) != first_row)).then(
            error_struct("DUPLICATE_IN_FILE", "id_number", first_row)
        ),
        pl.when(pl.col("given_valid_from").is_not_null() & loose_date(pl.col("given_valid_from")).is_null()).then(
            error_struct("DATE_INVALID", "valid_from", pl.col("given_valid_from"))
        ),
        pl.when(pl.col("given_valid_to").is_not_null() & loose_date(pl.col("given_valid_to")).is_null()).then(
            error_struct("DATE_INVALID", "valid_to", pl.col("given_valid_to"))
        ),
        pl.when(pl.col("valid_to") < pl.col("valid_from")).then(
            error_struct("VALIDITY_ORDER", "valid_to", pl.col("valid_to").dt.strftime("%Y-%m-%d"))
        ),
    ]
    return (
        with_errors(checked, errors)
        .select(ROW, "id_number", "name", "identity", "valid_from", "valid_to", "errors")
        .collect()
    )
