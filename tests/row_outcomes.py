"""A row's outcome as ``evaluate`` gives it and as the vectorised path gives it, comparable (shared by
the vectorised path's test modules; tests import this module, never each other)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from policyrules import Engine, PolicyRulesError

if TYPE_CHECKING:
    from policyrules.deciding.vectorised import Decided


def expected(engine: Engine, row: dict[str, Any]) -> tuple[Any, ...]:
    """What evaluate says of a row (None: a field not given)."""
    try:
        v = engine.evaluate({k: x for k, x in row.items() if x is not None})
    except PolicyRulesError as e:
        return ("error", type(e).__name__, str(e))
    return (v.decision, v.rule.id, v.policy.id, v.policy.version)


def got(decided: Decided, i: int) -> tuple[Any, ...]:
    """What the vectorised path says of row ``i``."""
    e = decided.errors.get(i)
    if e is not None:
        return ("error", type(e).__name__, str(e))
    return decided.outcomes[int(decided.codes[i])]
