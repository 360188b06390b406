"""Memoize work derived from a loaded policy (its rule index, its compiled expressions).

Policies are immutable and loaded once; they hold dicts and lists, so they are not hashable. The memo is keyed
on the object's identity and keeps the object alive, so an id is never reused while its entry exists.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

R = TypeVar("R")


def per_policy(function: Callable[[Any], R]) -> Callable[[Any], R]:
    memo: dict[int, tuple[Any, R]] = {}

    @wraps(function)
    def wrapper(policy: Any) -> R:
        entry = memo.get(id(policy))
        if entry is None or entry[0] is not policy:
            entry = (policy, function(policy))
            memo[id(policy)] = entry
        return entry[1]

    return wrapper
