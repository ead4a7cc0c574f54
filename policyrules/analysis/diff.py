"""``diff``: exactly which strikes two policy versions judge differently, in readable descriptions.

Both rule sets are split over the union of the fields and thresholds either mentions (one
:class:`~policyrules.analysis.partition.Partition` each, built over the other's conditions too, so they
have the same classes in the same order); every class whose decision or deciding rule differs is
reported. Changed classes are grouped by (old decision, old rule, new decision, new rule) and
merged: boxes that differ in one dimension are joined (values into a set, intervals into spans)
until nothing merges; a dimension that takes every value feasible with the rest of its box is
left out of the description ("any").

The merging and the descriptions live in :mod:`policyrules.analysis.merging`, shared with
:mod:`policyrules.analysis.why_not` and :mod:`policyrules.analysis.partial`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict

from ..deciding.combine import Outcome
from ..deciding.verdict import DEFAULT_RULE_ID
from ..language.conditions import Condition
from ..model.dimensions import BOUNDED, BOUNDING
from ..model.domain import Decision
from ..model.errors import PolicyRefError
from ..packs.pack import COMMON, Pack, RuleSet
from ..packs.resolved import ResolvedPack
from .classsets import ClassSets, outcome_sets
from .merging import constraints, covers, describe, first, merge, size, supplier_label
from .partition import Interval, Key, Partition, StrikeClass, Universe

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
    before_reading: dict[str, str] = {}
    after_reading: dict[str, str] = {}
    classes: int
    changed: int
    entries: tuple[DiffEntry, ...]

    def to_text(self) -> str:
        def ref(given: str, resolved: str, reading: Mapping[str, str]) -> str:
            shown = given if given == resolved else f"{given} ({resolved})"
            return shown + (" [" + ", ".join(f"{p}={o}" for p, o in reading.items()) + "]" if reading else "")

        head = (f"{ref(self.before, self.before_version, self.before_reading)} -> "
                f"{ref(self.after, self.after_version, self.after_reading)}: ")
        if not self.entries:
            return head + f"no change (over {self.classes} classes)"
        lines = [head + f"{self.changed} of {self.classes} classes change"]
        lines.extend(f"  {e}" for e in self.entries)
        return "\n".join(lines)


def ruleset_for_ref(pack: Pack, ref: str) -> tuple[RuleSet, dt.date | None]:
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


def union_partitions(pack: Pack, a: RuleSet, ca: Sequence[Condition], b: RuleSet,
                     cb: Sequence[Condition]) -> tuple[Partition, Partition]:
    """One partition per rule set, each split by both rule sets' conditions and suppliers: the same
    classes in the same order."""
    probe_a, probe_b = Partition(pack, a, ca), Partition(pack, b, cb)
    suppliers = tuple(dict.fromkeys((*probe_a.suppliers, *probe_b.suppliers)))
    return (Partition(pack, a, ca, also=cb, suppliers=suppliers),
            Partition(pack, b, cb, also=ca, suppliers=suppliers))


def _decided(sets: ClassSets, p: Partition) -> list[tuple[tuple[Decision, str], int]]:
    """(decision, deciding rule id) -> the classes of ``p`` it decides, as bit sets of ``sets``."""
    rules = p.ruleset.rules
    found = outcome_sets(rules, [sets.of(c) for c in p.conditions], sets.full)
    out = [((r.effect, r.id), bits) for r, bits in zip(rules, found.deciding, strict=True) if bits]
    if found.default:
        out.append(((p.ruleset.version.default, DEFAULT_RULE_ID), found.default))
    return out


def changed_classes(before: Partition, after: Partition) -> tuple[int, list[tuple[Side, Side, list[StrikeClass]]]]:
    """The number of classes of two partitions with the same classes (:func:`union_partitions`), and
    the classes whose decision or deciding rule differs, grouped by (before, after), in class order.
    Worked out on bit sets of classes (:mod:`policyrules.analysis.classsets`): each rule's classes
    once per side, then one intersection per pair of deciding rules; only changed classes are built."""
    sets = ClassSets(before)
    groups: list[tuple[int, Side, Side, int]] = []
    for a, bits_a in _decided(sets, before):
        for b, bits_b in _decided(sets, after):
            both = bits_a & bits_b
            if a != b and both:
                groups.append(((both & -both).bit_length(), Side(decision=a[0], rule=a[1]),
                               Side(decision=b[0], rule=b[1]), both))
    groups.sort(key=lambda g: g[0])
    return sets.size, [(sa, sb, sets.classes(bits)) for _, sa, sb, bits in groups]


def compare(pack: Pack, a: RuleSet, ca: Sequence[Condition], b: RuleSet, cb: Sequence[Condition], *,
            band: tuple[str, float, float] | None = None) -> Comparison:
    """Every class of the union partition of two rule sets (with their resolved conditions), with both
    outcomes; with ``band`` (a numeric dimension, lo, hi), only the classes whose value of that dimension
    meets ``[lo, hi]`` (when the rule sets differ only in its thresholds between lo and hi, no other
    class can differ)."""
    pa, pb = union_partitions(pack, a, ca, b, cb)
    within = None
    if band is not None:
        name, lo, hi = band
        u = Universe.of(pa)
        if any(u.values[name]):  # split: keep the classes meeting the band
            def meets(k: Key) -> bool:
                return _meets(k[0][1], lo, hi)

            pairs = u.pairs if name != BOUNDED.name else {(w, r) for w, r in u.pairs if meets(r)}
            within = Universe(pairs, {d: {k for k in keys if d != name or meets(k)}
                                      for d, keys in u.values.items() if d not in (BOUNDING.name, BOUNDED.name)},
                              u.named)
    rows = [(c, oa, ob) for (c, oa), (_, ob) in zip(pa.outcomes(within), pb.outcomes(within), strict=True)]
    return Comparison(pa, pb, rows)


def _meets(iv: Interval, lo: float, hi: float) -> bool:
    """Whether ``iv`` has a point in the closed interval ``[lo, hi]``."""
    return (iv.hi > lo or (iv.hi == lo and iv.hi_closed)) and (iv.lo < hi or (iv.lo == hi and iv.lo_closed))


def diff(resolved: ResolvedPack, a: str, b: str, after: ResolvedPack | None = None) -> DiffReport:
    """Every class whose decision or deciding rule changes from ref ``a`` to ref ``b``, merged; with
    ``after`` (the same pack under other readings), ``b`` is read in it: the change one reading makes.
    The report names the options on which the two sides differ."""
    later = resolved if after is None else after
    pack = resolved.pack
    (rsa, day_a), (rsb, day_b) = ruleset_for_ref(pack, a), ruleset_for_ref(later.pack, b)
    before, after_p = union_partitions(pack, rsa, resolved.conditions(rsa), rsb, later.conditions(rsb))
    count, groups = changed_classes(before, after_p)
    universe = Universe.of(before)
    label = supplier_label(before)
    entries = []
    for sa, sb, classes in groups:
        by_point = {c.point: c for c in classes}
        for box in merge(by_point):
            example = {k: v for k, v in by_point[first(box)].strike.items() if k != "date"}
            entries.append(DiffEntry(description=describe(box, universe, pack.catalog, label),
                                     constraints=constraints(box, universe, pack.catalog), before=sa, after=sb,
                                     classes=size(box), example=example))
    entries.sort(key=lambda e: (e.before.decision is e.after.decision, e.description))
    ra, rb = pack.reading, later.pack.reading
    return DiffReport(before=a, after=b, before_version=rsa.version.ref, after_version=rsb.version.ref,
                      before_date=day_a, after_date=day_b,
                      before_reading={p: o for p, o in ra.items() if rb.get(p) != o},
                      after_reading={p: o for p, o in rb.items() if ra.get(p) != o}, classes=count,
                      changed=sum(e.classes for e in entries), entries=tuple(entries))
