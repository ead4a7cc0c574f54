"""Which contested points would change a verdict, and to what: computed exactly, per strike.

A verdict is decided under one reading of the pack's contested points. For each point that can
touch the strike (a point of the policy judging it, of ``common``, of ``default``, or of the
policy the supplier names), each other option is tried: the same strike is evaluated under the
reading with that one choice changed, and every option that changes the decision or the deciding
rule is reported with its outcome and sources. Nothing is sampled: the alternatives are the verdicts
themselves. :func:`across` evaluates the strike under every combination of those points' options.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict

from ..model.domain import Decision
from ..model.errors import PolicyRulesError
from ..model.sources import Source, weakest
from ..packs.pack import COMMON, DEFAULT
from ..packs.readings import Point, Readings


class Alternative(BaseModel):
    """The verdict under another option of a point: its decision, deciding rule and policy version
    (or why there is none), what the option says and how strong its weakest source is."""

    model_config = ConfigDict(frozen=True)

    option: str
    says: str
    decision: Decision | None
    rule: str | None
    policy: str | None
    error: str | None = None
    sources: tuple[Source, ...] = ()
    rests_on: str | None = None


class Contest(BaseModel):
    """A contested point that changes the verdict: the question, the option the verdict was decided
    under, and each option under which the decision or the deciding rule differs."""

    model_config = ConfigDict(frozen=True)

    point: str
    question: str
    chosen: str
    alternatives: tuple[Alternative, ...]

    def __str__(self) -> str:
        alts = "; ".join(
            f"under {a.option}: " + (f"{a.decision.value} by {a.rule} ({a.policy})" if a.decision is not None
                                     else f"no verdict ({a.error})")
            + (f" [rests on {a.rests_on}]" if a.rests_on else "") for a in self.alternatives)
        return f"{self.point} (chosen: {self.chosen}): {alts}"


Outcome = tuple[Decision, str, str] | str  # (decision, rule, policy), or the error under which there is none


def relevant(readings: Readings, policies: set[str]) -> list[Point]:
    """The points that can touch a strike judged by (or named for) these policies."""
    wanted = policies | {COMMON, DEFAULT}
    return [p for p in readings if p.policy in wanted]


def contests(readings: Readings, reading: Mapping[str, str], policies: set[str],
             outcome_under: Callable[[Mapping[str, str]], Outcome], here: Outcome) -> tuple[Contest, ...]:
    """Every relevant point some option of which gives another outcome than ``here``."""
    out: list[Contest] = []
    for point in relevant(readings, policies):
        chosen = reading[point.id]
        alternatives = []
        for option in point.options:
            if option.id == chosen:
                continue
            other = outcome_under({**reading, point.id: option.id})
            if other[:2] == here[:2]:  # the same decision by the same rule (another version may say it)
                continue
            weak = weakest(list(option.sources))
            if isinstance(other, str):
                alternatives.append(Alternative(option=option.id, says=option.says, decision=None, rule=None,
                                                policy=None, error=other, sources=option.sources,
                                                rests_on=weak.rests_on() if weak else None))
            else:
                alternatives.append(Alternative(option=option.id, says=option.says, decision=other[0], rule=other[1],
                                                policy=other[2], sources=option.sources,
                                                rests_on=weak.rests_on() if weak else None))
        if alternatives:
            out.append(Contest(point=point.id, question=point.question, chosen=chosen,
                               alternatives=tuple(alternatives)))
    return tuple(out)


class ReadingOutcome(BaseModel):
    """The verdict under one combination of the options of the points that can touch a strike."""

    model_config = ConfigDict(frozen=True)

    reading: dict[str, str]
    decision: Decision | None
    rule: str | None
    policy: str | None
    error: str | None = None


class AcrossReadings(BaseModel):
    """A strike under every combination of the options of the contested points that can touch it."""

    model_config = ConfigDict(frozen=True)

    points: tuple[str, ...]
    outcomes: tuple[ReadingOutcome, ...]

    @property
    def counts(self) -> dict[str, int]:
        """How many readings give each decision (``none``: no verdict)."""
        out: dict[str, int] = {}
        for o in self.outcomes:
            key = o.decision.value if o.decision is not None else "none"
            out[key] = out.get(key, 0) + 1
        return out

    def summary(self) -> str:
        """``allowed under 2 of 3 readings, prohibited under 1``."""
        n = len(self.outcomes)
        parts = [f"{d} under {k} of {n} reading{'s' if n != 1 else ''}" if i == 0 else f"{d} under {k}"
                 for i, (d, k) in enumerate(sorted(self.counts.items(), key=lambda kv: -kv[1]))]
        return ", ".join(parts)

    def to_text(self) -> str:
        lines = [self.summary() + (f" (points: {', '.join(self.points)})" if self.points else
                                   " (no contested point can touch this strike)")]
        for o in self.outcomes:
            choice = ", ".join(f"{k}={v}" for k, v in o.reading.items()) or "the default reading"
            what = f"{o.decision.value} by {o.rule} ({o.policy})" if o.decision is not None else \
                f"no verdict ({o.error})"
            lines.append(f"  {what:<60} under {choice}")
        return "\n".join(lines)


def across(readings: Readings, reading: Mapping[str, str], policies: set[str],
           outcome_under: Callable[[Mapping[str, str]], Outcome]) -> AcrossReadings:
    """The strike's outcome under every combination of the relevant points' options."""
    points = [p.id for p in relevant(readings, policies)]
    outcomes = []
    for combo in readings.combinations(points, base=reading):
        o = outcome_under(combo)
        shown = {k: combo[k] for k in points}
        if isinstance(o, str):
            outcomes.append(ReadingOutcome(reading=shown, decision=None, rule=None, policy=None, error=o))
        else:
            outcomes.append(ReadingOutcome(reading=shown, decision=o[0], rule=o[1], policy=o[2]))
    return AcrossReadings(points=tuple(points), outcomes=tuple(outcomes))


def outcome_of(evaluate: Callable[[Any], Any], strike: Any) -> Outcome:
    """(decision, rule, policy) of a strike's verdict, or the error's text when it gets none."""
    try:
        v = evaluate(strike)
    except PolicyRulesError as e:
        return str(e)
    return (v.decision, v.rule.id, v.policy.ref)
