"""The pytest plugin: scenario files collected as tests, run in an inner pytest (``pytester``).

Every inner run blocks the installed entry point and loads the module by name
(``-p no:policyrules -p policyrules.pytest_plugin``), so the tests behave the same whether or
not the package is pip-installed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from policyrules.engine import Engine

from .helpers import TINY_CATALOG, write_files

pytest_plugins = ["pytester"]

PLUGIN = ("-p", "no:policyrules", "-p", "policyrules.pytest_plugin", "-p", "no:cacheprovider")

COUNTERFIRE = ("{weapon: HIMARS, target_region: belgorod, target_type: artillery, self_defense: true, "
               "defended_region: kharkiv, range_km: 30, date: %s}")
SCENARIOS = f"""\
- name: counter-fire after the decision
  strike: {COUNTERFIRE % "2024-06-01"}
  expect: {{decision: allowed, rule: us-kharkiv-counterfire}}
- name: counter-fire before the decision
  strike: {COUNTERFIRE % "2024-05-29"}
  expect: {{decision: prohibited}}
- name: counter-fire expected too early
  strike: {COUNTERFIRE % "2024-05-01"}
  expect: {{decision: allowed, rule: us-kharkiv-counterfire}}
"""
# A rule directory whose verdict differs from the bundled pack's: strikes in Russia allowed.
TINY_POLICY = """\
policy: us
version: v1
title: tiny
effective_from: 2022-02-24
default: prohibited
rules:
  - id: tiny-russia-allowed
    title: anything in Russia
    effect: allowed
    when: {target_country: RU}
    source: {document: a.txt, quote: "a quote"}
"""
TINY_SCENARIO = """\
- name: tiny pack allows Belgorod
  strike: {weapon: HIMARS, target_region: belgorod, target_type: troops, range_km: 20}
  expect: {decision: allowed, rule: tiny-russia-allowed}
"""


def tiny_pack(root: Path) -> Path:
    return write_files(root, {"us/v1.yaml": TINY_POLICY}, TINY_CATALOG)


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest(*PLUGIN, *args)


def test_one_item_per_scenario_named_after_it(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", **{"scenarios-us": SCENARIOS})
    result = run(pytester, "--collect-only", "-q")
    result.stdout.fnmatch_lines([
        "scenarios-us.yaml::counter-fire after the decision",
        "scenarios-us.yaml::counter-fire before the decision",
        "scenarios-us.yaml::counter-fire expected too early",
    ])


def test_passing_and_failing_scenarios(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", **{"scenarios-us": SCENARIOS})
    result = run(pytester)
    result.assert_outcomes(passed=2, failed=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED


def test_a_failure_shows_expected_against_actual_and_the_explanation(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", **{"scenarios-us": SCENARIOS})
    result = run(pytester, "-k", "expected and too and early")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "*_ scenario: counter-fire expected too early _*",
        ("decision: expected allowed, got prohibited; rule: expected us-kharkiv-counterfire, "
         "got us-no-strikes-in-russia"),
        "  scenario: 'counter-fire expected too early' (scenarios-us.yaml:7)",
        "  expected: allowed     rule us-kharkiv-counterfire",
        "  actual:   prohibited  rule us-no-strikes-in-russia  (policy us@baseline, durable backend)",
        "verdict:",
        "  PROHIBITED: HIMARS (US) on artillery in belgorod (RU), 30 km, self-defense of kharkiv, on 2024-05-01",
        "    rule:    us-no-strikes-in-russia: *",
        "FAILED scenarios-us.yaml::counter-fire expected too early - dec*",
    ])
    assert "Traceback" not in result.stdout.str() and "runtest" not in result.stdout.str()


def test_an_invalid_strike_fails_its_scenario_in_one_line(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", **{"scenarios-bad-strike": """\
- name: a misspelt weapon
  strike: {weapon: HIMARZ, target_region: belgorod, target_type: troops, range_km: 20}
  expect: {decision: prohibited}
