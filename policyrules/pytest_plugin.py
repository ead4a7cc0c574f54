"""A pytest plugin: scenario files are collected as tests, one item per scenario.

Registered through the ``pytest11`` entry point, so ``pytest examples/`` runs every example
scenario once policyrules is installed. Options (command line, or ini / pyproject.toml)::

    --policyrules-scenarios GLOB   ini policyrules_scenarios   file patterns (default scenarios*.yaml)
    --policyrules-rules DIR        ini policyrules_rules       rule directory (default: the bundled pack)
    --policyrules-backend NAME     ini policyrules_backend     durable (default) or compiled

A failing scenario reports expected against actual (decision and rule) and the verdict's
explanation; a malformed scenario file, or rules that do not load, is a one-line collection
error. One engine is loaded per (rules, backend) per session, when the first scenario file
is collected: a run that collects none never loads one.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from _pytest._code.code import TerminalRepr

    from .engine import Engine
    from .model.errors import PolicyRulesError
    from .scenarios import Scenario, ScenarioResult

DEFAULT_PATTERNS = ("scenarios*.yaml",)
BACKEND_CHOICES = ("durable", "compiled")

EngineKey = tuple[str | None, str]
_engines_key = pytest.StashKey[dict[EngineKey, "Engine | PolicyRulesError"]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("policyrules", "policyrules scenario files")
    group.addoption("--policyrules-scenarios", action="append", metavar="GLOB", default=None,
                    help="collect files matching GLOB as scenario files (repeatable; "
                         "default: ini policyrules_scenarios, else scenarios*.yaml)")
    group.addoption("--policyrules-rules", metavar="DIR", default=None,
                    help="rule directory to judge scenarios with (default: ini policyrules_rules, "
                         "else the bundled pack)")
    group.addoption("--policyrules-backend", choices=BACKEND_CHOICES, default=None,
                    help="matching backend (default: ini policyrules_backend, else durable)")
    parser.addini("policyrules_scenarios", type="args", default=list(DEFAULT_PATTERNS),
                  help="glob patterns of scenario files (default: scenarios*.yaml)")
    parser.addini("policyrules_rules", default="",
                  help="rule directory, relative to the ini file (default: the bundled pack)")
    parser.addini("policyrules_backend", default="durable", help="durable or compiled (default: durable)")


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_engines_key] = {}


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> ScenarioFile | None:
    if file_path.suffix not in (".yaml", ".yml"):
        return None
    if any(file_path.match(p) for p in _patterns(parent.config)) or parent.session.isinitpath(file_path):
        return ScenarioFile.from_parent(parent, path=file_path)
    return None


def _patterns(config: pytest.Config) -> list[str]:
    given: list[str] | None = config.getoption("policyrules_scenarios")
    return given or list(config.getini("policyrules_scenarios"))


def engine_key(config: pytest.Config) -> EngineKey:
    """(rules directory or None for the bundled pack, backend) from the options and the ini file."""
    rules: str | None = config.getoption("policyrules_rules")
    if rules is not None and rules.strip():  # an empty one stays empty: loading refuses it
        rules = str(Path(rules).resolve())
    else:
        ini_rules = str(config.getini("policyrules_rules")).strip()
        if ini_rules:
            base = config.inipath.parent if config.inipath is not None else config.rootpath
            rules = str((base / ini_rules).resolve())
    backend = config.getoption("policyrules_backend") or str(config.getini("policyrules_backend")).strip()
    return rules, backend or "durable"


def session_engine(config: pytest.Config) -> Engine:
    """The session's engine for the configured rules and backend, loaded once; a load error
    is kept and raised again (a :class:`~policyrules.model.errors.PolicyRulesError`)."""
    from .engine import Engine
    from .model.errors import PolicyRulesError

    engines = config.stash[_engines_key]
    key = engine_key(config)
    if key not in engines:
        try:
            engines[key] = Engine.load(key[0], backend=key[1])
        except PolicyRulesError as e:
            engines[key] = PolicyRulesError(f"cannot load the rules ({key[0] or 'the bundled pack'}, "
                                            f"{key[1]} backend): " + " ".join(str(e).split()))
    found = engines[key]
    if isinstance(found, Exception):
        raise found
    return found


class ScenarioFile(pytest.File):
    """A YAML list of scenarios; each becomes a :class:`ScenarioItem`."""

    def collect(self) -> Iterator[ScenarioItem]:
        from .model.errors import PolicyRulesError
        from .scenarios import display_name, load_scenarios

        try:
            scenarios = load_scenarios(_shown(self.path))
            session_engine(self.config)  # bad rules or backend: one collection error per file, no run
        except PolicyRulesError as e:
            raise self.CollectError(" ".join(str(e).split())) from None
        taken: set[str] = set()
        for sc in scenarios:
            name = unique_name(display_name(sc.name).replace("::", ":"), sc.line, taken)
            yield ScenarioItem.from_parent(self, name=name, scenario=sc)


class ScenarioMismatchError(Exception):
    """The verdict differs from the scenario's expectation."""

    def __init__(self, result: ScenarioResult) -> None:
        super().__init__(result.mismatch())
        self.result = result


