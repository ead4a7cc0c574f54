"""The command line: ``policyrules.cli.main(argv, out=..., err=...)``.

Exit codes: 0 success, 1 failed expectations, 2 bad input (one line on stderr, no
traceback). Every test runs against a small pack written into a temporary directory.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from policyrules.commands import COMMANDS

from .helpers import COUNTERFIRE_STRIKE as STRIKE
from .helpers import assert_bad_input, cli, write_files

CATALOG = """\
weapons:
  - {id: himars, name: HIMARS, aliases: [M142], weapon_class: rocket_artillery, suppliers: [US], reach_km: 80}
  - {id: atacms, name: ATACMS, weapon_class: ballistic_missile, suppliers: [US], reach_km: 300}
regions:
  - {id: kharkiv, name: Kharkiv Oblast, country: UA, borders: [belgorod]}
  - {id: belgorod, name: Belgorod Oblast, country: RU, borders: [kharkiv]}
"""
BASELINE = """\
policy: us
version: baseline
title: US baseline
effective_from: 2022-02-24
default: prohibited
rules:
  - id: us-inside-ukraine
    title: inside Ukraine
    effect: allowed
    when: {target_country: UA}
    source: {document: a.txt, quote: "outside their borders"}
  - id: us-no-strikes-in-russia
    title: not in Russia
    effect: prohibited
    when: {target_country: RU}
    source: {document: a.txt, quote: "outside their borders"}
"""
COUNTERFIRE = """\
policy: us
version: "2024-05-30"
title: US counter-fire
effective_from: 2024-05-30
extends: baseline
rules:
  - id: us-kharkiv-counterfire
    title: counter-fire near Kharkiv
    effect: allowed
    when:
      target_region: belgorod
      self_defense: true
      defended_region: kharkiv
      weapon_class: {in: [tube_artillery, rocket_artillery]}
    overrides: [us-no-strikes-in-russia]
    source: {document: b.txt, quote: "counter-fire"}
