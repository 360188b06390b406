"""登记册审核's ways in and out: the printed 登记册 (totals, household subtotals, the checksum and a QR code that
reads back, lines to sign; nothing overprinted; xlsx with numbers as numbers), the REST API through every step
within the area rule, and the command line."""

from __future__ import annotations

import io
import json
from pathlib import Path

import openpyxl
import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import Engine
from typer.testing import CliRunner

from principals import operator
from test_chinese_pages import english_in_text, pdf_text
from test_printing import overlaps
from test_village_registers import NOW, SONGMING, SONGYANG, YANGQIAO, YEAR, submitted, village_collects, work
from yibao.adapters.db.database import session_factory
from yibao.domain.money import format_yuan
from yibao.domain.registers import qr_text
from yibao.services.access import Role
from yibao.services.review.printout import write_register_paper
from yibao.services.review.views import register_detail
from yibao.services.users import NewUser, add_user, login


def test_the_printed_register_carries_its_totals_checksum_and_qr_code(engine: Engine, tmp_path: Path) -> None:
    lines = village_collects(engine)
    register_id = submitted(engine, lines)
    total = sum(fen for _, fen in lines)
    with work(engine) as clerk_work:
        clerk = operator(SONGYANG)
        register = register_detail(clerk_work, clerk, register_id).register
        pdf = write_register_paper(clerk_work, clerk, register_id, tmp_path / "paper.pdf", "pdf").read_bytes()
        xlsx = write_register_paper(clerk_work, clerk, register_id, tmp_path / "paper.xlsx", "xlsx")
    text = pdf_text(pdf).replace(" ", "").replace("\n", "")
    assert "2018年度城乡居民基本医疗保险参保缴费登记册" in text and "村（居）：黄龙村" in text
    assert "合计：3人" in text and f"金额{format_yuan(total)}元" in text and "本户小计2人" in text
    assert f"校验码：{register.checksum}" in text and "村（居）负责人" in text and "盖章" in text
    assert not english_in_text(pdf_text(pdf)) and overlaps(pdf) == []
    (image,) = PdfReader(io.BytesIO(pdf)).pages[0].images
    (scanned,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(image.data)))
    assert scanned.text == qr_text(register.number, register.checksum, 3, total)
    sheet = openpyxl.load_workbook(xlsx).active
    assert sheet is not None
    values = [row for row in sheet.iter_rows(values_only=True)]
    assert values[0][0] == "2018年度城乡居民基本医疗保险参保缴费登记册"
    amounts = [row[4] for row in values if isinstance(row[4], (int, float))]
    assert sum(amounts) == pytest.approx(2 * total / 100)  # each person, and each household's subtotal


def test_the_chain_through_the_api_and_the_command_line(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fastapi.testclient import TestClient

    from yibao.entrypoints.cli.app import app
    from yibao.entrypoints.http.context import AppContext
    from yibao.entrypoints.server import create_app

    lines = village_collects(engine)
    total = sum(fen for _, fen in lines)
    with work(engine) as setup:
        for username, role, area in (
            ("songyang", Role.TOWNSHIP_OPERATOR, SONGYANG),
            ("yangqiao", Role.TOWNSHIP_OPERATOR, YANGQIAO),
            ("county", Role.DISTRICT_ADMIN, SONGMING),
        ):
            add_user(setup, NewUser(username, username, "register-2018-x", role, area), by=None)
        tokens = {
            name: login(setup, name, "register-2018-x", kind="api") for name in ("songyang", "yangqiao", "county")
        }
    context = AppContext(session_factory(engine), clock=lambda: NOW, data_dir=tmp_path / "data")
    as_ = {name: {"Authorization": f"Bearer {token}"} for name, token in tokens.items()}
    roster = [{"enrollment_id": i, "collected_fen": fen} for i, fen in lines]
    body = {
        "insurance_year": YEAR,
        "township_code": SONGYANG,
        "village_code": "530127001201",
        "collector": "黄龙村会计",
        "cash_fen": total,
        "lines": roster,
    }
    with TestClient(create_app(context)) as client:
        assert client.post("/api/v1/registers", json=body, headers=as_["yangqiao"]).json()["code"] == "AREA_UNKNOWN"
        made = client.post("/api/v1/registers", json=body, headers=as_["songyang"])
        assert made.status_code == 201, made.text
        register = made.json()["register"]
        url = f"/api/v1/registers/{register['id']}"
        assert client.get(url, headers=as_["yangqiao"]).status_code == 404  # another township's: not there
        listed = client.get("/api/v1/registers", params={"insurance_year": YEAR}, headers=as_["yangqiao"]).json()
        assert listed == []
        paper = client.get(f"{url}/paper.pdf", headers=as_["songyang"])
        assert paper.status_code == 200 and paper.content.startswith(b"%PDF")
        check = {"cash_fen": total, "paper_code": register["checksum"], "paper_people": 3, "paper_total_fen": total}
        assert client.post(f"{url}/check", json=check, headers=as_["county"]).json()["register"]["state"] == "checked"
        early = client.post(f"{url}/deposit", json={"reference": "1", "amount_fen": total}, headers=as_["songyang"])
        assert early.status_code == 409 and early.json()["code"] == "REGISTER_STATE"
        reviewed = client.post(f"{url}/review", json={"remarks": "复核无误"}, headers=as_["county"])
        assert reviewed.json()["code"] == "REGISTER_SAME_REVIEWER"  # the county's admin checked it itself
        sent_back = client.post(f"{url}/return", json={"remarks": "请社保所核对"}, headers=as_["county"])
        assert sent_back.json()["register"]["state"] == "returned"
        amended = client.put(f"{url}/roster", json={"cash_fen": total, "lines": roster}, headers=as_["songyang"])
        version = amended.json()["register"]
        assert version["version"] == 2 and version["state"] == "submitted"
        check["paper_code"] = version["checksum"]
        assert client.post(f"{url}/check", json=check, headers=as_["songyang"]).json()["register"]["state"] == "checked"
        assert client.post(f"{url}/review", json={}, headers=as_["county"]).json()["register"]["state"] == "reviewed"
        done = client.post(f"{url}/deposit", json={"reference": "NH-7", "amount_fen": total}, headers=as_["songyang"])
        assert done.json()["register"]["state"] == "deposited" and done.json()["register"]["payment_id"]
    if engine.dialect.name != "sqlite":
        return
    monkeypatch.setenv("YIBAO_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    runner = CliRunner()
    listed_cli = runner.invoke(app, ["review", "list", "--user", "songyang", "--year", str(YEAR), "--json"])
    assert listed_cli.exit_code == 0, listed_cli.output
    assert [row["state"] for row in json.loads(listed_cli.stdout)] == ["deposited"]
    shown = runner.invoke(app, ["review", "show", str(register["id"]), "--user", "songyang"])
    assert "已缴入指定账户" in shown.stdout and "复核" in shown.stdout
    out = tmp_path / "paper.xlsx"
    printed = runner.invoke(app, ["review", "print", str(register["id"]), "--user", "songyang", "--out", str(out)])
    assert printed.exit_code == 0 and out.stat().st_size > 0
    refused = runner.invoke(app, ["review", "pass", str(register["id"]), "--user", "county"])
    assert refused.exit_code != 0 and "已缴入指定账户" in refused.output
