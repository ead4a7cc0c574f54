"""The partition of the strike space: the interval scheme, feasibility, and exactness of classes."""

from __future__ import annotations

import math
from pathlib import Path
from textwrap import dedent

import pytest

from policyrules import Engine, PolicyRefError, ProposedStrike
from policyrules.analysis.partition import (
    OTHER_CODE,
    Interval,
    Partition,
    intervals,
    partition,
    partition_for,
    partitions,
)
from policyrules.model.domain import MAX_RANGE_KM

from .helpers import write_files

CATALOG = """\
weapons:
  - {id: himars, name: HIMARS, weapon_class: rocket_artillery, suppliers: [US], reach_km: 80}
  - {id: atacms, name: ATACMS, weapon_class: ballistic_missile, suppliers: [US], reach_km: 300}
  - {id: m270, name: M270, weapon_class: rocket_artillery, suppliers: [GB, US], reach_km: 70}
regions:
  - {id: kharkiv, name: Kharkiv, country: UA, borders: [belgorod]}
  - {id: crimea, name: Crimea, country: UA, occupied: true}
  - {id: belgorod, name: Belgorod, country: RU, borders: [kharkiv]}
  - {id: moscow, name: Moscow, country: RU}
"""
SRC = "source: {url: 'https://example.org/x', quote: q}"


def load(tmp_path: Path, files: dict[str, str]) -> Engine:
    write_files(tmp_path, {name: dedent(text) for name, text in files.items()}, CATALOG)
    return Engine.load(tmp_path, backend="compiled")


def policy(pid: str, rules: str, *, version: str = "v1", default: str = "prohibited",
           header: str = "effective_from: 2024-01-01") -> str:
    return (f"policy: {pid}\nversion: {version}\ntitle: t\n{header}\ndefault: {default}\nrules:\n"
            + dedent(rules))


def only(engine: Engine, pid: str) -> Partition:
    (p,) = [p for p in partitions(engine.resolved) if p.ruleset.version.policy == pid]
    return p


# The interval scheme ---------------------------------------------------------------------


def test_thresholds_split_the_range_into_points_and_open_intervals() -> None:
    assert intervals([80]) == (Interval(0, 80, True, False), Interval(80, 80),
                               Interval(80, MAX_RANGE_KM, False, True))
    assert intervals([]) == (Interval(0, MAX_RANGE_KM),)
    assert intervals([0, 80, -5, 1e9]) == (Interval(0, 0), Interval(0, 80, False, False), Interval(80, 80),
                                           Interval(80, MAX_RANGE_KM, False, True))
    assert [str(i) for i in intervals([40, 80])] == ["[0, 40)", "40", "(40, 80)", "80", "(80, 20100]"]


def test_a_representative_lies_in_its_interval_and_within_reach() -> None:
    iv = Interval(80, MAX_RANGE_KM, False, True)
    assert iv.pick(300) == 81.0 and 81.0 in iv
    assert iv.pick(80) is None  # the reach stops short of the interval
    assert Interval(80, 80).pick(80) == 80.0 and Interval(80, 80).pick(79.5) is None
    x = Interval(0, 80, True, False).pick(0.5)
    assert x is not None and 0 < x <= 0.5
    adjacent = math.nextafter(1.0, 2.0)  # no float lies strictly between: an empty class
    assert intervals([1.0, adjacent])[2] == Interval(1.0, adjacent, False, False)
    assert intervals([1.0, adjacent])[2].pick() is None


# Which fields are split, and feasibility ---------------------------------------------------


def test_fields_no_rule_mentions_are_not_enumerated(tmp_path: Path) -> None:
    e = load(tmp_path, {"us.yaml": policy("us", f"""\
        - {{id: ru, title: t, effect: prohibited, when: {{target_country: RU}}, {SRC}}}
        """)})
    p = only(e, "us")
    assert p.fields == {"target_country"}
    assert len(p) == 2 == len(list(p.classes()))
    assert sorted(c.values["target_country"] for c in p.classes()) == ["RU", "UA"]


def test_derived_fields_stay_feasible(tmp_path: Path) -> None:
    e = load(tmp_path, {"us.yaml": policy("us", f"""\
        - {{id: a, title: t, effect: allowed, when: {{target_region: belgorod, target_category: military}}, {SRC}}}
        - {{id: b, title: t, effect: prohibited, when: {{target_country: UA}}, {SRC}}}
        """)})
    pairs = {(c.values["target_region"], c.values["target_country"]) for c in only(e, "us").classes()}
    # belgorod is named; the other regions stand together, one class per country ("*")
    assert pairs == {("belgorod", "RU"), ("*", "RU"), ("*", "UA")}
    reps = {c.strike["target_region"] for c in only(e, "us").classes() if c.values["target_region"] == "*"}
    assert reps <= {"kharkiv", "crimea", "moscow"} and len(reps) == 2
    cats = {c.values["target_category"] for c in only(e, "us").classes()}
    assert cats == {"military", "dual_use", "civilian"}  # categories, not the eleven target types


