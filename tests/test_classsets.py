"""Class sets: the bit-set form of a partition's classes is exact. Every rule's set of matched classes,
the classes each rule decides, the conflicts and the default equal the class-by-class outcomes of
:meth:`Partition.outcomes` (the compiled matcher and the combining rule), on the bundled pack and on
packs of random shape with overrides."""

from __future__ import annotations

import copy
import dataclasses
import itertools
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policyrules import Engine
from policyrules.analysis.classsets import ClassSets, _repeat, outcome_sets
from policyrules.analysis.diff import Side, changed_classes, compare, union_partitions
from policyrules.analysis.partition import Partition, partitions
from policyrules.language.conditions import AllOf, Condition
from policyrules.packs.pack import RuleSet

from .rule_shapes import PackShape, pack_shapes


def bits(x: int, size: int) -> str:
    """``x`` as a string of "0"/"1", class 0 first (indexing a big int bit by bit is quadratic)."""
    return format(x, f"0{size}b")[::-1] if size else ""


def assert_exact(p: Partition) -> None:
    sets = ClassSets(p)
    o = outcome_sets(p.ruleset.rules, [sets.of(c) for c in p.conditions], sets.full)
    n, size = len(p.ruleset.rules), sets.size
    assert not any(x >> size for x in (*o.matched, *o.deciding, o.conflict, o.default))
    matched = [bits(m, size) for m in o.matched]
    deciding = [bits(d, size) for d in o.deciding]
    conflict, default = bits(o.conflict, size), bits(o.default, size)
    k = -1
    for k, (cls, out) in enumerate(p.outcomes()):
        assert [m[k] == "1" for m in matched] == [i in out.matched for i in range(n)], cls.describe()
        assert [d[k] == "1" for d in deciding] == [out.deciding == i for i in range(n)], cls.describe()
        assert (conflict[k] == "1") == bool(out.conflict), cls.describe()
        assert (default[k] == "1") == (out.deciding is None), cls.describe()
        if k % 97 == 0:
            assert sets.first(1 << k) == cls
    assert k + 1 == size == len(p)


def test_the_bundled_packs_class_sets_are_exact(compiled_engine: Engine) -> None:
    for p in partitions(compiled_engine.resolved):
        assert_exact(p)


def test_a_conditions_set_is_made_once_per_partition(compiled_engine: Engine) -> None:
    """The rule sets of one version under many readings are walked on one partition: a condition met
    again (an equal one, another object) gets the set made the first time, not a new one."""
    def combined(c: Condition) -> bool:
        return isinstance(c, AllOf) and len(c.items) > 1

    # (a set of more than 256 classes: Python shares the objects of small integers, whoever makes them)
    sets, c = next((sets, c) for p in partitions(compiled_engine.resolved) for sets in [ClassSets(p)]
                   for c in p.conditions if combined(c) and sets.of(c) > 256)
    again = copy.deepcopy(c)
    assert again is not c and again == c
    assert sets.of(again) is sets.of(c)


@st.composite
def with_overrides(draw: st.DrawFn) -> PackShape:
    """A pack of random shape whose rules override earlier ones (a few, or all), so never in a cycle."""
    shape = draw(pack_shapes(max_rules=8).filter(lambda s: s.regions <= 12))
    rules: list[dict[str, Any]] = []
    for i, drawn in enumerate(shape.rules):
        earlier = [f"r{j}" for j in range(i)]
        kind = draw(st.sampled_from(("none", "some", "all")) if earlier else st.just("none"))
        rule = dict(drawn)
        if kind == "some":
            rule["overrides"] = draw(st.lists(st.sampled_from(earlier), min_size=1, max_size=3, unique=True))
        elif kind == "all" and i == len(shape.rules) - 1:
            rule["overrides"] = "all"
        rules.append(rule)
    return PackShape(shape.regions, tuple(rules), shape.strikes)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(with_overrides())
def test_class_sets_are_exact_on_packs_of_random_shape(tmp_path_factory: pytest.TempPathFactory,
                                                       shape: PackShape) -> None:
    root = shape.write(tmp_path_factory.mktemp("shape") / "rules")
    engine = Engine.load(root, backend="compiled")
    for p in partitions(engine.resolved):
        assert_exact(p)


@given(st.integers(0, 2**12 - 1), st.integers(1, 12), st.integers(0, 40))
def test_repeat_lays_copies_side_by_side(pattern: int, period: int, times: int) -> None:
    pattern &= (1 << period) - 1
    assert _repeat(pattern, period, times) == sum(pattern << (period * t) for t in range(times))


def test_a_pack_of_many_regions_is_checked_exactly(tmp_path: Path) -> None:
    """600 regions by 5 rules: the regions no rule tells apart share a class, and the rest are checked
    as bit sets, exactly as class by class."""
    from .packs_in_children import region_ids, rule, write_pack

    ids = region_ids(600)
    rules = [rule(f"r{i}", {"target_region": {"in": ids[i::5]}, "range_km": {"lt": 10.0 * (i + 1)}},
                  "allowed" if i % 2 else "prohibited") for i in range(5)]
    engine = Engine.load(write_pack(tmp_path, 600, rules), backend="compiled")
    report = engine.check()
    assert report.classes > 5_000
    assert report.codes().count("conflict") == 0
    for p in partitions(engine.resolved):
        assert_exact(p)


def assert_same_changes(engine: Engine, a: RuleSet, b: RuleSet, ca: Sequence[Condition] | None = None,
                        cb: Sequence[Condition] | None = None) -> None:
    """The diff's changed classes worked out on bit sets equal the class-by-class comparison: the same
    classes, in the same order, grouped by the same (before, after) sides."""
    pack, resolved = engine.pack, engine.resolved
    ca = resolved.conditions(a) if ca is None else ca
    cb = resolved.conditions(b) if cb is None else cb
    comp = compare(pack, a, ca, b, cb)
    by_class: dict[tuple[Side, Side], list[Any]] = {}
    for cls, sa, sb in comp.changed():
        by_class.setdefault((sa, sb), []).append(cls.point)
    count, groups = changed_classes(*union_partitions(pack, a, ca, b, cb))
    assert count == len(comp.rows)
    assert [((sa, sb), [c.point for c in classes]) for sa, sb, classes in groups] == list(by_class.items())


def test_the_bundled_packs_changes_from_version_to_version_are_the_class_by_class_ones(
        compiled_engine: Engine) -> None:
    pack = compiled_engine.pack
    for pid in ("us", "gb", "fr"):
        windows = pack.windows(pid)
        for before, after in itertools.pairwise(windows):
            assert_same_changes(compiled_engine, before.ruleset, after.ruleset)


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(with_overrides(), st.data())
def test_changes_between_rule_sets_of_random_shape_are_the_class_by_class_ones(
        tmp_path_factory: pytest.TempPathFactory, shape: PackShape, data: st.DataObject) -> None:
    """A random rule set against itself with some rules dropped and the rest in another order."""
    engine = Engine.load(shape.write(tmp_path_factory.mktemp("shape") / "rules"), backend="compiled")
    for p in partitions(engine.resolved):
        a, ca = p.ruleset, p.conditions
        keep = data.draw(st.permutations(range(len(a.rules))))[:data.draw(st.integers(0, len(a.rules)))]
        b = dataclasses.replace(a, rules=tuple(a.rules[i] for i in keep))
        assert_same_changes(engine, a, b, ca, [ca[i] for i in keep])
        assert_same_changes(engine, b, a, [ca[i] for i in keep], ca)
