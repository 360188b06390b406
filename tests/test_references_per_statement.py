"""The references of the tables written in bulk hold on both databases: on SQLite as foreign keys, on PostgreSQL
as one check per statement with the referenced tables refusing deletes and key changes (migration 0027). A row of
the registry or of the money that names a missing row is refused — row by row, by bulk ``COPY``, by an update —
and a row another names cannot be deleted."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

import polars as pl
import psycopg
import pytest
from sqlalchemy import Connection, Engine, Table, delete, insert, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from households import YUYANG, family, uow
from principals import operator
from yibao.adapters.db.bulk import bulk_insert
from yibao.adapters.db.money_tables import Payment, PaymentAllocation, PaymentNotice, Statement, StatementLine
from yibao.adapters.db.tables import Area, Enrollment, Household, HouseholdMember, IdentityFlag, Resident
from yibao.services.registry.areas import seed_district
from yibao.services.registry.households import enroll_household

AT = datetime(2017, 11, 20, 2, tzinfo=UTC)
PAYMENTS, LINES = cast(Table, Payment.__table__), cast(Table, StatementLine.__table__)
CHECKED_PER_STATEMENT = (
    "residents",
    "households",
    "household_members",
    "identity_flags",
    "enrollments",
    "payments",
    "payment_allocations",
    "statement_lines",
)


def _table(model: type) -> Table:
    return cast(Table, model.__table__)  # type: ignore[attr-defined]


def _payment(**values: Any) -> dict[str, Any]:
    return {
        "kind": "payment",
        "channel": "bank",
        "amount_fen": 38000,
        "insurance_year": 2018,
        "township_code": YUYANG,
        "paid_at": AT,
        "recorded_at": AT,
        "actor": "test",
    } | values


def _line(statement_id: int, **values: Any) -> dict[str, Any]:
    return {
        "statement_id": statement_id,
        "row": 2,
        "channel": "bank",
        "transaction_id": "T1",
        "kind": "payment",
        "amount_fen": 38000,
        "paid_at": AT,
        "state": "no_such_notice",
        "township_code": YUYANG,
    } | values


@pytest.fixture
def ledger(engine: Engine) -> tuple[Engine, int, int, int, int]:
    """蓟州区, a family enrolled, a notice, a payment on it and a statement: (engine, an enrollment's id, notice id,
    payment id, statement id)."""
    with uow(engine, "admin") as work:
        seed_district(work, "120119")
        work.commit()
    with uow(engine) as work:
        enrollment = enroll_household(work, operator(YUYANG), family())[0].enrollment_id
    with engine.begin() as connection:
        notice = connection.execute(
            insert(_table(PaymentNotice)).returning(PaymentNotice.id),
            {
                "number": "N1",
                "insurance_year": 2018,
                "township_code": YUYANG,
                "payer_name": "王建国",
                "amount_fen": 38000,
                "due_at": AT,
                "issued_at": AT,
                "actor": "test",
            },
        ).scalar_one()
        payment = connection.execute(
            insert(PAYMENTS).returning(Payment.id), _payment(transaction_id="T0", notice_id=notice)
        ).scalar_one()
        statement = connection.execute(
            insert(_table(Statement)).returning(Statement.id),
            {
                "channel": "bank",
                "district_code": "120119",
                "file_name": "statement.csv",
                "file_sha256": "0" * 64,
                "actor": "test",
                "at": AT,
                "lines": 1,
                "amount_fen": 38000,
                "state_counts": {},
            },
        ).scalar_one()
    return engine, enrollment, notice, payment, statement


def _refused(engine: Engine, write: Any) -> None:
    """``write`` fails as a foreign key fails (a bulk ``COPY`` on PostgreSQL raises the driver's own error)."""
    with engine.connect() as connection, pytest.raises((IntegrityError, psycopg.IntegrityError)):
        write(connection)
        connection.commit()


def test_a_money_row_naming_a_missing_row_is_refused(ledger: tuple[Engine, int, int, int, int]) -> None:
    engine, enrollment, notice, payment, statement = ledger
    missing = 999_999
    refused_writes = [
        lambda c: c.execute(insert(PAYMENTS), _payment(transaction_id="T2", notice_id=missing)),
        lambda c: c.execute(insert(PAYMENTS), _payment(transaction_id="T3", township_code="120119999000")),
        lambda c: c.execute(
            insert(PAYMENTS), _payment(kind="reversal", amount_fen=-38000, transaction_id="T4", original_id=missing)
        ),
        lambda c: c.execute(
            insert(_table(PaymentAllocation)),
            {"payment_id": missing, "enrollment_id": enrollment, "amount_fen": 1, "at": AT, "reason": "payment"},
        ),
        lambda c: c.execute(insert(LINES), _line(missing)),
        lambda c: c.execute(insert(LINES), _line(statement, payment_id=missing)),
        # In bulk (COPY on PostgreSQL): one bad row among good ones refuses the statement.
        lambda c: bulk_insert(
            c,
            LINES,
            pl.DataFrame([_line(statement, row=row, transaction_id=f"B{row}") for row in range(2, 50)]).with_columns(
                payment_id=pl.when(pl.col("row") == 40).then(missing).otherwise(payment)
            ),
        ),
    ]
    for write in refused_writes:
        _refused(engine, write)
    with engine.begin() as connection:
        line = connection.execute(insert(LINES).returning(StatementLine.id), _line(statement)).scalar_one()
        # A reversal naming a payment written in the same statement, and lines naming them, are fine.
        connection.execute(
            insert(PAYMENTS),
            [
                _payment(id=payment + 1, transaction_id="T5", notice_id=notice, original_id=None),
                _payment(
                    id=payment + 2,
                    kind="reversal",
                    amount_fen=-38000,
                    transaction_id="T6",
                    notice_id=notice,
                    original_id=payment + 1,
                ),
            ],
        )
        connection.execute(update(LINES).where(StatementLine.id == line).values(payment_id=payment + 1))
    _refused(engine, lambda c: c.execute(update(LINES).where(StatementLine.id == line).values(payment_id=missing)))
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM payments")).scalar_one() == 3
        assert connection.execute(text("SELECT payment_id FROM statement_lines")).scalar_one() == payment + 1


def test_a_registry_row_naming_a_missing_row_is_refused(ledger: tuple[Engine, int, int, int, int]) -> None:
    engine, enrollment, *_ = ledger
    with engine.connect() as connection:
        resident, household = connection.execute(
            text("SELECT resident_id, household_id FROM enrollments WHERE id = :id"), {"id": enrollment}
        ).one()
    missing = 999_999
    refused_writes = [
        lambda c: c.execute(
            insert(_table(HouseholdMember)), {"household_id": household, "resident_id": missing, "relation": "子女"}
        ),
        lambda c: bulk_insert(  # COPY on PostgreSQL
            c,
            _table(IdentityFlag),
            pl.DataFrame({"resident_id": [resident, missing, resident], "identity": "低保", "source": "名册"}),
        ),
        lambda c: c.execute(update(_table(Enrollment)).where(Enrollment.id == enrollment).values(household_id=missing)),
        lambda c: c.execute(
            update(_table(Resident)).where(Resident.id == resident).values(village_code="120119100999")
        ),
        lambda c: c.execute(update(_table(Household)).where(Household.id == household).values(township_code="1")),
    ]
    for write in refused_writes:
        _refused(engine, write)
    with engine.begin() as connection:  # a change that names rows that are there is written
        connection.execute(update(_table(Enrollment)).where(Enrollment.id == enrollment).values(household_id=household))
        connection.execute(
            insert(_table(IdentityFlag)), {"resident_id": resident, "identity": "低保", "source": "名册"}
        )
    for model, key in ((Resident, resident), (Household, household)):
        column = _table(model).primary_key.columns.values()[0]
        with engine.connect() as connection, pytest.raises((IntegrityError, DBAPIError)):
            connection.execute(delete(_table(model)).where(column == key))
            connection.commit()


def test_a_row_a_payment_names_cannot_be_deleted(ledger: tuple[Engine, int, int, int, int]) -> None:
    engine, _, notice, payment, statement = ledger
    with engine.begin() as connection:
        connection.execute(insert(LINES), _line(statement, payment_id=payment))
    for model, key in ((PaymentNotice, notice), (Payment, payment), (Statement, statement), (Area, YUYANG)):
        column = _table(model).primary_key.columns.values()[0]
        with engine.connect() as connection, pytest.raises((IntegrityError, DBAPIError)):
            connection.execute(delete(_table(model)).where(column == key))
            connection.commit()


def test_postgresql_keeps_the_referenced_rows_outright(ledger: tuple[Engine, int, int, int, int]) -> None:
    """With the checks per statement, a row no money row names yet is kept too: a delete running beside an
    insert that is about to name it could otherwise leave the insert's reference dangling."""
    engine, *_ = ledger
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite keeps the references as foreign keys")
    unnamed = "120119101000"  # a township no payment names
    attempts: list[Any] = [
        lambda c: c.execute(delete(_table(Area)).where(Area.code == unnamed)),
        lambda c: c.execute(update(_table(Area)).where(Area.code == unnamed).values(code="120119101999")),
        lambda c: c.exec_driver_sql("TRUNCATE statements CASCADE"),
    ]
    for attempt in attempts:
        with engine.connect() as connection, pytest.raises(DBAPIError, match="never deleted nor re-keyed"):
            attempt(connection)
    with engine.begin() as connection:  # other columns change as before
        connection.execute(update(_table(Area)).where(Area.code == unnamed).values(name="渔阳镇（新）"))
        constraints = _foreign_keys(connection, CHECKED_PER_STATEMENT)
    assert constraints == ["fk_payment_allocations_enrollment_id_enrollments"]  # enrollments may be deleted


def _foreign_keys(connection: Connection, tables: tuple[str, ...]) -> list[str]:
    return sorted(
        connection.execute(
            text("SELECT conname FROM pg_constraint WHERE contype = 'f' AND conrelid::regclass::text = ANY(:tables)"),
            {"tables": list(tables)},
        ).scalars()
    )
