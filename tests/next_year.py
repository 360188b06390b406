"""A next-year plan as a bureau writes it: last year's file and text with every year moved on by one and new
amounts where the plan changes them (宁河 2024: the high tier at 1020 元)."""

from __future__ import annotations

from pathlib import Path

from yibao.synthetic.plans import moved_on

POLICIES = Path(__file__).parents[1] / "src" / "yibao" / "policies"
__all__ = ["POLICIES", "jizhou_2019", "moved_on", "ninghe_2024"]


def ninghe_2024(high_yuan: int = 1020, low_yuan: int = 350) -> tuple[str, str]:
    """The 宁河 2024 plan's YAML and its published text (the low tier, at 350 元 in 2023, moves students' and the
    subsidies' basis with it)."""
    amounts = {980: high_yuan, 350: low_yuan}
    plan = moved_on((POLICIES / "tianjin-ninghe-2023.yaml").read_text("utf-8"), 2023, amounts)
    text = moved_on((POLICIES / "sources" / "tianjin-ninghe-2023.txt").read_text("utf-8"), 2023, amounts)
    return plan, text


def jizhou_2019() -> tuple[str, str]:
    """The 蓟州 2019 plan: the 2018 file and text a year on, amounts unchanged."""
    plan = moved_on((POLICIES / "tianjin-jizhou-2018.yaml").read_text("utf-8"), 2018, {})
    text = moved_on((POLICIES / "sources" / "tianjin-jizhou-2018.txt").read_text("utf-8"), 2018, {})
    return plan, text
