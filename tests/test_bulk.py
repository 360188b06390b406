"""Bulk inserts into a SQLite table with row triggers go through a temporary table and one INSERT … SELECT: the
rows must arrive exactly as a plain ``executemany`` would write them — same values, ids in the frame's order —
and every trigger must fire once per row."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
from sqlalchemy import Column, Date, Integer, MetaData, String, Table

from db_fixtures import sqlite_engine
from yibao.adapters.db.base import Instant
from yibao.adapters.db.bulk import bulk_insert


def test_a_table_with_triggers_gets_every_row_in_order_and_each_trigger_once(tmp_path: Path) -> None:
    engine = sqlite_engine(tmp_path)
    metadata = MetaData()
    people = Table(
        "people",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("name", String(20)),
        Column("born", Date),
        Column("seen_at", Instant()),
        Column("note", String(20)),
    )
    plain = Table(
        "plain_people",
        metadata,
        *[Column(column.name, column.type, primary_key=column.primary_key) for column in people.columns],
    )
    count = 2_500
    frame = pl.DataFrame(
        {
            "name": [f"居民{index}" for index in range(count)],
            "born": [date(1950 + index % 60, 1 + index % 12, 1) for index in range(count)],
            "seen_at": [datetime(2017, 11, 1, index % 24, tzinfo=UTC) for index in range(count)],
            "note": [None if index % 3 else "低保" for index in range(count)],
        }
    )
    with engine.begin() as connection:
        metadata.create_all(connection)
        connection.exec_driver_sql("CREATE TABLE people_log (person_id INTEGER, name TEXT)")
        connection.exec_driver_sql(
            "CREATE TRIGGER people_logged AFTER INSERT ON people "
            "BEGIN INSERT INTO people_log VALUES (new.id, new.name); END"
        )
        bulk_insert(connection, people, frame)
        bulk_insert(connection, plain, frame)
        staged = connection.exec_driver_sql("SELECT id, name, born, seen_at, note FROM people ORDER BY id").all()
        direct = connection.exec_driver_sql("SELECT id, name, born, seen_at, note FROM plain_people ORDER BY id").all()
        logged = connection.exec_driver_sql("SELECT person_id, name FROM people_log ORDER BY person_id").all()
        leftovers = connection.exec_driver_sql("SELECT name FROM sqlite_temp_master WHERE type = 'table'").all()
    assert staged == direct
    assert [row.name for row in staged] == frame["name"].to_list()
    assert [row.id for row in staged] == list(range(1, count + 1))
    assert logged == [(row.id, row.name) for row in staged]
    assert leftovers == []
    engine.dispose()