def test_a_weapon_fixes_its_class_and_its_reach_bounds_the_range(tmp_path: Path) -> None:
    e = load(tmp_path, {"us.yaml": policy("us", f"""\
        - {{id: far, title: t, effect: prohibited, when: {{weapon: himars, range_km: {{gt: 100}}}}, {SRC}}}
        """)})
    p = only(e, "us")
    by_weapon: dict[str | None, set[str]] = {}
    for c in p.classes():
        by_weapon.setdefault(c.values["weapon"], set()).add(str(c.values["range_km"]))
        assert c.facts["weapon_class"] == ("rocket_artillery" if c.values["weapon"] in ("himars", "m270") else
                                           c.facts["weapon_class"])
    assert by_weapon["himars"] == {"[0, 100)"}  # reach 80: never at or beyond 100
    assert by_weapon["atacms"] == {"[0, 100)", "100", "(100, 20100]"}
    assert by_weapon[None] == {"[0, 100)", "100", "(100, 20100]"}  # no weapon: up to MAX_RANGE_KM
    assert "far" not in {p.ruleset.rules[i].id for _, o in p.outcomes() for i in o.matched}


def test_a_supplier_policy_sees_only_its_code_and_default_the_rest(tmp_path: Path) -> None:
    rule = f"- {{id: x, title: t, effect: allowed, when: {{supplier: {{ne: FR}}}}, {SRC}}}\n"
    e = load(tmp_path, {"us.yaml": policy("us", rule), "default.yaml": policy("default", rule)})
    assert {c.values["supplier"] for c in only(e, "us").classes()} == {"US"}
    seen = {c.values["supplier"] for c in only(e, "default").classes()}
    assert seen == {None, "DE", "FR", "GB", "UA", OTHER_CODE}
    weapons = {(c.facts["weapon"], c.facts["supplier"]) for c in only(e, "default").classes()}
    assert ("m270", "GB") in weapons and ("m270", "US") not in weapons  # m270 from the US is a US strike


def test_common_rules_are_judged_inside_each_policy(tmp_path: Path) -> None:
    e = load(tmp_path, {
        "common.yaml": policy("common", f"- {{id: civ, title: t, effect: prohibited, overrides: all, "
                          f"when: {{target_category: civilian}}, {SRC}}}\n"),
        "us.yaml": policy("us", f"- {{id: ok, title: t, effect: allowed, {SRC}}}\n"),
    })
    (p,) = partitions(e.resolved)
    assert p.label == "us@v1 + common@v1"
    assert [r.id for r in p.ruleset.rules] == ["civ", "ok"]
    assert {c.values["target_category"]: o.deciding for c, o in p.outcomes()} == \
        {"military": 1, "dual_use": 1, "civilian": 0}


# Exactness: representatives, class_of, outcomes ------------------------------------------


VERSIONED = {
    "us/a.yaml": policy("us", f"""\
        - {{id: ua, title: t, effect: allowed, when: {{target_country: UA}}, {SRC}}}
        - {{id: ru, title: t, effect: prohibited, when: {{target_country: RU}}, {SRC}}}
        """, version="a", header="effective_from: 2024-01-01\neffective_until: 2024-05-29"),
    "us/b.yaml": "policy: us\nversion: b\ntitle: t\neffective_from: 2024-05-30\nextends: a\n"
                 "parameters: {far: 80}\nrules:\n" + dedent(f"""\
        - {{id: fire, title: t, effect: allowed, overrides: [ru], {SRC},
            when: {{target_region: belgorod, self_defense: true, defended_region: kharkiv,
                   weapon_class: {{in: [rocket_artillery]}}, target_category: military}}}}
        - {{id: far, title: t, effect: prohibited, overrides: [fire, ru], {SRC},
            when: {{target_country: RU, any: [{{weapon: atacms}}, {{range_km: {{gt: {{param: far}}}}}}]}}}}
        - {{id: spare, title: t, effect: allowed, {SRC}, when: {{supplier: {{in: [US]}}, range_km: {{eq: 40}}}}}}
        """),
    "default.yaml": policy("default", f"- {{id: d, title: t, effect: allowed, {SRC}, "
                           f"when: {{supplier: {{ne: GB}}, target_country: UA}}}}\n"),
}


def test_every_representative_is_valid_and_judged_as_its_class(tmp_path: Path) -> None:
    """Exhaustive on a small pack: each representative validates, is judged by this rule set, gets the
    class outcome from Engine.evaluate on both backends, and maps back to its own class."""
    compiled = load(tmp_path, VERSIONED)
    durable = Engine.load(tmp_path, backend="durable")
    total = 0
    for p in partitions(compiled.resolved):
        keys = set()
        for cls, out in p.outcomes():
            total += 1
            keys.add(cls.key)
            strike = ProposedStrike.parse(cls.strike, compiled.pack.catalog)
            assert p.class_of(strike).key == cls.key
            rules = p.ruleset.rules
            for engine in (compiled, durable):
                v = engine.evaluate(strike)
                assert v.policy.version == p.ruleset.version.version
                assert v.matched == tuple(rules[i].id for i in out.matched)
                assert v.rule.id == ("default" if out.deciding is None else rules[out.deciding].id)
        assert len(keys) == len(p)
    assert total == sum(len(p) for p in partitions(compiled.resolved)) > 100


