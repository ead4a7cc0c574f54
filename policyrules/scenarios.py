"""Scenario files: named strikes with the decision (and rule) they are expected to get.

A scenario file is a YAML list::

    - name: HIMARS counter-fire into Belgorod in defense of Kharkiv
      strike: {weapon: HIMARS, target_region: belgorod, target_type: artillery,
               self_defense: true, defended_region: kharkiv, range_km: 30, date: 2024-06-01}
      expect: {decision: allowed, rule: us-kharkiv-counterfire}
      source: "000_018b07ea078c3e2c.txt: artillery and rocket launchers"

Where the record disagrees, a case may pin options of contested points (``readings: {POINT:
OPTION}``), or give the expected outcome under each option of a point instead of ``expect``
(``expect_by_reading: {POINT: {OPTION: {decision: ..., rule: ...}, ...}}``): it then runs once per
option given, each named ``NAME [POINT=OPTION]``, the other points at their defaults (or pinned).
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from .deciding.verdict import Verdict
from .model.domain import Decision
from .model.errors import PolicyRulesError, ScenarioError, echo, shown
from .model.sources import Source
from .packs.files import walk
from .packs.yamlio import YamlError, line_of, load_file

SCENARIO_GLOB = "scenarios*.yaml"


class Expectation(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    decision: Decision
    rule: str | None = None


class Scenario(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1)
    strike: dict[str, Any]
    expect_by_reading: dict[str, dict[str, Expectation]] | None = None
    expect: Expectation | None = Field(default=None, validate_default=True)
    readings: dict[str, str] = Field(default_factory=dict)
    source: str | Source | None = None
    file: str | None = Field(default=None, exclude=True)
    line: int | None = Field(default=None, exclude=True)

    @field_validator("expect")
    @classmethod
    def _required(cls, v: Expectation | None, info: ValidationInfo) -> Expectation | None:
        if v is None and info.data.get("expect_by_reading") is None:
            raise PydanticCustomError("missing", "Field required")
        return v

    @model_validator(mode="after")
    def _one_expectation(self) -> Scenario:
        if self.expect is not None and self.expect_by_reading is not None:
            raise ValueError("give 'expect', or 'expect_by_reading' (POINT: {OPTION: expectation}), not both")
        if self.expect_by_reading is not None and not any(self.expect_by_reading.values()):
            raise ValueError("'expect_by_reading' gives no option")
        return self

    def cases(self) -> list[Scenario]:
        """The scenario as cases to run, each with one ``expect``: itself, or one per option of
        ``expect_by_reading``."""
        if self.expect_by_reading is None:
            return [self]
        return [self.model_copy(update={"name": f"{self.name} [{point}={option}]", "expect": expected,
                                        "expect_by_reading": None, "readings": {**self.readings, point: option}})
                for point, options in self.expect_by_reading.items() for option, expected in options.items()]

    @property
    def expected(self) -> Expectation:
        assert self.expect is not None, "a case of a scenario (see cases())"
        return self.expect


class ScenarioFile(BaseModel):
    """The whole file: a list of scenarios (for the JSON Schema)."""

    root: list[Scenario]


class ScenarioResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    scenario: Scenario
    verdict: Verdict

    @property
    def passed(self) -> bool:
        e = self.scenario.expected
        return self.verdict.decision is e.decision and (e.rule is None or e.rule == self.verdict.rule.id)

    def mismatch(self) -> str:
        """What differs between expected and actual, or '' when the scenario passed."""
        e, v = self.scenario.expected, self.verdict
        parts = []
        if v.decision is not e.decision:
            parts.append(f"decision: expected {e.decision.value}, got {v.decision.value}")
        if e.rule is not None and e.rule != v.rule.id:
            parts.append(f"rule: expected {e.rule}, got {v.rule.id}")
        return "; ".join(parts)


def scenario_files(paths: Iterable[str | Path]) -> list[Path]:
    """Files named directly, plus the ``scenarios*.yaml`` files of directories named (walked as rule
    directories are: at most 16 levels deep, links followed only inside, regular files only)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found, problems = walk(p, lambda name: fnmatch.fnmatchcase(name, SCENARIO_GLOB), "the scenario directory")
            if problems:
                raise ScenarioError(str(problems[0]))
            if not found:
                raise ScenarioError(f"{shown(str(p))}: no {SCENARIO_GLOB} files in this directory")
            out.extend(found)
        elif os.path.lexists(p):  # a file; one that cannot be read (a FIFO, a device) is refused when read
            out.append(p)
        else:
            raise ScenarioError(f"{shown(str(p))}: no such file or directory")
    return out


