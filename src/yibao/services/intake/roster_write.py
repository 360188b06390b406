"""Phase two of a roster import: every row checked as ``created`` or ``updated`` written set-wise, in the caller's
transaction, with one audit entry for the batch and one per record. Nothing commits here: the import commits all
of it, or a failure leaves nothing.

New rows — residents, households, memberships, identities, enrollments and their audit entries — are built as
whole frames and loaded in bulk (``COPY`` on PostgreSQL, ``executemany`` on SQLite: :mod:`yibao.adapters.db.bulk`),
their ids reserved first so that one table's rows can name another's. Updates of people and enrollments already
on record are ordinary set-wise UPDATEs: a re-imported file has few.
"""

from __future__ import annotations

from typing import cast

import polars as pl
from sqlalchemy import Connection, Table, bindparam, update

from yibao.adapters.db.bulk import bulk_insert, chunks, reserve_ids
from yibao.adapters.db.tables import (
    Base,
    Enrollment,
    Household,
    HouseholdMember,
    IdentityFlag,
    Resident,
    RosterImport,
)
from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.domain.idnumber_bulk import mask_column
from yibao.domain.policy import Policy
from yibao.domain.roster import ROSTER_SOURCE
from yibao.domain.states import EnrollmentState
from yibao.domain.timeutil import as_shanghai
from yibao.services.audit_batch import AuditBatch
from yibao.services.intake.roster_report import RosterReport, RosterRequest
from yibao.services.jobs import Progress
from yibao.services.registry.assessment import frozen_columns, frozen_fields


def _table(model: type[Base]) -> Table:
    return cast(Table, model.__table__)


WRITE_STAGES = 6  # progress of the write: the batch, residents, contacts, households, identities, enrollments


def write_roster(
    uow: UnitOfWork,
    policy: Policy,
    request: RosterRequest,
    rows: pl.DataFrame,
    report: RosterReport,
    digest: str,
    progress: Progress,
) -> int:
    progress("写入", 0, WRITE_STAGES)
    session = uow.session
    batch = RosterImport(
        file_name=request.file_name[:200],
        file_sha256=digest,
        township_code=request.township_code,
        policy_id=policy.id,
        channel=request.channel,
        actor=uow.actor,
        at=uow.now,
        dry_run=False,
        rows=report.rows,
        created=report.created,
        updated=report.updated,
        unchanged=report.unchanged,
        errors=report.errors,
        error_counts=report.error_counts,
    )
    session.add(batch)
    session.flush()  # on SQLite this takes the database's write lock, which the id reservations below rely on
    connection = session.connection()
    audit = AuditBatch(uow)
    writing = rows.filter(pl.col("outcome").is_in(["created", "updated"]))
    progress("写入", 1, WRITE_STAGES)
    writing = _new_residents(connection, request, writing, audit)
    progress("写入", 2, WRITE_STAGES)
    _contact_updates(connection, writing, audit)
    progress("写入", 3, WRITE_STAGES)
    writing = _memberships(connection, request, writing)
    progress("写入", 4, WRITE_STAGES)
    _identity_flags(connection, writing)
    progress("写入", 5, WRITE_STAGES)
    _enrollments(connection, uow, policy, request, writing, audit)
    audit.record(
        "import",
        "roster_import",
        pl.DataFrame({"id": [batch.id]}),
        pl.lit(batch.id),
        pl.struct(
            file_name=pl.lit(request.file_name),
            file_sha256=pl.lit(digest),
            township_code=pl.lit(request.township_code),
            policy_id=pl.lit(policy.id),
            channel=pl.lit(request.channel),
            rows=pl.lit(report.rows),
            created=pl.lit(report.created),
            updated=pl.lit(report.updated),
            unchanged=pl.lit(report.unchanged),
            errors=pl.lit(report.errors),
        ).struct.json_encode(),
    )
    audit.write(connection)
    progress("写入", WRITE_STAGES, WRITE_STAGES)
    return batch.id


def _with_json(record: pl.Expr, **raw: pl.Expr) -> pl.Expr:
    """``record`` (a struct) as a JSON object, with fields that are JSON text already spliced in as they are."""
    encoded = record.struct.json_encode().str.strip_suffix("}")
    parts = [encoded]
    for key, value in raw.items():
        parts += [pl.lit(f',"{key}":'), value.fill_null("null")]
    return pl.concat_str([*parts, pl.lit("}")])


