"""Property: over any sequence of notices, payments, duplicate deliveries, reversals, refunds and cancellations,

* every fen received is either applied to an enrollment or awaiting a refund (or was refunded or reversed) —
  with what came in and what went out counted by replaying the operations as they were answered, not read
  back from the ledger;
* a payment is recorded once however often it is delivered; a reversal is refused once a payment is reversed or
  refunded from, and allowed otherwise;
* no enrollment is ``effective`` without full payment, and none is paid more than it owes;
* the collection totals per township equal the sums of their ledger lines.

Each example runs on a copy of one prepared database of each kind (three households of the 2018 Jizhou campaign).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select

from db_fixtures import copy_of, migrated_url
from households import NOW, YUYANG, family, uow
from principals import of_role, operator
from yibao.adapters.db.database import make_engine, session_factory
from yibao.adapters.db.tables import Enrollment, Payment, PaymentAllocation, PaymentNotice
from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.domain import idnumber
from yibao.domain.errors import YibaoError
from yibao.domain.states import EnrollmentState, PaymentKind
from yibao.services.access import Role
from yibao.services.money import notices, payments, reversals
from yibao.services.money.collections import collections
from yibao.services.money.payments import PaymentRequest
from yibao.services.money.views import PaymentView
from yibao.services.registry import enrollments
from yibao.services.registry.areas import seed_district
from yibao.services.registry.households import Member, enroll_household

CLERK = operator(YUYANG)
FINANCE = of_role(Role.FINANCE)
HOUSEHOLDS = 3
CHANNELS = ("counter_cash", "wechat", "bank", "collection")
PEOPLE = (  # each household: two who pay, one fully assisted (owes nothing)
    (date(1975, 3, 4), "户主甲", "户主", ()),
    (date(1977, 6, 5), "配偶乙", "配偶", ()),
    (date(1940, 1, 2), "父亲丙", "父母", ("tekun",)),
)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def prepared(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of the prepared database, which each example copies."""
    for url in migrated_url(request.param, tmp_path_factory.mktemp("money")):
        engine = make_engine(url)
        _prepare(engine)
        engine.dispose()
        yield url


def _prepare(engine: Engine) -> None:
    with uow(engine, "admin") as work:
        seed_district(work, "120119")
    for number in range(HOUSEHOLDS):
        members = tuple(
            Member(idnumber.make("120119", birth, 100 + 10 * number + index), name, relation, identities=identities)
            for index, (birth, name, relation, identities) in enumerate(PEOPLE)
        )
        with uow(engine) as work:
            enroll_household(work, CLERK, family(members=members))


Step = tuple[Any, ...]
operations = st.lists(
    st.one_of(
        st.tuples(st.just("notice"), st.integers(0, HOUSEHOLDS - 1)),
        st.tuples(
            st.just("pay"),
            st.integers(0, HOUSEHOLDS - 1),
            st.sampled_from(CHANNELS),
            st.integers(0, 6),  # transaction ids from a small pool: collisions are duplicates or conflicts
            st.one_of(st.integers(1, 120_000), st.sampled_from([22_000, 44_000, 66_000])),
            st.booleans(),  # to the notice, or straight to the household's first enrollment
        ),
        st.tuples(st.just("again"), st.integers(0, 20)),
        st.tuples(st.just("reverse"), st.integers(0, 20)),
        st.tuples(st.just("refund"), st.integers(0, 20), st.one_of(st.none(), st.integers(1, 50_000))),
        st.tuples(st.just("cancel"), st.integers(0, HOUSEHOLDS * 3 - 1)),
    ),
    min_size=1,
    max_size=14,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=operations)
def test_money_is_never_lost_or_counted_twice(prepared: str, tmp_path: Path, steps: list[Step]) -> None:
    for url in copy_of(prepared, tmp_path):
        engine = make_engine(url)
        try:
            replay = _run(engine, steps)
            _check(engine, replay)
        finally:
            engine.dispose()


@dataclass
class Replay:
    """The money that came in and went out, as the operations were answered: independent of the ledger's rows."""

    received: dict[int, int] = field(default_factory=dict)  # payment id -> amount, each payment once
    reversed: set[int] = field(default_factory=set)
    refunded: set[int] = field(default_factory=set)  # payments refunded from
    returned_fen: int = 0  # reversed and refunded, as positive amounts

    def paid(self, request: PaymentRequest, view: PaymentView) -> None:
        assert view.amount_fen == request.amount_fen
        assert self.received.get(view.id, view.amount_fen) == view.amount_fen, "a delivery again changed the amount"
        self.received[view.id] = view.amount_fen

    def reversing(self, payment_id: int) -> bool:
        """Whether the ledger must allow the reversal of this payment."""
        return payment_id not in self.reversed and payment_id not in self.refunded

    def gave_back(self, payment_id: int, view: PaymentView, *, reversal: bool) -> None:
        assert view.amount_fen < 0 and view.original_id == payment_id
        if reversal:
            assert view.amount_fen == -self.received[payment_id], "a reversal takes back the whole payment"
            self.reversed.add(payment_id)
        else:
            self.refunded.add(payment_id)
        self.returned_fen -= view.amount_fen


