"""The engine: evaluation (:class:`~policyrules.deciding.evaluator.Evaluator`) plus the analysis
entry points, each a thin forwarder to :mod:`policyrules.analysis` on the engine's resolved pack."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .analysis.check import CheckReport, check
from .analysis.diff import DiffReport, diff
from .analysis.partial import PartialReport, evaluate_partial
from .analysis.why_not import WhyNotReport, why_not
from .deciding.evaluator import Evaluator, StrikeInput

__all__ = ["Engine", "StrikeInput"]


class Engine(Evaluator):
    """Evaluates proposed strikes against a policy pack, and analyses the pack. Build one with
    :meth:`Engine.load`."""

    def check(self, sources: str | Path | None = None, backend: str | None = None) -> CheckReport:
        """Check every class of every rule set in force (see :mod:`policyrules.analysis.check`); with a
        ``backend`` ("durable", "compiled"), also what that backend cannot take."""
        return check(self.resolved, sources, backend)

    def diff(self, a: str, b: str) -> DiffReport:
        """Every class of strikes whose decision or deciding rule changes from policy ref ``a`` to ``b``
        (``us@2024-05-29``, ``us@baseline``, ``gb``), merged into readable descriptions."""
        return diff(self.resolved, a, b)

    def why_not(self, strike: StrikeInput) -> WhyNotReport:
        """The smallest changes (one field, then two) that flip the strike's decision, with the deciding rule."""
        return why_not(self.resolved, strike)

    def evaluate_partial(self, fields: Mapping[str, Any]) -> PartialReport:
        """Every decision still possible for a strike with only ``fields`` known, and when."""
        return evaluate_partial(self.resolved, fields)
