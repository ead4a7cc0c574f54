"""The strike space of one rule set, split into finitely many classes that rules cannot tell apart.

Every condition compares a field with enum values, catalog ids, booleans or numeric thresholds, so
two strikes that agree on every field the rules mention (and fall in the same interval between the
thresholds of each numeric field) match the same rules. A :class:`Partition` enumerates exactly
those classes for one :class:`~policyrules.packs.pack.RuleSet`, dimension by dimension of the
registry (:data:`~policyrules.model.dimensions.DIMENSIONS`):

- only fields its resolved conditions mention are split; the others take one value;
- a value dimension splits into its members (each region, each target type, each weapon from each
  supplier, ``None`` too where a strike may omit the field), merged where the rules cannot tell
  them apart;
- a numeric dimension splits at every threshold ``t`` of the rules into points ``[t]`` and the open
  intervals between them (:func:`~policyrules.model.intervals.intervals`), and an optional one
  (``depth_km``) has a class of its own for strikes that leave it out (the value ``None``);
- only feasible combinations exist: a region fixes its country, a target type its category, a
  weapon its class, its suppliers and its reach (which bounds the range); the policy is chosen by
  supplier, so a supplier policy sees only its own code and ``default`` sees every other one
  (``"*"`` stands for codes the schema does not name).

Each :class:`StrikeClass` has its values (field -> value or :class:`Interval`) and one concrete
representative strike that validates as a ``ProposedStrike`` and is evaluated under this rule set.
:meth:`Partition.class_of` maps a concrete strike to its class and :meth:`Partition.outcomes`
evaluates every class once, with the compiled backend's matcher and the same
:class:`~policyrules.deciding.combine.Combiner` as ``Engine.evaluate``.
"""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from ..deciding.combine import Combiner, Outcome
from ..language.conditions import Condition
from ..language.mentions import mentioned_fields, mentioned_values, thresholds
from ..matching import Matcher, build
from ..model.dimensions import (
    BOUNDED,
    BOUNDING,
    DIMENSIONS,
    FACT_FIELDS,
    FIELDS,
    GROUPS,
    OTHER_CODE,
    RANGE,
    Coords,
    Dimension,
    Kind,
    Member,
)
from ..model.domain import MAX_RANGE_KM
from ..model.errors import PolicyRefError
from ..model.intervals import Interval, intervals
from ..model.strike import ProposedStrike, facts
from ..packs.pack import COMMON, DEFAULT, Pack, RuleSet, Window
from ..packs.resolved import ResolvedPack

__all__ = ["OTHER_CODE", "RANGE", "Interval", "Key", "Partition", "Point", "StrikeClass", "Universe", "partition",
           "partition_for", "partitions", "supplier_codes", "unnamed_supplier_code"]

Key = tuple[tuple[str, Any], ...]
Point = Coords[Key]  # a class: its key in each dimension



@dataclass(frozen=True)
class _Part:
    """One group of dimensions of a class: its class values, its facts and its representative's fields."""

    values: Key
    facts: Mapping[str, Any]
    strike: Mapping[str, Any]
    keys: Mapping[str, Key] = field(default_factory=dict)  # ``values`` split by dimension


def _split(values: Key, group: Sequence[Dimension]) -> dict[str, Key]:
    return {d.name: tuple((f, v) for f, v in values if FIELDS[f].dimension == d.name) for d in group}


