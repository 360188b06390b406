"""Reconciliation on SQLite and PostgreSQL: a bank statement checked whole, every line given its state (matched,
already recorded, amount differs, no such notice, duplicate line, reversal, refused), the same file twice
changing nothing, a bank's own layout, the worklist resolved by assigning and rejecting lines, and the report."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from db_fixtures import migrated_engine
from households import NOW, YUYANG, family, numbered, uow
from principals import of_role, operator
from yibao.adapters.db.database import session_factory
from yibao.adapters.db.tables import Enrollment, Payment, PaymentAllocation, StatementLine
from yibao.domain import idnumber
from yibao.domain.errors import YibaoError
from yibao.services.access import Role
from yibao.services.money import collections, notices, payments, statement_worklist
from yibao.services.money.payments import PaymentRequest
from yibao.services.money.reconciliation import StatementReport, StatementRequest, import_statement
from yibao.services.money.views import NoticeView
from yibao.services.registry.areas import seed_district
from yibao.services.registry.households import Member, enroll_household

CLERK = operator(YUYANG)
FINANCE = of_role(Role.FINANCE)
HEADER = "交易流水号,金额,交易时间,通知单号,缴费人,交易类型,原交易流水号\n"


@pytest.fixture
def billed(engine: Engine) -> list[NoticeView]:
    return bill(engine)


def bill(engine: Engine) -> list[NoticeView]:
    """Four households of 渔阳镇, each with a notice."""
    with uow(engine, "admin") as work:
        seed_district(work, "120119")
    views = []
    for number in range(4):
        members = (
            Member(
                idnumber.make("120119", date(1975, 3, 4), 100 + number), numbered("户主", number), "户主", tier="middle"
            ),
            Member(
                idnumber.make("120119", date(2006, 9, 1), 200 + number),
                numbered("学生", number),
                "子女",
                category="student",
            ),
        )
        with uow(engine) as work:
            household = enroll_household(work, CLERK, family(members=members))[0].household_id
        with uow(engine) as work:
            views.append(notices.issue_notice(work, CLERK, household_id=household))
    return views


def statement(engine: Engine, text: str, name: str = "icbc-1026.csv", **options: Any) -> StatementReport:
    request = StatementRequest("bank", name, text.encode("utf-8"), **options)
    with uow(engine, "finance") as work:
        return import_statement(work, FINANCE, request)


def count(engine: Engine, table: type) -> int:
    with session_factory(engine)() as session:
        return session.scalar(select(func.count()).select_from(table)) or 0


def states(engine: Engine) -> list[tuple[str, str]]:
    with session_factory(engine)() as session:
        rows = session.execute(select(StatementLine.transaction_id, StatementLine.state).order_by(StatementLine.row))
        return [(row.transaction_id, row.state) for row in rows]


def test_every_line_gets_its_state_and_a_replay_changes_nothing(engine: Engine, billed: list[NoticeView]) -> None:
    first, second, third, fourth = billed
    with uow(engine) as work:  # an app told us about B4 before the bank did; B5 with another amount
        payments.record_payment(work, CLERK, PaymentRequest("bank", 60000, NOW, "B4", notice_number=second.number))
    with uow(engine) as work:
        payments.record_payment(work, CLERK, PaymentRequest("bank", 10000, NOW, "B5", notice_number=fourth.number))
    late = "2018-01-05 09:00:00"
    text = HEADER + "\n".join(
        [
            f"B1,{first.amount_fen / 100:.2f},2017-10-26 10:00:00,{first.number},户主0,收款,",
            f"B1,{first.amount_fen / 100:.2f},2017-10-26 10:00:00,{first.number},户主0,收款,",
            "B2,50.00,2017-10-26 10:01:00,20189990000001,陌生人,收款,",
            "B3,600.00,2017-10-26 10:02:00,,户主2,收款,",
            "B4,600.00,2017-10-26 10:03:00,,户主1,收款,",
            "B5,200.00,2017-10-26 10:04:00,,户主3,收款,",
            "R1,-600.00,2017-10-26 11:00:00,,户主1,冲正,B4",
            f"B6,600.00,{late},{third.number},户主2,收款,",
        ]
    )
    report = statement(engine, text)
    assert report.statement_id and not report.problems
    assert states(engine) == [
        ("B1", "matched"),
        ("B1", "duplicate_line"),
        ("B2", "no_such_notice"),
        ("B3", "no_such_notice"),
        ("B4", "already_recorded"),
        ("B5", "amount_differs"),
        ("R1", "reversal"),
        ("B6", "refused"),  # 蓟州 2018 takes nothing after 31 December
    ]
    with session_factory(engine)() as session:
        owed = {
            row.household_id: row.state
            for row in session.execute(
                select(Enrollment.household_id, Enrollment.state).where(Enrollment.individual_due_fen > 0)
            )
        }
    assert owed[first.household_id] == "effective"  # paid by the bank line
    assert owed[second.household_id] == "notified"  # paid by the app, then reversed by the bank
    assert owed[third.household_id] == "notified"  # refused: late
    payments_before = count(engine, Payment)
    again = statement(engine, text)
    assert again.replayed and again.statement_id == report.statement_id
    assert count(engine, Payment) == payments_before and count(engine, StatementLine) == 8

    with uow(engine, "finance") as work:
        worklist = statement_worklist.open_lines(work, FINANCE)
    assert sorted(line.transaction_id for line in worklist) == ["B2", "B3", "B5", "B6"]
    b3 = next(line for line in worklist if line.transaction_id == "B3")
    with uow(engine, "finance") as work:
        assigned = statement_worklist.assign_line(work, FINANCE, b3.id, third.number)
    assert assigned.state == "assigned" and assigned.payment_id
    with uow(engine, "finance") as work:
        statement_worklist.reject_line(
            work, FINANCE, next(line.id for line in worklist if line.transaction_id == "B2"), "非本区款项"
        )
    with uow(engine, "finance") as work, pytest.raises(YibaoError) as closed:
        statement_worklist.reject_line(work, FINANCE, b3.id, "again")
    assert closed.value.code == "LINE_NOT_OPEN"
    with uow(engine, "finance") as work:
        left = statement_worklist.open_lines(work, FINANCE)
        report_view = statement_worklist.reconciliation_report(work, FINANCE, report.statement_id)
    assert sorted(line.transaction_id for line in left) == ["B5", "B6"]
    yuyang = next(t for t in report_view.townships if t.township_code == YUYANG)
    assert yuyang.settled_fen == first.amount_fen + 60000 + 60000  # B1, B4, B3 (assigned)
    assert yuyang.people_paid == 6
    assert {d.transaction_id for d in report_view.differences} == {"B1", "B2", "B5", "B6"}  # B1: its duplicate line
    assert [u.transaction_id for u in report_view.unstated] == []


def test_a_statement_with_bad_lines_is_refused_whole(engine: Engine, billed: list[NoticeView]) -> None:
    text = HEADER + f"X1,abc,2017-10-26 10:00:00,{billed[0].number},,,\n,600,2017-10-26,,,,\nX3,600,someday,,,,\n"
    report = statement(engine, text)
    assert report.statement_id is None
    assert {(p.row, p.code) for p in report.problems} == {
        (2, "YUAN_INVALID"),
        (3, "TRANSACTION_ID_MISSING"),
        (4, "DATE_INVALID"),
    }
    assert count(engine, Payment) == 0 and count(engine, StatementLine) == 0


def test_a_banks_own_layout_and_a_recorded_payment_missing_from_the_statement(
    engine: Engine, billed: list[NoticeView]
) -> None:
    first, second = billed[0], billed[1]
    with uow(engine) as work:  # the counter says it took cash by bank card; the bank never shows it
        payments.record_payment(
            work, CLERK, PaymentRequest("bank", 60000, NOW + timedelta(days=1), "C9", notice_number=second.number)
        )
    text = "中国工商银行 对账单 2017-10-26\nSerial,Amt,Time,Ref\n"
    text += f"C1,{first.amount_fen / 100:.2f},2017-10-26 09:00:00,缴费{first.number}\nC2,10.00,2017-10-26 12:00:00,\n"
    layout = {"Serial": "transaction_id", "Amt": "amount", "Time": "paid_at", "Ref": "notice_number"}
    report = statement(engine, text, layout=layout)
    assert report.state_counts == {"matched": 1, "no_such_notice": 1}
    with uow(engine, "finance") as work:
        assert report.statement_id is not None
        view = statement_worklist.reconciliation_report(work, FINANCE, report.statement_id)
    assert [u.transaction_id for u in view.unstated] == ["C9"]
    with pytest.raises(YibaoError) as unknown:
        statement(engine, text, name="other.csv", layout={"Serial": "serial_number"})
    assert unknown.value.code == "STATEMENT_LAYOUT_UNKNOWN"


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_statement_applies_money_as_payments_one_by_one_would(kind: str, tmp_path: Path) -> None:
    """The set-wise path and the one-at-a-time path end in the same ledger: same people covered, same amounts
    applied to each, same excess per transaction (several lines on one notice, under- and overpayments)."""
    outcomes = []
    for way in ("statement", "one_by_one"):
        (tmp_path / way).mkdir()
        with contextmanager(migrated_engine)(kind, tmp_path / way) as engine:
            outcomes.append(_ledger_after(way, engine))
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][2] == {"P4": 10000, "P5": 12345}


def _ledger_after(way: str, engine: Engine) -> tuple[object, ...]:
    """The ledger after the same lines, taken ``way``: people, amounts applied, excess per transaction."""
    first, second, third, fourth = bill(engine)
    lines = [
        ("P1", first.amount_fen, "2017-10-26 10:00:00", first.number),
        ("P2", 30000, "2017-10-26 10:00:00", second.number),  # part of the head's share
        ("P3", 50000, "2017-10-26 09:00:00", third.number),
        ("P4", 20000, "2017-10-26 11:00:00", third.number),  # completes it, 100 yuan over
        ("P5", fourth.amount_fen + 12345, "2017-10-26 12:00:00", fourth.number),
    ]
    if way == "statement":
        text = HEADER + "\n".join(f"{tx},{fen / 100:.2f},{at},{number},,收款," for tx, fen, at, number in lines)
        assert statement(engine, text).state_counts == {"matched": 5}
    else:
        from yibao.domain.timeutil import parse_instant

        for tx, fen, at, number in sorted(lines, key=lambda line: line[2]):
            with uow(engine) as work:
                payments.record_payment(
                    work,
                    CLERK,
                    PaymentRequest("bank", fen, parse_instant(at.replace(" ", "T")), tx, notice_number=number),
                )
    with session_factory(engine)() as session:
        people = sorted(
            session.execute(
                select(Enrollment.id, Enrollment.state, Enrollment.benefit_start, Enrollment.individual_due_fen)
            ).all()
        )
        applied = sorted(
            session.execute(
                select(PaymentAllocation.enrollment_id, func.sum(PaymentAllocation.amount_fen)).group_by(
                    PaymentAllocation.enrollment_id
                )
            ).all()
        )
    with uow(engine) as work:
        excess = {view.transaction_id: view.unapplied_fen for view in collections.refunds_to_issue(work, FINANCE)}
    return people, applied, excess


def test_a_statement_with_no_new_payment_still_reaches_the_worklist(engine: Engine, billed: list[NoticeView]) -> None:
    """Once a job error (`cannot concat empty list`): a statement none of whose lines records a new payment — every
    line names no notice — failed, and its unmatched lines never reached finance's worklist."""
    text = HEADER + "\n".join(
        [
            "X1,50.00,2017-10-26 10:01:00,20189990000001,陌生人,收款,",
            "X2,80.00,2017-10-26 10:02:00,,某人,收款,",
        ]
    )
    report = statement(engine, text)
    assert report.statement_id and not report.problems
    assert states(engine) == [("X1", "no_such_notice"), ("X2", "no_such_notice")]
    with uow(engine, "finance") as work:
        assert sorted(line.transaction_id for line in statement_worklist.open_lines(work, FINANCE)) == ["X1", "X2"]
