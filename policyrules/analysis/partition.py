"""The strike space of one rule set, split into finitely many classes that rules cannot tell apart.

Every condition compares a field with enum values, catalog ids, booleans or numeric
thresholds, so two strikes that agree on every field the rules mention (and fall in the same
interval between the thresholds of ``range_km``) match the same rules. A :class:`Partition`
enumerates exactly those classes for one :class:`~policyrules.packs.pack.RuleSet`:

- only fields its resolved conditions mention are split; the others take one value;
- enum fields split into their values (``None`` too where a strike may omit the field);
- ``range_km`` splits at every threshold ``t`` of the rules into points ``[t]`` and the open
  intervals between them, within ``0..MAX_RANGE_KM`` (:func:`intervals`);
- only feasible combinations exist: a region fixes its country, a target type its category, a
  weapon its class, its suppliers and its reach (which bounds ``range_km``); the policy is
  chosen by supplier, so a supplier policy sees only its own code and ``default`` sees every
  other one (``"*"`` stands for codes the schema does not name).

Each :class:`StrikeClass` has its values (field -> value or :class:`Interval`) and one
concrete representative strike that validates as a ``ProposedStrike`` and is evaluated under
this rule set. :meth:`Partition.class_of` maps a concrete strike to its class and
:meth:`Partition.outcomes` evaluates every class once, with the compiled backend's matcher
and the same :class:`~policyrules.deciding.combine.Combiner` as ``Engine.evaluate``.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Container, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, NamedTuple

from ..deciding.combine import Combiner, Outcome
from ..language.conditions import Condition
from ..language.intervals import RANGE, Interval, intervals, mentioned_fields, thresholds
from ..matching import Matcher, build
from ..model.domain import MAX_RANGE_KM, TargetType, WeaponClass
from ..model.errors import PolicyRefError
from ..model.strike import FACT_FIELDS, ProposedStrike, facts
from ..packs.pack import COMMON, DEFAULT, Pack, RuleSet, Window
from ..packs.resolved import ResolvedPack

__all__ = ["DIMENSIONS", "OTHER_SUPPLIER", "RANGE", "Interval", "Partition", "StrikeClass", "intervals",
           "mentioned_fields", "partition", "partition_for", "partitions", "supplier_codes",
           "thresholds", "unnamed_supplier_code"]

OTHER_SUPPLIER = "*"  # class value: any supplier code the schema does not name
_WEAPON_FIELDS = ("weapon", "weapon_class", "supplier")
_TARGET_FIELDS = ("target_region", "target_country")
_TYPE_FIELDS = ("target_type", "target_category")

Key = tuple[tuple[str, Any], ...]
_GROUP_FIELDS = (_TARGET_FIELDS, _TYPE_FIELDS, ("self_defense",), ("defended_region",))
# The dimensions of the strike space: fields that change together (a weapon fixes its class and
# suppliers, a region its country, a type its category), with range_km on its own.
DIMENSIONS: tuple[tuple[str, ...], ...] = (_WEAPON_FIELDS, (RANGE,), *_GROUP_FIELDS)


class WeaponOption(NamedTuple):
    weapon: str | None
    weapon_class: str
    supplier: str | None  # "*": a code the schema does not name
    reach: float


@dataclass(frozen=True)
class _Part:
    """One group of fields of a class: its class values, its facts and its representative's fields."""

    values: Key
    facts: Mapping[str, Any]
    strike: Mapping[str, Any]


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
        """Field -> value (or :class:`Interval` for ``range_km``), for the fields the rules mention."""
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
    def point(self) -> tuple[Key, ...]:
        """The class values split by :data:`DIMENSIONS`, as :meth:`Partition.point` gives them."""
        return (*_split(self.parts[0].values), *(p.values for p in self.parts[1:]))

    def describe(self) -> str:
        vals = self.values
        if not vals:
            return "every strike"
        return ", ".join(f"{f} in {v}" if isinstance(v, Interval) and not v.is_point else
                         f"{f}={'none' if v is None else str(v).lower() if isinstance(v, bool) else v}"
                         for f, v in vals.items())


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
        self.thresholds = thresholds(split)
        self.intervals = intervals(self.thresholds) if RANGE in self.fields else (Interval(0.0, MAX_RANGE_KM),)
        self.suppliers = tuple(suppliers) if suppliers is not None else supplier_codes(pack, ruleset.version.policy)
        self._other_code = unnamed_supplier_code(pack)
        self._weapon = self._weapon_parts()
        self._groups = (self._target_parts(), self._type_parts(), self._value_parts("self_defense", (False, True)),
                        self._value_parts("defended_region", (None, *pack.schema["defended_region"].values)))

    @property
    def label(self) -> str:
        return _label(self.ruleset)

    def __len__(self) -> int:
        return len(self._weapon) * math.prod(len(g) for g in self._groups)

    def classes(self) -> Iterator[StrikeClass]:
        for parts in itertools.product(self._weapon.values(), *(g.values() for g in self._groups)):
            yield StrikeClass(parts, self.day)

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

    def outcomes(self, pairs: Container[tuple[Key, Key]] | None = None,
                 keys: Sequence[Container[Key]] | None = None) -> Iterator[tuple[StrikeClass, Outcome]]:
        """Every class with its outcome, each evaluated once. Given ``pairs`` (of a weapon key and a
        range key) and ``keys`` (one container per later dimension), only the classes within them."""
        match, combine = self.matcher.match, self.combiner
        groups = [list(g.values()) if keys is None else [p for p in g.values() if p.values in keys[i]]
                  for i, g in enumerate(self._groups)]
        weapons = [wp for wp in self._weapon.values() if pairs is None or _split(wp.values) in pairs]
        rest: list[tuple[tuple[_Part, ...], dict[str, Any]]] = []
        for parts in itertools.product(*groups):
            merged: dict[str, Any] = {}
            for p in parts:
                merged.update(p.facts)
            rest.append((parts, merged))
        for wp in weapons:
            for parts, merged in rest:
                yield StrikeClass((wp, *parts), self.day), combine(match({**wp.facts, **merged}))

    # A concrete strike -------------------------------------------------------------------

    def class_of(self, strike: ProposedStrike | Mapping[str, Any]) -> StrikeClass:
        """The class of a strike evaluated under this rule set (a ``PolicyRefError`` if it is not)."""
        s = ProposedStrike.parse(strike, self.pack.catalog)
        rs = self.pack.ruleset(self.pack.version_at(self.pack.policy_for_supplier(s.supplier), s.date), s.date)
        if rs.key != self.ruleset.key:
            raise PolicyRefError(f"the strike is judged by {_label(rs)}, not by {self.label}")
        f = facts(s)
        wkey = self.project(_WEAPON_FIELDS, f)
        if RANGE in self.fields:
            i = next(k for k, iv in enumerate(self.intervals) if f[RANGE] in iv)
            wkey += ((RANGE, self.intervals[i]),)
        parts = [self._weapon[wkey]]
        for group, names in zip(self._groups, (_TARGET_FIELDS, _TYPE_FIELDS, ("self_defense",),
                                               ("defended_region",)), strict=True):
            parts.append(group[self.project(names, f)])
        return StrikeClass(tuple(parts), self.day)

    # Classes by their values ---------------------------------------------------------------

    def point(self, values: Mapping[str, Any]) -> tuple[Key, ...]:
        """Class values split by :data:`DIMENSIONS`: one key per dimension (``()`` where none of its
        fields is split)."""
        return tuple(tuple((f, values[f]) for f in dim if f in self.fields) for dim in DIMENSIONS)

    def choices(self, dimension: int) -> tuple[Key, ...]:
        """Every key dimension ``dimension`` (an index into :data:`DIMENSIONS`) takes in some class."""
        if dimension == 0:
            return tuple(dict.fromkeys(w for w, _ in self.weapon_ranges()))
        if dimension == 1:
            return tuple(((RANGE, iv),) for iv in self.intervals) if RANGE in self.fields else ((),)
        return tuple(self._groups[dimension - 2])

    def weapon_ranges(self) -> tuple[tuple[Key, Key], ...]:
        """The feasible pairs of a weapon key and a range key (dimensions 0 and 1): reach bounds range."""
        return tuple(_split(k) for k in self._weapon)

    def lookup(self, values: Mapping[str, Any]) -> StrikeClass | None:
        """The class with these class values (every split field; others are ignored), or None when
        no feasible strike has them (a weapon's reach short of the range, say)."""
        return self.at(self.point(values))

    def at(self, point: Sequence[Key]) -> StrikeClass | None:
        """The class with this key in each dimension (as :meth:`point` gives them), or None when infeasible."""
        groups = zip(self._groups, point[2:], strict=True)
        parts = [self._weapon.get(point[0] + point[1]), *(g.get(k) for g, k in groups)]
        if any(part is None for part in parts):
            return None
        return StrikeClass(tuple(p for p in parts if p is not None), self.day)

    def member(self, values: Mapping[str, Any], near: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
        """A strike of the class with these class values (a dict that validates and is judged by this
        rule set when its supplier picks this policy), keeping each field of ``near`` (catalog ids,
        as in :func:`~policyrules.model.strike.facts`, plus ``date``) that the class allows, and preferring
        ``near``'s supplier, weapon and weapon class otherwise. None when no strike has these values."""
        near = near or {}

        def fits(f: Mapping[str, Any]) -> bool:
            return all(self.atom(k, v) == values[k] for k, v in f.items() if k in self.fields)

        iv = values[RANGE] if RANGE in self.fields else Interval(0.0, MAX_RANGE_KM)
        want = near.get(RANGE)
        w, wc, sup = near.get("weapon"), near.get("weapon_class"), near.get("supplier")
        order = sorted(self.options, key=lambda o: (o.supplier != self.atom("supplier", sup), o.weapon != w,
                                                    o.weapon_class != wc, (o.weapon is None) != (w is None)))
        found: list[tuple[WeaponOption, float]] = []  # the first option keeping near's range, else the first
        for o in order:
            if fits(o._asdict()):
                if isinstance(want, (int, float)) and want in iv and want <= o.reach:
                    found.insert(0, (o, float(want)))
                    break
                x = iv.pick(o.reach)
                if x is not None and not found:
                    found.append((o, x))
        if not found:
            return None
        o, x = found[0]
        code = o.supplier if o.supplier != OTHER_SUPPLIER else (
            sup if self.atom("supplier", sup) == OTHER_SUPPLIER else self._other_code)
        out: dict[str, Any] = {"weapon": o.weapon, "weapon_class": o.weapon_class, "supplier": code, RANGE: x}
        regions = sorted(self.pack.catalog.regions, key=lambda r: (r.id != near.get("target_region"),
                                                                    r.country != near.get("target_country")))
        region = next((r for r in regions if fits({"target_region": r.id, "target_country": r.country})), None)
        types = sorted(TargetType, key=lambda t: (t.value != near.get("target_type"),
                                                  t.category.value != near.get("target_category")))
        ttype = next((t for t in types if fits({"target_type": t.value, "target_category": t.category.value})), None)
        if region is None or ttype is None:
            return None
        out.update(target_region=region.id, target_type=ttype.value)
        for f, default in (("self_defense", False), ("defended_region", None)):
            out[f] = values[f] if f in self.fields else near.get(f, default)
        day = near.get("date", self.day)
        if day is not None:
            out["date"] = day.isoformat() if isinstance(day, dt.date) else day
        return {k: v for k, v in out.items() if v is not None}

    # Building the groups -----------------------------------------------------------------

    def atom(self, field: str, value: Any) -> Any:
        """The class value of a field's value: itself, or ``"*"`` for a supplier code no rule can name."""
        if field == "supplier" and value is not None and value not in self.pack.schema["supplier"].values:
            return OTHER_SUPPLIER
        return value

    def project(self, names: Sequence[str], f: Mapping[str, Any]) -> Key:
        """The class values of ``names`` in ``f`` (a mapping of field values), for the fields rules mention."""
        return tuple((n, self.atom(n, f[n])) for n in names if n in self.fields)

    @cached_property
    def options(self) -> tuple[WeaponOption, ...]:
        """The weapon choices of this policy's strikes: each catalog weapon from each of its suppliers
        the policy judges, then no weapon with each class and supplier code (reaching MAX_RANGE_KM)."""
        out = [WeaponOption(w.id, w.weapon_class.value, s, w.reach_km)
               for w in self.pack.catalog.weapons for s in w.suppliers if s in self.suppliers]
        out += [WeaponOption(None, wc.value, s, MAX_RANGE_KM) for wc in WeaponClass for s in self.suppliers]
        return tuple(out)

    def _weapon_parts(self) -> dict[Key, _Part]:
        """Weapon, class, supplier and range together: a weapon bounds the range by its reach."""
        by_key: dict[Key, list[WeaponOption]] = {}
        for opt in self.options:
            by_key.setdefault(self.project(_WEAPON_FIELDS, opt._asdict()), []).append(opt)
        out: dict[Key, _Part] = {}
        for key, opts in by_key.items():
            for iv in self.intervals:
                for opt in opts:
                    x = iv.pick(opt.reach)
                    if x is None:
                        continue
                    code = self._other_code if opt.supplier == OTHER_SUPPLIER else opt.supplier
                    vals = key + (((RANGE, iv),) if RANGE in self.fields else ())
                    f = {"weapon": opt.weapon, "weapon_class": opt.weapon_class, "supplier": code, RANGE: x}
                    out[vals] = _Part(vals, f, f)
                    break
        return out

    def _target_parts(self) -> dict[Key, _Part]:
        out: dict[Key, _Part] = {}
        for r in self.pack.catalog.regions:
            f = {"target_region": r.id, "target_country": r.country}
            key = self.project(_TARGET_FIELDS, f)
            if key not in out:
                out[key] = _Part(key, f, {"target_region": r.id})
        return out

    def _type_parts(self) -> dict[Key, _Part]:
        out: dict[Key, _Part] = {}
        for t in TargetType:
            f = {"target_type": t.value, "target_category": t.category.value}
            key = self.project(_TYPE_FIELDS, f)
            if key not in out:
                out[key] = _Part(key, f, {"target_type": t.value})
        return out

    def _value_parts(self, field: str, values: Sequence[Any]) -> dict[Key, _Part]:
        if field not in self.fields:
            values = values[:1]
        return {self.project((field,), {field: v}): _Part(self.project((field,), {field: v}), {field: v},
                                                           {field: v}) for v in values}


def _split(key: Key) -> tuple[Key, Key]:
    """A weapon part's key as (weapon key, range key)."""
    return (key[:-1], key[-1:]) if key and key[-1][0] == RANGE else (key, ())


def _label(rs: RuleSet) -> str:
    return rs.version.ref + (f" + {COMMON}@{rs.common.version}" if rs.common is not None else "")


def supplier_codes(pack: Pack, policy_id: str) -> tuple[str | None, ...]:
    """The supplier values whose strikes a policy judges (``"*"``: codes the schema does not name)."""
    named = pack.schema["supplier"].values
    if policy_id == DEFAULT:
        own = {p.id for p in pack.supplier_policies}
        return (None, *(c for c in named if c.lower() not in own), OTHER_SUPPLIER)
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
