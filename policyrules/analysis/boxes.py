"""Classes merged into boxes, and boxes described in words: shared by diff, why-not and partial.

A class of the partition is a point (its key in each dimension of
:data:`~policyrules.analysis.partition.DIMENSIONS`); a box is a product of key sets, one per dimension.
:func:`merge` joins points that differ in one dimension (values into a set, intervals into
spans) until nothing merges; :func:`describe` words a box against the :class:`Universe` of
feasible classes, leaving out dimensions that take every feasible value ("any").
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict

from ..model.catalog import Catalog
from ..model.domain import MAX_RANGE_KM, WeaponClass
from .partition import DIMENSIONS, OTHER_SUPPLIER, RANGE, Interval, Key, Partition

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
    """Whether a strike (its facts: :func:`~policyrules.model.strike.facts`) meets every constraint."""
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
