"""A Hypothesis strategy for rule packs of random *shape*: what a rule file written outside the
project may hold, within the documented limits of size and nesting.

A drawn :class:`PackShape` is a catalog of 2 to 600 regions, one policy version of 1 to 80 rules
whose ``when`` nest ``any`` / ``all`` / ``not`` and mappings of several fields, with long ``in``
and ``not_in`` lists, runs of negations, many numeric thresholds and parameters, and a few valid
strikes to judge. Every rule is valid (fields, values and parameters exist), so a backend may only
answer or refuse with a limit of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from policyrules.language.conditions import MAX_DEPTH
from policyrules.model.domain import TargetCategory, TargetType, WeaponClass

from .packs_in_children import region_ids, rule, write_pack

THRESHOLDS = (0.0, 0.5, 1.0, 10.0, 30.0, 39.999, 40.0, 79.9, 80.0, 80.1, 150.0, 300.0, 1000.0)
PARAMETERS = {"near": 40.0, "far": 150.0}
NUMBER_OPS = ("eq", "ne", "lt", "le", "gt", "ge")


@dataclass(frozen=True)
class PackShape:
    regions: int
    rules: tuple[dict[str, Any], ...]
    strikes: tuple[dict[str, Any], ...]

    def write(self, root: Path) -> Path:
        return write_pack(root, self.regions, list(self.rules),
                          {k: {"value": v, "basis": "interpretation"} for k, v in PARAMETERS.items()})


def _enum_values(regions: int) -> dict[str, list[str]]:
    ids = region_ids(regions)
    return {
        "target_region": ids,
        "defended_region": [r for r in ids if r.startswith("ua")],
        "target_type": [t.value for t in TargetType],
        "weapon_class": [w.value for w in WeaponClass],
        "target_country": ["UA", "RU"],
        "target_category": [c.value for c in TargetCategory],
        "weapon": ["himars", "atacms"],
    }


def _leaf(values: dict[str, list[str]]) -> st.SearchStrategy[dict[str, Any]]:
    """One field and its matcher: a literal, a comparison, or an in / not_in list (long ones too)."""
    def enum_matcher(field: str) -> st.SearchStrategy[Any]:
        pool = values[field]
        lists = st.integers(1, len(pool)).flatmap(
            lambda n: st.sampled_from(("in", "not_in")).flatmap(
                lambda op: st.permutations(pool).map(lambda p: {op: list(p[:n])})))
        return st.one_of(st.sampled_from(pool), st.sampled_from(pool).map(lambda v: {"ne": v}), lists)

    number = st.one_of(st.sampled_from(THRESHOLDS), st.floats(-10, 400, allow_nan=False).map(lambda x: round(x, 3)),
                       st.sampled_from(sorted(PARAMETERS)).map(lambda p: {"param": p}))
    numeric = st.tuples(st.sampled_from(NUMBER_OPS), number).map(lambda t: {t[0]: t[1]})
    boolean = st.one_of(st.booleans(), st.booleans().map(lambda b: {"ne": b}))
    fields = [st.tuples(st.just(f), enum_matcher(f)) for f in values if values[f]]
    fields += [st.tuples(st.just("range_km"), numeric)] * 3  # numbers are where the costs multiply
    fields += [st.tuples(st.just("self_defense"), boolean)]
    return st.one_of(fields).map(lambda fm: {fm[0]: fm[1]})


def conditions(values: dict[str, list[str]], max_leaves: int = 40) -> st.SearchStrategy[dict[str, Any]]:
    """``when`` mappings: leaves nested in any / all / not, runs of negations, mappings of several
    fields; and, as often, the shapes whose cost multiplies (see :func:`costly`)."""
    leaf = _leaf(values)

    def extend(inner: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
        return st.one_of(
            st.lists(inner, min_size=1, max_size=20).map(lambda xs: {"all": xs}),
            st.lists(inner, min_size=1, max_size=20).map(lambda xs: {"any": xs}),
            st.tuples(inner, st.integers(1, 3)).map(lambda t: _negated(t[0], t[1])),
            st.lists(inner, min_size=2, max_size=4).map(_merged),
            costly(inner),
        )
    trees = st.recursive(leaf, extend, max_leaves=max_leaves)
    return st.one_of(trees, costly(leaf)).filter(lambda c: _depth(c) <= MAX_DEPTH)


def costly(inner: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    """Shapes whose durable_rules form grows fast: all of k any of two (2**k alternatives), all of
    many numeric ``ne`` (each one an alternative once), any of many thresholds, deep chains."""
    numbers = st.one_of(st.sampled_from(THRESHOLDS), st.floats(-10, 400, allow_nan=False).map(lambda x: round(x, 3)))
    ne = numbers.map(lambda x: {"range_km": {"ne": x}})
    threshold = st.tuples(st.sampled_from(NUMBER_OPS), numbers).map(lambda t: {"range_km": {t[0]: t[1]}})
    return st.one_of(
        st.lists(st.lists(inner, min_size=2, max_size=3).map(lambda xs: {"any": xs}), min_size=2, max_size=16)
        .map(lambda xs: {"all": xs}),
        st.lists(ne, min_size=2, max_size=30).map(lambda xs: {"all": xs}),
        st.lists(threshold, min_size=2, max_size=60).map(lambda xs: {"any": xs}),
        st.tuples(st.lists(threshold, min_size=2, max_size=14), inner).map(lambda t: _chain(*t)),
    )


def _chain(tests: list[dict[str, Any]], last: dict[str, Any]) -> dict[str, Any]:
    """any / all alternating, one test and the rest at each level (as deep as there are tests)."""
    cond = last
    for k, test in enumerate(tests):
        cond = {"any" if k % 2 else "all": [test, {"not": cond} if k % 3 == 0 else cond]}
    return cond


def _negated(cond: dict[str, Any], times: int) -> dict[str, Any]:
    for _ in range(times):
        cond = {"not": cond}
    return cond


def _merged(conds: list[dict[str, Any]]) -> dict[str, Any]:
    """Several conditions as one mapping (an implicit all), each key once."""
    out: dict[str, Any] = {}
    for c in conds:
        for k, v in c.items():
            out.setdefault(k, v)
    return out


def _depth(cond: Any) -> int:
    if isinstance(cond, dict):
        return max((_depth(v) + (1 if k in ("any", "all", "not") else 0) for k, v in cond.items()), default=0)
    if isinstance(cond, list):
        return max((_depth(v) for v in cond), default=0)
    return 0


def _strikes(values: dict[str, list[str]]) -> st.SearchStrategy[list[dict[str, Any]]]:
    one = st.fixed_dictionaries({
        "weapon": st.sampled_from(["HIMARS", "ATACMS"]),
        "target_region": st.sampled_from(values["target_region"]),
        "target_type": st.sampled_from(values["target_type"]),
        "self_defense": st.booleans(),
        "defended_region": st.one_of(st.none(), st.sampled_from(values["defended_region"])),
        "range_km": st.one_of(st.sampled_from([t for t in (*THRESHOLDS, *PARAMETERS.values()) if t <= 80]),
                              st.floats(0, 80, allow_nan=False)),
    })
    return st.lists(one, min_size=1, max_size=8)


@st.composite
def pack_shapes(draw: st.DrawFn, max_rules: int = 80) -> PackShape:
    """A pack of random shape (see the module notes) and strikes to judge under it."""
    regions = draw(st.one_of(st.integers(2, 40), st.integers(2, 600)))
    values = _enum_values(regions)
    many = st.lists(conditions(values, max_leaves=8), min_size=max_rules // 2, max_size=max_rules)
    whens = draw(st.one_of(st.lists(conditions(values), min_size=1, max_size=8), many))
    effects = draw(st.lists(st.sampled_from(("allowed", "prohibited")), min_size=len(whens), max_size=len(whens)))
    rules = tuple(rule(f"r{i}", when, effect) for i, (when, effect) in enumerate(zip(whens, effects, strict=True)))
    return PackShape(regions, rules, tuple(draw(_strikes(values))))
