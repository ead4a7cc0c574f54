"""Hypothesis strategies that draw valid strikes for a loaded engine's catalog and policies.

For property tests over your own pack::

    from hypothesis import given
    from policyrules import Engine
    from policyrules.strategies import strikes

    engine = Engine.load("my-rules/")

    @given(strikes(engine))
    def test_civilian_never_allowed(strike):
        strike["target_type"] = "civilian"
        assert not engine.evaluate(strike).allowed

Every strike drawn validates against the catalog (weapon class, supplier and reach agree) and
falls on a date some version of its policy is in force (or has no date: the latest version).
Draws lean on the edges where rules change their answer: ``range_km`` at, just below and just
above every threshold of the pack (with the engine's parameter values) and at each weapon's
reach; dates on every version boundary (``effective_from``, the day before, ``effective_until``
and the day after). This is the only module of the library that imports Hypothesis.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from hypothesis import strategies as st

from .analysis.partition import Partition, StrikeClass, partitions, supplier_codes, unnamed_supplier_code
from .language.conditions import comparisons
from .language.mentions import thresholds
from .model.catalog import Catalog
from .model.dates import MAX_DATE
from .model.dimensions import DIMENSIONS, FIELDS, GROUPS, OTHER_CODE, RANGE, Dimension, Kind, Member
from .model.domain import MAX_RANGE_KM
from .model.intervals import Interval
from .model.strike import ProposedStrike
from .packs.pack import COMMON

if TYPE_CHECKING:
    from .engine import Engine

__all__ = ["boundary_ranges", "class_strikes", "dates", "members", "named_values", "ranges", "strikes",
           "threshold_ranges"]

T = TypeVar("T")
_LATEST_SPAN = dt.timedelta(days=3 * 365)  # how far past the last version's start dates are drawn
# Supplier codes a strike may carry without any rule naming them (tried in order; the pack's own are skipped).
_SPARE_CODES = ("PL", "NL", "NO", "DK", "BE", "SE", "CA", "XA")


def threshold_ranges(engine: Engine, field: str = RANGE) -> tuple[float, ...]:
    """Every threshold of a numeric field (``range_km`` by default) in the pack's rules (with the
    engine's parameter values), sorted."""
    points: set[float] = set()
    for rs in engine.pack.all_rulesets():
        points.update(thresholds(engine.resolved.conditions(rs), field))
    return tuple(sorted(points))


def _around(points: Iterable[float]) -> tuple[float, ...]:
    near = {x for t in points for x in (t, math.nextafter(t, -math.inf), math.nextafter(t, math.inf),
                                         t - 1, t + 1, t - 0.5, t + 0.5)}
    return tuple(sorted(x for x in near if 0 <= x <= MAX_RANGE_KM))


def _bounds(engine: Engine, field: str) -> set[float]:
    """The bounds the catalog puts on a numeric field (each weapon's reach, for the range)."""
    f = FIELDS[field]
    owner = DIMENSIONS[f.dimension].bounded_by
    if f.bound is None or owner is None:
        return set()
    values = FIELDS[DIMENSIONS[owner].primary].values
    ids = values(engine.pack.catalog) if values is not None else ()
    return {f.bound(engine.pack.catalog, i) for i in ids}


def boundary_ranges(engine: Engine, field: str = RANGE) -> tuple[float, ...]:
    """A numeric field's thresholds in the pack, the bounds the catalog puts on it (each weapon's
    reach), 0 and ``MAX_RANGE_KM``, with the values just around each, within ``0..MAX_RANGE_KM``."""
    return _around({0.0, MAX_RANGE_KM, *threshold_ranges(engine, field), *_bounds(engine, field)})


def ranges(engine: Engine, reach: float = MAX_RANGE_KM, field: str = RANGE) -> st.SearchStrategy[float]:
    """Values of a numeric field (``range_km`` by default) up to ``reach``: a third at or just around
    a threshold of the pack's rules, a third at other edges (0, each weapon's reach), a third anywhere."""
    at = [x for x in _around(threshold_ranges(engine, field)) if x <= reach]
    edges = [x for x in boundary_ranges(engine, field) if x <= reach]
    return st.one_of(*(st.sampled_from(xs) for xs in (at, edges) if xs),
                     st.floats(min_value=0.0, max_value=reach, allow_nan=False, allow_infinity=False))


def dates(engine: Engine, policy_id: str) -> st.SearchStrategy[dt.date]:
    """Dates on which some version of ``policy_id`` is in force: half of them on version boundaries."""
    windows = engine.pack.windows(policy_id)
    first = windows[0].start
    spans = [(w.start, w.end if w.end is not None else min(w.start + _LATEST_SPAN, MAX_DATE)) for w in windows]
    edges = set()
    for w in windows:
        edges.update({w.start, w.start - dt.timedelta(days=1), w.start + dt.timedelta(days=1)})
        if w.end is not None:
            edges.update({w.end, w.end + dt.timedelta(days=1), w.end - dt.timedelta(days=1)})
    valid = sorted(d for d in edges if d >= first and any(a <= d <= b for a, b in spans))
    within = st.sampled_from(spans).flatmap(lambda ab: st.dates(min_value=ab[0], max_value=ab[1]))
    return st.one_of(st.sampled_from(valid), within)


