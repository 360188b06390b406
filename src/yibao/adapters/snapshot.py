"""A Parquet snapshot of the system of record and the reference lists, for the cross-checks to read on DuckDB or
Spark without loading the database.

Refreshed incrementally: a reference list never changes once imported, so each is written once, as a file of its
own (the population register, the largest input, is never written twice). The system-of-record tables are written
again only when the audit log has moved since the last snapshot (entries about records outside it aside): every
use case that changes a record writes an audit entry in the same transaction, so an unchanged log means unchanged
tables.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import polars as pl
import pyarrow.parquet as pq
from sqlalchemy import Connection, Select, func, select

from yibao.adapters.db.arrow_read import read_frames
from yibao.adapters.db.tables import (
    AuditEntry,
    Enrollment,
    IdentityFlag,
    NonEnrollmentReason,
    Payment,
    PaymentAllocation,
    ReferenceList,
    ReferenceRow,
    Resident,
)

# Audit entries of records the snapshot does not hold: a run, or a finding followed up, leaves it current.
OUTSIDE_SNAPSHOT = ("crosscheck", "finding", "reference_list", "user", "api_token")
MANIFEST = "manifest.json"

SCHEMAS: dict[str, dict[str, Any]] = {
    "residents": {
        "id": pl.Int64,
        "id_number": pl.String,
        "name": pl.String,
        "birth_date": pl.Date,
        "township_code": pl.String,
        "village_code": pl.String,
        "survival_status": pl.String,
    },
    "enrollments": {
        "id": pl.Int64,
        "resident_id": pl.Int64,
        "insurance_year": pl.Int64,
        "township_code": pl.String,
        "state": pl.String,
        "category": pl.String,
        "tier": pl.String,
        "assisted_subsidy_fen": pl.Int64,
        "benefit_start": pl.Date,
    },
    "identity_flags": {
        "resident_id": pl.Int64,
        "identity": pl.String,
        "source": pl.String,
        "valid_from": pl.Date,
        "valid_to": pl.Date,
    },
    "payments": {"id": pl.Int64, "channel": pl.String},
    "payment_allocations": {"payment_id": pl.Int64, "enrollment_id": pl.Int64, "amount_fen": pl.Int64},
    "reasons": {"insurance_year": pl.Int64, "id_number": pl.String, "withdrawn": pl.Boolean},
}
REFERENCE_SCHEMA: dict[str, Any] = {
    "kind": pl.String,
    "list_id": pl.Int64,
    "id_number": pl.String,
    "name": pl.String,
    "township_code": pl.String,
    "village_code": pl.String,
    "event_date": pl.Date,
    "amount_fen": pl.Int64,
    "detail": pl.String,
    "insurance_type": pl.String,
}

Progress = Callable[[str, int, int], None]


def record_queries(district: str) -> dict[str, Select[Any]]:
    """What each snapshot table holds: the district's people and their records."""
    in_district = Resident.township_code.startswith(district)
    return {
        "residents": select(*(getattr(Resident, name) for name in SCHEMAS["residents"])).where(in_district),
        "enrollments": select(*(getattr(Enrollment, name) for name in SCHEMAS["enrollments"])).where(
            Enrollment.township_code.startswith(district)
        ),
        "identity_flags": select(*(getattr(IdentityFlag, name) for name in SCHEMAS["identity_flags"]))
        .join(Resident, Resident.id == IdentityFlag.resident_id)
        .where(in_district),
        "payments": select(Payment.id, Payment.channel).where(Payment.township_code.startswith(district)),
        "payment_allocations": select(
            PaymentAllocation.payment_id, PaymentAllocation.enrollment_id, PaymentAllocation.amount_fen
        )
        .join(Payment, Payment.id == PaymentAllocation.payment_id)
        .where(Payment.township_code.startswith(district)),
        "reasons": select(
            NonEnrollmentReason.insurance_year,
            NonEnrollmentReason.id_number,
            NonEnrollmentReason.withdrawn_at.is_not(None).label("withdrawn"),
        ).where(NonEnrollmentReason.district_code == district),
    }


