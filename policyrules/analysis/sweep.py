"""``sweep``: what-if over one parameter: how many classes, and which scenarios, change decision.

For each value the pack gets the parameter changed (:meth:`ResolvedPack.with_parameters`); every rule
set whose resolved conditions differ is compared with the bundled one, class by class, exactly as
:mod:`policyrules.analysis.diff` does. Counts are over one partition for the whole sweep, the common
refinement of every value's thresholds (so they are comparable from value to value): each class
of a value's comparison is counted as the number of classes of the common refinement it holds.
For ``us.long_range_km`` the count grows as the value moves away from the bundled 80 km, on each side.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict

from ..deciding.evaluator import Evaluator
from ..language.conditions import Condition
from ..language.mentions import thresholds
from ..model.dimensions import BOUNDED, BOUNDING, DIMENSIONS
from ..model.errors import ParameterError, PolicyRulesError
from ..packs.resolved import ResolvedPack
from .diff import compare
from .partition import Interval, Key, Partition, Point


class NamedStrike(Protocol):
    """A strike with a name (a scenario, say): what ``sweep`` reports as changing decision."""

    @property
    def name(self) -> str: ...

    @property
    def strike(self) -> Mapping[str, Any]: ...

    @property
    def readings(self) -> Mapping[str, str]: ...

MAX_VALUES = 1000
INSTALL_PLOT = "pip install 'policyrules[plot]'"


class PlotUnavailableError(PolicyRulesError, ImportError):
    """Plotting needs matplotlib (the ``plot`` extra), which is not installed."""


class SweepPoint(BaseModel):
    """One value: the classes whose decision differs from the bundled value's, and the scenarios."""

    model_config = ConfigDict(frozen=True)

    value: float
    changed: int
    by_version: dict[str, int]
    scenarios: tuple[str, ...] = ()


class SweepReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    parameter: str
    bundled: float
    classes: int
    versions: tuple[str, ...]
    scenarios: int
    points: tuple[SweepPoint, ...]

    def to_text(self) -> str:
        head = (f"{self.parameter} (bundled {self.bundled:g}): classes whose decision differs from the bundled "
                f"value's, of {self.classes} classes of " + (", ".join(dict.fromkeys(self.versions)) or "no rules"))
        if self.scenarios:
            head += f"; and which of {self.scenarios} scenarios change decision"
        rows = [[f"{p.value:g}", str(p.changed)] + ([", ".join(p.scenarios) or "-"] if self.scenarios else [])
                for p in self.points]
        header = ["value", "classes"] + (["scenarios"] if self.scenarios else [])
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
        lines = [head] + ["  " + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
                          for r in [header, *rows]]
        return "\n".join(lines)


def values(start: float, stop: float, step: float) -> list[float]:
    """``start``, ``start + step``, ... up to ``stop`` (inclusive); a ``ParameterError`` on a bad range."""
    for name, x in (("START", start), ("STOP", stop), ("STEP", step)):
        if not math.isfinite(x):
            raise ParameterError(f"sweep {name}: expected a finite number, got {x!r}")
    if step <= 0:
        raise ParameterError(f"sweep STEP must be positive, got {step:g}")
    if stop < start:
        raise ParameterError(f"sweep STOP ({stop:g}) is below START ({start:g})")
    n = math.floor((stop - start) / step + 1e-9) + 1
    if n > MAX_VALUES:
        raise ParameterError(f"sweep of {n} values; at most {MAX_VALUES} (use a larger STEP)")
    return [round(start + i * step, 9) for i in range(n)]


