"""One rule set made ready to decide: its matcher, its combiner and its verdict parts.

A :class:`RuleSetDecider` is what the engine keeps per rule set in force. :meth:`~RuleSetDecider.decide`
takes a strike's facts and returns the verdict's fields (every one but the strike itself),
cached per set of matched rules: the matching backend finds the rules that hold, the combining
rule of :mod:`policyrules.deciding.combine` picks the decision.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .. import __about__
from ..language.conditions import Condition
from ..language.mentions import thresholds
from ..matching import Matcher, build
from ..model.dimensions import NUMBER_FIELDS
from ..model.domain import Decision
from ..packs.pack import RuleSet
from .combine import Combiner, Outcome
from .verdict import DEFAULT_RULE_ID, PolicyRef, RuleRef

VerdictParts = dict[str, Any]
_MAX_CACHED = 65_536


class RuleSetDecider:
    """Decides strikes under one rule set with one backend: ``decide(facts)`` -> the verdict's parts."""

    def __init__(self, ruleset: RuleSet, conditions: tuple[Condition, ...], backend: str, pack_digest: str) -> None:
        v = ruleset.version
        self.ruleset = ruleset
        self.conditions = conditions
        self.backend = backend
        self.matcher: Matcher = build(backend, conditions, f"{v.policy}.{v.version}")
        self.match: Callable[[Mapping[str, Any]], tuple[int, ...]] = self.matcher.match
        self.combiner = Combiner(ruleset.rules, v.default)
        self.thresholds_of: dict[str, tuple[float, ...]] = {name: thresholds(conditions, name)
                                                             for name in NUMBER_FIELDS}
        self.rule_refs = tuple(RuleRef(id=r.id, title=r.title, effect=r.effect, source=r.source, basis=r.basis,
                                       caveats=r.caveats, file=r.file) for r in ruleset.rules)
        self.default_ref = RuleRef(id=DEFAULT_RULE_ID, title=f"No rule matched: the default of {v.ref}",
                                   effect=v.default, file=v.file)
        self.policy_ref = PolicyRef(id=v.policy, version=v.version, title=v.title, effective_from=v.effective_from,
                                    effective_until=v.effective_until, file=v.file)
        self._common = {"backend": backend, "pack_digest": pack_digest, "library_version": __about__.__version__}
        # Per set of matched rules: every verdict field but the strike. Filled without a lock: an
        # entry is computed from immutable data only, so threads racing on one key store equal values.
        self.parts: dict[tuple[int, ...], VerdictParts] = {}

    def decide(self, facts: Mapping[str, Any]) -> VerdictParts:
        """The verdict's parts (decision, rule, policy, matched, ...) for a strike with these facts."""
        matched = self.match(facts)
        return self.parts.get(matched) or self.parts_for(matched)

    def outcome(self, facts: Mapping[str, Any]) -> Outcome:
        """The combined outcome (rule indices) for these facts."""
        return self.combiner(self.match(facts))

    def parts_for(self, matched: tuple[int, ...]) -> VerdictParts:
        """The verdict's parts for a set of matched rules (cached)."""
        t = self.parts.get(matched)
        if t is not None:
            return t
        out = self.combiner(matched)
        rules = self.ruleset.rules
        allowed = out.decision is Decision.ALLOWED
        t = {
            "decision": out.decision,
            "rule": self.default_ref if out.deciding is None else self.rule_refs[out.deciding],
            "policy": self.policy_ref,
            "matched": tuple(rules[i].id for i in out.matched),
            "overridden": tuple(rules[i].id for i in out.overridden),
            "conflict": tuple(rules[i].id for i in out.conflict),
            "caveats": tuple(rules[i].caveats for i in out.matched
                             if allowed and i not in out.overridden and rules[i].caveats),
            **self._common,
        }
        if len(self.parts) < _MAX_CACHED:
            self.parts[matched] = t
        return t
