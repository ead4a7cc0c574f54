"""durable_rules' undocumented limits do not reach users: large rule sets and wide conditions.

Measured with durable-rules 2.0.28 (see :mod:`policyrules.matching.durable_plan`): more than 64
firings for one fact in one ruleset corrupt memory, 512 distinct tests under one node of its
network hang it, 16 any/all in one rule and 129 forward links from one node are refused, and
alternatives multiply. The durable backend computes these costs before building anything, splits
rules along ``$or`` and packs them into several rulesets, or refuses them with a RuleFileError at
load. These tests drive it well past every limit; every shape that hung or blew up durable_rules
runs in a child process with a memory limit and a timeout, so that a regression shows as a failed
test with its output rather than a dead test run.
"""

from __future__ import annotations

import gc
import subprocess
import sys
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policyrules.language.conditions import AllOf, AnyOf, Cmp, Condition
from policyrules.matching.durable import (
    MAX_FIRINGS,
    DurableMatcher,
    firings_bound,
    live_rulesets,
    pack,
    pieces,
    split,
    translate,
)
from policyrules.matching.durable_form import MAX_STRING_CHARS
from policyrules.matching.durable_plan import (
    MAX_ALTERNATIVES,
    MAX_COMBINATORS,
    MAX_FORWARD_LINKS,
    MAX_TESTS_UNDER_NODE,
    DurableLimitError,
    Feasibility,
    Network,
    alternatives,
    combinators,
    feasibility,
    plan,
)
from policyrules.model.errors import BackendError

from .condition_trees import conditions, facts, reference
from .packs_in_children import judge_in_child, region_ids, rule, strikes_for, write_pack

CHILD = """
import json, sys
from policyrules.matching.compiled import CompiledMatcher
from policyrules.matching.durable import DurableMatcher
from policyrules.language.conditions import AllOf, AnyOf, Cmp
n = 5.0
cases = {
    "200 rules matching one fact": [Cmp("n", "lt", float(i)) for i in range(200)],
    "300 rules != distinct values": [Cmp("colour", "ne", f"v{i}") for i in range(300)],
    "1000 identical rules": [Cmp("colour", "eq", "red")] * 1000,
    "one rule, any of 200 thresholds": [AnyOf(tuple(Cmp("n", "lt", float(i + 10)) for i in range(200)))],
    "40 rules, each any of 2 that hold": [AnyOf((Cmp("n", "lt", 100.0 + i), Cmp("n", "lt", 200.0 + i))) for i in range(40)],
    "products of wide in-lists": [AllOf((Cmp("colour", "in", tuple(f"c{j}" for j in range(30)) + ("red",)),
                                         Cmp("size", "in", tuple(f"s{j}" for j in range(30)) + ("m",)))) for _ in range(70)],
}
out = {}
for name, conds in cases.items():
    fact = {"n": n, "colour": "red", "size": "m"}
    out[name] = [list(DurableMatcher(conds, "big").match(fact)), list(CompiledMatcher(conds).match(fact))]
print(json.dumps(out))
"""


def test_large_rule_sets_match_like_the_compiled_backend_without_crashing() -> None:
    done = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, f"exit {done.returncode}: {done.stderr[-2000:]}"
    import json

    for name, (durable, compiled) in json.loads(done.stdout).items():
        assert durable == compiled, name
        assert durable, name  # every case matches something


def test_every_packed_ruleset_stays_within_the_firing_limit() -> None:
    conds: list[Condition] = [AnyOf(tuple(Cmp("n", "lt", float(i * 10 + j)) for j in range(7))) for i in range(30)]
    groups = pack(pieces(conds))
    assert len(groups) > 1
    assert all(sum(firings_bound(expr) for _, expr in g) <= MAX_FIRINGS for g in groups)
    assert sorted({i for g in groups for i, _ in g}) == list(range(30))


