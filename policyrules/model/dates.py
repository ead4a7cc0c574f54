"""Dates as this library reads them, everywhere (strikes, rule files, policy refs): ``YYYY-MM-DD``
only, from :data:`MIN_DATE` to :data:`MAX_DATE`.

Python 3.11's ``date.fromisoformat`` also reads ``20240601`` and week dates (``2024-W22-6``),
and Pydantic reads ``2024-06-01T00:00:00`` or a Unix time as a date: none of them is a date here.
The range keeps every date a day away from Python's limits, so date arithmetic never overflows.
"""

from __future__ import annotations

import datetime as dt
import re

MIN_DATE = dt.date(1900, 1, 1)
MAX_DATE = dt.date(2200, 12, 31)
#: The one text form of a date.
DATE_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_date(text: str) -> dt.date:
    """``YYYY-MM-DD`` (surrounding spaces ignored) as a date in range; a ValueError saying what is wrong."""
    plain = text.strip()
    if not DATE_TEXT.fullmatch(plain):
        raise ValueError("not a date in YYYY-MM-DD form")
    try:
        day = dt.date.fromisoformat(plain)
    except ValueError as e:
        raise ValueError(f"not a valid date: {e}") from None
    return in_range(day)


def in_range(day: dt.date) -> dt.date:
    """``day``, or a ValueError when it is outside :data:`MIN_DATE` to :data:`MAX_DATE`."""
    if not MIN_DATE <= day <= MAX_DATE:
        raise ValueError(f"out of range ({MIN_DATE.isoformat()} to {MAX_DATE.isoformat()})")
    return day
