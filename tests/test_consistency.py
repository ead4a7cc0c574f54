"""One command line: every command takes --rules, --format and --debug; bad input exits 2 (as JSON
with --format json); ``python -m policyrules``; ``Engine.sweep`` as the CLI sweep; the timeline says
what a redefined rule changed; tables never cut a word; shell completion; README examples that run."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from policyrules import Engine
from policyrules.analysis.timeline import timeline
from policyrules.cli import build_parser
from policyrules.commands import COMMANDS
from policyrules.commands._common import table
from policyrules.packs.loader import load_pack
from policyrules.scenarios import load_scenarios

from .helpers import ROOT, cli

CATALOG = """\
weapons:
  - {id: himars, name: HIMARS, weapon_class: rocket_artillery, suppliers: [US], reach_km: 80}
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
parameters:
  long_range_km: {value: 80, description: "long range", basis: interpretation}
rules:
  - id: us-inside-ukraine
    title: inside Ukraine
    effect: allowed
    when: {target_country: UA}
    source: {document: a.txt, quote: "outside their borders"}
  - id: us-in-russia
    title: military targets in Russia within long_range_km
    effect: allowed
    when: {target_country: RU, target_category: military, range_km: {le: {param: long_range_km}}}
    source: {document: a.txt, quote: "outside their borders"}
  - id: us-no-civilians
    title: never civilians
    effect: prohibited
    when: {target_category: civilian}
    source: {document: a.txt, quote: "outside their borders"}
"""
LATER = """\
policy: us
version: "2024-05-30"
title: US later
effective_from: 2024-05-30
extends: baseline
rules:
  - id: us-no-civilians
    title: never civilians
    effect: prohibited
    when: {target_category: civilian}
    overrides: [us-inside-ukraine]
    source: {document: a.txt, quote: "outside their borders"}
  - id: us-in-russia
    title: military targets in Russia within long_range_km
    effect: allowed
    when: {target_country: RU, target_category: military, range_km: {lt: {param: long_range_km}}}
    source: {document: a.txt, quote: "outside their borders"}
"""
SCENARIOS = """\
- name: HIMARS at 60 km into Belgorod
  strike: {weapon: HIMARS, target_region: belgorod, target_type: artillery, range_km: 60, date: "2024-06-01"}
  expect: {decision: allowed}