"""


@pytest.fixture(scope="module")
def pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_files(tmp_path_factory.mktemp("cli") / "pack",
                       {"us/baseline.yaml": BASELINE, "us/2024-05-30.yaml": COUNTERFIRE}, CATALOG)


# evaluate --------------------------------------------------------------------------------


def test_evaluate_a_yaml_file_prints_the_explanation(pack: Path, tmp_path: Path) -> None:
    f = tmp_path / "strike.yaml"
    f.write_text("weapon: HIMARS\ntarget_region: belgorod\ntarget_type: artillery\nself_defense: true\n"
                 "defended_region: kharkiv\nrange_km: 30\ndate: 2024-06-01\n", encoding="utf-8")
    r = cli("evaluate", "--rules", pack, f)
    assert (r.code, r.err) == (0, "")
    assert r.out.startswith("ALLOWED: HIMARS (US) on artillery in belgorod (RU), 30 km, self-defense of kharkiv")
    assert "rule:    us-kharkiv-counterfire: counter-fire near Kharkiv" in r.out
    assert 'source:  b.txt: "counter-fire"' in r.out
    assert "overridden: us-no-strikes-in-russia" in r.out


def test_evaluate_a_json_file(pack: Path, tmp_path: Path) -> None:
    f = tmp_path / "strike.json"
    f.write_text(json.dumps({**STRIKE, "date": "2024-01-01"}), encoding="utf-8")
    r = cli("evaluate", "--rules", pack, f)
    assert (r.code, r.err) == (0, "")
    assert r.out.startswith("PROHIBITED: HIMARS")
    assert "policy:  us@baseline (US baseline)" in r.out


@pytest.mark.parametrize("backend", ["durable", "compiled"])
def test_evaluate_strike_option_with_json_output(pack: Path, backend: str) -> None:
    r = cli("evaluate", "--rules", pack, "--backend", backend, "--format", "json", "--strike", json.dumps(STRIKE))
    assert (r.code, r.err) == (0, "")
    verdict = json.loads(r.out)
    assert verdict["decision"] == "allowed"
    assert verdict["allowed"] is True
    assert verdict["rule"]["id"] == "us-kharkiv-counterfire"
    assert verdict["policy"]["version"] == "2024-05-30"
    assert verdict["overridden"] == ["us-no-strikes-in-russia"]
    assert verdict["backend"] == backend
    assert verdict["strike"]["target_country"] == "RU"


def test_evaluate_strike_option_with_text_output(pack: Path) -> None:
    r = cli("evaluate", "--rules", pack, "--strike", json.dumps({**STRIKE, "weapon": "ATACMS", "range_km": 200}))
    assert r.code == 0
    assert r.out.startswith("PROHIBITED: ATACMS (US)")
    assert "rule:    us-no-strikes-in-russia" in r.out


def test_evaluate_an_invalid_strike_exits_2_with_every_problem_on_one_line(pack: Path) -> None:
    r = cli("evaluate", "--rules", pack, "--strike", json.dumps({**STRIKE, "weapon": "HIMRAS", "range_km": -3}))
    assert_bad_input(r, "evaluate", "invalid strike (2 problems): weapon: unknown weapon 'HIMRAS' "
                     "(did you mean 'HIMARS'?); known: atacms (ATACMS), himars (HIMARS); range_km: Input should "
                     "be greater than or equal to 0")


def test_evaluate_invalid_json_exits_2(pack: Path) -> None:
    assert_bad_input(cli("evaluate", "--rules", pack, "--strike", '{"weapon": '), "evaluate",
                     "--strike is not valid JSON: Expecting value at column 12")


def test_evaluate_json_that_is_not_an_object_exits_2(pack: Path) -> None:
    assert_bad_input(cli("evaluate", "--rules", pack, "--strike", "[1, 2]"), "evaluate",
                     "invalid strike: a strike is a mapping of fields, not list")


def test_evaluate_json_nested_too_deeply_exits_2(pack: Path) -> None:
    assert_bad_input(cli("evaluate", "--rules", pack, "--strike", "[" * 100_000 + "]" * 100_000), "evaluate",
                     "--strike is not usable JSON: maximum recursion depth exceeded")


def test_evaluate_json_number_with_too_many_digits_exits_2(pack: Path) -> None:
    assert_bad_input(cli("evaluate", "--rules", pack, "--strike", '{"range_km": ' + "9" * 5000 + "}"), "evaluate",
                     "--strike is not usable JSON: Exceeds the limit")


def test_evaluate_an_invalid_json_file_names_the_file_and_line(pack: Path, tmp_path: Path) -> None:
    f = tmp_path / "strike.json"
    f.write_text('{\n"weapon": "HIMARS",\n}\n', encoding="utf-8")
    assert_bad_input(cli("evaluate", "--rules", pack, f), "evaluate", f"{f}: not valid JSON: ")
    assert "at line 3" in cli("evaluate", "--rules", pack, f).err


def test_evaluate_an_invalid_yaml_file_names_the_file_and_line(pack: Path, tmp_path: Path) -> None:
    f = tmp_path / "strike.yaml"
    f.write_text("weapon: HIMARS\n  range_km: 3\n", encoding="utf-8")
    assert_bad_input(cli("evaluate", "--rules", pack, f), "evaluate", f"{f}:2: not valid YAML")


@pytest.mark.parametrize("name", ["missing.yaml", "missing.json"])
def test_evaluate_a_missing_file_exits_2(pack: Path, tmp_path: Path, name: str) -> None:
    f = tmp_path / name
    assert_bad_input(cli("evaluate", "--rules", pack, f), "evaluate", f"{f}: cannot read: No such file or directory")


def test_evaluate_with_both_a_file_and_strike_option_exits_2(pack: Path, tmp_path: Path) -> None:
    assert_bad_input(cli("evaluate", "--rules", pack, tmp_path / "s.yaml", "--strike", json.dumps(STRIKE)),
                     "evaluate", "give a strike file or --strike, not both")


def test_evaluate_with_no_strike_exits_2(pack: Path) -> None:
    assert_bad_input(cli("evaluate", "--rules", pack), "evaluate", "give a strike file or --strike JSON")


def test_evaluate_a_date_before_every_version_exits_2(pack: Path) -> None:
    assert_bad_input(cli("evaluate", "--rules", pack, "--strike", json.dumps({**STRIKE, "date": "2000-01-01"})),
                     "evaluate", "2000-01-01 is before the first version of policy us")


def test_evaluate_with_a_bad_rules_directory_exits_2(tmp_path: Path) -> None:
    assert_bad_input(cli("evaluate", "--rules", tmp_path / "nowhere", "--strike", json.dumps(STRIKE)),
                     "evaluate", "not a directory of rule files")


def test_evaluate_with_a_broken_rule_file_names_file_rule_and_field(pack: Path, tmp_path: Path) -> None:
    broken = write_files(tmp_path / "broken",
                         {"us/baseline.yaml": BASELINE.replace("target_country: RU", "target_country: XX")}, CATALOG)
    assert_bad_input(cli("evaluate", "--rules", broken, "--strike", json.dumps(STRIKE)), "evaluate",
                     "broken/us/baseline.yaml:15: rule us-no-strikes-in-russia: field when.target_country: "
                     "unknown value 'XX'")


# run -------------------------------------------------------------------------------------

GOOD_SCENARIOS = """\
- name: counter-fire into Belgorod
  strike: {weapon: HIMARS, target_region: belgorod, target_type: artillery, self_defense: true,
           defended_region: kharkiv, range_km: 30, date: 2024-06-01}
  expect: {decision: allowed, rule: us-kharkiv-counterfire}