def sweep(resolved: ResolvedPack, parameter: str, points: Sequence[float],
          scenarios: Sequence[NamedStrike] = ()) -> SweepReport:
    """Per value of ``parameter``: classes (and scenarios) whose decision differs from the pack's value."""
    if parameter not in resolved.parameters:
        known = ", ".join(sorted(resolved.parameters)) or "none"
        raise ParameterError(f"unknown parameter {parameter!r}; known: {known}")
    variants = [resolved.with_parameters({parameter: v}) for v in points]
    bundled = resolved.parameters[parameter]
    pack = resolved.pack
    counts: list[dict[str, int]] = [{} for _ in points]
    total = 0
    versions = []
    for rs in pack.all_rulesets():
        base = resolved.conditions(rs)
        moved = [v.conditions(rs) for v in variants]
        if all(c == base for c in moved):
            continue
        fine = Partition(pack, rs, base, also=[c for conds in moved for c in conds])
        label = fine.label
        versions.append(rs.version.ref)
        total += len(fine)
        weight = _Weights(fine)
        for i, conds in enumerate(moved):
            n = 0
            if conds != base:
                band = _band(base, conds, bundled, points[i])
                for cls, before, after in compare(pack, rs, base, rs, conds, band=band).rows:
                    if before.decision is not after.decision:
                        n += weight(cls.point)
            counts[i][label] = n
    changed_scenarios: list[tuple[str, ...]] = [() for _ in points]
    if scenarios:
        def decision(judge: Evaluator, sc: NamedStrike) -> Any:
            return (judge.with_readings(sc.readings) if sc.readings else judge).evaluate(sc.strike).decision

        bundled_judge = Evaluator(resolved, "compiled")
        decisions = [decision(bundled_judge, sc) for sc in scenarios]
        for i, e in enumerate(Evaluator(v, "compiled") for v in variants):
            changed_scenarios[i] = tuple(sc.name for sc, d in zip(scenarios, decisions, strict=True)
                                         if decision(e, sc) is not d)
    return SweepReport(
        parameter=parameter, bundled=bundled, classes=total, versions=tuple(versions),
        scenarios=len(scenarios), points=tuple(
            SweepPoint(value=v, changed=sum(c.values()), by_version=c, scenarios=s)
            for v, c, s in zip(points, counts, changed_scenarios, strict=True)))


def _band(base: Sequence[Condition], moved: Sequence[Condition], a: float, b: float,
          ) -> tuple[str, float, float] | None:
    """Where classes can differ when a parameter moved from ``a`` to ``b``: between the two values, in
    the one numeric dimension the parameter is compared with (None, every class, when there are several)."""
    changed = [d for d in DIMENSIONS.values() if d.numeric
               and thresholds(base, d.primary) != thresholds(moved, d.primary)]
    return (changed[0].name, min(a, b), max(a, b)) if len(changed) == 1 else None


class _Weights:
    """How many classes of the fine partition a coarser class holds (its numeric intervals refined)."""

    def __init__(self, fine: Partition) -> None:
        self.fine = fine
        self.bounded: dict[Key, list[Interval]] = {}
        for w, r in fine.bounded_pairs():
            self.bounded.setdefault(w, []).extend(iv for _, iv in r)
        self.cache: dict[tuple[str, Key, Key], int] = {}

    def __call__(self, point: Point) -> int:
        n = 1
        for d in DIMENSIONS.values():
            key = point[d.name] if d.numeric else ()
            if not key:
                continue
            owner = point[BOUNDING.name] if d is BOUNDED else ()
            found = self.cache.get((d.name, owner, key))
            if found is None:
                pool = self.bounded.get(owner, []) if d is BOUNDED else \
                    [k[0][1] for k in self.fine.choices(d.name) if k]
                outer: Interval = key[0][1]
                found = self.cache[(d.name, owner, key)] = sum(1 for j in pool if j.pick() in outer)
            n *= found
        return n


def matplotlib_pyplot() -> Any:
    """Pyplot on a file-only backend, or :class:`PlotUnavailableError` saying how to install matplotlib."""
    try:
        import matplotlib as mpl

        mpl.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise PlotUnavailableError(f"plotting needs matplotlib, which is not installed: {INSTALL_PLOT}") from None
    return plt


def plot(report: SweepReport, path: str | Path) -> Path:
    """Draw the sweep (classes changed per value; scenarios changed, when any were given) into ``path``."""
    plt = matplotlib_pyplot()
    xs = [p.value for p in report.points]
    fig, ax = plt.subplots(figsize=(7, 4))
    try:
        ax.plot(xs, [p.changed for p in report.points], marker="o", label="classes changed")
        ax.axvline(report.bundled, linestyle="--", color="grey", label=f"bundled ({report.bundled:g})")
        ax.set_xlabel(report.parameter)
        ax.set_ylabel(f"classes changed (of {report.classes})")
        if report.scenarios:
            ax2 = ax.twinx()
            ax2.step(xs, [len(p.scenarios) for p in report.points], where="mid", color="tab:red",
                     label="scenarios changed")
            ax2.set_ylabel(f"scenarios changed (of {report.scenarios})")
            ax2.legend(loc="upper right")
        ax.legend(loc="upper left")
        ax.set_title(f"What if {report.parameter} were...")
        fig.tight_layout()
        out = Path(path)
        try:
            fig.savefig(out)
        except (OSError, ValueError) as e:
            raise PolicyRulesError(f"cannot write the plot to {out}: {getattr(e, 'strerror', None) or e}") from None
        return out
    finally:
        plt.close(fig)