def display_name(name: str) -> str:
    """A scenario's name as output shows it (a table, a pytest node id): as written when it is one
    line of printable text, else quoted with its control characters escaped; cut when very long."""
    return shown(name, 200)


class BrokenCase(BaseModel):
    """A case that cannot be run: its scenario does not validate, or its strike (or a reading it
    pins) is refused. ``policyrules run`` reports it as one failed case and runs the others."""

    model_config = ConfigDict(frozen=True)

    name: str
    file: str | None = None
    line: int | None = None
    error: str

    passed: ClassVar[bool] = False

    @property
    def where(self) -> str:
        return shown(str(self.file)) + (f":{self.line}" if self.line else "")

    def message(self) -> str:
        """The error as one line naming the file, line and scenario."""
        return f"{self.where}: scenario {echo(self.name)}: {self.error}"


def load_cases(path: str | Path) -> list[Scenario | BrokenCase]:
    """The cases of a scenario file, a scenario that does not validate as a :class:`BrokenCase` in its
    place; a file that cannot be read or is not a list is a :class:`ScenarioError`."""
    path = Path(path)
    where = shown(str(path))
    try:
        raw = load_file(path)
    except YamlError as e:
        raise ScenarioError(where + (f":{e.line}" if e.line else "") + f": {e.message}") from None
    if not isinstance(raw, list):
        raise ScenarioError(f"{where}: a scenario file is a list of scenarios (name, strike, expect)")
    out: list[Scenario | BrokenCase] = []
    for i, item in enumerate(raw):
        try:
            sc = Scenario.model_validate(item)
        except ValidationError as e:
            err = e.errors()[0]
            name = item.get("name") if isinstance(item, dict) else None
            field = shown(".".join(str(p) for p in err["loc"]), 60)
            line = line_of(raw, (i, *err["loc"]))
            msg = "unknown key" if err["type"] == "extra_forbidden" else str(err["msg"])
            out.append(BrokenCase(name=name if isinstance(name, str) and name else "#" + str(i + 1),
                                  file=str(path), line=line, error=(f"{field}: " if field else "") + msg))
            continue
        out.extend(case.model_copy(update={"file": str(path), "line": line_of(raw, (i,))}) for case in sc.cases())
    return out


def load_scenarios(path: str | Path) -> list[Scenario]:
    """The cases of a scenario file; the first scenario that does not validate is a :class:`ScenarioError`."""
    out: list[Scenario] = []
    for case in load_cases(path):
        if isinstance(case, BrokenCase):
            raise ScenarioError(case.message())
        out.append(case)
    return out


def run_case(engine: Any, sc: Scenario | BrokenCase) -> ScenarioResult | BrokenCase:
    """The result of one case; a strike (or reading) the engine refuses is a :class:`BrokenCase`."""
    if isinstance(sc, BrokenCase):
        return sc
    try:
        return ScenarioResult(scenario=sc, verdict=verdict_of(engine, sc))
    except PolicyRulesError as e:
        return BrokenCase(name=sc.name, file=sc.file, line=sc.line, error=str(e))


def run_scenarios(engine: Any, scenarios: Sequence[Scenario]) -> list[ScenarioResult]:
    """Evaluate every scenario; an invalid strike is a :class:`ScenarioError` naming the scenario."""
    results = []
    for sc in scenarios:
        found = run_case(engine, sc)
        if isinstance(found, BrokenCase):
            raise ScenarioError(found.message())
        results.append(found)
    return results


def verdict_of(engine: Any, sc: Scenario) -> Verdict:
    """The verdict on a case's strike, under the options it pins."""
    judge = engine.with_readings(sc.readings) if sc.readings else engine
    return judge.evaluate(sc.strike)  # type: ignore[no-any-return]
