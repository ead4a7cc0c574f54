"""The diffs the page's diff view shows, computed by :func:`policyrules.analysis.diff.diff` itself.

Two dates (of one policy or two) pick two rule sets; the page looks their diff up here. Each
unordered pair of rule sets is computed once (``diff(a, b)`` and ``diff(b, a)`` change the same
classes, with before and after swapped); which pairs is set by ``scope``: ``overlapping`` (the
default: every pair of one policy's rule sets, and of two policies' rule sets in force on a common
date), ``versions`` (one policy's only), or ``none``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from ..analysis.diff import diff
from ..analysis.partition import Partition
from ..engine import Engine
from ..packs.pack import Window
from ..packs.resolved import ResolvedPack
from .tables import table_key

SCOPES = ("overlapping", "versions", "none")


def _overlap(a: Sequence[Window], b: Sequence[Window]) -> bool:
    far = dt.date.max
    return any(v.start <= (w.end or far) and w.start <= (v.end or far) for w in a for v in b)


def pairs(parts: Sequence[Partition], scope: str) -> list[tuple[Partition, Partition]]:
    if scope not in SCOPES:
        raise ValueError(f"unknown diff scope {scope!r}; use one of: {', '.join(SCOPES)}")
    out = []
    for i, a in enumerate(parts):
        for b in parts[i + 1:]:
            same = a.ruleset.version.policy == b.ruleset.version.policy
            if (scope == "overlapping" and (same or _overlap(a.windows, b.windows))) or (scope == "versions" and same):
                out.append((a, b))
    return out


def diffs(resolved: ResolvedPack, parts: Sequence[Partition], scope: str = "overlapping") -> dict[str, Any]:
    """``"keyA|keyB"`` -> the diff from rule set A to B (classes, changed, entries as JSON)."""
    out: dict[str, Any] = {}
    for a, b in pairs(parts, scope):
        ref_a = f"{a.ruleset.version.policy}@{a.windows[0].start.isoformat()}"
        ref_b = f"{b.ruleset.version.policy}@{b.windows[0].start.isoformat()}"
        report = diff(resolved, ref_a, ref_b)
        out[f"{table_key(a.ruleset)}|{table_key(b.ruleset)}"] = {
            "classes": report.classes, "changed": report.changed,
            "entries": [e.model_dump(mode="json") for e in report.entries]}
    return out


def reading_key(variant: str, table: str) -> str:
    """A table of one variant in the keys of reading diffs: ``gb.start-date=later~gb@2024-05-02``."""
    return f"{variant}~{table}"


def reading_diffs(engine: Engine, variants: Sequence[Any], tables: Mapping[str, Any]) -> dict[str, Any]:
    """For each variant (one other option of a contested point) and each judging policy, the diff
    from the atlas's reading to the variant's on every date where the pair of rule sets in force
    changes, as ``engine.diff(ref, after_readings=...)`` computes it: ``"default~keyA|VARIANT~keyB"``
    -> the diff. Pairs the variant decides exactly as the default (a shared table) are left out: the
    page knows they do not differ."""
    out: dict[str, Any] = {}
    default = tables["default"]
    for v in variants:
        mine = tables[v.id]
        for pid, route in default["routes"].items():
            other = mine["routes"].get(pid)
            if other is None:
                continue
            days = sorted({w[0] for w in route["windows"]} | {w[0] for w in other["windows"]})
            for day in days:
                a, b = _key_at(route["windows"], day), _key_at(other["windows"], day)
                if a is None or b is None or mine["tables"][b].get("same_as") == "default":
                    continue  # no rule set in force on one side, or the default's own (its diffs are above)
                pair = f"{reading_key('default', a)}|{reading_key(v.id, b)}"
                if pair in out:
                    continue
                report = engine.diff(f"{pid}@{day}", after_readings=dict(v.readings))
                out[pair] = {"classes": report.classes, "changed": report.changed,
                             "entries": [e.model_dump(mode="json") for e in report.entries]}
    return out


def _key_at(windows: Sequence[Sequence[Any]], day: str) -> str | None:
    for start, end, key in windows:
        if start <= day and (end is None or day <= end):
            return str(key)
    return None
