"""Exports in the bureau's formats: the enrollment roster (参保登记名册) and the assessment list (核定缴费清单: who
pays what and what each payer subsidises — the list finance claims subsidy funds with).

Rows stream from the database in batches straight into the file, so the export of a city holds one batch in
memory. The area rule is the one every list obeys (:func:`enrollment_scope`); ID numbers and phones are masked
for roles that may not see them whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import ColumnElement, Select, String, cast, func, select
from sqlalchemy.orm import aliased

from yibao.adapters.db.bulk import CHUNK
from yibao.adapters.db.tables import Area, Enrollment, Household, Resident
from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.adapters.table_files import TableColumn, table_file
from yibao.domain.errors import YibaoError
from yibao.domain.idnumber_bulk import mask_column
from yibao.domain.states import ASSESSED_ENROLLMENTS, EnrollmentState
from yibao.domain.timeutil import as_shanghai
from yibao.domain.vocabulary import CATEGORIES, CHANNELS, SEXES
from yibao.services.access import Permission, Principal, enrollment_scope
from yibao.services.jobs import Progress, no_progress
from yibao.services.policy.campaigns import campaign_policy
from yibao.services.policy.plans import district_policies

FORMATS = ("xlsx", "csv")


class ExportKind(StrEnum):
    ENROLLMENTS = "enrollments"
    ASSESSMENTS = "assessments"


EXPORT_NAMES: dict[ExportKind, str] = {
    ExportKind.ENROLLMENTS: "参保登记名册",
    ExportKind.ASSESSMENTS: "核定缴费清单",
}


@dataclass(frozen=True)
class ExportRequest:
    kind: ExportKind
    format: str = "xlsx"
    insurance_year: int | None = None  # default: the district's campaign under way
    township_code: str | None = None
    village_code: str | None = None
    channel: str | None = None


@dataclass(frozen=True)
class ExportResult:
    rows: int
    file_name: str  # what to call the file: 参保登记名册-2018-渔阳镇.xlsx
    masked: bool  # ID numbers and phones masked for this user


def export_file_name(uow: UnitOfWork, principal: Principal, request: ExportRequest) -> str:
    year = _year(uow, principal, request)
    # Named for the narrowest area it covers: the village or township asked for, else the user's own area.
    place = uow.session.get(Area, request.village_code or request.township_code or principal.area_code)
    return f"{EXPORT_NAMES[request.kind]}-{year}-{place.name if place else principal.district}.{request.format}"


def check_export(principal: Principal, request: ExportRequest) -> None:
    """What can be refused before any row is read."""
    principal.require(Permission.READ_RESIDENTS)
    if request.format not in FORMATS:
        raise YibaoError("EXPORT_FORMAT", field="format", format=request.format)
    if request.township_code:
        principal.require_township(request.township_code)
    if request.channel and request.channel not in CHANNELS:
        raise YibaoError("CHANNEL_UNKNOWN", field="channel", value=request.channel, allowed="、".join(CHANNELS))


def export(
    uow: UnitOfWork, principal: Principal, request: ExportRequest, target: Path, progress: Progress = no_progress
) -> ExportResult:
    check_export(principal, request)
    year = _year(uow, principal, request)
    masked = not principal.may(Permission.SEE_FULL_ID)
    policies = {policy.id: policy for policy in district_policies(principal.district, uow.session)}
    payers = {
        key: payer.name
        for policy in policies.values()
        if policy.insurance_year == year
        for key, payer in policy.payers.items()
    }
    statement = export_statement(principal, request, year)
    total = uow.session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    columns = _columns(request.kind, list(payers.values()))
    progress("导出", 0, total)
    done = 0
    names = _names(policies)
    with table_file(target, request.format, EXPORT_NAMES[request.kind], columns) as table:
        result = uow.session.execute(statement.execution_options(yield_per=CHUNK))
        for batch in result.partitions():
            frame = pl.DataFrame(batch, schema=FETCHED, orient="row")
            table.write(_rows(request.kind, frame, done, names, list(payers), masked))
            done += len(batch)
            progress("导出", done, total)
    name = export_file_name(uow, principal, request)
    # Who took which people out of the system, and whether with full ID numbers and phones.
    uow.audit("export", "export", request.kind.value, None, _export_record(request, year, done, name, masked))
    uow.commit()
    return ExportResult(done, name, masked)


def _export_record(request: ExportRequest, year: int, rows: int, name: str, masked: bool) -> dict[str, Any]:
    return {
        "kind": request.kind.value,
        "format": request.format,
        "insurance_year": year,
        "township_code": request.township_code,
        "village_code": request.village_code,
        "channel": request.channel,
        "rows": rows,
        "file_name": name,
        "masked": masked,
    }


def _year(uow: UnitOfWork, principal: Principal, request: ExportRequest) -> int:
    if request.insurance_year is not None:
        return request.insurance_year
    return campaign_policy(principal.district, as_shanghai(uow.now).date(), uow.session).insurance_year


TOWNSHIP, VILLAGE = aliased(Area), aliased(Area)


def export_statement(principal: Principal, request: ExportRequest, year: int) -> Select[*tuple[Any, ...]]:
    conditions: list[ColumnElement[bool]] = [enrollment_scope(principal), Enrollment.insurance_year == year]
    if request.township_code:
        conditions.append(Enrollment.township_code == request.township_code)
    if request.village_code:
        conditions.append(Resident.village_code == request.village_code)
    if request.channel:
        conditions.append(Enrollment.channel == request.channel)
    if request.kind is ExportKind.ASSESSMENTS:
        conditions.append(Enrollment.state.in_(ASSESSED_ENROLLMENTS))
    else:
        conditions.append(Enrollment.state != EnrollmentState.CANCELLED)
    return (
        select(
            TOWNSHIP.name,
            VILLAGE.name,
            Household.number,
            Resident.name,
            Resident.id_number,
            Resident.sex,
            Resident.birth_date,
            Resident.phone,
            Enrollment.policy_id,
            Enrollment.category,
            Enrollment.tier,
            Enrollment.channel,
            Enrollment.state,
            Enrollment.registered_at,
            Enrollment.financing_total_fen,
            Enrollment.government_subsidy_fen,
            Enrollment.assisted_subsidy_fen,
            cast(Enrollment.assisted_by_payer_fen, String),  # JSON text: each payer read by Polars
            Enrollment.individual_due_fen,
            Enrollment.benefit_start,
            Enrollment.benefit_end,
        )
        .join(Resident, Resident.id == Enrollment.resident_id)
        .join(TOWNSHIP, TOWNSHIP.code == Enrollment.township_code)
        .outerjoin(VILLAGE, VILLAGE.code == Resident.village_code)
        .outerjoin(Household, Household.id == Enrollment.household_id)
        .where(*conditions)
        .order_by(Enrollment.township_code, Resident.village_code, Household.number, Enrollment.id)
    )


def _columns(kind: ExportKind, payer_names: list[str]) -> list[TableColumn]:
    who = [
        TableColumn("序号", "count", 8),
        TableColumn("镇（街）", width=12),
        TableColumn("村（居）", width=12),
        TableColumn("户号", width=10),
        TableColumn("姓名", width=10),
        TableColumn("公民身份号码", width=21),
    ]
    if kind is ExportKind.ENROLLMENTS:
        return [
            *who,
            TableColumn("性别", width=6),
            TableColumn("出生日期", width=12),
            TableColumn("联系电话", width=14),
            TableColumn("人员类别", width=14),
            TableColumn("缴费档次", width=14),
            TableColumn("参保渠道", width=14),
            TableColumn("状态", width=10),
            TableColumn("登记时间", width=18),
        ]
    return [
        *who,
        TableColumn("人员类别", width=14),
        TableColumn("缴费档次", width=14),
        TableColumn("筹资标准（元）", "money", 14),
        TableColumn("政府补助（元）", "money", 14),
        *[TableColumn(f"{name}资助（元）", "money", 14) for name in payer_names],
        TableColumn("资助合计（元）", "money", 14),
        TableColumn("个人应缴（元）", "money", 14),
        TableColumn("待遇开始", width=12),
        TableColumn("待遇结束", width=12),
        TableColumn("状态", width=10),
    ]


FETCHED: dict[str, pl.DataType | type[pl.DataType]] = {
    "township": pl.String,
    "village": pl.String,
    "household": pl.String,
    "name": pl.String,
    "id_number": pl.String,
    "sex": pl.String,
    "birth_date": pl.Date,
    "phone": pl.String,
    "policy_id": pl.String,
    "category": pl.String,
    "tier": pl.String,
    "channel": pl.String,
    "state": pl.String,
    "registered_at": pl.Datetime("us", "UTC"),
    "financing": pl.Int64,
    "government": pl.Int64,
    "assisted": pl.Int64,
    "by_payer": pl.String,
    "due": pl.Int64,
    "benefit_start": pl.Date,
    "benefit_end": pl.Date,
}


@dataclass(frozen=True)
class _Names:
    tiers: dict[str, str]  # "policy_id/tier" -> the plan's name
    categories: dict[str, str]
    channels: dict[str, str]
    states: dict[str, str]


def _names(policies: dict[str, Any]) -> _Names:
    tiers = {f"{policy.id}/{key}": tier.name for policy in policies.values() for key, tier in policy.tiers.items()}
    states = EnrollmentState.names()
    return _Names(tiers, dict(CATEGORIES), dict(CHANNELS), states)


def _named(column: str, names: dict[str, str]) -> pl.Expr:
    return pl.col(column).replace_strict(names, default=pl.col(column), return_dtype=pl.String)


def _rows(
    kind: ExportKind, frame: pl.DataFrame, done: int, names: _Names, payers: list[str], masked: bool
) -> pl.DataFrame:
    """One batch of fetched rows as the columns of :func:`_columns`, in order."""
    number = pl.int_range(done + 1, done + 1 + frame.height, dtype=pl.Int64)
    id_number = mask_column(pl.col("id_number")) if masked else pl.col("id_number")
    tier = (pl.col("policy_id") + "/" + pl.col("tier")).replace_strict(names.tiers, default=pl.col("tier"))
    who: list[pl.Expr | str] = [number, "township", "village", "household", "name", id_number.alias("id_number")]
    if kind is ExportKind.ENROLLMENTS:
        return frame.select(
            *who,
            pl.col("sex").replace_strict(SEXES, default=pl.col("sex")),
            pl.col("birth_date").dt.strftime("%Y-%m-%d"),
            (mask_column(pl.col("phone")) if masked else pl.col("phone")).alias("phone"),  # as shown_phone does
            _named("category", names.categories),
            tier.alias("tier"),
            _named("channel", names.channels),
            _named("state", names.states),
            pl.col("registered_at").dt.convert_time_zone("Asia/Shanghai").dt.strftime("%Y-%m-%d %H:%M"),
        )
    by_payer = [
        pl.col("by_payer").str.json_path_match(f"$.{payer}").cast(pl.Int64).fill_null(0).alias(f"payer_{payer}")
        for payer in payers
    ]
    return frame.select(
        *who,
        _named("category", names.categories),
        tier.alias("tier"),
        "financing",
        "government",
        *by_payer,
        "assisted",
        "due",
        pl.col("benefit_start").dt.strftime("%Y-%m-%d"),
        pl.col("benefit_end").dt.strftime("%Y-%m-%d"),
        _named("state", names.states),
    )
