"""The engine: evaluation (:class:`~policyrules.deciding.evaluator.Evaluator`) plus the analysis
entry points, each a thin forwarder to :mod:`policyrules.analysis` on the engine's resolved pack."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .analysis.check import CheckReport, check
from .analysis.diff import DiffReport, diff
from .analysis.partial import PartialReport, evaluate_partial
from .analysis.sweep import NamedStrike, SweepReport, sweep, values
from .analysis.why_not import WhyNotReport, why_not
from .deciding.evaluator import Evaluator, StrikeInput
from .packs.resolved import ResolvedPack

__all__ = ["Engine", "StrikeInput"]


class Engine(Evaluator):
    """Evaluates proposed strikes against a policy pack, and analyses the pack. Build one with
    :meth:`Engine.load`."""

    def check(self, sources: str | Path | None = None, backend: str | None = None) -> CheckReport:
        """Check every class of every rule set in force (see :mod:`policyrules.analysis.check`); with a
        ``backend`` ("durable", "compiled"), also what that backend cannot take."""
        return check(self.resolved, sources, backend)

    def diff(self, a: str, b: str | None = None, *, before_readings: Mapping[str, str] | None = None,
             after_readings: Mapping[str, str] | None = None) -> DiffReport:
        """Every class of strikes whose decision or deciding rule changes from policy ref ``a`` to ``b``
        (``us@2024-05-29``, ``us@baseline``, ``gb``), merged into readable descriptions.

        With readings (``{POINT: OPTION}``, over the engine's own), ``a`` is read under
        ``before_readings`` and ``b`` (default: ``a``) under ``after_readings``: exactly what
        one reading of a contested point changes, ``engine.diff("us@2024-06-01",
        after_readings={"us.kharkiv-depth": "oblast-only"})``."""
        return diff(self._under(before_readings), a, a if b is None else b, self._under(after_readings))

    def _under(self, choices: Mapping[str, str] | None) -> ResolvedPack:
        """The resolved pack under other options (no matcher is built: analysis needs none)."""
        return self.resolved.with_readings(choices) if choices else self.resolved

    def sweep(self, parameter: str, start: float, stop: float, step: float,
              scenarios: Sequence[NamedStrike] = ()) -> SweepReport:
        """What-if over one parameter, as ``policyrules sweep PARAM START STOP STEP [--scenarios ...]``:
        per value from ``start`` to ``stop`` (inclusive) by ``step``, the classes (and ``scenarios``,
        e.g. from :func:`policyrules.scenarios.load_scenarios`) whose decision differs from the bundled value's."""
        return sweep(self.resolved, parameter, values(start, stop, step), scenarios)

    def why_not(self, strike: StrikeInput) -> WhyNotReport:
        """The smallest changes (one field, then two) that flip the strike's decision, with the deciding rule."""
        return why_not(self.resolved, strike)

    def evaluate_partial(self, fields: Mapping[str, Any]) -> PartialReport:
        """Every decision still possible for a strike with only ``fields`` known, and when."""
        return evaluate_partial(self.resolved, fields)
