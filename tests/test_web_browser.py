"""The counter journey in real headless Chromium (Debian's), driven by Playwright, against the running server:
sign in, register a family of four with one 低保 member and a student, see the right amounts, open a record."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from browser_site import BIESHAN_VILLAGE, PASSWORD, YUYANG_VILLAGE, preview_and_confirm, sign_in
from households import BIESHAN, NOW, YUYANG
from yibao.domain import idnumber


@pytest.mark.parametrize("server", ["sqlite", "postgresql"], indirect=True)
def test_counter_journey_in_chromium(server: str, browser_page: object, tmp_path: Path) -> None:
    from playwright.sync_api import Page, expect

    page = browser_page
    assert isinstance(page, Page)
    page.goto(server + "/counter")
    expect(page).to_have_url(server + "/login?next=/counter")  # not signed in: to the login page and back
    page.fill("#username", "yuyang")
    page.fill("#password", "wrong-password")
    page.click("button[type=submit]")
    expect(page.locator(".error")).to_contain_text("用户名或密码错误")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(server + "/counter")

    family = [
        ("王建国", idnumber.make("120119", date(1975, 3, 4), 13), "户主", "", "middle", ""),
        ("李秀英", idnumber.make("120119", date(1977, 6, 5), 24), "配偶", "", "", "dibao"),
        ("王小明", idnumber.make("120119", date(2006, 9, 1), 35), "子女", "student", "", ""),
        ("王老汉", idnumber.make("120225", date(1948, 1, 2), 46), "父母", "", "", ""),
    ]
    for row, (name, number, relation, category, tier, identity) in enumerate(family, start=1):
        page.fill(f"input[name=m{row}_name]", name)
        page.fill(f"input[name=m{row}_id_number]", number)
        page.select_option(f"select[name=m{row}_relation]", relation)
        page.select_option(f"select[name=m{row}_category]", category)
        page.select_option(f"select[name=m{row}_tier]", tier)
        page.select_option(f"select[name=m{row}_identity]", identity)
    page.fill("input[name=m2_evidence]", "低保证 第123号")  # what the clerk saw: the claim waits for 民政's list
    page.click("#preview-button")

    # The preview: what each member owes, the subsidy and who pays it, nothing registered yet.
    expect(page.locator("#preview h2")).to_contain_text("尚未登记")
    expect(page.locator("#preview-total")).to_have_text("780.00")
    expect(page.locator("#preview-members tr[data-name=李秀英]")).to_contain_text("区财政 180.00")
    expect(page.locator("#preview-members")).to_contain_text("待部门名单确认")
    page.screenshot(path=str(tmp_path / "counter-preview.png"), full_page=True)
    page.goto(server + "/residents?q=王建国")  # nothing was written by the preview
    expect(page.locator("#found-count")).to_have_text("共 0 人")
    page.go_back()
    # The clerk edits the form after the preview: the confirmation is for the previewed form only.
    page.fill("input[name=m1_phone]", "13812345678")
    page.click("#confirm")
    expect(page.locator("#preview-changed")).to_be_visible()
    page.click("#confirm")

    expect(page.locator("h1")).to_contain_text("整户参保登记完成：4 人")
    expect(page.locator("#total-due")).to_have_text("780.00")  # 440 + 0 + 160 + 180
    dues = {
        name: page.locator(f".member[data-name={name}] [data-due]").get_attribute("data-due") for name, *_ in family
    }
    assert dues == {"王建国": "44000", "李秀英": "0", "王小明": "16000", "王老汉": "18000"}
    spouse = page.locator(".member[data-name=李秀英]")
    expect(spouse).to_contain_text("区财政 180.00")  # the district pays her 180 in full
    expect(spouse.locator(".pending")).to_contain_text("待部门名单确认；确认前先按申报资助")
    spouse.locator("summary").click()
    expect(spouse.locator(".clause").first).to_be_visible()  # the plan's clause behind the figures
    cited = spouse.locator(".clause").all_inner_texts()
    assert len(cited) == len(set(cited))  # each of the plan's sentences once
    page.screenshot(path=str(tmp_path / "counter-result.png"), full_page=True)

    page.goto(server + "/residents?q=王小明")  # the search says where each person stands this year
    expect(page.locator("#found-count")).to_have_text("共 1 人")
    expect(page.locator("td.state")).to_have_text("2018年度 已核定")
    page.click("text=王小明")
    expect(page.locator("h1")).to_contain_text("王小明")
    expect(page.locator("body")).to_contain_text("操作记录")
    expect(page.locator("body")).to_contain_text("在校学生")

    # The same family again: refused, with the township named, and nothing half-written.
    page.goto(server + "/counter")
    page.fill("input[name=m1_name]", "王建国")
    page.fill("input[name=m1_id_number]", family[0][1])
    page.click("#preview-button")
    expect(page.locator(".error")).to_contain_text("已在渔阳镇参加2018年度居民医保")
    expect(page.locator("tr.bad")).to_have_count(1)
    expect(page.locator(".error")).not_to_contain_text("id_number")  # the code is small print, no field names

    # A household with three bad rows (and an empty one between): every problem at once, each at its own row.
    page.goto(server + "/counter")
    number = idnumber.make("120119", date(1980, 5, 5), 613)
    bad_check = number[:17] + ("0" if number[17] != "0" else "1")
    page.fill("input[name=m1_name]", "赵大勇")
    page.fill("input[name=m1_id_number]", bad_check)
    page.fill("input[name=m2_name]", "  ")
    page.fill("input[name=m2_id_number]", idnumber.make("120119", date(1982, 6, 6), 624))
    page.fill("input[name=m4_name]", "赵小勇")
    page.fill("input[name=m4_id_number]", idnumber.make("120119", date(2010, 7, 7), 611))
    page.fill("input[name=m4_phone]", "12345")
    page.click("#preview-button")
    problems = page.locator("#problems li")
    expect(problems).to_have_count(3)
    expect(problems.nth(0)).to_contain_text("第1行：公民身份号码校验码错误")
    expect(problems.nth(1)).to_contain_text("第2行：请填写姓名")
    expect(problems.nth(2)).to_contain_text("第4行：联系电话“12345”格式不正确")
    expect(page.locator("tr.bad")).to_have_count(3)
    page.screenshot(path=str(tmp_path / "counter-problems.png"), full_page=True)


def test_record_changes_cancellation_and_users_in_chromium(server: str, browser_page: object) -> None:
    from playwright.sync_api import Page, expect

    page = browser_page
    assert isinstance(page, Page)
    sign_in(page, server, "admin")

    # The counter offers only the villages of the township chosen.
    page.goto(server + "/counter")
    page.select_option("#township_code", BIESHAN)
    expect(page.locator(f"#village_code option[value='{YUYANG_VILLAGE}']")).to_be_disabled()
    expect(page.locator(f"#village_code option[value='{BIESHAN_VILLAGE}']")).to_be_enabled()
    page.select_option("#township_code", YUYANG)
    page.select_option("#village_code", YUYANG_VILLAGE)
    page.fill("input[name=m1_name]", "张桂兰")
    page.fill("input[name=m1_id_number]", idnumber.make("120119", date(1960, 5, 6), 82))
    page.select_option("select[name=m1_residency]", "local_hukou")
    preview_and_confirm(page)
    expect(page.locator("h1")).to_contain_text("整户参保登记完成：1 人")
    page.click("text=张桂兰")
    expect(page.locator(".card.grid")).to_contain_text("户籍类别本市户籍")

    # An information change needs a reason; with one, it is saved and shows in the history.
    page.click("#change summary")
    page.fill("#c_phone", "13812345678")
    page.click("#change button.primary")
    expect(page.locator(".error")).to_contain_text("请填写变更或注销原因")
    expect(page.locator("#c_phone")).to_have_value("13812345678")  # the clerk's input is kept
    page.fill("#c_reason", "本人来电更正")
    page.select_option("#c_residency", "residence_permit")  # 户籍类别 changes the same way, and shows in Chinese
    page.click("#change button.primary")
    expect(page.locator("[role=status]")).to_contain_text("信息变更已保存")
    expect(page.locator("body")).to_contain_text("13812345678")
    expect(page.locator(".card.grid")).to_contain_text("户籍类别持居住证")
    expect(page.locator("body")).to_contain_text("本人来电更正")

    # Cancelling the enrollment, also with a reason.
    actions = page.locator(".actions").first
    actions.locator("button", has_text="注销参保登记").click()
    expect(page.locator(".error")).to_contain_text("请填写变更或注销原因")
    page.locator(".actions input[name=reason]").first.fill("重复登记，改由学校办理")
    page.locator(".actions button", has_text="注销参保登记").first.click()
    expect(page.locator("[role=status]")).to_contain_text("已注销")
    expect(page.locator("body")).to_contain_text("已注销")
    expect(page.locator(".actions")).to_have_count(0)

    # The district admin adds a township operator, who can then sign in.
    page.goto(server + "/users")
    expect(page.locator("#users tr[data-username=yuyang]")).to_contain_text("渔阳镇")
    page.fill("#u_username", "bieshan")
    page.fill("#u_display_name", "别山镇经办员")
    page.fill("#u_password", "short")
    page.select_option("#u_role", "township_operator")
    page.select_option("#u_township", BIESHAN)
    page.click("form.card button.primary")
    expect(page.locator(".error")).to_contain_text("密码至少需要")
    page.fill("#u_password", "town-clerk-2018")
    page.click("form.card button.primary")
    expect(page.locator("[role=status]")).to_contain_text("已添加用户 bieshan")
    expect(page.locator("#users tr[data-username=bieshan]")).to_contain_text("别山镇")
    page.click("header button")  # sign out
    for _ in range(5):  # five wrong passwords in a row lock the account, even for the right one after
        page.goto(server + "/login")
        page.fill("#username", "bieshan")
        page.fill("#password", "wrong-password-0")
        page.click("button[type=submit]")
        expect(page.locator(".error")).to_contain_text("用户名或密码错误")
    page.fill("#password", "town-clerk-2018")
    page.click("button[type=submit]")
    expect(page.locator(".error")).to_contain_text("已暂时锁定")
    sign_in(page, server, "admin")  # the district admin sees the lock and lifts it
    page.goto(server + "/users")
    locked = page.locator("#users tr[data-username=bieshan] .state")
    expect(locked).to_contain_text("已锁定")
    locked.locator("button").click()
    expect(page.locator("[role=status]")).to_contain_text("已解锁 bieshan")
    page.click("header button")
    sign_in(page, server, "bieshan", "town-clerk-2018")
    expect(page.locator("header .who")).to_contain_text("别山镇经办员")
    expect(page.locator("header")).not_to_contain_text("用户管理")


def test_roster_upload_progress_error_file_and_fix_in_chromium(
    server: str, browser_page: object, tmp_path: Path
) -> None:
    """A village roster with planted errors: upload, watch the job, download the error file, correct the marked
    rows in it, upload it again: the corrected rows are created and the rest are unchanged."""
    import openpyxl
    from playwright.sync_api import Page, expect

    from yibao.adapters.sheet_files import ERROR_COLUMN
    from yibao.synthetic.rosters import roster

    page = browser_page
    assert isinstance(page, Page)
    planted = roster(300, seed=11, on=NOW.date(), plant=36)
    database_kinds = {"ENROLLED_ELSEWHERE", "RESIDENT_NAME_MISMATCH"}  # nobody is on record in this district yet
    expected = {row: code for row, code in planted.planted.items() if code not in database_kinds}
    original = tmp_path / "西关村名册.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(planted.headers)
    for row in planted.rows:
        sheet.append([value or None for value in row])
    book.save(original)

    sign_in(page, server, "yuyang")
    page.click("header >> text=名册导入")
    with page.expect_download() as template:
        page.click("#template-xlsx")
    assert template.value.suggested_filename == "参保名册模板-2018.xlsx"
    page.set_input_files("#r_file", str(original))
    page.click("#upload button.primary")
    expect(page.locator("h1")).to_contain_text("导入名册 西关村名册.xlsx")
    expect(page.locator("[data-outcome=errors]")).to_have_text(str(len(expected)), timeout=30_000)
    created = len(planted.rows) - len(expected)
    expect(page.locator("[data-outcome=created]")).to_have_text(str(created))
    expect(page.locator("#problems tbody tr")).to_have_count(len(expected))
    expect(page.locator("#error-counts")).to_contain_text("ID_NUMBER_CHECK_DIGIT")

    with page.expect_download() as download:
        page.click("#error-file")
    assert download.value.suggested_filename == "西关村名册-错误.xlsx"
    error_file = tmp_path / "error.xlsx"
    download.value.save_as(error_file)
    book = openpyxl.load_workbook(error_file)
    sheet = book.active
    assert sheet is not None
    headers = [cell.value for cell in sheet[1]]
    error_column = headers.index(ERROR_COLUMN) + 1
    marked = {row for row in range(2, sheet.max_row + 1) if sheet.cell(row=row, column=error_column).value}
    assert marked == set(expected)
    for number in marked:  # the clerk corrects each marked row and clears its note
        for column, value in enumerate(planted.clean[number - 2], start=1):
            sheet.cell(row=number, column=column).value = value or None  # (cell(value=None) would leave it as it was)
        sheet.cell(row=number, column=error_column).value = None
    fixed = tmp_path / "西关村名册-改.xlsx"
    book.save(fixed)

    page.set_input_files("#r_file", str(fixed))
    page.click("#upload button.primary")
    expect(page.locator("h1")).to_contain_text("导入名册 西关村名册-改.xlsx")
    expect(page.locator("[data-outcome=errors]")).to_have_text("0", timeout=30_000)
    expect(page.locator("[data-outcome=created]")).to_have_text(str(len(expected)))
    expect(page.locator("[data-outcome=unchanged]")).to_have_text(str(created))
    expect(page.locator("#error-file")).to_have_count(0)
    page.click("text=返回名册导入")
    expect(page.locator("#jobs tbody tr")).to_have_count(2)

    # The township's enrollment roster, exported in the background and downloaded.
    page.click("header >> text=导出")
    page.select_option("#e_kind", "enrollments")
    page.click("#export button.primary")
    expect(page.locator("[data-outcome=rows]")).to_have_text(str(len(planted.rows)), timeout=30_000)
    with page.expect_download() as exported:
        page.click("#job-file")
    assert exported.value.suggested_filename == "参保登记名册-2018-渔阳镇.xlsx"
    exported.value.save_as(tmp_path / "export.xlsx")
    exported_sheet = openpyxl.load_workbook(tmp_path / "export.xlsx", read_only=True).active
    assert exported_sheet is not None
    rows = list(exported_sheet.iter_rows(values_only=True))
    assert len(rows) == len(planted.rows) + 1


def test_department_list_in_chromium(server: str, browser_page: object, tmp_path: Path) -> None:
    """民政's 低保 list uploaded on the web: the identity is recorded and the enrollment assessed again."""
    from playwright.sync_api import Page, expect

    page = browser_page
    assert isinstance(page, Page)
    sign_in(page, server, "admin")
    number = idnumber.make("120119", date(1962, 3, 8), 77)
    page.goto(server + "/counter")
    page.select_option("#township_code", YUYANG)
    page.fill("input[name=m1_name]", "赵秀兰")
    page.fill("input[name=m1_id_number]", number)
    page.select_option("select[name=m1_tier]", "middle")
    preview_and_confirm(page)
    expect(page.locator("#total-due")).to_have_text("440.00")

    dibao = tmp_path / "民政低保名单.csv"
    dibao.write_text(f"序号,姓名,身份证号码\n1,赵秀兰,{number}\n2,钱错名,{number[:17]}0\n", encoding="utf-8")
    page.click("header >> text=部门名单")
    page.set_input_files("#l_file", str(dibao))
    page.select_option("#l_department", "civil_affairs")
    page.select_option("#l_identity", "dibao")
    page.click("#upload button.primary")
    expect(page.locator("[data-outcome=flagged]")).to_have_text("1", timeout=30_000)
    expect(page.locator("[data-outcome=reassessed]")).to_have_text("1")
    expect(page.locator("[data-outcome=errors]")).to_have_text("1")
    expect(page.locator("#problems")).to_contain_text("校验码")
    with page.expect_download() as download:
        page.click("#error-file")
    assert download.value.suggested_filename == "民政低保名单-错误.csv"

    page.goto(server + f"/residents?q={number}")
    page.click("text=赵秀兰")
    expect(page.locator("body")).to_contain_text("民政")
    expect(page.locator("body")).to_contain_text("最低生活保障对象")