def _policies(engine: Engine, only: Iterable[str] | None) -> list[str]:
    pack = engine.pack
    chosen = [p for p in pack.policies if p != COMMON and supplier_codes(pack, p)]
    if only is not None:
        wanted = set(only)
        unknown = wanted - set(pack.policies)
        if unknown:
            raise ValueError(f"unknown policies {sorted(unknown)}; known: {', '.join(pack.policies)}")
        chosen = [p for p in chosen if p in wanted]
    if not chosen:
        raise ValueError("no policy of the pack judges any strike: nothing to draw")
    return chosen


def named_values(engine: Engine) -> dict[str, frozenset[str]]:
    """The enum values each field is compared with anywhere in the pack's rules."""
    named: dict[str, set[str]] = {}
    for rs in engine.pack.all_rulesets():
        for c in (c for cond in engine.resolved.conditions(rs) for c in comparisons(cond)):
            values = c.value if isinstance(c.value, tuple) else (c.value,) if isinstance(c.value, str) else ()
            named.setdefault(c.field, set()).update(values)
    return {f: frozenset(v) for f, v in named.items()}


def _leaning(values: Sequence[T], favoured: Iterable[T]) -> st.SearchStrategy[T]:
    """One of ``values``, half the time one of those ``favoured`` (when any of them is there)."""
    chosen = {id(v) for v in favoured}
    liked = [v for v in values if id(v) in chosen]
    everything = st.sampled_from(values)
    return st.one_of(st.sampled_from(liked), everything) if liked and len(liked) < len(values) else everything


def _liked(members: Sequence[Member], named: dict[str, frozenset[str]]) -> list[Member]:
    """The members some rule names a value of (a region, a weapon class, ...)."""
    return [m for m in members if any(v in named.get(f, ()) for f, v in m.facts.items())]


def _given(catalog: Catalog, m: Member, other: str) -> dict[str, st.SearchStrategy[Any]]:
    """How a strike may give a member's fields: a catalog id by any of its spellings; a field its
    fixing field fixes left out (a weapon's class), or left out half the time when it is what the
    catalog would fill in anyway (a weapon's first supplier); an unnamed code as a real one."""
    out: dict[str, st.SearchStrategy[Any]] = {}
    for name, value in m.strike.items():
        f = FIELDS[name]
        if value is None:
            continue
        fixer = m.strike.get(f.fixed_by) if f.fixed_by is not None else None
        if fixer is not None and f.kind is Kind.ENUM:
            continue
        if f.kind is Kind.CATALOG and f.table is not None:
            out[name] = st.sampled_from(catalog.spellings(f.table, value))
        elif f.kind is Kind.CODE and value == OTHER_CODE:
            out[name] = st.just(other)
        elif fixer is not None and f.fixes is not None and f.fixes(catalog, fixer) == (value,):
            out[name] = st.none() | st.just(value)
        else:
            out[name] = st.just(value)
    return out


def strikes(engine: Engine, *, policies: Iterable[str] | None = None,
            as_model: bool = False) -> st.SearchStrategy[Any]:
    """Valid strikes (dicts, or :class:`ProposedStrike` with ``as_model``) for ``engine``'s pack,
    spread over its policies (or only ``policies``), leaning toward the values its rules name and
    toward threshold and date boundaries. Each dimension of the registry is drawn in turn: a member
    of a value dimension (half the time none, where its first field is optional), then the numbers
    it bounds (a range within the weapon's reach)."""
    pack = engine.pack
    catalog = pack.catalog
    named = named_values(engine)
    other = unnamed_supplier_code(pack)
    chosen = _policies(engine, policies)
    date_of = {p: dates(engine, p) for p in chosen}
    numbers: dict[tuple[str, float], st.SearchStrategy[float]] = {}

    def number(field: str, bound: float) -> st.SearchStrategy[float]:
        if (field, bound) not in numbers:
            numbers[(field, bound)] = ranges(engine, bound, field)
        return numbers[(field, bound)]

    def choices(d: Dimension, codes: Sequence[str | None]) -> list[st.SearchStrategy[Member]]:
        """A strategy per kind of member: with the first field given, and without it where it is optional."""
        every = d.members(catalog, codes) if d.members is not None else []
        kinds = [every] if not FIELDS[d.primary].optional else \
            [[m for m in every if m.facts[d.primary] is not None], [m for m in every if m.facts[d.primary] is None]]
        return [_leaning(ms, _liked(ms, named)) for ms in kinds if ms]

    @st.composite
    def draw(data: st.DrawFn, policy: str) -> dict[str, Any]:
        codes = supplier_codes(pack, policy)
        out: dict[str, Any] = {}
        for group in GROUPS:
            head, bounded = group[0], group[1:]
            if head.numeric:
                if not FIELDS[head.primary].optional or data(st.booleans()):
                    out[head.primary] = data(number(head.primary, MAX_RANGE_KM))
                continue
            options = choices(head, codes)
            m: Member = data(data(st.sampled_from(options)) if len(options) > 1 else options[0])
            for name, how in _given(catalog, m, other).items():
                value = data(how)
                if value is not None:
                    out[name] = value
            for d in bounded:
                out[d.primary] = data(number(d.primary, m.bound))
        day = data(st.none() | date_of[policy])
        if day is not None:
            out["date"] = day.isoformat()
        return out

    # A policy with more rule sets over time gets more draws: there is more to get wrong.
    weighted = [p for p in chosen for _ in {w.ruleset.key for w in pack.windows(p)}]
    base = st.sampled_from(weighted).flatmap(draw)
    if as_model:
        return base.map(lambda d: ProposedStrike.parse(d, pack.catalog))
    return base