def test_class_of_an_arbitrary_strike_has_the_same_outcome(tmp_path: Path) -> None:
    e = load(tmp_path, VERSIONED)
    for strike in (
        {"weapon": "HIMARS", "target_region": "belgorod", "target_type": "artillery", "self_defense": True,
         "defended_region": "kharkiv", "range_km": 80, "date": "2024-06-01"},
        {"weapon": "HIMARS", "target_region": "belgorod", "target_type": "artillery", "self_defense": True,
         "defended_region": "kharkiv", "range_km": 80, "date": "2024-05-29"},
        {"weapon_class": "drone", "supplier": "US", "target_region": "moscow", "target_type": "troops",
         "range_km": 80.0001},
        {"weapon_class": "drone", "supplier": "PL", "target_region": "crimea", "target_type": "troops",
         "range_km": 40},
        {"weapon": "m270", "supplier": "GB", "target_region": "crimea", "target_type": "troops", "range_km": 40},
    ):
        p = partition_for(e.resolved, strike)
        cls = p.class_of(strike)
        v = e.evaluate(strike)
        out = p.outcome(cls)
        assert v.matched == tuple(p.ruleset.rules[i].id for i in out.matched)
        assert v.decision is out.decision
    assert partition_for(e.resolved, {"weapon_class": "drone", "supplier": "PL", "target_region": "crimea",
                             "target_type": "troops", "range_km": 1}).class_of(
        {"weapon_class": "drone", "supplier": "NO", "target_region": "crimea", "target_type": "troops",
         "range_km": 1}).values["supplier"] == OTHER_CODE


def test_class_of_refuses_a_strike_another_rule_set_judges(tmp_path: Path) -> None:
    e = load(tmp_path, VERSIONED)
    a, b = (p for p in partitions(e.resolved) if p.ruleset.version.policy == "us")
    strike = {"weapon": "HIMARS", "target_region": "moscow", "target_type": "troops", "range_km": 5,
              "date": "2024-06-01"}
    assert b.class_of(strike).values["target_country"] == "RU"
    with pytest.raises(PolicyRefError, match=r"judged by us@b, not by us@a"):
        a.class_of(strike)
    with pytest.raises(PolicyRefError, match="judged by default@v1"):
        b.class_of({**strike, "weapon": "m270", "supplier": "GB"})


def test_bundled_pack_representatives_agree_with_the_engine(compiled_engine: Engine) -> None:
    """A sample of every partition of the bundled pack: every 97th class and the first of each."""
    for p in partitions(compiled_engine.resolved):
        for n, (cls, out) in enumerate(p.outcomes()):
            if n % 97:
                continue
            v = compiled_engine.evaluate(cls.strike)
            assert (v.policy.id, v.policy.version) == (p.ruleset.version.policy, p.ruleset.version.version)
            assert v.matched == tuple(p.ruleset.rules[i].id for i in out.matched)
            assert p.class_of(v.strike).key == cls.key


def test_parameters_move_the_thresholds(compiled_engine: Engine) -> None:
    strike = {"weapon": "ATACMS", "target_region": "kursk", "target_type": "troops", "range_km": 150,
              "date": "2024-07-01"}
    rs = partition_for(compiled_engine.resolved, strike).ruleset
    assert partition(compiled_engine.resolved, rs).thresholds == (80.0,)
    assert partition(compiled_engine.with_parameters({"us.long_range_km": 150}).resolved, rs).thresholds == (150.0,)


def test_every_region_a_stand_in_stands_for_gets_its_classs_outcome(compiled_engine: Engine) -> None:
    """On the bundled pack: for every class whose region is a stand-in ("*"), the class's representative
    strike moved to each region of the stand-in (same country, named by no condition) is decided as the
    class is, on both backends' ground truth (the compiled engine)."""
    from policyrules.analysis.partition import partitions

    catalog = compiled_engine.pack.catalog
    checked = 0
    for p in partitions(compiled_engine.resolved):
        ids = [r.id for r in p.ruleset.rules]
        for field, named in p.named.items():
            if field not in p.fields:
                continue
            for cls in p.classes():
                if cls.values.get(field) != "*":
                    continue
                out = p.outcome(cls)
                want = (out.decision, "default" if out.deciding is None else ids[out.deciding])
                strike = cls.strike
                country = cls.values.get("target_country") if field == "target_region" else "UA"
                for r in catalog.regions:
                    if r.id in named or (country is not None and r.country != country):
                        continue
                    if field == "defended_region" and r.country != "UA":
                        continue
                    v = compiled_engine.evaluate({**strike, field: r.id})
                    assert (v.decision, v.rule.id) == want, (p.label, cls.describe(), r.id)
                    checked += 1
                if checked > 20_000:
                    break
    assert checked > 1_000
