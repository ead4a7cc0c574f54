"""``evaluate_partial``: judge a strike with some fields unknown.

The known fields are validated against the catalog and completed as ``evaluate`` completes them
(a weapon gives its class and its first supplier, a region its country, a type its category);
``target_country`` and ``target_category`` may also be given alone. A field left out is unknown:
every value of it stays possible (``defended_region``: none, too; ``self_defense``: both). Give a
field as ``null`` to say it is known to be empty (``"supplier": null``: no supplier). The date is
never unknown: left out, it means the latest versions, as for ``evaluate``. The supplier picks the
policy: when neither it nor a weapon is known, every policy that judges some supplier is possible.

Exact, from the partitions: the classes consistent with the known fields are evaluated once; if
they all get one decision, the known fields settle it. Otherwise each (policy, decision, rule)
comes with the conditions on the missing fields under which it holds, merged as in
:mod:`policyrules.analysis.diff`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, computed_field

from ..deciding.verdict import DEFAULT_RULE_ID
from ..model.dimensions import BOUNDED, BOUNDING, DIMENSIONS, FIELDS, GIVEN_FIELDS, Kind, Member
from ..model.domain import Decision
from ..model.errors import PolicyRefError
from ..model.strike import parse_known
from ..packs.pack import COMMON, Policy
from ..packs.resolved import ResolvedPack
from .merging import EVERY, constraints, describe, first, merge, size, supplier_label
from .partition import Key, Partition, Point, StrikeClass, Universe, supplier_codes

# The fields a partly known strike may give (every given field but the date, which is never unknown).
KNOWN_FIELDS = tuple(f for f in GIVEN_FIELDS if FIELDS[f].kind is not Kind.DATE)


class Possibility(BaseModel):
    """A decision still possible: under which policy version and rule, and when (the missing fields)."""

    model_config = ConfigDict(frozen=True)

    decision: Decision
    rule: str
    policy: str
    description: str
    constraints: dict[str, tuple[Any, ...]]
    classes: int
    example: dict[str, Any]


class PartialReport(BaseModel):
    """The decisions a partly known strike can still get; when only one, the known fields settle it."""

    model_config = ConfigDict(frozen=True)

    known: dict[str, Any]
    missing: tuple[str, ...]  # the fields not known that change the answer
    decisions: tuple[Decision, ...]
    rules: tuple[str, ...]
    policies: tuple[str, ...]
    possibilities: tuple[Possibility, ...] = ()

    @computed_field  # type: ignore[prop-decorator]
    @property
    def settled(self) -> Decision | None:
        """The decision, when every strike with the known fields gets it."""
        return self.decisions[0] if len(self.decisions) == 1 else None

    def to_text(self) -> str:
        where = ", ".join(self.policies)
        if self.settled is not None:
            return (f"{self.settled.value}: settled by the known fields ({where}; by "
                    f"{' or '.join(self.rules)})")
        head = (f"not settled: {' or '.join(d.value for d in self.decisions)}, depending on "
                f"{', '.join(self.missing) or 'the missing fields'} ({where})")
        lines = [head]
        width = max(len(d.value) for d in self.decisions)
        for p in self.possibilities:
            under = f" under {p.policy}" if len(self.policies) > 1 else ""
            when = " whatever the missing fields" if p.description == EVERY else f" if {p.description}"
            lines.append(f"  {p.decision.value:<{width}} by {p.rule}{under}{when}")
        return "\n".join(lines)


def known_fields(resolved: ResolvedPack, fields: Mapping[str, Any]) -> dict[str, Any]:
    """The known fields, validated against the catalog and completed as a strike's would be (a
    :class:`StrikeError` lists every problem); ``date`` is a date, or absent."""
    known = parse_known(fields, resolved.pack.catalog)
    if known.get("date") is None:
        known.pop("date", None)
    return known


def _policies(resolved: ResolvedPack, known: Mapping[str, Any]) -> list[Partition]:
    pack = resolved.pack
    day: dt.date | None = known.get("date")
    if "supplier" in known:
        chosen: list[Policy] = [pack.policy_for_supplier(known["supplier"])]
    else:
        chosen = [p for pid, p in pack.policies.items() if pid != COMMON and supplier_codes(pack, pid)]
    out = []
    for policy in chosen:
        try:
            version = pack.version_at(policy, day)
        except PolicyRefError:
            if len(chosen) == 1:
                raise
            continue
        rs = pack.ruleset(version, day)
        out.append(Partition(pack, rs, resolved.conditions(rs)))
    if not out:
        raise PolicyRefError(f"no policy is in force on {day}")
    return out


def consistent(p: Partition, known: Mapping[str, Any]) -> Universe:
    """The classes of ``p`` some strike with the known fields falls in."""
    def fits(m: Member) -> bool:
        return all(p.class_value(f, v) == p.class_value(f, known[f]) for f, v in m.facts.items() if f in known)

    pairs: set[tuple[Key, Key]] = set()
    x = known.get(BOUNDED.primary)
    for m in p.members(BOUNDING.name):
        if fits(m):
            key = p.class_key(BOUNDING.fields, m.facts)
            for iv in p.cuts[BOUNDED.name]:
                if (x in iv and x <= m.bound) if x is not None else iv.pick(m.bound) is not None:
                    pairs.add((key, ((BOUNDED.primary, iv),) if BOUNDED.primary in p.fields else ()))
    others: dict[str, set[Key]] = {}
    for d in DIMENSIONS.values():
        if d is BOUNDING or d is BOUNDED:
            continue
        if d.numeric:  # a known number: its interval; unknown: any interval (a real strike has one)
            y = known.get(d.primary)
            others[d.name] = {k for k in p.choices(d.name) if not k or (
                (k[0][1] is None if y is None else k[0][1] is not None and y in k[0][1]) if d.primary in known
                else k[0][1] is not None)}
        else:
            others[d.name] = {p.class_key(d.fields, m.facts) for m in p.members(d.name) if fits(m)}
    return Universe(pairs, others, p.named)


def evaluate_partial(resolved: ResolvedPack, fields: Mapping[str, Any]) -> PartialReport:
    """Every decision a strike with only ``fields`` known can get, and when; settled when only one."""
    known = known_fields(resolved, fields)
    groups: dict[tuple[int, Decision, str], dict[Point, StrikeClass]] = {}
    parts = _policies(resolved, known)
    universes = []
    for i, p in enumerate(parts):
        u = consistent(p, known)
        universes.append(u)
        ids = [r.id for r in p.ruleset.rules] + [DEFAULT_RULE_ID]
        for cls, out in p.outcomes(u):
            rule = ids[-1 if out.deciding is None else out.deciding]
            groups.setdefault((i, out.decision, rule), {})[cls.point] = cls
    decisions = tuple(sorted({d for _, d, _ in groups}, key=lambda d: d.value))
    rules = tuple(dict.fromkeys(r for _, _, r in groups))
    policies = tuple(dict.fromkeys(parts[i].ruleset.version.ref for i, _, _ in groups))
    shown = {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in known.items()}
    possibilities = []
    if len(decisions) > 1:
        near = {**known, "date": known.get("date")}
        for (i, decision, rule), by_point in sorted(groups.items(), key=lambda kv: (kv[0][1].value, kv[0][0])):
            p, u = parts[i], universes[i]
            for box in merge(by_point):
                example = p.example(by_point[first(box)].values, near)
                possibilities.append(Possibility(
                    decision=decision, rule=rule, policy=p.ruleset.version.ref,
                    description=describe(box, u, p.pack.catalog, supplier_label(p)),
                    constraints=constraints(box, u, p.pack.catalog), classes=size(box), example=example or {}))
    # The missing fields that change the answer: those some possibility's conditions constrain, of a
    # dimension whose value alone changes the decision (a field that only splits one decision between
    # rules changes nothing a reader asks).
    constrained = {FIELDS[f].derived_from or f for p in possibilities for f in p.constraints}
    deciding = _deciding_dimensions(groups, len(parts)) if possibilities else set()
    if len({i for i, _, _ in groups}) > 1 and "supplier" in deciding:
        constrained.add("supplier")  # the supplier picks the policy
    missing = tuple(f for f in KNOWN_FIELDS if f not in known and f in constrained
                    and (FIELDS[f].dimension in deciding or f in deciding))
    return PartialReport(known=shown, missing=missing, decisions=decisions, rules=rules, policies=policies,
                         possibilities=tuple(possibilities))



def _deciding_dimensions(groups: Mapping[tuple[int, Decision, str], Mapping[Point, StrikeClass]],
                         policies: int) -> set[str]:
    """The dimensions whose value alone changes the decision: two classes (of one policy) that differ
    only in it get different decisions; and the weapon's (its supplier picks the policy) when the
    policies still possible decide differently."""
    decided: dict[tuple[int, Point], set[Decision]] = {}  # "supplier": the supplier's choice of policy
    for (i, decision, _), by_point in groups.items():
        for point in by_point:
            decided.setdefault((i, point), set()).add(decision)
    out: set[str] = set()
    names = list(DIMENSIONS)
    for k, name in enumerate(names):
        seen: dict[tuple[int, tuple[Key, ...]], Decision] = {}
        for (i, point), decisions in decided.items():
            rest = (i, point[:k] + point[k + 1:])
            for d in decisions:
                if seen.setdefault(rest, d) is not d:
                    out.add(name)
                    break
            if name in out:
                break
    if policies > 1:
        by_policy = {i: frozenset(d for (j, _), ds in decided.items() if j == i for d in ds) for i in range(policies)}
        if len(set(by_policy.values())) > 1:
            out.add("supplier")
    return out
