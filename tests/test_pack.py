"""The bundled pack says what the sources say.

Each test states one statement of the seed reports (quoted in its docstring) and checks a
strike against it, on both backends, asserting the decision AND the deciding rule: removing
the rule changes the rule id, inverting it changes the decision. The mutation tests at the
end prove the example scenarios do the same for every rule of the pack.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from policyrules import Decision, Engine
from policyrules.language.conditions import AnyOf
from policyrules.packs.pack import Pack, Policy, PolicyVersion, Rule
from policyrules.scenarios import load_scenarios, scenario_files, verdict_of

from .helpers import EXAMPLES, ROOT

ALLOWED, PROHIBITED = Decision.ALLOWED, Decision.PROHIBITED

COUNTERFIRE = {"weapon": "HIMARS", "target_region": "belgorod", "target_type": "artillery",
               "self_defense": True, "defended_region": "kharkiv", "range_km": 30}


def judge(engine: Engine, **strike: Any) -> tuple[Decision, str]:
    if "weapon" in strike and "supplier" not in strike:  # several suppliers: the first listed (US for M777)
        strike["supplier"] = engine.pack.catalog.weapon(strike["weapon"]).suppliers[0]  # type: ignore[union-attr]
    v = engine.evaluate(strike)
    return v.decision, v.rule.id


# Seed 000 ---------------------------------------------------------------------------------


def test_before_the_shift_us_weapons_could_not_be_used_in_russia(engine: Engine) -> None:
    """000: "Biden's previous stance of prohibiting Ukraine from using American weapons outside their borders"."""
    assert judge(engine, **COUNTERFIRE, date="2024-05-29") == (PROHIBITED, "us-no-strikes-in-russia")
    assert judge(engine, **{**COUNTERFIRE, "weapon": "M777"}, date="2023-03-01") == \
        (PROHIBITED, "us-no-strikes-in-russia")


def test_us_weapons_were_always_allowed_inside_ukraine_occupied_land_included(engine: Engine) -> None:
    """The converse of "outside their borders": inside Ukraine, Crimea and occupied land included."""
    for region in ("kharkiv", "crimea", "zaporizhzhia", "kherson"):
        for day in ("2022-03-01", "2024-05-29", "2024-06-01", "2025-01-01"):
            assert judge(engine, weapon="HIMARS", target_region=region, target_type="troops", range_km=50,
                         date=day) == (ALLOWED, "us-inside-ukraine")


@pytest.mark.parametrize("weapon", ["HIMARS", "M777", "M270"])
@pytest.mark.parametrize("target", ["troops", "equipment", "artillery"])
def test_artillery_and_rocket_launchers_against_troops_and_equipment_in_belgorod(
        engine: Engine, weapon: str, target: str) -> None:
    """000: "use American-supplied artillery and rocket launchers to target Russian troops and
    equipment just across the border, in the Belgorod region"."""
    if weapon == "M270":  # supplied by the UK, so the UK policy decides: still allowed
        assert judge(engine, **{**COUNTERFIRE, "weapon": weapon, "target_type": target}, date="2024-06-01")[0] \
            == ALLOWED
        return
    assert judge(engine, **{**COUNTERFIRE, "weapon": weapon, "target_type": target}, date="2024-05-30") == \
        (ALLOWED, "us-kharkiv-counterfire")


def test_counterfire_needs_self_defense(engine: Engine) -> None:
    """000: "described as acts of self-defense to protect Kharkiv"."""
    assert judge(engine, **{**COUNTERFIRE, "self_defense": False}, date="2024-06-01") == \
        (PROHIBITED, "us-no-strikes-in-russia")


def test_counterfire_is_for_kharkiv_only_until_june(engine: Engine) -> None:
    """004: "counter-fire purposes in the Kharkiv region": not in defense of Sumy, not into Kursk."""
    assert judge(engine, **{**COUNTERFIRE, "defended_region": "sumy"}, date="2024-06-01") == \
        (PROHIBITED, "us-no-strikes-in-russia")
    assert judge(engine, **{**COUNTERFIRE, "target_region": "kursk"}, date="2024-06-01") == \
        (PROHIBITED, "us-no-strikes-in-russia")


def test_the_prohibition_on_longer_range_strikes_is_maintained(engine: Engine) -> None:
    """000: "while maintaining the prohibition on longer-range strikes inside Russia"."""
    for day in ("2024-05-29", "2024-05-30", "2024-07-01"):
        assert judge(engine, **{**COUNTERFIRE, "weapon": "ATACMS", "range_km": 150}, date=day) == \
            (PROHIBITED, "us-long-range-ban")


