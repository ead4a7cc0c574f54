"""durable_rules' undocumented limits do not reach users: large rule sets and wide conditions.

Measured with durable-rules 2.0.28: a fact that sets off more than 64 actions in one ruleset
corrupts memory (segmentation fault), and some ruleset shapes are refused (codes 108, 113).
The durable backend splits rules along ``$or`` and packs them into several rulesets; these
tests drive it well past every limit. The large cases run in a child process, so that a
regression shows as a failed test with its output rather than a dead test run.
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from policyrules.language.conditions import AnyOf, Cmp, Condition
from policyrules.matching.durable import MAX_FIRINGS, DurableMatcher, firings_bound, pack, pieces, split, translate

from .test_backends import conditions, facts, reference

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
