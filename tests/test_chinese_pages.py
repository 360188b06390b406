"""Chinese for people: every page a district admin and a township clerk open, rendered with data in it, shows no
English word and no code — only names, numbers and the few standard terms a bureau uses as they are (PDF, Excel,
CSV, API). Codes stay in the API's JSON and in the small print of an error (代码 …)."""

from __future__ import annotations

import io
import re
from datetime import date
from html.parser import HTMLParser

import openpyxl
import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader

from api_site import PASSWORD, USERS, Site, finished_job, household_body
from households import YUYANG
from yibao.domain import idnumber

# Words a bureau's staff read as they are: file formats, the API, payment channels (APP, POS), the product's name;
# and data, not interface: the test site's login names and the actor of its set-up.
ALLOWED = {"PDF", "Excel", "CSV", "xlsx", "csv", "xls", "YAML", "yaml", "txt", "API", "APP", "POS", "yibao", "GBK"}
ALLOWED |= {"UTF", "QR", "ID", *USERS, "setup"}
PAGES = [
    "/",
    "/counter",
    "/residents?q=王",
    "/progress",
    "/progress/breakdown",
    "/progress/bulletin",
    "/targets",
    "/rosters",
    "/lists",
    "/exports",
    "/finance",
    "/reconciliation",
    "/collection-batches",
    "/registers",
    "/unit-reports",
    "/crosscheck",
    "/crosscheck/findings",
    "/users",
    "/account",
    "/policies",
    "/areas",
    "/no-such-page",
]


