"""``diff``: exactly which strikes two policy versions judge differently, in readable descriptions.

Both rule sets are split over the union of the fields and thresholds either mentions (one
:class:`~policyrules.partition.Partition` each, built over the other's conditions too, so they
have the same classes in the same order); every class whose decision or deciding rule differs is
reported. Changed classes are grouped by (old decision, old rule, new decision, new rule) and
merged: boxes that differ in one dimension are joined (values into a set, intervals into spans)
until nothing merges; a dimension that takes every value feasible with the rest of its box is
left out of the description ("any").

The merging and the descriptions (:func:`merge`, :class:`Universe`, :func:`describe`,
:func:`constraints`) are shared with :mod:`policyrules.whynot` and :mod:`policyrules.partial`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from .catalog import Catalog
from .combine import Outcome
from .conditions import Condition
from .domain import MAX_RANGE_KM, Decision, WeaponClass
from .errors import PolicyRefError
from .partition import (
    DIMENSIONS,
    OTHER_SUPPLIER,
    RANGE,
    Interval,
    Key,
    Partition,
    StrikeClass,
    ruleset_conditions,
)
from .policy import COMMON, Pack, RuleSet
from .verdict import DEFAULT_RULE_ID

if TYPE_CHECKING:
    from .engine import Engine

Point = tuple[Key, ...]  # a class: its key in each dimension of DIMENSIONS
Box = tuple[frozenset[Key], ...]  # a product of keys per dimension: a set of classes
COUNTRY_NAMES = {"UA": "Ukraine", "RU": "Russia"}
EVERY = "every strike"  # the description of a box free in every dimension
_MERGE_ORDER = (1, 0, 2, 3, 5, 4)  # range first: adjacent intervals join into spans


# Merging classes into boxes ---------------------------------------------------------------


def merge(points: Iterable[Point]) -> list[Box]:
    """Join points into boxes: two boxes equal in every dimension but one become one box, until stable.
    Every point of a box (of the product of its sets) is one of ``points``: see :func:`size`, :func:`first`."""
    single: dict[Key, frozenset[Key]] = {}
    boxes: set[Box] = {tuple(single.get(k) or single.setdefault(k, frozenset((k,))) for k in p) for p in points}
    changed = True
    while changed:
        changed = False
        for d in _MERGE_ORDER:
            groups: dict[Box, frozenset[Key]] = {}
            for b in boxes:
                rest = b[:d] + b[d + 1:]
                groups[rest] = groups.get(rest, frozenset()) | b[d]
            if len(groups) < len(boxes):
                changed = True
                boxes = {(*rest[:d], vals, *rest[d:]) for rest, vals in groups.items()}
    return sorted(boxes, key=lambda b: tuple(sorted(_order(k) for k in s) for s in b))


def size(box: Box) -> int:
    """How many points a box holds."""
    return math.prod(len(s) for s in box)


def first(box: Box) -> Point:
    """One point of a box (the same one each time)."""
    return tuple(min(s, key=_order) for s in box)


def _order(key: Key) -> tuple[Any, ...]:
    return tuple((f, (v.lo, not v.lo_closed) if isinstance(v, Interval) else (0, str(v))) for f, v in key)


class Universe:
    """The classes a description ranges over: feasible (weapon, range) key pairs (a weapon's reach
    bounds its range) times a set of keys for each other dimension. Tells which dimensions of a box
    are free: take every value feasible with the box's other values ("any")."""

    def __init__(self, pairs: Iterable[tuple[Key, Key]], others: Sequence[Iterable[Key]]) -> None:
        self.pairs = frozenset(pairs)
        self.values: list[frozenset[Key]] = [frozenset(w for w, _ in self.pairs),
                                             frozenset(r for _, r in self.pairs), *map(frozenset, others)]

    @classmethod
    def of(cls, p: Partition) -> Universe:
        """Every class of a partition."""
        return cls(p.weapon_ranges(), [p.choices(d) for d in range(2, len(DIMENSIONS))])

    def free(self, box: Box) -> tuple[bool, ...]:
        """Per dimension: the box holds every value of it that is feasible with the box's other values."""
        weapons, ranges = box[0], box[1]
        return (all(w in weapons for w, r in self.pairs if r in ranges),
                all(r in ranges for w, r in self.pairs if w in weapons),
                *(box[d] >= self.values[d] for d in range(2, len(DIMENSIONS))))


