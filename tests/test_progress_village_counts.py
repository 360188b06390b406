"""The progress counts kept by village (the breakdown by village, 进度明细) against a count made straight from the
enrollments and their residents, on SQLite and PostgreSQL: enrollments written one by one and in bulk, paid,
cancelled, moved to another township, deleted; residents moving village one by one and in bulk (an UPDATE … FROM,
as a roster does), to no village and back; folded at random moments or not at all."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import cast

import polars as pl
from sqlalchemy import Engine, Table, select

from households import uow
from test_progress import add_enrolled
from test_progress_counts import DAYS, TOWNSHIPS, bulk_enrollments, change_some, moment
from yibao.adapters.db import progress_counts
from yibao.adapters.db.bulk import bulk_update
from yibao.adapters.db.progress_village_counts import read_villages
from yibao.adapters.db.tables import Area, Enrollment, Resident
from yibao.domain import idnumber
from yibao.domain.timeutil import end_of_day
from yibao.services.registry.areas import seed_district

VILLAGES = [f"{township[:9]}{number}" for township in TOWNSHIPS for number in ("901", "902")]
Figures = dict[tuple[str, str], tuple[int, int, int, int, int]]


def live(engine: Engine, on: date, township: str | None = None) -> Figures:
    """(township, village) → registered, assessed, paid, covered as of the end of ``on``, and paid the day before;
    from the tables alone, villages with nothing counted left out."""
    end, before = end_of_day(on), end_of_day(on - timedelta(days=1))
    query = (
        select(Enrollment, Resident.village_code)
        .join(Resident, Resident.id == Enrollment.resident_id)
        .where(Enrollment.insurance_year == 2018)
    )
    figures: dict[tuple[str, str], list[int]] = {}
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    for row in rows:
        if township is not None and row.township_code != township:
            continue

        def alive(at: datetime | None, by: datetime, cancelled: datetime | None = row.cancelled_at) -> bool:
            return at is not None and at <= by and (cancelled is None or cancelled > by)

        covered = row.benefit_start is not None and row.benefit_start <= on
        counts = (
            alive(row.registered_at, end),
            alive(row.assessed_at, end),
            alive(row.effective_at, end),
            alive(row.effective_at, end) and covered,
            alive(row.effective_at, before),
        )
        kept = figures.setdefault((row.township_code, row.village_code or ""), [0] * 5)
        for index, counted in enumerate(counts):
            kept[index] += int(counted)
    return {key: (a, b, c, d, e) for key, (a, b, c, d, e) in figures.items() if any((a, b, c, d, e))}


def kept(engine: Engine, on: date, township: str | None = None) -> Figures:
    with engine.connect() as connection:
        found = read_villages(connection, 2018, "120119", township, on)
    counted = {(row.township_code, row.village_code): tuple(row[2:7]) for row in found.rows}
    assert found.row_count == len(counted)
    assert found.totals == tuple(sum(figures[index] for figures in counted.values()) for index in range(5))
    return counted  # type: ignore[return-value]


def move_villages(engine: Engine, rng: random.Random) -> None:
    """A few residents move village through the ORM (one to none), then a few more in one bulk update."""
    choices: list[str | None] = [*VILLAGES, None]
    with uow(engine, "move") as work:
        residents = list(work.session.scalars(select(Resident).order_by(Resident.id)))
        for resident in rng.sample(residents, min(5, len(residents))):
            resident.village_code = rng.choice(choices)
        work.session.flush()
        moved = rng.sample([r.id for r in residents], min(8, len(residents)))
        bulk_update(
            work.session.connection(),
            cast(Table, Resident.__table__),
            pl.DataFrame(
                {"id": moved, "village_code": [rng.choice(choices) for _ in moved]},
                schema={"id": pl.Int64, "village_code": pl.String},
            ),
        )
        work.commit()


def test_village_counts_match_a_count_from_the_tables(engine: Engine) -> None:
    with uow(engine, "admin") as work:
        seed_district(work, "120119")
        for code in VILLAGES:
            if work.session.get(Area, code) is None:
                work.session.add(Area(code=code, name=f"村{code[-5:]}", level="village", parent_code=code[:9] + "000"))
        work.commit()
    rng = random.Random(2019)
    serial = 0
    for _round in range(5):
        with uow(engine, "clerk") as work:
            for _ in range(12):
                serial += 1
                registered = moment(rng)
                add_enrolled(
                    work,
                    idnumber.make("120119", date(1960, 1, 1) + timedelta(days=serial), 300),
                    rng.choice(TOWNSHIPS),
                    registered,
                    paid=moment(rng, registered) if rng.random() < 0.6 else None,
                    cancelled=moment(rng, registered) if rng.random() < 0.1 else None,
                    village=rng.choice([*VILLAGES, None]),
                )
            work.commit()
        numbers = [idnumber.make("120119", date(1990, 1, 1) + timedelta(days=serial + i), 500) for i in range(8)]
        serial += 8
        bulk_enrollments(engine, rng, numbers)  # residents without a village
        change_some(engine, rng)
        move_villages(engine, rng)
        if rng.random() < 0.5:
            progress_counts.fold(engine, limit=rng.choice([None, 5, 30]))
        for on in DAYS[::3]:
            assert kept(engine, on) == live(engine, on), on
    progress_counts.fold_all(engine)
    for on in DAYS:
        assert kept(engine, on) == live(engine, on), on
        assert kept(engine, on, TOWNSHIPS[1]) == live(engine, on, TOWNSHIPS[1]), on
    assert any(village for _, village in kept(engine, DAYS[-1]))  # villages counted, not only "none"
