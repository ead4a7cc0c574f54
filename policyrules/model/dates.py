"""One date syntax everywhere: ``YYYY-MM-DD``, between 1900-01-01 and 2200-12-31.

Strikes, policy refs (``us@2024-05-30``) and columns all read dates here, so a form one accepts
the others accept too (Python's ``date.fromisoformat`` alone would also take ``20240601`` and
``2024-W01-1``)."""

from __future__ import annotations

import datetime as dt
import re

MIN_DATE = dt.date(1900, 1, 1)
MAX_DATE = dt.date(2200, 12, 31)
# The JSON Schema form of a date: YYYY-MM-DD within MIN_DATE..MAX_DATE.
DATE_PATTERN = r"^(19[0-9]{2}|2[01][0-9]{2}|2200)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_PARSED: dict[str, dt.date] = {}
_MAX_CACHED = 100_000


class DateError(ValueError):
    """A value that is not a date this library takes. ``code``: ``date_type`` (not text or a date),
    ``date_format`` (text not in YYYY-MM-DD form) or ``date_range`` (outside MIN_DATE..MAX_DATE)."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(message)


def parse_date(value: object) -> dt.date:
    """``value`` (text ``YYYY-MM-DD``, surrounding spaces allowed, or a ``date``) as a date."""
    if isinstance(value, str):
        known = _PARSED.get(value) if type(value) is str else None
        if known is not None:
            return known
        text = value.strip()
        if not _TEXT.fullmatch(text):
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
    if not MIN_DATE <= day <= MAX_DATE:
        raise DateError("date_range", f"out of range ({MIN_DATE.isoformat()} to {MAX_DATE.isoformat()})")
    return day
