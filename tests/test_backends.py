"""The two matching backends agree with the reference semantics, ``conditions.evaluate``.

The conditions here are built directly over a small schema (enum, bool and number fields,
two of them optional), so the backends are tested as what they are: matchers of conditions
over facts, knowing nothing of strikes. Engines and matchers must also not interfere with
each other, and a durable matcher must leave no facts behind.
"""

from __future__ import annotations

import math
import threading
from pathlib import Path
from typing import Any

import durable_rules_engine
import pytest
from hypothesis import given
from hypothesis import strategies as st

from policyrules import Decision, Engine
from policyrules.language.conditions import (
    AllOf,
    AnyOf,
    Cmp,
    Condition,
    Not,
    render,
)
from policyrules.matching import BACKENDS, build
from policyrules.matching.compiled import CompiledMatcher
from policyrules.matching.durable import DurableMatcher
from policyrules.model.errors import BackendError

from .condition_trees import conditions, facts, reference
from .helpers import TINY_CATALOG, write_files


@given(st.lists(conditions(), min_size=1, max_size=5), st.lists(facts(), min_size=1, max_size=4))
def test_both_backends_match_exactly_the_conditions_the_reference_says_hold(
        conds: list[Condition], fact_list: list[dict[str, Any]]) -> None:
    """For any conditions and any facts, each backend reports exactly the indices of the
    conditions that ``conditions.evaluate`` says hold: in ascending order, each once."""
    durable, compiled = DurableMatcher(conds, "prop"), CompiledMatcher(conds)
    for fact in fact_list:
        expected = reference(conds, fact)
        assert compiled.match(fact) == expected, [render(c) for c in conds]
        assert durable.match(fact) == expected, [render(c) for c in conds]


# Edge facts ------------------------------------------------------------------------------

EDGE_CONDITIONS: list[Condition] = [
    Cmp("size", "eq", "s"), Cmp("size", "ne", "s"), Cmp("size", "in", ("s", "m")), Cmp("size", "not_in", ("s",)),
    Not(Cmp("size", "eq", "s")), Not(Cmp("size", "in", ("s", "m"))),
    Cmp("m", "eq", 0.0), Cmp("m", "ne", 0.0), Cmp("m", "lt", 1.0), Cmp("m", "le", 0.0), Cmp("m", "gt", -1.0),
    Cmp("m", "ge", -1e9), Not(Cmp("m", "lt", 1.0)), Not(Cmp("m", "ge", -1.0)), Not(Cmp("m", "eq", 0.0)),
    Not(Cmp("m", "ne", 0.0)), AnyOf((Cmp("m", "gt", 5.0), Cmp("m", "le", 5.0))),
    Not(AllOf((Cmp("m", "gt", 5.0), Cmp("size", "eq", "s")))),
    Cmp("n", "gt", 0.0), Cmp("n", "ge", 1e-7), Cmp("n", "lt", 1e-7), Cmp("n", "eq", 1e-7), Cmp("n", "le", 2.5e-5),
    Cmp("n", "gt", 1e9), Cmp("n", "lt", -1e9), Cmp("n", "eq", 0.0), Not(Cmp("n", "gt", 1e-7)),
]
EDGE_FACTS: list[dict[str, Any]] = [
    {"colour": "red", "size": None, "flag": False, "n": 0.0, "m": None},
    {"colour": "red", "size": None, "flag": True, "n": 1e-7, "m": None},
    {"colour": "red", "size": "s", "flag": False, "n": -0.0, "m": 0.0},
    {"colour": "red", "size": "l", "flag": False, "n": 1.0000000000000001e-07, "m": -0.0},
    {"colour": "red", "size": "m", "flag": False, "n": 9.999999999999998e-08, "m": 1e-7},
    {"colour": "red", "size": None, "flag": False, "n": 2.5e-05, "m": 5e-324},
    {"colour": "red", "size": None, "flag": False, "n": 1e-300, "m": -5e-324},
    {"colour": "red", "size": None, "flag": False, "n": 1e16, "m": 1e9},
    {"colour": "red", "size": None, "flag": False, "n": math.nextafter(1e9, 2e9), "m": -1e9},
    {"colour": "red", "size": None, "flag": False, "n": 30, "m": 1},
]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("fact", EDGE_FACTS, ids=lambda f: f"n={f['n']!r},m={f['m']!r},size={f['size']!r}")
def test_edge_facts_get_the_reference_answer(backend: str, fact: dict[str, Any]) -> None:
    """None in optional fields, numbers that print with exponents, ints for floats."""
    matcher = build(backend, EDGE_CONDITIONS, "edge")
    assert matcher.match(fact) == reference(EDGE_CONDITIONS, fact)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_rule_matching_through_two_alternatives_is_reported_once(backend: str) -> None:
    conds: list[Condition] = [AnyOf((Cmp("n", "gt", 1.0), Cmp("n", "gt", 2.0), Cmp("colour", "eq", "red")))]
    assert build(backend, conds, "twice").match({"colour": "red", "n": 3.0}) == (0,)


@pytest.mark.parametrize("backend", BACKENDS)
def test_empty_any_never_holds_and_empty_all_always_holds(backend: str) -> None:
    conds: list[Condition] = [AnyOf(()), AllOf(()), Not(AnyOf(())), Not(AllOf(()))]
    assert build(backend, conds, "empty").match({"colour": "red"}) == (1, 2)