def test_the_long_range_threshold_is_a_parameter(engine: Engine) -> None:
    """The seeds give no number; long_range_km (80, the reach of GMLRS) is an interpretation."""
    strike = {**COUNTERFIRE, "range_km": 60, "date": "2024-06-01"}
    assert judge(engine, **strike) == (ALLOWED, "us-kharkiv-counterfire")
    assert judge(engine.with_parameters({"us.long_range_km": 50}), **strike) == (PROHIBITED, "us-long-range-ban")
    assert judge(engine, **strike) == (ALLOWED, "us-kharkiv-counterfire")  # the original is untouched


def test_france_and_germany_allow_military_targets_inside_russia(engine: Engine) -> None:
    """000: "France and Germany, to allow Ukraine to use their weapons on military targets inside Russia"."""
    assert judge(engine, weapon="CAESAR", target_region="belgorod", target_type="artillery", range_km=30,
                 date="2024-06-01") == (ALLOWED, "fr-military-targets-in-russia")
    assert judge(engine, weapon="PzH 2000", target_region="belgorod", target_type="troops", range_km=30,
                 date="2024-06-01") == (ALLOWED, "de-military-targets-in-russia")
    assert judge(engine, weapon="SCALP-EG", target_region="moscow", target_type="energy_infrastructure",
                 range_km=200, date="2024-06-01")[0] == PROHIBITED  # military targets only


# Seed 004 ---------------------------------------------------------------------------------


@pytest.mark.parametrize("target", ["artillery", "missile_base", "command_center"])
def test_limited_responses_on_artillery_missile_bases_and_command_centers(engine: Engine, target: str) -> None:
    """004: "allow limited military responses on artillery, missile bases, and command centers inside Russia"."""
    assert judge(engine, **{**COUNTERFIRE, "weapon": "M777", "target_type": target}, date="2024-06-01") == \
        (ALLOWED, "us-kharkiv-counterfire")


def test_atacms_remains_prohibited(engine: Engine) -> None:
    """004: "long-range missiles, like the Army Tactical Missile System (ATACMS) ... remains prohibited"."""
    assert judge(engine, weapon="ATACMS", target_region="belgorod", target_type="missile_base", range_km=120,
                 self_defense=True, defended_region="kharkiv", date="2024-06-01") == (PROHIBITED, "us-long-range-ban")


def test_britain_allows_its_long_range_missiles_anywhere_in_russia(engine: Engine) -> None:
    """004: "Britain having previously allowed Ukraine to use its long-range missile systems for attacks anywhere in Russia"."""
    assert judge(engine, weapon="Storm Shadow", target_region="moscow", target_type="airfield", range_km=250,
                 date="2024-06-01") == (ALLOWED, "gb-military-targets-anywhere")


def test_germany_carries_the_international_law_caveat(engine: Engine) -> None:
    """004: "countries like Germany have expressed caution, emphasizing the importance of acting within international law"."""
    v = engine.evaluate({"weapon": "PzH 2000", "supplier": "DE", "target_region": "kursk", "target_type": "artillery",
                         "range_km": 30, "date": "2024-06-01"})
    assert v.allowed and any("international law" in c for c in v.caveats)


def test_a_civilian_target_is_prohibited_under_every_policy(engine: Engine) -> None:
    """common: a strike on a civilian target is prohibited under every policy and overrides all."""
    for weapon, region in [("HIMARS", "belgorod"), ("Storm Shadow", "moscow"), ("CAESAR", "kursk"),
                           ("PzH 2000", "kharkiv"), ("Bohdana", "belgorod"), ("F-16", "crimea")]:
        # a weapon several states supply needs its supplier (it picks the policy): the first one listed
        supplier = {"supplier": engine.pack.catalog.weapon(weapon).suppliers[0]}  # type: ignore[union-attr]
        v = engine.evaluate({"weapon": weapon, "target_region": region, "target_type": "civilian",
                             "self_defense": True, "defended_region": "kharkiv", "range_km": 20, **supplier})
        assert (v.decision, v.rule.id) == (PROHIBITED, "common-civilian-target-ban"), weapon


def test_a_supplier_without_a_policy_falls_to_the_default_policy(engine: Engine) -> None:
    """default: no authorization on record: inside Ukraine allowed, inside Russia prohibited."""
    inside = engine.evaluate({"weapon": "F-16", "supplier": "NO", "target_region": "kharkiv",
                              "target_type": "aircraft", "range_km": 50})
    outside = engine.evaluate({"weapon": "F-16", "supplier": "NO", "target_region": "belgorod",
                               "target_type": "airfield", "range_km": 50})
    assert inside.policy.id == outside.policy.id == "default"
    assert (inside.decision, outside.decision) == (ALLOWED, PROHIBITED)


