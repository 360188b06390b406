"""Department lists (部门名单): 民政's 低保 and 特困, 残联's 重度残疾, 退役军人's 优抚 … imported as identity flags with
their source and validity, and the enrollments of the people concerned assessed again so their subsidies follow.

Like a roster, the list is checked whole first; rows are keyed by ID number and name (a name that differs from
the registry's is an error, never a silent match). Each row ends ``flagged`` (a new flag recorded), ``unchanged``
(the same flag is on record), ``not_registered`` (nobody with that ID number: reported, not recorded) or an
error. Enrollments already billed or paid are not re-assessed but reported for the clerk to handle by hand.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from typing import Any, cast

import polars as pl
from sqlalchemy import Table, select

from yibao.adapters.db.bulk import bulk_insert, chunks, reserve_ids, staged_keys
from yibao.adapters.db.tables import Enrollment, IdentityFlag, ListImport, Resident
from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.adapters.sheet_files import Sheet
from yibao.domain import idnumber
from yibao.domain.department_list import DEPARTMENTS, LIST_COLUMNS, Department, check_list
from yibao.domain.errors import YibaoError
from yibao.domain.roster import ERRORS, ROW, error_struct, with_errors
from yibao.domain.states import LIVE_ENROLLMENTS, REASSESSABLE_ENROLLMENTS, EnrollmentState
from yibao.domain.timeutil import as_shanghai
from yibao.domain.vocabulary import IDENTITIES
from yibao.services.access import Permission, Principal, person_outside
from yibao.services.audit_batch import AuditBatch
from yibao.services.jobs import Progress, no_progress
from yibao.services.registry.assessment import reassess_enrollments
from yibao.services.sheets import RowProblem, SheetReport, read_table


@dataclass(frozen=True)
class ListRequest:
    file_name: str
    content: bytes
    department: str  # a key of DEPARTMENTS
    identity: str | None = None  # for the whole list, where the file has no identity column
    valid_from: date | None = None
    valid_to: date | None = None
    dry_run: bool = False


@dataclass
class ListReport(SheetReport):
    list_id: int | None
    file_name: str
    department: str
    dry_run: bool
    rows: int
    flagged: int
    unchanged: int
    not_registered: int
    errors: int
    reassessed: int  # enrollments assessed again with the new identities
    needs_review: int  # enrollments already billed or paid: not re-assessed
    error_counts: dict[str, int]
    problems: list[RowProblem]  # errors, and notes on rows not registered or needing review
    sheet: Sheet = field(repr=False)
    mapping: dict[str, str] = field(repr=False)


def department_of(key: str) -> Department:
    if key not in DEPARTMENTS:
        allowed = "、".join(f"{department.key}（{department.name}）" for department in DEPARTMENTS.values())
        raise YibaoError("DEPARTMENT_UNKNOWN", field="department", department=key, allowed=allowed)
    return DEPARTMENTS[key]


def import_department_list(
    uow: UnitOfWork, principal: Principal, request: ListRequest, progress: Progress = no_progress
) -> ListReport:
    principal.require(Permission.UPLOAD_LISTS)
    department = department_of(request.department)
    if request.identity is not None and request.identity not in department.identities:
        raise YibaoError(
            "IDENTITY_NOT_OF_DEPARTMENT",
            field="identity",
            value=IDENTITIES.get(request.identity, request.identity),
            department=department.name,
            allowed="、".join(IDENTITIES[key] for key in department.identities),
        )
    progress("读取名单", 0, 1)
    sheet, mapping = read_table(request.content, request.file_name, LIST_COLUMNS)
    progress("读取名单", 1, 1)
    progress("检查", 0, sheet.rows)
    today = as_shanghai(uow.now).date()
    frame = sheet.frame.select(ROW, *[pl.col(header).alias(key) for header, key in mapping.items()])
    checked = check_list(frame, department, request.identity, request.valid_from, request.valid_to, today)
    rows = _against_registry(uow, principal, department, checked)
    progress("检查", sheet.rows, sheet.rows)
    counts = dict(rows.get_column("outcome").value_counts().iter_rows())
    codes = rows.select(pl.col(ERRORS).list.eval(pl.element().struct.field("code")).list.unique()).explode(ERRORS)
    problems = _problems(rows, mapping, department, today)
    report = ListReport(
        list_id=None,
        file_name=request.file_name,
        department=department.name,
        dry_run=request.dry_run,
        rows=sheet.rows,
        flagged=counts.get("flagged", 0),
        unchanged=counts.get("unchanged", 0),
        not_registered=counts.get("not_registered", 0),
        errors=counts.get("error", 0),
        reassessed=0,
        needs_review=0,
        error_counts=dict(sorted(codes.drop_nulls().group_by(ERRORS).len().iter_rows())),
        problems=problems,
        sheet=sheet,
        mapping=mapping,
    )
    if request.dry_run:
        uow.session.rollback()
        # A check is audited as an import is: who asked about which ID numbers is itself worth knowing.
        summary = {"department": department.name, "rows": report.rows, "errors": report.errors}
        uow.audit("check", "department_list", request.file_name[:64], None, summary)
        uow.commit()
        return report
    progress("写入", 0, 2)
    flagged = rows.filter(pl.col("outcome") == "flagged")
    batch = _record(uow, department, request, report, flagged)
    report.list_id = batch.id
    progress("写入", 1, 2)
    report.reassessed, reviews = _follow_enrollments(uow, flagged)
    batch.reassessed = report.reassessed
    report.needs_review = len(reviews)
    report.problems += reviews
    progress("写入", 2, 2)
    uow.commit()
    return report


def _against_registry(
    uow: UnitOfWork, principal: Principal, department: Department, checked: pl.DataFrame
) -> pl.DataFrame:
    """Each row's resident (within the principal's district) and whether the same flag is on record already."""
    connection = uow.session.connection()
    with staged_keys(connection, checked.get_column("id_number")) as staged:
        people = connection.execute(
            select(Resident.id, Resident.id_number, Resident.name)
            .join(staged, staged.c.key == Resident.id_number)
            .where(Resident.township_code.startswith(principal.district))
        ).all()
        flags = connection.execute(
            select(IdentityFlag.resident_id, IdentityFlag.identity, IdentityFlag.valid_from, IdentityFlag.valid_to)
            .join(Resident, Resident.id == IdentityFlag.resident_id)
            .join(staged, staged.c.key == Resident.id_number)
            .where(IdentityFlag.source == department.name)
        ).all()
    known = pl.DataFrame(
        people, schema={"resident_id": pl.Int64, "id_number": pl.String, "known_name": pl.String}, orient="row"
    )
    on_record = pl.DataFrame(
        flags,
        schema={"resident_id": pl.Int64, "identity": pl.String, "valid_from": pl.Date, "valid_to": pl.Date},
        orient="row",
    ).with_columns(on_record=pl.lit(True))
    joined = checked.join(known, on="id_number", how="left").join(
        on_record.unique(), on=["resident_id", "identity", "valid_from", "valid_to"], how="left", nulls_equal=True
    )
    name_differs = (
        pl.col("known_name").is_not_null() & pl.col("name").is_not_null() & (pl.col("known_name") != pl.col("name"))
    )
    # Everyone found is of the principal's district, so the area rule answers once for all: a department, which
    # reads no residents, is told that a name differs, never the name on record (a dry run would be an oracle).
    if person_outside(principal, principal.area_code):
        differs = error_struct("RESIDENT_NAME_DIFFERS", "name", pl.col("name"))
    else:
        differs = error_struct("RESIDENT_NAME_MISMATCH", "name", pl.col("known_name"))
    rows = with_errors(joined.lazy(), [pl.when(name_differs).then(differs)]).collect()
    return rows.with_columns(
        outcome=pl.when(pl.col(ERRORS).list.len() > 0)
        .then(pl.lit("error"))
        .when(pl.col("resident_id").is_null())
        .then(pl.lit("not_registered"))
        .when(pl.col("on_record").fill_null(False))
        .then(pl.lit("unchanged"))
        .otherwise(pl.lit("flagged"))
    )


def _record(
    uow: UnitOfWork, department: Department, request: ListRequest, report: ListReport, flagged: pl.DataFrame
) -> ListImport:
    batch = ListImport(
        department=department.name,
        file_name=request.file_name[:200],
        file_sha256=hashlib.sha256(request.content).hexdigest(),
        actor=uow.actor,
        at=uow.now,
        rows=report.rows,
        flagged=report.flagged,
        unchanged=report.unchanged,
        not_registered=report.not_registered,
        errors=report.errors,
        reassessed=0,
        error_counts=report.error_counts,
    )
    uow.session.add(batch)
    uow.session.flush()
    connection = uow.session.connection()
    table = cast(Table, IdentityFlag.__table__)
    new_flags = flagged.select(
        reserve_ids(connection, table, flagged.height),
        "resident_id",
        "identity",
        pl.lit(department.name).alias("source"),
        "valid_from",
        "valid_to",
    )
    bulk_insert(connection, table, new_flags)
    audit = AuditBatch(uow)
    after = pl.struct(
        "resident_id",
        "identity",
        "source",
        pl.col("valid_from").dt.strftime("%Y-%m-%d"),
        pl.col("valid_to").dt.strftime("%Y-%m-%d"),
        pl.lit(batch.id).alias("list_import_id"),
    ).struct.json_encode()
    audit.record("flag", "identity_flag", new_flags, pl.col("id"), after)
    audit.write(connection)
    summary = {key: getattr(report, key) for key in ("rows", "flagged", "unchanged", "not_registered", "errors")}
    uow.audit(
        "import",
        "list_import",
        batch.id,
        None,
        {"department": department.name, "file_name": request.file_name} | summary,
    )
    return batch


def _follow_enrollments(uow: UnitOfWork, flagged: pl.DataFrame) -> tuple[int, list[RowProblem]]:
    """Assess again the live enrollments of the people newly flagged; report those already billed or paid."""
    resident_ids = flagged.get_column("resident_id").unique().to_list()
    rows: list[Any] = []
    for chunk in chunks(resident_ids):
        rows += uow.session.execute(
            select(Enrollment.id, Enrollment.resident_id, Enrollment.state, Enrollment.insurance_year).where(
                Enrollment.resident_id.in_(chunk), Enrollment.state.in_(LIVE_ENROLLMENTS)
            )
        ).all()
    reassessed = reassess_enrollments(uow, [row.id for row in rows if row.state in REASSESSABLE_ENROLLMENTS])
    first_row = dict(
        flagged.group_by("resident_id")
        .agg(pl.col(ROW).min(), pl.col("name").first())
        .select("resident_id", ROW)
        .iter_rows()
    )
    names = dict(flagged.select("resident_id", "name").iter_rows())
    reviews = []
    for row in rows:
        if row.state in REASSESSABLE_ENROLLMENTS:
            continue
        state = EnrollmentState(row.state)
        zh, en = state.zh, state.code
        error = YibaoError(
            "SUBSIDY_AFTER_BILLING", name=names[row.resident_id], year=row.insurance_year, state=zh, state_en=en
        )
        reviews.append(RowProblem(first_row[row.resident_id], error.code, None, None, error.message, error.message_en))
    return reassessed, reviews


def _problems(rows: pl.DataFrame, mapping: dict[str, str], department: Department, on: date) -> list[RowProblem]:
    header_of = {key: header for header, key in mapping.items()}
    problems = []
    noted = rows.filter(pl.col("outcome").is_in(["error", "not_registered"]))
    for row in noted.select(ROW, ERRORS, "outcome", "id_number", "name", "identity").iter_rows(named=True):
        found = row[ERRORS]
        if row["outcome"] == "not_registered":
            found = [{"code": "RESIDENT_NOT_REGISTERED", "column": "id_number", "value": row["id_number"]}]
        for item in found:
            error = _as_error(item, row, department, on)
            column = item["column"]
            problems.append(
                RowProblem(row[ROW], error.code, column, header_of.get(column), error.message, error.message_en)
            )
    return problems


def _as_error(found: dict[str, Any], row: dict[str, Any], department: Department, on: date) -> YibaoError:
    code, value = found["code"], found["value"]
    if code.startswith("ID_NUMBER_"):
        try:
            idnumber.parse(value or "", on=on, from_sheet=True)
        except YibaoError as error:
            return error
    params: dict[str, Any] = {"value": value}
    if code == "DUPLICATE_IN_FILE":
        params = {"first": value}
    elif code == "IDENTITY_UNKNOWN":
        params["allowed"] = "、".join(IDENTITIES[key] for key in department.identities)
    elif code == "IDENTITY_NOT_OF_DEPARTMENT":
        params |= {
            "department": department.name,
            "allowed": "、".join(IDENTITIES[key] for key in department.identities),
        }
        params["value"] = IDENTITIES.get(value, value)
    elif code == "RESIDENT_NAME_MISMATCH":
        params = {"number": idnumber.mask(row["id_number"]), "registered": value, "given": row["name"]}
    elif code == "RESIDENT_NAME_DIFFERS":
        params = {"number": idnumber.mask(row["id_number"]), "given": row["name"]}
    elif code == "RESIDENT_NOT_REGISTERED":
        params = {"number": idnumber.mask(row["id_number"])}
    elif code == "IDENTITY_REQUIRED":
        params = {}
    return YibaoError(code, field=found["column"], row=row[ROW], **params)
