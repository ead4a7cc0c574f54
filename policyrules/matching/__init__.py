"""Matching backends: given resolved conditions, find which rules a set of facts matches.

A backend knows conditions and facts, nothing of strikes or policies. ``build`` returns a
:class:`Matcher` for one ordered list of conditions; ``match`` returns the indices of the
conditions that hold, ascending.

- ``durable``: durable_rules does the matching (the default; see :mod:`.durable`).
- ``compiled``: the conditions compiled to one Python function (the fast path and reference).

Matchers are shared: :func:`build` returns the live matcher of equal conditions on the same
backend if there is one (engines of one pack, ``with_parameters`` engines giving the same values,
versions with the same rules), and a matcher is freed with its last user (the table holds weak
references). A matcher holds no state between two calls of ``match``.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Hashable, Mapping, Sequence
from typing import Any, Protocol

from ..language.conditions import Condition, comparisons
from ..model.errors import BackendError, PolicyRulesError

BACKENDS = ("durable", "compiled")


class Matcher(Protocol):
    def match(self, facts: Mapping[str, Any]) -> tuple[int, ...]: ...


_shared: weakref.WeakValueDictionary[Hashable, Any] = weakref.WeakValueDictionary()
_shared_lock = threading.Lock()


def shared_matchers() -> int:
    """How many matchers are alive and shared in this process (for tests and measurements)."""
    return len(_shared)


def _key(backend: str, conditions: Sequence[Condition]) -> Hashable:
    """Equal conditions, with the types of their values (``1.0 == True`` in Python, not in a matcher)."""
    conds = tuple(conditions)
    try:
        types = tuple(type(c.value).__name__ for cond in conds for c in comparisons(cond))
    except RecursionError:
        raise BackendError("conditions nested too deeply for a matcher") from None
    return backend, conds, types


def build(backend: str, conditions: Sequence[Condition], name: str) -> Matcher:
    """A matcher for ``conditions`` (already resolved: no parameters left): the live one for equal
    conditions on ``backend`` if there is one, else a new one."""
    if backend not in BACKENDS:
        raise PolicyRulesError(f"unknown backend {backend!r}; use one of: {', '.join(BACKENDS)}")
    key = _key(backend, conditions)
    with _shared_lock:  # one build per key at a time: a durable ruleset must not be built twice
        try:
            found: Matcher | None = _shared.get(key)
        except RecursionError:  # comparing deeply nested conditions
            raise BackendError("conditions nested too deeply for a matcher") from None
        if found is None:
            found = _new(backend, conditions, name)
            _shared[key] = found
        return found


def _new(backend: str, conditions: Sequence[Condition], name: str) -> Matcher:
    if backend == "compiled":
        from .compiled import CompiledMatcher

        return CompiledMatcher(conditions)
    if backend == "durable":
        from .durable import DurableMatcher

        return DurableMatcher(conditions, name)
    raise PolicyRulesError(f"unknown backend {backend!r}; use one of: {', '.join(BACKENDS)}")
