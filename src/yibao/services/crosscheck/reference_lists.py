"""Reference lists for the cross-checks: imported whole, checked like a roster, kept as versions.

Each row ends ``stored`` or an error (code, Chinese message, column) reported in an error file to correct and
upload again; the rows that passed are kept even when others failed, since a list is evidence, not a change to
anyone's record (a file with no good row at all is not kept). The same file again (same kind, same bytes) is the
same list: nothing is stored twice.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from typing import Any, cast

import polars as pl
from sqlalchemy import Table, select

from yibao.adapters.db.bulk import bulk_insert, staged_keys
from yibao.adapters.db.tables import Area, ReferenceList, ReferenceRow, Resident
from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.adapters.sheet_files import Sheet
from yibao.domain import idnumber
from yibao.domain.crosscheck.reference_list import REFERENCE_KINDS, ReferenceKind, check_reference, columns_of
from yibao.domain.errors import YibaoError
from yibao.domain.roster import ERRORS, ROW, error_struct, with_errors
from yibao.domain.timeutil import as_shanghai
from yibao.services.access import Permission, Principal
from yibao.services.jobs import Progress, no_progress
from yibao.services.sheets import RowProblem, SheetReport, read_table


@dataclass(frozen=True)
class ReferenceRequest:
    file_name: str
    content: bytes
    kind: str  # a key of REFERENCE_KINDS
    as_of: date | None = None  # the day the list describes; default: today
    source: str | None = None  # the department; default: the kind's usual one
    insurance_year: int | None = None  # for the lists about one year
    dry_run: bool = False


@dataclass
class ReferenceReport(SheetReport):
    list_id: int | None
    kind: str
    file_name: str
    dry_run: bool
    already_imported: bool  # the same file was imported before: nothing stored again
    rows: int
    stored: int
    errors: int
    error_counts: dict[str, int]
    problems: list[RowProblem]
    sheet: Sheet = field(repr=False)
    mapping: dict[str, str] = field(repr=False)


def reference_kind(key: str) -> ReferenceKind:
    if key not in REFERENCE_KINDS:
        allowed = "、".join(f"{kind.key}（{kind.name}）" for kind in REFERENCE_KINDS.values())
        raise YibaoError("REFERENCE_KIND_UNKNOWN", field="kind", kind=key, allowed=allowed)
    return REFERENCE_KINDS[key]


def import_reference_list(
    uow: UnitOfWork, principal: Principal, request: ReferenceRequest, progress: Progress = no_progress
) -> ReferenceReport:
    principal.require(Permission.UPLOAD_LISTS)
    kind = reference_kind(request.kind)
    if kind.year_offset is not None and request.insurance_year is None:
        raise YibaoError("REFERENCE_YEAR_REQUIRED", field="insurance_year", kind=kind.name, kind_en=kind.key)
    today = as_shanghai(uow.now).date()
    progress("读取名单", 0, 1)
    sheet, mapping = read_table(request.content, request.file_name, columns_of(kind))
    progress("读取名单", 1, 1)
    progress("检查", 0, sheet.rows)
    frame = sheet.frame.select(ROW, *[pl.col(header).alias(key) for header, key in mapping.items()])
    rows = _with_areas(uow, principal.district, check_reference(frame, kind, today))
    progress("检查", sheet.rows, sheet.rows)
    failed = rows.filter(pl.col(ERRORS).list.len() > 0)
    codes = failed.select(pl.col(ERRORS).list.eval(pl.element().struct.field("code")).list.unique()).explode(ERRORS)
    sha256 = hashlib.sha256(request.content).hexdigest()
    earlier = uow.session.scalars(
        select(ReferenceList).where(
            ReferenceList.file_sha256 == sha256,
            ReferenceList.kind == kind.key,
            ReferenceList.district_code == principal.district,
        )
    ).first()
    report = ReferenceReport(
        list_id=earlier.id if earlier else None,
        kind=kind.key,
        file_name=request.file_name,
        dry_run=request.dry_run,
        already_imported=earlier is not None,
        rows=sheet.rows,
        stored=0 if earlier is None else earlier.stored,
        errors=failed.height,
        error_counts=dict(sorted(codes.group_by(ERRORS).len().iter_rows())),
        problems=_problems(failed, mapping, today),
        sheet=sheet,
        mapping=mapping,
    )
    # A file none of whose rows passed is not a new version: it would stand in for the last good list.
    if request.dry_run or earlier is not None or failed.height == rows.height:
        return report
    progress("写入", 0, 1)
    batch = ReferenceList(
        kind=kind.key,
        source=(request.source or kind.source)[:32],
        as_of=request.as_of or today,
        insurance_year=request.insurance_year,
        district_code=principal.district,
        file_name=request.file_name[:200],
        file_sha256=sha256,
        rows=sheet.rows,
        stored=rows.height - failed.height,
        errors=failed.height,
        error_counts=report.error_counts,
        actor=uow.actor,
        at=uow.now,
    )
    kept = rows.filter(pl.col(ERRORS).list.len() == 0)
    batch.township_counts = _township_counts(uow, kept)
    uow.session.add(batch)
    uow.session.flush()
    kept = kept.select(
        pl.lit(batch.id).alias("list_id"),
        pl.col(ROW).alias("row"),
        "id_number",
        "name",
        "township_code",
        "village_code",
        "event_date",
        "amount_fen",
        "detail",
        "insurance_type",
    )
    bulk_insert(uow.session.connection(), cast(Table, ReferenceRow.__table__), kept)
    uow.audit(
        "import",
        "reference_list",
        batch.id,
        None,
        {"kind": kind.key, "file_name": request.file_name, "rows": sheet.rows, "stored": batch.stored},
    )
    uow.commit()
    report.list_id, report.stored = batch.id, batch.stored
    progress("写入", 1, 1)
    return report


def _township_counts(uow: UnitOfWork, kept: pl.DataFrame) -> dict[str, int]:
    """People per township: the list's own township, else the registry's, else "" (unplaced)."""
    connection = uow.session.connection()
    with staged_keys(connection, kept.filter(pl.col("township_code").is_null()).get_column("id_number")) as staged:
        homes = connection.execute(
            select(Resident.id_number, Resident.township_code).join(staged, staged.c.key == Resident.id_number)
        ).all()
    registry = pl.DataFrame(homes, schema={"id_number": pl.String, "home": pl.String}, orient="row")
    placed = kept.join(registry, on="id_number", how="left").select(
        pl.coalesce("township_code", "home", pl.lit("")).alias("township")
    )
    return dict(sorted(placed.group_by("township").len().iter_rows()))


def _with_areas(uow: UnitOfWork, district: str, rows: pl.DataFrame) -> pl.DataFrame:
    """Township and village as the list writes them (a name or a 12-digit code) → codes of the district; a name
    the district does not know is an error of that row."""
    areas = pl.DataFrame(
        uow.session.execute(
            select(Area.code, Area.name, Area.level, Area.parent_code).where(Area.code.startswith(district))
        ).all(),
        schema={"code": pl.String, "name": pl.String, "level": pl.String, "parent": pl.String},
        orient="row",
    )
    townships = areas.filter(pl.col("level") == "township")
    township_of = pl.concat(
        [townships.select(key="code", township_code="code"), townships.select(key="name", township_code="code")]
    ).unique("key")
    villages = areas.filter(pl.col("level") == "village")
    village_of = pl.concat(
        [
            villages.select("parent", key="code", village_code="code"),
            villages.select("parent", key="name", village_code="code"),
        ]
    ).unique(["parent", "key"])
    joined = (
        rows.join(township_of, left_on="township", right_on="key", how="left")
        .join(
            village_of, left_on=["township_code", "village"], right_on=["parent", "key"], how="left", nulls_equal=False
        )
        .sort(ROW)
    )
    township_name = pl.col("township").fill_null("")
    return with_errors(
        joined.lazy(),
        [
            pl.when(pl.col("township").is_not_null() & pl.col("township_code").is_null()).then(
                error_struct("TOWNSHIP_NAME_UNKNOWN", "township", pl.col("township"))
            ),
            pl.when(
                pl.col("village").is_not_null()
                & pl.col("township_code").is_not_null()
                & pl.col("village_code").is_null()
            ).then(error_struct(pl.lit("VILLAGE_NAME_UNKNOWN"), "village", pl.col("village") + "|" + township_name)),
        ],
    ).collect()


def _problems(failed: pl.DataFrame, mapping: dict[str, str], on: date) -> list[RowProblem]:
    header_of = {key: header for header, key in mapping.items()}
    problems = []
    for row in failed.select(ROW, ERRORS, "id_number").iter_rows(named=True):
        for item in row[ERRORS]:
            column = item["column"]
            error = _as_error(item, row[ROW], on, header_of.get(column) or column)
            problems.append(
                RowProblem(row[ROW], error.code, column, header_of.get(column), error.message, error.message_en)
            )
    return problems


def _as_error(found: dict[str, Any], row: int, on: date, header: str) -> YibaoError:
    code, value, column = found["code"], found["value"], found["column"]
    if code.startswith("ID_NUMBER_"):
        try:
            idnumber.parse(value or "", on=on, from_sheet=True)
        except YibaoError as error:
            return YibaoError(error.code, field=column, row=row, **error.params)
    if code == "DUPLICATE_IN_FILE":
        return YibaoError(code, field=column, row=row, first=value)
    if code == "VALUE_REQUIRED":
        return YibaoError(code, field=column, row=row, column=header)
    if code == "VILLAGE_NAME_UNKNOWN":
        village, township = (value or "|").split("|", 1)
        return YibaoError(code, field=column, row=row, value=village, township=township)
    if code == "NAME_REQUIRED":
        return YibaoError(code, field=column, row=row)
    return YibaoError(code, field=column, row=row, value=value)
