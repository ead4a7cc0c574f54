"""The exact decision table of each rule set, for the page's evaluator.

For each rule set in force (:func:`~policyrules.analysis.partition.partitions`), the partition's
groups of dimensions (:data:`~policyrules.model.dimensions.GROUPS`), the class key of each part of
each group, and each class's outcome. A class's index is mixed-radix over its groups' part
indices, in the order :meth:`Partition.outcomes` enumerates them (the last group fastest); the
outcome of each class is an index into the rule set's list of distinct outcomes, run-length
encoded (``[count, outcome, count, outcome, ...]``).

A part's key lists, per dimension of its group and per field the rules split, the class value:
an id, enum value, code (``"*"`` for codes no rule names), boolean or None, or for a numeric
field the index of its interval in ``cuts`` (None: the number left out). The page computes the
same key from a strike and looks the part up; :mod:`policyrules.atlas` tests in a real browser
that it gives the engine's answer.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator, Mapping
from typing import Any

from ..analysis.classsets import ClassSets, ones
from ..analysis.partition import Interval, Key, Partition, partition, partitions, ruleset_label
from ..deciding.combine import Outcome
from ..model.dimensions import DIMENSIONS, FIELDS, GROUPS
from ..packs.pack import COMMON, Pack, RuleSet
from ..packs.resolved import ResolvedPack


def table_key(rs: RuleSet) -> str:
    """The id of a rule set in the page's data: ``us@2024-05-30+common@v1``."""
    return rs.version.ref + (f"+{COMMON}@{rs.common.version}" if rs.common is not None else "")


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day is not None else None


def interval_json(iv: Interval) -> list[Any]:
    return [iv.lo, iv.hi, iv.lo_closed, iv.hi_closed]


def decision_table(p: Partition) -> dict[str, Any]:
    """One rule set's groups, parts, outcomes and classes (see the module's docstring)."""
    rules = [r.id for r in p.ruleset.rules]
    cut_index = {d: {iv: i for i, iv in enumerate(ivs)} for d, ivs in p.cuts.items()}

    def value(f: str, v: Any) -> Any:
        if isinstance(v, Interval):
            return cut_index[FIELDS[f].dimension][v]
        return v

    def encode(key: Key) -> list[Any]:
        return [value(f, v) for f, v in key]

    groups = p.group_parts()  # the classes are their product, the first group outermost
    keys = [[[encode(part.keys[d.name]) for d in group] for part in parts]
            for group, parts in zip(GROUPS, groups, strict=True)]
    sizes = [len(g) for g in groups]
    runs, outcomes, count = _runs(p)
    if math.prod(sizes) != count:  # the product order is what the page's class index assumes
        raise AssertionError(f"{p.label}: {count} classes, but groups of sizes {sizes}")
    return {
        "key": table_key(p.ruleset),
        "label": p.label,
        "policy": p.ruleset.version.policy,
        "version": p.ruleset.version.version,
        "common": p.ruleset.common.version if p.ruleset.common is not None else None,
        "windows": [[_iso(w.start), _iso(w.end)] for w in p.windows],
        "rules": rules,
        "default": p.ruleset.version.default.value,
        "split": sorted(p.fields),
        "named": {f: sorted(ids) for f, ids in p.named.items() if f in p.fields},
        "cuts": {d: [interval_json(iv) for iv in ivs] for d, ivs in p.cuts.items()
                 if DIMENSIONS[d].primary in p.fields},
        "suppliers": list(p.suppliers),
        "groups": [{"dims": [d.name for d in group], "parts": keys[i]} for i, group in enumerate(GROUPS)],
        "outcomes": [[d, r, list(m), list(o), list(c)] for d, r, m, o, c in outcomes],
        "classes": runs,
        "count": count,
    }


