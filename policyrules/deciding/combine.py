"""The combining function: from the rules that matched to one decision. Both backends use it.

The semantics, in one place (SPEC "Rule files"):

1. a matched rule that another matched rule overrides loses (``overrides: all`` overrides
   every other rule);
2. if every remaining rule has one effect, that is the decision and the first of them (in
   rule-set order) is the rule that fired;
3. if they disagree, the decision is ``prohibited`` (fail-safe), the first prohibiting rule
   fired, and the verdict records the conflict;
4. if nothing matched, the policy default decides (the rule id is ``default``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..model.domain import Decision
from ..packs.pack import Rule


@dataclass(frozen=True)
class Outcome:
    decision: Decision
    deciding: int | None  # index of the rule that fired; None: the policy default
    matched: tuple[int, ...]
    overridden: tuple[int, ...]
    conflict: tuple[int, ...]  # the disagreeing remaining rules, empty when none


class Combiner:
    """Combines matches for one rule set; caches outcomes per set of matched rules."""

    def __init__(self, rules: Sequence[Rule], default: Decision) -> None:
        self.rules = tuple(rules)
        self.default = default
        positions: dict[str, list[int]] = {}
        for j, r in enumerate(self.rules):
            positions.setdefault(r.id, []).append(j)
        # Per rule, the rules it overrides (as Rule.overrides_rule says); None: every other rule
        # (``overrides: all``). Found by id, not by testing every pair: that was quadratic (5,000 rules: 28 s).
        self._beats: list[frozenset[int] | None] = [
            None if r.overrides == "all" else
            frozenset(j for rid in r.overrides for j in positions.get(rid, ()) if self.rules[j] is not r)
            for r in self.rules]
        self._cache: dict[tuple[int, ...], Outcome] = {}

    def __call__(self, matched: tuple[int, ...]) -> Outcome:
        out = self._cache.get(matched)
        if out is None:
            out = self._combine(matched)
            if len(self._cache) < 65536:
                self._cache[matched] = out
        return out

    def _combine(self, matched: tuple[int, ...]) -> Outcome:
        beaten: set[int] = set()
        for i in matched:
            beats = self._beats[i]
            if beats is None:
                beaten.update(j for j in matched if j != i)
            else:
                beaten |= beats
        overridden = tuple(i for i in matched if i in beaten)
        remaining = [i for i in matched if i not in beaten]
        if not remaining:
            return Outcome(self.default, None, matched, overridden, ())
        effects = {self.rules[i].effect for i in remaining}
        if len(effects) == 1:
            return Outcome(effects.pop(), remaining[0], matched, overridden, ())
        first_prohibiting = next(i for i in remaining if self.rules[i].effect is Decision.PROHIBITED)
        return Outcome(Decision.PROHIBITED, first_prohibiting, matched, overridden, tuple(remaining))
