"""A coverage goal's statistical base (SQLite and PostgreSQL): 嵩明's agricultural population per township, loaded
from the statistics bureau's sheet — checked whole, replaced when loaded again, and only by the bureau."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, func, select

from households import open_campaign_of, uow
from principals import admin, operator
from yibao.adapters.db.tables import PopulationCount
from yibao.domain.errors import YibaoError
from yibao.services.access import Principal
from yibao.services.progress.statistics import PopulationCountView, list_population_counts, load_population_counts
from yibao.services.registry.areas import seed_district

SONGMING, SONGYANG = "530127", "530127001000"
SOURCE = "县统计局2016年末农业人口"


@pytest.fixture
def district(engine: Engine) -> Engine:
    with uow(engine, "admin") as work:
        seed_district(work, SONGMING)
        open_campaign_of(work, "kunming-songming-2018")
    return engine


def _load(engine: Engine, sheet: str, who: Principal | None = None) -> list[PopulationCountView]:
    with uow(engine, "admin") as work:
        principal = who or admin(SONGMING)
        return load_population_counts(work, principal, 2018, "general", "农业人口.csv", sheet.encode(), SOURCE)


def test_a_sheet_with_problems_is_refused_whole(district: Engine) -> None:
    sheet = "镇（街）,人数\n嵩阳街道,12000\n火星镇,5\n杨桥街道,一万\n嵩阳街道,3\n"
    with pytest.raises(YibaoError) as refused:
        _load(district, sheet)
    assert [(problem.code, problem.row) for problem in refused.value.problems] == [
        ("BASE_UNIT_UNKNOWN", 3),
        ("BASE_FIGURE", 4),
        ("BASE_UNIT_TWICE", 5),
    ]
    with uow(district) as work:
        assert work.session.scalar(select(func.count()).select_from(PopulationCount)) == 0


def test_loading_again_replaces_the_goals_counts(district: Engine) -> None:
    _load(district, '乡镇,农业人口\n嵩阳街道,"12,000"\n杨桥街道,8000\n合计,20000\n')
    _load(district, "镇（街）,人数\n嵩阳街道,12500\n")
    with uow(district) as work:
        rows = list_population_counts(work, operator(SONGYANG), 2018)  # a township reads them: statistics
    assert [(row.township_name, row.persons, row.source) for row in rows] == [("嵩阳街道", 12500, SOURCE)]
    with pytest.raises(YibaoError) as forbidden:
        _load(district, "镇（街）,人数\n嵩阳街道,1\n", operator(SONGYANG))
    assert forbidden.value.code == "FORBIDDEN"
