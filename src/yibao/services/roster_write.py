"""Phase two of a roster import: every row checked as ``created`` or ``updated`` written set-wise, in the caller's
transaction — a handful of multi-row statements per table, whatever the file's size — with one audit entry for
the batch and one per record. Nothing commits here: the import commits all of it, or a failure leaves nothing.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any, cast

import polars as pl
from sqlalchemy import Table, bindparam, insert, select, update

from yibao.adapters.db.tables import (
    AuditEntry,
    Base,
    Enrollment,
    Household,
    HouseholdMember,
    IdentityFlag,
    Resident,
    RosterImport,
)
from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.domain import idnumber
from yibao.domain.policy import Policy
from yibao.domain.timeutil import as_shanghai
from yibao.services.assessment import frozen_fields
from yibao.services.roster_report import RosterReport, RosterRequest, chunks

IDENTITY_SOURCE = "名册"


def _table(model: type[Base]) -> Table:
    # Core statements: executemany with RETURNING, and updates that compute (version + 1), set-wise.
    return cast(Table, model.__table__)


def write_roster(
    uow: UnitOfWork, policy: Policy, request: RosterRequest, rows: pl.DataFrame, report: RosterReport, digest: str
) -> int:
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
    session.flush()
    writing = rows.filter(pl.col("outcome").is_in(["created", "updated"]))
    audits: list[dict[str, Any]] = []
    writing = _new_residents(uow, request, writing, audits)
    _contact_updates(uow, writing, audits)
    _memberships(uow, request, writing)
    _identity_flags(uow, writing)
    _enrollments(uow, policy, request, writing, audits)
    audits.append(
        _audit(
            uow,
            "import",
            "roster_import",
            batch.id,
            {
                "file_name": request.file_name,
                "file_sha256": digest,
                "township_code": request.township_code,
                "policy_id": policy.id,
                "channel": request.channel,
                "rows": report.rows,
                "created": report.created,
                "updated": report.updated,
                "unchanged": report.unchanged,
                "errors": report.errors,
            },
        )
    )
    for chunk in chunks(audits):
        session.execute(insert(_table(AuditEntry)), chunk)
    return batch.id


def _audit(uow: UnitOfWork, action: str, entity: str, entity_id: object, after: dict[str, Any]) -> dict[str, Any]:
    return {
        "at": uow.now.astimezone(UTC),
        "actor": uow.actor,
        "action": action,
        "entity": entity,
        "entity_id": str(entity_id),
        "before": None,
        "after": after,
    }


def _new_residents(
    uow: UnitOfWork, request: RosterRequest, writing: pl.DataFrame, audits: list[dict[str, Any]]
) -> pl.DataFrame:
    """Insert the people the registry does not know yet; the frame comes back with every row's resident_id."""
    new = writing.filter(pl.col("resident_id").is_null())
    if new.is_empty():
        return writing
    values = [
        {
            "id_number": row["id_number"],
            "cert_type": "01",
            "name": row["name"],
            "sex": row["sex"],
            "birth_date": row["birth_date"],
            "residency": "local_hukou",
            "phone": row["phone"],
            "address": row["address"],
            "township_code": request.township_code,
            "village_code": row["village_code"],
            "survival_status": "alive",
            "version": 1,
        }
        for row in new.iter_rows(named=True)
    ]
    ids: dict[str, int] = {}
    for chunk in chunks(values):
        returned = uow.session.execute(
            insert(_table(Resident)).returning(_table(Resident).c.id, _table(Resident).c.id_number), chunk
        )
        ids.update({number: resident_id for resident_id, number in returned})
    for value in values:
        record = {key: value[key] for key in ("name", "sex", "township_code", "village_code", "address", "phone")}
        after = record | {
            "id_number": idnumber.mask(value["id_number"]),
            "birth_date": value["birth_date"].isoformat(),
            "survival_status": "alive",
        }
        audits.append(_audit(uow, "create", "resident", ids[value["id_number"]], after))
    return writing.with_columns(
        pl.coalesce("resident_id", pl.col("id_number").replace_strict(ids, default=None, return_dtype=pl.Int64)).alias(
            "resident_id"
        )
    )


def _contact_updates(uow: UnitOfWork, writing: pl.DataFrame, audits: list[dict[str, Any]]) -> None:
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
    values = changed.to_dicts()
    for chunk in chunks(values):
        uow.session.connection().execute(statement, chunk)
    audits.extend(
        _audit(
            uow,
            "roster_update",
            "resident",
            value["b_id"],
            {"phone": value["b_phone"], "address": value["b_address"], "village_code": value["b_village"]},
        )
        for value in values
    )


