"""Stage 5 of loading, and ``check``'s structure checks: the problems of one rule set (the rules of
``common`` in force and those of one policy version): duplicate ids, overrides naming no rule of
the set or the rule itself, override cycles. Every check is iterative and linear or near it, so
a chain of thousands of overrides costs no recursion.
"""

from __future__ import annotations

from ..model.errors import PackError, RuleFileError, echo
from .pack import Rule, RuleSet


class Problems:
    """The problems found so far, in order, without repeats (a rule inherited into several
    versions, or in several rule sets, is reported once)."""

    def __init__(self) -> None:
        self.errors: list[RuleFileError] = []
        self._seen: set[tuple[object, ...]] = set()

    def add(self, e: RuleFileError) -> None:
        # An unknown override names the rule set it was missed in: the same defect in two rule sets is one.
        key = (e.code, e.file, e.line, e.rule, e.field, None if e.code == "unknown-override" else e.detail)
        if key not in self._seen:
            self._seen.add(key)
            self.errors.append(e)

    def raise_any(self) -> None:
        if len(self.errors) == 1:
            raise self.errors[0]
        if self.errors:
            raise PackError(self.errors)


def ruleset_problems(rs: RuleSet) -> list[RuleFileError]:
    """Every problem of one rule set: duplicate ids, overrides naming no rule of the set or the rule
    itself, an override cycle."""
    out: list[RuleFileError] = []
    by_id: dict[str, Rule] = {}
    for r in rs.rules:
        if r.id in by_id:
            out.append(RuleFileError(r.file, f"duplicate rule id: also defined in {by_id[r.id].file}", rule=r.id,
                                     field="id", line=r.line, code="duplicate-id"))
        else:
            by_id[r.id] = r
    where = rs.version.ref + (f" + common@{rs.common.version}" if rs.common else "")
    for r in rs.rules:
        if r.overrides == "all":
            continue
        unknown = [t for t in sorted(r.overrides) if t not in by_id]
        if unknown:
            named = ", ".join(echo(t) for t in unknown[:5]) + (f" and {len(unknown) - 5} more" if unknown[5:] else "")
            what = "is not a rule" if len(unknown) == 1 else "are not rules"
            out.append(RuleFileError(r.file, f"overrides {named}, which {what} of {where}", rule=r.id,
                                     field="overrides", line=r.line, code="unknown-override"))
        if r.id in r.overrides:
            out.append(RuleFileError(r.file, "a rule cannot override itself", rule=r.id, field="overrides",
                                     line=r.line, code="override-cycle"))
    cycle = find_override_cycle(rs.rules)
    if cycle:
        first = by_id[cycle[0]]
        out.append(RuleFileError(first.file, "override cycle: " + " -> ".join([*cycle, cycle[0]]),
                                 rule=first.id, field="overrides", line=first.line, code="override-cycle"))
    return out


def check_ruleset(rs: RuleSet) -> None:
    """Raise the problems of one rule set (:func:`ruleset_problems`), if it has any."""
    problems = Problems()
    for e in ruleset_problems(rs):
        problems.add(e)
    problems.raise_any()


def find_override_cycle(rules: tuple[Rule, ...]) -> list[str] | None:
    """A cycle in "overrides" among ``rules`` (``all`` expanded), as rule ids, or None.

    A depth-first search with an explicit stack: a chain of any length costs no recursion."""
    position = {rid: i for i, rid in enumerate(dict.fromkeys(r.id for r in rules))}  # edges in rule order
    edges = {r.id: [o for o in position if o != r.id] if r.overrides == "all" else
             sorted((o for o in r.overrides if o in position and o != r.id), key=position.__getitem__)
             for r in rules}
    state: dict[str, int] = {}  # 1: on the current path, 2: finished
    for r in rules:
        if r.id in state:
            continue
        path = [r.id]
        stack = [iter(edges[r.id])]
        state[r.id] = 1
        while stack:
            for m in stack[-1]:
                if state.get(m) == 1:
                    return path[path.index(m):]
                if m not in state:
                    state[m] = 1
                    path.append(m)
                    stack.append(iter(edges[m]))
                    break
            else:
                state[path.pop()] = 2
                stack.pop()
    return None
