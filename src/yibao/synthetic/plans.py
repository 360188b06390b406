"""Next year's plan as a bureau drafts it: last year's file and published text with every year moved on by one and
new amounts where the plan changes them. For tests, the demo's what-if and the benchmarks; never a use case."""

from __future__ import annotations

import re

from yibao.adapters import policy_files
from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.domain.policy import Policy
from yibao.services.policy.store import add_policy


def moved_on(text: str, year: int, amounts: dict[int, int]) -> str:
    """``text`` of insurance year ``year`` as next year's: each year (a four-digit number standing alone) one
    later, and each amount in ``amounts`` (yuan) changed, as written in the sentences and as YAML values."""
    for old in (year, year - 1):  # the insurance year first, so 2022 → 2023 does not become 2024 too
        text = re.sub(rf"(?<!\d){old}(?!\d)", str(old + 1) + "\0", text)
    text = text.replace("\0", "")
    # All at once, so that 160 → 180 and 180 → 200 do not make the first 200.
    text = _at_once(text, {f"{before}元": f"{after}元" for before, after in amounts.items()}, r"(?<!\d)")
    return _at_once(text, {f"yuan: {before},": f"yuan: {after}," for before, after in amounts.items()})


def next_year_plan(policy_id: str, amounts: dict[int, int]) -> tuple[str, str | None]:
    """A bundled plan's file and published text a year on, with ``amounts`` changed (yuan → yuan)."""
    year = int(policy_id.rsplit("-", 1)[1])
    plan = moved_on(policy_files.bundled_text(policy_id), year, amounts)
    source = policy_files.bundled_source(policy_id)
    return plan, None if source is None else moved_on(source, year, amounts)


def next_year_draft(policy_id: str, raise_yuan: int) -> str:
    """A bundled plan's next-year draft with every tier's individual contribution raised by ``raise_yuan`` — in its
    sentences, its YAML values and, where a tier states its financing total on a table row (蓟州: 成年居民中档 1270
    830 440), that row and total too. YAML only: a draft has no published text yet."""
    policy = policy_files.load_bundled(policy_id)
    text = moved_on(policy_files.bundled_text(policy_id), policy.insurance_year, {})
    own = {int(tier.individual.yuan): int(tier.individual.yuan) + raise_yuan for tier in policy.tiers.values()}
    values = dict(own)
    rows: dict[str, str] = {}
    for tier in policy.tiers.values():
        if tier.financing_total is not None:
            total, subsidy, paid = (
                int(x.yuan) for x in (tier.financing_total, tier.government_subsidy, tier.individual)
            )
            values[total] = total + raise_yuan
            rows[f" {total} {subsidy} {paid}"] = f" {total + raise_yuan} {subsidy} {paid + raise_yuan}"
    # Each kind of place in one pass, so that one tier's new figure is never taken for another's old one.
    text = _at_once(text, {f"{before}元": f"{after}元" for before, after in own.items()}, r"(?<!\d)")
    text = _at_once(text, {f"yuan: {before},": f"yuan: {after}," for before, after in values.items()})
    return _at_once(text, rows)


def _at_once(text: str, replacements: dict[str, str], before: str = "") -> str:
    if not replacements:
        return text
    pattern = before + "(" + "|".join(re.escape(key) for key in sorted(replacements, key=len, reverse=True)) + ")"
    return re.sub(pattern, lambda match: replacements[match.group(1)], text)


def add_next_year_draft(uow: UnitOfWork, policy: Policy, raise_yuan: int) -> str:
    """Store a bundled plan's next-year draft (:func:`next_year_draft`) in the policy store, as a bureau adds its
    draft before the plan is signed; its name, for the what-if (方案测算)."""
    year = policy.insurance_year
    added = add_policy(
        uow,
        f"{policy.id.removesuffix(str(year))}{year + 1}.yaml",
        next_year_draft(policy.id, raise_yuan),
        note=f"演示：下年度方案草案，各档个人缴费各增加{raise_yuan}元",
        by=None,
    )
    return added.stored.name if added.stored else ""