def test_ukrainian_made_weapons_have_no_supplier_restriction(engine: Engine) -> None:
    """ua: Ukrainian-made weapons carry no supplier restriction."""
    assert judge(engine, weapon="Liutyi", target_region="moscow", target_type="airfield", range_km=600) == \
        (ALLOWED, "ua-no-supplier-restriction")


def test_every_rule_cites_a_source_with_a_basis(engine: Engine) -> None:
    for rs in engine.pack.all_rulesets():
        for rule in rs.rules:
            assert rule.source.quote.strip(), rule.id
            assert rule.source.document or rule.source.url, rule.id
            if rule.source.document:
                assert rule.source.document.endswith(".txt"), rule.id


# The examples kill every mutant ---------------------------------------------------------


def _scenarios() -> list[Any]:
    return [sc for f in scenario_files([EXAMPLES]) for sc in load_scenarios(f)]


def _mutant(pack: Pack, target: Rule, replacement: Rule) -> Pack:
    def version(v: PolicyVersion) -> PolicyVersion:
        return dataclasses.replace(v, rules=tuple(replacement if r is target else r for r in v.rules))

    policies = {pid: Policy(p.id, tuple(version(v) for v in p.versions)) for pid, p in pack.policies.items()}
    return dataclasses.replace(pack, policies=policies, _rulesets={})


def _rules(pack: Pack) -> list[Rule]:
    seen: dict[int, Rule] = {}
    for p in pack.policies.values():
        for v in p.versions:
            for r in v.rules:
                seen.setdefault(id(r), r)
    return list(seen.values())


def _failures(pack: Pack, scenarios: list[Any]) -> int:
    engine = Engine(pack, backend="compiled")
    return sum(1 for sc in scenarios if not _passes(engine, sc))


def _passes(engine: Engine, sc: Any) -> bool:
    v = verdict_of(engine, sc)
    return v.decision is sc.expected.decision and (sc.expected.rule is None or sc.expected.rule == v.rule.id)


@pytest.fixture(scope="module")
def pack_and_scenarios(compiled_engine: Engine) -> tuple[Pack, list[Any]]:
    scenarios = _scenarios()
    assert _failures(compiled_engine.pack, scenarios) == 0
    return compiled_engine.pack, scenarios


def test_the_examples_fail_when_any_rule_is_inverted(pack_and_scenarios: tuple[Pack, list[Any]]) -> None:
    """For every rule (each definition in each file), flipping its effect makes an example fail."""
    pack, scenarios = pack_and_scenarios
    survivors = []
    for rule in _rules(pack):
        flipped = ALLOWED if rule.effect is PROHIBITED else PROHIBITED
        if _failures(_mutant(pack, rule, dataclasses.replace(rule, effect=flipped)), scenarios) == 0:
            survivors.append(f"{rule.id} ({rule.file})")
    assert survivors == []


def test_the_examples_fail_when_any_rule_is_removed(pack_and_scenarios: tuple[Pack, list[Any]]) -> None:
    """For every rule, making it never match makes an example fail."""
    pack, scenarios = pack_and_scenarios
    survivors = []
    for rule in _rules(pack):
        if _failures(_mutant(pack, rule, dataclasses.replace(rule, when=AnyOf(()))), scenarios) == 0:
            survivors.append(f"{rule.id} ({rule.file})")
    assert survivors == []


def test_every_example_scenario_names_its_source() -> None:
    missing = [sc.name for sc in _scenarios() if not sc.source]
    assert missing == []


def test_the_pack_is_found_from_any_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    engine = Engine.load(backend="compiled")
    assert {"us", "gb", "fr", "de", "ua", "common", "default"} <= set(engine.pack.policies)
    assert engine.pack.policies["us"].at(dt.date(2024, 5, 30)).version == "2024-05-30"  # type: ignore[union-attr]


def test_the_bundled_pack_is_found_in_an_installed_layout(tmp_path: Path) -> None:
    """After ``pip install .`` the pack lives in site-packages/policyrules/rules (package data)."""
    import shutil
    import subprocess
    import sys

    site = tmp_path / "site"
    shutil.copytree(ROOT / "policyrules", site / "policyrules", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "rules", site / "policyrules" / "rules")
    code = "from policyrules import Engine; e = Engine.load(backend='compiled'); print(e.pack.root, len(e.pack.policies))"
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env={"PYTHONPATH": str(site)},
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["rules", "10"]
