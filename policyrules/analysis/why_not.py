"""``why_not``: the smallest changes to a strike that flip its decision, each with the rule that would decide.

Exact, from the partition of the rule set that judges the strike: a change moves the strike to
another class along one dimension of the registry (:data:`~policyrules.model.dimensions.DIMENSIONS`: the
weapon, the range, the target region, the target type, self-defense, the defended region), or along two.
What may change, and what may not:

- the date never changes, and neither does the supplier: it picks the policy, so another
  supplier is another policy's question (``policyrules diff us@DATE gb@DATE``);
- the weapon may change to another weapon or weapon class of the same supplier (a weapon's
  class and reach come with it); every field of the dimensions that do not change keeps the
  strike's own value (the range stays within the new weapon's reach, or the change is not offered);
- a two-field change is listed only when neither of its two changes flips the decision alone.

Changes with the same dimensions, new decision and new rule are merged as in
:mod:`policyrules.analysis.diff` ("weapon_class were tube_artillery or rocket_artillery").
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ..deciding.verdict import DEFAULT_RULE_ID
from ..model.dimensions import DIMENSIONS, FIELDS, Kind, own_fields
from ..model.domain import Decision
from ..model.intervals import spans
from ..model.strike import ProposedStrike, facts
from ..model.wording import values_of
from ..packs.resolved import ResolvedPack
from .merging import expanded, first, merge, size
from .partition import Key, Partition, Point, partition_for


class FieldChange(BaseModel):
    """One field changed: from the strike's value to any of ``to`` (``range_km``: spans)."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, serialize_by_alias=True)

    field: str
    from_: Any = Field(alias="from")
    to: tuple[Any, ...]


class Alternative(BaseModel):
    """A change of one or two fields, the decision the strike would then get, and the deciding rule."""

    model_config = ConfigDict(frozen=True)

    changes: tuple[FieldChange, ...]
    description: str
    decision: Decision
    rule: str
    classes: int
    example: dict[str, Any]

    def __str__(self) -> str:
        return f"{self.decision.value} if {self.description} ({self.rule})"


class WhyNotReport(BaseModel):
    """The strike's decision and every minimal change that flips it."""

    model_config = ConfigDict(frozen=True)

    strike: dict[str, Any]
    decision: Decision
    rule: str
    policy: str
    alternatives: tuple[Alternative, ...]

    def to_text(self) -> str:
        lines = [f"{self.decision.value} by {self.rule} ({self.policy})"]
        lines.extend(f"  {a}" for a in self.alternatives)
        if not self.alternatives:
            lines.append("  no change of one or two fields (same supplier, same date) flips the decision")
        return "\n".join(lines)


@dataclass(frozen=True)
class Candidate:
    """One flipping change, unmerged: the dimensions changed, the class reached, its outcome, a strike."""

    dims: tuple[str, ...]
    point: Point
    decision: Decision
    rule: str
    example: dict[str, Any]


def candidates(resolved: ResolvedPack, strike: ProposedStrike | Mapping[str, Any],
               ) -> tuple[ProposedStrike, Partition, list[Candidate]]:
    """Every class one or two dimensions away from the strike's that flips its decision, minimal pairs only."""
    s = ProposedStrike.parse(strike, resolved.pack.catalog)
    p = partition_for(resolved, s)
    near = {**facts(s), "date": s.date}
    here = p.class_of(s)
    start = here.point
    ids = [r.id for r in p.ruleset.rules]
    current = p.outcome(here).decision

    def outcome(pt: Point) -> tuple[Decision, str] | None:
        cls = p.class_at(pt)
        if cls is None:
            return None
        out = p.outcome(cls)
        return out.decision, DEFAULT_RULE_ID if out.deciding is None else ids[out.deciding]

    def realize(pt: Point, dims: tuple[str, ...]) -> dict[str, Any] | None:
        """A strike of the class that keeps the supplier, the date and every unchanged dimension's fields."""
        ex = p.example(dict(kv for key in pt for kv in key), near)
        if ex is None:
            return None
        keep = [f.name for f in FIELDS.values() if f.picks_policy] + \
            [f for d in DIMENSIONS if d not in dims for f in own_fields(d)]
        return ex if all(ex.get(f, FIELDS[f].default) == near[f] for f in keep) else None

    choices = {d: [k for k in p.choices(d) if k != start[d]] for d in DIMENSIONS}
    out: list[Candidate] = []
    flips_alone: set[tuple[str, Key]] = set()
    for d, keys in choices.items():
        for k in keys:
            pt = start.replace({d: k})
            res = outcome(pt)
            if res is not None and res[0] is not current:
                ex = realize(pt, (d,))
                if ex is not None:
                    flips_alone.add((d, k))
                    out.append(Candidate((d,), pt, res[0], res[1], ex))
    for d1, d2 in itertools.combinations(DIMENSIONS, 2):
        for k1, k2 in itertools.product(choices[d1], choices[d2]):
            if (d1, k1) in flips_alone or (d2, k2) in flips_alone:
                continue
            pt = start.replace({d1: k1, d2: k2})
            res = outcome(pt)
            if res is not None and res[0] is not current:
                ex = realize(pt, (d1, d2))
                if ex is not None:
                    out.append(Candidate((d1, d2), pt, res[0], res[1], ex))
    return s, p, out