def _runs(p: Partition) -> tuple[list[int], dict[tuple[Any, ...], int], int]:
    """The outcome of every class, in class order, as runs ``[length, outcome index, ...]``, with the
    outcomes by key and the number of classes. The classes' matched rules come from their bit sets
    (:mod:`policyrules.analysis.classsets`): only where some rule's set changes from one class to the
    next is an outcome worked out (the combining rule on the matched rules, as ``evaluate``)."""
    sets = ClassSets(p)
    n = sets.size
    matched = [sets.of(c) for c in p.conditions]
    change = 1 if n else 0  # class 0 starts a run
    for m in matched:
        change |= (m ^ (m << 1)) & sets.full
    bits = [format(m, f"0{n}b")[::-1] for m in matched] if n else []
    starts = ones(change)
    combine = p.combiner
    outcomes: dict[tuple[Any, ...], int] = {}
    runs: list[int] = []
    for pos, nxt in zip(starts, [*starts[1:], n], strict=True):
        out = combine(tuple(i for i, b in enumerate(bits) if b[pos] == "1"))
        o = outcomes.setdefault(_outcome_key(out), len(outcomes))
        if runs and runs[-1] == o:
            runs[-2] += nxt - pos
        else:
            runs += [nxt - pos, o]
    return runs, outcomes, n


def _outcome_key(out: Outcome) -> tuple[Any, ...]:
    """decision, deciding rule index (-1: the default), matched, overridden, conflict."""
    return (out.decision.value, -1 if out.deciding is None else out.deciding,
            out.matched, out.overridden, out.conflict)


def decision_tables(resolved: ResolvedPack) -> Iterator[dict[str, Any]]:
    for p in partitions(resolved):
        yield decision_table(p)


def policy_routes(pack: Pack) -> dict[str, Any]:
    """Per policy: its windows (dates -> table key) and the table of strikes without a date."""
    out: dict[str, Any] = {}
    for pid, policy in pack.policies.items():
        if pid == COMMON and len(pack.policies) > 1:
            continue
        latest = pack.ruleset(policy.versions[-1], None)
        out[pid] = {
            "windows": [[_iso(w.start), _iso(w.end), table_key(w.ruleset)] for w in pack.windows(pid)],
            "latest": table_key(latest),
        }
    return out


#: The fields of a decision table that depend on the reading's dates only, not on its decisions.
_PLACED = ("windows", "label")


def share_tables(default: dict[str, Any], variant: dict[str, Any]) -> None:
    """In a variant's tables, each table that decides exactly as the default variant's table of the
    same key becomes a reference to it (``{"same_as": "default", "key": ..., "windows": ...}``): a
    reading that changes one policy does not export every other policy's tables again, and the page
    knows the two are the same rule set."""
    for key, t in list(variant.items()):
        d = default.get(key)
        if "same_as" in t:
            continue
        if d is not None and all(t[k] == d[k] for k in t if k not in _PLACED):
            variant[key] = {"same_as": "default", "key": key, "policy": t["policy"], "version": t["version"],
                            **{k: t[k] for k in _PLACED}}


def ruleset_content(resolved: ResolvedPack, rs: RuleSet) -> tuple[object, ...]:
    """What a rule set's decision table depends on, besides its place in time: its rules, their
    conditions with parameters in place, and the default."""
    return (tuple((r.id, r.effect, r.overrides) for r in rs.rules), resolved.conditions(rs), rs.version.default)


def variant_tables(resolved: ResolvedPack, defaults: Mapping[str, tuple[object, ...]]) -> dict[str, Any]:
    """A variant's tables: a rule set whose content is the default variant's of the same key becomes
    a reference to it without being partitioned again (a reading touches one policy or two); the
    others get their own table."""
    out: dict[str, Any] = {}
    pack = resolved.pack
    for rs in resolved.rulesets():
        key = table_key(rs)
        if defaults.get(key) == ruleset_content(resolved, rs):
            windows = [w for w in pack.windows(rs.version.policy) if w.ruleset.key == rs.key]
            out[key] = {"same_as": "default", "key": key, "policy": rs.version.policy, "version": rs.version.version,
                        "windows": [[_iso(w.start), _iso(w.end)] for w in windows], "label": ruleset_label(rs)}
        else:
            out[key] = decision_table(partition(resolved, rs))
    return out