class VisibleText(HTMLParser):
    """The text a person sees: element text, option labels, placeholders and titles — not scripts, styles, other
    attributes, or ``<code>`` (an identifier for operators, such as a plan's id, shown as code on purpose)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "code"):
            self._hidden += 1
        named = dict(attrs)
        for attribute in ("placeholder", "title", "aria-label"):
            if named.get(attribute):
                self.parts.append(str(named[attribute]))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "code"):
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def english_words(html: str) -> set[str]:
    parser = VisibleText()
    parser.feed(html)
    text = " ".join(parser.parts)
    text = re.sub(r"代码 [A-Z_]+", " ", text)  # an error's code, in its small print for support
    text = re.sub(r"https?://\S+|\S+@\S+|\b\S+\.(xlsx|csv|pdf|sqlite)\b", " ", text)
    return {word for word in re.findall(r"[A-Za-z][A-Za-z_]+", text) if word not in ALLOWED}


def signed_in(site: Site, username: str) -> TestClient:
    client = site.client
    client.cookies.clear()
    form = client.get("/login")
    nonce = re.search(r'name="login_nonce" value="([^"]+)"', form.text)
    assert nonce is not None
    answer = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "login_nonce": nonce.group(1)},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return client


@pytest.mark.parametrize("username", ["admin", "op_yuyang"])
def test_no_english_on_the_pages_a_bureau_uses(site: Site, username: str) -> None:
    if username == "admin":  # something on every page: a family enrolled, the plan's targets loaded
        status, enrolled = site.call("op_yuyang", "POST", "/api/v1/households", json=household_body())
        assert status in (201, 409), enrolled
        site.call("admin", "POST", "/api/v1/targets/from-policy", json={"policy_id": "tianjin-jizhou-2018"})
    client = signed_in(site, username)
    resident = site.call("admin", "GET", "/api/v1/residents", params={"q": "王建国"})[1]["items"][0]["id"]
    found = {}
    for url in [*PAGES, f"/residents/{resident}"]:
        page = client.get(url)
        if page.status_code == 403:  # a page this role may not open says so, in Chinese
            assert "无权" in page.text or "没有权限" in page.text, url
        words = english_words(page.text.replace("/no-such-page", ""))  # the address asked for, echoed
        if words:
            found[url] = sorted(words)
    client.cookies.clear()
    assert found == {}


def test_an_unknown_address_is_told_in_chinese(site: Site) -> None:
    status, answer = site.call("admin", "GET", "/api/v1/no-such-thing")
    assert (status, answer["code"]) == (404, "PAGE_NOT_FOUND") and "没有这个页面或接口" in answer["message"]
    status, answer = site.call("admin", "DELETE", "/api/v1/me")
    assert (status, answer["code"]) == (405, "METHOD_NOT_ALLOWED")


def test_the_audit_trail_reads_as_sentences(site: Site) -> None:
    body = household_body()
    number = idnumber.make("120119", date(1980, 1, 1), 37)
    body["members"] = [body["members"][0] | {"id_number": number, "name": "赵记录", "phone": "13811112222"}]
    status, enrolled = site.call("op_yuyang", "POST", "/api/v1/households", json=body)
    assert status == 201, enrolled
    resident = enrolled["members"][0]["resident_id"]
    change = {"reason": "本人来电", "phone": "13912345678"}
    assert site.call("op_yuyang", "PATCH", f"/api/v1/residents/{resident}", json=change)[0] == 200
    status, trail = site.call("admin", "GET", f"/api/v1/residents/{resident}/history")
    sentences = [entry["sentence"] for entry in trail]
    assert "变更人员信息：联系电话由13811112222改为13912345678（原因：本人来电）" in sentences, sentences
    assert any(sentence.startswith("参保登记：") and "状态已核定" in sentence for sentence in sentences), sentences
    assert {entry["actor_name"] for entry in trail} == {"op_yuyang"}


def test_a_banks_layout_is_written_with_our_column_titles() -> None:
    from yibao.domain.statement import parse_layout

    assert parse_layout(["交易额=金额", "流水=交易流水号", "Ref=notice_number"]) == {
        "交易额": "amount",
        "流水": "transaction_id",
        "Ref": "notice_number",
    }


def english_in_text(text: str) -> set[str]:
    """English words in a printout's or a workbook's text, as :func:`english_words` finds them on a page."""
    text = re.sub(r"https?://\S+|\S+@\S+|\b\S+\.(xlsx|csv|pdf|sqlite)\b", " ", text)
    return {word for word in re.findall(r"[A-Za-z][A-Za-z_]+", text) if word not in ALLOWED}


def workbook_text(content: bytes) -> str:
    workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    return " ".join(
        str(value)
        for sheet in workbook.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if value
    )


def pdf_text(content: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_no_english_in_the_printouts_and_workbooks_a_township_gets(site: Site) -> None:
    """The notice, the receipt, the bulletin (PDF and xlsx), the exports, the worklist, the roster template and a
    roster's error file: read as a township reads them, no English word."""
    body = household_body(household_number="0081")
    for member, sequence in zip(body["members"], range(81, 85), strict=False):
        member["id_number"] = idnumber.make("120119", date(1970 + sequence % 10, 3, 3), 400 + sequence)
    status, enrolled = site.call("op_yuyang", "POST", "/api/v1/households", json=body)
    assert status == 201, enrolled
    site.call("admin", "POST", "/api/v1/targets/from-policy", json={"policy_id": "tianjin-jizhou-2018"})
    status, notice = site.call("op_yuyang", "POST", "/api/v1/notices", json={"household_id": enrolled["household_id"]})
    assert status == 201, notice
    payment = {"channel": "wechat", "amount_fen": notice["amount_fen"], "transaction_id": "4200001234201711200001"}
    status, paid = site.call(
        "op_yuyang", "POST", "/api/v1/payments", json=payment | {"notice_number": notice["number"]}
    )
    assert status == 201, paid
    auth = {"Authorization": f"Bearer {site.tokens['op_yuyang']}"}

    def fetched(url: str) -> bytes:
        answer = site.client.get(url, headers=auth)
        assert answer.status_code == 200, (url, answer.text[:200])
        return answer.content

    def job_file(job: dict[str, object]) -> bytes:
        done = finished_job(site.client, auth, job)
        assert done["state"] == "succeeded", done
        return fetched(f"/api/v1/jobs/{done['id']}/file")

    documents = {
        "缴费通知单": pdf_text(fetched(f"/api/v1/notices/{notice['number']}/pdf")),
        "缴费票据": pdf_text(fetched(f"/api/v1/payments/{paid['id']}/receipt.pdf")),
        "排名通报（PDF）": pdf_text(fetched("/api/v1/progress/bulletin?on=2017-11-20&format=pdf")),
        "排名通报（xlsx）": workbook_text(fetched("/api/v1/progress/bulletin?on=2017-11-20&format=xlsx")),
        "核查清单": workbook_text(fetched("/api/v1/findings/export?insurance_year=2018&format=xlsx")),
        "名册模板": workbook_text(fetched(f"/api/v1/roster-template?format=xlsx&township_code={YUYANG}")),
    }
    for kind in ("enrollments", "assessments"):
        status, job = site.call("op_yuyang", "POST", "/api/v1/exports", json={"kind": kind, "format": "xlsx"})
        assert status == 202, job
        documents[f"导出（{kind}）"] = workbook_text(job_file(job))
    roster = "渔阳镇2018年度参保名册\n公民身份号码,姓名,联系电话\n120119198001010000,  ,12345\n".encode()
    answer = site.client.post(
        "/api/v1/roster-imports",
        headers=auth,
        files={"file": ("名册.csv", roster, "text/csv")},
        data={"township_code": YUYANG, "dry_run": "true"},
    )
    assert answer.status_code == 202, answer.text
    done = finished_job(site.client, auth, answer.json())
    error_file = fetched(f"/api/v1/jobs/{done['id']}/file").decode("utf-8-sig")
    documents["名册错误文件"] = error_file
    found = {name: sorted(english_in_text(text)) for name, text in documents.items() if english_in_text(text)}
    assert found == {}
    assert "缴费票据" in documents["缴费票据"] and "错误说明" in documents["名册错误文件"]
