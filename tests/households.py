"""A family at the counter of 渔阳镇, 蓟州区, in the 2018 campaign, and a unit of work for service tests."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine

from yibao.adapters.db.database import session_factory
from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.domain import idnumber
from yibao.domain.timeutil import SHANGHAI
from yibao.services.policy.campaigns import open_campaign
from yibao.services.registry.households import HouseholdEnrollment, Member

NOW = datetime(2017, 10, 25, 9, 30, tzinfo=SHANGHAI)
YUYANG, BIESHAN = "120119100000", "120119106000"  # 渔阳镇, 别山镇


def uow(engine: Engine, actor: str = "clerk-yuyang") -> UnitOfWork:
    return UnitOfWork(session_factory(engine), actor=actor, now=NOW)


def family(township: str = YUYANG, **changes: Any) -> HouseholdEnrollment:
    request = HouseholdEnrollment(
        policy_id="tianjin-jizhou-2018",
        township_code=township,
        channel="village",
        registered_at=NOW,
        members=(
            Member(idnumber.make("120119", date(1975, 3, 4), 13), "王建国", "户主", tier="middle"),
            Member(idnumber.make("120119", date(1977, 6, 5), 24), "李秀英", "配偶", identities=("dibao",)),
            Member(idnumber.make("120119", date(2006, 9, 1), 35), "王小明", "子女", category="student"),
            Member(idnumber.make("120225", date(1948, 1, 2), 46), "王老汉", "父母"),
        ),
    )
    return dataclasses.replace(request, **changes)


def open_campaign_of(work: UnitOfWork, plan: str = "tianjin-jizhou-2018") -> None:
    """The district admin opens the plan's campaign (what a bureau does before its clerks register anyone)."""
    open_campaign(work, None, plan)


def numbered(prefix: str, number: int) -> str:
    """A name for the ``number``-th invented person, in Chinese numerals (a name holds no digits): 户主三, 居民一二."""
    return prefix + "".join("零一二三四五六七八九"[int(digit)] for digit in str(number))
