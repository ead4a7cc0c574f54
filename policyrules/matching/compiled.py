"""The compiled backend: every condition of a rule set becomes one line of one Python function.

The generated function takes the facts mapping and returns the tuple of indices of the
conditions that hold. Values are never spliced into the source: each constant is a name
bound in the function's namespace, so nothing in a rule file can become code.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..language.conditions import AllOf, AnyOf, Cmp, Condition, Not
from ..model.errors import BackendError

_PY_OP = {"eq": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">=", "in": "in",
          "not_in": "not in"}


class CompiledMatcher:
    def __init__(self, conditions: Sequence[Condition]) -> None:
        self.conditions = tuple(conditions)
        try:
            self.source, namespace = _generate(self.conditions)
            exec(compile(self.source, "<policyrules compiled rule set>", "exec"), namespace)  # noqa: S102
        except (SyntaxError, RecursionError, MemoryError) as e:  # e.g. conditions nested too deeply
            raise BackendError(f"cannot compile the rule set: {e}") from None
        # The generated function itself, not a method wrapping it: one call less per decision.
        self.match: Callable[[Mapping[str, Any]], tuple[int, ...]] = namespace["match"]


def _generate(conditions: tuple[Condition, ...]) -> tuple[str, dict[str, Any]]:
    consts: dict[str, Any] = {}
    names: dict[tuple[type, Any], str] = {}  # each distinct constant once (a dict: a scan was quadratic)
    fields: dict[str, str] = {}

    def const(value: Any) -> str:
        value = frozenset(value) if isinstance(value, tuple) else value
        key = (type(value), value)
        name = names.get(key)
        if name is None:
            name = names[key] = f"k{len(consts)}"
            consts[name] = value
        return name

    def var(field: str) -> str:
        if field not in fields:
            fields[field] = f"v{len(fields)}"
        return fields[field]

    def expr(c: Condition) -> str:
        if isinstance(c, Cmp):
            v = var(c.field)
            if c.op in ("lt", "le", "gt", "ge"):
                return f"({v} is not None and {v} {_PY_OP[c.op]} {const(c.value)})"
            return f"({v} {_PY_OP[c.op]} {const(c.value)})"
        if isinstance(c, Not):
            return f"(not {expr(c.item)})"
        if not c.items:
            return "True" if isinstance(c, AllOf) else "False"
        joiner = " and " if isinstance(c, AllOf) else " or "
        return "(" + joiner.join(expr(i) for i in c.items) + ")"

    assert all(isinstance(c, (Cmp, AllOf, AnyOf, Not)) for c in conditions)
    tests = [f"    if {expr(c)}: m.append({i})" for i, c in enumerate(conditions)]
    loads = [f"    {v} = f[{field!r}]" for field, v in fields.items()]
    src = "\n".join(["def match(f):", *loads, "    m = []", *tests, "    return tuple(m)", ""])
    return src, dict(consts)
