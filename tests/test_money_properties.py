"""Property: over any sequence of notices, payments, duplicate deliveries, reversals, refunds and cancellations,

* every fen received is either applied to an enrollment or awaiting a refund (or was refunded or reversed);
* no enrollment is ``effective`` without full payment, and none is paid more than it owes;
* the collection totals per township equal the sums of their ledger lines.

Each example runs on a copy of one prepared SQLite database (three households of the 2018 Jizhou campaign).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select

from db_fixtures import sqlite_engine
from households import NOW, YUYANG, family, uow
from principals import of_role, operator
from yibao.adapters.db import migrate
from yibao.adapters.db.database import make_engine, session_factory
from yibao.adapters.db.tables import Enrollment, Payment, PaymentAllocation, PaymentNotice
from yibao.domain import idnumber
from yibao.domain.errors import YibaoError
from yibao.services.access import Role
from yibao.services.money import notices, payments, reversals
from yibao.services.money.collections import collections
from yibao.services.money.payments import PaymentRequest
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


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("money")
    engine = sqlite_engine(folder)
    migrate.upgrade(engine)
    with uow(engine, "admin") as work:
        seed_district(work, "120119")
    for number in range(HOUSEHOLDS):
        members = tuple(
            Member(idnumber.make("120119", birth, 100 + 10 * number + index), name, relation, identities=identities)
            for index, (birth, name, relation, identities) in enumerate(PEOPLE)
        )
        with uow(engine) as work:
            enroll_household(work, CLERK, family(members=members))
    engine.dispose()
    yield folder / "yibao.sqlite"


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
def test_money_is_never_lost_or_counted_twice(prepared: Path, tmp_path: Path, steps: list[tuple]) -> None:  # type: ignore[type-arg]
    copy = tmp_path / f"run-{abs(hash(tuple(steps)))}.sqlite"
    shutil.copy(prepared, copy)
    engine = make_engine(f"sqlite:///{copy}")
    try:
        _run(engine, steps)
        _check(engine)
    finally:
        engine.dispose()
        copy.unlink()


def _run(engine: Engine, steps: list[tuple]) -> None:  # type: ignore[type-arg]
    sent: list[PaymentRequest] = []
    recorded: list[int] = []
    with session_factory(engine)() as session:
        households = sorted(set(session.scalars(select(Enrollment.household_id))))
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
                    recorded.append(payments.record_payment(work, CLERK, request).id)
                elif kind == "again" and sent:
                    recorded.append(payments.record_payment(work, CLERK, sent[step[1] % len(sent)]).id)
                elif kind == "reverse" and recorded:
                    reversals.reverse_payment(work, FINANCE, recorded[step[1] % len(recorded)], "冲正")
                elif kind == "refund" and recorded:
                    reversals.refund_payment(work, FINANCE, recorded[step[1] % len(recorded)], "退费", step[2])
                elif kind == "cancel":
                    enrollments.cancel_enrollment(work, CLERK, enrollment_ids[step[1]], "注销")
            event(f"{step[0]} done")
        except YibaoError as refusal:
            event(f"{step[0]} refused: {refusal.code}")  # a fine outcome; the invariants must hold either way


def _payment(work, household_id: int, channel: str, tx: int, amount: int, to_notice: bool) -> PaymentRequest | None:  # type: ignore[no-untyped-def]
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


def _check(engine: Engine) -> None:
    with session_factory(engine)() as session:
        rows = session.scalars(select(Payment)).all()
        allocations = session.scalars(select(PaymentAllocation)).all()
        enrollments_ = session.scalars(select(Enrollment)).all()
    received = sum(p.amount_fen for p in rows if p.kind == "payment")
    returned = -sum(p.amount_fen for p in rows if p.kind != "payment")
    applied_by_payment: dict[int, int] = {}
    applied_by_enrollment: dict[int, int] = {}
    for allocation in allocations:
        applied_by_payment[allocation.payment_id] = (
            applied_by_payment.get(allocation.payment_id, 0) + allocation.amount_fen
        )
        applied_by_enrollment[allocation.enrollment_id] = (
            applied_by_enrollment.get(allocation.enrollment_id, 0) + allocation.amount_fen
        )
    awaiting = 0
    for payment in (p for p in rows if p.kind == "payment"):
        net = payment.amount_fen + sum(p.amount_fen for p in rows if p.original_id == payment.id)
        left = net - applied_by_payment.get(payment.id, 0)
        assert left >= 0, f"payment {payment.id} applied more than it holds"
        assert applied_by_payment.get(payment.id, 0) >= 0
        awaiting += left
    # Every fen received is applied, awaiting a refund, or went back out (reversal, refund).
    assert received == sum(applied_by_payment.values()) + awaiting + returned
    for enrollment in enrollments_:
        paid = applied_by_enrollment.get(enrollment.id, 0)
        assert paid >= 0
        if enrollment.state == "cancelled":
            assert paid == 0, "a cancelled enrollment keeps no money"
        else:
            assert paid <= (enrollment.individual_due_fen or 0), "paid more than owed"
        if enrollment.state == "effective":
            assert paid == enrollment.individual_due_fen, "effective without full payment"
    keys = [(p.channel, p.transaction_id) for p in rows if p.kind == "payment" and p.transaction_id]
    assert len(keys) == len(set(keys)), "one channel transaction recorded twice"
    with uow(engine) as work:
        report = collections(work, FINANCE, 2018)
    assert report.received_fen == received
    assert report.awaiting_refund_fen == awaiting
    assert report.applied_fen == sum(applied_by_payment.values())
    for line in report.rows:
        mine = [
            p
            for p in rows
            if p.kind == "payment" and (p.township_code, p.channel) == (line.township_code, line.channel)
        ]
        assert line.received_fen == sum(p.amount_fen for p in mine) and line.payments == len(mine)
