"""Roster import on SQLite and PostgreSQL: a 5,000-row village roster with 300 planted errors of 12 kinds reports
exactly those, in one pass; the corrected error file imports cleanly; the same file again changes nothing; a dry
run writes nothing; CSV in GBK with a title line and clerks' own headers reads the same."""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from sqlalchemy import Engine, func, select

from db_fixtures import migrated_engine
from households import BIESHAN, YUYANG, uow
from principals import admin, operator
from yibao.adapters.db.database import session_factory
from yibao.adapters.db.tables import AuditEntry, Enrollment, Household, IdentityFlag, Resident, RosterImport
from yibao.adapters.sheet_files import ERROR_COLUMN
from yibao.domain.errors import YibaoError
from yibao.services.intake.roster_import import import_roster
from yibao.services.intake.roster_report import RosterReport, RosterRequest
from yibao.services.registry.areas import seed_district
from yibao.services.registry.households import HouseholdEnrollment, Member, enroll_household
from yibao.services.registry.residents import ResidentRegistration, register_resident
from yibao.synthetic.rosters import Roster, roster

POLICY = "tianjin-jizhou-2018"


@pytest.fixture(params=["sqlite", "postgresql"])
def district(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    for engine in migrated_engine(request.param, tmp_path):
        with uow(engine, "setup") as work:
            seed_district(work, "120119")
        yield engine
        engine.dispose()


def xlsx(path: Path, headers: list[str], rows: list[list[str]]) -> bytes:
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet()
    sheet.write_row(0, 0, headers)
    for index, row in enumerate(rows, start=1):
        for column, value in enumerate(row):
            if value:
                sheet.write_string(index, column, value)
    workbook.close()
    return path.read_bytes()


def run(engine: Engine, name: str, content: bytes, *, dry_run: bool = False, township: str = YUYANG) -> RosterReport:
    with uow(engine) as work:
        return import_roster(work, operator(township), RosterRequest(name, content, township, POLICY, dry_run=dry_run))


def count(engine: Engine, table: type) -> int:
    with session_factory(engine)() as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


def prepare(engine: Engine, planted: Roster) -> None:
    """People the planted database errors need: enrolled in 别山镇, or registered under another name."""
    with uow(engine, "clerk-bieshan") as work:
        for number, name in planted.enrolled_elsewhere:
            request = HouseholdEnrollment(POLICY, BIESHAN, "village", work.now, (Member(number, name, "户主"),))
            enroll_household(work, operator(BIESHAN), request)
    with uow(engine) as work:
        for number, name in planted.registered_names:
            register_resident(work, admin(), ResidentRegistration(number, name, YUYANG))


def test_a_roster_with_planted_errors_fixed_and_imported_again(district: Engine, tmp_path: Path) -> None:
    planted = roster(1500, plant=300)
    assert 4800 <= len(planted.rows) <= 5200 and len(set(planted.planted.values())) == 12
    prepare(district, planted)
    enrollments_before = count(district, Enrollment)

    first = run(district, "渔阳镇名册.xlsx", xlsx(tmp_path / "roster.xlsx", planted.headers, planted.rows))
    found = {problem.row: problem.code for problem in first.problems}
    assert found == planted.planted  # every planted error, with its code, and nothing else
    assert len(first.problems) == 300 and first.errors == 300
    assert first.created == len(planted.rows) - 300 and first.updated == first.unchanged == 0
    assert first.error_counts == dict(Counter(planted.planted.values()))
    assert count(district, Enrollment) == enrollments_before + first.created
    by_row = {problem.row: problem for problem in first.problems}
    duplicate = next(row for row, code in planted.planted.items() if code == "DUPLICATE_IN_FILE")
    assert (
        by_row[duplicate].message == f"公民身份号码与第{duplicate - 1}行重复"
        and by_row[duplicate].header == "公民身份号码"
    )
    elsewhere = next(row for row, code in planted.planted.items() if code == "ENROLLED_ELSEWHERE")
    assert "别山镇" not in by_row[elsewhere].message  # the other township's person: enrolled, and nothing more

    # The error file: the sheet again, the faulty cells marked, every problem in the error column.
    error_file = first.write_error_file(tmp_path / "roster-错误.xlsx")
    sheet = openpyxl.load_workbook(error_file).active
    assert sheet is not None
    headers = [cell.value for cell in sheet[1]]
    assert headers == [*planted.headers, ERROR_COLUMN]
    phone_row = next(row for row, code in planted.planted.items() if code == "PHONE_INVALID")
    phone_cell = sheet.cell(row=phone_row, column=headers.index("联系电话") + 1)
    assert phone_cell.value == "12345" and phone_cell.fill.fgColor.rgb.endswith("FDE2E1")
    assert "联系电话“12345”格式不正确" in str(sheet.cell(row=phone_row, column=len(headers)).value)
    assert sheet.cell(row=2, column=len(headers)).value is None  # a good row carries no error

    # The clerk corrects the file: the planted rows as they should have been; the people enrolled elsewhere
    # taken out; the names on record used. The rows imported before are now unchanged.
    registered = dict(planted.registered_names)
    skipped = {number for number, _ in planted.enrolled_elsewhere}
    corrected = []
    for row in planted.clean:
        if row[4] in skipped:
            continue
        corrected.append([*row[:2], registered.get(row[4], row[2]), *row[3:]])
    fixed = run(district, "渔阳镇名册-改.xlsx", xlsx(tmp_path / "fixed.xlsx", planted.headers, corrected))
    assert fixed.problems == [] and fixed.errors == 0
    assert fixed.unchanged == first.created
    assert fixed.created == len(corrected) - first.created and fixed.updated == 0

    # The same file again: nothing created, nothing changed, nothing counted twice.
    counts = {table: count(district, table) for table in (Resident, Household, Enrollment, IdentityFlag)}
    again = run(district, "渔阳镇名册-改.xlsx", (tmp_path / "fixed.xlsx").read_bytes())
    assert (again.created, again.updated, again.errors, again.unchanged) == (0, 0, 0, len(corrected))
    assert {table: count(district, table) for table in counts} == counts
    assert count(district, RosterImport) == 3


def test_a_dry_run_reports_the_same_and_writes_nothing(district: Engine, tmp_path: Path) -> None:
    planted = roster(60, seed=5, plant=12)
    content = xlsx(tmp_path / "roster.xlsx", planted.headers, planted.rows)
    audit_before = count(district, AuditEntry)
    dry = run(district, "名册.xlsx", content, dry_run=True)
    assert {problem.row: problem.code for problem in dry.problems} == {
        row: code
        for row, code in planted.planted.items()
        if code not in ("ENROLLED_ELSEWHERE", "RESIDENT_NAME_MISMATCH")
    }
    assert dry.import_id is None and dry.created > 0
    assert count(district, Resident) == 0 and count(district, Enrollment) == 0 and count(district, RosterImport) == 0
    assert count(district, AuditEntry) == audit_before + 1  # the check itself: who looked at which numbers
    real = run(district, "名册.xlsx", content)
    assert (real.created, real.errors) == (dry.created, dry.errors)
    assert count(district, Enrollment) == real.created


def test_updates_households_and_identities_by_roster(district: Engine, tmp_path: Path) -> None:
    planted = roster(20, seed=9)
    run(district, "a.xlsx", xlsx(tmp_path / "a.xlsx", planted.headers, planted.rows))
    changed = [list(row) for row in planted.rows]
    changed[0][9] = "13900000000"  # a new phone for the first head
    adult = next(index for index, row in enumerate(changed) if row[7] == "" and row[6] == "" and row[8] == "")
    changed[adult][8] = "低保"  # a newly certified 低保 member: re-assessed, pays nothing now
    second = run(district, "b.xlsx", xlsx(tmp_path / "b.xlsx", planted.headers, changed))
    assert (second.updated, second.created, second.errors) == (2, 0, 0)
    with session_factory(district)() as session:
        number = changed[adult][4]
        enrollment = session.scalars(
            select(Enrollment).join(Resident, Resident.id == Enrollment.resident_id).where(Resident.id_number == number)
        ).one()
        assert enrollment.individual_due_fen == 0 and enrollment.assisted_subsidy_fen
        head = session.scalars(select(Resident).where(Resident.id_number == changed[0][4])).one()
        assert head.phone == "13900000000" and head.version == 2
        members = session.scalar(select(func.count()).select_from(Household).where(Household.number == "1"))
        assert members == 1

    # A member listed under another household's number: said, not silently kept where they are.
    moved = [list(row) for row in planted.rows]
    member = next(index for index, row in enumerate(moved) if row[5] != "户主")
    moved[member][1] = next(row[1] for row in moved if row[1] != moved[member][1])
    third = run(district, "c.xlsx", xlsx(tmp_path / "c.xlsx", planted.headers, moved), dry_run=True)
    assert [(problem.row, problem.code) for problem in third.problems] == [(member + 2, "HOUSEHOLD_DIFFERS")]
    assert f"已登记在户号“{planted.rows[member][1]}”" in third.problems[0].message


def test_gbk_csv_with_a_title_line_and_clerks_headers(district: Engine, tmp_path: Path) -> None:
    planted = roster(10, seed=3, plant=2)
    headers = ["序号", "户编号", "姓 名", "性别", "身份证号", "与户主关系", "参保类别", "档次", "身份类别", "手机号码"]
    lines = ["渔阳镇西关村2018年度参保名册,,,,,,,,,", ",".join(headers)]
    lines += [",".join(row) for row in planted.rows]
    content = "\r\n".join(lines).encode("gbk")
    report = run(district, "名册.csv", content)
    assert {problem.row: problem.code for problem in report.problems} == {
        row + 1: code
        for row, code in planted.planted.items()  # one line lower: the title line
    }
    assert report.created == len(planted.rows) - 2
    error_file = report.write_error_file(tmp_path / "错误.csv")
    marked = list(csv.reader(io.StringIO(error_file.read_text("utf-8-sig"))))
    # The title line kept: every row on the line the report names, as in the file uploaded.
    assert marked[0] == ["渔阳镇西关村2018年度参保名册"] and marked[1][-1] == ERROR_COLUMN
    assert len(marked) == len(planted.rows) + 2
    assert {line: row[-1] != "" for line, row in enumerate(marked[2:], start=3)} == {
        line: line in {problem.row for problem in report.problems} for line in range(3, len(marked) + 1)
    }
    assert all(marked[problem.row - 1][4] == planted.rows[problem.row - 3][4] for problem in report.problems)


def test_rows_are_told_by_the_files_own_line_numbers(district: Engine, tmp_path: Path) -> None:
    """A title under an empty first line, a date line, a blank line between rows and an ID number the spreadsheet
    stored as a number: the report, the error file and its marks all use the lines the clerk sees in Excel."""
    planted = roster(4, seed=5)
    path = tmp_path / "titled.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("名册")
    sheet.write_string(1, 0, "渔阳镇西关村2018年度城乡居民医保参保登记册")  # line 2
    sheet.write_string(2, 0, "填报日期：2017年11月1日")  # line 3
    sheet.write_row(3, 0, planted.headers)  # line 4
    lines = {}  # file line -> row
    line = 5
    for index, row in enumerate(planted.rows):
        if index == 3:
            line += 1  # a blank line left in the table
        lines[line] = row
        for column, value in enumerate(row):
            if column == 4 and index == 5:
                sheet.write_number(
                    line - 1, column, float(value[:15]) * 1000
                )  # typed into a number column: 15 digits kept
            elif value:
                sheet.write_string(line - 1, column, value)
        line += 1
    duplicated = lines[max(lines)][4]
    sheet.write_string(line - 1, 4, duplicated)
    sheet.write_string(line - 1, 2, "重复者")
    workbook.close()
    report = run(district, "titled.xlsx", path.read_bytes(), dry_run=True)
    by_line = {problem.row: problem for problem in report.problems}
    number_line = sorted(lines)[5]
    assert set(by_line) == {number_line, line}
    assert by_line[number_line].code == "ID_NUMBER_STORED_AS_NUMBER" and "文本" in by_line[number_line].message
    assert by_line[line].code == "DUPLICATE_IN_FILE" and f"第{max(lines)}行" in by_line[line].message

    marked = openpyxl.load_workbook(report.write_error_file(tmp_path / "titled-错误.xlsx")).active
    assert marked is not None
    assert marked.cell(row=2, column=1).value == "渔阳镇西关村2018年度城乡居民医保参保登记册"
    assert marked.cell(row=3, column=1).value == "填报日期：2017年11月1日"
    width = len(planted.headers) + 1
    assert marked.cell(row=4, column=width).value == ERROR_COLUMN
    for line_number, row in lines.items():
        assert marked.cell(row=line_number, column=3).value == row[2]  # every person on the line they were on
    assert marked.cell(row=line, column=3).value == "重复者"
    notes = {row: marked.cell(row=row, column=width).value for row in range(5, line + 1)}
    assert {row for row, note in notes.items() if note} == {number_line, line}


def test_whole_file_refusals(district: Engine, tmp_path: Path) -> None:
    with pytest.raises(YibaoError) as raised:
        run(district, "名册.xlsx", xlsx(tmp_path / "a.xlsx", ["姓名", "电话"], [["张三", "1"]]))
    assert raised.value.code == "ROSTER_NO_HEADER"
    with pytest.raises(YibaoError) as raised:
        run(district, "名册.xlsx", xlsx(tmp_path / "b.xlsx", ["身份证号码", "电话"], [["1", "1"]]))
    assert raised.value.code == "ROSTER_COLUMNS_MISSING" and "姓名" in raised.value.message
    with pytest.raises(YibaoError) as raised:
        run(district, "名册.pdf", b"%PDF-1.4")
    assert raised.value.code == "ROSTER_FILE_KIND"
    with pytest.raises(YibaoError) as raised:
        run(district, "名册.xlsx", b"not a workbook")
    assert raised.value.code == "ROSTER_FILE_UNREADABLE"
    planted = roster(5, seed=2)
    content = xlsx(tmp_path / "c.xlsx", planted.headers, planted.rows)
    # A township operator imports into their own township only.
    with pytest.raises(YibaoError) as raised, uow(district) as work:
        import_roster(work, operator(YUYANG), RosterRequest("c.xlsx", content, BIESHAN, POLICY))
    assert raised.value.code == "AREA_UNKNOWN"
    assert count(district, Resident) == 0
