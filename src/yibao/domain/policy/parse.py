"""From a plain mapping (parsed YAML) to a validated :class:`Policy`, with errors that name file and key."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from yibao.domain.errors import YibaoError
from yibao.domain.policy.checks import PolicyInconsistency
from yibao.domain.policy.model import Policy


def _dotted(location: tuple[int | str, ...]) -> str:
    path = ""
    for part in location:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "(root)"


def parse_policy(data: Any, *, source: str) -> Policy:
    """Validate; raise one :class:`YibaoError` per file listing every problem the schema found."""
    if not isinstance(data, dict):
        raise YibaoError("POLICY_INVALID", source=source, field="(root)", problem="not a mapping of keys")
    try:
        return Policy.model_validate(data)
    except PolicyInconsistency as inconsistency:
        raise YibaoError(
            "POLICY_INVALID", field=inconsistency.field, source=source, problem=inconsistency.problem
        ) from None
    except ValidationError as invalid:
        problems = [(_dotted(e["loc"]), _describe(e)) for e in invalid.errors(include_url=False)]
        first_field = problems[0][0]
        listing = "; ".join(f"{field}: {problem}" for field, problem in problems)
        raise YibaoError("POLICY_INVALID", field=first_field, source=source, problem=listing) from None


def _describe(error: Any) -> str:
    if error["type"] == "extra_forbidden":
        return "unknown key (未知字段)"
    if error["type"] == "missing":
        return "required key missing (缺少必填字段)"
    message: str = error["msg"]
    return message.removeprefix("Value error, ")
