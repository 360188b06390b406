"""Where a plan rests on each of its assumptions: the values that cite it, by their place in the file.

`yibao policy show` prints them beside each assumption, so a reader sees the behaviour an assumption causes, and
a test holds every bundled assumption to at least one value (a statement that no value cites changes nothing).
"""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import BaseModel

from yibao.domain.policy.citations import Cited
from yibao.domain.policy.model import Policy

SECTION_NAMES = {
    "eligibility": "参保范围",
    "enrollment": "参保缴费",
    "tiers": "缴费档次",
    "categories": "人员类别",
    "default_category": "默认人员类别",
    "payers": "资金承担",
    "assisted": "资助参保",
    "benefit_period": "待遇享受期",
    "reimbursement": "报销",
    "targets": "任务指标",
}


def _cited(value: object, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], Cited]]:
    if isinstance(value, Cited):
        yield path, value
    if isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _cited(getattr(value, name), (*path, name))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _cited(item, (*path, str(key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            # A list item with an id (a window, a group) is named by it rather than by its position.
            yield from _cited(item, (*path, str(getattr(item, "id", None) or index)))


def assumption_uses(policy: Policy) -> dict[str, list[str]]:
    """Assumption id → the places (``资助参保.groups.full.benefit_tier``) whose value cites it, in file order."""
    uses: dict[str, list[str]] = {assumption.id: [] for assumption in policy.assumptions}
    for section in SECTION_NAMES:
        for path, cited in _cited(getattr(policy, section), (SECTION_NAMES[section],)):
            for assumption_id in cited.assumption_ids:
                uses.setdefault(assumption_id, []).append(".".join(path))
    return uses
