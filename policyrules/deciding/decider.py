"""One rule set made ready to decide: its matcher, its combiner and its verdict parts.

A :class:`RuleSetDecider` is what the engine keeps per rule set in force. :meth:`~RuleSetDecider.decide`
takes a strike's facts and returns the verdict's parts (every one but the strike itself), made
once per set of matched rules: the matching backend finds the rules that hold, the combining rule
of :mod:`policyrules.deciding.combine` picks the decision.

:meth:`~RuleSetDecider.decide_class` does the same from a strike's checked non-numeric part
(:class:`~policyrules.model.intake.Base`) and its numbers. The compiled backend then decides each
class of the exact partition once: a strike's class is its Base and the interval of each number
among the rule set's thresholds (one bisect), so the next strike of the class reads the parts from a
dict. The durable backend asks durable_rules every time (it is the engine that must do the
matching: its answers are never memoised).
"""

from __future__ import annotations

import datetime as dt
import math
from bisect import bisect_left
from collections.abc import Callable, Mapping
from typing import Any

from .. import __about__
from ..language.conditions import Condition
from ..language.mentions import thresholds
from ..matching import Matcher, build
from ..model.catalog import Catalog
from ..model.dimensions import FIELDS, NUMBER_FIELDS
from ..model.domain import Decision
from ..model.intake import Base
from ..packs.pack import RuleSet
from .combine import Combiner, Outcome
from .verdict import DEFAULT_RULE_ID, PolicyRef, RuleRef, VerdictParts

_MAX_CACHED = 65_536
_MAX_CLASSES = 262_144


