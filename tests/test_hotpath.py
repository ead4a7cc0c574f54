"""The hot paths of evaluation (:mod:`policyrules.deciding.hotpath`) give the reference path's verdict.

The reference: the strike validated by Pydantic against the engine's catalog, its rule set's decider
found from the pack (no route cache), its facts matched (``decider.decide``), ``Verdict.of``. Every
fast path must give a verdict equal to it field by field (its JSON form, contested alternatives
included, and ``explain()``): a plain dict (first seen, then with its class cached), a strike the
engine validated, a strike validated against another catalog of equal content (a user's
``ProposedStrike(...)``), and both inside ``evaluate_many``. On the bundled pack and on a pack
with contested points, with both backends.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policyrules import Engine, ProposedStrike, StrikeError, Verdict
from policyrules.model.strike import facts
from policyrules.packs.loader import load_pack
from policyrules.strategies import class_strikes, strikes

from .readings_pack import BASELINE, BASELINE_UNTIL, SHIFT, write

COMPILED = Engine.load(backend="compiled")
DURABLE = Engine.load(backend="durable")
BUNDLED = st.one_of(strikes(COMPILED), class_strikes(COMPILED))


def reference(engine: Engine, data: dict[str, Any]) -> Verdict:
    s = ProposedStrike.model_validate(data, context={"catalog": engine.pack.catalog})
    decider = engine.decider(engine.pack.ruleset(engine.version_for(s), s.date))
    return Verdict.of(decider.decide(facts(s)), s)


def assert_same(got: Verdict, want: Verdict, how: str) -> None:
    assert got.model_dump(mode="json") == want.model_dump(mode="json"), how
    assert got.contested == want.contested, how
    assert got.explain() == want.explain(), how
    assert got == want, how
    assert got.strike.model_fields_set == want.strike.model_fields_set, how


def assert_fast_paths(engine: Engine, data: dict[str, Any], twin: Any) -> None:
    want = reference(engine, data)
    assert_same(engine.evaluate(dict(data)), want, "dict, first seen")
    assert_same(engine.evaluate(dict(data)), want, "dict, its class known")
    assert_same(engine.evaluate(engine.strike(data)), want, "a strike the engine validated")
    assert_same(engine.evaluate(ProposedStrike.parse(data, twin)), want, "a strike of an equal catalog")
    many = engine.evaluate_many([dict(data), engine.strike(data), ProposedStrike.parse(data, twin)])
    for v, how in zip(many, ("dict", "validated", "equal catalog"), strict=True):
        assert_same(v, want, f"evaluate_many, {how}")


@settings(max_examples=40)
@given(BUNDLED)
def test_the_compiled_hot_paths_give_the_reference_verdict(strike: dict[str, Any]) -> None:
    """Compiled backend, bundled pack; a user's ProposedStrike is checked against the bundled catalog,
    an object other than the engine's own but equal in content."""
    assert_fast_paths(COMPILED, strike, load_pack().catalog)
    user = ProposedStrike(**strike)
    assert_same(COMPILED.evaluate(user), reference(COMPILED, strike), "ProposedStrike(...) built by the user")


@settings(max_examples=15)
@given(BUNDLED)
def test_the_durable_hot_paths_give_the_reference_verdict(strike: dict[str, Any]) -> None:
    assert_fast_paths(DURABLE, strike, load_pack().catalog)


@pytest.fixture(scope="module")
def contested_rules(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hotpath") / "rules"
    return write(root, {"gb/baseline.yaml": BASELINE.replace("effective_until: 2024-05-01", BASELINE_UNTIL),
                        "gb/2024-05-02.yaml": SHIFT})


@pytest.mark.parametrize("backend", ["compiled", "durable"])
def test_the_hot_paths_give_the_reference_verdict_with_its_contested_alternatives(
        contested_rules: Path, backend: str) -> None:
    engine = Engine.load(contested_rules, backend=backend)
    twin = load_pack(contested_rules).catalog
    assert twin is not engine.pack.catalog and twin.digest == engine.pack.catalog.digest
    seen_contested = 0

    @settings(max_examples=25)
    @given(strikes(engine))
    def run(strike: dict[str, Any]) -> None:
        nonlocal seen_contested
        assert_fast_paths(engine, strike, twin)
        seen_contested += bool(engine.evaluate(strike).contested)

    run()
    assert seen_contested  # the property was tried on strikes whose verdict has alternatives


def test_a_strike_of_another_catalog_is_validated_again(contested_rules: Path) -> None:
    """Only a catalog of equal content lets a strike through unchecked: a strike checked against the
    bundled catalog is refused by an engine whose catalog has no such weapon, and one valid under
    both catalogs gets the engine's verdict."""
    engine = Engine.load(contested_rules, backend="compiled")
    himars = COMPILED.strike({"weapon": "HIMARS", "target_region": "kursk", "target_type": "airfield",
                              "range_km": 50.0, "date": "2024-07-01"})
    with pytest.raises(StrikeError, match="weapon"):
        engine.evaluate(himars)
    with pytest.raises(StrikeError, match="weapon"):
        engine.evaluate_many([himars])
    bundled_m270 = COMPILED.strike({"weapon": "M270", "supplier": "GB", "target_region": "kursk",
                                    "target_type": "airfield", "range_km": 50.0, "date": "2024-07-01"})
    v = engine.evaluate(bundled_m270)
    assert v.strike.model_dump() == engine.strike(bundled_m270.model_dump(exclude={"target_country",
                                                                                   "target_category"})).model_dump()
    assert (v.decision.value, v.rule.id) == ("allowed", "gb-military-targets-anywhere")
    assert engine._twin is None  # no catalog of other content is remembered


def test_the_durable_backend_matches_every_strike_even_of_a_known_class(monkeypatch: pytest.MonkeyPatch) -> None:
    """No verdict of the durable backend is memoised: each evaluation, on every path, asks durable_rules."""
    engine = Engine.load(backend="durable")
    strike = {"weapon": "HIMARS", "target_region": "belgorod", "target_type": "artillery", "self_defense": True,
              "defended_region": "kharkiv", "range_km": 30.0, "date": "2024-06-01"}
    decider = engine.decider_for("US", engine.strike(strike).date)
    calls = []
    match = decider.match
    monkeypatch.setattr(decider, "match", lambda facts: calls.append(1) or match(facts))
    engine.evaluate(strike)
    engine.evaluate(strike)
    engine.evaluate(engine.strike(strike))
    engine.evaluate_many([strike, engine.strike(strike)])
    assert len(calls) == 5
