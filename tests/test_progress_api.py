"""Targets and progress over the API and the command line: load the plan's targets, read the progress as of a day
(a township's operator too; a department may not), download the bulletin as xlsx and PDF."""

from __future__ import annotations

import io
import json
from pathlib import Path

import openpyxl
import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

from api_site import Site
from test_printing import overlaps
from yibao.entrypoints.cli.app import app


def test_targets_progress_and_bulletin_over_http(site: Site) -> None:
    assert (
        site.call("op_yuyang", "POST", "/api/v1/targets/from-policy", json={"policy_id": "tianjin-jizhou-2018"})[0]
        == 403
    )
    status, loaded = site.call(
        "admin", "POST", "/api/v1/targets/from-policy", json={"policy_id": "tianjin-jizhou-2018"}
    )
    assert status == 200 and sum(t["persons"] for t in loaded if t["category"] == "general") == 495_400
    status, report = site.call("admin", "GET", "/api/v1/progress?on=2017-11-20")
    assert status == 200, report
    assert report["target"] == 628_400 and report["rhythm"] == "daily"
    assert {unit["unit"] for unit in report["units"]} >= {"渔阳镇", "别山镇"}
    status, mine = site.call("op_yuyang", "GET", "/api/v1/progress?on=2017-11-20")
    assert status == 200 and mine["paid"] == report["paid"]
    assert site.call("department", "GET", "/api/v1/progress")[0] == 403
    status, channels = site.call("admin", "GET", "/api/v1/progress/breakdown?by=channel&on=2017-11-20")
    assert status == 200 and sum(row["paid"] for row in channels["rows"]) == report["paid"]
    status, refused = site.call("op_yuyang", "GET", "/api/v1/progress/breakdown?by=village&township_code=120119106000")
    assert status == 422 and refused["code"] == "AREA_UNKNOWN"
    headers = {"Authorization": f"Bearer {site.tokens['admin']}"}
    workbook = site.client.get("/api/v1/progress/bulletin?on=2017-11-20&format=xlsx", headers=headers)
    assert workbook.status_code == 200 and workbook.content[:2] == b"PK"
    sheet = openpyxl.load_workbook(io.BytesIO(workbook.content)).active
    assert sheet is not None
    lines = [[cell for cell in row] for row in sheet.iter_rows(values_only=True)]
    assert str(lines[0][0]).startswith("2018年度城乡居民基本医疗保险参保进度通报")  # a title, the date, the header
    assert any(str(line[0]).startswith("统计截至：2017年11月20日") for line in lines[:8])
    header = next(index for index, line in enumerate(lines) if line[0] == "排名")
    titles = list(lines[header])
    body = lines[header + 1 :]
    units, total = body[:-1], body[-1]
    assert total[titles.index("单位")] == "合计"
    for column in ("任务数", "已缴费参保", "较上期增加"):
        numbers = [line[titles.index(column)] for line in units if line[titles.index(column)] is not None]
        counts = [number for number in numbers if isinstance(number, int)]
        assert counts == numbers and total[titles.index(column)] == sum(counts)
    rates = [line[titles.index("完成率%")] for line in units if line[titles.index("完成率%")] is not None]
    assert rates and all(isinstance(rate, (int, float)) for rate in rates)  # numbers, not text
    assert isinstance(total[titles.index("近7日日均")], (int, float))
    pdf = site.client.get("/api/v1/progress/bulletin?on=2017-11-20&format=pdf", headers=headers)
    assert pdf.status_code == 200
    assert "参保进度通报" in PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert overlaps(pdf.content) == []  # every cell within its column, as a township reads it


def test_report_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runner = CliRunner()
    monkeypatch.setenv("YIBAO_DATABASE_URL", f"sqlite:///{tmp_path / 'report.sqlite'}")
    runner.invoke(app, ["db", "upgrade"])
    runner.invoke(app, ["db", "seed-district", "120118"])
    assert runner.invoke(app, ["campaign", "open", "tianjin-jinghai-2022"]).exit_code == 0
    runner.invoke(
        app,
        [
            "user",
            "add",
            "jhadmin",
            "--role",
            "district_admin",
            "--area",
            "120118000000",
            "--password",
            "p4ss-word-2018",
        ],
    )
    loaded = runner.invoke(
        app, ["report", "targets", "--user", "jhadmin", "--year", "2022", "--load", "tianjin-jinghai-2022", "--json"]
    )
    assert loaded.exit_code == 0, loaded.output
    rows = json.loads(loaded.stdout)
    assert sum(r["persons"] for r in rows if r["category"] == "all") == 466_992  # 452,977 + 14,015
    progress = runner.invoke(app, ["report", "progress", "--user", "jhadmin", "--date", "2021-10-15", "--json"])
    assert progress.exit_code == 0 and json.loads(progress.stdout)["rhythm"] == "weekly"
    shown = runner.invoke(app, ["report", "progress", "--user", "jhadmin", "--date", "2021-10-15"])
    assert shown.exit_code == 0 and "静海镇" in shown.output
    villages = runner.invoke(
        app, ["report", "breakdown", "--user", "jhadmin", "--by", "category", "--date", "2021-10-15"]
    )
    assert villages.exit_code == 0 and "参保进度明细" in villages.output and "合计" in villages.output
    written = runner.invoke(
        app, ["report", "bulletin", str(tmp_path / "通报.xlsx"), "--user", "jhadmin", "--date", "2021-10-15"]
    )
    assert written.exit_code == 0 and (tmp_path / "通报.xlsx").read_bytes()[:2] == b"PK"


def test_a_target_sheet_over_http(site: Site) -> None:
    content = "单位,合计\n渔阳镇,45000\n".encode()
    headers = {"Authorization": f"Bearer {site.tokens['admin']}"}
    response = site.client.post(
        "/api/v1/target-imports",
        headers=headers,
        files={"file": ("指标.csv", content)},
        data={"insurance_year": "2018"},
    )
    assert response.status_code == 200, response.text
    assert {(t["unit"], t["category"], t["persons"]) for t in response.json()} >= {("渔阳镇", "all", 45000)}
    clerk = {"Authorization": f"Bearer {site.tokens['op_yuyang']}"}
    refused = site.client.post(
        "/api/v1/target-imports", headers=clerk, files={"file": ("指标.csv", content)}, data={"insurance_year": "2018"}
    )
    assert refused.status_code == 403
