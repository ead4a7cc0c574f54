"""The hot paths of evaluation, written from the registry at import: ``evaluate`` of one strike
and the loop of ``evaluate_many``, each one function with every step inlined.

A strike's verdict is read from its class of the exact partition (see
:mod:`policyrules.deciding.decider`): its checked non-numeric part (a
:class:`~policyrules.model.intake.Base`, found per distinct plain dict key or kept by a validated
strike), the rule set in force (cached per supplier and date), and per number the index of its
interval among the rule set's thresholds (one bisect). The class's verdict parts are built once,
when the first strike of the class is matched, and shared. The durable backend keeps no classes:
every strike is matched by durable_rules.

These functions are what :meth:`Evaluator.evaluate` measures against a hand-written if/elif
(``python -m benchmarks``): a Python call, an attribute read or a tuple per strike counts, so
nothing here calls a helper on the way to a known class. Anything the fast paths cannot vouch for
(a dict key never seen, a number of an odd type, a strike checked against another catalog) goes
the long way, :meth:`ProposedStrike.parse` and the decider, whose errors word the problem.
"""

from __future__ import annotations

from bisect import bisect_left
from typing import Any

from ..model.dimensions import FIELDS, KEY_FIELDS, NUMBER_FIELDS, Kind
from ..model.intake import ABSENT, DATE, number_of
from ..model.strike import ProposedStrike
from .decider import class_lines
from .verdict import NUMBER_SLOTS, Verdict

_OPTIONAL = tuple(n for n in NUMBER_FIELDS if FIELDS[n].optional)
_XS = ", ".join(f"x{i}" for i in range(len(NUMBER_FIELDS)))


def _key_lines(pad: str, data: str) -> list[str]:
    """Lines setting ``key`` to a plain dict's key (:func:`policyrules.model.intake.key_of`), or None
    when a boolean field holds another type (1 == True: they must not share an entry)."""
    lines = [f"{pad}g = {data}.get", f"{pad}key = None"]
    parts = [f"len({data})"]
    checks = []
    for i, name in enumerate((*KEY_FIELDS, DATE)):
        if FIELDS[name].kind is Kind.BOOL:
            lines.append(f"{pad}b{i} = g({name!r}, M)")
            checks.append(f"(b{i} is M or b{i}.__class__ is bool)")
            parts.append(f"b{i}")
        else:
            parts.append(f"g({name!r}, M)")
    parts += [f"({name!r} in {data})" for name in _OPTIONAL]
    lines.append(f"{pad}if {' and '.join(checks) or 'True'}:")
    lines.append(f"{pad}    key = ({', '.join(parts)},)")
    return lines


def _number_lines(pad: str) -> list[str]:
    """Lines reading the dict's numbers (``g`` is its ``get``) into x0, x1, ... within ``limits``;
    ``ok`` is False when one is not a valid number."""
    lines = [f"{pad}ok = True"]
    for i, name in enumerate(NUMBER_FIELDS):
        bad = f"x{i}.__class__ is not float or not 0.0 <= x{i} <= limits[{i}]"
        lines.append(f"{pad}x{i} = g({name!r})")
        if FIELDS[name].optional:
            lines += [f"{pad}if x{i} is not None and ({bad}):", f"{pad}    x{i} = number_of(x{i}, limits[{i}])",
                      f"{pad}    if x{i} is None:", f"{pad}        ok = False"]
        else:
            lines += [f"{pad}if {bad}:", f"{pad}    x{i} = number_of(x{i}, limits[{i}])",
                      f"{pad}    if x{i} is None:", f"{pad}        ok = False"]
    return lines


def _verdict_lines(pad: str, strike: str, numbers: bool = False) -> list[str]:
    """A new verdict (see :class:`Verdict`'s slots): its parts, and its strike or, with ``numbers``, the
    route it is built from (``strike``) and the numbers x0, x1, ..."""
    own = [f"{pad}v.{slot} = x{i}" for i, slot in enumerate(NUMBER_SLOTS)] if numbers else []
    return [f"{pad}v = new(Verdict)", f"{pad}v._parts = parts", f"{pad}v._strike = {strike}", *own]


