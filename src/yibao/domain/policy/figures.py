"""The figures a plan's sentence writes, as a clerk of the bureau would read them: amounts in 元 (and 万元),
percentages, counts of days, months, years and people, in Arabic or Chinese numerals — so that a value whose
quoted sentence says something else (1010 where the sentence says 980元) is caught before anyone pays by it.
"""

from __future__ import annotations

import re
from decimal import Decimal

_WIDE = str.maketrans("０１２３４５６７８９．％，", "0123456789.%,")
_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000}
_CHINESE = re.compile(r"[零〇一二两三四五六七八九十百千]+")
_ARABIC = re.compile(r"(\d+(?:,\d{3})*(?:\.\d+)?)\s*(万)?(%)?")
# Words that say "the whole of it" where a share of 1 is meant (个人缴费部分由政府全额补助, 个人不缴费 …).
FULL_WORDS = ("全额", "全部", "不缴费", "免缴", "全免", "不再缴费")
HALF_WORDS = ("一半", "减半", "半额")


def chinese_number(text: str) -> int | None:
    """一百八十 → 180, 九十 → 90, 十二 → 12, 三 → 3; None where ``text`` is not a Chinese numeral."""
    total, digit = 0, None
    for character in text:
        if character in _DIGITS:
            digit = _DIGITS[character]
        elif character in _UNITS:
            total += (1 if digit is None else digit) * _UNITS[character]
            digit = None
        else:
            return None
    return total + (digit or 0)


def written_numbers(text: str) -> set[Decimal]:
    """Every number the sentence writes, as it means it: 20万 → 200000, 90% → 90 (and 0.9 among the shares)."""
    plain = text.translate(_WIDE)
    found: set[Decimal] = set()
    for match in _ARABIC.finditer(plain):
        value = Decimal(match.group(1).replace(",", ""))
        found.add(value * 10000 if match.group(2) else value)
    for match in _CHINESE.finditer(plain):
        number = chinese_number(match.group())
        if number is not None:
            found.add(Decimal(number))
    return found


def written_shares(text: str) -> set[Decimal]:
    """The shares the sentence writes: percentages as fractions, and 1 or ½ where it says so in words."""
    plain = text.translate(_WIDE)
    shares = {Decimal(match.group(1).replace(",", "")) / 100 for match in _ARABIC.finditer(plain) if match.group(3)}
    shares |= {Decimal(match.group(1)) / 100 for match in re.finditer(r"百分之(\d+)", plain)}
    shares |= {
        Decimal(value) / 100
        for match in re.finditer(r"百分之([零〇一二两三四五六七八九十百]+)", plain)
        if (value := chinese_number(match.group(1))) is not None
    }
    if any(word in plain for word in FULL_WORDS):
        shares.add(Decimal(1))
    if any(word in plain for word in HALF_WORDS):
        shares.add(Decimal("0.5"))
    return shares
