"""Where a rule comes from: a seed document or a public URL, a verbatim quote, and how strong it is.

Every source carries a **grade** (see ``shared/notes/sources.md``): what the quoted sentence rests
on, from a named official on the record down to the pack's own interpretation. A verdict states its
weakest link: the grade of the source its decision rests on (:func:`rests_on`).
"""

from __future__ import annotations

import datetime as dt
from enum import Enum

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class Grade(str, Enum):
    """How strong a source is, strongest first (the weakest link wins)."""

    OFFICIAL_ON_RECORD = "official-on-record"  # a named official or a government document, in their own words
    OFFICIAL_ANONYMOUS = "official-anonymous"  # officials speaking without their names, as reported
    NEWS_REPORT = "news-report"  # a news organisation's own reporting
    SECONDARY = "secondary"  # a site that repeats or summarises others' reporting
    INTERPRETATION = "interpretation"  # the pack's own reading, where no source states the rule

    def __str__(self) -> str:
        return self.value

    @property
    def strength(self) -> int:
        """4 for an official on the record down to 0 for an interpretation."""
        return len(GRADE_WORDS) - 1 - list(GRADE_WORDS).index(self)

    @property
    def words(self) -> str:
        return GRADE_WORDS[self]


GRADE_WORDS: dict[Grade, str] = {
    Grade.OFFICIAL_ON_RECORD: "an official on the record",
    Grade.OFFICIAL_ANONYMOUS: "officials speaking anonymously",
    Grade.NEWS_REPORT: "a news organisation's own reporting",
    Grade.SECONDARY: "a secondary source (repeating others' reporting)",
    Grade.INTERPRETATION: "the pack's own interpretation",
}


class Source(BaseModel):
    """A citation: exactly one of ``document`` (a seed file name) or ``url``, a short verbatim
    ``quote``, its ``grade``, and optionally ``who`` said or reported it and on what ``date``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    document: str | None = Field(default=None, min_length=1, max_length=200)
    url: str | None = Field(default=None, pattern=r"^https?://\S+$", max_length=2000)
    quote: str = Field(min_length=1, max_length=600)
    grade: Grade | None = None
    who: str | None = Field(default=None, min_length=1, max_length=300)
    date: dt.date | None = None

    @field_validator("date", mode="before")
    @classmethod
    def _plain_date(cls, v: object) -> object:
        if isinstance(v, dt.datetime):
            raise ValueError("a date (YYYY-MM-DD), not a date and time")
        return v

    @model_validator(mode="after")
    def _one_origin(self) -> Source:
        if (self.document is None) == (self.url is None):
            raise ValueError("give exactly one of 'document' or 'url' (with 'quote')")
        return self

    @property
    def origin(self) -> str:
        return self.document if self.document is not None else str(self.url)

    def __str__(self) -> str:
        return f'{self.origin}: "{self.quote}"'

    def rests_on(self) -> str:
        """``an official on the record (Jake Sullivan, PBS NewsHour, 2024-06-17)``."""
        grade = self.grade.words if self.grade is not None else "an ungraded source"
        who = ", ".join(x for x in (self.who, self.date.isoformat() if self.date else None) if x)
        return grade + (f" ({who})" if who else "")


def weakest(sources: list[Source]) -> Source | None:
    """The weakest of some sources (an ungraded one counts as weakest of all), or None when there are none."""
    return min(sources, key=lambda s: s.grade.strength if s.grade is not None else -1, default=None)
