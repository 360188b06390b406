"""The register of reasons for non-enrollment as the plan's form (滕州: 《滕州市居民基本医疗保险未参保原因登记表》):
kept per 居委 with the day written on the paper, printed per community and summed per street for signing, as PDF
and xlsx; through the API and the CLI; within the clerk's own area."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from households import numbered
from principals import admin, operator
from test_chinese_pages import english_in_text, pdf_text, workbook_text
from yibao.adapters.db.database import session_factory
from yibao.adapters.db.tables import Area, Resident
from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.domain import idnumber
from yibao.domain.errors import YibaoError
from yibao.domain.timeutil import SHANGHAI
from yibao.services.access import Role
from yibao.services.crosscheck.reason_register import form_title, register, write_register
from yibao.services.crosscheck.reasons import record_reason
from yibao.services.policy.campaigns import open_campaign
from yibao.services.registry.areas import seed_district

TENGZHOU, JINGHE = "370481", "370481001000"
LONGQUAN, SHANGUO = "370481001001", "370481001002"
CLOCK = datetime(2018, 11, 20, 9, tzinfo=SHANGHAI)
TITLE = "滕州市居民基本医疗保险未参保原因登记表"


def work_on(engine: Engine) -> UnitOfWork:
    return UnitOfWork(session_factory(engine), actor="clerk-jinghe", now=CLOCK)


def person(sequence: int) -> str:
    return idnumber.make(TENGZHOU, date(1980, 1, sequence), sequence)


def jinghe(engine: Engine) -> None:
    """荆河街道 with two communities; three residents of 龙泉社区 and one of 善国社区, none enrolled."""
    with work_on(engine) as work:
        seed_district(work, TENGZHOU, [JINGHE])
        open_campaign(work, None, "tengzhou-jinghe-2019")
        work.session.add_all(
            [
                Area(code=LONGQUAN, name="龙泉社区", level="village", parent_code=JINGHE),
                Area(code=SHANGUO, name="善国社区", level="village", parent_code=JINGHE),
            ]
        )
        for sequence, village in ((1, LONGQUAN), (2, LONGQUAN), (3, LONGQUAN), (4, SHANGUO)):
            work.session.add(
                Resident(
                    id_number=person(sequence),
                    name=numbered("居民", sequence),
                    sex="male",
                    birth_date=date(1980, 1, sequence),
                    township_code=JINGHE,
                    village_code=village,
                )
            )
        work.commit()
        clerk = operator(JINGHE)
        for sequence, reason, day in (
            (1, "insured_elsewhere", date(2018, 11, 2)),
            (2, "military_service", date(2018, 11, 5)),
            (3, "insured_elsewhere", None),
            (4, "employee_insurance", date(2018, 11, 9)),
        ):
            record_reason(
                work,
                clerk,
                insurance_year=2019,
                id_number=person(sequence),
                name=numbered("居民", sequence),
                township_code=JINGHE,
                reason=reason,
                recorded_on=day,
            )


def test_a_community_register_and_the_street_summary(engine: Engine, tmp_path: Path) -> None:
    jinghe(engine)
    clerk = operator(JINGHE)
    with work_on(engine) as work:
        assert form_title(work, TENGZHOU, 2019) == TITLE
        longquan = register(work, clerk, 2019, JINGHE, LONGQUAN)
        assert [row.name for row in longquan.rows] == [numbered("居民", n) for n in (1, 2, 3)]
        assert [row.recorded_on for row in longquan.rows] == [date(2018, 11, 2), date(2018, 11, 5), CLOCK.date()]
        pdf = pdf_text(write_register(work, longquan, tmp_path / "longquan.pdf", "pdf").read_bytes())
        xlsx = workbook_text(write_register(work, longquan, tmp_path / "longquan.xlsx", "xlsx").read_bytes())
        street = register(work, clerk, 2019, JINGHE)
        summary_pdf = pdf_text(write_register(work, street, tmp_path / "summary.pdf", "pdf").read_bytes())
        summary_xlsx = workbook_text(write_register(work, street, tmp_path / "summary.xlsx", "xlsx").read_bytes())
    for text in (pdf, xlsx):
        squashed = text.replace(" ", "").replace("\n", "")
        assert TITLE in squashed and "村（居）：龙泉社区" in squashed and "共3人" in squashed
        assert person(1) in squashed and "已在外地参保" in squashed and "2018-11-05" in squashed
        assert numbered("居民", 4) not in squashed  # 善国社区's person is on its own register
        assert "村（居）负责人" in squashed and "盖章" in squashed
        assert not english_in_text(text)
    for text in (summary_pdf, summary_xlsx):
        squashed = text.replace(" ", "").replace("\n", "")
        assert f"{TITLE}（汇总）" in squashed and "镇（街道）负责人" in squashed and "共4人" in squashed
        assert "龙泉社区" in squashed and "善国社区" in squashed
        assert not english_in_text(text)


def test_the_register_keeps_to_the_clerks_area_and_to_the_calendar(engine: Engine) -> None:
    jinghe(engine)
    with work_on(engine) as work:
        for principal, township, village, code in (
            (operator("370481002000"), JINGHE, None, "AREA_UNKNOWN"),  # another street's clerk
            (operator(JINGHE), JINGHE, "370481002001", "VILLAGE_UNKNOWN"),  # not one of 荆河's communities
        ):
            with pytest.raises(YibaoError) as refused:
                register(work, principal, 2019, township, village)
            assert refused.value.code == code
        with pytest.raises(YibaoError) as future:
            record_reason(
                work,
                operator(JINGHE),
                insurance_year=2019,
                id_number=person(4),
                name=numbered("居民", 4),
                township_code=JINGHE,
                reason="refused",
                recorded_on=date(2018, 12, 1),
            )
        assert future.value.code == "REASON_DATE_FUTURE"
        # Without a plan's form, the register is named after the district.
        assert form_title(work, "120119", 2018) == "城乡居民基本医疗保险未参保原因登记表"
        assert register(work, admin(TENGZHOU + "000000"), 2019, JINGHE).rows


def test_the_register_through_the_api_and_the_cli(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fastapi.testclient import TestClient

    from yibao.entrypoints.cli.app import app
    from yibao.entrypoints.http.context import AppContext
    from yibao.entrypoints.server import create_app
    from yibao.services.users import NewUser, add_user, login

    jinghe(engine)
    with work_on(engine) as work:
        add_user(work, NewUser("jinghe", "荆河街道经办员", "register-2019-x", Role.TOWNSHIP_OPERATOR, JINGHE), by=None)
        token = login(work, "jinghe", "register-2019-x", kind="api")
    context = AppContext(session_factory(engine), clock=lambda: CLOCK, data_dir=tmp_path / "data")
    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(context)) as client:
        answer = client.get(
            "/api/v1/non-enrollment-reasons/register.pdf",
            params={"insurance_year": 2019, "township_code": JINGHE, "village_code": SHANGUO},
            headers=headers,
        )
        assert answer.status_code == 200 and TITLE in pdf_text(answer.content).replace(" ", "")
        body = {
            "insurance_year": 2019,
            "id_number": person(4),
            "name": numbered("居民", 4),
            "township_code": JINGHE,
            "reason": "refused",
            "recorded_on": "2018-11-19",
        }
        recorded = client.post("/api/v1/non-enrollment-reasons", json=body, headers=headers).json()
        assert recorded["village_code"] == SHANGUO and recorded["recorded_on"] == "2018-11-19"
    if engine.dialect.name != "sqlite":
        return
    monkeypatch.setenv("YIBAO_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    output = tmp_path / "汇总表.xlsx"
    result = CliRunner().invoke(
        app,
        [
            "crosscheck",
            "register",
            "--user",
            "jinghe",
            "--year",
            "2019",
            "--township",
            JINGHE,
            "--output",
            str(output),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["file"] == str(output)
    assert "（汇总）" in workbook_text(output.read_bytes())
