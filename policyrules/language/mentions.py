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
