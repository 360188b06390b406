"""Dates and instants. Instants are timezone-aware and compared against deadlines in Asia/Shanghai."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def start_of_day(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=SHANGHAI)


def end_of_day(day: date) -> datetime:
    """The last instant of a day in Shanghai: a deadline given as a date runs through the whole day."""
    return datetime.combine(day, time.max, tzinfo=SHANGHAI)


def as_shanghai(moment: datetime) -> datetime:
    """A naive time is read as Shanghai time; an aware one is converted."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=SHANGHAI)
    return moment.astimezone(SHANGHAI)


def parse_instant(text: str) -> datetime:
    """ISO 8601 date or date-time; a date alone is the start of that day, no offset means Shanghai time."""
    value = text.strip()
    if len(value) == 10:
        return start_of_day(date.fromisoformat(value))
    return as_shanghai(datetime.fromisoformat(value))


def age_on(birth: date, on: date) -> int:
    """Completed years (周岁) on a date; someone born on 29 February turns a year older on 1 March."""
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