@pytest.mark.parametrize("backend", BACKENDS)
def test_conditions_nested_too_deeply_for_a_backend_fail_with_a_backend_error(backend: str) -> None:
    cond: Condition = Cmp("n", "gt", 0.0)
    for _ in range(3000):
        cond = Not(cond)
    with pytest.raises(BackendError):
        build(backend, [cond], "deep")


# Durable: no state left behind, no interference -----------------------------------------


def test_a_durable_matcher_leaves_no_facts_behind() -> None:
    conds: list[Condition] = [Cmp("n", "gt", 5.0), Cmp("colour", "eq", "red"), Not(Cmp("m", "lt", 1.0))]
    matcher = DurableMatcher(conds, "leak")
    for fact in ({"colour": "red", "n": 6.0, "m": None}, {"colour": "blue", "n": 1.0, "m": 0.0}):
        matcher.match(fact)
        assert all(durable_rules_engine.get_facts(part._handle, "0") == "[]" for part in matcher.parts)


def test_a_durable_matcher_answers_the_same_facts_the_same_way_every_time() -> None:
    conds: list[Condition] = [Cmp("n", "gt", 5.0), Cmp("m", "ne", 0.0), Cmp("size", "ne", "s"),
                              AnyOf((Cmp("colour", "eq", "red"), Cmp("flag", "eq", True)))]
    matcher = DurableMatcher(conds, "repeat")
    for fact in ({"colour": "red", "size": None, "flag": True, "n": 6.0, "m": None},
                 {"colour": "blue", "size": "s", "flag": False, "n": 1.0, "m": 0.0}):
        answers = {matcher.match(fact) for _ in range(300)}
        assert answers == {reference(conds, fact)}


def test_durable_matchers_with_the_same_name_do_not_share_rules() -> None:
    a = DurableMatcher([Cmp("n", "gt", 5.0)], "same")
    b = DurableMatcher([Cmp("n", "lt", 5.0)], "same")
    for _ in range(3):
        assert (a.match({"n": 6.0}), b.match({"n": 6.0})) == ((0,), ())
        assert (a.match({"n": 4.0}), b.match({"n": 4.0})) == ((), (0,))


def test_a_durable_matcher_shared_by_threads_gives_each_its_own_answer() -> None:
    conds: list[Condition] = [Cmp("n", "gt", float(k)) for k in range(8)]
    matcher = DurableMatcher(conds, "threads")
    wrong: list[tuple[float, tuple[int, ...]]] = []

    def work(n: float) -> None:
        for _ in range(200):
            got = matcher.match({"n": n})
            if got != reference(conds, {"n": n}):
                wrong.append((n, got))

    threads = [threading.Thread(target=work, args=(k + 0.5,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert wrong == []


# Engines side by side --------------------------------------------------------------------

def us_pack(root: Path, name: str, default: str, limit: float) -> Path:
    return write_files(root / name, {"us/baseline.yaml": f"""\
policy: us
version: baseline
title: US
effective_from: 2022-02-24
default: {default}
parameters:
  long_range_km: {limit}
rules:
  - id: {name}-long-range
    title: long range
    effect: prohibited
    when: {{target_country: RU, range_km: {{gt: {{param: long_range_km}}}}}}
    source: {{document: a.txt, quote: "q"}}
"""}, TINY_CATALOG)


STRIKE = {"weapon": "HIMARS", "target_region": "belgorod", "target_type": "troops", "range_km": 50}


def test_engines_on_different_packs_do_not_interfere(tmp_path: Path) -> None:
    lenient = Engine.load(us_pack(tmp_path, "lenient", "allowed", 70), backend="durable")
    strict = Engine.load(us_pack(tmp_path, "strict", "allowed", 30), backend="durable")
    for _ in range(3):
        a, b = lenient.evaluate(STRIKE), strict.evaluate(STRIKE)
        assert (a.decision, a.rule.id) == (Decision.ALLOWED, "default")
        assert (b.decision, b.rule.id) == (Decision.PROHIBITED, "strict-long-range")


@pytest.mark.parametrize("backend", BACKENDS)
def test_engines_with_different_parameters_do_not_interfere(tmp_path: Path, backend: str) -> None:
    base = Engine.load(us_pack(tmp_path, "p", "allowed", 70), backend=backend)
    tight = base.with_parameters({"us.long_range_km": 30})
    loose = tight.with_parameters({"us.long_range_km": 60})
    for _ in range(3):
        assert [e.evaluate(STRIKE).decision for e in (base, tight, loose, base)] == [
            Decision.ALLOWED, Decision.PROHIBITED, Decision.ALLOWED, Decision.ALLOWED]
    assert base.parameters["us.long_range_km"] == 70


def test_both_backends_give_the_same_verdicts_on_one_pack(tmp_path: Path) -> None:
    pack = us_pack(tmp_path, "same", "allowed", 40)
    durable, compiled = Engine.load(pack, backend="durable"), Engine.load(pack, backend="compiled")
    for rng in (0, 1e-7, 39.999999, 40, 40.000001, 80):
        for region in ("kharkiv", "belgorod"):
            strike = {**STRIKE, "target_region": region, "range_km": rng}
            a, b = durable.evaluate(strike), compiled.evaluate(strike)
            assert (a.decision, a.rule.id, a.matched) == (b.decision, b.rule.id, b.matched), strike
