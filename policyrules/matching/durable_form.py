"""The durable_rules form of a condition: JSON text durable_rules parses, and expressions of
single-key tests joined with ``$and`` / ``$or``, normalised. Nothing here imports durable_rules;
:mod:`.durable_plan` counts what these forms cost, :mod:`.durable` sends them."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from ..language.conditions import NEGATED, AllOf, Cmp, Condition, Not, comparisons

Expr = dict[str, Any]
ALWAYS: Expr = {"_k": 1}
NEVER: Expr = {"_k": 0}
#: The test of the rule every ruleset gets to prime its session (see :mod:`.durable`).
PRIME_TEST: Expr = {"_prime": True}
_DURABLE_OP = {"ne": "$neq", "lt": "$lt", "le": "$lte", "gt": "$gt", "ge": "$gte"}

#: Characters in one string sent to durable_rules. It compares strings by their length in bytes
#: kept in 16 bits: two strings of 65,536 bytes or more that share their first (length mod 65,536)
#: bytes compare equal (measured). 4,096 characters are at most 24,576 bytes of JSON text.
MAX_STRING_CHARS = 4096


class UnsendableError(ValueError):
    """A value durable_rules cannot be trusted with (a string too long)."""


# JSON for durable_rules ------------------------------------------------------------------


def number(x: float) -> str:
    """A number in the positional notation durable_rules parses: 1e-07 -> 0.0000001."""
    if isinstance(x, bool):
        raise TypeError("a boolean is not a number")
    text = repr(float(x))
    if "e" in text or "E" in text:
        text = format(Decimal(text), "f")
    return text


def dump(obj: Any) -> str:
    """JSON with positional numbers and no nulls (a null is sent as "")."""
    if isinstance(obj, bool):
        return "true" if obj else "false"
    if isinstance(obj, (int, float)):
        return number(obj)
    if isinstance(obj, str):
        return json.dumps(obj, ensure_ascii=False)
    if obj is None:
        return '""'
    if isinstance(obj, Mapping):
        return "{" + ",".join(f"{json.dumps(str(k))}:{dump(v)}" for k, v in obj.items()) + "}"
    if isinstance(obj, (list, tuple)):
        return "[" + ",".join(dump(v) for v in obj) + "]"
    raise TypeError(f"cannot send {type(obj).__name__} to durable_rules")


def canonical(value: object) -> tuple[str, object]:
    """A value as durable_rules tells values apart: numbers by their value (1 is 1.0), strings, booleans."""
    if isinstance(value, bool):
        return "b", value
    if isinstance(value, (int, float)):
        return "n", float(value)
    return "s", value


def check_string(value: str) -> None:
    if len(value) > MAX_STRING_CHARS:
        raise UnsendableError(f"a string of {len(value):,} characters; the durable backend takes at most "
                       f"{MAX_STRING_CHARS:,} (durable_rules compares long strings wrongly)")


# Translation -----------------------------------------------------------------------------


def presence_flag(field: str) -> str:
    return f"_has_{field}"


def is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def number_fields(conditions: Sequence[Condition]) -> frozenset[str]:
    """The fields compared with numbers: facts carry a presence flag for each."""
    return frozenset(c.field for cond in conditions for c in comparisons(cond) if is_number(c.value))


def translate(cond: Condition) -> Expr:
    """A condition as a durable_rules expression: single-key tests joined with ``$and`` / ``$or``.

    Negations are pushed down to the comparisons (durable_rules has no negation). A number is
    compared only when its field is present (the presence flag ``_has_<field>``): a missing
    value satisfies only ``ne`` and the negations of the other comparisons. The numeric tests of
    one field directly under one ``all`` / ``any`` share one guard, so that ``all`` of twenty
    ``ne`` is one alternative, not 2**20."""
    return _tr(cond, False)


def _tr(c: Condition, negate: bool) -> Expr:
    while isinstance(c, Not):
        c, negate = c.item, not negate
    if isinstance(c, Cmp):
        check_string(c.field)
        if is_number(c.value):
            return _guarded(c.field, [_numeric(c, negate)], conjunction=True)
        return _cmp(c, negate)
    conjunction = isinstance(c, AllOf) != negate  # De Morgan when negated
    slots: list[Expr | str] = []  # an expression, or the field of a group of numeric tests
    numeric: dict[str, list[tuple[bool, Expr]]] = {}
    for item in c.items:
        inner, neg = item, negate
        while isinstance(inner, Not):
            inner, neg = inner.item, not neg
        if isinstance(inner, Cmp) and is_number(inner.value):
            check_string(inner.field)
            if inner.field not in numeric:
                numeric[inner.field] = []
                slots.append(inner.field)
            numeric[inner.field].append(_numeric(inner, neg))
        else:
            slots.append(_tr(inner, neg))
    parts = [_guarded(s, numeric[s], conjunction) if isinstance(s, str) else s for s in slots]
    return join("$and" if conjunction else "$or", parts)


def _numeric(c: Cmp, negate: bool) -> tuple[bool, Expr]:
    """(does a missing value satisfy it, the test on a present value)."""
    op = NEGATED[c.op] if negate else c.op
    test = {c.field: c.value} if op == "eq" else {_DURABLE_OP[op]: {c.field: c.value}}
    return (c.op == "ne") != negate, test


def _guarded(field: str, tests: list[tuple[bool, Expr]], conjunction: bool) -> Expr:
    """Numeric tests of one field, all (``conjunction``) or any of them, behind its presence flag.
    The two branches (missing / present) exclude each other, so they never fire together."""
    flag = presence_flag(field)
    present = [t for _, t in tests]
    when_present = join("$and", [{flag: True}, join("$and" if conjunction else "$or", present)])
    missing_ok = all(ok for ok, _ in tests) if conjunction else any(ok for ok, _ in tests)
    return join("$or", [{flag: False}, when_present]) if missing_ok else when_present


def _cmp(c: Cmp, negate: bool) -> Expr:
    op = NEGATED[c.op] if negate else c.op
    v = c.value
    for text in (v if isinstance(v, tuple) else (v,)):
        if isinstance(text, str):
            check_string(text)
    if op in ("in", "not_in"):
        assert isinstance(v, tuple)
        if op == "in":
            return join("$or", [{c.field: x} for x in v])
        return join("$and", [{"$neq": {c.field: x}} for x in v])
    return {c.field: v} if op == "eq" else {_DURABLE_OP[op]: {c.field: v}}


def join(kind: str, parts: Sequence[Expr]) -> Expr:
    """``$and`` / ``$or`` of ``parts``, normalised: nested ones of the same kind flattened, repeats
    dropped, always / never folded, a single part returned as it is."""
    unit, zero = (ALWAYS, NEVER) if kind == "$and" else (NEVER, ALWAYS)
    out: list[Expr] = []
    seen: set[str] = set()
    for part in parts:
        for p in part.get(kind, (part,)):
            key = repr(p)  # equal reprs are equal tests; unequal ones may be too (1, 1.0): kept twice, harmless
            if p == zero:
                return dict(zero)
            if p == unit or key in seen:
                continue
            seen.add(key)
            out.append(p)
    if not out:
        return dict(unit)
    return out[0] if len(out) == 1 else {kind: out}


def normalise(expr: Expr) -> Expr:
    for kind in ("$and", "$or"):
        if kind in expr:
            return join(kind, [normalise(p) for p in expr[kind]])
    return expr
