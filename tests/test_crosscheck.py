"""Cross-checks on a planted district: every kind of finding found exactly, with no false positives, on DuckDB
(over the Parquet snapshot), on the database itself and on Spark, with identical results; re-runs keep the
follow-up village staff recorded; a reason for non-enrollment takes a person off the unenrolled list."""

from __future__ import annotations

import os
import shutil
import warnings
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from crosscheck_site import YEAR, import_lists, jizhou_district
from households import open_campaign_of
from principals import admin, operator
from yibao.adapters.db.database import session_factory
from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.domain.errors import YibaoError
from yibao.domain.timeutil import SHANGHAI
from yibao.services.crosscheck.reasons import list_reasons, record_reason
from yibao.services.crosscheck.runs import CrosscheckRequest, run_crosscheck
from yibao.services.crosscheck.worklists import finding_counts, list_findings, set_status

RUN_AT = datetime(2018, 3, 1, 10, 0, tzinfo=SHANGHAI)


def at(engine: Engine, now: datetime = RUN_AT, actor: str = "admin") -> UnitOfWork:
    return UnitOfWork(session_factory(engine), actor=actor, now=now)


def spark_available() -> bool:
    """Whether Spark can run here (Java); without it the other engines are still compared, with a warning."""
    if shutil.which("java") or os.environ.get("JAVA_HOME"):
        return True
    if os.environ.get("YIBAO_REQUIRE_SPARK"):
        pytest.fail("YIBAO_REQUIRE_SPARK is set but no Java is installed for Spark")
    warnings.warn("no Java: the Spark engine is not compared here (CI compares it)", stacklevel=2)
    return False


def found(engine: Engine) -> set[tuple[str, str | None, str]]:
    with at(engine) as work:
        rows = list_findings(work, admin(), YEAR, limit=None)
    return {(row.kind, row.code, row.id_number) for row in rows}


@pytest.mark.slow
@pytest.mark.spark
def test_every_planted_finding_is_found_exactly_on_every_engine(engine: Engine, tmp_path: Path) -> None:
    district = jizhou_district(engine)
    import_lists(engine, district)
    expected = district.expected_rows()
    results = {}
    # Spark reads the snapshot files, not the database: compared once, on SQLite's snapshot (a JVM's start and
    # a Spark session cost half a minute; the PostgreSQL run compares the two engines that read the database).
    spark = engine.dialect.name == "sqlite" and spark_available()
    engines = ["duckdb", "database"] + (["spark"] if spark else [])
    for name in engines:
        with at(engine) as work:
            report = run_crosscheck(work, admin(), CrosscheckRequest(engine=name), data_directory=tmp_path)
        assert report.engine == name and report.skipped == []
        results[name] = found(engine)
        assert results[name] == expected, (
            name,
            sorted(expected - results[name])[:5],
            sorted(results[name] - expected)[:5],
        )
        assert sum(report.counts.values()) == len(expected)
    with at(engine) as work:
        suspected = [row for row in list_findings(work, admin(), YEAR, limit=None) if row.code == "same_person"]
    pairs: dict[tuple[str, str], int] = {}
    for row in suspected:  # each suspected person is found with the one who shares name and birth date
        key = (row.name, row.id_number[6:14])
        pairs[key] = pairs.get(key, 0) + 1
        assert "疑似一人多号" in row.evidence
    assert suspected and set(pairs.values()) == {2}
    # The first run opened them all; the later ones found the same and cleared none.
    with at(engine) as work:
        again = run_crosscheck(work, admin(), CrosscheckRequest(), data_directory=tmp_path)
    assert again.new_findings == 0 and again.cleared_findings == 0
    assert again.snapshot_written == []  # nothing changed since the last snapshot: nothing rewritten


def test_reruns_keep_follow_up_and_reasons_clear_the_unenrolled(engine: Engine, tmp_path: Path) -> None:
    district = jizhou_district(engine, people=800, planted=3)
    import_lists(engine, district)
    with at(engine) as work:
        run_crosscheck(work, admin(), CrosscheckRequest(), data_directory=tmp_path)
    with at(engine) as work:
        rows = list_findings(work, admin(), YEAR, kind="unenrolled", limit=None)
    special = district.expected[("special_group_unenrolled", "dibao")]
    first, second = [row for row in rows if row.id_number not in special][:2]  # each found by one rule only
    township = first.township_code
    with at(engine, actor="clerk") as work:
        set_status(work, operator(township), first.id, "contacted", "已电话联系，本周内到村委会办理")
    # Another township's operator cannot even see it.
    other = next(code for code in ("120119100000", "120119106000") if code != township)
    with at(engine) as work, pytest.raises(YibaoError) as refused:
        set_status(work, operator(other), first.id, "enrolled")
    assert refused.value.code == "FINDING_NOT_FOUND"
    with at(engine) as work:
        assert all(row.township_code == township for row in list_findings(work, operator(township), YEAR))
    with at(engine, actor="clerk") as work:
        record_reason(
            work,
            admin(),
            insurance_year=YEAR,
            id_number=second.id_number,  # the bureau sees ID numbers whole
            name=second.name,
            township_code=second.township_code or "120119100000",
            reason="employee_insurance",
        )
    with at(engine) as work:
        run = run_crosscheck(work, admin(), CrosscheckRequest(), data_directory=tmp_path)
    assert run.cleared_findings == 1 and run.new_findings == 0
    with at(engine) as work:
        now = {row.id: row for row in list_findings(work, admin(), YEAR, kind="unenrolled", limit=None)}
        reasons = list_reasons(work, admin(), YEAR)
        counts = finding_counts(work, admin(), YEAR)
    assert now[first.id].status == "contacted" and now[first.id].note == "已电话联系，本周内到村委会办理"
    assert second.id not in now  # a recorded reason takes the person off the worklist
    assert [reason.reason_name for reason in reasons if reason.name == second.name] == ["参加职工医保"]
    assert sum(count.total for count in counts if count.kind == "unenrolled") == len(now)


def test_a_parquet_list_is_checked_like_a_sheet(engine: Engine, tmp_path: Path) -> None:
    import io
    from datetime import date

    import polars as pl

    from yibao.domain import idnumber
    from yibao.services.crosscheck.reference_lists import ReferenceRequest, import_reference_list
    from yibao.services.registry.areas import seed_district

    with at(engine) as work:
        seed_district(work, "120119")
        open_campaign_of(work, "tianjin-jizhou-2018")
    good = idnumber.make("120119", date(1980, 2, 3), 11)
    frame = pl.DataFrame(
        {
            "身份证号": [
                good,
                good[:17] + ("0" if good[17] != "0" else "1"),
                idnumber.make("120119", date(1990, 1, 1), 2),
            ],
            "姓名": ["甲", "乙", "丙"],
            "死亡日期": [date(2017, 12, 1), date(2017, 12, 2), date(2019, 1, 1)],  # the last is after today
        }
    )
    content = io.BytesIO()
    frame.write_parquet(content)
    request = ReferenceRequest("民政死亡名单.parquet", content.getvalue(), "deaths")
    with at(engine) as work:
        report = import_reference_list(work, admin(), request)
    assert (report.rows, report.stored) == (3, 1)
    assert [(problem.row, problem.code) for problem in report.problems] == [
        (3, "ID_NUMBER_CHECK_DIGIT"),
        (4, "DATE_IN_FUTURE"),
    ]
    error_file = report.write_error_file(tmp_path / "民政死亡名单-错误.csv")
    assert "公民身份号码校验码错误" in error_file.read_text("utf-8-sig")
