"""Properties of evaluation over the bundled pack, on strikes drawn by :mod:`policyrules.strategies`.

Each test states its invariant in words. Strikes lean on the values the rules name, the pack's
range thresholds, each weapon's reach and every version boundary date, where answers change;
half of them are drawn class by class so that every rule that can decide gets its turn.
"""

from __future__ import annotations

import dataclasses
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from policyrules import Decision, Engine, ProposedStrike, Verdict
from policyrules.analysis.partition import Partition, partition_for
from policyrules.deciding.combine import Outcome
from policyrules.language.conditions import parse
from policyrules.model.domain import MAX_RANGE_KM
from policyrules.model.sources import Source
from policyrules.packs.loader import check_ruleset
from policyrules.packs.pack import Rule
from policyrules.strategies import boundary_ranges, class_strikes, strikes

COMPILED = Engine.load(backend="compiled")
DURABLE = Engine.load(backend="durable")
# Strikes over the whole space, and strikes spread over every rule that decides (rare exceptions too).
STRIKES = st.one_of(strikes(COMPILED), class_strikes(COMPILED))
US_STRIKES = strikes(COMPILED, policies=["us"])

_tables: dict[tuple[str, str, str | None], tuple[Partition, dict[Any, Outcome]]] = {}


def checked_outcome(strike: dict[str, Any]) -> tuple[Partition, Outcome]:
    """The outcome ``check`` computed for the strike's class (each partition walked once, then kept)."""
    p = partition_for(COMPILED.resolved, strike)
    if p.ruleset.key not in _tables:
        _tables[p.ruleset.key] = (p, {cls.key: out for cls, out in p.outcomes()})
    p, table = _tables[p.ruleset.key]
    return p, table[p.class_of(strike).key]


@given(STRIKES)
def test_backends_agree(strike: dict[str, Any]) -> None:
    """durable_rules and the compiled backend give every strike the same decision, deciding rule,
    matched, overridden and conflicting rules, under the same policy version."""
    a, b = DURABLE.evaluate(strike), COMPILED.evaluate(strike)
    assert (a.decision, a.rule.id, a.matched, a.overridden, a.conflict, a.policy) == \
        (b.decision, b.rule.id, b.matched, b.overridden, b.conflict, b.policy)


@given(STRIKES)
def test_evaluation_is_deterministic_and_total(strike: dict[str, Any]) -> None:
    """Every valid strike gets exactly one decision and a deciding rule id, the same every time: the
    rule that fired matched and was not overridden, or it is the default and no rule stands."""
    v = COMPILED.evaluate(strike)
    assert v.model_dump(mode="json") == COMPILED.evaluate(strike).model_dump(mode="json")
    assert v.decision in (Decision.ALLOWED, Decision.PROHIBITED) and v.rule.id
    standing = [r for r in v.matched if r not in v.overridden]
    if v.rule.id == "default":
        assert standing == [] and v.decision is v.rule.effect
    else:
        assert v.rule.id in standing and v.rule.effect is v.decision
    s = v.strike
    assert s.date is None or (v.policy.effective_from <= s.date and
                              (v.policy.effective_until is None or s.date <= v.policy.effective_until))


@given(STRIKES)
def test_a_strike_has_the_verdict_check_computed_for_its_class(strike: dict[str, Any]) -> None:
    """The verdict of any strike equals the outcome ``check`` computed for its class of the partition:
    same decision, deciding rule, matched and overridden rules (the partition is exact)."""
    p, out = checked_outcome(strike)
    v = COMPILED.evaluate(strike)
    ids = [r.id for r in p.ruleset.rules]
    assert v.decision is out.decision
    assert v.rule.id == ("default" if out.deciding is None else ids[out.deciding])
    assert v.matched == tuple(ids[i] for i in out.matched)
    assert v.overridden == tuple(ids[i] for i in out.overridden)


CONDITIONS = st.sampled_from([
    None, {"target_country": "RU"}, {"target_region": "belgorod"}, {"target_category": "military"},
    {"weapon_class": {"in": ["tube_artillery", "rocket_artillery"]}}, {"self_defense": True},
    {"defended_region": "kharkiv"}, {"weapon": "atacms"}, {"supplier": {"ne": "US"}},
]) | st.sampled_from(boundary_ranges(COMPILED)).map(lambda t: {"range_km": {"le": t}})


