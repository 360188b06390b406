"""Errors with a stable code and a Chinese message (English beside it).

The API returns ``{code, message, message_en, field, row}`` (and ``problems``, every one of them, where a check
found several); the CLI prints the message and exits non-zero; bulk checks collect one per bad row. Codes never
change meaning once published.
"""

from __future__ import annotations

import re
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
        # Every problem, where a check finds several at once (each member of a household): this one first.
        self.problems: list[YibaoError] = [self]
        super().__init__(f"[{code}] {self.message}")

    @classmethod
    def all_of(cls, problems: list[YibaoError]) -> YibaoError:
        """One refusal that carries every problem found, the first as its own code and message: a clerk corrects
        them all in one go instead of resubmitting once per problem."""
        first = problems[0]
        first.problems = list(problems)
        return first

    def _fields(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "message_en": self.message_en,
            "field": self.field,
            "row": self.row,
        }

    def to_dict(self) -> dict[str, Any]:
        """``{code, message, message_en, field, row}``, with ``problems`` (each the same shape) where there are
        several."""
        fields = self._fields()
        if len(self.problems) > 1:
            fields["problems"] = [problem._fields() for problem in self.problems]
        return fields


def message_for(code: str, **params: Any) -> tuple[str, str]:
    """Chinese and English text for a code, for warnings that are reported rather than raised."""
    zh, en = CATALOG[code]
    return zh.format(**params), en.format(**params)


_PLACEHOLDER = re.compile(r"[“「]?\{[^}]*\}[”」]?")


def kind_of(code: str) -> str:
    """A code's kind in Chinese, for a count of problems by kind (an import's 错误分类): its message up to the
    particulars, each particular an ellipsis — "公民身份号码校验码错误：末位应为{expected}" is 公民身份号码校验码错误,
    "联系电话“{value}”格式不正确" is 联系电话…格式不正确, "人员类别“{value}”无效，可选：{allowed}" is 人员类别…无效."""
    template = CATALOG[code][0] if code in CATALOG else code
    text = _PLACEHOLDER.sub("…", template).split("：", 1)[0].removesuffix("，可选")
    return text.strip("…，") or template
