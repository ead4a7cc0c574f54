"""Matching backends: given resolved conditions, find which rules a set of facts matches.

A backend knows conditions and facts, nothing of strikes or policies. ``build`` returns a
:class:`Matcher` for one ordered list of conditions; ``match`` returns the indices of the
conditions that hold, ascending.

- ``durable``: durable_rules does the matching (the default; see :mod:`.durable`).
- ``compiled``: the conditions compiled to one Python function (the fast path and reference).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from ..language.conditions import Condition
from ..model.errors import PolicyRulesError

BACKENDS = ("durable", "compiled")


class Matcher(Protocol):
    def match(self, facts: Mapping[str, Any]) -> tuple[int, ...]: ...


def build(backend: str, conditions: Sequence[Condition], name: str) -> Matcher:
    """A matcher for ``conditions`` (already resolved: no parameters left)."""
    if backend == "compiled":
        from .compiled import CompiledMatcher

        return CompiledMatcher(conditions)
    if backend == "durable":
        from .durable import DurableMatcher

        return DurableMatcher(conditions, name)
    raise PolicyRulesError(f"unknown backend {backend!r}; use one of: {', '.join(BACKENDS)}")
