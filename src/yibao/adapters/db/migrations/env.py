"""Alembic environment: runs migrations on the connection it is given, or on sqlalchemy.url."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from yibao.adapters.db.base import schema_comparison
from yibao.adapters.db.tables import Base

config = context.config
connection = config.attributes.get("connection")


def run(connection_to_use: object) -> None:
    context.configure(
        connection=connection_to_use,  # type: ignore[arg-type]
        target_metadata=Base.metadata,
        render_as_batch=True,  # SQLite alters tables by copying them
        include_object=schema_comparison(connection_to_use.dialect.name),  # type: ignore[attr-defined]
    )
    with context.begin_transaction():
        context.run_migrations()


if connection is not None:
    run(connection)
else:
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as new_connection:
        run(new_connection)
    engine.dispose()