"""})
    result = run(pytester)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([("scenarios-bad-strike.yaml:1: scenario 'a misspelt weapon': invalid strike: "
                                  "weapon: unknown weapon 'HIMARZ' (did you mean 'HIMARS'?); known: *")])
    assert "Traceback" not in result.stdout.str()


@pytest.mark.parametrize(("content", "message"), [
    ("- name: x\n  strike: {}\n  expekt: {decision: allowed}\n",
     "scenarios-bad.yaml:1: scenario 'x': expect: Field required"),
    ("- name: x\n  strike: {range_km: 3\n", "scenarios-bad.yaml:2: not valid YAML: *"),
    ("name: not a list\n", "scenarios-bad.yaml: a scenario file is a list of scenarios (name, strike, expect)"),
], ids=["missing-key", "yaml-syntax", "not-a-list"])
def test_a_malformed_file_is_a_one_line_collection_error(pytester: pytest.Pytester, content: str,
                                                         message: str) -> None:
    pytester.makefile(".yaml", **{"scenarios-bad": content, "scenarios-us": SCENARIOS})
    result = run(pytester)
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*_ ERROR collecting scenarios-bad.yaml _*", message,
                                 "*short test summary info*"], consecutive=True)
    assert "Traceback" not in result.stdout.str()
    assert "pytest_plugin.py" not in result.stdout.str()


def test_files_outside_the_pattern_are_not_collected(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", cases=SCENARIOS, other="just: a mapping\n")
    result = run(pytester)
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED


def test_the_pattern_option_selects_files(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", cases=SCENARIOS, **{"scenarios-x": "just: a mapping\n"})
    result = run(pytester, "--policyrules-scenarios", "case*.yaml")
    result.assert_outcomes(passed=2, failed=1)


def test_the_pattern_ini_option_selects_files(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\npolicyrules_scenarios = case*.yaml more-*.yaml\n")
    pytester.makefile(".yaml", cases=SCENARIOS, **{"more-cases": SCENARIOS})
    result = run(pytester)
    result.assert_outcomes(passed=4, failed=2)


def test_a_file_named_on_the_command_line_is_collected_whatever_its_name(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", cases=SCENARIOS)
    run(pytester, "cases.yaml").assert_outcomes(passed=2, failed=1)


def test_the_rules_option_picks_the_rule_directory(pytester: pytest.Pytester) -> None:
    tiny_pack(pytester.path / "tiny")
    pytester.makefile(".yaml", **{"scenarios-tiny": TINY_SCENARIO})
    run(pytester).assert_outcomes(failed=1)  # the bundled pack prohibits it
    run(pytester, "--policyrules-rules", "tiny").assert_outcomes(passed=1)


def test_the_rules_ini_option_is_relative_to_the_ini_file(pytester: pytest.Pytester) -> None:
    tiny_pack(pytester.path / "tiny")
    pytester.makeini("[pytest]\npolicyrules_rules = tiny\n")
    sub = pytester.mkdir("sub")
    (sub / "scenarios-tiny.yaml").write_text(TINY_SCENARIO, encoding="utf-8")
    run(pytester, "sub").assert_outcomes(passed=1)


def test_rules_that_do_not_load_are_a_one_line_collection_error(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", **{"scenarios-us": SCENARIOS})
    result = run(pytester, "--policyrules-rules", "nowhere")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*_ ERROR collecting scenarios-us.yaml _*",
                                 "cannot load the rules (*nowhere, durable backend): *nowhere: *"])
    assert "Traceback" not in result.stdout.str()


@pytest.mark.parametrize("how", ["option", "ini"])
def test_the_backend_option(pytester: pytest.Pytester, how: str) -> None:
    pytester.makefile(".yaml", **{"scenarios-us": SCENARIOS})
    if how == "ini":
        pytester.makeini("[pytest]\npolicyrules_backend = compiled\n")
        result = run(pytester)
    else:
        result = run(pytester, "--policyrules-backend", "compiled")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*(policy us@baseline, compiled backend)"])


def test_an_unknown_backend_is_a_usage_error(pytester: pytest.Pytester) -> None:
    result = run(pytester, "--policyrules-backend", "nope")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*invalid choice: 'nope'*"])


def test_one_engine_per_session_and_none_without_scenarios(pytester: pytest.Pytester,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    loads: list[tuple[object, str]] = []
    real = Engine.load.__func__  # type: ignore[attr-defined]

    def counting(cls: type[Engine], path: object = None, backend: str = "durable") -> Engine:
        loads.append((path, backend))
        return real(cls, path, backend)  # type: ignore[no-any-return]

    monkeypatch.setattr(Engine, "load", classmethod(counting))
    pytester.makepyfile(test_plain="def test_plain():\n    assert True\n")
    run(pytester).assert_outcomes(passed=1)
    assert loads == []  # a run without scenario files loads no engine
    pytester.makefile(".yaml", **{"scenarios-a": SCENARIOS, "scenarios-b": SCENARIOS})
    run(pytester).assert_outcomes(passed=5, failed=2)
    assert loads == [(None, "durable")]


def test_the_plugin_is_registered_as_a_pytest11_entry_point() -> None:
    text = (Path(__file__).resolve().parent.parent / "pyproject.toml").read_text(encoding="utf-8")
    assert '[project.entry-points.pytest11]\npolicyrules = "policyrules.pytest_plugin"' in text


def test_scenario_names_with_line_breaks_and_escapes_make_one_line_unique_node_ids(pytester: pytest.Pytester) -> None:
    """Issue 16: names went raw into node ids and output, and "x", "x", "x (line 4)" collided."""
    strike = COUNTERFIRE % "2024-06-01"
    pytester.makefile(".yaml", **{"scenarios-odd": f"""\
- {{name: x, strike: {strike}, expect: {{decision: allowed}}}}
- name: "a\\nERROR: forged \\e[2J"
  strike: {strike}
  expect: {{decision: allowed}}
- {{name: x, strike: {strike}, expect: {{decision: allowed}}}}
- {{name: "x (line 5)", strike: {strike}, expect: {{decision: allowed}}}}
"""})
    result = run(pytester, "--collect-only", "-q")
    result.stdout.fnmatch_lines([
        "scenarios-odd.yaml::x",
        "scenarios-odd.yaml::'a\\nERROR: forged \\x1b[2J'",
        "scenarios-odd.yaml::x (line 5)",
        "scenarios-odd.yaml::x (line 5) (line 6)",
        "4 tests collected*",
    ])
    assert "\x1b" not in result.stdout.str()