def _new_residents(
    connection: Connection, request: RosterRequest, writing: pl.DataFrame, audit: AuditBatch
) -> pl.DataFrame:
    """Insert the people the registry does not know yet; the frame comes back with every row's resident_id."""
    new = writing.filter(pl.col("resident_id").is_null())
    if new.is_empty():
        return writing
    table = _table(Resident)
    residents = new.select(
        reserve_ids(connection, table, new.height),
        "id_number",
        pl.lit("01").alias("cert_type"),
        "name",
        "sex",
        "birth_date",
        pl.lit("local_hukou").alias("residency"),
        "phone",
        "address",
        pl.lit(request.township_code).alias("township_code"),
        "village_code",
        pl.lit("alive").alias("survival_status"),
        pl.lit(1).alias("version"),
    )
    bulk_insert(connection, table, residents)
    after = pl.struct(
        "name",
        "sex",
        "township_code",
        "village_code",
        "address",
        "phone",
        mask_column(pl.col("id_number")).alias("id_number"),
        pl.col("birth_date").dt.strftime("%Y-%m-%d"),
        "survival_status",
    ).struct.json_encode()
    audit.record("create", "resident", residents, pl.col("id"), after)
    # One column looked up, rather than the whole (wide) frame joined.
    new_ids = pl.col("id_number").replace_strict(
        residents.get_column("id_number"), residents.get_column("id"), default=None, return_dtype=pl.Int64
    )
    return writing.with_columns(pl.coalesce("resident_id", new_ids).alias("resident_id"))


def _contact_updates(connection: Connection, writing: pl.DataFrame, audit: AuditBatch) -> None:
    """Phone, address and village as the roster gives them, for people already on record (``known_name``: the
    registry's; the people inserted just now carry the roster's already)."""
    changed = writing.filter(pl.col("contact_changed") & pl.col("known_name").is_not_null()).select(
        pl.col("resident_id").alias("b_id"),
        pl.coalesce("phone", "known_phone").alias("b_phone"),
        pl.coalesce("address", "known_address").alias("b_address"),
        pl.coalesce("village_code", "known_village").alias("b_village"),
    )
    if changed.is_empty():
        return
    table = _table(Resident)
    statement = (
        update(table)
        .where(table.c.id == bindparam("b_id"))
        .values(
            phone=bindparam("b_phone"),
            address=bindparam("b_address"),
            village_code=bindparam("b_village"),
            version=table.c.version + 1,
        )
    )
    for chunk in chunks(changed.to_dicts()):
        connection.execute(statement, chunk)
    after = pl.struct(
        pl.col("b_phone").alias("phone"),
        pl.col("b_address").alias("address"),
        pl.col("b_village").alias("village_code"),
    ).struct.json_encode()
    audit.record("roster_update", "resident", changed, pl.col("b_id"), after)


def _memberships(connection: Connection, request: RosterRequest, writing: pl.DataFrame) -> pl.DataFrame:
    """Households by 户号 within the township (found or created), and each member not yet in one. The frame comes
    back with ``household_id``: the one the resident was in, or the one just joined."""
    joining = writing.filter(pl.col("household_number").is_not_null() & pl.col("known_household").is_null())
    households = pl.DataFrame(schema={"household_number": pl.String, "household_id": pl.Int64})
    if not joining.is_empty():
        numbers = joining.get_column("household_number").unique().to_list()
        found: dict[str, int] = {}
        table = _table(Household)
        for chunk in chunks(numbers):
            for number, household_id in connection.execute(
                table.select()
                .with_only_columns(table.c.number, table.c.id)
                .where(table.c.township_code == request.township_code, table.c.number.in_(chunk))
                .order_by(table.c.id)
            ):
                found.setdefault(str(number), household_id)
        existing = pl.DataFrame(
            {"household_number": list(found), "household_id": list(found.values())},
            schema={"household_number": pl.String, "household_id": pl.Int64},
        )
        firsts = joining.filter(~pl.col("household_number").is_in(list(found))).unique(
            "household_number", keep="first", maintain_order=True
        )
        created = firsts.select(
            reserve_ids(connection, table, firsts.height),
            pl.lit(request.township_code).alias("township_code"),
            "village_code",
            pl.col("household_number").alias("number"),
            "address",
        )
        bulk_insert(connection, table, created)
        households = pl.concat(
            [existing, created.select(pl.col("number").alias("household_number"), pl.col("id").alias("household_id"))]
        )
        members = joining.join(households, on="household_number", how="left").select(
            "household_id", "resident_id", "relation"
        )
        bulk_insert(connection, _table(HouseholdMember), members)
    joined = pl.col("household_number").replace_strict(
        households.get_column("household_number"),
        households.get_column("household_id"),
        default=None,
        return_dtype=pl.Int64,
    )
    return writing.with_columns(pl.coalesce("known_household", joined).alias("household_id"))


