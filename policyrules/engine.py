"""The engine: evaluation (:class:`~policyrules.deciding.evaluator.Evaluator`) plus the analysis
entry points, each a thin forwarder to :mod:`policyrules.analysis` on the engine's resolved pack."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from .analysis.check import CheckReport, check
from .analysis.coverage import CoverageReport, coverage
from .analysis.diff import DiffReport, diff
from .analysis.partial import PartialReport, evaluate_partial
from .analysis.sweep import NamedStrike, SweepReport, sweep, values
from .analysis.when import WhenReport, when
from .analysis.why_not import WhyNotReport, why_not
from .deciding.evaluator import Evaluator, StrikeInput
from .deciding.verdict import Verdict
from .model.errors import PolicyRulesError
from .model.strike import ProposedStrike
from .packs.resolved import ResolvedPack

__all__ = ["Engine", "StrikeInput"]


class Engine(Evaluator):
    """Evaluates proposed strikes against a policy pack, and analyses the pack. Build one with
    :meth:`Engine.load`."""

    def check(self, sources: str | Path | None = None, backend: str | None = None,
              all_readings: bool = True) -> CheckReport:
        """Check every class of every rule set in force (see :mod:`policyrules.analysis.check`), under
        every combination of contested options unless ``all_readings`` is false; with a ``backend``
        ("durable", "compiled"), also what that backend cannot take."""
        return check(self.resolved, sources, backend, all_readings)

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

    def when(self, strike: StrikeInput | None = None, /, **fields: Any) -> WhenReport:
        """One kind of strike over time (given as :meth:`ask` takes it, without a date): every date where
        its answer changed, with the clauses and sources that decide from then on
        (``engine.when(weapon="ATACMS", target_region="kursk", target_category="military")``)."""
        return when(self.resolved, given_fields(strike, fields))

    def coverage(self, verdicts: Iterable[Verdict]) -> CoverageReport:
        """Which rules the verdicts (a scenario run) decided, matched without deciding, or never fired,
        and the share of each rule set's classes they touch (see :mod:`policyrules.analysis.coverage`)."""
        return coverage(self.resolved, verdicts)

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

    def ask(self, strike: StrikeInput | None = None, /, **fields: Any) -> PartialReport:
        """The forgiving question: a strike as far as it is known (a mapping, a :class:`ProposedStrike`,
        or keyword fields), leaving out what one cannot know (range, self-defense, defended region,
        depth). The answer is settled, or each decision with the missing fields it holds under, naming
        only the fields that change it (see :mod:`policyrules.analysis.partial`). ``evaluate`` stays
        strict: it refuses a strike without a range and takes an omitted self-defense as none."""
        return evaluate_partial(self.resolved, given_fields(strike, fields))


def given_fields(strike: StrikeInput | None, fields: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of a question: a mapping or a strike (only the fields it was given), and keywords."""
    if isinstance(strike, ProposedStrike):
        base: dict[str, Any] = strike.model_dump(include=set(strike.model_fields_set))
    elif isinstance(strike, Mapping):
        base = dict(strike)
    elif strike is None:
        base = {}
    else:
        raise PolicyRulesError(f"a strike is a mapping of fields, not {type(strike).__name__}")
    both = set(base) & set(fields)
    if both:
        raise PolicyRulesError(f"{', '.join(sorted(both))}: given both in the strike and as a keyword")
    return {**base, **fields}
