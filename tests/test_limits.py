"""Limits a server open to a district's clerks needs: a sheet too large to be a sheet of work is refused before it
is read (a 366 KB xlsx once expanded to a million rows, 58 s and 3.2 GB), a file that is no sheet is said so in
Chinese, and a request body beyond what any form sends is refused before it is read (413)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator

import pytest

from api_site import Site, household_body
from yibao.adapters.sheet_files import read_sheet
from yibao.domain.errors import YibaoError


def million_row_xlsx() -> bytes:
    """A workbook whose one sheet states and holds a million rows, a few hundred KB zipped."""
    rows = "".join(f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>1</t></is></c></row>' for n in range(1, 1_000_001))
    sheet = (
        '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
        f'2006/main"><dimension ref="A1:A1000000"/><sheetData>{rows}</sheetData></worksheet>'
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
    return buffer.getvalue()


def test_a_sheet_too_large_is_refused_before_it_is_read() -> None:
    content = million_row_xlsx()
    assert len(content) < 8_000_000  # small as uploaded (60 MB unzipped): only its stated size gives it away
    with pytest.raises(YibaoError) as refused:
        read_sheet(content, "全区名册.xlsx")
    assert refused.value.code == "SHEET_TOO_MANY_ROWS" and "拆分" in refused.value.message
    with pytest.raises(YibaoError) as lines:
        read_sheet(b"\xe5\x90\x8d\n" + b"1\n" * 600_000, "全区名册.csv")
    assert lines.value.code == "SHEET_TOO_MANY_ROWS"


def test_a_sheet_within_a_raised_limit_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YIBAO_MAX_SHEET_ROWS", "2")
    with pytest.raises(YibaoError) as refused:
        read_sheet("公民身份号码\n1\n2\n3\n".encode() + b"4\n" * 20, "名册.csv")
    assert refused.value.code == "SHEET_TOO_MANY_ROWS"
    monkeypatch.setenv("YIBAO_MAX_SHEET_ROWS", "100")
    assert read_sheet("公民身份号码\n1\n2\n3\n".encode(), "名册.csv").rows == 3


def test_a_file_that_is_no_sheet_is_told_in_chinese() -> None:
    with pytest.raises(YibaoError) as refused:
        read_sheet(b"%PDF-1.7\n%binary", "名册.xlsx")  # a PDF renamed .xlsx
    assert refused.value.code == "ROSTER_FILE_UNREADABLE"
    assert "不是有效的Excel表格" in refused.value.message and "calamine" not in refused.value.message


def test_a_body_beyond_any_form_is_refused_before_it_is_read(site: Site) -> None:
    body = household_body()
    body["address"] = "很长的地址" * 300_000  # 4.5 MB of JSON
    status, answer = site.call("op_yuyang", "POST", "/api/v1/households", json=body)
    assert (status, answer["code"]) == (413, "BODY_TOO_LARGE") and "上限" in answer["message"]


def test_a_body_streamed_without_its_length_is_counted_too(site: Site) -> None:
    """Chunked, with no Content-Length: read up to the limit and refused there; one within it is handled as usual."""
    auth = {"Authorization": f"Bearer {site.tokens['op_yuyang']}", "Content-Type": "application/json"}

    def chunks(total: int) -> Iterator[bytes]:
        yield b'{"address": "'
        for _ in range(total // 65536):
            yield b"x" * 65536
        yield b'"}'

    refused = site.client.post("/api/v1/households", content=chunks(3 * 1024 * 1024), headers=auth)
    assert refused.status_code == 413 and refused.json()["code"] == "BODY_TOO_LARGE"
    assert "content-length" not in {key.lower() for key in refused.request.headers}  # it was streamed
    small = site.client.post("/api/v1/households", content=iter([b'{"members": []', b"}"]), headers=auth)
    assert small.status_code == 422 and small.json()["code"] == "REQUEST_INVALID"  # read whole, then checked
