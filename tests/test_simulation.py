"""Plan what-if (测算): a draft plan run over this year's enrollees, checked against an independent count — one
single quote per person under the draft — to the fen, by township and by payer; who pays more or less against a
per-person comparison; a change of the payers' split (滕州); the area rule; and the CLI."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from households import numbered
from next_year import POLICIES, moved_on, ninghe_2024
from principals import admin, of_role, operator
from yibao.adapters.db.database import session_factory
from yibao.adapters.db.tables import Enrollment, IdentityFlag, Resident, Simulation
from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.domain import idnumber
from yibao.domain.errors import YibaoError
from yibao.domain.simulation import Outcome, TierRule, TierShift
from yibao.domain.timeutil import SHANGHAI
from yibao.services.access import Role
from yibao.services.policy.campaigns import open_campaign
from yibao.services.policy.plans import get_policy
from yibao.services.policy.quotes import QuoteRequest, quote
from yibao.services.policy.store import add_policy
from yibao.services.registry.areas import seed_district
from yibao.services.registry.households import HouseholdEnrollment, Member, enroll_household
from yibao.services.simulation import reports
from yibao.services.simulation.exports import headline
from yibao.services.simulation.runs import SimulationRequest, registration_moment, run_simulation

NINGHE = "120117"
LUTAI, QIAOBEI, NINGHE_TOWN = "120117001000", "120117002000", "120117101000"
NINGHE_CLOCK = datetime(2022, 10, 20, 9, tzinfo=SHANGHAI)
TENGZHOU = "370481"
JINGHE = "370481001000"
TENGZHOU_CLOCK = datetime(2018, 11, 20, 9, tzinfo=SHANGHAI)


def work_on(engine: Engine, now: datetime, actor: str = "admin") -> UnitOfWork:
    return UnitOfWork(session_factory(engine), actor=actor, now=now)


def _member(region: str, born: date, sequence: int, relation: str, **extra: Any) -> Member:
    return Member(idnumber.make(region, born, sequence), numbered("居民", sequence), relation, **extra)


def ninghe_district(engine: Engine) -> None:
    """Six households in three townships under 宁河 2023: both tiers, students and children, claimed and certified
    special groups (one of them choosing the high tier), numbers under the former county code; and the draft 宁河
    2024 (high 980 → 1020 元, low 350 → 370 元, subsidy groups unchanged) stored beside it."""
    with work_on(engine, NINGHE_CLOCK) as work:
        seed_district(work, NINGHE)
        open_campaign(work, None, "tianjin-ninghe-2023")
        households = {
            LUTAI: [
                [
                    _member(NINGHE, date(1970, 3, 1), 11, "户主", tier="high"),
                    _member(NINGHE, date(1972, 5, 2), 12, "配偶"),
                    _member(NINGHE, date(2010, 7, 3), 13, "子女"),
                ],
                [_member("120221", date(1950, 1, 4), 21, "户主", identities=("dibao",))],
            ],
            QIAOBEI: [
                [
                    _member(NINGHE, date(1985, 8, 5), 31, "户主", tier="high", identities=("severe_disability",)),
                    _member(NINGHE, date(2019, 2, 6), 32, "子女"),
                ],
                [_member(NINGHE, date(1960, 9, 7), 41, "户主", identities=("tekun",))],
            ],
            NINGHE_TOWN: [
                [
                    _member(NINGHE, date(1990, 4, 8), 51, "户主", tier="high"),
                    _member(NINGHE, date(1992, 6, 9), 52, "配偶"),
                ],
                [_member("120221", date(1945, 12, 10), 61, "户主")],
            ],
        }
        for township, families in households.items():
            for members in families:
                request = HouseholdEnrollment("tianjin-ninghe-2023", township, "village", NINGHE_CLOCK, tuple(members))
                enroll_household(work, operator(township), request)
        # 民政 certifies one claim; a certification of another kind ended before the registration does not count.
        tekun = work.session.scalars(
            select(Resident.id).where(Resident.id_number == idnumber.make(NINGHE, date(1960, 9, 7), 41))
        ).one()
        work.session.add(IdentityFlag(resident_id=tekun, identity="tekun", source="民政", valid_from=date(2022, 1, 1)))
        work.session.add(IdentityFlag(resident_id=tekun, identity="orphan", source="民政", valid_to=date(2021, 12, 31)))
        work.commit()
        plan, text = ninghe_2024(high_yuan=1020, low_yuan=370)
        assert add_policy(work, "tianjin-ninghe-2024.yaml", plan, document=text, by=admin(NINGHE)).stored


def single_quotes(engine: Engine, draft: str, year: int, moment: datetime) -> list[dict[str, Any]]:
    """The independent count: each enrollee quoted alone under the draft, as a clerk would at the counter — the
    tier kept where the draft lets an adult keep it, the identities on record on the registration day."""
    with work_on(engine, NINGHE_CLOCK) as work:
        rows = work.session.execute(
            select(Enrollment, Resident.id_number).join(Resident).where(Enrollment.insurance_year == year)
        ).all()
        quotes = []
        for enrollment, number in rows:
            day = enrollment.registered_at.astimezone(SHANGHAI).date()
            flags = work.session.scalars(
                select(IdentityFlag.identity).where(IdentityFlag.resident_id == enrollment.resident_id)
            ).all()
            valid = [
                flag.identity
                for flag in work.session.scalars(
                    select(IdentityFlag).where(IdentityFlag.resident_id == enrollment.resident_id)
                )
                if (flag.valid_from is None or flag.valid_from <= day)
                and (flag.valid_to is None or flag.valid_to >= day)
            ]
            assert set(valid) <= set(flags)
            tier = enrollment.tier if enrollment.category == "adult" else None
            answer = quote(
                QuoteRequest(draft, number, moment, tier=tier, identities=tuple(sorted(set(valid)))), work.session
            )
            quotes.append(
                {
                    "number": number,
                    "township": enrollment.township_code,
                    "now": enrollment.individual_due_fen,
                    "now_payers": enrollment.assisted_by_payer_fen,
                    **answer,
                }
            )
    return quotes


def test_ninghe_draft_equals_single_quotes_by_township_and_payer(engine: Engine, tmp_path: Path) -> None:
    ninghe_district(engine)
    with work_on(engine, NINGHE_CLOCK) as work:
        report = run_simulation(
            work, admin(NINGHE), SimulationRequest("tianjin-ninghe-2024", 2023), data_directory=tmp_path
        )
    with work_on(engine, NINGHE_CLOCK) as work:
        draft_moment = registration_moment(get_policy("tianjin-ninghe-2024", work.session), None)
    quotes = single_quotes(engine, "tianjin-ninghe-2024", 2023, draft_moment)
    assert len(quotes) == report.summary["people"]["base"] == 10
    assert all(item["eligible"] for item in quotes)

    expected: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for item in quotes:
        row = expected[item["township"]]
        row["people_new"] += 1
        row["individual_new"] += item["individual_due_fen"]
        row["government_new"] += item["government_subsidy_fen"]
        row["assisted_new"] += item["assisted_subsidy_fen"]
        row["financing_new"] += item["financing_total_fen"]
        row["payer_new__government"] += item["assisted_by_payer_fen"].get("government", 0)
        row["individual_now"] += item["now"]
        row["payer_now__government"] += item["now_payers"].get("government", 0)
    by_township = {row["key"]: row for row in report.summary["by_township"]}
    assert set(by_township) == set(expected) == {LUTAI, QIAOBEI, NINGHE_TOWN}
    for township, figures in expected.items():
        for name, value in figures.items():
            assert by_township[township][name] == value, (township, name)
    total = report.summary["total"]
    for name in ("individual_new", "payer_new__government", "individual_now", "payer_now__government"):
        assert total[name] == sum(figures[name] for figures in expected.values())
    # The rise is the tiers' own: +40 元 high, +20 元 low; the high-tier severely disabled person loses the
    # subsidy above the low tier (as in 2023) and pays the +40 元; full subsidy (特困) stays at nothing due.
    assert total["individual_new"] - total["individual_now"] > 0

    # Who pays more, less or the same: the per-person comparison.
    with work_on(engine, NINGHE_CLOCK) as work:
        page = reports.persons(work, admin(NINGHE), report.id, data_directory=tmp_path)
    persons = {row["resident_id"]: row for row in page.rows}
    assert page.total == 10
    by_number = {item["number"]: item for item in quotes}
    outcomes: dict[str, int] = defaultdict(int)
    with work_on(engine, NINGHE_CLOCK) as work:
        for resident_id, number in work.session.execute(select(Resident.id, Resident.id_number)):
            person, item = persons[resident_id], by_number[number]
            change = item["individual_due_fen"] - item["now"]
            assert person["change_fen"] == change
            expected_outcome = Outcome.RISE if change > 0 else Outcome.FALL if change < 0 else Outcome.SAME
            assert person["outcome"] == expected_outcome.value
            assert person["id_number"] == number  # the bureau may see whole numbers
            outcomes[expected_outcome.value] += 1
    assert {k: v for k, v in report.summary["outcomes"].items() if v} == dict(outcomes)
    assert outcomes[Outcome.SAME.value] == 1  # 特困: fully subsidised both years
    with work_on(engine, NINGHE_CLOCK) as work:  # nothing written to the enrollments
        assert {e.individual_due_fen for e in work.session.scalars(select(Enrollment))} <= {
            35000,
            98000,
            3500,
            63000,
            0,
        }
        assert work.session.scalar(select(Simulation.draft_policy_id)) == "tianjin-ninghe-2024"


def test_tier_rules_and_shift(engine: Engine, tmp_path: Path) -> None:
    ninghe_district(engine)
    with work_on(engine, NINGHE_CLOCK) as work:
        kept = run_simulation(
            work, admin(NINGHE), SimulationRequest("tianjin-ninghe-2024", 2023), data_directory=tmp_path
        )
        default = run_simulation(
            work,
            admin(NINGHE),
            SimulationRequest("tianjin-ninghe-2024", 2023, TierRule.DEFAULT),
            data_directory=tmp_path,
        )
        shifted = run_simulation(
            work,
            admin(NINGHE),
            SimulationRequest("tianjin-ninghe-2024", 2023, tier_shift=TierShift("low", "high", 0.5)),
            data_directory=tmp_path,
        )
        with pytest.raises(YibaoError) as unknown:
            run_simulation(
                work,
                admin(NINGHE),
                SimulationRequest("tianjin-ninghe-2024", 2023, tier_shift=TierShift("low", "middle", 0.5)),
                data_directory=tmp_path,
            )
    assert unknown.value.code == "SIMULATION_TIER_UNKNOWN"
    with work_on(engine, NINGHE_CLOCK) as work, pytest.raises(YibaoError) as outside:
        run_simulation(
            work,
            admin(NINGHE),
            SimulationRequest("tianjin-ninghe-2024", 2023, registered_on=date(2022, 9, 1)),
            data_directory=tmp_path,
        )
    assert outside.value.code == "SIMULATION_DAY_OUTSIDE" and "2023-09-01" in outside.value.message
    tiers = {row["key"]: row["people_new"] for row in kept.summary["by_tier"]}
    assert tiers == {"high": 3, "low": 7}
    assert {row["key"]: row["people_new"] for row in default.summary["by_tier"]} == {"high": 0, "low": 10}
    # Half of the adults at the low tier whose category may take the high one move up (students stay low).
    moved = {row["key"]: row["people_new"] for row in shifted.summary["by_tier"]}
    assert moved["high"] > 3 and moved["high"] + moved["low"] == 10
    assert not shifted.summary["newly_refused"]
    assert any("档次转移" in line for line in shifted.assumptions)
    assert any("保留本年度缴费档次" in line for line in kept.assumptions)


def test_reports_belong_to_their_district(engine: Engine, tmp_path: Path) -> None:
    ninghe_district(engine)
    with work_on(engine, NINGHE_CLOCK) as work:
        report = run_simulation(
            work, admin(NINGHE), SimulationRequest("tianjin-ninghe-2024", 2023), data_directory=tmp_path
        )
        finance = of_role(Role.FINANCE, "120117000000")
        assert reports.get_report(work, finance, report.id).id == report.id
        for outsider, code in (
            (operator(LUTAI), "FORBIDDEN"),  # a township's clerk does not simulate
            (of_role(Role.INSPECTOR, "120117000000"), "FORBIDDEN"),
            (admin("120119000000"), "SIMULATION_UNKNOWN"),  # another district's bureau: no such report
        ):
            for call in (
                lambda p: reports.get_report(work, p, report.id),
                lambda p: reports.persons(work, p, report.id, data_directory=tmp_path),
                lambda p: reports.township_summary(work, p, report.id, LUTAI, data_directory=tmp_path),
            ):
                with pytest.raises(YibaoError) as refused:
                    call(outsider)
                assert refused.value.code == code
        assert reports.list_reports(work, admin("120119000000")) == []
        with pytest.raises(YibaoError) as other:
            run_simulation(
                work, admin("120119000000"), SimulationRequest("tianjin-ninghe-2024", 2023), data_directory=tmp_path
            )
        assert other.value.code == "POLICY_OTHER_DISTRICT"


def tengzhou_draft(city_share: str, street_share: str) -> str:
    """滕州 2020: the 2019 file a year on, with the family-planning subsidy split city/street as given."""
    text = moved_on((POLICIES / "tengzhou-jinghe-2019.yaml").read_text("utf-8"), 2019, {})
    before = "payers: [{payer: city, share: 0.5}, {payer: street, share: 0.5}]"
    assert before in text
    text = text.replace(
        before, f"payers: [{{payer: city, share: {city_share}}}, {{payer: street, share: {street_share}}}]"
    )
    return re.sub(
        r"个人缴费部分由市、街道财政各承担50%。",
        f"个人缴费部分由市财政承担{int(float(city_share) * 100)}%、街道财政承担{int(float(street_share) * 100)}%。",
        text,
    )


def test_tengzhou_draft_shows_each_payers_budget_change(engine: Engine, tmp_path: Path) -> None:
    with work_on(engine, TENGZHOU_CLOCK) as work:
        seed_district(work, TENGZHOU, [JINGHE])
        open_campaign(work, None, "tengzhou-jinghe-2019")
        families = [
            [
                _member(TENGZHOU, date(1980, 1, 1), 71, "户主", identities=("family_planning",)),
                _member(TENGZHOU, date(2008, 1, 2), 72, "子女", identities=("family_planning",)),
            ],
            [_member(TENGZHOU, date(1946, 3, 3), 81, "户主")],  # over 70: the city alone
            [_member(TENGZHOU, date(1975, 4, 4), 91, "户主")],
        ]
        for members in families:
            enroll_household(
                work,
                operator(JINGHE),
                HouseholdEnrollment("tengzhou-jinghe-2019", JINGHE, "community", TENGZHOU_CLOCK, tuple(members)),
            )
        added = add_policy(work, "tengzhou-jinghe-2020.yaml", tengzhou_draft("0.7", "0.3"), by=admin(TENGZHOU))
        assert added.stored, added.report.citation_problems
        report = run_simulation(
            work, admin(TENGZHOU), SimulationRequest("tengzhou-jinghe-2020", 2019), data_directory=tmp_path
        )
        stored = work.session.execute(select(Enrollment.assisted_subsidy_fen, Enrollment.assisted_by_payer_fen)).all()
    total = report.summary["total"]
    family_planning = [(subsidy or 0, payers) for subsidy, payers in stored if "street" in payers]
    assert len(family_planning) == 2
    assert total["payer_now__street"] == sum(payers["street"] for _, payers in family_planning)
    assert total["payer_now__street"] * 2 == sum(subsidy for subsidy, _ in family_planning)  # 50/50 this year
    # The draft: the city 70 % (rounded half up), the street the rest; the same individual amounts.
    street_new = sum(subsidy - (subsidy * 7 + 5) // 10 for subsidy, _ in family_planning)
    assert total["payer_new__street"] == street_new
    assert total["payer_new__city"] - total["payer_now__city"] == total["payer_now__street"] - street_new
    assert total["individual_new"] == total["individual_now"]
    assert report.payer_names == {"city": "市财政", "street": "街道财政"}
    assert any("街道财政承担" in line for line in headline(report))


def test_waiting_and_unenrolled_people(engine: Engine, tmp_path: Path) -> None:
    """An enrollment not yet assessed is assessed under this year's plan for its this-year side; a resident not
    enrolled this year joins the base only when asked, and counts as enrolled under both plans."""
    ninghe_district(engine)
    waiting_number = idnumber.make(NINGHE, date(1988, 2, 2), 101)
    with work_on(engine, NINGHE_CLOCK) as work:
        waiting = Resident(
            id_number=waiting_number, name="居民一零一", sex="male", birth_date=date(1988, 2, 2), township_code=LUTAI
        )
        absent = Resident(
            id_number=idnumber.make(NINGHE, date(1966, 6, 6), 102),
            name="居民一零二",
            sex="male",
            birth_date=date(1966, 6, 6),
            township_code=QIAOBEI,
        )
        work.session.add_all([waiting, absent])
        work.session.flush()
        work.session.add(
            Enrollment(
                resident_id=waiting.id,
                insurance_year=2023,
                policy_id="tianjin-ninghe-2023",
                policy_hash="0" * 64,
                township_code=LUTAI,
                channel="village",
                state="registered",
                tier="high",
                registered_at=NINGHE_CLOCK,
            )
        )
        work.commit()
        plain = run_simulation(
            work, admin(NINGHE), SimulationRequest("tianjin-ninghe-2024", 2023), data_directory=tmp_path
        )
        wider = run_simulation(
            work,
            admin(NINGHE),
            SimulationRequest("tianjin-ninghe-2024", 2023, include_unenrolled=True, registered_on=date(2023, 10, 9)),
            data_directory=tmp_path,
        )
        current = quote(QuoteRequest("tianjin-ninghe-2023", waiting_number, NINGHE_CLOCK, tier="high"), work.session)
        found = reports.persons(work, admin(NINGHE), plain.id, data_directory=tmp_path).rows
    assert plain.summary["people"] == {"base": 11, "enrolled": 11, "eligible_now": 11, "eligible_new": 11}
    assert any("尚未核定的1人" in line for line in plain.assumptions)
    person = next(row for row in found if row["id_number"] == waiting_number)
    assert not person["billed"] and person["individual_now"] == current["individual_due_fen"] == 98000
    assert person["individual_new"] == 102000
    assert wider.summary["people"]["base"] == 12 and wider.summary["people"]["enrolled"] == 11
    assert any("另加未参保的登记人员1人" in line for line in wider.assumptions)
    assert any("2023年10月09日12:00" in line for line in wider.assumptions)
