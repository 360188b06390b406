"""Cash handed up (代收款上缴): what each 村（居） collected from its households and handed in as collection
batches, against the cash it handed up to the township's or street's finance office with the special receipts
issued for it — per community and collection day (滕州: 各居……每天将代收保费上缴至街道财政所).

Collected is what the collection batches paid for the community's people on that day (Shanghai time): the
allocations of channel ``collection`` payments, by the village each person is registered in. Handed up is the sum
of the handover rows for that community and day; the difference is what the community still holds (or, if
negative, handed up beyond what the batches show).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from yibao.adapters.db.tables import Area, CashHandover, Enrollment, Payment, PaymentAllocation, Resident
from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.domain.errors import YibaoError
from yibao.domain.money import format_yuan
from yibao.domain.states import PaymentKind
from yibao.domain.timeutil import as_shanghai
from yibao.services.access import Permission, Principal
from yibao.services.registry.areas import check_village


@dataclass(frozen=True)
class HandoverRequest:
    insurance_year: int
    township_code: str
    village_code: str
    day: date  # the collection day the cash belongs to
    amount_fen: int  # negative: a correction of an earlier row, with a note
    receipt_numbers: str  # 专用票据号 issued for this cash: a range (0012301-0012345) or a list
    handed_by: str  # the community's collector
    note: str | None = None


@dataclass(frozen=True)
class HandoverView:
    id: int
    insurance_year: int
    township_code: str
    village_code: str
    village_name: str
    day: date
    amount_fen: int
    receipt_numbers: str | None
    handed_by: str
    note: str | None
    actor: str
    at: datetime


@dataclass(frozen=True)
class HandoverDay:
    """One community's one collection day: collected, handed up, and what it still holds."""

    village_code: str | None
    village_name: str
    day: date
    people: int  # paid for through collection batches that day
    collected_fen: int
    handed_fen: int
    receipts: list[str]

    @property
    def difference_fen(self) -> int:
        return self.collected_fen - self.handed_fen


def _check(uow: UnitOfWork, principal: Principal, request: HandoverRequest) -> None:
    principal.require(Permission.TAKE_PAYMENTS)
    principal.require_township(request.township_code)
    check_village(uow, request.township_code, request.village_code)
    if request.day > as_shanghai(uow.now).date():
        raise YibaoError("HANDOVER_DATE_FUTURE", field="day", day=request.day.isoformat())
    if request.amount_fen == 0:
        raise YibaoError("HANDOVER_AMOUNT_INVALID", field="amount_fen", amount=format_yuan(request.amount_fen))
    if not request.handed_by.strip():
        raise YibaoError("HANDOVER_COLLECTOR_REQUIRED", field="handed_by")
    if request.amount_fen > 0 and not request.receipt_numbers.strip():
        raise YibaoError("HANDOVER_RECEIPTS_REQUIRED", field="receipt_numbers")
    if request.amount_fen < 0 and not (request.note or "").strip():
        raise YibaoError("HANDOVER_NOTE_REQUIRED", field="note")


def record_handover(uow: UnitOfWork, principal: Principal, request: HandoverRequest) -> HandoverView:
    """The office receives a community's cash for a collection day, with the receipts issued for it."""
    _check(uow, principal, request)
    row = CashHandover(
        insurance_year=request.insurance_year,
        township_code=request.township_code,
        village_code=request.village_code,
        day=request.day,
        amount_fen=request.amount_fen,
        receipt_numbers=request.receipt_numbers.strip()[:200] or None,
        handed_by=request.handed_by.strip()[:64],
        note=(request.note or "").strip()[:200] or None,
        actor=uow.actor,
        at=uow.now,
    )
    uow.session.add(row)
    uow.session.flush()
    uow.audit(
        "hand_over",
        "cash_handover",
        row.id,
        None,
        {"village": row.village_code, "day": row.day.isoformat(), "amount_fen": row.amount_fen},
    )
    uow.commit()
    name = uow.session.scalar(select(Area.name).where(Area.code == row.village_code)) or row.village_code
    return HandoverView(
        row.id,
        row.insurance_year,
        row.township_code,
        row.village_code,
        name,
        row.day,
        row.amount_fen,
        row.receipt_numbers,
        row.handed_by,
        row.note,
        row.actor,
        row.at,
    )


def handover_days(uow: UnitOfWork, principal: Principal, insurance_year: int, township_code: str) -> list[HandoverDay]:
    """Per community and collection day of a township: collected against handed up, newest day first."""
    if not (principal.may(Permission.TAKE_PAYMENTS) or principal.may(Permission.PAYMENTS)):
        principal.require(Permission.TAKE_PAYMENTS)
    principal.require_township(township_code)
    collected: dict[tuple[str | None, date], list[int]] = {}  # (village, day) -> [people, fen]
    rows = uow.session.execute(
        select(Resident.village_code, Payment.paid_at, PaymentAllocation.amount_fen)
        .join(PaymentAllocation, PaymentAllocation.payment_id == Payment.id)
        .join(Enrollment, Enrollment.id == PaymentAllocation.enrollment_id)
        .join(Resident, Resident.id == Enrollment.resident_id)
        .where(
            Payment.channel == "collection",
            Payment.kind == PaymentKind.PAYMENT,
            Payment.insurance_year == insurance_year,
            Payment.township_code == township_code,
        )
    )
    for village, paid_at, amount in rows:
        entry = collected.setdefault((village, as_shanghai(paid_at).date()), [0, 0])
        entry[0] += 1
        entry[1] += amount
    handed: dict[tuple[str | None, date], int] = {}
    receipts: dict[tuple[str | None, date], list[str]] = {}
    for row in uow.session.scalars(
        select(CashHandover)
        .where(CashHandover.insurance_year == insurance_year, CashHandover.township_code == township_code)
        .order_by(CashHandover.id)
    ):
        key = (row.village_code, row.day)
        handed[key] = handed.get(key, 0) + row.amount_fen
        if row.receipt_numbers:
            receipts.setdefault(key, []).append(row.receipt_numbers)
    names = {
        code: name
        for code, name in uow.session.execute(select(Area.code, Area.name).where(Area.parent_code == township_code))
    }
    keys = sorted(set(collected) | set(handed), key=lambda key: (-key[1].toordinal(), key[0] or "~"))
    return [
        HandoverDay(
            village,
            names.get(village or "", "（未填村居）"),
            day,
            collected.get((village, day), [0, 0])[0],
            collected.get((village, day), [0, 0])[1],
            handed.get((village, day), 0),
            receipts.get((village, day), []),
        )
        for village, day in keys
    ]
