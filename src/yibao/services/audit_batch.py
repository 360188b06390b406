"""Audit entries by the hundred thousand: one per record of a bulk write, built as frames, loaded in bulk."""

from __future__ import annotations

from datetime import UTC
from typing import cast

import polars as pl
from sqlalchemy import Connection, Table

from yibao.adapters.db.bulk import bulk_insert
from yibao.adapters.db.tables import AuditEntry
from yibao.adapters.db.unit_of_work import UnitOfWork


class AuditBatch:
    """Audit entries of a bulk use case (an import), gathered as frames and written at the end in one bulk load:
    one entry per record, as :meth:`UnitOfWork.audit` writes them one at a time."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._at = uow.now.astimezone(UTC)
        self._actor = uow.actor
        self._frames: list[pl.DataFrame] = []

    def record(self, action: str, entity: str, frame: pl.DataFrame, entity_id: pl.Expr, after: pl.Expr) -> None:
        """One entry per row of ``frame``; ``after`` is the record as JSON text."""
        self._frames.append(
            frame.select(
                pl.lit(self._at).alias("at"),
                pl.lit(self._actor).alias("actor"),
                pl.lit(action).alias("action"),
                pl.lit(entity).alias("entity"),
                entity_id.cast(pl.String).alias("entity_id"),
                pl.lit(None, dtype=pl.String).alias("before"),
                after.alias("after"),
            )
        )

    def write(self, connection: Connection) -> None:
        """Write what was gathered; nothing where nothing was (a statement with no new payment records none)."""
        if self._frames:
            bulk_insert(connection, cast(Table, AuditEntry.__table__), pl.concat(self._frames))
