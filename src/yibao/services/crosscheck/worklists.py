"""Worklists of findings (核查清单): per township, per village, each row's follow-up.

A township operator sees and follows up its own township's findings; the district bureau and inspectors see all.
Reasons for non-enrollment are in :mod:`yibao.services.crosscheck.reasons`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, case, false, func, select

from yibao.adapters.db.tables import (
    Area,
    Finding,
    ReferenceList,
)
from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.domain import idnumber
from yibao.domain.crosscheck.findings import FINDING_KINDS, evidence
from yibao.domain.crosscheck.reference_list import REFERENCE_KINDS
from yibao.domain.errors import YibaoError
from yibao.domain.states import FindingStatus
from yibao.services.access import DISTRICT_ROLES, Permission, Principal, Role

UNENROLLED_KINDS = ("unenrolled", "special_group_unenrolled")


@dataclass(frozen=True)
class FindingView:
    id: int
    kind: str
    kind_name: str
    code: str | None
    id_number: str  # masked unless the role may see it
    name: str
    township_code: str
    township_name: str
    village_name: str | None
    evidence: str
    action: str
    status: str
    status_name: str
    note: str | None
    status_by: str | None
    status_at: datetime | None


@dataclass(frozen=True)
class FindingCount:
    township_code: str
    township_name: str
    kind: str
    kind_name: str
    open: int
    total: int


def finding_scope(principal: Principal) -> ColumnElement[bool]:
    """The findings a principal may see: the district's for district roles, a township operator's own."""
    if not principal.may(Permission.READ_RESIDENTS):
        return false()
    if principal.role in DISTRICT_ROLES:
        return Finding.district_code == principal.district
    if principal.role is Role.TOWNSHIP_OPERATOR:
        return Finding.township_code == principal.area_code
    return false()


def _names(uow: UnitOfWork, district: str) -> dict[str, str]:
    return dict(uow.session.execute(select(Area.code, Area.name).where(Area.code.startswith(district))).all())


def finding_counts(uow: UnitOfWork, principal: Principal, insurance_year: int) -> list[FindingCount]:
    """Current findings per township and kind: how many, how many still open."""
    names = _names(uow, principal.district)
    rows = uow.session.execute(
        select(
            Finding.township_code,
            Finding.kind,
            func.count().label("total"),
            func.sum(case((Finding.status == FindingStatus.OPEN, 1), else_=0)).label("open"),
        )
        .where(finding_scope(principal), Finding.insurance_year == insurance_year, Finding.current)
        .group_by(Finding.township_code, Finding.kind)
        .order_by(Finding.township_code, Finding.kind)
    ).all()
    return [
        FindingCount(
            township_code=row.township_code,
            township_name=names.get(row.township_code, "（未注明镇街）"),
            kind=row.kind,
            kind_name=FINDING_KINDS[row.kind].title,
            open=int(row.open or 0),
            total=row.total,
        )
        for row in rows
    ]


@dataclass(frozen=True)
class VillageCount:
    village_code: str | None
    village_name: str
    open: int
    total: int


def village_counts(
    uow: UnitOfWork, principal: Principal, insurance_year: int, township_code: str
) -> list[VillageCount]:
    """A township's current findings per village (the worklist each village committee takes)."""
    names = _names(uow, principal.district)
    rows = uow.session.execute(
        select(
            Finding.village_code,
            func.count().label("total"),
            func.sum(case((Finding.status == FindingStatus.OPEN, 1), else_=0)).label("open"),
        )
        .where(
            finding_scope(principal),
            Finding.insurance_year == insurance_year,
            Finding.current,
            Finding.township_code == township_code,
        )
        .group_by(Finding.village_code)
        .order_by(Finding.village_code)
    ).all()
    return [
        VillageCount(
            village_code=row.village_code,
            village_name=names.get(row.village_code, "（未注明村居）") if row.village_code else "（未注明村居）",
            open=int(row.open or 0),
            total=row.total,
        )
        for row in rows
    ]


# The worklist's orders: by place (a township's villages each take their part), by name, by kind, by status.
FINDING_ORDERS: dict[str, tuple[str, ...]] = {
    "place": ("township_code", "village_code", "kind", "name"),
    "name": ("name", "township_code", "village_code"),
    "kind": ("kind", "township_code", "village_code", "name"),
    "status": ("status", "township_code", "village_code", "name"),
}
FINDING_ORDER_NAMES = {"place": "按镇（街）、村（居）", "name": "按姓名", "kind": "按比对项", "status": "按处理状态"}


def _findings_query(
    principal: Principal,
    insurance_year: int,
    *,
    kind: str | None,
    township_code: str | None,
    status: str | None,
    village_code: str | None,
) -> Select[Finding]:
    query = select(Finding).where(finding_scope(principal), Finding.insurance_year == insurance_year, Finding.current)
    if kind:
        query = query.where(Finding.kind == kind)
    if township_code:
        query = query.where(Finding.township_code == township_code)
    if village_code:
        query = query.where(Finding.village_code == village_code)
    if status:
        query = query.where(Finding.status == status)
    return query