def _identity_flags(connection: Connection, writing: pl.DataFrame) -> None:
    """Identities the roster names that the registry has no current flag for, recorded with the roster as source."""
    new = (
        writing.select("resident_id", pl.col("identities").list.set_difference(pl.col("known_identities")))
        .explode("identities")
        .drop_nulls()
        .select("resident_id", pl.col("identities").alias("identity"), pl.lit(ROSTER_SOURCE).alias("source"))
    )
    bulk_insert(connection, _table(IdentityFlag), new)


def _enrollments(
    connection: Connection,
    uow: UnitOfWork,
    policy: Policy,
    request: RosterRequest,
    writing: pl.DataFrame,
    audit: AuditBatch,
) -> None:
    registered_at = as_shanghai(uow.now)
    table = _table(Enrollment)
    created = writing.filter(pl.col("outcome") == "created")
    if not created.is_empty():
        frozen = frozen_columns(policy, created.select(pl.col("result").struct.unnest()))
        enrollments = pl.concat(
            [
                created.select(
                    reserve_ids(connection, table, created.height),
                    "resident_id",
                    "household_id",
                    pl.lit(policy.insurance_year).alias("insurance_year"),
                    pl.lit("390").alias("insurance_type"),
                    pl.lit(request.township_code).alias("township_code"),
                    pl.lit(request.channel).alias("channel"),
                    pl.lit(request.organization_id, dtype=pl.Int64).alias("organization_id"),
                    pl.lit(EnrollmentState.ASSESSED.code).alias("state"),
                    pl.lit(registered_at).alias("registered_at"),
                    pl.lit(registered_at).alias("assessed_at"),
                ),
                frozen,
            ],
            how="horizontal",
        )
        bulk_insert(connection, table, enrollments)
        audit.record("enroll", "enrollment", enrollments, pl.col("id"), _enrollment_record())
    # Re-assessments of enrollments already on record: few per import, updated row by row in one executemany.
    reassessed = writing.filter((pl.col("outcome") == "updated") & pl.col("reassess"))
    updates = [
        {"b_id": row["enrollment_id"], **frozen_fields(policy, row["result"])}
        for row in reassessed.select("enrollment_id", "result").iter_rows(named=True)
    ]
    if not updates:
        return
    columns = [key for key in updates[0] if key != "b_id"]
    statement = (
        update(table)
        .where(table.c.id == bindparam("b_id"))
        .values(
            {column: bindparam(f"b_{column}") for column in columns}
            | {"state": EnrollmentState.ASSESSED, "assessed_at": registered_at}
        )
    )
    renamed = [{"b_id": item["b_id"]} | {f"b_{column}": item[column] for column in columns} for item in updates]
    for chunk in chunks(renamed):
        connection.execute(statement, chunk)
    frozen = frozen_columns(policy, reassessed.select(pl.col("result").struct.unnest()))
    changed = pl.concat(
        [
            reassessed.select(pl.col("enrollment_id").alias("id")),
            frozen.with_columns(state=pl.lit(EnrollmentState.ASSESSED.code)),
        ],
        how="horizontal",
    )
    audit.record("reassess", "enrollment", changed, pl.col("id"), _enrollment_record(REASSESSED_FIELDS))


ENROLLMENT_FIELDS = (
    "resident_id",
    "insurance_year",
    "policy_id",
    "township_code",
    "channel",
    "organization_id",
    "state",
    "category",
    "tier",
    "benefit_tier",
    "individual_due_fen",
    "assisted_subsidy_fen",
)
REASSESSED_FIELDS = (
    "policy_id",
    "state",
    "category",
    "tier",
    "benefit_tier",
    "individual_due_fen",
    "assisted_subsidy_fen",
)


def _enrollment_record(fields: tuple[str, ...] = ENROLLMENT_FIELDS) -> pl.Expr:
    """What the audit log keeps of an enrollment, as :func:`yibao.services.registry.assessment.summary` does."""
    return _with_json(
        pl.struct(
            *fields,
            pl.col("benefit_start").dt.strftime("%Y-%m-%d"),
            pl.col("benefit_end").dt.strftime("%Y-%m-%d"),
        ),
        assisted_by_payer_fen=pl.col("assisted_by_payer_fen"),
    )
