"""``check`` over every combination of contested options: a contradiction planted under one
combination of two options is found, named with that combination, and only there."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from policyrules import Engine
from policyrules.analysis.check_readings import _simplified

from .helpers import cli

CATALOG = """\
weapons:
  - {id: storm_shadow, name: Storm Shadow, weapon_class: cruise_missile, suppliers: [GB], reach_km: 250}
  - {id: m270, name: M270, weapon_class: rocket_artillery, suppliers: [GB], reach_km: 80}
regions:
  - {id: kharkiv, name: Kharkiv, country: UA, borders: [belgorod]}
  - {id: belgorod, name: Belgorod, country: RU, borders: [kharkiv]}
"""
SRC = '{url: "https://example.org/a", quote: "a quote", grade: news-report}'


def option(oid: str) -> str:
    return f'{{id: {oid}, says: "{oid}", sources: [{SRC}]}}'


def pack(extra: str = "") -> str:
    points = "".join(f"""
  - id: gb.{name}
    question: {name}?
    default: {a}
    why_default: the first account.
    options: [{option(a)}, {option(b)}]""" for name, a, b in
                     (("scope", "narrow", "wide"), ("storm", "allowed", "barred"), ("other", "a", "b")))
    return f"""\
policy: gb
version: v1
title: t
effective_from: 2024-01-01
default: prohibited
readings:{points}
rules:
  - {{id: gb-in-ukraine, title: t, effect: allowed, when: {{target_country: UA}}, source: {SRC}}}
  - {{id: gb-no-russia, title: t, effect: prohibited, when: {{target_country: RU}}, source: {SRC}}}
  - {{id: gb-wide, title: t, effect: allowed, when: {{target_country: RU, target_category: military}},
      overrides: [gb-no-russia], source: {SRC}, under: {{gb.scope: wide}}}}
  - {{id: gb-no-storm, title: t, effect: prohibited, when: {{weapon: storm_shadow, target_country: RU}},
      source: {SRC}, under: {{gb.storm: barred}}}}
  - {{id: gb-m270-ukraine, title: t, effect: allowed, when: {{weapon: m270, target_country: UA}},
      source: {SRC}, under: {{gb.other: b}}}}
{extra}"""


@pytest.fixture(scope="module")
def rules(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("planted") / "rules"
    (root / "gb").mkdir(parents=True)
    (root / "catalog.yaml").write_text(CATALOG)
    (root / "gb" / "v1.yaml").write_text(pack())
    return root


def test_the_default_reading_alone_is_clean(rules: Path) -> None:
    report = Engine.load(rules, backend="compiled").resolved
    from policyrules.analysis.check import check

    assert check(report, all_readings=False).ok


def test_a_contradiction_under_one_combination_is_found_with_it(rules: Path) -> None:
    report = Engine.load(rules, backend="compiled").check()
    assert report.readings == 8
    (conflict,) = [f for f in report.findings if f.code == "conflict"]
    # gb.other changes nothing about the conflict: it is left out of the combination.
    assert conflict.readings == ({"gb.scope": "wide", "gb.storm": "barred"},)
    assert set(conflict.rules) == {"gb-wide", "gb-no-storm"}
    assert conflict.example is not None and conflict.example["weapon"] == "storm_shadow"
    assert str(conflict).endswith("(under gb.scope=wide; gb.storm=barred)")
    assert not report.ok


def test_findings_of_the_default_reading_are_not_tagged_and_others_are(rules: Path) -> None:
    report = Engine.load(rules, backend="compiled").check()
    tagged = {(f.code, f.rule): f.readings for f in report.findings if f.readings}
    # gb-m270-ukraine exists only under gb.other=b, where gb-in-ukraine decides first.
    assert tagged[("never-decides", "gb-m270-ukraine")] == ({"gb.other": "b"},)
    assert all(not f.readings for f in report.findings if f.severity.value == "info")


def test_under_the_bad_combination_the_default_report_has_the_conflict_untagged(rules: Path) -> None:
    engine = Engine.load(rules, backend="compiled").with_readings({"gb.scope": "wide", "gb.storm": "barred"})
    report = engine.check()
    (conflict,) = [f for f in report.findings if f.code == "conflict"]
    assert conflict.readings == ()


def test_the_command_line_names_the_combination(rules: Path) -> None:
    r = cli("check", "--rules", rules)
    assert r.code == 1
    assert "conflict" in r.out and "(under gb.scope=wide; gb.storm=barred)" in r.out
    assert "under 8 readings" in r.out.splitlines()[-1]
    data = json.loads(cli("check", "--rules", rules, "--format", "json").out)
    (conflict,) = [f for f in data["findings"] if f["code"] == "conflict"]
    assert conflict["readings"] == [{"gb.scope": "wide", "gb.storm": "barred"}]


def test_an_error_composing_one_combination_is_a_finding_with_it(tmp_path: Path) -> None:
    root = tmp_path / "rules"
    (root / "gb").mkdir(parents=True)
    (root / "catalog.yaml").write_text(CATALOG)
    broken = f"""\
  - {{id: gb-x, title: t, effect: allowed, when: {{target_country: RU}}, overrides: [gb-wide],
      source: {SRC}, under: {{gb.other: b}}}}
"""
    (root / "gb" / "v1.yaml").write_text(pack(broken))
    report = Engine.load(root, backend="compiled").check()
    found = [f for f in report.findings if f.code == "unknown-override"]
    assert found and found[0].readings == ({"gb.scope": "narrow", "gb.other": "b"},)


def test_simplified_drops_the_points_every_option_of_which_gives_the_finding() -> None:
    options = [("a", "b"), ("x", "y", "z")]
    every = [(a, x) for a in "ab" for x in "xyz"]
    assert _simplified(["p", "q"], options, [c for c in every if c[0] == "b"]) == ({"p": "b"},)
    assert _simplified(["p", "q"], options, [("b", "x"), ("a", "y")]) == ({"p": "b", "q": "x"},
                                                                       {"p": "a", "q": "y"})
