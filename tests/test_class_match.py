"""Matching many classes at once (policyrules.deciding.class_match, a new plan of the vectorised
path) gives, class by class, the rules the compiled matcher gives on the class's facts."""

from __future__ import annotations

import random
from collections import defaultdict
from typing import Any

import numpy as np
import pytest

from policyrules import Engine
from policyrules.deciding.class_match import matched_rules
from policyrules.language.conditions import AllOf, AnyOf, Cmp, Not, evaluate
from policyrules.model.dimensions import NUMBER_FIELDS
from policyrules.model.slots import private_of
from policyrules.scenarios import load_scenarios

from .helpers import EXAMPLES


def facts_by_decider(engine: Engine) -> dict[Any, list[dict[str, Any]]]:
    """The facts each example strike is matched on, by the decider that judges it."""
    out: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for scenario in (s for path in sorted(EXAMPLES.glob("scenarios-*.yaml")) for s in load_scenarios(path)):
        try:
            strike = engine.strike(scenario.strike)
        except Exception:
            continue
        b, day, *numbers = private_of(strike)["_hot"]  # type: ignore[index]
        out[engine.decider_for(b.picker, day)].append({**b.facts, **dict(zip(NUMBER_FIELDS, numbers, strict=True))})
    return out


def test_every_class_matches_what_the_compiled_matcher_matches(compiled_engine: Engine) -> None:
    """Each field a unit of its own, its codes the values the examples give it (and the numbers each
    threshold and None); 2,000 classes of random codes per rule set (most of them combinations no
    example has), against ``decider.match``."""
    rng = random.Random(7)
    groups = facts_by_decider(compiled_engine)
    assert len(groups) >= 5
    for d, facts in groups.items():
        fields = sorted(facts[0])
        # the numbers also on each threshold of the rule set, and left out
        values = [list(dict.fromkeys([*(f[name] for f in facts), *d.thresholds_of.get(name, ()),
                                      *([None] if name in NUMBER_FIELDS else [])])) for name in fields]
        unit_facts = [[{name: v} for v in vs] for name, vs in zip(fields, values, strict=True)]
        n = 2_000
        codes = [np.array([rng.randrange(len(vs)) for _ in range(n)]) for vs in values]
        got = matched_rules(d.conditions, unit_facts, codes, n)
        assert got is not None
        patterns, which = got
        for k in range(n):
            merged = {name: values[u][codes[u][k]] for u, name in enumerate(fields)}
            assert patterns[which[k]] == d.match(merged), (d.ruleset.version.ref, merged)
        assert len(patterns) == len(set(patterns))


def test_negation_nesting_and_empty_combinations_match_as_evaluate_does() -> None:
    """The bundled rule sets have no ``not``: conditions that do, nested, and the empty ``all`` (always)
    and ``any`` (never), on every class of three units, against the reference semantics."""
    us, near = Cmp("supplier", "eq", "US"), Cmp("range_km", "le", 80.0)
    kharkiv = Cmp("defended_region", "in", ("kharkiv", "sumy"))
    conds = (Not(us), AllOf((Not(near), AnyOf((us, Not(kharkiv))))), Not(AnyOf((us, near))), AllOf(()),
             AnyOf(()), Not(AllOf(())), AnyOf((Not(us), AllOf((near, kharkiv)))))
    units = [[{"supplier": s} for s in ("US", "GB")],
             [{"range_km": x} for x in (None, 10.0, 80.0, 300.0)],
             [{"defended_region": r} for r in (None, "kharkiv", "donetsk")]]
    grid = np.array(np.meshgrid(*[np.arange(len(u)) for u in units], indexing="ij")).reshape(len(units), -1)
    n = grid.shape[1]
    got = matched_rules(conds, units, list(grid), n)
    assert got is not None
    patterns, which = got
    for k in range(n):
        facts = {key: v for u, codes in zip(units, grid, strict=True) for key, v in u[codes[k]].items()}
        assert patterns[which[k]] == tuple(i for i, c in enumerate(conds) if evaluate(c, facts)), facts


def test_facts_that_do_not_split_into_units_are_left_to_the_matcher() -> None:
    cond = (AnyOf((Cmp("supplier", "eq", "US"), Cmp("range_km", "le", 80.0))),)
    one = [np.zeros(3, dtype=np.int64)]
    assert matched_rules(cond, [[{"supplier": "US", "range_km": 1.0}]], one, 3) is not None
    # a field in two units, in only some codes of its unit, or in none
    assert matched_rules(cond, [[{"supplier": "US"}], [{"supplier": "GB", "range_km": 1.0}]], one * 2, 3) is None
    assert matched_rules(cond, [[{"supplier": "US", "range_km": 1.0}, {"supplier": "GB"}]], one, 3) is None
    assert matched_rules(cond, [[{"supplier": "US"}]], one, 3) is None


@pytest.mark.parametrize("n", [0, 1, 70_000])
def test_no_condition_matches_nothing_and_any_count_of_classes_is_taken(n: int) -> None:
    assert matched_rules((), [], [], n) == ([()], pytest.approx(np.zeros(n)))
    cond = (Cmp("range_km", "lt", 80.0), Cmp("range_km", "ge", 80.0))
    codes = [np.arange(n) % 3]
    patterns, which = matched_rules(cond, [[{"range_km": None}, {"range_km": 10.0}, {"range_km": 90.0}]],
                                    codes, n) or ([], np.zeros(0))
    assert [patterns[w] for w in which[:3]] == [(), (0,), (1,)][:n]
    assert len(which) == n


@pytest.mark.parametrize("count", [7, 8, 64, 65, 130])
def test_rule_sets_of_any_width_in_bytes_keep_each_class_its_own_rules(count: int) -> None:
    """Classes are grouped by their rules' bits packed into bytes: up to 8 bytes (64 conditions) as one
    number, more as a row of bytes; every width against ``evaluate``, with classes that differ only in
    the last condition (the last bit of the last byte) or the first."""
    conds = tuple(Cmp("range_km", "lt", float(t)) for t in range(1, count + 1))
    values = [None, 0.0, 0.5, *(float(t) for t in range(1, count + 1)), count + 5.0]
    units = [[{"range_km": v} for v in values]]
    codes = [np.random.default_rng(count).integers(0, len(values), 3_000)]
    got = matched_rules(conds, units, codes, 3_000)
    assert got is not None
    patterns, which = got
    want = [tuple(i for i, c in enumerate(conds) if evaluate(c, facts)) for facts in units[0]]
    assert len(patterns) == len(set(patterns)) == len({want[c] for c in codes[0].tolist()})
    for k in range(3_000):
        assert patterns[which[k]] == want[codes[0][k]], units[0][codes[0][k]]