- name: before the change
  strike: {weapon: HIMARS, target_region: belgorod, target_type: artillery, range_km: 30, date: 2024-01-01}
  expect: {decision: prohibited}
"""
WRONG_SCENARIO = """\
- name: ATACMS into Belgorod
  strike: {weapon: ATACMS, target_region: belgorod, target_type: artillery, range_km: 200}
  expect: {decision: allowed}
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    f = tmp_path / name
    f.write_text(text, encoding="utf-8")
    return f


@pytest.mark.parametrize("backend", ["durable", "compiled"])
def test_run_exits_0_when_every_scenario_passes(pack: Path, tmp_path: Path, backend: str) -> None:
    r = cli("run", "--rules", pack, "--backend", backend, write(tmp_path, "scenarios-ok.yaml", GOOD_SCENARIOS))
    assert (r.code, r.err) == (0, "")
    assert "counter-fire into Belgorod" in r.out
    assert f"2 scenarios passed, 0 failed ({backend} backend" in r.out
    assert "FAIL" not in r.out


def test_run_exits_1_with_a_fail_line_when_an_expectation_is_wrong(pack: Path, tmp_path: Path) -> None:
    ok = write(tmp_path, "scenarios-ok.yaml", GOOD_SCENARIOS)
    wrong = write(tmp_path, "scenarios-wrong.yaml", WRONG_SCENARIO)
    r = cli("run", "--rules", pack, ok, wrong)
    assert (r.code, r.err) == (1, "")
    assert "2 scenarios passed, 1 failed" in r.out
    assert f"FAIL ATACMS into Belgorod ({wrong}): decision: expected allowed, got prohibited" in r.out


def test_run_reports_a_wrong_expected_rule(pack: Path, tmp_path: Path) -> None:
    text = GOOD_SCENARIOS.replace("rule: us-kharkiv-counterfire", "rule: us-inside-ukraine")
    r = cli("run", "--rules", pack, write(tmp_path, "scenarios.yaml", text))
    assert r.code == 1
    assert "rule: expected us-inside-ukraine, got us-kharkiv-counterfire" in r.out


def test_run_json_output_has_one_record_per_scenario(pack: Path, tmp_path: Path) -> None:
    r = cli("run", "--rules", pack, "--format", "json", write(tmp_path, "scenarios.yaml", WRONG_SCENARIO))
    assert r.code == 1
    (record,) = json.loads(r.out)
    assert (record["name"], record["passed"], record["decision"]) == ("ATACMS into Belgorod", False, "prohibited")
    assert record["mismatch"] == "decision: expected allowed, got prohibited"


