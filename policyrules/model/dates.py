"""Dates as this library reads them, everywhere (strikes, rule files, policy refs, columns):
``YYYY-MM-DD`` only, from :data:`MIN_DATE` to :data:`MAX_DATE`.

Python 3.11's ``date.fromisoformat`` also reads ``20240601`` and week dates (``2024-W22-6``),
and Pydantic reads ``2024-06-01T00:00:00`` or a Unix time as a date: none of them is a date here.
The range keeps every date a day away from Python's limits, so date arithmetic never overflows.
"""

from __future__ import annotations

import datetime as dt
import re

MIN_DATE = dt.date(1900, 1, 1)
MAX_DATE = dt.date(2200, 12, 31)
# The JSON Schema form of a date: YYYY-MM-DD within MIN_DATE..MAX_DATE.
DATE_PATTERN = r"^(19[0-9]{2}|2[01][0-9]{2}|2200)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
#: The one text form of a date.
DATE_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_PARSED: dict[str, dt.date] = {}
_MAX_CACHED = 100_000


class DateError(ValueError):
    """A value that is not a date this library takes. ``code``: ``date_type`` (not text or a date),
    ``date_format`` (text not in YYYY-MM-DD form, or no such day) or ``date_range`` (outside
    MIN_DATE..MAX_DATE)."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(message)


def parse_date(value: object) -> dt.date:
    """``value`` (text ``YYYY-MM-DD``, surrounding spaces ignored, or a ``date``) as a date in range;
    a :class:`DateError` (a ValueError) saying what is wrong."""
    if isinstance(value, str):
        known = _PARSED.get(value) if type(value) is str else None
        if known is not None:
            return known
        text = value.strip()
        if not DATE_TEXT.fullmatch(text):
            raise DateError("date_format", "not a date in YYYY-MM-DD form")
        try:
            day = dt.date.fromisoformat(text)
        except ValueError:
            raise DateError("date_format", "not a date in YYYY-MM-DD form") from None
        in_range(day)
        if type(value) is str and len(_PARSED) < _MAX_CACHED:
            _PARSED[value] = day
        return day
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return in_range(value)
    raise DateError("date_type", f"a date (YYYY-MM-DD), not {type(value).__name__}")


def in_range(day: dt.date) -> dt.date:
    """``day``, or a :class:`DateError` when it is outside :data:`MIN_DATE` to :data:`MAX_DATE`."""
    if not MIN_DATE <= day <= MAX_DATE:
        raise DateError("date_range", f"out of range ({MIN_DATE.isoformat()} to {MAX_DATE.isoformat()})")
    return day