"""


@pytest.fixture(scope="module")
def pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("consistency") / "pack"
    (root / "us").mkdir(parents=True)
    (root / "catalog.yaml").write_text(CATALOG, encoding="utf-8")
    (root / "us" / "baseline.yaml").write_text(BASELINE, encoding="utf-8")
    (root / "us" / "2024-05-30.yaml").write_text(LATER, encoding="utf-8")
    (root.parent / "scenarios-x.yaml").write_text(SCENARIOS, encoding="utf-8")
    return root


# Every command, the same options ------------------------------------------------------------------


def _subparsers() -> dict[str, object]:
    parser = build_parser()
    (sub,) = [a for a in parser._actions if a.dest == "command"]
    return dict(sub.choices)  # type: ignore[arg-type]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_takes_rules_format_and_debug(command: str) -> None:
    p = _subparsers()[command]
    options = {o for a in p._actions for o in a.option_strings}  # type: ignore[attr-defined]
    assert {"--rules", "--format", "--debug"} <= options


@pytest.mark.parametrize("command", ["check", "catalog", "timeline", "readings", "schema"])
def test_a_missing_rules_directory_exits_2_for_every_command(command: str, tmp_path: Path) -> None:
    r = cli(command, "--rules", tmp_path / "nowhere")
    assert r.code == 2 and r.out == "" and "not a directory of rule files" in r.err
    assert r.err.count("\n") == 1 and "Traceback" not in r.err


def test_check_of_a_broken_pack_still_reports_findings_with_exit_1(tmp_path: Path) -> None:
    (tmp_path / "catalog.yaml").write_text(CATALOG, encoding="utf-8")  # a directory, without rule files
    r = cli("check", "--rules", tmp_path)
    assert r.code == 1 and "invalid-rule-file" in r.out and "no rule files" in r.out


@pytest.mark.parametrize("argv", [
    ("check", "--rules", "/nonexistent/pack"),
    ("evaluate", "--strike", '{"wepon": "HIMARS"}'),
    ("evaluate", "--bogus"),
    ("sweep", "us.long_range_km", "40", "10", "10"),
    ("catalog", "nowhere"),
])
def test_json_errors_are_json(argv: tuple[str, ...]) -> None:
    r = cli(*argv, "--format", "json")
    assert r.code == 2 and r.out == ""
    error = json.loads(r.err)
    assert error["command"] == argv[0] and error["exit_code"] == 2 and error["error"]
    text = cli(*argv)  # and without --format json, the one line of text
    assert text.code == 2 and text.err.startswith("policyrules") and ": error: " in text.err
    assert text.err.count("\n") == 1


def test_json_errors_keep_the_traceback_with_debug() -> None:
    r = cli("check", "--rules", "/nonexistent/pack", "--format", "json", "--debug")
    assert r.code == 2 and "Traceback" in r.err
    assert json.loads(r.err.strip().splitlines()[-1])["command"] == "check"


def test_python_dash_m_runs_the_cli() -> None:
    done = subprocess.run([sys.executable, "-m", "policyrules", "--version"], capture_output=True, text=True,
                          check=False, timeout=120)
    assert done.returncode == 0 and done.stdout.startswith("policyrules ")
    bad = subprocess.run([sys.executable, "-m", "policyrules", "check", "--rules", "/nonexistent/pack"],
                         capture_output=True, text=True, check=False, timeout=120)
    assert bad.returncode == 2 and "not a directory of rule files" in bad.stderr


# engine.sweep, as the CLI --------------------------------------------------------------------------


def test_engine_sweep_takes_the_cli_arguments_and_gives_its_report(pack: Path) -> None:
    engine = Engine.load(pack, backend="compiled")
    scenarios = load_scenarios(pack.parent / "scenarios-x.yaml")
    report = engine.sweep("us.long_range_km", 40, 100, 20, scenarios)
    r = cli("sweep", "us.long_range_km", "40", "100", "20", "--scenarios", pack.parent / "scenarios-x.yaml",
            "--rules", pack, "--format", "json")
    assert r.code == 0
    assert json.loads(r.out) == report.model_dump(mode="json")
    changed = {p.value: p.scenarios for p in report.points}
    assert changed[40] == ("HIMARS at 60 km into Belgorod",) and changed[80] == ()


def test_engine_sweep_refuses_a_bad_range_as_the_cli_does(pack: Path) -> None:
    from policyrules import PolicyRulesError

    with pytest.raises(PolicyRulesError, match="STOP"):
        Engine.load(pack, backend="compiled").sweep("us.long_range_km", 40, 10, 10)


# The timeline: what a redefined rule changed -------------------------------------------------------


def test_the_timeline_says_when_only_the_overrides_of_a_rule_changed(pack: Path) -> None:
    later = next(e for e in timeline(load_pack(pack), "us") if e.version == "2024-05-30")
    assert later.changes == {"us-no-civilians": ("overrides",), "us-in-russia": ("conditions",)}
    r = cli("timeline", "us", "--rules", pack)
    assert "~ us-no-civilians (only its overrides changed: its conditions and effect are the parent's)" in r.out
    assert "~ us-in-russia (conditions changed)" in r.out
    data = json.loads(cli("timeline", "us", "--rules", pack, "--format", "json").out)
    assert data[1]["changes"]["us-no-civilians"] == ["overrides"]


def test_the_bundled_timeline_does_not_call_an_override_move_a_change_of_conditions() -> None:
    us = {e.version: e for e in timeline(load_pack(None), "us")}
    for aspects in us["2024-06-20"].changes.values():
        assert "conditions" not in aspects and "effect" not in aspects


# Tables, run: never a word cut in two ---------------------------------------------------------------


def test_a_table_cuts_a_long_cell_at_a_word_end() -> None:
    name = "Rocket artillery with no named weapon at 90 km in defense of Kharkiv: the long-range ban"
    out = table(["name"], [[name]], max_width=40)
    cell = out.splitlines()[2]
    assert cell.endswith("…") and len(cell) <= 40
    assert name.startswith(cell[:-1]) and name[len(cell) - 1] == " "  # the cut falls between words


def test_a_table_cuts_a_single_long_word_where_it_must() -> None:
    cell = table(["x"], [["a" * 100]], max_width=20).splitlines()[2]
    assert cell == "a" * 19 + "…"


def test_run_never_cuts_a_scenario_name_mid_word(tmp_path: Path) -> None:
    name = ("HIMARS into Belgorod in defense of Kharkiv under the border-wide counter-fire rule of June "
            "twenty twenty-four")
    (tmp_path / "scenarios-long.yaml").write_text(
        f"- name: {name}\n  strike: {{weapon: HIMARS, target_region: belgorod, target_type: artillery, "
        "self_defense: true, defended_region: kharkiv, range_km: 30, date: '2024-07-01'}\n"
        "  expect: {decision: allowed}\n", encoding="utf-8")
    r = cli("run", tmp_path, "--backend", "compiled")
    assert r.code == 0
    shown = r.out.splitlines()[2].split("  ")[0]
    assert shown.endswith("…")
    assert re.fullmatch(r"[\w\- ]+", shown[:-1]) and name[len(shown) - 1] == " "


# Shell completion ---------------------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
@pytest.mark.parametrize(("words", "expected"), [
    (["policyrules", "cat"], ["catalog"]),
    (["policyrules", "catalog", "reg"], ["regions"]),
    (["policyrules", "evaluate", "--form"], ["--format"]),
    (["policyrules", "evaluate", "--format", "j"], ["json"]),
    (["policyrules", "evaluate", "--backend", ""], ["durable", "compiled"]),
    (["policyrules", "completion", "z"], ["zsh"]),
])
def test_bash_completion_completes_commands_options_and_values(words: list[str], expected: list[str]) -> None:
    script = cli("completion", "bash").out
    words_literal = " ".join(f"'{w}'" for w in words)
    probe = (f"{script}\nCOMP_WORDS=({words_literal}); COMP_CWORD={len(words) - 1}; _policyrules; "
             'printf "%s\\n" "${COMPREPLY[@]}"')
    done = subprocess.run(["bash", "-c", probe], capture_output=True, text=True, check=True, timeout=60)
    assert done.stdout.split() == expected


def test_zsh_completion_is_the_bash_one_through_bashcompinit() -> None:
    r = cli("completion", "zsh")
    assert r.code == 0 and "bashcompinit" in r.out
    assert "complete -o filenames -F _policyrules policyrules" in r.out


# README examples use files that ship -----------------------------------------------------------------


def test_every_file_the_readme_command_examples_name_ships() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```(?:sh|text)\n(.*?)```", readme, flags=re.DOTALL)
    named = {m for b in blocks for m in re.findall(r"\bexamples/[\w.\-/]*", b)}
    assert "examples/strike.yaml" in named and "examples/strikes.jsonl" in named
    for path in named:
        assert (ROOT / path).exists(), path


def test_the_readme_strike_examples_evaluate() -> None:
    r = cli("evaluate", ROOT / "examples" / "strike.yaml", "--backend", "compiled")
    assert r.code == 0 and r.out.startswith("ALLOWED: ATACMS")
    assert "target_type: 'S-400' read as air_defense" in r.out
