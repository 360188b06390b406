"""One engine for one resident and for many: a bulk frame gives row for row what single quotes give."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import polars as pl

from yibao.domain import idnumber
from yibao.domain.engine import fired
from yibao.domain.engine.assess import RESULT_COLUMNS, assess
from yibao.domain.idnumber_bulk import ID_COLUMNS
from yibao.domain.timeutil import SHANGHAI
from yibao.services.policy.plans import get_policy
from yibao.services.policy.quotes import QuoteRequest, quote

IDENTITIES = ["dibao", "tekun", "severe_disability", "family_planning", "youfu", "student_loan", "poverty"]


def _residents(policy_id: str, count: int, seed: int) -> list[QuoteRequest]:
    policy = get_policy(policy_id)
    rng = random.Random(seed)
    opens = min(w.opens for w in policy.enrollment.windows)
    opens_day = opens if isinstance(opens, date) and not isinstance(opens, datetime) else opens.date()
    requests = []
    for _ in range(count):
        registered = datetime.combine(opens_day, datetime.min.time(), SHANGHAI) + timedelta(
            days=rng.randrange(0, 300), minutes=rng.randrange(0, 1440)
        )
        birth = date(rng.randrange(1935, registered.year + 1), rng.randrange(1, 13), rng.randrange(1, 29))
        birth = min(birth, registered.date())
        tier = rng.choice([None, *policy.tiers]) if rng.random() < 0.3 else None
        requests.append(
            QuoteRequest(
                policy_id=policy_id,
                id_number=idnumber.make(policy.region.code, birth, rng.randrange(1000)),
                registered_at=registered,
                paid_at=registered + timedelta(hours=rng.randrange(0, 48)) if rng.random() < 0.5 else None,
                tier=tier,
                identities=tuple(rng.sample(IDENTITIES, rng.choice([0, 0, 0, 1, 2]))),
            )
        )
    return requests


def test_bulk_rows_equal_single_quotes() -> None:
    for policy_id in (
        "tianjin-jizhou-2018",
        "tengzhou-jinghe-2019",
        "tianjin-ninghe-2023",
        "tianjin-jinghai-2022",
    ):
        policy = get_policy(policy_id)
        requests = [r for r in _residents(policy_id, 60, seed=7) if r.registered_at.date() <= policy.benefit_period.end]
        frame = pl.DataFrame(
            {
                "id_number": [r.id_number for r in requests],
                "registered_at": [r.registered_at for r in requests],
                "paid_at": [r.paid_at for r in requests],
                "tier": [r.tier for r in requests],
                "identities": [list(r.identities) for r in requests],
            },
            schema_overrides={"identities": pl.List(pl.String)},
        )
        bulk = assess(policy, frame)
        for request, row in zip(requests, bulk.iter_rows(named=True), strict=True):
            single = quote(request)
            for key in (
                "eligible",
                "reason_code",
                "category",
                "tier",
                "individual_due_fen",
                "assisted_subsidy_fen",
            ):
                column = "reason" if key == "reason_code" else key
                assert single[key] == row[column], (policy_id, request, key)
            masks = [row[name] for name in fired.mask_names(policy)]
            assert [rule["id"] for rule in single["rules"]] == fired.decode(policy, masks)


def test_invalid_id_numbers_are_rows_not_crashes() -> None:
    policy = get_policy("tianjin-jizhou-2018")
    frame = pl.DataFrame(
        {
            "id_number": ["110105194912310021", "not a number", idnumber.make("120119", date(1980, 1, 1), 1)],
            "registered_at": [datetime(2017, 10, 1, tzinfo=SHANGHAI)] * 3,
        }
    )
    result = assess(policy, frame)
    assert {*RESULT_COLUMNS, *ID_COLUMNS, *fired.mask_names(policy)} <= set(result.columns)
    assert not [name for name in result.columns if name.startswith("_")]  # no helper columns leak out
    assert result["reason"].to_list() == ["id_number_invalid", "id_number_invalid", None]
    assert result["id_error"].to_list() == ["ID_NUMBER_CHECK_DIGIT", "ID_NUMBER_FORMAT", None]


def test_rules_sharing_a_condition_share_one_term_and_keep_their_bits() -> None:
    for policy_id in (
        "tianjin-jizhou-2018",
        "tengzhou-jinghe-2019",
        "tianjin-ninghe-2023",
        "tianjin-jinghai-2022",
        "kunming-songming-2018",
    ):
        policy = get_policy(policy_id)
        rules = fired.rule_bits(policy)
        words = fired._word_terms(policy)
        assert len(words) == len(fired.mask_names(policy))
        for word, terms in enumerate(words):
            in_word = rules[word * fired.BITS_PER_WORD : (word + 1) * fired.BITS_PER_WORD]
            bits = [bits for _, bits in terms]
            assert sum(bits) == (1 << len(in_word)) - 1  # every rule's bit once, in one term
            assert all(a & b == 0 for i, a in enumerate(bits) for b in bits[i + 1 :])
            for condition, term_bits in terms:
                for position, (rule_id, rule_condition) in enumerate(in_word):
                    assert bool(term_bits >> position & 1) == rule_condition.meta.eq(condition), rule_id
        assert sum(len(terms) for terms in words) < len(rules)  # some rules do share a condition