def test_run_finds_scenario_files_in_a_directory(pack: Path, tmp_path: Path) -> None:
    write(tmp_path, "scenarios-ok.yaml", GOOD_SCENARIOS)
    write(tmp_path, "notes.yaml", "not: scenarios\n")
    r = cli("run", "--rules", pack, tmp_path)
    assert r.code == 0
    assert "2 scenarios passed, 0 failed" in r.out


@pytest.mark.parametrize(("text", "message"), [
    ("- name: x\n  strike: {weapon: HIMARS\n", ":3: not valid YAML"),
    ("", ": a scenario file is a list of scenarios (name, strike, expect)"),
    ("name: x\n", ": a scenario file is a list of scenarios (name, strike, expect)"),
], ids=["yaml", "empty", "mapping"])
def test_run_exits_2_for_a_malformed_scenario_file(pack: Path, tmp_path: Path, text: str, message: str) -> None:
    f = write(tmp_path, "scenarios.yaml", text)
    assert_bad_input(cli("run", "--rules", pack, f), "run", f"{f}{message}")


@pytest.mark.parametrize(("text", "message"), [
    ("- just a string\n", "FAIL #3 ({f}): Input should be a valid dictionary"),
    ("- name: x\n  strike: {}\n  expect: {decision: maybe}\n", "FAIL x ({f}:10): expect.decision: Input should be"),
    ("- name: x\n  strike: {}\n  expect: {decision: allowed}\n  colour: red\n", "FAIL x ({f}:11): colour: unknown key"),
    (("- name: x\n  strike: {weapon: HIMRAS, target_region: belgorod, target_type: troops, range_km: 3}\n"
      "  expect: {decision: allowed}\n"), "FAIL x ({f}:8): invalid strike: weapon: unknown weapon 'HIMRAS'"),
], ids=["string-item", "bad-decision", "unknown-key", "invalid-strike"])
def test_run_reports_a_malformed_scenario_as_one_failed_case(pack: Path, tmp_path: Path, text: str,
                                                             message: str) -> None:
    f = write(tmp_path, "scenarios.yaml", GOOD_SCENARIOS + text)
    r = cli("run", "--rules", pack, f)
    assert (r.code, r.err) == (1, "")
    assert "2 scenarios passed, 1 failed" in r.out
    assert message.format(f=f) in r.out, r.out
    records = json.loads(cli("run", "--rules", pack, "--format", "json", f).out)
    assert [c["passed"] for c in records] == [True, True, False]
    assert records[2]["decision"] is None and message.split("): ")[1] in records[2]["error"]


def test_run_exits_2_for_a_missing_path(pack: Path, tmp_path: Path) -> None:
    assert_bad_input(cli("run", "--rules", pack, tmp_path / "nope.yaml"), "run", "no such file or directory")


def test_run_exits_2_for_a_directory_without_scenarios(pack: Path, tmp_path: Path) -> None:
    assert_bad_input(cli("run", "--rules", pack, tmp_path), "run", "no scenarios*.yaml files in this directory")


# help ------------------------------------------------------------------------------------


def test_top_level_help_exits_0_and_shows_an_example() -> None:
    r = cli("--help")
    assert r.code == 0
    text = r.out
    assert "examples:" in text and "policyrules run examples/" in text


@pytest.mark.parametrize("command", COMMANDS)
def test_each_command_help_exits_0_and_shows_an_example(command: str) -> None:
    r = cli(command, "--help")
    assert r.code == 0
    text = r.out
    assert f"usage: policyrules {command}" in text
    assert "examples:" in text
    assert f"  policyrules {command} " in text.split("examples:", 1)[1]


def test_an_unknown_option_value_exits_2(pack: Path) -> None:
    """A usage error is one line too, on the error stream given to main, with where to look."""
    r = cli("evaluate", "--rules", pack, "--backend", "nope", "--strike", "{}")
    assert_bad_input(r, "evaluate", "argument --backend: invalid choice: 'nope'")
    assert r.err.rstrip().endswith("(see: policyrules evaluate --help)")
