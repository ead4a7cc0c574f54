"""The diffs the page's diff view shows, computed by :func:`policyrules.analysis.diff.diff` itself.

Two dates (of one policy or two) pick two rule sets; the page looks their diff up here. Each
unordered pair of rule sets is computed once (``diff(a, b)`` and ``diff(b, a)`` change the same
classes, with before and after swapped); which pairs is set by ``scope``: ``overlapping`` (the
default: every pair of one policy's rule sets, and of two policies' rule sets in force on a common
date), ``versions`` (one policy's only), or ``none``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from ..analysis.diff import diff
from ..analysis.partition import Partition
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
