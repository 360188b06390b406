"""The resident frame the engine takes: column names, types and defaults."""

from __future__ import annotations

import polars as pl

SHANGHAI_DATETIME = pl.Datetime("us", "Asia/Shanghai")

RESIDENT_SCHEMA: dict[str, pl.DataType] = {
    "id_number": pl.String(),
    "registered_at": SHANGHAI_DATETIME,
    "paid_at": SHANGHAI_DATETIME,  # null: paid when registered
    "category": pl.String(),  # null: from age and the plan
    "tier": pl.String(),  # null: the category's (or the subsidy group's) default
    "identities": pl.List(pl.String()),
    "employee_insurance_ended": pl.Date(),
    "channel": pl.String(),  # null: an individual at the township office
    "residency": pl.String(),  # null: local hukou
    "in_employee_insurance": pl.Boolean(),
}
REQUIRED = ("id_number", "registered_at")


def conform(frame: pl.DataFrame) -> pl.DataFrame:
    """Add the optional columns a caller left out (as nulls) and cast every column to its type."""
    if frame.schema == RESIDENT_SCHEMA:
        return frame  # already conforming (a counter household built to the schema): spare a query run
    missing = [name for name in REQUIRED if name not in frame.columns]
    if missing:
        raise ValueError(f"resident frame lacks required columns: {missing}")
    columns = []
    for name, dtype in RESIDENT_SCHEMA.items():
        if name in frame.columns:
            column = pl.col(name)
            given = frame.schema[name]
            if isinstance(dtype, pl.Datetime) and isinstance(given, pl.Datetime) and given != dtype:
                column = column.dt.convert_time_zone("Asia/Shanghai")
            columns.append(column.cast(dtype).alias(name))
        else:
            columns.append(pl.lit(None, dtype=dtype).alias(name))
    extra = [name for name in frame.columns if name not in RESIDENT_SCHEMA]
    return frame.select(*columns, *extra)
