"""Contested points: where the record disagrees, the pack says so as data.

A rule file may declare **contested points** (``readings:``): a question, its options (each with
what it says and its sources) and the default option, with the reason it is the default. Rules and
versions then depend on the options:

- a rule (or a whole version) exists only under some options: ``under: {POINT: OPTION}`` (or a
  list of options);
- a condition differs by option: two rules with the same id, each ``under`` other options (for
  every choice of options at most one of them exists);
- a date or a parameter value differs by option: ``effective_from: {reading: POINT, options:
  {OPTION: 2024-05-31, ...}}`` (every option of the point given a value).

A **reading** is a choice of one option per point; the bundled defaults are the default reading.
The loader composes the pack under any reading (:func:`policyrules.packs.loader.load_pack`), and
everything downstream (evaluation, check, diff) works on that composed pack as on any other.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..model.catalog import did_you_mean
from ..model.errors import PolicyRulesError, echo
from ..model.sources import Source

POINT_ID = r"^[a-z][a-z0-9_]*\.[a-z0-9][a-z0-9_.-]*$"
OPTION_ID = r"^[a-z0-9][a-z0-9_.-]*$"


class ReadingError(PolicyRulesError, ValueError):
    """A reading names a point or an option the pack does not declare."""


class Option(BaseModel):
    """One answer to a contested point: what it says, what it changes, and on what sources."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=OPTION_ID, max_length=60)
    says: str = Field(min_length=1, max_length=2000)
    changes: str | None = Field(default=None, max_length=2000)
    sources: tuple[Source, ...] = Field(min_length=1)
    against: tuple[Source, ...] = ()  # sources that contradict this option


class Point(BaseModel):
    """A contested point: the question, its options and the default (with why it is the default)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=POINT_ID, max_length=80)
    question: str = Field(min_length=1, max_length=1000)
    options: tuple[Option, ...] = Field(min_length=2)
    default: str
    why_default: str = Field(min_length=1, max_length=2000)
    file: str | None = Field(default=None, exclude=True)
    line: int | None = Field(default=None, exclude=True)

    @field_validator("options")
    @classmethod
    def _unique(cls, v: tuple[Option, ...]) -> tuple[Option, ...]:
        ids = [o.id for o in v]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"option {dup[0]!r} is given twice")
        return v

    @model_validator(mode="after")
    def _default_is_an_option(self) -> Point:
        if self.default not in self.option_ids:
            raise ValueError(f"default {self.default!r} is not one of the options ({', '.join(self.option_ids)})")
        return self

    @property
    def option_ids(self) -> tuple[str, ...]:
        return tuple(o.id for o in self.options)

    @property
    def policy(self) -> str:
        """The policy the point belongs to (the part of its id before the first dot)."""
        return self.id.split(".", 1)[0]

    def option(self, option_id: str) -> Option:
        return next(o for o in self.options if o.id == option_id)


class ByReading(BaseModel):
    """A value that depends on a contested point: one value per option."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    reading: str
    options: dict[str, Any] = Field(min_length=1)


Reading = Mapping[str, str]  # point id -> option id


class Readings:
    """The contested points of a pack, and the readings (choices of options) it may be composed under."""

    def __init__(self, points: Iterable[Point]) -> None:
        self.points: dict[str, Point] = {p.id: p for p in points}

    def __bool__(self) -> bool:
        return bool(self.points)

    def __iter__(self) -> Iterator[Point]:
        return iter(self.points.values())

    def __len__(self) -> int:
        return len(self.points)

    @property
    def defaults(self) -> dict[str, str]:
        return {p.id: p.default for p in self}

    def reading(self, choices: Mapping[str, object] | None = None, base: Reading | None = None) -> dict[str, str]:
        """The full reading with ``choices`` made over ``base`` (default: the defaults); a
        :class:`ReadingError` names an unknown point or option, with the closest known one."""
        out = dict(base) if base is not None else self.defaults
        if choices is None:
            return out
        if not isinstance(choices, Mapping):
            raise ReadingError(f"readings are a mapping of point to option, not {type(choices).__name__}")
        for point_id, option_id in choices.items():
            point = self.points.get(point_id) if isinstance(point_id, str) else None
            if point is None:
                shown = echo(point_id)
                known = ", ".join(self.points) or "none: the pack declares no contested point"
                hint = did_you_mean(_closest(str(point_id), list(self.points)), str(point_id))
                raise ReadingError(f"unknown contested point {shown}{hint}; known: {known}")
            if not isinstance(option_id, str) or option_id not in point.option_ids:
                hint = did_you_mean(_closest(str(option_id), list(point.option_ids)), str(option_id))
                raise ReadingError(f"{point.id}: unknown option {echo(option_id)}{hint}; options: "
                                   + ", ".join(point.option_ids))
            out[point_id] = option_id
        return out

    def changed(self, reading: Reading) -> dict[str, str]:
        """The choices of ``reading`` that differ from the defaults."""
        return {k: v for k, v in reading.items() if self.points[k].default != v}

    def combinations(self, point_ids: Iterable[str], base: Reading | None = None) -> Iterator[dict[str, str]]:
        """Every reading that varies the given points over all their options (the others as in ``base``)."""
        ids = list(dict.fromkeys(point_ids))
        start = dict(base) if base is not None else self.defaults
        for options in itertools.product(*(self.points[i].option_ids for i in ids)):
            yield {**start, **dict(zip(ids, options, strict=True))}


def parse_reading_text(items: Iterable[str]) -> dict[str, str]:
    """``POINT=OPTION`` texts (command line) as a mapping; a :class:`ReadingError` for a malformed one."""
    out: dict[str, str] = {}
    for item in items:
        point, sep, option = item.partition("=")
        if not sep or not point.strip() or not option.strip():
            raise ReadingError(f"a reading is POINT=OPTION (e.g. gb.strikes-in-russia=barred-until-2024-11-20), "
                               f"not {echo(item)}")
        out[point.strip()] = option.strip()
    return out


def _closest(text: str, known: list[str]) -> str | None:
    import difflib

    hit = difflib.get_close_matches(text, known, n=1, cutoff=0.6)
    return hit[0] if hit else None