def with_blanket_ban(engine: Engine, strike: ProposedStrike, when: Any) -> Engine:
    """The engine with one more prohibiting rule in the strike's policy version, overriding every rule
    except those that override all (overriding those would make a cycle the loader rejects)."""
    pack = engine.pack
    version = engine.version_for(strike)
    rs = pack.ruleset(version, strike.date)
    ban = Rule(id="test-blanket-ban", title="blanket ban", effect=Decision.PROHIBITED,
               when=parse(when, pack.schema, {}),
               overrides=frozenset(r.id for r in rs.rules if r.overrides != "all"),
               source=Source(url="https://example.org/ban", quote="ban"), basis=rs.rules[0].basis,
               policy=version.policy, file="test")
    policy = pack.policies[version.policy]
    versions = tuple(dataclasses.replace(v, rules=(*v.rules, ban)) if v is version else v for v in policy.versions)
    policies = {**pack.policies, version.policy: dataclasses.replace(policy, versions=versions)}
    changed = dataclasses.replace(pack, policies=policies, _rulesets={})
    check_ruleset(changed.ruleset(versions[policy.versions.index(version)], strike.date))
    return Engine(changed, backend="compiled")


@given(STRIKES, CONDITIONS)
def test_adding_a_ban_that_overrides_all_never_allows(strike: dict[str, Any], when: Any) -> None:
    """Adding a prohibiting rule that overrides all never turns a prohibited verdict into allowed;
    and wherever the new rule matches, the verdict is prohibited."""
    s = COMPILED.strike(strike)
    before = COMPILED.evaluate(s)
    after = with_blanket_ban(COMPILED, s, when).evaluate(s.model_dump(exclude={"target_country",
                                                                                 "target_category"}))
    if before.decision is Decision.PROHIBITED or "test-blanket-ban" in after.matched:
        assert after.decision is Decision.PROHIBITED, after.explain()


@given(US_STRIKES, st.floats(min_value=0, max_value=1, allow_nan=False))
def test_us_longer_range_never_allows(strike: dict[str, Any], share: float) -> None:
    """Under every US version, raising range_km (within the weapon's reach) never turns a
    prohibited strike into an allowed one: the long-range ban only ever adds prohibitions."""
    s = COMPILED.strike(strike)
    reach = COMPILED.pack.catalog.weapon_by_id(s.weapon).reach_km if s.weapon else MAX_RANGE_KM
    farther = s.range_km + share * (reach - s.range_km)
    if farther == s.range_km:
        farther = min(reach, math.nextafter(s.range_km, math.inf))
    near, far = COMPILED.evaluate(s), COMPILED.evaluate({**strike, "range_km": farther})
    assert near.policy.id == "us"
    if near.decision is Decision.PROHIBITED:
        assert far.decision is Decision.PROHIBITED, far.explain()


@given(STRIKES)
def test_a_civilian_target_is_never_allowed(strike: dict[str, Any]) -> None:
    """A strike on a civilian target is prohibited under every policy, version and backend, by the
    common civilian-target ban."""
    civilian = {**strike, "target_type": "civilian"}
    for engine in (COMPILED, DURABLE):
        v = engine.evaluate(civilian)
        assert v.decision is Decision.PROHIBITED and v.rule.id == "common-civilian-target-ban"


@given(STRIKES)
def test_verdicts_round_trip_through_json(strike: dict[str, Any]) -> None:
    """A verdict dumped to JSON and validated again is the same verdict (same JSON dump)."""
    v = DURABLE.evaluate(strike)
    dumped = v.model_dump(mode="json")
    again = Verdict.model_validate(dumped)
    assert again.model_dump(mode="json") == dumped
    assert again.decision is v.decision and again.strike == v.strike


def test_hypothesis_stays_optional_for_the_library() -> None:
    """Importing the library (and running check) never imports Hypothesis: only strategies.py does."""
    code = ("import sys, policyrules; policyrules.Engine.load(backend='compiled').check(); "
            "assert 'hypothesis' not in sys.modules, 'hypothesis imported'")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parent.parent)