def _memberships(uow: UnitOfWork, request: RosterRequest, writing: pl.DataFrame) -> None:
    """Households by 户号 within the township (found or created), and each member not yet in one."""
    joining = writing.filter(pl.col("household_number").is_not_null() & pl.col("known_household").is_null())
    if joining.is_empty():
        return
    numbers = joining.get_column("household_number").unique().to_list()
    households: dict[str, int] = {}
    for number, household_id in uow.session.execute(
        select(Household.number, Household.id)
        .where(Household.township_code == request.township_code, Household.number.in_(numbers))
        .order_by(Household.id)
    ):
        households.setdefault(str(number), household_id)
    firsts = joining.filter(~pl.col("household_number").is_in(list(households))).unique(
        "household_number", keep="first", maintain_order=True
    )
    if not firsts.is_empty():
        table = _table(Household)
        values = [
            {
                "township_code": request.township_code,
                "village_code": row["village_code"],
                "number": row["household_number"],
                "address": row["address"],
            }
            for row in firsts.iter_rows(named=True)
        ]
        for chunk in chunks(values):
            returned = uow.session.execute(insert(table).returning(table.c.id, table.c.number), chunk)
            households.update({number: household_id for household_id, number in returned})
    members = [
        {"household_id": households[number], "resident_id": resident_id, "relation": relation}
        for number, resident_id, relation in joining.select("household_number", "resident_id", "relation").iter_rows()
    ]
    for chunk in chunks(members):
        uow.session.execute(insert(_table(HouseholdMember)), chunk)


def _identity_flags(uow: UnitOfWork, writing: pl.DataFrame) -> None:
    """Identities the roster names that the registry has no current flag for, recorded with the roster as source."""
    new = (
        writing.select("resident_id", pl.col("identities").list.set_difference(pl.col("known_identities")))
        .explode("identities")
        .drop_nulls()
    )
    values = [
        {"resident_id": resident_id, "identity": identity, "source": IDENTITY_SOURCE}
        for resident_id, identity in new.iter_rows()
    ]
    for chunk in chunks(values):
        uow.session.execute(insert(_table(IdentityFlag)), chunk)


def _enrollments(
    uow: UnitOfWork, policy: Policy, request: RosterRequest, writing: pl.DataFrame, audits: list[dict[str, Any]]
) -> None:
    registered_at = as_shanghai(uow.now)
    household_ids = _household_ids(uow, writing)
    created = writing.filter(pl.col("outcome") == "created")
    values = []
    for row in created.select("resident_id", "result").iter_rows(named=True):
        values.append(
            {
                "resident_id": row["resident_id"],
                "household_id": household_ids.get(row["resident_id"]),
                "insurance_year": policy.insurance_year,
                "insurance_type": "390",
                "township_code": request.township_code,
                "channel": request.channel,
                "organization_id": request.organization_id,
                "state": "assessed",
                "registered_at": registered_at,
                "assessed_at": registered_at,
                **frozen_fields(policy, row["result"]),
            }
        )
    table = _table(Enrollment)
    for chunk in chunks(values):
        returned = uow.session.execute(insert(table).returning(table.c.id, table.c.resident_id), chunk)
        by_resident = {resident_id: enrollment_id for enrollment_id, resident_id in returned}
        audits.extend(
            _audit(uow, "enroll", "enrollment", by_resident[value["resident_id"]], _enrollment_record(value))
            for value in chunk
        )
    reassessed = writing.filter((pl.col("outcome") == "updated") & pl.col("reassess"))
    updates = [
        {"b_id": row["enrollment_id"], **frozen_fields(policy, row["result"])}
        for row in reassessed.select("enrollment_id", "result").iter_rows(named=True)
    ]
    if updates:
        columns = [key for key in updates[0] if key != "b_id"]
        statement = (
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values(
                {column: bindparam(f"b_{column}") for column in columns}
                | {"state": "assessed", "assessed_at": registered_at}
            )
        )
        renamed = [{"b_id": item["b_id"]} | {f"b_{column}": item[column] for column in columns} for item in updates]
        for chunk in chunks(renamed):
            uow.session.connection().execute(statement, chunk)
        audits.extend(
            _audit(uow, "reassess", "enrollment", item["b_id"], _enrollment_record(item) | {"state": "assessed"})
            for item in updates
        )


def _household_ids(uow: UnitOfWork, writing: pl.DataFrame) -> dict[int, int]:
    found: dict[int, int] = {}
    for chunk in chunks(writing.get_column("resident_id").to_list()):
        found.update(
            uow.session.execute(
                select(HouseholdMember.resident_id, HouseholdMember.household_id).where(
                    HouseholdMember.resident_id.in_(chunk)
                )
            ).all()
        )
    return found


def _enrollment_record(value: dict[str, Any]) -> dict[str, Any]:
    """What the audit log keeps of an enrollment, as :func:`yibao.services.assessment.summary` does."""
    keys = (
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
        "assisted_by_payer_fen",
    )
    record = {key: value[key] for key in keys if key in value}
    for key in ("benefit_start", "benefit_end"):
        if key in value:
            record[key] = value[key].isoformat() if value[key] else None
    return record
