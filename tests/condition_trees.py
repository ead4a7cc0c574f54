"""Random condition trees over a small schema, and the reference answer for them.

The schema has every kind of field (enum, bool, number), two of them optional; the strategies
draw conditions and facts over it, thresholds and their nearest neighbours included. The
matching backends are tested against ``reference`` (``conditions.evaluate``, rule by rule).
"""

from __future__ import annotations

import math
from typing import Any

from hypothesis import strategies as st

from policyrules.language.conditions import AllOf, AnyOf, Cmp, Condition, FieldSpec, Not, Schema, evaluate

# A small schema: every kind of field, optional ones included -----------------------------

SCHEMA = Schema({s.name: s for s in [
    FieldSpec("colour", "enum", ("red", "green", "blue")),
    FieldSpec("size", "enum", ("s", "m", "l"), optional=True),
    FieldSpec("flag", "bool"),
    FieldSpec("n", "number"),
    FieldSpec("m", "number", optional=True),
]})
THRESHOLDS = (0.0, -0.0, 1e-7, -1e-7, 2.5e-5, 0.1, 0.30000000000000004, 1.0, 40.0, 80.0, 150.0, 300.0,
              20_100.0, 1e9, -1e9)


def numbers() -> st.SearchStrategy[float]:
    """Thresholds, their nearest neighbours, and anything else between -1e9 and 1e9."""
    near = st.sampled_from(THRESHOLDS).flatmap(
        lambda x: st.sampled_from((math.nextafter(x, math.inf), math.nextafter(x, -math.inf))))
    return st.one_of(st.sampled_from(THRESHOLDS), near, st.floats(-1e9, 1e9, allow_nan=False),
                     st.integers(-10**9, 10**9).map(float))


def comparisons_of(spec: FieldSpec) -> st.SearchStrategy[Condition]:
    name = st.just(spec.name)
    if spec.kind == "enum":
        return st.one_of(
            st.builds(Cmp, name, st.sampled_from(("eq", "ne")), st.sampled_from(spec.values)),
            st.builds(Cmp, name, st.sampled_from(("in", "not_in")),
                      st.lists(st.sampled_from(spec.values), min_size=1, unique=True).map(tuple)))
    if spec.kind == "bool":
        return st.builds(Cmp, name, st.sampled_from(("eq", "ne")), st.booleans())
    return st.builds(Cmp, name, st.sampled_from(("eq", "ne", "lt", "le", "gt", "ge")), numbers())


def conditions() -> st.SearchStrategy[Condition]:
    """Condition trees: every operator on every field, nested in any / all / not (empty ones too)."""
    leaves = st.one_of([comparisons_of(spec) for spec in SCHEMA.fields.values()])
    return st.recursive(leaves, lambda inner: st.one_of(
        st.lists(inner, max_size=3).map(lambda xs: AllOf(tuple(xs))),
        st.lists(inner, max_size=3).map(lambda xs: AnyOf(tuple(xs))),
        inner.map(Not),
    ), max_leaves=8)


def facts() -> st.SearchStrategy[dict[str, Any]]:
    """Values for every field; the optional ones may be None."""
    return st.fixed_dictionaries({
        "colour": st.sampled_from(SCHEMA["colour"].values),
        "size": st.one_of(st.none(), st.sampled_from(SCHEMA["size"].values)),
        "flag": st.booleans(),
        "n": numbers(),
        "m": st.one_of(st.none(), numbers()),
    })


def reference(conds: list[Condition], fact: dict[str, Any]) -> tuple[int, ...]:
    return tuple(i for i, c in enumerate(conds) if evaluate(c, fact))
