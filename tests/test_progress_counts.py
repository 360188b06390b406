"""The progress counts the database keeps (triggers on enrollments, a log folded by readers) against a count made
straight from the enrollments, on SQLite and PostgreSQL: through every way an enrollment changes — written one by
one and in bulk (COPY), paid, paid in bulk, cancelled, moved to another township, made a special group, its cover
moved, deleted — folded at random moments or not at all, and with the fold shut out by a busy writer."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, datetime, time, timedelta
from time import monotonic, sleep
from typing import cast

import polars as pl
from pytest import MonkeyPatch
from sqlalchemy import Engine, Table, select
from sqlalchemy.exc import OperationalError

from households import open_campaign_of, uow
from principals import admin
from test_progress import add_enrolled
from yibao.adapters.db import progress_counts
from yibao.adapters.db.bulk import bulk_insert, bulk_update, reserve_ids
from yibao.adapters.db.tables import Enrollment, Resident
from yibao.domain import idnumber
from yibao.domain.timeutil import SHANGHAI, end_of_day
from yibao.services.progress.counts import FOLD_STEP, BackgroundFold, fold_after_write
from yibao.services.progress.report import progress_report
from yibao.services.registry.areas import seed_district

TOWNSHIPS = ["120119100000", "120119101000", "120119106000"]
START = date(2017, 11, 1)
DAYS = [START + timedelta(days=offset) for offset in range(-2, 75, 4)] + [date(2018, 1, 1), date(2018, 2, 1)]


def moment(rng: random.Random, after: datetime | None = None) -> datetime:
    base = after or datetime.combine(START, time(0), tzinfo=SHANGHAI)
    return base + timedelta(days=rng.randrange(0, 30), hours=rng.randrange(24), minutes=rng.randrange(60))


def live(engine: Engine, on: date) -> Counter[tuple[str, str, str]]:
    """(township, category, measure) → enrollments counted as of the end of ``on``, from the enrollments alone."""
    end = end_of_day(on)
    counts: Counter[tuple[str, str, str]] = Counter()
    with engine.connect() as connection:
        rows = connection.execute(select(Enrollment).where(Enrollment.insurance_year == 2018)).all()
    for row in rows:
        if row.cancelled_at is not None and row.cancelled_at <= end:
            continue
        category = (
            "special_groups"
            if (row.assisted_subsidy_fen or 0) > 0
            else "students"
            if row.category == "student"
            else "general"
        )
        moments = {
            "registered": row.registered_at,
            "assessed": row.assessed_at,
            "paid": row.effective_at,
            "covered": row.effective_at if row.benefit_start is not None and row.benefit_start <= on else None,
        }
        for measure, at in moments.items():
            if at is not None and at <= end:
                counts[(row.township_code, category, measure)] += 1
    return counts


def kept(engine: Engine, on: date) -> tuple[Counter[tuple[str, str, str]], progress_counts.KeptCounts]:
    with engine.connect() as connection:
        result = progress_counts.read(
            connection, 2018, "120119", on, on - timedelta(days=1), on - timedelta(days=7), START
        )
    counts: Counter[tuple[str, str, str]] = Counter()
    for row in result.townships:
        if row.on:
            counts[(row.township_code, row.category, row.measure)] = row.on
    return counts, result


def assert_exact(engine: Engine) -> None:
    for on in DAYS:
        counts, result = kept(engine, on)
        assert counts == live(engine, on), on
        before = live(engine, on - timedelta(days=1))
        week = live(engine, on - timedelta(days=7))
        for row in result.townships:
            if row.measure == "paid":
                key = (row.township_code, row.category, "paid")
                assert (row.before, row.week_ago) == (before[key], week[key]), (on, key)
        paid_on = sum(n for (_, _, measure), n in counts.items() if measure == "paid")
        paid_before = sum(n for (_, _, measure), n in before.items() if measure == "paid")
        if on >= START:
            assert paid_on - paid_before == result.paid_by_day.get(on, 0), on


def bulk_enrollments(engine: Engine, rng: random.Random, numbers: list[str]) -> None:
    """Residents through the ORM, then their enrollments in one bulk load (COPY on PostgreSQL)."""
    with uow(engine, "bulk") as work:
        residents = []
        for number in numbers:
            resident = Resident(
                id_number=number, name="批量", sex="female", birth_date=date(1980, 1, 1), township_code=TOWNSHIPS[0]
            )
            work.session.add(resident)
            residents.append(resident)
        work.session.flush()
        connection = work.session.connection()
        table = cast(Table, Enrollment.__table__)
        registered = [moment(rng) for _ in residents]
        frame = pl.DataFrame(
            {
                "resident_id": [resident.id for resident in residents],
                "township_code": [rng.choice(TOWNSHIPS) for _ in residents],
                "category": [rng.choice(["adult", "student"]) for _ in residents],
                "registered_at": registered,
                "effective_at": [moment(rng, at) if rng.random() < 0.5 else None for at in registered],
            }
        ).with_columns(
            pl.col("registered_at", "effective_at").dt.convert_time_zone("UTC"),
            insurance_year=pl.lit(2018),
            insurance_type=pl.lit("390"),
            policy_id=pl.lit("tianjin-jizhou-2018"),
            policy_hash=pl.lit("0" * 64),
            channel=pl.lit("school"),
            state=pl.lit("assessed"),
            assisted_subsidy_fen=pl.lit(0),
            benefit_start=pl.lit(date(2018, 1, 1)),
            assisted_by_payer_fen=pl.lit("{}"),
            rules=pl.lit("[]"),
            assumptions=pl.lit("[]"),
        )
        bulk_insert(connection, table, frame.with_columns(reserve_ids(connection, table, frame.height)))
        work.commit()


def change_some(engine: Engine, rng: random.Random) -> None:
    """Pay, cancel, move, re-categorise, re-date or delete a few enrollments through the ORM, and pay a batch in
    one bulk update (as reconciliation does)."""
    with uow(engine, "change") as work:
        enrollments = list(work.session.scalars(select(Enrollment).order_by(Enrollment.id)))
        for enrollment in rng.sample(enrollments, min(12, len(enrollments))):
            action = rng.choice(["pay", "cancel", "move", "assist", "cover", "delete", "unpay"])
            if action == "pay" and enrollment.effective_at is None:
                enrollment.effective_at = moment(rng, enrollment.registered_at)
            elif action == "unpay":
                enrollment.effective_at = None
            elif action == "cancel" and enrollment.cancelled_at is None:
                enrollment.cancelled_at = moment(rng, enrollment.registered_at - timedelta(days=3))
                enrollment.state = "cancelled"
            elif action == "move":
                enrollment.township_code = rng.choice(TOWNSHIPS)
            elif action == "assist":
                enrollment.assisted_subsidy_fen = rng.choice([0, 18000])
            elif action == "cover":
                enrollment.benefit_start = rng.choice([date(2018, 1, 1), date(2017, 12, 1), None])
            elif action == "delete":
                work.session.delete(enrollment)
        work.session.flush()
        unpaid = [e.id for e in enrollments if e.effective_at is None and e in work.session][:8]
        paid_at = [moment(rng) for _ in unpaid]
        bulk_update(
            work.session.connection(),
            cast(Table, Enrollment.__table__),
            pl.DataFrame(
                {"id": unpaid, "effective_at": paid_at},
                schema={"id": pl.Int64, "effective_at": pl.Datetime("us", "UTC")},
            ),
        )
        work.commit()


def test_kept_counts_match_a_count_from_the_enrollments(engine: Engine) -> None:
    with uow(engine, "admin") as work:
        seed_district(work, "120119")
        work.commit()
    rng = random.Random(2018)
    serial = 0
    folded = 0
    for _round in range(6):
        with uow(engine, "clerk") as work:
            for _ in range(15):
                serial += 1
                registered = moment(rng)
                paid = moment(rng, registered) if rng.random() < 0.6 else None
                cancelled = moment(rng, registered - timedelta(days=2)) if rng.random() < 0.15 else None
                add_enrolled(
                    work,
                    idnumber.make("120119", date(1960, 1, 1) + timedelta(days=serial), 300),
                    rng.choice(TOWNSHIPS),
                    registered,
                    paid=paid,
                    cancelled=cancelled,
                    category=rng.choice(["adult", "student"]),
                    assisted=rng.choice([0, 0, 18000]),
                )
            work.commit()
        numbers = [idnumber.make("120119", date(1990, 1, 1) + timedelta(days=serial + i), 500) for i in range(10)]
        serial += 10
        bulk_enrollments(engine, rng, numbers)
        change_some(engine, rng)
        if rng.random() < 0.5:  # the whole log, or a bounded part as a request folds it
            folded += progress_counts.fold(engine, limit=rng.choice([None, None, 1, 7, 40]))
        assert_exact(engine)
    assert folded > 0
    progress_counts.fold(engine)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM progress_changes").scalar_one() == 0
    assert_exact(engine)


def test_a_busy_writer_does_not_hold_the_report(engine: Engine) -> None:
    """On SQLite the fold gives up at once while another writer holds the database; the report still counts the
    changes not folded. On PostgreSQL a fold under way makes a second one skip."""
    with uow(engine, "admin") as work:
        seed_district(work, "120119")
        add_enrolled(work, idnumber.make("120119", date(1970, 1, 1), 12), TOWNSHIPS[0], moment(random.Random(1)))
        work.commit()
    with engine.connect() as holder:
        if engine.dialect.name == "postgresql":
            holder.exec_driver_sql(f"SELECT pg_advisory_xact_lock({progress_counts.FOLD_LOCK})")
        else:
            holder.exec_driver_sql("BEGIN IMMEDIATE")
        started = monotonic()
        assert progress_counts.fold(engine) == 0
        assert monotonic() - started < 2
        counts, _ = kept(engine, date(2018, 2, 1))
        assert counts == live(engine, date(2018, 2, 1)) and sum(counts.values()) == 2  # registered, assessed
        holder.rollback()
    assert progress_counts.fold(engine) == 1


def _logged(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.exec_driver_sql("SELECT count(*) FROM progress_changes").scalar_one())


def _enroll_some(engine: Engine, count: int, first: int = 0, all_paid: bool = False) -> None:
    """``count`` people enrolled from the serial ``first`` (the district seeded with the first ones); every other
    one paid, or all of them."""
    rng = random.Random(first or count)
    with uow(engine, "admin") as work:
        if first == 0:
            seed_district(work, "120119")
        for serial in range(first, first + count):
            registered = moment(rng)
            paid = moment(rng, registered) if serial % 2 else None
            add_enrolled(
                work,
                idnumber.make("120119", date(1970, 1, 1) + timedelta(days=serial), 12),
                rng.choice(TOWNSHIPS),
                registered,
                paid=registered + timedelta(hours=1) if all_paid else paid,
            )
        work.commit()


def test_a_request_folds_a_bounded_part_and_a_whole_fold_goes_by_chunks(engine: Engine) -> None:
    """A request folds at most its bound (the rest it adds as it reads); a whole fold (after an import, in the
    server's background) takes the log a chunk per transaction, to the end."""
    _enroll_some(engine, 12)
    logged = _logged(engine)
    assert logged >= 12
    assert progress_counts.fold(engine, limit=5) == 5
    assert _logged(engine) == logged - 5
    assert_exact(engine)
    assert progress_counts.fold_all(engine, chunk=3) == logged - 5
    assert _logged(engine) == 0
    assert_exact(engine)


def _report_counts(engine: Engine, on: date) -> tuple[int, int]:
    """Registered and paid as of ``on``, from the enrollments alone."""
    counted = live(engine, on)
    registered, paid = (sum(n for (_, _, m), n in counted.items() if m == wanted) for wanted in ("registered", "paid"))
    return registered, paid


def test_a_report_folds_a_short_log_and_reads_a_long_one_as_of_the_last_fold(
    engine: Engine, monkeypatch: MonkeyPatch
) -> None:
    """A page folds a log no longer than its bound and counts it all. A longer one (a load just committed) it
    leaves to the server's fold: the counts are as of the last fold, and the report says how many changes it
    leaves out. A bulletin (exact) counts every change whatever the log's length."""
    monkeypatch.setattr(progress_counts, "REQUEST_FOLD", 3)
    _enroll_some(engine, 3)
    with uow(engine, "admin") as work:
        open_campaign_of(work, "tianjin-jizhou-2018")
        work.commit()
    progress_counts.fold_all(engine)
    on = date(2017, 12, 31)
    before = _report_counts(engine, on)
    _enroll_some(engine, 6, first=100, all_paid=True)
    logged = _logged(engine)
    assert logged > 3
    with engine.connect() as connection:
        assert progress_counts.uncounted(connection, cap=3) == logged  # an estimate above the cap, here exact
        assert progress_counts.uncounted(connection, cap=logged) == logged
    with uow(engine, "admin") as work:
        page = progress_report(work, admin(), on)
    assert (page.registered, page.paid) == before and page.uncounted_changes == logged
    assert _logged(engine) == logged  # left to the server's fold
    with uow(engine, "admin") as work:
        printout = progress_report(work, admin(), on, exact=True)
    now = _report_counts(engine, on)
    assert (printout.registered, printout.paid) == now != before and printout.uncounted_changes == 0
    progress_counts.fold(engine, limit=logged - 2)  # the oldest first: two changes left, under the bound
    with uow(engine, "admin") as work:
        page = progress_report(work, admin(), on)
    assert (page.registered, page.paid) == now and page.uncounted_changes == 0
    assert _logged(engine) == 0  # the request folded the short log


def test_the_server_folds_in_the_background(engine: Engine) -> None:
    _enroll_some(engine, 8)
    folder = BackgroundFold(engine, interval=0.05)
    folder.start()
    try:
        deadline = monotonic() + 20
        while _logged(engine) and monotonic() < deadline:
            sleep(0.05)
    finally:
        folder.stop()
    assert _logged(engine) == 0
    assert_exact(engine)


def test_a_failed_fold_after_an_import_leaves_the_import_done(engine: Engine, monkeypatch: MonkeyPatch) -> None:
    """The fold an import job runs last is a courtesy to the next report: if it fails, the job still succeeds
    (its write is committed) and the report counts the log itself."""
    with uow(engine, "admin") as work:
        seed_district(work, "120119")
        add_enrolled(work, idnumber.make("120119", date(1970, 1, 1), 14), TOWNSHIPS[0], moment(random.Random(2)))
        work.commit()

    def broken(_engine: Engine, chunk: int = 0) -> int:
        raise OperationalError("fold", {}, Exception("server closed the connection"))

    steps: list[tuple[str, int, int]] = []
    monkeypatch.setattr(progress_counts, "fold_all", broken)
    with uow(engine, "admin") as work:
        assert fold_after_write(work, lambda *step: steps.append(step)) == 0
    assert steps == [(FOLD_STEP, 0, 1), (FOLD_STEP, 1, 1)]
    counts, _ = kept(engine, date(2018, 2, 1))
    assert counts == live(engine, date(2018, 2, 1)) and sum(counts.values()) == 2


def test_a_day_boundary_in_shanghai(engine: Engine) -> None:
    """A payment at 23:59 Shanghai counts on that day, one at 00:00 on the next (stored in UTC: 15:59 and 16:00)."""
    with uow(engine, "admin") as work:
        seed_district(work, "120119")
        registered = datetime(2017, 11, 5, 23, 59, tzinfo=SHANGHAI)
        add_enrolled(work, idnumber.make("120119", date(1970, 1, 1), 21), TOWNSHIPS[0], registered)
        add_enrolled(
            work, idnumber.make("120119", date(1970, 1, 2), 21), TOWNSHIPS[0], registered + timedelta(minutes=1)
        )
        work.commit()
    on = date(2017, 11, 5)
    counts, _ = kept(engine, on)
    assert counts[(TOWNSHIPS[0], "general", "registered")] == 1
    counts, _ = kept(engine, on + timedelta(days=1))
    assert counts[(TOWNSHIPS[0], "general", "registered")] == 2