# Describing a box -------------------------------------------------------------------------


class Span(BaseModel):
    """A set of ``range_km`` values: ``lo`` to ``hi``, each end open or closed."""

    model_config = ConfigDict(frozen=True)

    lo: float
    hi: float
    lo_closed: bool = True
    hi_closed: bool = True

    def __contains__(self, x: object) -> bool:
        return x in Interval(self.lo, self.hi, self.lo_closed, self.hi_closed)

    def __str__(self) -> str:
        lo, hi = f"{self.lo:g}", f"{self.hi:g}"
        if self.lo == self.hi:
            return f"= {lo}"
        if self.lo == 0 and self.lo_closed:
            return f"{'<=' if self.hi_closed else '<'} {hi}"
        if self.hi == MAX_RANGE_KM and self.hi_closed:
            return f"{'>=' if self.lo_closed else '>'} {lo}"
        return f"{'>=' if self.lo_closed else '>'} {lo} and {'<=' if self.hi_closed else '<'} {hi}"


def spans(keys: Iterable[Key]) -> list[Span]:
    """The intervals of range keys joined into maximal spans, in order."""
    ivs = sorted((dict(k)[RANGE] for k in keys if k), key=lambda i: (i.lo, not i.lo_closed))
    out: list[Span] = []
    for iv in ivs:
        last = out[-1] if out else None
        if last is not None and last.hi == iv.lo and (last.hi_closed or iv.lo_closed):
            out[-1] = Span(lo=last.lo, hi=iv.hi, lo_closed=last.lo_closed, hi_closed=iv.hi_closed)
        else:
            out.append(Span(lo=iv.lo, hi=iv.hi, lo_closed=iv.lo_closed, hi_closed=iv.hi_closed))
    return out


def join_or(words: Sequence[str], conj: str = "or") -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + f" {conj} " + words[-1]


def join_kinds(words: Sequence[str]) -> str:
    """``tube artillery``, ``rocket artillery`` -> ``tube or rocket artillery``."""
    tails = {w.rsplit(" ", 1)[-1] for w in words}
    if len(words) > 1 and len(tails) == 1 and all(" " in w for w in words):
        return join_or([w.rsplit(" ", 1)[0] for w in words]) + " " + tails.pop()
    return join_or(words)


def region_name(region_id: str) -> str:
    return region_id.replace("_", " ").replace("-", " ").title()


def values_of(keys: Iterable[Key], field: str) -> list[Any]:
    """The values ``field`` takes in ``keys``, in first-seen order."""
    return list(dict.fromkeys(dict(k)[field] for k in keys if field in dict(k)))


def _sorted_keys(keys: Iterable[Key]) -> list[Key]:
    return sorted(keys, key=_order)


def _weapon(keys: frozenset[Key], every: frozenset[Key], catalog: Catalog, label: str) -> str:
    classes = [c.value for c in WeaponClass]
    if all(len(k) == 1 and k[0][0] == "weapon_class" for k in every) and len(keys) > 3 and \
            len(every - keys) < len(keys):  # most classes: name the others
        others = sorted((str(k[0][1]) for k in every - keys), key=classes.index)
        return (f"{label} " if label else "") + "weapon other than " + join_kinds([c.replace("_", " ") for c in others])
    by_supplier: dict[str, list[str]] = {}
    for k in sorted(keys, key=lambda k: (classes.index(dict(k).get("weapon_class") or classes[0]), _order(k))):
        d = dict(k)
        sup = d.get("supplier", label)
        who = "no supplier's" if sup is None else "other suppliers'" if sup == OTHER_SUPPLIER else sup
        item = catalog.weapon_by_id(d["weapon"]).name if d.get("weapon") else \
            str(d["weapon_class"]).replace("_", " ") if "weapon_class" in d else \
            "unnamed weapon" if "weapon" in d else "weapon"
        by_supplier.setdefault(who, []).append(item)
    return " or ".join((f"{who} " if who else "") + join_kinds(list(dict.fromkeys(items)))
                       for who, items in by_supplier.items())


