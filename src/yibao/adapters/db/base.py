"""The declarative base of yibao's tables: stable constraint names, and instants stored in UTC."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, ForeignKeyConstraint, MetaData, TypeDecorator
from sqlalchemy.orm import DeclarativeBase

from yibao.domain.states import State
from yibao.domain.timeutil import SHANGHAI

# Stable constraint names, so migrations read the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Instant(TypeDecorator[datetime]):
    """An aware datetime stored in UTC and read back aware in Asia/Shanghai, on SQLite (which keeps no offset) as on
    PostgreSQL: every instant yibao gives out — a page, the API's JSON, a file — carries +08:00, whether it was
    just written or read back."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: yibao stores instants only with their offset")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return (value.replace(tzinfo=UTC) if value.tzinfo is None else value).astimezone(SHANGHAI)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def one_of(column: str, states: type[State]) -> CheckConstraint:
    """The check constraint that ``column`` holds one of the enum's codes: the migrations wrote the same text."""
    return CheckConstraint(f"{column} in {states.codes()!r}", name=column)


CHECKED_PER_STATEMENT = "checked_per_statement"


def checked_per_statement(target: str) -> ForeignKey:
    """A reference from a table written in bulk to rows that are never deleted nor re-keyed. PostgreSQL checks a
    foreign key row by row (a query and a row lock per row and key: a third of a roster import); there migration
    0027 checks these once per statement instead, over the statement's new rows, and refuses every delete of the
    referenced tables, so no reference can dangle. SQLite, whose row checks are cheap index probes, keeps them as
    foreign keys."""
    return ForeignKey(target, info={CHECKED_PER_STATEMENT: True})


def schema_comparison(dialect: str) -> Callable[[object, str | None, str, bool, object], bool]:
    """Alembic's ``include_object`` for comparing the models with a database of ``dialect``: on PostgreSQL a
    declared foreign key marked :func:`checked_per_statement` has no constraint (a trigger checks it), so it is
    left out there — and only there."""

    def include(item: object, name: str | None, kind: str, reflected: bool, compare_to: object) -> bool:
        if dialect != "postgresql" or kind != "foreign_key_constraint" or not isinstance(item, ForeignKeyConstraint):
            return True
        return not all(element.info.get(CHECKED_PER_STATEMENT) for element in item.elements)

    return include
