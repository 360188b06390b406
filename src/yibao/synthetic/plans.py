"""Next year's plan as a bureau drafts it: last year's file and published text with every year moved on by one and
new amounts where the plan changes them. For tests, the demo's what-if and the benchmarks; never a use case."""

from __future__ import annotations

import re

from yibao.adapters import policy_files


def moved_on(text: str, year: int, amounts: dict[int, int]) -> str:
    """``text`` of insurance year ``year`` as next year's: each year (a four-digit number standing alone) one
    later, and each amount in ``amounts`` (yuan) changed, as written in the sentences and as YAML values."""
    for old in (year, year - 1):  # the insurance year first, so 2022 → 2023 does not become 2024 too
        text = re.sub(rf"(?<!\d){old}(?!\d)", str(old + 1) + "\0", text)
    text = text.replace("\0", "")
    for before, after in amounts.items():
        text = text.replace(f"{before}元", f"{after}元").replace(f"yuan: {before},", f"yuan: {after},")
    return text


def next_year_plan(policy_id: str, amounts: dict[int, int]) -> tuple[str, str | None]:
    """A bundled plan's file and published text a year on, with ``amounts`` changed (yuan → yuan)."""
    year = int(policy_id.rsplit("-", 1)[1])
    plan = moved_on(policy_files.bundled_text(policy_id), year, amounts)
    source = policy_files.bundled_source(policy_id)
    return plan, None if source is None else moved_on(source, year, amounts)
