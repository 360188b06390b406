"""Resident ID numbers (公民身份号码, GB 11643-1999): one number at a time.

18 characters: 6-digit region, birth date YYYYMMDD, 3-digit sequence (odd male, even female), check
character. A 15-digit number (issued before 1999) upgrades by inserting "19" before the year and adding the
check character. A region prefix that is abolished or unknown is a warning: people keep numbers issued by
counties that were renamed or merged (蓟县 120225 → 蓟州区 120119).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from yibao.domain.errors import YibaoError
from yibao.domain.region_codes_data import CURRENT, HISTORICAL
from yibao.domain.timeutil import age_on

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
# CHECK_CHARACTERS[sum mod 11] == (12 - sum mod 11) mod 11, with 10 written X.
CHECK_CHARACTERS = "10X98765432"
# No living resident was born earlier; an earlier year is a typo, not a date.
MIN_BIRTH_YEAR = 1850


class Sex(StrEnum):
    MALE = "male"
    FEMALE = "female"


class RegionStatus(StrEnum):
    CURRENT = "current"
    HISTORICAL = "historical"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class IdWarning:
    code: str
    params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ResidentId:
    number: str
    region_code: str
    birth_date: date
    sequence: int
    sex: Sex
    region_status: RegionStatus
    warnings: tuple[IdWarning, ...] = ()

    def age_on(self, on: date) -> int:
        return age_on(self.birth_date, on)

    @property
    def masked(self) -> str:
        return mask(self.number)


def normalize(raw: str) -> str:
    """Full-width digits and letters (common in pasted spreadsheets) become ASCII; a lower-case x becomes X."""
    return unicodedata.normalize("NFKC", raw).strip().upper()


def check_character(first17: str) -> str:
    total = sum(int(digit) * weight for digit, weight in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARACTERS[total % 11]


def upgrade_15(number15: str) -> str:
    """15-digit number → 18-digit: "19" before the two-digit year, then the check character."""
    if len(number15) != 15 or not number15.isdigit():
        raise YibaoError("ID_NUMBER_FORMAT")
    first17 = number15[:6] + "19" + number15[6:]
    return first17 + check_character(first17)


def region_status(region_code: str) -> RegionStatus:
    if region_code in CURRENT:
        return RegionStatus.CURRENT
    if region_code in HISTORICAL:
        return RegionStatus.HISTORICAL
    return RegionStatus.UNKNOWN


def _is_ascii_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


# A number a spreadsheet stored as a number, not text: shown in scientific notation (1.10101E+17), with a decimal
# part (110101199001011237.0), or — read from a sheet's cell — 18 digits of which only the first 15 are the
# number's (a spreadsheet keeps no more): ending in 000, or the exact value of the floating-point number nearest
# to that (120119199001011232 typed comes back as 120119199001011008). The last digits are lost: the clerk must
# format the column as text and type them again. A mistyped number is taken for one about twice in a thousand.
STORED_AS_NUMBER = r"^[0-9](\.[0-9]+)?E\+?[0-9]+$|^[0-9]+\.0+$"
EIGHTEEN_DIGITS = r"^[0-9]{18}$"


def stored_as_number(number: str, *, from_sheet: bool) -> bool:
    """Whether a number that fails the check looks like a spreadsheet's number (see :data:`STORED_AS_NUMBER`)."""
    if re.search(STORED_AS_NUMBER, number):
        return True
    if not from_sheet or not re.search(EIGHTEEN_DIGITS, number):
        return False
    return number.endswith("000") or number == str(int(round(float(number) / 1000) * 1000.0))


def parse(raw: str, *, on: date, from_sheet: bool = False) -> ResidentId:
    """Validate a number as of a date; raise :class:`YibaoError` with the first problem found. ``from_sheet``:
    the number was read from a spreadsheet's cell, where trailing zeros tell a number stored as a number."""
    try:
        return _parse(raw, on=on)
    except YibaoError:
        number = normalize(raw)
        if stored_as_number(number, from_sheet=from_sheet):
            raise YibaoError("ID_NUMBER_STORED_AS_NUMBER", field="id_number", value=number) from None
        raise


def _parse(raw: str, *, on: date) -> ResidentId:
    number = normalize(raw)
    warnings: list[IdWarning] = []
    if len(number) == 15 and _is_ascii_digits(number):
        number = upgrade_15(number)
        warnings.append(IdWarning("ID_NUMBER_UPGRADED", {"number": number}))
    if len(number) != 18 or not _is_ascii_digits(number[:17]) or not (number[17].isdigit() or number[17] == "X"):
        raise YibaoError("ID_NUMBER_FORMAT", field="id_number")
    birth_text = number[6:14]
    try:
        birth = date(int(birth_text[:4]), int(birth_text[4:6]), int(birth_text[6:]))
    except ValueError:
        raise YibaoError("ID_NUMBER_BIRTH_DATE", field="id_number", birth=birth_text) from None
    if birth.year < MIN_BIRTH_YEAR:
        raise YibaoError("ID_NUMBER_BIRTH_DATE", field="id_number", birth=birth_text)
    if birth > on:
        raise YibaoError("ID_NUMBER_BIRTH_FUTURE", field="id_number", birth=birth.isoformat(), on=on.isoformat())
    expected = check_character(number[:17])
    if number[17] != expected:
        raise YibaoError("ID_NUMBER_CHECK_DIGIT", field="id_number", expected=expected)
    region = number[:6]
    status = region_status(region)
    if status is RegionStatus.HISTORICAL:
        warnings.append(IdWarning("ID_REGION_HISTORICAL", {"region": region, "name": HISTORICAL[region]}))
    elif status is RegionStatus.UNKNOWN:
        warnings.append(IdWarning("ID_REGION_UNKNOWN", {"region": region}))
    sequence = int(number[14:17])
    return ResidentId(
        number=number,
        region_code=region,
        birth_date=birth,
        sequence=sequence,
        sex=Sex.MALE if sequence % 2 else Sex.FEMALE,
        region_status=status,
        warnings=tuple(warnings),
    )


def is_valid(raw: str, *, on: date) -> bool:
    try:
        parse(raw, on=on)
    except YibaoError:
        return False
    return True


def make(region_code: str, birth: date, sequence: int) -> str:
    """Build a valid number: for synthetic data, demos and tests."""
    first17 = f"{region_code}{birth:%Y%m%d}{sequence:03d}"
    return first17 + check_character(first17)


def mask(number: str) -> str:
    """Keep the first three and last four characters: 120***********1234."""
    if len(number) <= 7:
        return "*" * len(number)
    return number[:3] + "*" * (len(number) - 7) + number[-4:]