def members(p: Partition, cls: StrikeClass) -> st.SearchStrategy[dict[str, Any]]:
    """Any strike of class ``cls`` of partition ``p``: every field the class does not fix is drawn
    freely (within feasibility), each number anywhere in its interval, the date in the rule set's windows."""
    fixed = dict(cls.key)

    def fits(f: Mapping[str, Any]) -> bool:
        return all(p.class_value(k, v) == fixed[k] for k, v in f.items() if k in fixed)

    def interval(d: Dimension) -> Interval:
        return fixed.get(d.primary, Interval(0.0, MAX_RANGE_KM))  # type: ignore[no-any-return]

    spare = [c for c in _SPARE_CODES if p.class_value("supplier", c) == OTHER_CODE and c.lower() not in p.pack.policies]
    groups: list[tuple[tuple[Dimension, ...], list[Member]]] = []
    for group in GROUPS:
        head, bounded = group[0], group[1:]
        if head.numeric:
            groups.append((group, []))
            continue
        ms = [m for m in p.members(head.name) if fits(m.facts)
              and all(interval(d).pick(m.bound) is not None for d in bounded)]
        groups.append((group, ms))
    spans = [(w.start, w.end if w.end is not None else min(w.start + _LATEST_SPAN, MAX_DATE)) for w in p.windows]

    def within(data: st.DrawFn, d: Dimension, bound: float) -> float | None:
        if d.primary in fixed and fixed[d.primary] is None:
            return None  # the class of strikes that leave an optional number out
        if d.primary not in fixed and FIELDS[d.primary].optional and data(st.booleans()):
            return None
        iv = interval(d)
        x = iv.pick(bound)
        assert x is not None
        return x if iv.is_point else data(
            st.floats(min_value=iv.lo, max_value=min(iv.hi, bound)).filter(lambda y: y in iv) | st.just(x))

    @st.composite
    def draw(data: st.DrawFn) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for group, ms in groups:
            head, bounded = group[0], group[1:]
            if head.numeric:
                x = within(data, head, MAX_RANGE_KM)
                if x is not None:
                    out[head.primary] = x
                continue
            m = data(st.sampled_from(ms))
            for name, value in m.strike.items():
                f = FIELDS[name]
                if value is None or (f.kind is Kind.ENUM and f.fixed_by is not None
                                     and m.strike.get(f.fixed_by) is not None):
                    continue
                is_other = f.kind is Kind.CODE and p.class_value(name, value) == OTHER_CODE
                out[name] = data(st.sampled_from(spare)) if is_other else value
            for d in bounded:
                y = within(data, d, m.bound)
                if y is not None:
                    out[d.primary] = y
        start, end = data(st.sampled_from(spans))
        out["date"] = data(st.dates(min_value=start, max_value=end)).isoformat()
        return out

    return draw()


def class_strikes(engine: Engine) -> st.SearchStrategy[dict[str, Any]]:
    """Strikes spread evenly over the rule sets, then over the rule that decides (or the default), then
    over the sets of rules matched, then over the classes with those, then over the strikes of the class
    (:func:`members`): the rare exceptions of a pack are drawn as often as its broad rules."""
    tree: list[tuple[Partition, list[list[list[StrikeClass]]]]] = []
    for p in partitions(engine.resolved):
        if not p.suppliers:
            continue
        by_rule: dict[int | None, dict[tuple[int, ...], list[StrikeClass]]] = {}
        for cls, out in p.outcomes():
            by_rule.setdefault(out.deciding, {}).setdefault(out.matched, []).append(cls)
        tree.append((p, [list(by_matched.values()) for by_matched in by_rule.values()]))
    if not tree:
        raise ValueError("no policy of the pack judges any strike: nothing to draw")

    @st.composite
    def draw(data: st.DrawFn) -> dict[str, Any]:
        p, by_rule = data(st.sampled_from(tree))
        classes = data(st.sampled_from(data(st.sampled_from(by_rule))))
        return data(members(p, data(st.sampled_from(classes))))

    return draw()
