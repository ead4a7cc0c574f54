"""Conditions: a small, typed language of comparisons over named fields.

This module knows nothing of strikes. A :class:`Schema` says which fields exist and what
values each may take; :func:`parse` turns the YAML form of a condition into a tree of
:class:`Cmp`, :class:`AllOf`, :class:`AnyOf` and :class:`Not`, checking every field, value
and parameter against the schema. The tree can be bound (parameters replaced by
numbers), put in negation normal form (for engines without negation), evaluated, and
compiled into Python source by the compiled backend.

YAML form::

    weapon_class: {in: [tube_artillery, rocket_artillery]}   # a field and a matcher
    self_defense: true                                       # a literal means equality
    range_km: {gt: {param: long_range_km}}                   # a number may name a parameter
    any: [ {...}, {...} ]   all: [ ... ]   not: {...}         # combinators
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, TypeAlias

from ..model.errors import echo, shown

Scalar: TypeAlias = str | bool | float
Op: TypeAlias = Literal["eq", "ne", "lt", "le", "gt", "ge", "in", "not_in"]
OPS: tuple[Op, ...] = ("eq", "ne", "lt", "le", "gt", "ge", "in", "not_in")
ORDER_OPS = frozenset({"lt", "le", "gt", "ge"})
NEGATED: dict[Op, Op] = {
    "eq": "ne", "ne": "eq", "lt": "ge", "ge": "lt", "le": "gt", "gt": "le", "in": "not_in",
    "not_in": "in",
}
COMBINATORS = ("any", "all", "not")
# Numbers in conditions must be finite and of a size every backend encodes exactly.
MAX_ABS_NUMBER = 1e9
# How deeply any / all / not may nest: far beyond any real policy, well within what every
# backend (Python's parser has a limit of 200 nested parentheses) and the analysis can take.
MAX_DEPTH = 32


@dataclass(frozen=True)
class FieldSpec:
    """One field conditions may test: ``kind`` is enum (closed set of strings), bool or number."""

    name: str
    kind: Literal["enum", "bool", "number"]
    values: tuple[str, ...] = ()
    optional: bool = False
    doc: str = ""


@dataclass(frozen=True)
class Schema:
    fields: Mapping[str, FieldSpec]

    def __getitem__(self, name: str) -> FieldSpec:
        return self.fields[name]


@dataclass(frozen=True)
class Param:
    """A reference to a named numeric parameter, resolved before evaluation."""

    name: str


Value: TypeAlias = Scalar | Param | tuple[str, ...]


class _Kept:
    """A condition node keeps what is worked out of it once, when first asked for: its hash (the
    analyses key dicts by whole condition trees, whose hash would otherwise walk the tree every
    time), the parameters it names and its bound forms (see :func:`bind`). What is kept is not
    pickled: str hashes differ from one process to the next. Each node class names
    ``__hash__ = _Kept.__hash__`` in its body, so that the dataclass keeps it (its equality stays
    the dataclass's, field by field)."""

    __slots__ = ()

    def __hash__(self) -> int:
        state = self.__dict__
        h: int | None = state.get("_hash")
        if h is None:
            h = state["_hash"] = hash(tuple([state[name] for name in self.__dataclass_fields__]))  # type: ignore[attr-defined]
        return h

    def __getstate__(self) -> dict[str, object]:
        state = self.__dict__
        return {name: state[name] for name in self.__dataclass_fields__}  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Cmp(_Kept):
    field: str
    op: Op
    value: Value

    __hash__ = _Kept.__hash__


@dataclass(frozen=True)
class AllOf(_Kept):
    items: tuple[Condition, ...]

    __hash__ = _Kept.__hash__


@dataclass(frozen=True)
class AnyOf(_Kept):
    items: tuple[Condition, ...]

    __hash__ = _Kept.__hash__


@dataclass(frozen=True)
class Not(_Kept):
    item: Condition

    __hash__ = _Kept.__hash__


Condition: TypeAlias = Cmp | AllOf | AnyOf | Not
ALWAYS: Condition = AllOf(())


ConditionCode: TypeAlias = Literal["unknown-field", "unknown-value", "unknown-parameter", "invalid-condition"]


class ConditionError(ValueError):
    """A condition does not fit the schema. ``path`` is the dotted place inside ``when``; ``code``
    says what kind of problem it is (an unknown field, value or parameter, or a malformed condition)."""

    def __init__(self, path: str, message: str, code: ConditionCode = "invalid-condition") -> None:
        self.path = path
        self.message = message
        self.code: ConditionCode = code
        super().__init__(f"{path}: {message}")


# Parsing ---------------------------------------------------------------------------------


def parse(raw: object, schema: Schema, params: Mapping[str, float], path: str = "when",
          depth: int = 0) -> Condition:
    """Parse the YAML form of a condition, checking it against ``schema`` and ``params``."""
    if raw is None:
        return ALWAYS
    if depth > MAX_DEPTH:
        raise ConditionError(path, f"conditions nest more than {MAX_DEPTH} levels deep (any / all / not)")
    if not isinstance(raw, Mapping):
        raise ConditionError(path, f"a condition is a mapping of field to matcher, not {_kind(raw)}")
    items: list[Condition] = []
    for key, spec in raw.items():
        if not isinstance(key, str):
            raise ConditionError(path, f"field names are strings, not {_kind(key)}")
        where = f"{path}.{shown(key, 60)}"
        if key in ("any", "all"):
            if not isinstance(spec, list) or not spec:
                raise ConditionError(where, f"'{key}' takes a non-empty list of conditions")
            subs = tuple(parse(s, schema, params, f"{where}[{i}]", depth + 1) for i, s in enumerate(spec))
            items.append(AnyOf(subs) if key == "any" else AllOf(subs))
        elif key == "not":
            items.append(Not(parse(spec, schema, params, where, depth + 1)))
        elif key in schema.fields:
            items.append(_parse_matcher(schema.fields[key], spec, params, where))
        else:
            raise ConditionError(
                where, f"unknown field {echo(key)}; known: {', '.join(sorted(schema.fields))}, any, all, not",
                "unknown-field")
    return items[0] if len(items) == 1 else AllOf(tuple(items))


def _parse_matcher(spec: FieldSpec, raw: object, params: Mapping[str, float], where: str) -> Cmp:
    if isinstance(raw, Mapping):
        if len(raw) != 1:
            raise ConditionError(where, f"a matcher has exactly one operator ({', '.join(OPS)})")
        ((op, value),) = raw.items()
        if op not in OPS:
            raise ConditionError(where, f"unknown operator {echo(op)}; use one of {', '.join(OPS)}")
        where = f"{where}.{op}"
    elif isinstance(raw, list):
        raise ConditionError(where, "a list is not a matcher; write {in: [...]}")
    else:
        op, value = "eq", raw
    if op in ("in", "not_in"):
        if spec.kind != "enum":
            raise ConditionError(where, f"'{op}' applies to fields with named values, not {spec.kind}")
        if not isinstance(value, list) or not value:
            raise ConditionError(where, f"'{op}' takes a non-empty list")
        vals = tuple(_check_enum(spec, v, f"{where}[{i}]") for i, v in enumerate(value))
        if len(set(vals)) != len(vals):
            raise ConditionError(where, "the list repeats a value")
        return Cmp(spec.name, op, vals)
    if op in ORDER_OPS and spec.kind != "number":
        raise ConditionError(where, f"'{op}' compares numbers; {spec.name} is {spec.kind}")
    if spec.kind == "enum":
        return Cmp(spec.name, op, _check_enum(spec, value, where))
    if spec.kind == "bool":
        if not isinstance(value, bool):
            raise ConditionError(where, f"{spec.name} is true or false, not {echo(value)}")
        return Cmp(spec.name, op, value)
    return Cmp(spec.name, op, _check_number(value, params, where))


def _check_enum(spec: FieldSpec, value: object, where: str) -> str:
    if not isinstance(value, str) or value not in spec.values:
        known = ", ".join(spec.values) if len(spec.values) <= 16 else f"{len(spec.values)} known values"
        raise ConditionError(where, f"unknown value {echo(value)} for {spec.name}; known: {known}", "unknown-value")
    return value


def _check_number(value: object, params: Mapping[str, float], where: str) -> float | Param:
    if isinstance(value, Mapping):
        if set(value) != {"param"} or not isinstance(value["param"], str):
            raise ConditionError(where, "a parameter reference is {param: NAME}")
        name = value["param"]
        if name not in params:
            known = ", ".join(sorted(params)) or "none defined"
            raise ConditionError(where, f"unknown parameter {echo(name)} (parameters: {known})", "unknown-parameter")
        return Param(name)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConditionError(where, f"expected a number or {{param: NAME}}, not {echo(value)}")
    return check_finite(float(value), where)


def check_finite(x: float, where: str) -> float:
    if not math.isfinite(x) or abs(x) > MAX_ABS_NUMBER:
        raise ConditionError(where, f"numbers must be finite and at most {MAX_ABS_NUMBER:g} in size")
    return x


def _kind(x: object) -> str:
    return {list: "a list", str: "a string", bool: "a boolean", int: "a number",
            float: "a number", type(None): "null"}.get(type(x), type(x).__name__)


# Transformations -------------------------------------------------------------------------


def bind(cond: Condition, params: Mapping[str, float]) -> Condition:
    """The condition with every :class:`Param` replaced by its value: ``cond`` itself if it names
    none, and the same object for the same values (kept on the condition, up to :data:`_BOUND_KEPT`
    sets of values; an analysis binds the same rules under many readings)."""
    names = _params(cond)
    if not names:
        return cond
    values = tuple([params[n] for n in names])
    kept: dict[tuple[float, ...], Condition] = cond.__dict__.setdefault("_bound", {})
    found = kept.get(values)
    if found is None:
        found = _bound(cond, params)
        if len(kept) < _BOUND_KEPT:
            kept[values] = found
    return found


_BOUND_KEPT = 16


def _bound(cond: Condition, params: Mapping[str, float]) -> Condition:
    if isinstance(cond, Cmp):
        if isinstance(cond.value, Param):
            return Cmp(cond.field, cond.op, float(params[cond.value.name]))
        return cond
    if isinstance(cond, Not):
        return Not(bind(cond.item, params))
    items = tuple([bind(c, params) for c in cond.items])
    return AllOf(items) if isinstance(cond, AllOf) else AnyOf(items)


def _params(cond: Condition) -> tuple[str, ...]:
    """The parameters ``cond`` names, sorted (kept on the condition once worked out)."""
    state = cond.__dict__
    found: tuple[str, ...] | None = state.get("_params")
    if found is None:
        found = state["_params"] = tuple(sorted(param_names(cond)))
    return found


def nnf(cond: Condition, negate: bool = False) -> Condition:
    """Negation normal form: no :class:`Not` left; negated comparisons flip their operator."""
    if isinstance(cond, Not):
        return nnf(cond.item, not negate)
    if isinstance(cond, Cmp):
        return Cmp(cond.field, NEGATED[cond.op], cond.value) if negate else cond
    items = tuple(nnf(c, negate) for c in cond.items)
    flip = isinstance(cond, AllOf) == negate  # De Morgan
    return AnyOf(items) if flip else AllOf(items)


def comparisons(cond: Condition) -> Iterator[Cmp]:
    """Every comparison in the tree, in order."""
    if isinstance(cond, Cmp):
        yield cond
    elif isinstance(cond, Not):
        yield from comparisons(cond.item)
    else:
        for c in cond.items:
            yield from comparisons(c)


def param_names(cond: Condition) -> set[str]:
    return {c.value.name for c in comparisons(cond) if isinstance(c.value, Param)}


def evaluate(cond: Condition, facts: Mapping[str, object]) -> bool:
    """Evaluate a resolved condition on a mapping of field values (the reference semantics)."""
    if isinstance(cond, Cmp):
        return _COMPARE[cond.op](facts[cond.field], cond.value)
    if isinstance(cond, Not):
        return not evaluate(cond.item, facts)
    if isinstance(cond, AllOf):
        return all(evaluate(c, facts) for c in cond.items)
    return any(evaluate(c, facts) for c in cond.items)


def _ordered(f: Callable[[float, float], bool]) -> Callable[[object, object], bool]:
    def cmp(a: object, b: object) -> bool:
        return isinstance(a, (int, float)) and isinstance(b, (int, float)) and f(a, b)

    return cmp


_COMPARE: dict[str, Callable[[object, object], bool]] = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "in": lambda a, b: isinstance(b, tuple) and a in b,
    "not_in": lambda a, b: isinstance(b, tuple) and a not in b,
    "lt": _ordered(lambda a, b: a < b),
    "le": _ordered(lambda a, b: a <= b),
    "gt": _ordered(lambda a, b: a > b),
    "ge": _ordered(lambda a, b: a >= b),
}


def render(cond: Condition) -> str:
    """A compact, readable text form: ``weapon_class in {tube_artillery, rocket_artillery} and ...``."""
    if isinstance(cond, Cmp):
        sym = {"eq": "=", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">=",
               "in": "in", "not_in": "not in"}[cond.op]
        v = cond.value
        shown = ("{" + ", ".join(v) + "}") if isinstance(v, tuple) else (
            v.name if isinstance(v, Param) else str(v).lower() if isinstance(v, bool) else
            f"{v:g}" if isinstance(v, float) else v)
        return f"{cond.field} {sym} {shown}"
    if isinstance(cond, Not):
        return f"not ({render(cond.item)})"
    if not cond.items:
        return "always" if isinstance(cond, AllOf) else "never"
    joiner = " and " if isinstance(cond, AllOf) else " or "
    parts = [render(c) if isinstance(c, (Cmp, Not)) else f"({render(c)})" for c in cond.items]
    return joiner.join(parts)


def all_of(conds: Sequence[Condition]) -> Condition:
    return conds[0] if len(conds) == 1 else AllOf(tuple(conds))