@dataclass(frozen=True)
class StrikeClass:
    """One class of strikes the rules of a rule set cannot tell apart."""

    parts: tuple[_Part, ...]
    day: dt.date

    @property
    def key(self) -> Key:
        """The class values as ``((field, value), ...)``, hashable; unique within a partition."""
        return tuple(kv for p in self.parts for kv in p.values)

    @property
    def values(self) -> dict[str, Any]:
        """Field -> value (or :class:`Interval` for a numeric field), for the fields the rules mention."""
        key = dict(self.key)
        return {f: key[f] for f in FACT_FIELDS if f in key}

    @property
    def facts(self) -> dict[str, Any]:
        """The representative strike as the conditions see it."""
        out: dict[str, Any] = {}
        for p in self.parts:
            out.update(p.facts)
        return out

    @property
    def strike(self) -> dict[str, Any]:
        """The representative strike: a dict that validates as a ``ProposedStrike`` of this rule set."""
        out: dict[str, Any] = {}
        for p in self.parts:
            out.update((k, v) for k, v in p.strike.items() if v is not None)
        out["date"] = self.day.isoformat()
        return out

    @property
    def point(self) -> Point:
        """The class's key in each dimension, as :meth:`Partition.point_of` gives them."""
        return Coords({d: k for p in self.parts for d, k in p.keys.items()})

    def describe(self) -> str:
        vals = self.values
        if not vals:
            return "every strike"
        strike = self.strike
        return ", ".join(f"{f} in {v}" if isinstance(v, Interval) and not v.is_point else
                         f"{f}={strike[f]} (or another region no rule names)"
                         if v == OTHER_CODE and FIELDS[f].kind is Kind.CATALOG else
                         f"{f}={'none' if v is None else str(v).lower() if isinstance(v, bool) else v}"
                         for f, v in vals.items())

#: The fields whose values no condition names stand together in a partition (the regions: one class
#: value ``"*"`` per value of what they fix, their country; :attr:`Partition.named`).
STAND_IN_FIELDS = tuple(f.name for f in FIELDS.values() if f.kind is Kind.CATALOG and f.table == "region" and f.given)


class Universe:
    """A set of classes: feasible pairs of a bounding and a bounded key (a weapon's reach bounds its
    range) times a set of keys for each other dimension. Tells which dimensions of a box are free:
    take every value feasible with the box's other values ("any")."""

    def __init__(self, pairs: Iterable[tuple[Key, Key]], others: Mapping[str, Iterable[Key]],
                 named: Mapping[str, frozenset[str]] | None = None) -> None:
        """``named``: per region field, the regions the partition's conditions name (the others
        stand together as ``"*"``; :attr:`Partition.named`)."""
        self.pairs = frozenset(pairs)
        self.named: Mapping[str, frozenset[str]] = named or {}
        self.values: Coords[frozenset[Key]] = Coords({
            BOUNDING.name: frozenset(w for w, _ in self.pairs), BOUNDED.name: frozenset(r for _, r in self.pairs),
            **{d: frozenset(keys) for d, keys in others.items()}})

    @classmethod
    def of(cls, p: Partition) -> Universe:
        """Every class of a partition."""
        return cls(p.bounded_pairs(), {d: p.choices(d) for d in DIMENSIONS if d not in (BOUNDING.name, BOUNDED.name)},
                   p.named)

    def free(self, box: Coords[frozenset[Key]]) -> Coords[bool]:
        """Per dimension: the box holds every value of it that is feasible with the box's other values."""
        outer, inner = box[BOUNDING.name], box[BOUNDED.name]
        return Coords({d: (all(w in outer for w, r in self.pairs if r in inner) if d == BOUNDING.name else
                           all(r in inner for w, r in self.pairs if w in outer) if d == BOUNDED.name else
                           box[d] >= self.values[d]) for d in DIMENSIONS})


