"""The rule file format, as Pydantic models. One file is one version of one policy.

These models check the shape of a file (keys, types, enum values). What needs more than
one file (``extends``, overrides, conditions against the catalog, references to contested
points) is checked by the loader. A file may declare contested points (``readings``, see
:mod:`policyrules.packs.readings`); a version or a rule may exist only ``under`` some of their
options, and a date or a parameter value may differ by option.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..language.conditions import MAX_ABS_NUMBER
from ..model.dates import in_range, parse_date
from ..model.domain import Basis, Decision
from ..model.errors import echo
from ..model.sources import Source
from .readings import OPTION_ID, POINT_ID, Point

RULE_ID = r"^[a-z0-9][a-z0-9_.-]*$"
POLICY_ID = r"^[a-z][a-z0-9_-]*$"
RESERVED_RULE_IDS = frozenset({"default", "all"})
#: The longest rule id, and the longest policy id or version name: every id stays far below what
#: durable_rules takes (strings of 65,535 bytes and more are mismatched there).
MAX_ID_CHARS = 120
MAX_NAME_CHARS = 40


def _version_text(v: object) -> object:
    # YAML reads an unquoted 2024-05-30 as a date; a version is its text.
    return v.isoformat() if isinstance(v, dt.date) else v


def _a_date(v: object) -> object:
    """A rule file's date: ``YYYY-MM-DD`` as strikes read it (YAML reads it as a date already)."""
    if isinstance(v, dt.datetime):
        raise ValueError("a date (YYYY-MM-DD), not a date and time")
    if isinstance(v, bool):  # an unquoted yes / no / on / off
        raise ValueError(f"a date (YYYY-MM-DD), not the boolean {str(v).lower()}")
    if isinstance(v, (int, float)):
        raise ValueError("a date (YYYY-MM-DD), not a number")
    if isinstance(v, str):
        return parse_date(v)
    if isinstance(v, dt.date):
        return in_range(v)
    return v


PointId = Annotated[str, Field(pattern=POINT_ID, max_length=80)]
OptionId = Annotated[str, Field(pattern=OPTION_ID, max_length=60)]
#: ``under: {POINT: OPTION}`` or ``{POINT: [OPTION, ...]}``: exists only when each point has one of these options.
Under = dict[PointId, OptionId | tuple[OptionId, ...]]


class ByReading(BaseModel):
    """A value that depends on a contested point: ``{reading: POINT, options: {OPTION: value, ...}}``,
    a value for every option of the point (checked by the loader)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    reading: PointId
    options: dict[OptionId, object] = Field(min_length=1)

    def value(self, reading: dict[str, str] | Any) -> Any:
        """The value under ``reading`` (None when the reading lacks the point or the value its option:
        problems the loader reports)."""
        option = reading.get(self.reading)
        return self.options.get(option) if isinstance(option, str) else None


class DateByReading(ByReading):
    options: dict[OptionId, dt.date] = Field(min_length=1)  # type: ignore[assignment]

    @field_validator("options", mode="before")
    @classmethod
    def _dates(cls, v: object) -> object:
        return {k: _a_date(d) for k, d in v.items()} if isinstance(v, dict) else v


class NumberByReading(ByReading):
    options: dict[OptionId, float] = Field(min_length=1)  # type: ignore[assignment]

    @field_validator("options")
    @classmethod
    def _finite(cls, v: dict[str, float]) -> dict[str, float]:
        for x in v.values():
            if not math.isfinite(x) or abs(x) > MAX_ABS_NUMBER:
                raise ValueError(f"must be finite numbers of at most {MAX_ABS_NUMBER:g}")
        return v


def under_holds(under: Under | None, reading: dict[str, str] | Any) -> bool:
    """Whether something ``under`` these options exists in ``reading`` (always, without ``under``; never
    under a point the reading does not have, a problem the loader reports)."""
    return under is None or all(reading.get(p) in ((o,) if isinstance(o, str) else o) for p, o in under.items())


class Parameter(BaseModel):
    """A named number rules can refer to with ``{param: NAME}``; overridable for what-if analysis."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    value: float | NumberByReading
    description: str = ""
    basis: Basis | None = None
    note: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _bare_number(cls, data: object) -> object:
        if isinstance(data, (int, float)) and not isinstance(data, bool):
            return {"value": data}
        return data

    @property
    def number(self) -> float:
        """The value, in a pack composed under a reading (where every value by reading is chosen)."""
        if isinstance(self.value, ByReading):
            raise TypeError("a parameter value by reading has no number until a reading is chosen")
        return self.value

    @field_validator("value")
    @classmethod
    def _finite(cls, v: float | NumberByReading) -> float | NumberByReading:
        if isinstance(v, float) and (not math.isfinite(v) or abs(v) > MAX_ABS_NUMBER):
            raise ValueError(f"must be a finite number of at most {MAX_ABS_NUMBER:g}")
        return v


class RuleSpec(BaseModel):
    """One rule as written in a file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=RULE_ID, max_length=MAX_ID_CHARS)
    title: str = Field(min_length=1)
    effect: Decision
    when: dict[str, object] | None = None
    overrides: Literal["all"] | tuple[Annotated[str, Field(max_length=MAX_ID_CHARS)], ...] = ()
    source: Source
    basis: Basis = Basis.SEED
    caveats: str | None = None
    note: str | None = None
    under: Under | None = None

    @field_validator("id")
    @classmethod
    def _not_reserved(cls, v: str) -> str:
        if v in RESERVED_RULE_IDS:
            raise ValueError(f"{v!r} is reserved")
        return v


class RuleFile(BaseModel):
    """A whole rule file: the header of a policy version and its rules."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    policy: str = Field(pattern=POLICY_ID, max_length=MAX_NAME_CHARS)
    version: str = Field(min_length=1, max_length=MAX_NAME_CHARS, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    title: str = Field(min_length=1)
    effective_from: dt.date | DateByReading
    effective_until: dt.date | DateByReading | None = None
    extends: str | None = Field(default=None, max_length=MAX_NAME_CHARS)
    remove: tuple[Annotated[str, Field(max_length=MAX_ID_CHARS)], ...] = ()
    default: Decision | None = None
    note: str | None = None
    parameters: dict[str, Parameter] = Field(default_factory=dict)
    rules: tuple[RuleSpec, ...] = ()
    readings: tuple[Point, ...] = ()
    under: Under | None = None

    _as_text = field_validator("version", "extends", mode="before")(_version_text)

    @field_validator("effective_from", "effective_until", mode="before")
    @classmethod
    def _plain_date(cls, v: object) -> object:
        return v if isinstance(v, dict) else _a_date(v)

    @field_validator("parameters")
    @classmethod
    def _param_names(cls, v: dict[str, Parameter]) -> dict[str, Parameter]:
        import re

        for name in v:
            if not re.fullmatch(r"[a-z][a-z0-9_]{0,39}", name):
                raise ValueError(f"parameter name {echo(name)} must be lowercase letters, digits and _ "
                                 "(at most 40)")
        return v

    @model_validator(mode="after")
    def _window(self) -> RuleFile:
        start, end = self.effective_from, self.effective_until
        if isinstance(start, dt.date) and isinstance(end, dt.date) and end < start:
            raise ValueError("effective_until is before effective_from")
        if self.extends is None and self.default is None:
            raise ValueError("'default' (allowed or prohibited) is required unless the file extends another")
        if self.extends is None and self.remove:
            raise ValueError("'remove' needs 'extends': there is nothing inherited to remove")
        return self
