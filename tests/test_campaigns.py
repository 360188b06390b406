"""Campaigns: a district's insurance years, each bound to one plan, opened by the district admin; two open at once
while next year's window runs; the campaign a day belongs to by default; and the guess of the district that has
opened none, which a next-year plan would otherwise take over."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import Engine

from households import uow
from next_year import POLICIES, ninghe_2024
from principals import admin, operator
from yibao.adapters.db.database import session_factory
from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.domain import idnumber
from yibao.domain.errors import YibaoError
from yibao.domain.timeutil import SHANGHAI
from yibao.services.policy import store
from yibao.services.policy.campaigns import campaign_policy, close_campaign, list_campaigns, open_campaign
from yibao.services.progress.report import progress_report
from yibao.services.registry.areas import seed_district

NINGHE = "120117"


def at(engine: Engine, day: date) -> UnitOfWork:
    return UnitOfWork(
        session_factory(engine), actor="admin", now=datetime(day.year, day.month, day.day, 9, tzinfo=SHANGHAI)
    )


def year_on(engine: Engine, day: date) -> int:
    with at(engine, day) as work:
        return campaign_policy(NINGHE, day, work.session).insurance_year


def test_two_campaigns_open_at_once_and_each_day_belongs_to_one(engine: Engine) -> None:
    with uow(engine, "admin") as work:
        seed_district(work, NINGHE)
    plan, text = ninghe_2024()
    with uow(engine, "admin") as work:
        store.add_policy(work, "ninghe-2024.yaml", plan, document=text, by=admin(NINGHE))
    # No campaign opened: no plan is guessed (the latest plan took over too early, before campaigns).
    with at(engine, date(2023, 5, 1)) as work, pytest.raises(YibaoError) as none_yet:
        campaign_policy(NINGHE, date(2023, 5, 1), work.session)
    assert none_yet.value.code == "CAMPAIGN_NONE_OPEN"

    with at(engine, date(2022, 9, 1)) as work:
        opened = open_campaign(work, admin(NINGHE), "tianjin-ninghe-2023")
    assert (opened.insurance_year, opened.window_open) == (2023, True)
    assert year_on(engine, date(2023, 5, 1)) == 2023  # the 2024 plan exists, its campaign is not open
    with at(engine, date(2023, 9, 1)) as work:
        open_campaign(work, admin(NINGHE), "tianjin-ninghe-2024")
    assert year_on(engine, date(2023, 8, 20)) == 2023  # before next year's window
    assert year_on(engine, date(2023, 10, 10)) == 2024  # in next year's window
    assert year_on(engine, date(2024, 3, 1)) == 2024
    with at(engine, date(2023, 10, 10)) as work:
        listed = {view.insurance_year: view.window_open for view in list_campaigns(work, NINGHE)}
        assert listed == {2023: False, 2024: True}
        assert progress_report(work, admin(NINGHE), date(2023, 10, 10), 2023).insurance_year == 2023

    with at(engine, date(2024, 2, 1)) as work:
        close_campaign(work, admin(NINGHE), NINGHE, 2023)
        close_campaign(work, admin(NINGHE), NINGHE, 2024)
    with at(engine, date(2024, 6, 1)) as work, pytest.raises(YibaoError) as none_open:
        campaign_policy(NINGHE, date(2024, 6, 1), work.session)
    assert none_open.value.code == "CAMPAIGN_NONE_OPEN"


def test_who_may_open_what(engine: Engine) -> None:
    with uow(engine, "admin") as work:
        seed_district(work, NINGHE)
    with at(engine, date(2022, 9, 1)) as work, pytest.raises(YibaoError) as clerk:
        open_campaign(work, operator("120117001000"), "tianjin-ninghe-2023")
    assert clerk.value.code == "FORBIDDEN"
    with at(engine, date(2022, 9, 1)) as work, pytest.raises(YibaoError) as elsewhere:
        open_campaign(work, admin("120119"), "tianjin-ninghe-2023")
    assert elsewhere.value.code == "POLICY_OTHER_DISTRICT"
    with at(engine, date(2022, 9, 1)) as work:
        first = open_campaign(work, admin(NINGHE), "tianjin-ninghe-2023")
        again = open_campaign(work, admin(NINGHE), "tianjin-ninghe-2023")
    assert again == first  # the same plan again changes nothing
    # another plan for a year already opened: refused (a plan is corrected by a revision of its own id)
    copy = (
        (POLICIES / "tianjin-ninghe-2023.yaml").read_text("utf-8").replace("tianjin-ninghe-2023", "ninghe-2023-local")
    )
    with uow(engine, "admin") as work:
        store.add_policy(work, "local.yaml", copy, by=admin(NINGHE))
    with at(engine, date(2022, 9, 2)) as work, pytest.raises(YibaoError) as taken:
        open_campaign(work, admin(NINGHE), "ninghe-2023-local")
    assert taken.value.code == "CAMPAIGN_EXISTS" and "tianjin-ninghe-2023" in taken.value.message


def test_a_household_goes_to_the_campaign_that_takes_it(engine: Engine) -> None:
    """Registered with no plan named: in next year's window, to next year's campaign; before it opens, to the
    campaign whose plan takes every member that day (this year's newborn) — never to a plan that refuses them."""
    from yibao.services.policy.campaigns import choose
    from yibao.services.policy.plans import get_policy
    from yibao.services.registry.households import HouseholdEnrollment, Member, enroll_household

    with uow(engine, "admin") as work:
        seed_district(work, NINGHE)
        plan, text = ninghe_2024()
        store.add_policy(work, "ninghe-2024.yaml", plan, document=text, by=admin(NINGHE))
    with at(engine, date(2022, 9, 1)) as work:
        open_campaign(work, admin(NINGHE), "tianjin-ninghe-2023")
    with at(engine, date(2023, 8, 15)) as work:  # opened early, before its window
        open_campaign(work, admin(NINGHE), "tianjin-ninghe-2024")

    def household(day: date, born: date, sequence: int) -> HouseholdEnrollment:
        number = idnumber.make(NINGHE, born, sequence)
        moment = datetime(day.year, day.month, day.day, 9, tzinfo=SHANGHAI)
        return HouseholdEnrollment("", "120117001000", "village", moment, (Member(number, "新户", "户主"),))

    def enrolled_year(day: date, born: date, sequence: int) -> int:
        with at(engine, day) as work:
            member = enroll_household(work, operator("120117001000"), household(day, born, sequence))[0]
            return int(member.assessment["insurance_year"])

    assert enrolled_year(date(2023, 8, 20), date(2023, 7, 1), 11) == 2023  # this year's newborn, before the window
    assert enrolled_year(date(2023, 10, 10), date(1970, 1, 1), 12) == 2024  # an adult in next year's window
    with at(engine, date(2023, 8, 20)) as work, pytest.raises(YibaoError) as refused:  # no path takes an adult
        enroll_household(work, operator("120117001000"), household(date(2023, 8, 20), date(1971, 1, 1), 13))
    assert refused.value.code == "NOT_ELIGIBLE"

    with at(engine, date(2024, 1, 10)) as work:
        plans = [get_policy(p, work.session) for p in ("tianjin-ninghe-2023", "tianjin-ninghe-2024")]
    day = date(2024, 1, 10)  # no window open: the day's year, unless only another plan takes the people
    assert choose(plans, day).insurance_year == 2024
    assert choose(plans, day, lambda plan: plan.insurance_year == 2023).insurance_year == 2023
    assert choose(plans, day, lambda plan: False).insurance_year == 2024
    assert choose(plans, date(2023, 10, 10), lambda plan: plan.insurance_year == 2023).insurance_year == 2024