def _target(keys: frozenset[Key], catalog: Catalog) -> str:
    regions = values_of(keys, "target_region")
    if not regions:
        return "in " + join_or([COUNTRY_NAMES.get(c, c) for c in sorted(values_of(keys, "target_country"))])
    parts = []
    for country in dict.fromkeys(catalog.region_by_id(r).country for r in regions):
        mine = [r.id for r in catalog.regions if r.country == country]
        chosen = [r for r in mine if r in regions]
        name = COUNTRY_NAMES.get(country, country)
        missing = [r for r in mine if r not in chosen]
        if not missing:
            parts.append(f"anywhere in {name}")
        elif len(chosen) > 3 and len(missing) < len(chosen):
            parts.append(f"{name} except {join_or([region_name(r) for r in missing], 'and')}")
        else:
            parts.append(join_or([region_name(r) for r in chosen]))
    return " or ".join(parts)


def _target_type(keys: frozenset[Key]) -> str:
    types = values_of(_sorted_keys(keys), "target_type")
    if types:
        return "target: " + join_or([str(t).replace("_", " ") for t in types])
    cats = values_of(_sorted_keys(keys), "target_category")
    return join_or([str(c).replace("_", "-") for c in cats]) + " target"


def _defense(sd: frozenset[Key] | None, defended: frozenset[Key] | None, every: frozenset[Key]) -> list[str]:
    flags = values_of(sd, "self_defense") if sd is not None else []
    regions = values_of(_sorted_keys(defended), "defended_region") if defended is not None else []
    others = values_of(_sorted_keys(every - defended), "defended_region") if defended is not None else []
    if len(regions) > 3 and len(others) < len(regions):  # most regions: name the others
        whom = join_or([region_name(r) if r is not None else "no region" for r in others])
        return [f"self-defense not of {whom}" if flags == [True] else
                ("not self-defense, " if flags == [False] else "") + f"not defending {whom}"]
    named = [region_name(r) for r in regions if r is not None]
    whom = join_or(named) if named else ""
    if None in regions:
        whom = (whom + " or " if whom else "") + "no defended region"
    if flags == [True] and named and None not in regions:
        return [f"self-defense of {whom}"]
    out = ["self-defense" if flags == [True] else "not self-defense"] if len(flags) == 1 else []
    if whom:
        out.append(f"defending {whom}" if named and None not in regions else whom)
    return out


def describe(box: Box, universe: Universe, catalog: Catalog, supplier: str = "") -> str:
    """A box in words, leaving out free dimensions: ``US tube or rocket artillery, Belgorod,
    self-defense of Kharkiv, military target, range <= 80 km``."""
    shown = [None if f or not any(box[d]) else box[d] for d, f in enumerate(universe.free(box))]
    parts: list[str] = []
    if shown[0] is not None:
        parts.append(_weapon(shown[0], universe.values[0], catalog, supplier))
    if shown[2] is not None:
        parts.append(_target(shown[2], catalog))
    parts.extend(_defense(shown[4], shown[5], universe.values[5]))
    if shown[3] is not None:
        parts.append(_target_type(shown[3]))
    if shown[1] is not None:
        parts.append("range " + " or ".join(str(s) for s in spans(shown[1])) + " km")
    return ", ".join(parts) if parts else EVERY


