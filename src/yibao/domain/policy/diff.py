"""What changed between two plans — last year's and this year's, or two revisions of one — value by value, each
with the sentence it is quoted from, so a bureau reviewing next year's file sees every amount, date and group
that moved and why."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from yibao.domain.policy.model import Policy

IGNORED = ("id", "insurance_year", "name", "documents")  # that these differ is the point of a new year's plan


@dataclass(frozen=True)
class Change:
    path: str  # tiers.high.individual.yuan
    before: Any  # None where the value is new
    after: Any  # None where the value is gone
    clause: str | None  # the sentence the value is quoted from now (or was, where it is gone)


def _flatten(node: Any, path: str, into: dict[str, Any]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            _flatten(value, f"{path}.{key}" if path else str(key), into)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            _flatten(value, f"{path}[{index}]", into)
    else:
        into[path] = node


def _clause_of(path: str, values: dict[str, Any]) -> str | None:
    """The quoted sentence of the value at ``path``: its own clause, or the nearest enclosing one."""
    parts = path.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        text = values.get(".".join([*parts[:cut], "clause", "text"]))
        if text is not None:
            return str(text)
    return None


def policy_diff(before: Policy, after: Policy) -> list[Change]:
    """Every value that differs (quoted sentences included), in the order of the newer plan."""
    old: dict[str, Any] = {}
    new: dict[str, Any] = {}
    _flatten(before.model_dump(mode="json"), "", old)
    _flatten(after.model_dump(mode="json"), "", new)
    changes = []
    for path in [*new, *(path for path in old if path not in new)]:
        if path.split(".")[0].split("[")[0] in IGNORED:
            continue
        if old.get(path) != new.get(path):
            clause = _clause_of(path, new) if path in new else _clause_of(path, old)
            changes.append(Change(path, old.get(path), new.get(path), clause))
    return changes
