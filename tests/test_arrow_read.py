"""A query read as a frame comes out the same every way: through ADBC (PostgreSQL's columnar read), through the
driver's rows (SQLite) and through ``COPY … TO STDOUT`` as CSV (PostgreSQL on the caller's connection) — NULL
apart from an empty text, commas, quotes and line breaks inside a text, booleans, dates, instants in any offset,
and, on the caller's connection, JSON as its text and a sum that PostgreSQL types as numeric."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import polars as pl
from sqlalchemy import JSON, Boolean, Column, Date, Engine, Integer, MetaData, String, Table, func, insert, select

from yibao.adapters.db.arrow_read import read_frames
from yibao.adapters.db.base import Instant
from yibao.domain.timeutil import SHANGHAI

SCHEMA: dict[str, Any] = {
    "id": pl.Int64,
    "name": pl.String,
    "alive": pl.Boolean,
    "born": pl.Date,
    "seen_at": pl.Datetime("us", "Asia/Shanghai"),
}


def test_every_way_of_reading_gives_the_same_frame(engine: Engine) -> None:
    metadata = MetaData()
    people = Table(
        "read_people",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("name", String(40)),
        Column("alive", Boolean),
        Column("born", Date),
        Column("seen_at", Instant()),
        Column("rules", JSON),
    )
    rows: list[dict[str, Any]] = [
        {"name": "王建国", "alive": True, "born": date(1980, 1, 2), "seen_at": datetime(2017, 11, 15, 1, tzinfo=UTC)},
        {"name": "", "alive": False, "born": None, "seen_at": datetime(2017, 11, 15, 9, 0, 0, 123456, tzinfo=SHANGHAI)},
        {"name": None, "alive": None, "born": date(2018, 12, 31), "seen_at": None},
        {
            "name": '李,"秀英"\n二行',
            "alive": True,
            "born": date(1950, 6, 30),
            "seen_at": datetime(2018, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=5, minutes=30))),
        },
    ]
    with engine.begin() as connection:
        metadata.create_all(connection)
        connection.execute(insert(people), [row | {"rules": ["r1", "r2"]} for row in rows])
    query = select(*[people.c[name] for name in SCHEMA]).order_by(people.c.id)
    with engine.connect() as connection:
        frames = {
            columnar: pl.concat(list(read_frames(connection, query, SCHEMA, columnar=columnar)))
            for columnar in (True, False)
        }
        total = pl.concat(
            list(read_frames(connection, select(func.sum(people.c.id)), {"total": pl.Int64}, columnar=False))
        )
        rules = pl.concat(list(read_frames(connection, select(people.c.rules), {"rules": pl.String}, columnar=False)))
    expected = pl.DataFrame(
        {
            "id": [1, 2, 3, 4],
            "name": [row["name"] for row in rows],
            "alive": [row["alive"] for row in rows],
            "born": [row["born"] for row in rows],
            "seen_at": [None if row["seen_at"] is None else row["seen_at"].astimezone(SHANGHAI) for row in rows],
        },
        schema=SCHEMA,
    )
    for frame in frames.values():
        assert frame.equals(expected)
    assert [json_text.replace(" ", "") for json_text in rules["rules"]] == ['["r1","r2"]'] * 4
    assert total["total"].to_list() == [10]