# The primary field of a dimension: the one constraints list (a region fixes its country, ...).
_PRIMARY = {2: ("target_region", "target_country"), 3: ("target_type", "target_category")}


def constraints(box: Box, free: Sequence[bool]) -> dict[str, tuple[Any, ...]]:
    """Field -> the values it takes in the box (``range_km``: spans), for the dimensions not free."""
    out: dict[str, tuple[Any, ...]] = {}
    for d, keys in enumerate(box):
        if free[d] or not any(keys):
            continue
        if d == 1:
            out[RANGE] = tuple(spans(keys))
            continue
        names = [f for f in DIMENSIONS[d] if values_of(keys, f)]
        if d in _PRIMARY:
            names = [next(f for f in _PRIMARY[d] if f in names)]
        for f in names:
            out[f] = tuple(values_of(_sorted_keys(keys), f))
    return out


def covers(constraint: Mapping[str, tuple[Any, ...]], facts: Mapping[str, Any]) -> bool:
    """Whether a strike (its facts: :func:`~policyrules.strike.facts`) meets every constraint."""
    for f, vals in constraint.items():
        if f == RANGE:
            if not any(facts[RANGE] in s for s in vals):
                return False
        elif facts[f] not in vals:
            return False
    return True


def supplier_label(p: Partition) -> str:
    codes = [c for c in p.suppliers if c not in (None, OTHER_SUPPLIER)]
    return codes[0] if len(p.suppliers) == 1 and codes else ""


# The diff ----------------------------------------------------------------------------------


class Side(BaseModel):
    model_config = ConfigDict(frozen=True)

    decision: Decision
    rule: str


class DiffEntry(BaseModel):
    """Classes with one change: where (description, constraints), from what, to what, and an example."""

    model_config = ConfigDict(frozen=True)

    description: str
    constraints: dict[str, tuple[Any, ...]]
    before: Side
    after: Side
    classes: int
    example: dict[str, Any]

    def covers(self, facts: Mapping[str, Any]) -> bool:
        return covers(self.constraints, facts)

    def __str__(self) -> str:
        b, a = self.before, self.after
        change = f"{b.decision.value} -> {a.decision.value}" if b.decision is not a.decision else a.decision.value
        return f"{self.description}: {change}, by {a.rule}" + (f" (was {b.rule})" if a.rule != b.rule else "")


class DiffReport(BaseModel):
    """Every class whose decision or deciding rule differs between two policy versions."""

    model_config = ConfigDict(frozen=True)

    before: str
    after: str
    before_version: str
    after_version: str
    before_date: dt.date | None
    after_date: dt.date | None
    classes: int
    changed: int
    entries: tuple[DiffEntry, ...]

    def to_text(self) -> str:
        def ref(given: str, resolved: str) -> str:
            return given if given == resolved else f"{given} ({resolved})"

        head = f"{ref(self.before, self.before_version)} -> {ref(self.after, self.after_version)}: "
        if not self.entries:
            return head + f"no change (over {self.classes} classes)"
        lines = [head + f"{self.changed} of {self.classes} classes change"]
        lines.extend(f"  {e}" for e in self.entries)
        return "\n".join(lines)


def resolve(pack: Pack, ref: str) -> tuple[RuleSet, dt.date | None]:
    """The rule set a ref names and the day it stands for (a version name: its first day; none: latest)."""
    version = pack.resolve_ref(ref)
    if version.policy == COMMON:
        raise PolicyRefError(f"{ref!r}: the common rules judge no strike on their own; diff the policies "
                             "that compose them")
    at = ref.partition("@")[2].strip()
    day = None if not at else version.effective_from if version.version == at else dt.date.fromisoformat(at)
    return pack.ruleset(version, day), day