class Partition:
    """The classes of one rule set, given its resolved conditions (parameters replaced by numbers)."""

    def __init__(self, pack: Pack, ruleset: RuleSet, conditions: Sequence[Condition], *,
                 also: Sequence[Condition] = (), suppliers: Sequence[str | None] | None = None) -> None:
        """``also``: conditions (of another rule set) whose fields and thresholds split the space too,
        without being evaluated: two partitions built over each other's conditions, with the same
        ``suppliers``, have the same classes in the same order (:mod:`policyrules.analysis.diff`).
        ``suppliers``: the supplier codes the classes range over (default: those the policy judges)."""
        if len(conditions) != len(ruleset.rules):
            raise ValueError(f"{len(conditions)} conditions for {len(ruleset.rules)} rules")
        self.pack = pack
        self.ruleset = ruleset
        self.conditions = tuple(conditions)
        self.windows: tuple[Window, ...] = tuple(
            w for w in pack.windows(ruleset.version.policy) if w.ruleset.key == ruleset.key)
        if not self.windows:
            raise PolicyRefError(f"rule set {self.label} is in force on no date")
        self.day = self.windows[0].start
        split = (*self.conditions, *also)
        self.fields = mentioned_fields(split)
        # Regions no condition names stand together, one class value per country ("*"): a rule can
        # tell them apart only by what the region fixes (its country), never by the region itself.
        self.named: dict[str, frozenset[str]] = {name: mentioned_values(split, name) for name in STAND_IN_FIELDS}
        self.cuts: dict[str, tuple[Interval, ...]] = {
            d.name: intervals(thresholds(split, d.primary)) if d.primary in self.fields else
            (Interval(0.0, MAX_RANGE_KM),) for d in DIMENSIONS.values() if d.numeric}
        self.thresholds = thresholds(split, RANGE)  # the range's, as check reports them
        self.intervals = self.cuts[BOUNDED.name]
        self.suppliers = tuple(suppliers) if suppliers is not None else supplier_codes(pack, ruleset.version.policy)
        self._other_code = unnamed_supplier_code(pack)
        self._members = {d.name: self._concrete(d.members(pack.catalog, self.suppliers))
                         for d in DIMENSIONS.values() if d.members is not None}
        self._parts: tuple[dict[Key, _Part], ...] = tuple(self._group_parts(g) for g in GROUPS)

    @property
    def label(self) -> str:
        return ruleset_label(self.ruleset)

    def __len__(self) -> int:
        return math.prod(len(g) for g in self._parts)

    def classes(self) -> Iterator[StrikeClass]:
        for parts in itertools.product(*(g.values() for g in self._parts)):
            yield StrikeClass(parts, self.day)

    def variant(self, ruleset: RuleSet, conditions: Sequence[Condition]) -> Partition:
        """The classes of this partition for another rule set of the same policy version: exact when this
        one was built with ``conditions`` among its own or ``also`` (they split nothing further)."""
        if ruleset.key != self.ruleset.key or len(conditions) != len(ruleset.rules):
            raise ValueError(f"a variant of {self.label} is a rule set of the same key, a condition per rule")
        other = copy.copy(self)
        other.__dict__.pop("matcher", None)
        other.__dict__.pop("combiner", None)
        other.ruleset, other.conditions = ruleset, tuple(conditions)
        return other

    def group_parts(self) -> tuple[tuple[_Part, ...], ...]:
        """The parts of each group (of :data:`GROUPS`), in order: the classes are their product,
        the first group outermost (:mod:`policyrules.analysis.classsets`)."""
        return tuple(tuple(g.values()) for g in self._parts)

    # Evaluation --------------------------------------------------------------------------

    @cached_property
    def matcher(self) -> Matcher:
        return build("compiled", self.conditions, self.label)

    @cached_property
    def combiner(self) -> Combiner:
        return Combiner(self.ruleset.rules, self.ruleset.version.default)

    def outcome(self, cls: StrikeClass) -> Outcome:
        """The outcome of the class (of its representative, hence of every strike in it)."""
        return self.combiner(self.matcher.match(cls.facts))

    def outcomes(self, within: Universe | None = None) -> Iterator[tuple[StrikeClass, Outcome]]:
        """Every class with its outcome, each evaluated once; given ``within``, only its classes."""
        match, combine = self.matcher.match, self.combiner
        groups: list[list[_Part]] = [list(g.values()) for g in self._parts]
        if within is not None:
            for i, (group, parts) in enumerate(zip(GROUPS, self._parts, strict=True)):
                if group[0] is BOUNDING:
                    groups[i] = [p for p in parts.values()
                                 if (p.keys[BOUNDING.name], p.keys[BOUNDED.name]) in within.pairs]
                else:
                    groups[i] = [p for p in parts.values()
                                 if all(p.keys[d.name] in within.values[d.name] for d in group)]
        first, *others = groups
        rest: list[tuple[tuple[_Part, ...], dict[str, Any]]] = []
        for tail in itertools.product(*others):
            merged: dict[str, Any] = {}
            for p in tail:
                merged.update(p.facts)
            rest.append((tail, merged))
        for head in first:
            for tail, merged in rest:
                yield StrikeClass((head, *tail), self.day), combine(match({**head.facts, **merged}))

    # A concrete strike -------------------------------------------------------------------

    def class_of(self, strike: ProposedStrike | Mapping[str, Any]) -> StrikeClass:
        """The class of a strike evaluated under this rule set (a ``PolicyRefError`` if it is not)."""
        s = ProposedStrike.parse(strike, self.pack.catalog)
        rs = self.pack.ruleset(self.pack.version_at(self.pack.policy_for_supplier(s.supplier), s.date), s.date)
        if rs.key != self.ruleset.key:
            raise PolicyRefError(f"the strike is judged by {ruleset_label(rs)}, not by {self.label}")
        f = facts(s)
        point = self.point_of({**f, **{d.primary: None if f[d.primary] is None else
                                        self.interval_of(d.name, f[d.primary]) for d in DIMENSIONS.values()
                                        if d.numeric}})
        found = self.class_at(point)
        assert found is not None, "a valid strike falls in a feasible class"
        return found

    def interval_of(self, dimension: str, x: float) -> Interval:
        """The interval of a numeric dimension that ``x`` falls in."""
        return next(iv for iv in self.cuts[dimension] if x in iv)

    # Classes by their values ---------------------------------------------------------------

    def point_of(self, values: Mapping[str, Any]) -> Point:
        """Class values as a key per dimension (``()`` where none of its fields is split)."""
        return Coords({d.name: tuple((f, self.class_value(f, values[f])) for f in d.fields if f in self.fields)
                       for d in DIMENSIONS.values()})

    def choices(self, dimension: str) -> tuple[Key, ...]:
        """Every key the dimension takes in some class (a numeric one's in the order of its intervals)."""
        d = DIMENSIONS[dimension]
        if d.numeric:
            if d.primary not in self.fields:
                return ((),)
            absent = (((d.primary, None),),) if FIELDS[d.primary].optional else ()
            return (*absent, *(((d.primary, iv),) for iv in self.cuts[dimension]))
        for group, parts in zip(GROUPS, self._parts, strict=True):
            if any(d.name == dimension for d in group):
                return tuple(dict.fromkeys(p.keys[dimension] for p in parts.values()))
        raise KeyError(dimension)

    def bounded_pairs(self) -> tuple[tuple[Key, Key], ...]:
        """The feasible pairs of a bounding and a bounded key (a weapon's reach bounds the range)."""
        (parts,) = (p for g, p in zip(GROUPS, self._parts, strict=True) if g[0] is BOUNDING)
        return tuple((p.keys[BOUNDING.name], p.keys[BOUNDED.name]) for p in parts.values())

    def class_with(self, values: Mapping[str, Any]) -> StrikeClass | None:
        """The class with these class values (every split field; others are ignored), or None when
        no feasible strike has them (a weapon's reach short of the range, say)."""
        return self.class_at(self.point_of(values))

    def class_at(self, point: Point) -> StrikeClass | None:
        """The class with this key in each dimension, or None when infeasible."""
        parts = []
        for group, table in zip(GROUPS, self._parts, strict=True):
            part = table.get(tuple(kv for d in group for kv in point[d.name]))
            if part is None:
                return None
            parts.append(part)
        return StrikeClass(tuple(parts), self.day)

    def example(self, values: Mapping[str, Any], near: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
        """A strike of the class with these class values (a dict that validates and is judged by this
        rule set when its supplier picks this policy), keeping each field of ``near`` (catalog ids,
        as in :func:`~policyrules.model.strike.facts`, plus ``date``) that the class allows, and
        preferring ``near``'s values otherwise. None when no strike has these values."""
        near = near or {}

        def fits(f: Mapping[str, Any]) -> bool:
            return all(self.class_value(k, v) == values[k] for k, v in f.items() if k in self.fields)

        out: dict[str, Any] = {}
        for group in GROUPS:
            head, bounded = group[0], group[1:]
            if head.numeric:  # a number on its own: near's when the class allows it
                out[head.primary] = self._number(head, values, near, MAX_RANGE_KM)
                continue
            order = self.members_near(head.name, near)
            if not bounded:
                chosen = next((m for m in order if fits(m.facts)), None)
                if chosen is None:
                    return None
                out.update(self._code(chosen.strike, near))
                continue
            found: list[tuple[Member, dict[str, float | None]]] = []  # keeping near's numbers first
            for m in order:
                if not fits(m.facts):
                    continue
                xs = {d.primary: self._number(d, values, near, m.bound) for d in bounded}
                if all(isinstance(near.get(f), (int, float)) and x == near[f] for f, x in xs.items()):
                    found.insert(0, (m, xs))
                    break
                if all(x is not None for x in xs.values()) and not found:
                    found.append((m, xs))
            if not found:
                return None
            m, xs = found[0]
            out.update(self._code(m.strike, near))
            out.update(xs)
        day = near.get("date", self.day)
        if day is not None:
            out["date"] = day.isoformat() if isinstance(day, dt.date) else day
        return {k: v for k, v in out.items() if v is not None}

    def _number(self, d: Dimension, values: Mapping[str, Any], near: Mapping[str, Any], bound: float) -> float | None:
        """A value of the class's interval of numeric dimension ``d`` within ``bound``: near's when it fits
        (None for the class of an optional number left out, or when near leaves an unsplit one out)."""
        want = near.get(d.primary)
        iv: Interval | None
        if d.primary in self.fields:
            iv = values[d.primary]
            if iv is None:
                return None
        elif want is None and FIELDS[d.primary].optional:
            return None
        else:
            iv = Interval(0.0, MAX_RANGE_KM)
        if isinstance(want, (int, float)) and want in iv and want <= bound:
            return float(want)
        return iv.pick(bound)

    def _code(self, strike: Mapping[str, Any], near: Mapping[str, Any]) -> dict[str, Any]:
        """A member's strike fields, an unnamed code replaced by near's own when near has one too."""
        out = dict(strike)
        for f, v in strike.items():
            if FIELDS[f].kind is Kind.CODE and self.class_value(f, v) == OTHER_CODE \
                    and self.class_value(f, near.get(f)) == OTHER_CODE:
                out[f] = near[f]
        return out

    def members_near(self, dimension: str, near: Mapping[str, Any]) -> list[Member]:
        """The members of a value dimension, those agreeing with ``near`` first (the policy-picking
        field, then each field in order, by class value; then whether the primary field is given at
        all; then by value, so a region stand-in keeps near's own region)."""
        d = DIMENSIONS[dimension]
        names = sorted(d.fields, key=lambda f: not FIELDS[f].picks_policy)

        def differs(f: str, m: Member) -> bool:
            # An unknown supplier (it picks the policy) is no reason to prefer a member without one: a
            # weapon several states supply, known without its supplier, keeps its weapon first.
            if FIELDS[f].picks_policy and near.get(f) is None:
                return False
            return bool(self.class_value(f, m.facts[f]) != self.class_value(f, near.get(f)))

        def rank(m: Member) -> tuple[bool, ...]:  # within a class value (a region stand-in): near's own value
            return (*(differs(f, m) for f in names),
                    (m.facts[d.primary] is None) != (near.get(d.primary) is None),
                    *(differs(f, m) or (near.get(f) is not None and m.facts[f] != near[f]) for f in names))

        return sorted(self._members[dimension], key=rank)

    def members(self, dimension: str) -> list[Member]:
        """The members of a value dimension this policy's strikes can have (unnamed codes made concrete)."""
        return list(self._members[dimension])

    # Building the groups -----------------------------------------------------------------

    def class_value(self, field_name: str, value: Any) -> Any:
        """The class value of a field's value: itself, or ``"*"`` for a code no rule can name or a
        region no condition names."""
        if FIELDS[field_name].kind is Kind.CODE and value is not None \
                and value not in self.pack.schema[field_name].values:
            return OTHER_CODE
        named = self.named.get(field_name)
        if named is not None and value is not None and value not in named:
            return OTHER_CODE
        return value

    def class_key(self, names: Iterable[str], f: Mapping[str, Any]) -> Key:
        """The class values of ``names`` in ``f`` (a mapping of field values), for the fields rules mention."""
        return tuple((n, self.class_value(n, f[n])) for n in names if n in self.fields)

    def _concrete(self, members: list[Member]) -> list[Member]:
        """Members with the stand-in for unnamed codes (``"*"``) replaced by a real unnamed code."""
        def fix(values: Mapping[str, Any]) -> dict[str, Any]:
            return {f: self._other_code if v == OTHER_CODE and FIELDS[f].kind is Kind.CODE else v
                    for f, v in values.items()}
        return [Member(fix(m.facts), fix(m.strike), m.bound) for m in members]

    def _group_parts(self, group: tuple[Dimension, ...]) -> dict[Key, _Part]:
        head, bounded = group[0], group[1:]
        out: dict[Key, _Part] = {}
        if head.numeric:  # a numeric dimension on its own (an optional one: "left out" first)
            split = head.primary in self.fields
            for iv in (*((None,) if FIELDS[head.primary].optional else ()), *self.cuts[head.name]):
                x = None if iv is None else iv.pick()
                vals: Key = ((head.primary, iv),) if split else ()
                out.setdefault(vals, _Part(vals, {head.primary: x}, {head.primary: x}, _split(vals, group)))
            return out
        by_key: dict[Key, list[Member]] = {}
        for m in self._members[head.name]:
            by_key.setdefault(self.class_key(head.fields, m.facts), []).append(m)
        for key, ms in by_key.items():
            if not bounded:
                out[key] = _Part(key, ms[0].facts, ms[0].strike, _split(key, group))
                continue
            for ivs in itertools.product(*(self.cuts[d.name] for d in bounded)):
                for m in ms:
                    xs = [iv.pick(m.bound) for iv in ivs]
                    if any(x is None for x in xs):
                        continue
                    vals = key + tuple((d.primary, iv) for d, iv in zip(bounded, ivs, strict=True)
                                       if d.primary in self.fields)
                    numbers = {d.primary: x for d, x in zip(bounded, xs, strict=True)}
                    out[vals] = _Part(vals, {**m.facts, **numbers}, {**m.strike, **numbers}, _split(vals, group))
                    break
        return out


def ruleset_label(rs: RuleSet) -> str:
    """``us@2024-05-30 + common@v1``: a rule set as check, diff and the atlas name it."""
    return rs.version.ref + (f" + {COMMON}@{rs.common.version}" if rs.common is not None else "")


def supplier_codes(pack: Pack, policy_id: str) -> tuple[str | None, ...]:
    """The supplier values whose strikes a policy judges (``"*"``: codes the schema does not name)."""
    named = pack.schema["supplier"].values
    if policy_id == DEFAULT:
        own = {p.id for p in pack.supplier_policies}
        return (None, *(c for c in named if c.lower() not in own), OTHER_CODE)
    if policy_id == COMMON:
        return ()  # common is never chosen for a strike: its rules are judged inside each policy
    code = policy_id.upper()
    return (code,) if len(code) == 2 and code.isalpha() and code.isascii() else ()


def unnamed_supplier_code(pack: Pack) -> str:
    """A two-letter supplier code no rule can name and no policy owns: stands for all such codes."""
    taken = set(pack.schema["supplier"].values) | {p.upper() for p in pack.policies}
    return next(a + b for a in "XYZQ" for b in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" if a + b not in taken)


def partition(resolved: ResolvedPack, rs: RuleSet) -> Partition:
    return Partition(resolved.pack, rs, resolved.conditions(rs))


def partitions(resolved: ResolvedPack) -> list[Partition]:
    """One partition per rule set in force, in pack order."""
    return [partition(resolved, rs) for rs in resolved.rulesets()]


def partition_for(resolved: ResolvedPack, strike: ProposedStrike | Mapping[str, Any]) -> Partition:
    """The partition of the rule set that judges ``strike``."""
    pack = resolved.pack
    s = ProposedStrike.parse(strike, pack.catalog)
    return partition(resolved, pack.ruleset(pack.version_at(pack.policy_for_supplier(s.supplier), s.date), s.date))
