"""Sets of a partition's classes as bit sets, so that analysis over every class costs a few
integer operations per rule instead of one evaluation per class.

The classes of a :class:`~policyrules.analysis.partition.Partition` are the product of its
groups' parts (one group per :data:`~policyrules.model.dimensions.GROUPS` entry), enumerated by
:meth:`~policyrules.analysis.partition.Partition.classes` with the first group outermost. Class
``k`` in that order is bit ``k`` of a Python integer. A comparison reads one field, so it holds on
a set of parts of one group; its set of classes is that pattern repeated across the other groups
(built by doubling, in time linear in the number of classes). A condition's set is its
comparisons' sets combined with ``&``, ``|`` and complement, and what the combining rule does
with a set of matched rules (overrides, conflicts, the first rule of the winning effect) is the
same algebra over the rules' sets (:func:`outcome_sets`). Python's integers do each operation in
C over machine words: a rule set of 100,000 classes costs microseconds per rule.

The sets are exact: class ``k`` is in a rule's set exactly when the rule matches the class's
representative (tests compare them with :meth:`Partition.outcomes`, class by class).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from ..language.conditions import AllOf, AnyOf, Cmp, Condition, Not, evaluate
from ..model.dimensions import GROUPS
from ..model.domain import Decision
from ..packs.pack import Rule
from .partition import Partition, StrikeClass

__all__ = ["ClassSets", "OutcomeSets", "ones", "outcome_sets"]

#: The group (index into GROUPS) holding each field.
_GROUP_OF: dict[str, int] = {f: i for i, group in enumerate(GROUPS) for d in group for f in d.fields}


def _repeat(pattern: int, period: int, times: int) -> int:
    """``pattern`` (at most ``period`` bits) repeated ``times`` times, each copy ``period`` bits above the last."""
    out, block, length, shift = 0, pattern, period, 0
    while times:
        if times & 1:
            out |= block << shift
            shift += length
        times >>= 1
        if times:
            block |= block << length
            length *= 2
    return out


class ClassSets:
    """The classes of one partition as bit sets: :meth:`of` a condition, :meth:`first` class of a set."""

    def __init__(self, partition: Partition) -> None:
        self.partition = partition
        self._tables = partition.group_parts()
        sizes = [len(t) for t in self._tables]
        self.size = math.prod(sizes)
        self.full = (1 << self.size) - 1
        self._inner = [math.prod(sizes[i + 1:]) for i in range(len(sizes))]
        self._outer = [math.prod(sizes[:i]) for i in range(len(sizes))]
        # Every condition's set, once: the rule sets of one policy version under many readings are
        # walked on one partition, and share most of their conditions.
        self._known: dict[Condition, int] = {}
        self._patterns: dict[tuple[int, tuple[bool, ...]], int] = {}

    def of(self, cond: Condition) -> int:
        """The classes whose representative satisfies ``cond`` (a resolved condition)."""
        found = self._known.get(cond)
        if found is None:
            found = self._known[cond] = self._atom(cond) if isinstance(cond, Cmp) else self._compound(cond)
        return found

    def _compound(self, cond: AllOf | AnyOf | Not) -> int:
        """A combined condition's set, from its items' sets."""
        # (x ^ y, not x & ~y, where y is a subset of x: no complement of a big integer is made)
        if isinstance(cond, Not):
            return self.full ^ self.of(cond.item)
        if isinstance(cond, AllOf):
            if not cond.items:
                return self.full
            out = self.of(cond.items[0])
            for c in cond.items[1:]:
                if not out:
                    break
                out &= self.of(c)
            return out
        assert isinstance(cond, AnyOf)
        out = 0
        for c in cond.items:
            out |= self.of(c)
        return out

    def _atom(self, cmp: Cmp) -> int:
        g = _GROUP_OF[cmp.field]
        truth = tuple(evaluate(cmp, part.facts) for part in self._tables[g])
        key = (g, truth)
        found = self._patterns.get(key)
        if found is None:
            inner = self._inner[g]
            unit = (1 << inner) - 1
            block = 0
            for k, holds in enumerate(truth):
                if holds:
                    block |= unit << (k * inner)
            found = self._patterns[key] = _repeat(block, inner * len(truth), self._outer[g])
        return found

    def first(self, bits: int) -> StrikeClass:
        """The first class of a non-empty set, in :meth:`Partition.classes` order."""
        return self.at((bits & -bits).bit_length() - 1)

    def at(self, k: int) -> StrikeClass:
        """Class ``k`` in :meth:`Partition.classes` order."""
        parts = []
        for table, inner in zip(self._tables, self._inner, strict=True):
            i, k = divmod(k, inner)
            parts.append(table[i])
        return StrikeClass(tuple(parts), self.partition.day)

    def classes(self, bits: int) -> list[StrikeClass]:
        """Every class of a set, in :meth:`Partition.classes` order."""
        return [self.at(k) for k in ones(bits)]


def ones(bits: int) -> list[int]:
    """The positions of a set's members (its 1 bits), in increasing order, in one pass over its binary
    digits (indexing a big int bit by bit is quadratic)."""
    digits = format(bits, "b")[::-1]
    out, k = [], digits.find("1")
    while k >= 0:
        out.append(k)
        k = digits.find("1", k + 1)
    return out


@dataclass(frozen=True)
class OutcomeSets:
    """What the combining rule decides, over every class of a rule set at once (index ``i``: rule ``i``).

    ``matched[i]``: the classes the rule matches; ``remaining[i]``: those where no matched rule
    overrides it; ``deciding[i]``: those it decides (alone, or as the first prohibiting rule of a
    conflict); ``conflict``: the classes where remaining rules disagree; ``default``: the classes no
    remaining rule decides."""

    matched: tuple[int, ...]
    remaining: tuple[int, ...]
    deciding: tuple[int, ...]
    conflict: int
    default: int


def outcome_sets(rules: Sequence[Rule], matched: Sequence[int], full: int) -> OutcomeSets:
    """The combining rule (:mod:`policyrules.deciding.combine`) over sets of classes: a matched rule
    loses where a rule overriding it matches; where the remaining rules disagree the first
    prohibiting one decides; else the first remaining one; where none remains, the default."""
    n = len(rules)
    positions: dict[str, list[int]] = {}
    for j, r in enumerate(rules):
        positions.setdefault(r.id, []).append(j)
    beaten = [0] * n
    for k, r in enumerate(rules):
        if not matched[k]:
            continue
        targets = (j for j in range(n) if j != k) if r.overrides == "all" else \
            (j for rid in r.overrides for j in positions.get(rid, ()) if rules[j] is not r)
        for j in targets:
            beaten[j] |= matched[k]
    # (m ^ (m & b) is m & ~b without the complement of a big integer; b empty: m itself)
    remaining = tuple(m ^ (m & b) if b and m else m for m, b in zip(matched, beaten, strict=True))
    allowed = prohibited = 0
    for r, rem in zip(rules, remaining, strict=True):
        if r.effect is Decision.ALLOWED:
            allowed |= rem
        else:
            prohibited |= rem
    deciding = []
    before = {Decision.ALLOWED: 0, Decision.PROHIBITED: 0}  # remaining sets of earlier rules, by effect
    for r, rem in zip(rules, remaining, strict=True):
        if not rem:
            deciding.append(0)
            continue
        # an allowing rule decides only where nothing remaining prohibits
        lost = prohibited | before[r.effect] if r.effect is Decision.ALLOWED else before[r.effect]
        deciding.append(rem ^ (rem & lost) if lost else rem)
        before[r.effect] |= rem
    return OutcomeSets(matched=tuple(matched), remaining=remaining, deciding=tuple(deciding),
                       conflict=allowed & prohibited, default=full ^ (allowed | prohibited))