@dataclass(frozen=True)
class Comparison:
    """Two partitions with the same classes, and each class's outcome under both rule sets."""

    before: Partition
    after: Partition
    rows: list[tuple[StrikeClass, Outcome, Outcome]]

    def changed(self) -> Iterator[tuple[StrikeClass, Side, Side]]:
        """The classes whose decision or deciding rule differs, with both sides."""
        ids_a = [r.id for r in self.before.ruleset.rules] + [DEFAULT_RULE_ID]
        ids_b = [r.id for r in self.after.ruleset.rules] + [DEFAULT_RULE_ID]
        sides: dict[tuple[Decision, str], Side] = {}
        for cls, oa, ob in self.rows:
            a = (oa.decision, ids_a[-1 if oa.deciding is None else oa.deciding])
            b = (ob.decision, ids_b[-1 if ob.deciding is None else ob.deciding])
            if a != b:
                for x in (a, b):
                    if x not in sides:
                        sides[x] = Side(decision=x[0], rule=x[1])
                yield cls, sides[a], sides[b]


def compare(pack: Pack, a: RuleSet, ca: Sequence[Condition], b: RuleSet, cb: Sequence[Condition], *,
            band: tuple[float, float] | None = None) -> Comparison:
    """Every class of the union partition of two rule sets (with their resolved conditions), with both
    outcomes; with ``band``, only the classes whose range meets ``[lo, hi]`` (when the rule sets differ
    only in thresholds of range_km between lo and hi, no other class can differ)."""
    probe_a, probe_b = Partition(pack, a, ca), Partition(pack, b, cb)
    suppliers = tuple(dict.fromkeys((*probe_a.suppliers, *probe_b.suppliers)))
    pa = Partition(pack, a, ca, also=cb, suppliers=suppliers)
    pb = Partition(pack, b, cb, also=ca, suppliers=suppliers)
    pairs = None
    if band is not None and RANGE in pa.fields:
        lo, hi = band
        pairs = {(w, r) for w, r in pa.weapon_ranges() if _meets(r[0][1], lo, hi)}
    rows = [(c, oa, ob) for (c, oa), (_, ob) in zip(pa.outcomes(pairs), pb.outcomes(pairs), strict=True)]
    return Comparison(pa, pb, rows)


def _meets(iv: Interval, lo: float, hi: float) -> bool:
    """Whether ``iv`` has a point in the closed interval ``[lo, hi]``."""
    return (iv.hi > lo or (iv.hi == lo and iv.hi_closed)) and (iv.lo < hi or (iv.lo == hi and iv.lo_closed))


def diff(engine: Engine, a: str, b: str) -> DiffReport:
    """Every class whose decision or deciding rule changes from ref ``a`` to ref ``b``, merged."""
    pack = engine.pack
    (rsa, day_a), (rsb, day_b) = resolve(pack, a), resolve(pack, b)
    comp = compare(pack, rsa, ruleset_conditions(engine, rsa), rsb, ruleset_conditions(engine, rsb))
    groups: dict[tuple[Side, Side], list[StrikeClass]] = {}
    for cls, sa, sb in comp.changed():
        groups.setdefault((sa, sb), []).append(cls)
    universe = Universe.of(comp.before)
    label = supplier_label(comp.before)
    entries = []
    for (sa, sb), classes in groups.items():
        by_point = {c.point: c for c in classes}
        for box in merge(by_point):
            example = {k: v for k, v in by_point[first(box)].strike.items() if k != "date"}
            entries.append(DiffEntry(description=describe(box, universe, pack.catalog, label),
                                     constraints=constraints(box, universe.free(box)), before=sa, after=sb,
                                     classes=size(box), example=example))
    entries.sort(key=lambda e: (e.before.decision is e.after.decision, e.description))
    return DiffReport(before=a, after=b, before_version=rsa.version.ref, after_version=rsb.version.ref,
                      before_date=day_a, after_date=day_b, classes=len(comp.rows),
                      changed=sum(e.classes for e in entries), entries=tuple(entries))
