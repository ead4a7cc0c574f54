"""Sets of numbers: the points and open intervals that thresholds cut a range into, and spans.

Used by the partition of the strike space (:mod:`policyrules.analysis.partition`), by columnar
evaluation (:mod:`policyrules.deciding.columnar`) and to word classes: a value's verdict depends
only on which of these pieces it falls in. A :class:`Span` is the published form (JSON) of a
set of values, as diff, why-not and partial evaluation report them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

from .domain import MAX_RANGE_KM


@dataclass(frozen=True)
class Interval:
    """A set of ``range_km`` values: a point ``[t]`` or an interval with open or closed ends."""

    lo: float
    hi: float
    lo_closed: bool = True
    hi_closed: bool = True

    @property
    def is_point(self) -> bool:
        return self.lo == self.hi

    def __contains__(self, x: object) -> bool:
        if not isinstance(x, (int, float)) or isinstance(x, bool):
            return False
        above = x > self.lo or (self.lo_closed and x == self.lo)
        below = x < self.hi or (self.hi_closed and x == self.hi)
        return above and below

    def pick(self, cap: float = math.inf) -> float | None:
        """A value of this interval not above ``cap`` (an interior one when there is room), or None."""
        hi = min(self.hi, cap)
        for x in (self.lo + min(1.0, (hi - self.lo) / 2), math.nextafter(self.lo, math.inf), self.lo, hi):
            if x in self and x <= cap:
                return float(x)
        return None

    def __str__(self) -> str:
        if self.is_point:
            return f"{self.lo:g}"
        return f"{'[' if self.lo_closed else '('}{self.lo:g}, {self.hi:g}{']' if self.hi_closed else ')'}"


def intervals(thresholds: Iterable[float], lo: float = 0.0, hi: float = MAX_RANGE_KM) -> tuple[Interval, ...]:
    """Split ``[lo, hi]`` at ``thresholds``: each threshold a point, the open gaps between them classes.

    ``intervals([80])`` is ``[0, 80)``, ``[80]``, ``(80, 20100]``: every comparison ``lt``,
    ``le``, ``gt``, ``ge``, ``eq``, ``ne`` with 80 has one value on each of them.
    """
    cuts = sorted({float(t) for t in thresholds if lo <= t <= hi})
    if not cuts:
        return (Interval(lo, hi),)
    out: list[Interval] = []
    if cuts[0] > lo:
        out.append(Interval(lo, cuts[0], True, False))
    for a, b in zip(cuts, [*cuts[1:], None], strict=True):
        out.append(Interval(a, a))
        if b is not None:
            out.append(Interval(a, b, False, False))
        elif a < hi:
            out.append(Interval(a, hi, False, True))
    return tuple(out)


class Span(BaseModel):
    """A set of ``range_km`` values: ``lo`` to ``hi``, each end open or closed."""

    model_config = ConfigDict(frozen=True)

    lo: float
    hi: float
    lo_closed: bool = True
    hi_closed: bool = True

    def __contains__(self, x: object) -> bool:
        return x in Interval(self.lo, self.hi, self.lo_closed, self.hi_closed)

    def __str__(self) -> str:
        lo, hi = f"{self.lo:g}", f"{self.hi:g}"
        if self.lo == self.hi:
            return f"= {lo}"
        if self.lo == 0 and self.lo_closed:
            return f"{'<=' if self.hi_closed else '<'} {hi}"
        if self.hi == MAX_RANGE_KM and self.hi_closed:
            return f"{'>=' if self.lo_closed else '>'} {lo}"
        return f"{'>=' if self.lo_closed else '>'} {lo} and {'<=' if self.hi_closed else '<'} {hi}"


def spans(ivs: Iterable[Interval]) -> list[Span]:
    """Intervals joined into maximal spans, in order."""
    out: list[Span] = []
    for iv in sorted(ivs, key=lambda i: (i.lo, not i.lo_closed)):
        last = out[-1] if out else None
        if last is not None and last.hi == iv.lo and (last.hi_closed or iv.lo_closed):
            out[-1] = Span(lo=last.lo, hi=iv.hi, lo_closed=last.lo_closed, hi_closed=iv.hi_closed)
        else:
            out.append(Span(lo=iv.lo, hi=iv.hi, lo_closed=iv.lo_closed, hi_closed=iv.hi_closed))
    return out
