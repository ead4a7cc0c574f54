"""Classes merged into boxes, and boxes described in words: shared by diff, why-not and partial.

A class of the partition is a point (its key in each dimension of the registry,
:data:`~policyrules.model.dimensions.DIMENSIONS`); a box is a product of key sets, one per
dimension. :func:`merge` joins points that differ in one dimension (values into a set, intervals
into spans) until nothing merges; :func:`describe` words a box against the
:class:`~policyrules.analysis.partition.Universe` of feasible classes, leaving out dimensions that
take every feasible value ("any"), with each dimension's own wording
(:mod:`policyrules.model.wording`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from ..model.catalog import Catalog
from ..model.dimensions import DIMENSIONS, FIELDS, OTHER_CODE, Coords, Kind, merge_order, phrases
from ..model.intervals import spans
from ..model.wording import key_order, sorted_keys, values_of
from .partition import Key, Partition, Point, Universe

Box = Coords[frozenset[Key]]  # a product of keys per dimension: a set of classes
EVERY = "every strike"  # the description of a box free in every dimension


def merge(points: Iterable[Iterable[Key]]) -> list[Box]:
    """Join points into boxes: two boxes equal in every dimension but one become one box, until stable.
    Every point of a box (of the product of its sets) is one of ``points``: see :func:`size`, :func:`first`."""
    single: dict[Key, frozenset[Key]] = {}
    boxes: set[Box] = {Coords([single.get(k) or single.setdefault(k, frozenset((k,))) for k in p]) for p in points}
    changed = True
    while changed:
        changed = False
        for d in merge_order():
            groups: dict[tuple[frozenset[Key], ...], frozenset[Key]] = {}
            for b in boxes:
                rest = b.without(d)
                groups[rest] = groups.get(rest, frozenset()) | b[d]
            if len(groups) < len(boxes):
                changed = True
                boxes = {Coords.joined(d, rest, vals) for rest, vals in groups.items()}
    return sorted(boxes, key=lambda b: tuple(sorted(key_order(k) for k in s) for s in b))


def size(box: Box) -> int:
    """How many points a box holds."""
    return math.prod(len(s) for s in box)


def first(box: Box) -> Point:
    """One point of a box (the same one each time)."""
    return Coords([min(s, key=key_order) for s in box])


def describe(box: Box, universe: Universe, catalog: Catalog, supplier: str = "") -> str:
    """A box in words, leaving out free dimensions: ``US tube or rocket artillery, Belgorod,
    self-defense of Kharkiv, military target, range <= 80 km``."""
    free = universe.free(box)
    shown = {d: None if free[d] or not any(box[d]) else expanded(box[d], universe.named, catalog) for d in DIMENSIONS}
    every = {d: expanded(keys, universe.named, catalog) for d, keys in universe.values.items()}
    parts: list[str] = []
    for d in phrases():
        assert d.words is not None
        parts.extend(d.words(d, shown, every, catalog, supplier))
    return ", ".join(parts) if parts else EVERY


def expanded(keys: frozenset[Key], named: Mapping[str, frozenset[str]], catalog: Catalog) -> frozenset[Key]:
    """``keys`` with each region stand-in (``"*"``: the regions no condition names, of one country)
    replaced by the keys of the regions it stands for (``named``: :attr:`Partition.named`)."""
    out: set[Key] = set()
    for k in keys:
        stand = next((f for f, v in k if v == OTHER_CODE and f in named), None)
        if stand is None:
            out.add(k)
            continue
        values = dict(k)
        spec = FIELDS[stand]
        assert spec.values is not None
        for v in spec.values(catalog):
            if v in named[stand]:
                continue
            derived = {g: derive(catalog, v) for g in values
                       if FIELDS[g].derived_from == stand and (derive := FIELDS[g].derive) is not None}
            if all(values[g] == x for g, x in derived.items()):
                out.add(tuple((g, v if g == stand else x) for g, x in k))
    return frozenset(out)


def constraints(box: Box, universe: Universe, catalog: Catalog) -> dict[str, tuple[Any, ...]]:
    """Field -> the values it takes in the box (a numeric field: spans), for the dimensions not free
    in ``universe``. A dimension lists its given fields that take values in the box, the first one
    only when later ones are derived from it (a region fixes its country); a region stand-in
    (``"*"``) lists the regions it stands for."""
    out: dict[str, tuple[Any, ...]] = {}
    free = universe.free(box)
    for name, in_box in box.items():
        if free[name] or not any(in_box):
            continue
        keys = expanded(in_box, universe.named, catalog)
        d = DIMENSIONS[name]
        if d.numeric:
            values = [dict(k)[d.primary] for k in keys if k]
            out[d.primary] = (*spans(v for v in values if v is not None), *((None,) if None in values else ()))
            continue
        names = [f for f in d.fields if values_of(keys, f)]
        if any(FIELDS[f].derived_from for f in d.fields):
            names = [next(f for f in d.fields if f in names)]
        for f in names:
            out[f] = tuple(values_of(sorted_keys(keys), f))
    return out


def covers(constraint: Mapping[str, tuple[Any, ...]], facts: Mapping[str, Any]) -> bool:
    """Whether a strike (its facts: :func:`~policyrules.model.strike.facts`) meets every constraint."""
    for f, vals in constraint.items():
        if FIELDS[f].kind is Kind.NUMBER:
            if not any(facts[f] is None if s is None else facts[f] in s for s in vals):
                return False
        elif facts[f] not in vals:
            return False
    return True


def supplier_label(p: Partition) -> str:
    codes = [c for c in p.suppliers if c not in (None, OTHER_CODE)]
    return codes[0] if len(p.suppliers) == 1 and codes else ""