def _dict_lines(pad: str, data: str, emit: list[str]) -> list[str]:
    """A plain dict whose key is known: its verdict, then ``emit``; otherwise fall through."""
    inner = pad + "        "
    return [*_key_lines(pad, data),
            f"{pad}if key is not None:",
            f"{pad}    try:", f"{pad}        r = fast[key]", f"{pad}    except KeyError:",
            f"{pad}        r = self._learn({data}, key)", f"{pad}    except TypeError:  # an unhashable value",
            f"{pad}        r = False",
            f"{pad}    if r:", f"{pad}        limits = r.limits", *_number_lines(inner),
            f"{pad}        if ok:", *class_lines(inner + "    ", "r.decider", "r.base", "r.serial", "r.", "r"),
            *_verdict_lines(inner + "    ", "r", numbers=True), *(inner + "    " + e for e in emit)]


def _strike_lines(pad: str, strike: str, emit: list[str], private: str | None = None) -> list[str]:
    """A validated strike (its Base, date and numbers kept together in its private state, ``private``
    if read already: one read, not the model's fields): its verdict, then ``emit``."""
    lines = [f"{pad}b, day, {_XS} = {private or strike + '.__pydantic_private__'}['_hot']",
             f"{pad}d = days[b.picker].get(day)", f"{pad}if d is None:",
             f"{pad}    d = self.decider_for(b.picker, day)"]
    return [*lines, *class_lines(pad, "d", "b", "b.serial", "d._"), *_verdict_lines(pad, strike),
            *(pad + e for e in emit)]


def _source() -> str:
    """``evaluate(self, strike)`` and ``evaluate_into(self, out, strikes)``."""
    same = "c is self._catalog or c is self._twin or self._same_catalog(c)"  # checked against an equal catalog
    ev = ["def evaluate(self, strike):", "    days = self._days",
          "    cls = type(strike)", "    if cls is dict:", "        fast = self._fast",
          *_dict_lines("        ", "strike", ["return v"]),
          "        s = parse(strike, self._catalog)",
          "    elif cls is ProposedStrike:",
          "        p = strike.__pydantic_private__",
          "        c = p['_catalog']",
          f"        if {same}:",
          *_strike_lines("            ", "strike", ["return v"], "p"),
          "        s = parse(strike, self._catalog)",
          "    else:", "        s = parse(strike, self._catalog)",
          *_strike_lines("    ", "s", ["return v"])]
    loop = ["def evaluate_into(self, out, strikes):", "    fast = self._fast", "    days = self._days",
            "    append = out.append", "    evaluate = self.evaluate", "    catalog = self._catalog",
            "    for s in strikes:", "        cls = type(s)", "        if cls is dict:",
            *_dict_lines("            ", "s", ["append(v)", "continue"]),
            "        elif cls is ProposedStrike:",
            "            p = s.__pydantic_private__",
            "            if p['_catalog'] is catalog:",
            *_strike_lines("                ", "s", ["append(v)", "continue"], "p"),
            "        append(evaluate(s))"]
    return "\n".join(ev) + "\n\n\n" + "\n".join(loop) + "\n"


def _generated() -> dict[str, Any]:
    namespace: dict[str, Any] = {"M": ABSENT, "number_of": number_of, "bisect_left": bisect_left,
                                 "new": object.__new__, "Verdict": Verdict, "ProposedStrike": ProposedStrike,
                                 "parse": ProposedStrike.parse}
    exec(compile(_source(), "<policyrules hotpath>", "exec"), namespace)  # noqa: S102 - registry names only
    return namespace


_namespace = _generated()
#: ``evaluate(evaluator, strike)``: :meth:`policyrules.deciding.evaluator.Evaluator.evaluate`.
evaluate: Any = _namespace["evaluate"]
#: ``evaluate_into(evaluator, out, strikes)``: each strike's verdict appended to ``out`` (evaluate_many's loop).
evaluate_into: Any = _namespace["evaluate_into"]