def _field(p: Partition, d: str, keys: frozenset[Key], start: Key) -> str:
    """The field a change of dimension ``d`` is named by: the first split field that changes."""
    names = [f for f in DIMENSIONS[d].fields if f in p.fields]
    before = dict(start)
    return next((f for f in names if any(dict(k).get(f) != before.get(f) for k in keys)), names[0])


def _shown(value: Any) -> str:
    return "none" if value is None else str(value).lower() if isinstance(value, bool) else str(value)


def _change(p: Partition, d: str, keys: frozenset[Key], start: Key, near: Mapping[str, Any]) -> FieldChange:
    keys = expanded(keys, p.named, p.pack.catalog)  # a region stand-in: the regions it stands for
    field = _field(p, d, keys, start)
    numbers = [dict(k)[field] for k in keys if k]
    to: tuple[Any, ...] = (*spans(v for v in numbers if v is not None), *((None,) if None in numbers else ())) \
        if DIMENSIONS[d].numeric else tuple(
        sorted(values_of(keys, field), key=lambda v: (v is None, _order_of(p, field, v))))
    return FieldChange.model_validate({"field": field, "from": near.get(field), "to": to})


def _order_of(p: Partition, field: str, value: Any) -> int:
    values = list(p.pack.schema[field].values) if p.pack.schema[field].kind == "enum" else []
    return values.index(value) if value in values else len(values)


def _phrase(p: Partition, c: FieldChange) -> str:
    """``weapon_class were tube_artillery or rocket_artillery``; ``defended_region were not kharkiv``."""
    if FIELDS[c.field].kind is Kind.NUMBER:
        return f"{c.field} were " + " or ".join(str(s).removeprefix("= ") for s in c.to)
    to = set(c.to)
    if c.field == "target_region":
        for country in dict.fromkeys(r.country for r in p.pack.catalog.regions):
            mine = {r.id for r in p.pack.catalog.regions if r.country == country}
            if len(mine) > 1 and to == mine:
                return f"target_region were any region of {country}"
            if len(mine) > 2 and to == mine - {c.from_}:
                return f"target_region were any other region of {country}"
    spec = p.pack.schema[c.field]
    every = [*spec.values, *((None,) if FIELDS[c.field].optional else ())]
    rest = [v for v in every if v not in to and v != c.from_]
    if spec.kind == "enum" and len(to) > 3 and not rest:
        return f"{c.field} were not {_shown(c.from_)}"
    return f"{c.field} were " + " or ".join(_shown(v) for v in c.to)


def why_not(resolved: ResolvedPack, strike: ProposedStrike | Mapping[str, Any]) -> WhyNotReport:
    """The strike's decision and every minimal change of one or two fields that flips its decision."""
    s, p, found = candidates(resolved, strike)
    near = facts(s)
    here = p.class_of(s)
    outcome = p.outcome(here)
    start = here.point
    groups: dict[tuple[tuple[str, ...], Decision, str], dict[Point, Candidate]] = {}
    for c in found:
        groups.setdefault((c.dims, c.decision, c.rule), {})[c.point] = c
    alternatives = []
    for (dims, decision, rule), by_point in groups.items():
        for box in merge(by_point):
            changes = tuple(_change(p, d, box[d], start[d], near) for d in dims)
            alternatives.append(Alternative(
                changes=changes, description=" and ".join(_phrase(p, c) for c in changes), decision=decision,
                rule=rule, classes=size(box), example=by_point[first(box)].example))
    order = list(DIMENSIONS)
    alternatives.sort(key=lambda a: (len(a.changes), [order.index(FIELDS[c.field].dimension) for c in a.changes],
                                     a.rule, a.description))
    rule = DEFAULT_RULE_ID if outcome.deciding is None else p.ruleset.rules[outcome.deciding].id
    return WhyNotReport(strike=s.model_dump(mode="json", exclude_none=True), decision=outcome.decision,
                        rule=rule, policy=p.ruleset.version.ref, alternatives=tuple(alternatives))