def reference_query(list_id: int) -> Select[Any]:
    query = cast(
        "Select[Any]",
        select(
            ReferenceList.kind,
            ReferenceRow.list_id,
            ReferenceRow.id_number,
            ReferenceRow.name,
            ReferenceRow.township_code,
            ReferenceRow.village_code,
            ReferenceRow.event_date,
            ReferenceRow.amount_fen,
            ReferenceRow.detail,
            ReferenceRow.insurance_type,
        )
        .join(ReferenceList, ReferenceList.id == ReferenceRow.list_id)
        .where(ReferenceRow.list_id == list_id)
        .order_by(ReferenceRow.id),
    )
    return query


def write_query(connection: Connection, query: Select[Any], schema: dict[str, Any], target: Path) -> int:
    """The query's rows as a Parquet file, batch by batch (bounded memory), read as columns where the database
    allows (:mod:`yibao.adapters.db.arrow_read`); written beside and renamed, so a reader never sees half a file."""
    partial = target.with_suffix(".partial")
    writer: pq.ParquetWriter | None = None
    rows = 0
    try:
        for frame in read_frames(connection, query, schema):
            table = frame.to_arrow()
            if writer is None:
                writer = pq.ParquetWriter(partial, table.schema)
            writer.write_table(table)
            rows += frame.height
        if writer is None:
            writer = pq.ParquetWriter(partial, pl.DataFrame(schema=schema).to_arrow().schema)
            writer.write_table(pl.DataFrame(schema=schema).to_arrow())
    finally:
        if writer is not None:
            writer.close()
    os.replace(partial, target)
    return rows


@dataclass(frozen=True)
class Snapshot:
    directory: Path
    tables: dict[str, Path]  # system-of-record tables by name
    lists: dict[int, Path]  # reference lists by id
    written: tuple[str, ...]  # what this refresh wrote (the rest was current)

    def reference_files(self, list_ids: Sequence[int]) -> list[Path]:
        return [self.lists[list_id] for list_id in list_ids]


def refresh(
    connection: Connection, directory: Path, district: str, list_ids: Sequence[int], progress: Progress
) -> Snapshot:
    """Bring the snapshot under ``directory`` up to date for ``district`` and the given lists."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "lists").mkdir(exist_ok=True)
    manifest_path = directory / MANIFEST
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    marker = connection.execute(
        select(func.max(AuditEntry.id)).where(AuditEntry.entity.not_in(OUTSIDE_SNAPSHOT))
    ).scalar_one()
    queries = record_queries(district)
    tables = {name: directory / f"{name}.parquet" for name in queries}
    stale = (
        manifest.get("audit_marker") != marker
        or manifest.get("district") != district
        or not all(path.exists() for path in tables.values())
    )
    written: list[str] = []
    missing_lists = [list_id for list_id in list_ids if not (directory / "lists" / f"{list_id}.parquet").exists()]
    steps = (len(queries) if stale else 0) + len(missing_lists)
    done = 0
    progress("更新比对快照", done, steps)
    if stale:
        for name, query in queries.items():
            write_query(connection, query, SCHEMAS[name], tables[name])
            written.append(name)
            done += 1
            progress("更新比对快照", done, steps)
    for list_id in missing_lists:
        write_query(connection, reference_query(list_id), REFERENCE_SCHEMA, directory / "lists" / f"{list_id}.parquet")
        written.append(f"list {list_id}")
        done += 1
        progress("更新比对快照", done, steps)
    partial = manifest_path.with_suffix(".partial")
    partial.write_text(json.dumps({"audit_marker": marker, "district": district}))
    os.replace(partial, manifest_path)
    return Snapshot(
        directory=directory,
        tables=tables,
        lists={list_id: directory / "lists" / f"{list_id}.parquet" for list_id in list_ids},
        written=tuple(written),
    )
