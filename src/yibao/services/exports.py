"""Exports in the bureau's formats: the enrollment roster (参保登记名册) and the assessment list (核定缴费清单: who
pays what and what each payer subsidises — the list finance claims subsidy funds with).

Rows stream from the database in batches straight into the file, so the export of a city holds one batch in
memory. The area rule is the one every list obeys (:func:`enrollment_scope`); ID numbers and phones are masked
for roles that may not see them whole.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import aliased

from yibao.adapters.db.tables import Area, Enrollment, Household, Resident
from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.adapters.table_files import TableColumn, table_file
from yibao.domain import idnumber
from yibao.domain.errors import YibaoError
from yibao.domain.timeutil import as_shanghai
from yibao.domain.vocabulary import CATEGORIES, CHANNELS
from yibao.services.access import Permission, Principal, enrollment_scope
from yibao.services.enrollments import STATE_NAMES
from yibao.services.policies import campaign_policy, district_policies
from yibao.services.roster_report import CHUNK

FORMATS = ("xlsx", "csv")
ASSESSED_STATES = ("assessed", "notified", "paid", "effective")
Progress = Callable[[str, int, int], None]


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


def _no_progress(_step: str, _done: int, _total: int) -> None:
    return None


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
    uow: UnitOfWork, principal: Principal, request: ExportRequest, target: Path, progress: Progress = _no_progress
) -> ExportResult:
    check_export(principal, request)
    year = _year(uow, principal, request)
    masked = not principal.may(Permission.SEE_FULL_ID)
    policies = {policy.id: policy for policy in district_policies(principal.district)}
    payers = {
        key: payer.name
        for policy in policies.values()
        if policy.insurance_year == year
        for key, payer in policy.payers.items()
    }
    statement = _statement(principal, request, year)
    total = uow.session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    columns = _columns(request.kind, list(payers.values()))
    progress("导出", 0, total)
    done = 0
    with table_file(target, request.format, EXPORT_NAMES[request.kind], columns) as table:
        result = uow.session.execute(statement.execution_options(yield_per=CHUNK))
        for batch in result.partitions():
            table.write(
                [
                    _row(request.kind, done + index, row, policies, list(payers), masked)
                    for index, row in enumerate(batch, start=1)
                ]
            )
            done += len(batch)
            progress("导出", done, total)
    return ExportResult(done, export_file_name(uow, principal, request), masked)


def _year(uow: UnitOfWork, principal: Principal, request: ExportRequest) -> int:
    if request.insurance_year is not None:
        return request.insurance_year
    return campaign_policy(principal.district, as_shanghai(uow.now).date()).insurance_year


TOWNSHIP, VILLAGE = aliased(Area), aliased(Area)


def _statement(principal: Principal, request: ExportRequest, year: int) -> Select[*tuple[Any, ...]]:
    conditions: list[ColumnElement[bool]] = [enrollment_scope(principal), Enrollment.insurance_year == year]
    if request.township_code:
        conditions.append(Enrollment.township_code == request.township_code)
    if request.village_code:
        conditions.append(Resident.village_code == request.village_code)
    if request.channel:
        conditions.append(Enrollment.channel == request.channel)
    if request.kind is ExportKind.ASSESSMENTS:
        conditions.append(Enrollment.state.in_(ASSESSED_STATES))
    else:
        conditions.append(Enrollment.state != "cancelled")
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
            Enrollment.assisted_by_payer_fen,
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


def _row(
    kind: ExportKind, number: int, row: Sequence[Any], policies: dict[str, Any], payers: list[str], masked: bool
) -> list[object]:
    (
        township,
        village,
        household,
        name,
        id_number,
        sex,
        birth,
        phone,
        policy_id,
        category,
        tier,
        channel,
        state,
        registered_at,
        financing,
        government,
        assisted,
        by_payer,
        due,
        start,
        end,
    ) = row
    policy = policies.get(policy_id)
    tier_name = policy.tiers[tier].name if policy is not None and tier in policy.tiers else tier
    who = [number, township, village, household, name, idnumber.mask(id_number) if masked else id_number]
    category_name = CATEGORIES.get(category, category) if category else None
    if kind is ExportKind.ENROLLMENTS:
        return [
            *who,
            "男" if sex == "male" else "女",
            birth.isoformat(),
            _masked_phone(phone) if masked and phone else phone,
            category_name,
            tier_name,
            CHANNELS.get(channel, channel),
            STATE_NAMES[state][0],
            as_shanghai(registered_at).strftime("%Y-%m-%d %H:%M"),
        ]
    by_payer = by_payer or {}
    return [
        *who,
        category_name,
        tier_name,
        financing,
        government,
        *[by_payer.get(payer, 0) for payer in payers],
        assisted,
        due,
        start.isoformat() if start else None,
        end.isoformat() if end else None,
        STATE_NAMES[state][0],
    ]


def _masked_phone(phone: str) -> str:
    return phone[:3] + "****" + phone[7:] if len(phone) == 11 else idnumber.mask(phone)
