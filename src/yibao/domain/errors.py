"""Errors with a stable code and a Chinese message (English beside it).

The API returns ``{code, message, message_en, field, row}``; the CLI prints the message and exits non-zero;
bulk checks collect one per bad row. Codes never change meaning once published.
"""

from __future__ import annotations

from typing import Any

from yibao.domain.error_catalog import CATALOG as CATALOG


class YibaoError(Exception):
    """A refusal the user can act on: stable code, Chinese message, and where it happened."""

    def __init__(self, code: str, *, field: str | None = None, row: int | None = None, **params: Any) -> None:
        if code not in CATALOG:
            raise KeyError(f"undeclared error code {code}")
        self.code = code
        self.field = field
        self.row = row
        self.params = params
        zh, en = CATALOG[code]
        self.message = zh.format(field=field, row=row, **params)
        self.message_en = en.format(field=field, row=row, **params)
        super().__init__(f"[{code}] {self.message}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "message_en": self.message_en,
            "field": self.field,
            "row": self.row,
        }


def message_for(code: str, **params: Any) -> tuple[str, str]:
    """Chinese and English text for a code, for warnings that are reported rather than raised."""
    zh, en = CATALOG[code]
    return zh.format(**params), en.format(**params)