def test_the_firing_bound_counts_alternatives_that_can_hold_together() -> None:
    one_field = translate(Cmp("colour", "in", ("red", "green", "blue")))
    assert firings_bound(one_field) == 1  # one field has one value
    thresholds = translate(AnyOf((Cmp("n", "lt", 1.0), Cmp("n", "lt", 2.0), Cmp("n", "lt", 3.0))))
    assert firings_bound(thresholds) >= 3


def test_splitting_keeps_the_meaning() -> None:
    expr = translate(AnyOf((Cmp("n", "lt", 1.0), Cmp("n", "gt", 9.0), Cmp("colour", "eq", "red"))))
    halves = split(expr)
    assert halves is not None
    assert firings_bound(halves[0]) + firings_bound(halves[1]) == firings_bound(expr)
    assert split({"colour": "red"}) is None


@settings(max_examples=25)
@given(st.lists(conditions(), min_size=60, max_size=90), st.lists(facts(), min_size=1, max_size=3))
def test_wide_random_rule_sets_agree_with_the_reference(conds: list[Condition], fact_list: list[dict[str, Any]]) -> None:
    """Sixty to ninety random conditions in one matcher (several rulesets): exactly the reference's matches."""
    durable = DurableMatcher(conds, "wide")
    for fact in fact_list:
        assert durable.match(fact) == reference(conds, fact)


# The shapes that hung durable_rules or blew it up, as rule files ---------------------------

AN = {"document": "a.txt", "quote": "q"}


def _ids(n: int, start: int = 0) -> list[str]:
    return region_ids(start + n)[start:]


def _nested_numeric(levels: int) -> dict[str, Any]:
    when: dict[str, Any] = {"range_km": {"lt": 1.0}}
    for i in range(levels):
        when = {"any" if i % 2 == 0 else "all": [{"range_km": {"gt": float(10 + i)}}, when]}
    return when


# (name, regions in the catalog, rules, expected: "loads" or a piece of the refusal)
SHAPES: list[tuple[str, int, list[dict[str, Any]], str]] = [
    ("all of 20 range_km ne", 4, [rule("r0", {"all": [{"range_km": {"ne": float(i)}} for i in range(20)]})], "loads"),
    ("all of 22 range_km ne", 4, [rule("r0", {"all": [{"range_km": {"ne": float(i)}} for i in range(22)]})], "loads"),
    ("all of 18 any[self_defense, range_km < 1000]", 4,
     [rule("r0", {"all": [{"any": [{"self_defense": True}, {"range_km": {"lt": 1000.0 + i}}]} for i in range(18)]})],
     "needs 262,144 alternatives that can hold together; the limit is 4,096"),
    ("an in list of 520 regions", 600, [rule("r0", {"target_region": {"in": _ids(520)}})], "loads"),
    ("48 rules of 11 regions", 600,
     [rule(f"r{j}", {"target_region": {"in": _ids(11, 11 * j)}}) for j in range(48)], "loads"),
    ("20 rules of 26 regions, 40 of 13", 600,
     [rule(f"a{j}", {"target_region": {"in": _ids(26, 26 * j)}}) for j in range(20)]
     + [rule(f"b{j}", {"target_region": {"in": _ids(13, 13 * j)}}) for j in range(40)], "loads"),
    ("520 rules of distinct range_km thresholds", 4,
     [rule(f"r{j}", {"range_km": {"lt": float(j)}}) for j in range(520)], "loads"),
    ("15 numeric comparisons in one all", 4, [rule("r0", {"all": [{"range_km": {"gt": float(-i)}} for i in range(15)]})],
     "loads"),
    ("8 nested levels with numeric tests", 4, [rule("r0", _nested_numeric(8))], "loads"),
    ("a not_in list of 590 regions", 600, [rule("r0", {"target_region": {"not_in": _ids(590)}})], "loads"),
    ("12 nested any of two thresholds: 4,096 alternatives", 4,
     [rule("r0", {"all": [{"any": [{"self_defense": True}, {"range_km": {"lt": 1000.0 + i}}]} for i in range(12)]})],
     "loads"),
]