def list_findings(
    uow: UnitOfWork,
    principal: Principal,
    insurance_year: int,
    *,
    kind: str | None = None,
    township_code: str | None = None,
    status: str | None = None,
    limit: int | None = 500,
    offset: int = 0,
    village_code: str | None = None,
    order: str = "place",
) -> list[FindingView]:
    """The worklist: current findings, by township and village, then name (or another of :data:`FINDING_ORDERS`)."""
    query = _findings_query(
        principal, insurance_year, kind=kind, township_code=township_code, status=status, village_code=village_code
    )
    columns = FINDING_ORDERS.get(order, FINDING_ORDERS["place"])
    query = query.order_by(*(getattr(Finding, column) for column in columns), Finding.id)
    if limit is not None:
        query = query.limit(limit).offset(offset)
    items = uow.session.scalars(query).all()
    names = _names(uow, principal.district)
    lists = _list_names(uow, {item.list_id for item in items if item.list_id})
    full = principal.may(Permission.SEE_FULL_ID)
    return [_view(item, names, lists, full) for item in items]


def count_findings(
    uow: UnitOfWork,
    principal: Principal,
    insurance_year: int,
    *,
    kind: str | None = None,
    township_code: str | None = None,
    status: str | None = None,
    village_code: str | None = None,
) -> int:
    """How many findings :func:`list_findings` gives with the same filters, on every page together."""
    query = _findings_query(
        principal, insurance_year, kind=kind, township_code=township_code, status=status, village_code=village_code
    )
    return int(uow.session.scalar(select(func.count()).select_from(query.subquery())) or 0)


def _list_names(uow: UnitOfWork, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = uow.session.execute(
        select(ReferenceList.id, ReferenceList.kind, ReferenceList.source, ReferenceList.as_of).where(
            ReferenceList.id.in_(ids)
        )
    ).all()
    return {row.id: f"{row.source}{REFERENCE_KINDS[row.kind].name}名单（{row.as_of:%Y-%m-%d}）" for row in rows}


def _view(item: Finding, names: dict[str, str], lists: dict[int, str], full: bool) -> FindingView:
    kind = FINDING_KINDS[item.kind]
    return FindingView(
        id=item.id,
        kind=item.kind,
        kind_name=kind.title,
        code=item.code,
        id_number=item.id_number if full else idnumber.mask(item.id_number),
        name=item.name,
        township_code=item.township_code,
        township_name=names.get(item.township_code, "（未注明镇街）"),
        village_name=names.get(item.village_code) if item.village_code else None,
        evidence=evidence(
            item.kind,
            item.code,
            lists.get(item.list_id) if item.list_id else "本系统参保数据",
            item.evidence_date,
            item.amount_fen,
            item.detail,
        ),
        action=kind.action,
        status=item.status,
        status_name=FindingStatus(item.status).zh,
        note=item.note,
        status_by=item.status_by,
        status_at=item.status_at,
    )


def visible_finding(uow: UnitOfWork, principal: Principal, finding_id: int) -> Finding:
    """A finding of the principal's area, or FINDING_NOT_FOUND (as if another township's did not exist)."""
    item = uow.session.scalars(select(Finding).where(Finding.id == finding_id, finding_scope(principal))).first()
    if item is None:
        raise YibaoError("FINDING_NOT_FOUND", field="finding_id", finding=finding_id)
    return item


def set_status(
    uow: UnitOfWork, principal: Principal, finding_id: int, status: str, note: str | None = None
) -> FindingView:
    """Village staff's follow-up of one finding; kept across later runs."""
    principal.require(Permission.FOLLOW_UP)
    # 已登记原因 follows from a reason recorded (record_reason), never from a status set by hand.
    if status not in FindingStatus.codes() or status == FindingStatus.REASON_RECORDED:
        allowed = "、".join(f"{s.code}（{s.zh}）" for s in FindingStatus if s is not FindingStatus.REASON_RECORDED)
        raise YibaoError("FINDING_STATUS_UNKNOWN", field="status", status=status, allowed=allowed)
    item = visible_finding(uow, principal, finding_id)
    before = {"status": item.status, "note": item.note}
    item.status, item.note = status, (note or "").strip()[:200] or None
    item.status_by, item.status_at = uow.actor, uow.now
    uow.audit("follow_up", "finding", item.id, before, {"status": status, "note": item.note})
    uow.commit()
    names = _names(uow, principal.district)
    lists = _list_names(uow, {item.list_id} if item.list_id else set())
    return _view(item, names, lists, principal.may(Permission.SEE_FULL_ID))
