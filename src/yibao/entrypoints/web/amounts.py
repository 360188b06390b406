"""What a clerk types for money on a form: an amount in yuan, and a list of people with what was collected for
each — read one way for every form that takes them (a collection batch, a village's register)."""

from __future__ import annotations

import re
from decimal import InvalidOperation

from yibao.domain.errors import YibaoError
from yibao.domain.money import yuan_to_fen

LINE = re.compile(r"^\s*(\d+)\s*[,，\s]\s*([\d.]+)\s*$")


def amount(value: str, field: str) -> int:
    """Yuan as typed (blank: 0) in fen; a refusal naming the field otherwise."""
    try:
        return yuan_to_fen(value.strip() or "0")
    except (ValueError, InvalidOperation):
        raise YibaoError("YUAN_INVALID", field=field, value=value) from None


def people_lines(text: str, field: str = "lines") -> list[tuple[int, int]]:
    """One person a line: 参保登记编号 and the amount in yuan, separated by a comma or spaces; blank lines skipped.
    A line that reads otherwise is refused with its line number."""
    lines = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = LINE.match(line)
        if match is None:
            raise YibaoError("YUAN_INVALID", field=field, row=number, value=line.strip())
        lines.append((int(match.group(1)), amount(match.group(2), field)))
    return lines