@pytest.fixture(scope="module")
def shape_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """Every shape loaded and judged on both backends, in one child process (memory limit, timeout)."""
    jobs = []
    for _, regions, rules, _ in SHAPES:
        path = write_pack(tmp_path_factory.mktemp("shape") / "rules", regions, rules)
        strikes = strikes_for(regions) + [{**s, "target_region": r} for s in strikes_for(regions, 2)
                                          for r in _ids(3, max(regions - 3, 0))]
        jobs.append((path, strikes))
    return dict(zip([s[0] for s in SHAPES], judge_in_child(jobs, timeout=60), strict=True))


@pytest.mark.parametrize(("name", "expected"), [(s[0], s[3]) for s in SHAPES], ids=[s[0] for s in SHAPES])
def test_each_known_hang_and_blow_up_shape_loads_and_agrees_or_is_refused_at_load(
        shape_results: dict[str, dict[str, Any]], name: str, expected: str) -> None:
    """Each shape that made durable_rules hang, crash or take gigabytes, as a small rule file, in
    a child process with a memory limit and a timeout: both backends load it and give equal
    verdicts, or the durable backend refuses it at load with a RuleFileError naming the file, the
    rule and the bound (and the compiled backend still takes it). A killed child fails the test."""
    result = shape_results[name]
    compiled, durable = result["compiled"], result["durable"]
    assert "verdicts" in compiled, compiled
    if expected == "loads":
        assert "verdicts" in durable, durable
        assert durable["verdicts"] == compiled["verdicts"]
        assert durable["seconds"] < 20, durable
    else:
        assert durable["error"] == "RuleFileError", durable
        assert (durable["file"], durable["rule"]) == ("rules/us/v1.yaml", "r0")
        assert expected in durable["message"] and "use backend='compiled'" in durable["message"], durable
    assert result["peak_mb"] < 1500, result["peak_mb"]


# The cost model ----------------------------------------------------------------------------


def test_all_of_twenty_numeric_ne_is_one_alternative_behind_one_guard() -> None:
    """The numeric tests of one field under one all share one presence guard: all of twenty ``ne``
    used to be 2**20 alternatives (7.6 GB in durable_rules at the first fact)."""
    expr = translate(AllOf(tuple(Cmp("range_km", "ne", float(i)) for i in range(20))))
    assert alternatives(expr) == 1
    assert combinators(expr) == 2
    wide = translate(AllOf(tuple(AnyOf((Cmp("flag", "eq", True), Cmp("n", "lt", float(i)))) for i in range(18))))
    assert alternatives(wide) == 2**18


def test_the_network_counts_distinct_tests_under_each_node_and_undoes_what_does_not_fit() -> None:
    values = [f"v{i}" for i in range(MAX_TESTS_UNDER_NODE + 1)]
    net = Network()
    assert net.fits(translate(Cmp("c", "in", tuple(values[:MAX_TESTS_UNDER_NODE - 1]))))  # the priming test is one
    before = [dict(t) for t in net.tests]
    assert not net.fits(translate(Cmp("c", "in", tuple(values[-2:]))))
    assert net.over is None and [dict(t) for t in net.tests] == before  # undone
    assert net.fits(translate(Cmp("c", "eq", "v0")))  # an equal test is shared, not counted again
    chain = Network()
    assert chain.fits(translate(Cmp("c", "not_in", tuple(values * 3))))  # a chain: one test under each node


def test_a_long_in_list_is_split_across_rulesets_within_every_limit() -> None:
    conds: list[Condition] = [Cmp("c", "in", tuple(f"v{i}" for i in range(2000))), Cmp("c", "eq", "v1")]
    groups = plan(conds)
    assert len(groups) >= 2000 // MAX_TESTS_UNDER_NODE
    for group in groups:
        net = Network()
        assert all(net.fits(expr) for _, expr in group)
        assert sum(alternatives(expr) for _, expr in group) <= MAX_FIRINGS
        assert all(combinators(expr) <= MAX_COMBINATORS for _, expr in group)
    assert sorted({i for g in groups for i, _ in g}) == [0, 1]