class RuleSetDecider:
    """Decides strikes under one rule set with one backend: ``decide(facts)`` -> the verdict's parts."""

    # Slots: the hot paths read _classes, _cuts, _widths and _span (the C one by their offsets).
    __slots__ = ("__weakref__", "_assumptions", "_classes", "_common", "_context", "_cuts", "_reading", "_span",
                 "_widths", "backend", "combiner", "conditions", "default_ref", "match", "matcher", "parts",
                 "policy_ref", "rule_refs", "ruleset", "thresholds_of")

    def __init__(self, ruleset: RuleSet, conditions: tuple[Condition, ...], backend: str, pack_digest: str,
                 reading: Mapping[str, str] | None = None, context: Any = None,
                 assumptions: Callable[[Any, VerdictParts], tuple[str, ...]] | None = None) -> None:
        """``reading``: the choices of contested points that differ from the defaults (stated in every
        verdict); ``context``: what the verdicts ask for their contested points (the engine)."""
        v = ruleset.version
        self.ruleset = ruleset
        self.conditions = conditions
        self.backend = backend
        self.matcher: Matcher = build(backend, conditions, f"{v.policy}.{v.version}")
        self.match: Callable[[Mapping[str, Any]], tuple[int, ...]] = self.matcher.match
        self.combiner = Combiner(ruleset.rules, v.default)
        self.thresholds_of: dict[str, tuple[float, ...]] = {name: thresholds(conditions, name)
                                                             for name in NUMBER_FIELDS}
        self._cuts = tuple(self.thresholds_of[name] for name in NUMBER_FIELDS)
        self._widths = widths(self._cuts)
        self._span = math.prod(self._widths)  # class codes per Base
        self.rule_refs = tuple(RuleRef(id=r.id, title=r.title, effect=r.effect, source=r.source, basis=r.basis,
                                       caveats=r.caveats, file=r.file) for r in ruleset.rules)
        self.default_ref = RuleRef(id=DEFAULT_RULE_ID, title=f"No rule matched: the default of {v.ref}",
                                   effect=v.default, file=v.file)
        self.policy_ref = PolicyRef(id=v.policy, version=v.version, title=v.title, effective_from=v.effective_from,
                                    effective_until=v.effective_until, file=v.file)
        self._common = (backend, pack_digest, __about__.__version__)
        self._reading = dict(reading or {})
        self._context = context
        self._assumptions = assumptions
        # Per set of matched rules, and (compiled only) per class: the verdict's parts. Filled without
        # a lock: an entry is computed from immutable data only, so threads racing on one key store
        # equal values, and a dict item assignment is atomic.
        self.parts: dict[tuple[int, ...], VerdictParts] = {}
        self._classes: dict[int, VerdictParts] | None = {} if backend == "compiled" else None

    def decide(self, facts: Mapping[str, Any]) -> VerdictParts:
        """The verdict's parts (decision, rule, policy, matched, ...) for a strike with these facts."""
        matched = self.match(facts)
        return self.parts.get(matched) or self.parts_for(matched)

    def decide_class(self, base: Base, numbers: tuple[float | None, ...]) -> VerdictParts:
        """The verdict's parts for a strike given as its checked Base and its numbers (in
        :data:`~policyrules.model.dimensions.NUMBER_FIELDS` order). Written from the registry at
        import (:func:`_decide_class_source`): the evaluate hot path."""
        raise NotImplementedError  # replaced below by the generated method

    def _decide_facts(self, base: Base, numbers: tuple[float | None, ...], key: int | None) -> VerdictParts:
        """Decide by matching (durable always; compiled once per class, ``key``), and remember the class."""
        found = self.decide({**base.facts, **dict(zip(NUMBER_FIELDS, numbers, strict=True))})
        classes = self._classes
        if key is not None and classes is not None and len(classes) < _MAX_CLASSES:
            classes[key] = found
        return found

    def outcome(self, facts: Mapping[str, Any]) -> Outcome:
        """The combined outcome (rule indices) for these facts."""
        return self.combiner(self.match(facts))

    def _rests_on(self, deciding: int | None) -> str:
        v = self.ruleset.version
        if deciding is None:
            return f"the default of {v.ref} ({v.default.value} where no rule matches)"
        return self.ruleset.rules[deciding].source.rests_on()

    def _notes(self, deciding: int | None) -> tuple[str, ...]:
        v = self.ruleset.version
        rule = self.ruleset.rules[deciding] if deciding is not None else None
        out = [f"rule {rule.id}: {rule.note}"] if rule is not None and rule.note else []
        owner = self.ruleset.common if rule is not None and self.ruleset.common is not None \
            and rule.policy == self.ruleset.common.policy else v
        if owner.note:
            out.append(f"{owner.ref}: {owner.note}")
        return tuple(" ".join(n.split()) for n in out)

    def parts_for(self, matched: tuple[int, ...]) -> VerdictParts:
        """The verdict's parts for a set of matched rules (cached)."""
        t = self.parts.get(matched)
        if t is not None:
            return t
        out = self.combiner(matched)
        rules = self.ruleset.rules
        allowed = out.decision is Decision.ALLOWED
        t = VerdictParts(
            decision=out.decision,
            rule=self.default_ref if out.deciding is None else self.rule_refs[out.deciding],
            policy=self.policy_ref,
            matched=tuple(rules[i].id for i in out.matched),
            overridden=tuple(rules[i].id for i in out.overridden),
            conflict=tuple(rules[i].id for i in out.conflict),
            caveats=tuple(c for i in out.matched
                          if allowed and i not in out.overridden and (c := rules[i].caveats)),
            backend=self._common[0], pack_digest=self._common[1], library_version=self._common[2],
            rests_on=self._rests_on(out.deciding),
            notes=self._notes(out.deciding),
            reading=self._reading,
            context=self._context,
            assumptions=self._assumptions,
        )
        if len(self.parts) < _MAX_CACHED:
            self.parts[matched] = t
        return t


class Route:
    """What a plain dict's key (:func:`policyrules.model.intake.key_of`) stands for under an engine:
    its checked Base, its date, the decider of its rule set, and (compiled) that decider's classes."""

    __slots__ = ("base", "catalog", "classes", "cuts", "day", "decider", "given", "limits", "parts", "serial",
                 "widths")

    def __init__(self, base: Base, day: dt.date | None, decider: RuleSetDecider, catalog: Catalog,
                 given: tuple[str, ...]) -> None:
        self.given = given  # the fields the dicts of its key give (their strikes' fields set)
        self.base = base
        self.day = day
        self.decider = decider
        self.catalog = catalog
        self.classes = decider._classes  # noqa: SLF001 - the decider's own class table, read on the hot path
        self.cuts = decider._cuts  # noqa: SLF001
        self.widths = decider._widths  # noqa: SLF001
        self.serial = base.serial
        self.limits = base.limits
        # Compiled: the verdict parts of this Base's classes by their code among the numbers' intervals
        # (small ints; at most the decider's span of them), copied from the decider's table when first met.
        self.parts: dict[int, VerdictParts] = {}

    def class_parts(self, code: int, numbers: tuple[float | None, ...]) -> VerdictParts:
        """The parts of the class with this code (see :func:`class_lines`), from the decider's table
        (matched there if no strike of the class was seen yet), remembered here."""
        d = self.decider
        key = self.serial * d._span + code  # noqa: SLF001 - the decider's own class key
        found = self.classes.get(key) if self.classes is not None else None
        if found is None:
            found = d._decide_facts(self.base, numbers, key)  # noqa: SLF001
        self.parts[code] = found
        return found


