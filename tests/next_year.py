"""A next-year plan as a bureau writes it: last year's file and text with every year moved on by one and new
amounts where the plan changes them (宁河 2024: the high tier at 1020 元)."""

from __future__ import annotations

import re
from pathlib import Path

POLICIES = Path(__file__).parents[1] / "src" / "yibao" / "policies"


def moved_on(text: str, year: int, amounts: dict[int, int]) -> str:
    """``text`` of insurance year ``year`` as next year's: each year (a four-digit number standing alone) one
    later, and each amount in ``amounts`` (yuan) changed, as written in the sentences and as YAML values."""
    for old in (year, year - 1):  # the insurance year first, so 2022 → 2023 does not become 2024 too
        text = re.sub(rf"(?<!\d){old}(?!\d)", str(old + 1) + "\0", text)
    text = text.replace("\0", "")
    for before, after in amounts.items():
        text = text.replace(f"{before}元", f"{after}元").replace(f"yuan: {before},", f"yuan: {after},")
    return text


def ninghe_2024(high_yuan: int = 1020) -> tuple[str, str]:
    """The 宁河 2024 plan's YAML and its published text."""
    amounts = {980: high_yuan}
    plan = moved_on((POLICIES / "tianjin-ninghe-2023.yaml").read_text("utf-8"), 2023, amounts)
    text = moved_on((POLICIES / "sources" / "tianjin-ninghe-2023.txt").read_text("utf-8"), 2023, amounts)
    return plan, text


def jizhou_2019() -> tuple[str, str]:
    """The 蓟州 2019 plan: the 2018 file and text a year on, amounts unchanged."""
    plan = moved_on((POLICIES / "tianjin-jizhou-2018.yaml").read_text("utf-8"), 2018, {})
    text = moved_on((POLICIES / "sources" / "tianjin-jizhou-2018.txt").read_text("utf-8"), 2018, {})
    return plan, text
