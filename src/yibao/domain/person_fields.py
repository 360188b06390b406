"""One validation per field of a person, for every entry path: the counter and the API (a household, a resident),
an information change, a roster and a department's list. Each rule is written once, as a pattern, and used in
scalar form (:func:`check_name`, :func:`check_phone`) by the paths that take one person and in vectorized form
(:func:`name_problem`, :func:`phone_problem`) by the sheet imports — as :mod:`yibao.domain.money` does for
rounding — so a phone the counter refuses, the roster refuses too.
"""

from __future__ import annotations

import re

import polars as pl

from yibao.domain.errors import YibaoError
from yibao.domain.vocabulary import RESIDENCIES, RESIDENCY_SHORT

# A name: Chinese characters (the basic block and its extensions), or Latin letters for a foreign resident,
# with the middle dot of transcribed names (阿卜杜·热合曼) and single spaces; 2 to 40 characters.
_NAME_CHARACTERS = r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134fA-Za-z]"
NAME = rf"^{_NAME_CHARACTERS}(?:{_NAME_CHARACTERS}|[· ])*{_NAME_CHARACTERS}$"  # no look-around: polars' regex has none
NAME_MAX = 40
# The dots people type for 间隔号 (·): the ideographic, katakana, bullet and full-width forms.
_DOTS = "．・•‧∙"
# A mainland mobile (11 digits from 13–19), a landline with its area code (0xx-xxxxxxxx), or a local 7–8 digits.
PHONE = r"^(1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8}|[0-9]{7,8})$"


_CJK = r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]"
_CJK_SPACE = rf"({_CJK}) ({_CJK})"  # a space typed inside a Chinese name (李 四 is 李四)


def normalized_name(value: str) -> str:
    """A name as stored: trimmed, inner runs of white space one space and none between Chinese characters,
    every form of the middle dot as ·."""
    name = " ".join(value.split())
    for dot in _DOTS:
        name = name.replace(dot, "·")
    for _ in range(2):  # twice: a match consumes the character the next one would start from
        name = re.sub(_CJK_SPACE, r"\1\2", name)
    return name.replace(" · ", "·")


def check_name(value: str | None, *, row: int | None = None) -> str:
    """The name as stored, or NAME_REQUIRED (blank, white space only) / NAME_INVALID (digits, punctuation, one
    character, too long)."""
    name = normalized_name(value or "")
    if not name:
        raise YibaoError("NAME_REQUIRED", field="name", row=row)
    if len(name) > NAME_MAX or not re.match(NAME, name):
        raise YibaoError("NAME_INVALID", field="name", row=row, value=name[:NAME_MAX])
    return name


def check_residency(value: str, *, row: int | None = None) -> str:
    """A residency code (本市户籍, 持居住证, 随迁子女, 外地无居住证), or RESIDENCY_UNKNOWN naming them in Chinese."""
    if value not in RESIDENCIES:
        allowed = "、".join(f"{name}（{code}）" for code, name in RESIDENCY_SHORT.items())
        raise YibaoError("RESIDENCY_UNKNOWN", field="residency", row=row, value=value, allowed=allowed)
    return value


def check_phone(value: str | None, *, row: int | None = None) -> str | None:
    """The phone as stored (None where none was given), or PHONE_INVALID."""
    phone = (value or "").strip()
    if not phone:
        return None
    if not re.match(PHONE, phone):
        raise YibaoError("PHONE_INVALID", field="phone", row=row, value=phone)
    return phone


def name_expr(given: pl.Expr) -> pl.Expr:
    """:func:`normalized_name` over a column (null stays null; blank becomes null)."""
    name = given.str.strip_chars().str.replace_all(r"\s+", " ")
    for dot in _DOTS:
        name = name.str.replace_all(dot, "·", literal=True)
    for _ in range(2):
        name = name.str.replace_all(_CJK_SPACE, "${1}${2}")
    name = name.str.replace_all(" · ", "·", literal=True)
    return pl.when(name == "").then(None).otherwise(name)


def name_problem(name: pl.Expr) -> pl.Expr:
    """The error code of a normalized name column (:func:`name_expr`), null where it is good."""
    return (
        pl.when(name.is_null())
        .then(pl.lit("NAME_REQUIRED"))
        .when((name.str.len_chars() > NAME_MAX) | ~name.str.contains(NAME))
        .then(pl.lit("NAME_INVALID"))
    )


def phone_problem(phone: pl.Expr) -> pl.Expr:
    """Whether a given phone column holds a phone the counter would refuse (null and blank are no phone)."""
    trimmed = phone.str.strip_chars()
    return trimmed.is_not_null() & (trimmed != "") & ~trimmed.str.contains(PHONE)