class ScenarioItem(pytest.Item):
    """One scenario: passes when the verdict has the expected decision (and rule)."""

    def __init__(self, *, scenario: Scenario, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scenario = scenario

    def runtest(self) -> None:
        from .scenarios import ScenarioResult, verdict_of

        verdict = verdict_of(session_engine(self.config), self.scenario)
        result = ScenarioResult(scenario=self.scenario, verdict=verdict)
        if not result.passed:
            raise ScenarioMismatchError(result)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: Any = None) -> str | TerminalRepr:
        from .model.errors import PolicyRulesError, echo

        if isinstance(excinfo.value, ScenarioMismatchError):
            return mismatch_text(excinfo.value.result)
        if isinstance(excinfo.value, PolicyRulesError) and not self.config.getoption("fulltrace"):
            return f"{self._where()}: scenario {echo(self.scenario.name)}: {' '.join(str(excinfo.value).split())}"
        return super().repr_failure(excinfo, style)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        from .scenarios import display_name

        line = self.scenario.line - 1 if self.scenario.line else None
        return self.path, line, f"scenario: {display_name(self.scenario.name)}"

    def _where(self) -> str:
        sc = self.scenario
        return f"{sc.file}:{sc.line}" if sc.line else str(sc.file)


def unique_name(name: str, line: int | None, taken: set[str]) -> str:
    """``name``, or, when a scenario before took it, ``name (line N)`` (then ``#2``, ``#3``, ... if
    even that is taken, by a scenario really named so): node ids must be unique."""
    candidate = name
    if candidate in taken:
        candidate = f"{name} (line {line})"
        n = 2
        while candidate in taken:
            candidate = f"{name} (line {line}, #{n})"
            n += 1
    taken.add(candidate)
    return candidate


def _shown(path: Path) -> Path:
    """``path`` relative to the working directory when it is below it (shorter messages)."""
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path


def mismatch_text(result: ScenarioResult) -> str:
    """What differs, expected against actual, then the verdict's explanation."""
    from .model.errors import echo

    e, v = result.scenario.expected, result.verdict
    sc = result.scenario
    where = f"{sc.file}:{sc.line}" if sc.line else str(sc.file)
    lines = [
        result.mismatch(),
        f"  scenario: {echo(sc.name)} ({where})",
        f"  expected: {e.decision.value:<10}  rule {e.rule or '(any)'}",
        f"  actual:   {v.decision.value:<10}  rule {v.rule.id}  (policy {v.policy.ref}, {v.backend} backend)",
        "",
        "verdict:",
        *("  " + line for line in v.explain().splitlines()),
    ]
    return "\n".join(lines)
