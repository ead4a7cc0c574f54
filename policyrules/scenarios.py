"""Scenario files: named strikes with the decision (and rule) they are expected to get.

A scenario file is a YAML list::

    - name: HIMARS counter-fire into Belgorod in defense of Kharkiv
      strike: {weapon: HIMARS, target_region: belgorod, target_type: artillery,
               self_defense: true, defended_region: kharkiv, range_km: 30, date: 2024-06-01}
      expect: {decision: allowed, rule: us-kharkiv-counterfire}
      source: "000_018b07ea078c3e2c.txt: artillery and rocket launchers"
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .deciding.verdict import Verdict
from .model.domain import Decision
from .model.errors import PolicyRulesError, ScenarioError
from .model.sources import Source
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
    expect: Expectation
    source: str | Source | None = None
    file: str | None = Field(default=None, exclude=True)
    line: int | None = Field(default=None, exclude=True)


class ScenarioFile(BaseModel):
    """The whole file: a list of scenarios (for the JSON Schema)."""

    root: list[Scenario]


class ScenarioResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    scenario: Scenario
    verdict: Verdict

    @property
    def passed(self) -> bool:
        e = self.scenario.expect
        return self.verdict.decision is e.decision and (e.rule is None or e.rule == self.verdict.rule.id)

    def mismatch(self) -> str:
        """What differs between expected and actual, or '' when the scenario passed."""
        e, v = self.scenario.expect, self.verdict
        parts = []
        if v.decision is not e.decision:
            parts.append(f"decision: expected {e.decision.value}, got {v.decision.value}")
        if e.rule is not None and e.rule != v.rule.id:
            parts.append(f"rule: expected {e.rule}, got {v.rule.id}")
        return "; ".join(parts)


def scenario_files(paths: Iterable[str | Path]) -> list[Path]:
    """Files named directly, plus the ``scenarios*.yaml`` files of directories named."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found = sorted(p.rglob(SCENARIO_GLOB))
            if not found:
                raise ScenarioError(f"{p}: no {SCENARIO_GLOB} files in this directory")
            out.extend(found)
        elif p.is_file():
            out.append(p)
        else:
            raise ScenarioError(f"{p}: no such file or directory")
    return out


def load_scenarios(path: str | Path) -> list[Scenario]:
    path = Path(path)
    try:
        raw = load_file(path)
    except YamlError as e:
        raise ScenarioError(f"{path}" + (f":{e.line}" if e.line else "") + f": {e.message}") from None
    if not isinstance(raw, list):
        raise ScenarioError(f"{path}: a scenario file is a list of scenarios (name, strike, expect)")
    out = []
    for i, item in enumerate(raw):
        try:
            sc = Scenario.model_validate(item)
        except ValidationError as e:
            err = e.errors()[0]
            name = item.get("name") if isinstance(item, dict) else None
            field = ".".join(str(p) for p in err["loc"])
            line = line_of(raw, (i, *err["loc"]))
            msg = "unknown key" if err["type"] == "extra_forbidden" else str(err["msg"])
            raise ScenarioError(f"{path}" + (f":{line}" if line else "") + f": scenario "
                                f"{name or '#' + str(i + 1)!r}: " + (f"{field}: " if field else "") + msg) from None
        out.append(sc.model_copy(update={"file": str(path), "line": line_of(raw, (i,))}))
    return out


def run_scenarios(engine: Any, scenarios: Sequence[Scenario]) -> list[ScenarioResult]:
    """Evaluate every scenario; an invalid strike is a :class:`ScenarioError` naming the scenario."""
    results = []
    for sc in scenarios:
        try:
            verdict = engine.evaluate(sc.strike)
        except PolicyRulesError as e:
            where = f"{sc.file}:{sc.line}" if sc.line else str(sc.file)
            raise ScenarioError(f"{where}: scenario {sc.name!r}: {e}") from None
        results.append(ScenarioResult(scenario=sc, verdict=verdict))
    return results
