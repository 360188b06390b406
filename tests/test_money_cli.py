"""`yibao pay` against a database: a notice, a channel payment delivered twice, an overpayment and its refund,
a collection batch from a CSV file that does not balance, and the collection totals."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

from households import YUYANG, family, uow
from principals import operator
from yibao.adapters.db.database import make_engine
from yibao.entrypoints.cli.app import app
from yibao.services.registry.households import enroll_household

runner = CliRunner()
CLOCK = ["--clock", "2017-10-26T10:00:00+08:00"]


def invoke(*arguments: str) -> Any:
    result = runner.invoke(app, [*arguments, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_take_money_from_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, empty_database_url: str
) -> None:
    url = empty_database_url
    monkeypatch.setenv("YIBAO_DATABASE_URL", url)
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    assert runner.invoke(app, ["db", "seed-district", "120119"]).exit_code == 0
    for name, role, area in (("yuyang", "township_operator", YUYANG), ("caiwu", "finance", "120119000000")):
        added = runner.invoke(
            app, ["user", "add", name, "--role", role, "--area", area, "--password", "p4ss-word-2018"]
        )
        assert added.exit_code == 0, added.output
    engine = make_engine(url)
    with uow(engine) as work:
        household = enroll_household(work, operator(YUYANG), family())[0].household_id
    engine.dispose()

    notice = invoke("pay", "notice", "--user", "yuyang", "--household", str(household), *CLOCK)
    total = notice["amount_fen"]
    amount = f"{total // 100}.{total % 100:02d}"
    paid = ["pay", "record", "--user", "yuyang", "--channel", "bank", "--amount", amount, "--notice", notice["number"]]
    paid += ["--transaction-id", "ICBC-0001", *CLOCK]
    first = invoke(*paid)
    assert first["receipt_number"] and not first["duplicate"]
    assert invoke(*paid)["duplicate"]  # the bank's file delivered again: nothing new
    shown = invoke("pay", "show", notice["number"], "--user", "yuyang")
    assert shown["balance_fen"] == 0 and {item["state"] for item in shown["items"]} == {"effective"}
    receipt = tmp_path / "票据.pdf"
    printed = runner.invoke(app, ["pay", "receipt", str(first["id"]), "--user", "yuyang", "--output", str(receipt)])
    assert printed.exit_code == 0 and receipt.read_bytes()[:4] == b"%PDF"
    assert first["receipt_number"] in PdfReader(receipt).pages[0].extract_text()

    extra = ["pay", "record", "--user", "yuyang", "--channel", "counter_cash", "--amount", "50"]
    extra += ["--enrollment", str(shown["items"][0]["enrollment_id"]), *CLOCK]
    assert invoke(*extra)["unapplied_fen"] == 5000  # already covered: the 50 yuan await a refund
    due = invoke("pay", "refunds", "--user", "caiwu")
    assert [row["unapplied_fen"] for row in due] == [5000]
    refund = invoke("pay", "refund", str(due[0]["id"]), "--user", "caiwu", "--reason", "重复缴费退回")
    assert refund["amount_fen"] == -5000
    assert invoke("pay", "refunds", "--user", "caiwu") == []

    lines = tmp_path / "东关村.csv"
    lines.write_text(f"enrollment_id,collected\n{shown['items'][0]['enrollment_id']},440\n", encoding="utf-8")
    batch = ["pay", "batch", str(lines), "--user", "yuyang", "--batch-number", "DG-1", "--collector", "东关村"]
    refused = runner.invoke(app, [*batch, "--handed-in", "440", *CLOCK])
    assert refused.exit_code == 2 and "BATCH_MISMATCH" in refused.output  # that person owes nothing any more

    report = invoke("pay", "collections", "--user", "caiwu", "--year", "2018", "--day", "2017-10-26")
    assert report["received_fen"] == total + 5000 and report["refunded_fen"] == 5000
    assert report["applied_fen"] == total and report["awaiting_refund_fen"] == 0
    table = runner.invoke(app, ["pay", "collections", "--user", "caiwu", "--year", "2018"])
    assert table.exit_code == 0 and "渔阳镇" in table.output and "合计" in table.output


def test_reconcile_from_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, empty_database_url: str
) -> None:
    url = empty_database_url
    monkeypatch.setenv("YIBAO_DATABASE_URL", url)
    runner.invoke(app, ["db", "upgrade"])
    runner.invoke(app, ["db", "seed-district", "120119"])
    for name, role, area in (("yuyang", "township_operator", YUYANG), ("caiwu", "finance", "120119000000")):
        runner.invoke(app, ["user", "add", name, "--role", role, "--area", area, "--password", "p4ss-word-2018"])
    engine = make_engine(url)
    with uow(engine) as work:
        household = enroll_household(work, operator(YUYANG), family())[0].household_id
    engine.dispose()
    notice = invoke("pay", "notice", "--user", "yuyang", "--household", str(household), *CLOCK)
    total = notice["amount_fen"]
    statement = tmp_path / "tax-1026.csv"
    statement.write_text(
        "流水,金额,时间,单号\n"
        f"T1,{total / 100:.2f},2017-10-26 11:00:00,{notice['number']}\nT2,9.99,2017-10-26 11:05,\n",
        encoding="utf-8",
    )
    columns = ["--column", "流水=transaction_id", "--column", "时间=paid_at", "--column", "单号=notice_number"]
    command = ["reconcile", "import", str(statement), "--user", "caiwu", "--channel", "tax", *columns, *CLOCK]
    report = invoke(*command)
    assert report["state_counts"] == {"matched": 1, "no_such_notice": 1} and not report["replayed"]
    engine = make_engine(url)
    with engine.connect() as connection:  # the command folded the payment into the progress counts
        assert connection.exec_driver_sql("SELECT count(*) FROM progress_changes").scalar_one() == 0
    engine.dispose()
    assert invoke(*command)["replayed"]  # the same file again: the same statement, nothing new
    lines = invoke("reconcile", "lines", "--user", "caiwu")
    assert [line["transaction_id"] for line in lines] == ["T2"]
    rejected = invoke("reconcile", "reject", str(lines[0]["id"]), "--user", "caiwu", "--reason", "误汇款")
    assert rejected["state"] == "rejected"
    shown = runner.invoke(app, ["reconcile", "report", str(report["statement_id"]), "--user", "caiwu"])
    assert shown.exit_code == 0 and "渔阳镇" in shown.output and "T2" in shown.output

    broken = tmp_path / "broken.csv"
    broken.write_text("交易流水号,金额,交易时间\nX1,abc,2017-10-26\n", encoding="utf-8")
    refused = runner.invoke(app, ["reconcile", "import", str(broken), "--user", "caiwu", "--channel", "bank"])
    assert refused.exit_code == 1 and "未导入" in refused.output
    assert (tmp_path / "broken-错误.csv").exists()