def _run(engine: Engine, steps: list[Step]) -> Replay:
    replay = Replay()
    sent: list[PaymentRequest] = []
    recorded: list[int] = []
    with session_factory(engine)() as session:
        households = sorted({h for h in session.scalars(select(Enrollment.household_id)) if h is not None})
        enrollment_ids = sorted(session.scalars(select(Enrollment.id)))
    for step in steps:
        try:
            with uow(engine) as work:
                kind = step[0]
                if kind == "notice":
                    notices.issue_notice(work, CLERK, household_id=households[step[1]])
                elif kind == "pay":
                    _, household, channel, tx, amount, to_notice = step
                    request = _payment(work, households[household], channel, tx, amount, to_notice)
                    if request is None:
                        continue
                    sent.append(request)
                    view = payments.record_payment(work, CLERK, request)
                    replay.paid(request, view)
                    recorded.append(view.id)
                elif kind == "again" and sent:
                    request = sent[step[1] % len(sent)]
                    view = payments.record_payment(work, CLERK, request)
                    replay.paid(request, view)
                    recorded.append(view.id)
                elif kind == "reverse" and recorded:
                    payment_id = recorded[step[1] % len(recorded)]
                    allowed = replay.reversing(payment_id)
                    try:
                        view = reversals.reverse_payment(work, FINANCE, payment_id, "冲正")
                    except YibaoError as refusal:
                        assert not allowed and refusal.code == "PAYMENT_NOT_REVERSIBLE", refusal.code
                        raise
                    assert allowed, "a payment reversed twice, or reversed after a refund"
                    replay.gave_back(payment_id, view, reversal=True)
                elif kind == "refund" and recorded:
                    payment_id = recorded[step[1] % len(recorded)]
                    view = reversals.refund_payment(work, FINANCE, payment_id, "退费", step[2])
                    replay.gave_back(payment_id, view, reversal=False)
                elif kind == "cancel":
                    enrollments.cancel_enrollment(work, CLERK, enrollment_ids[step[1]], "注销")
            event(f"{step[0]} done")
        except YibaoError as refusal:
            event(f"{step[0]} refused: {refusal.code}")  # a fine outcome; the invariants must hold either way
    return replay


def _payment(
    work: UnitOfWork, household_id: int, channel: str, tx: int, amount: int, to_notice: bool
) -> PaymentRequest | None:
    paid_at = NOW + timedelta(days=2)
    transaction = None if channel == "counter_cash" else f"{channel}-{tx}"
    if to_notice:
        number = work.session.scalar(
            select(PaymentNotice.number)
            .where(PaymentNotice.household_id == household_id)
            .order_by(PaymentNotice.id.desc())
        )
        if number is None:
            return None
        return PaymentRequest(channel, amount, paid_at, transaction, notice_number=number)
    first = work.session.scalar(select(func.min(Enrollment.id)).where(Enrollment.household_id == household_id))
    return PaymentRequest(channel, amount, paid_at, transaction, enrollment_id=first)


def _check(engine: Engine, replay: Replay) -> None:
    with session_factory(engine)() as session:
        rows = session.scalars(select(Payment)).all()
        allocations = session.scalars(select(PaymentAllocation)).all()
        enrollments_ = session.scalars(select(Enrollment)).all()
    payments_ = [p for p in rows if p.kind == PaymentKind.PAYMENT]
    assert {p.id: p.amount_fen for p in payments_} == replay.received, "the ledger's payments are those answered"
    assert -sum(p.amount_fen for p in rows if p.kind != PaymentKind.PAYMENT) == replay.returned_fen
    applied_by_payment: dict[int, int] = {}
    applied_by_enrollment: dict[int, int] = {}
    for allocation in allocations:
        applied_by_payment[allocation.payment_id] = (
            applied_by_payment.get(allocation.payment_id, 0) + allocation.amount_fen
        )
        applied_by_enrollment[allocation.enrollment_id] = (
            applied_by_enrollment.get(allocation.enrollment_id, 0) + allocation.amount_fen
        )
    applied = sum(applied_by_payment.values())
    for payment in payments_:
        net = payment.amount_fen + sum(p.amount_fen for p in rows if p.original_id == payment.id)
        assert 0 <= applied_by_payment.get(payment.id, 0) <= net, f"payment {payment.id} applied more than it holds"
        if payment.id in replay.reversed:
            assert applied_by_payment.get(payment.id, 0) == 0, "a reversed payment still pays for someone"
    with uow(engine) as work:
        report = collections(work, FINANCE, 2018)
    # Every fen received is applied, awaiting a refund (as finance's report says), or went back out.
    received = sum(replay.received.values())
    assert report.received_fen == received
    assert report.applied_fen == applied
    assert received == applied + report.awaiting_refund_fen + replay.returned_fen
    for enrollment in enrollments_:
        paid = applied_by_enrollment.get(enrollment.id, 0)
        assert paid >= 0
        if enrollment.state == EnrollmentState.CANCELLED:
            assert paid == 0, "a cancelled enrollment keeps no money"
        else:
            assert paid <= (enrollment.individual_due_fen or 0), "paid more than owed"
        if enrollment.state == EnrollmentState.EFFECTIVE:
            assert paid == enrollment.individual_due_fen, "effective without full payment"
    keys = [(p.channel, p.transaction_id) for p in payments_ if p.transaction_id]
    assert len(keys) == len(set(keys)), "one channel transaction recorded twice"
    for line in report.rows:
        mine = [
            p
            for p in rows
            if p.kind == PaymentKind.PAYMENT and (p.township_code, p.channel) == (line.township_code, line.channel)
        ]
        assert line.received_fen == sum(p.amount_fen for p in mine) and line.payments == len(mine)