def class_lines(pad: str, decider: str, base: str, serial: str, table: str, route: str | None = None) -> list[str]:
    """Source lines setting ``parts`` to the verdict parts of the class of (``base``, numbers x0, x1,
    ...) under ``decider``: compiled, read from its class table and matched once per class; durable,
    matched every time. ``table`` holds the decider's ``classes``, ``cuts`` and ``widths`` (the
    decider itself, ``d._``, or a Route, ``r.``). A class is the Base's serial and, per number, the
    index of its interval among the rule set's thresholds (``2j`` between thresholds, ``2j + 1`` on
    threshold ``j``, -1 for an absent optional number), packed into one int: the numbers' code
    (``ck``, below the decider's span) plus the serial times the span. With ``route`` (a Route's
    name), the parts are read from the route's own table by the code alone."""
    numbers = f"({''.join(f'x{i}, ' for i in range(len(NUMBER_FIELDS)))})"
    lines = [f"{pad}classes = {table}classes", f"{pad}if classes is None:",
             f"{pad}    parts = {decider}._decide_facts({base}, {numbers}, None)", f"{pad}else:",
             f"{pad}    cuts = {table}cuts", f"{pad}    w = {table}widths"]
    for i, name in enumerate(NUMBER_FIELDS):
        shift = " + 1" if FIELDS[name].optional else ""  # an optional number's codes shift by one (absent: 0)
        before = ("1 + " if shift else "") if i == 0 else f"ck * w[{i}]{shift} + "
        code = [f"c{i} = cuts[{i}]", f"j{i} = bisect_left(c{i}, x{i})",
                f"ck = {before}(2 * j{i} + 1 if j{i} < len(c{i}) and c{i}[j{i}] == x{i} else 2 * j{i})"]
        if FIELDS[name].optional:
            absent = "0" if i == 0 else f"ck * w[{i}]"
            lines += [f"{pad}    if x{i} is None:", f"{pad}        ck = {absent}", f"{pad}    else:",
                      *(f"{pad}        {c}" for c in code)]
        else:
            lines += [f"{pad}    {c}" for c in code]
    if route is not None:
        return [*lines, f"{pad}    parts = {route}.parts.get(ck)", f"{pad}    if parts is None:",
                f"{pad}        parts = {route}.class_parts(ck, {numbers})"]
    return [*lines, f"{pad}    ck += {serial} * {table}span", f"{pad}    parts = classes.get(ck)",
            f"{pad}    if parts is None:", f"{pad}        parts = {decider}._decide_facts({base}, {numbers}, ck)"]


def widths(cuts: tuple[tuple[float, ...], ...]) -> tuple[int, ...]:
    """How many interval codes each number has (see :func:`class_lines`): 2n + 1 among n thresholds,
    one more for an optional number (absent)."""
    return tuple(2 * len(c) + (2 if FIELDS[name].optional else 1) for name, c in zip(NUMBER_FIELDS, cuts, strict=True))


def _decide_class_source() -> str:
    """``decide_class`` for the registry's numeric fields (see :func:`class_lines`)."""
    lines = ["def decide_class(self, base, numbers):",
             *(f"    x{i} = numbers[{i}]" for i in range(len(NUMBER_FIELDS))),
             *class_lines("    ", "self", "base", "base.serial", "self._"), "    return parts"]
    return "\n".join(lines) + "\n"


def _generated(source: str, name: str) -> Any:
    namespace: dict[str, Any] = {"bisect_left": bisect_left}
    exec(compile(source, f"<policyrules {name}>", "exec"), namespace)  # noqa: S102 - registry names only
    return namespace[name]


RuleSetDecider.decide_class = _generated(_decide_class_source(), "decide_class")  # type: ignore[method-assign]
