"""Policy files: the bundled plans in ``yibao/policies/`` and files a bureau writes, read from YAML."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

import yaml

from yibao.domain.errors import YibaoError
from yibao.domain.policy import Policy, parse_policy

_BUNDLED = resources.files("yibao.policies")


def bundled_ids() -> list[str]:
    return sorted(entry.name.removesuffix(".yaml") for entry in _BUNDLED.iterdir() if entry.name.endswith(".yaml"))


def _parse_yaml(text: str, source: str) -> Policy:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as problem:
        raise YibaoError("POLICY_UNREADABLE", source=source, problem=str(problem)) from None
    return parse_policy(data, source=source)


@cache
def load_bundled(policy_id: str) -> Policy:
    return _parse_yaml(bundled_text(policy_id), f"{policy_id}.yaml")


def parse_text(text: str, source: str) -> Policy:
    """A plan from its YAML text (a stored revision, an upload); ``source`` names it in errors."""
    return _parse_yaml(text, source)


def load_file(path: Path) -> Policy:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as problem:
        raise YibaoError("POLICY_UNREADABLE", source=str(path), problem=str(problem)) from None
    return _parse_yaml(text, path.name)


def bundled_text(policy_id: str) -> str:
    """A bundled plan's YAML as written (a next year's draft starts from it)."""
    if policy_id not in bundled_ids():
        raise YibaoError("POLICY_UNKNOWN", field="policy", policy=policy_id, available=", ".join(bundled_ids()))
    return _BUNDLED.joinpath(f"{policy_id}.yaml").read_text(encoding="utf-8")


def bundled_source(policy_id: str) -> str | None:
    """The published text a bundled policy was written from, for checking its quotations."""
    source = _BUNDLED.joinpath("sources", f"{policy_id}.txt")
    return source.read_text(encoding="utf-8") if source.is_file() else None


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as problem:
        raise YibaoError("POLICY_UNREADABLE", source=str(path), problem=str(problem)) from None