def test_a_rule_beyond_the_alternatives_limit_is_refused_before_anything_is_built() -> None:
    conds: list[Condition] = [Cmp("c", "eq", "x"),
                              AllOf(tuple(AnyOf((Cmp("flag", "eq", True), Cmp("n", "lt", float(i)))) for i in range(13)))]
    with pytest.raises(DurableLimitError) as info:
        plan(conds)
    assert info.value.index == 1
    assert info.value.detail.startswith(f"its durable_rules form needs 8,192 alternatives that can hold together; "
                                        f"the limit is {MAX_ALTERNATIVES:,}")
    (refusal,) = feasibility(conds).refusals
    assert (refusal.index, refusal.message) == (1, info.value.detail)
    assert feasibility(conds[:1]) == Feasibility((), 1, 1)


def test_a_string_longer_than_durable_rules_compares_is_refused_in_a_rule_and_in_a_fact() -> None:
    """durable_rules compares strings of 65,536 bytes or more by their length modulo 65,536."""
    with pytest.raises(DurableLimitError, match=f"a string of 70,000 characters; the durable backend takes at most "
                                                f"{MAX_STRING_CHARS:,}"):
        DurableMatcher([Cmp("c", "eq", "a" * 70_000)], "long")
    matcher = DurableMatcher([Cmp("c", "eq", "a")], "short")
    with pytest.raises(BackendError, match="a strike value of 70,001 characters"):
        matcher.match({"c": "a" * 70_000 + "b"})
    assert matcher.match({"c": "a"}) == (0,)


def test_rulesets_are_freed_with_the_last_matcher_using_them() -> None:
    gc.collect()  # matchers of earlier tests left in cycles (freed by a collection, not yet run) are not counted
    before = live_rulesets()
    conds: list[Condition] = [Cmp("c", "in", tuple(f"w{i}" for i in range(1000)))]
    matcher = DurableMatcher(conds, "freed")
    assert live_rulesets() == before + len(matcher.parts) >= before + 3
    del matcher
    gc.collect()
    assert live_rulesets() == before


# What the library's limits are checked against: durable_rules itself, on the safe side ---------

RAW = """
import json, resource, sys
resource.setrlimit(resource.RLIMIT_AS, (2 * 2**30, 2 * 2**30))
import durable_rules_engine as dre
n_tests, n_combinators, n_links = {tests}, {combinators}, {links}
shapes = {{
    "tests under one node": {{"r0": {{"all": [{{"m": {{"$or": [{{"c": f"v{{i}}"}} for i in range(n_tests)]}}}}]}}}},
    "and/or in one rule": {{"r0": {{"all": [{{"m": {{"$and": [{{"$or": [{{"a": i}}, {{"b": i}}]}} for i in range(n_combinators - 1)]}}}}]}}}},
    "forward links from one node": {{f"r{{i}}": {{"all": [{{"m": {{"$or": [{{"a": 1}}, {{"b": i}}]}}}}]}} for i in range(n_links)}},
}}
for k, (name, rules) in enumerate(shapes.items()):
    h = dre.create_ruleset(f"x{{k}}", json.dumps(rules))
    dre.assert_fact(h, json.dumps({{"sid": "0", "id": 1, "c": "v0", "a": 2, "b": 0}}))
    print(name, flush=True)
"""


def test_durable_rules_takes_each_shape_at_the_limits_the_library_keeps() -> None:
    """The measured limits are kept on the safe side: durable_rules builds each shape at the limit
    (tests under one node, and/or nodes in one rule, forward links from one node) and takes a fact,
    in a child process (one test more under a node than durable_rules takes hangs it)."""
    code = RAW.format(tests=MAX_TESTS_UNDER_NODE, combinators=MAX_COMBINATORS, links=MAX_FORWARD_LINKS)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.splitlines() == ["tests under one node", "and/or in one rule", "forward links from one node"]
