"""Who says a resident is in a special group (低保, 重度残疾 …): one definition of "certified" for the assessment,
the cross-check and the coverage goals.

A department's list certifies an identity (its source is the department: 民政, 残联 …). A clerk at the counter or
a village's roster only claims one: the claim is recorded with what the clerk saw (the certificate and its number)
and stays provisional until a department's list names the person. What a provisional claim does to the amount
due is each plan's stated rule (``assisted.claims``); the cross-check reports every subsidy resting on a claim
alone, and a special group's coverage counts only certified people.
"""

from __future__ import annotations

COUNTER_SOURCE = "柜台"  # typed by a clerk at the counter (or sent through the API)
ROSTER_SOURCE = "名册"  # a roster's 特殊身份 column
CLAIM_SOURCES = (COUNTER_SOURCE, ROSTER_SOURCE)


def is_certified(source: str) -> bool:
    return source not in CLAIM_SOURCES


def source_text(source: str) -> str:
    """How a page names where an identity comes from."""
    if source == COUNTER_SOURCE:
        return "柜台申报，待部门确认"
    if source == ROSTER_SOURCE:
        return "名册申报，待部门确认"
    return f"{source}认定"
