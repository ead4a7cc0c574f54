"""What conditions mention: the fields they test and the numbers a numeric field is compared with."""

from __future__ import annotations

from collections.abc import Iterable

from .conditions import Condition, comparisons

RANGE = "range_km"


def thresholds(conditions: Iterable[Condition], field: str = RANGE) -> tuple[float, ...]:
    """Every number ``field`` is compared with in resolved ``conditions``, sorted."""
    return tuple(sorted({float(c.value) for cond in conditions for c in comparisons(cond)
                         if c.field == field and isinstance(c.value, (int, float))
                         and not isinstance(c.value, bool)}))


def mentioned_fields(conditions: Iterable[Condition]) -> frozenset[str]:
    return frozenset(c.field for cond in conditions for c in comparisons(cond))


def mentioned_values(conditions: Iterable[Condition], field: str) -> frozenset[str]:
    """Every text value (a catalog id, say) ``field`` is compared with in ``conditions``."""
    out: set[str] = set()
    for cond in conditions:
        for c in comparisons(cond):
            if c.field != field:
                continue
            values = c.value if isinstance(c.value, (tuple, list, frozenset, set)) else (c.value,)
            out.update(v for v in values if isinstance(v, str))
    return frozenset(out)
