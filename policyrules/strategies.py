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
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from hypothesis import strategies as st

from .analysis.partition import (
    OTHER_SUPPLIER,
    RANGE,
    Interval,
    Partition,
    StrikeClass,
    partitions,
    supplier_codes,
    thresholds,
    unnamed_supplier_code,
)
from .language.conditions import comparisons
from .model.domain import MAX_RANGE_KM, TargetType, WeaponClass
from .model.strike import MAX_DATE, ProposedStrike
from .packs.pack import COMMON

if TYPE_CHECKING:
    from .engine import Engine

__all__ = ["boundary_ranges", "class_strikes", "dates", "members", "named_values", "ranges", "strikes",
           "threshold_ranges"]

T = TypeVar("T")
_LATEST_SPAN = dt.timedelta(days=3 * 365)  # how far past the last version's start dates are drawn
# Supplier codes a strike may carry without any rule naming them (tried in order; the pack's own are skipped).
_SPARE_CODES = ("PL", "NL", "NO", "DK", "BE", "SE", "CA", "XA")


def threshold_ranges(engine: Engine) -> tuple[float, ...]:
    """Every ``range_km`` threshold of the pack (with the engine's parameter values), sorted."""
    points: set[float] = set()
    for rs in engine.pack.all_rulesets():
        points.update(thresholds(engine.resolved.conditions(rs)))
    return tuple(sorted(points))


def _around(points: Iterable[float]) -> tuple[float, ...]:
    near = {x for t in points for x in (t, math.nextafter(t, -math.inf), math.nextafter(t, math.inf),
                                         t - 1, t + 1, t - 0.5, t + 0.5)}
    return tuple(sorted(x for x in near if 0 <= x <= MAX_RANGE_KM))


def boundary_ranges(engine: Engine) -> tuple[float, ...]:
    """The pack's ``range_km`` thresholds, each weapon's reach, 0 and ``MAX_RANGE_KM``, with the values
    just around each of them, within ``0..MAX_RANGE_KM``."""
    return _around({0.0, MAX_RANGE_KM, *threshold_ranges(engine), *(w.reach_km for w in engine.pack.catalog.weapons)})


def ranges(engine: Engine, reach: float = MAX_RANGE_KM) -> st.SearchStrategy[float]:
    """``range_km`` values up to ``reach``: a third at or just around a threshold of the pack's rules,
    a third at other edges (0, each weapon's reach), a third anywhere."""
    at = [x for x in _around(threshold_ranges(engine)) if x <= reach]
    edges = [x for x in boundary_ranges(engine) if x <= reach]
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
    liked = [v for v in values if v in set(favoured)]
    everything = st.sampled_from(values)
    return st.one_of(st.sampled_from(liked), everything) if liked and len(liked) < len(values) else everything


def strikes(engine: Engine, *, policies: Iterable[str] | None = None,
            as_model: bool = False) -> st.SearchStrategy[Any]:
    """Valid strikes (dicts, or :class:`ProposedStrike` with ``as_model``) for ``engine``'s pack,
    spread over its policies (or only ``policies``), leaning toward the values its rules name and
    toward threshold and date boundaries."""
    pack = engine.pack
    named = named_values(engine)
    other = unnamed_supplier_code(pack)
    reaches = {MAX_RANGE_KM, *(w.reach_km for w in pack.catalog.weapons)}
    range_of = {r: ranges(engine, r) for r in reaches}
    chosen = _policies(engine, policies)
    date_of = {p: dates(engine, p) for p in chosen}
    regions = _leaning([r.id for r in pack.catalog.regions], named.get("target_region", ()))
    ua = [r.id for r in pack.catalog.regions if r.country == "UA"]
    defended = st.none() | _leaning(ua, named.get("defended_region", ())) if ua else st.none()
    classes = _leaning([c.value for c in WeaponClass], named.get("weapon_class", ()))
    types = _leaning([t.value for t in TargetType], named.get("target_type", ()))
    liked_weapons = named.get("weapon", frozenset()) | {w.id for w in pack.catalog.weapons
                                                         if w.weapon_class.value in named.get("weapon_class", ())}

    @st.composite
    def draw(data: st.DrawFn, policy: str) -> dict[str, Any]:
        codes = supplier_codes(pack, policy)
        weapons = [(w, s) for w in pack.catalog.weapons for s in w.suppliers if s in codes]
        out: dict[str, Any] = {}
        armed: bool = data(st.booleans())
        if weapons and armed:
            weapon, supplier = data(_leaning(weapons, [(w, s) for w, s in weapons if w.id in liked_weapons]))
            out["weapon"] = data(st.sampled_from(sorted({weapon.id, weapon.name, *weapon.aliases})))
            if supplier != weapon.supplier or data(st.booleans()):
                out["supplier"] = supplier
            reach = weapon.reach_km
        else:
            out["weapon_class"] = data(classes)
            code = data(st.sampled_from(codes))
            if code is not None:
                out["supplier"] = other if code == OTHER_SUPPLIER else code
            reach = MAX_RANGE_KM
        out["target_region"] = data(regions)
        out["target_type"] = data(types)
        out["self_defense"] = data(st.booleans())
        region = data(defended)
        if region is not None:
            out["defended_region"] = region
        out["range_km"] = data(range_of[reach])
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
    freely (within feasibility), ``range_km`` anywhere in its interval, the date in the rule set's windows."""
    fixed = dict(cls.key)
    iv = fixed.get(RANGE, Interval(0.0, MAX_RANGE_KM))
    catalog = p.pack.catalog

    def fits(f: dict[str, Any]) -> bool:
        return all(p.atom(k, v) == fixed[k] for k, v in f.items() if k in fixed)

    options = [o for o in p.options if fits(o._asdict()) and iv.pick(o.reach) is not None]
    regions = [r.id for r in catalog.regions if fits({"target_region": r.id, "target_country": r.country})]
    types = [t.value for t in TargetType if fits({"target_type": t.value, "target_category": t.category.value})]
    ua = [None, *p.pack.schema["defended_region"].values]
    spare = [c for c in _SPARE_CODES if p.atom("supplier", c) == OTHER_SUPPLIER and c.lower() not in p.pack.policies]
    spans = [(w.start, w.end if w.end is not None else min(w.start + _LATEST_SPAN, MAX_DATE)) for w in p.windows]

    @st.composite
    def draw(data: st.DrawFn) -> dict[str, Any]:
        o = data(st.sampled_from(options))
        out: dict[str, Any] = {"weapon": o.weapon} if o.weapon else {"weapon_class": o.weapon_class}
        if o.supplier is not None:
            out["supplier"] = data(st.sampled_from(spare)) if o.supplier == OTHER_SUPPLIER else o.supplier
        x = iv.pick(o.reach)
        out[RANGE] = x if iv.is_point else data(
            st.floats(min_value=iv.lo, max_value=min(iv.hi, o.reach)).filter(lambda y: y in iv) | st.just(x))
        out["target_region"] = data(st.sampled_from(regions))
        out["target_type"] = data(st.sampled_from(types))
        out["self_defense"] = fixed.get("self_defense", data(st.booleans()))
        defended = fixed["defended_region"] if "defended_region" in fixed else data(st.sampled_from(ua))
        if defended is not None:
            out["defended_region"] = defended
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
