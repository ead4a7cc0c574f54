"""How conditions become durable_rules rulesets, and what they will cost, computed without durable_rules.

:mod:`.durable` sends what this module plans; nothing here imports durable_rules, so the cost of
a rule set can be known (and refused) before durable_rules sees any of it.

A condition becomes one durable_rules expression (:func:`.durable_form.translate`): single-key tests joined
with ``$and`` / ``$or``. durable_rules builds from it an *alpha network*: a test is a node under
the node of the test before it (``$and`` chains them), the alternatives of an ``$or`` all start
from the same node and meet again at a *forward* node. Equal tests under one node are shared.
Its limits, measured on durable-rules 2.0.28 (child processes, ``RLIMIT_AS`` and a timeout;
see ``tests/test_durable_limits.py``), are all limits on that network or on what a fact sets off:

- the tests under one node live in a hash table of 512 buckets with linear probing and no
  check for a full table: 511 distinct tests under one node build; the 512th makes
  ``create_ruleset`` loop forever, holding the GIL (any operator, any mix of fields);
- one durable rule takes at most 15 ``$and`` / ``$or`` nodes (16: error 113, "expression limit");
- one node links to at most 128 forward nodes (129: error 107), and at most 256 rules may end
  at one node (257: error 108);
- every alternative of an ``$or`` that holds fires its rule once, and a fact that sets off more
  than 64 actions in one ruleset corrupts memory (segmentation fault or abort) or is refused
  (error 303), so the firings one fact can set off are bounded per ruleset;
- the alternatives are walked path by path: an ``$and`` of k two-way ``$or`` that all hold
  walks 2**k paths (20 of them: 7.6 GB and 20 s at the first fact).

So, for each condition, before any ruleset is built: :func:`alternatives` counts the
alternatives of its expression that can hold together (exclusive ones, such as the values of
one field, count once); above :data:`MAX_ALTERNATIVES` the condition is refused. Otherwise it is
split along its ``$or`` into *pieces* (one durable rule each) until every piece is within the
per-rule limits, and the pieces are packed into rulesets within the per-ruleset limits, each
ruleset's network simulated node by node (:class:`Network`). A rule needing more than
:data:`MAX_PIECES_PER_RULE` pieces, or a rule set needing more than
:data:`MAX_RULESETS_PER_RULE_SET` rulesets, is refused. Refusals are :class:`DurableLimitError`
naming the condition by its index; the deciding layer names the rule and its file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

from ..language.conditions import Condition
from ..model.errors import BackendError
from .durable_form import PRIME_TEST, Expr, UnsendableError, canonical, normalise, translate

# Limits of durable-rules 2.0.28, each measured in a child process (RLIMIT_AS, timeout) with
# shapes built to hit it alone; the value kept is the measured one or, where a miss hangs or
# crashes the process, below it.

#: Distinct tests under one node of the alpha network. Measured: 511 build; 512 hang in
#: create_ruleset (one ``$or`` of 512 equalities; 512 rules of one ``$neq`` or ``$lt`` each; 256 + 256
#: equalities on two fields; 512 tests under a non-root node). Kept well below.
MAX_TESTS_UNDER_NODE = 448
#: ``$and`` / ``$or`` nodes in one durable rule. Measured: 15 build; 16 give error 113 (any nesting).
MAX_COMBINATORS = 15
#: Forward (``$or``) links from one node. Measured: 128 build; 129 give error 107.
MAX_FORWARD_LINKS = 128
#: Durable rules in one ruleset (257 rules ending at one node give error 108; far below that).
MAX_RULES_PER_RULESET = 48
#: Firings one fact can set off in one ruleset. Measured: 64 fine; 65 and more: segmentation
#: fault, abort or error 303 depending on the shape. Counted as an upper bound, per expression.
MAX_FIRINGS = 48
#: Alternatives of one condition that can hold together (its firings before splitting). Each
#: piece of a split takes at most MAX_FIRINGS of them, so this bounds the pieces of a rule and
#: the paths walked per fact; a rule of 4,096 alternatives builds in about 0.1 s into 128 rulesets
#: and 31 MB (``python -m benchmarks limits``); 2**20 took 7.6 GB before this limit.
MAX_ALTERNATIVES = 4096
#: Durable rules one condition may be split into (bounds the planning work and the memory of one rule).
MAX_PIECES_PER_RULE = 256
#: Durable rulesets behind one rule set: each is asked in turn at every evaluation (about 10 us
#: each with its fact's assert and retract) and holds about 60 KB before its rules.
MAX_RULESETS_PER_RULE_SET = 256
#: Durable rules behind one rule set. Each holds about 21 KB in durable_rules once a fact has gone
#: through its ruleset (measured: 1,000 rulesets of 48 rules, RSS after create and after the first
#: fact), about 45 KB in all (5,000 small rules: +227 MB, ``python -m benchmarks limits``).
MAX_DURABLE_RULES_PER_RULE_SET = 5000
#: Durable rules behind all the rule sets of one engine (about 0.45 GB at the limit).
MAX_DURABLE_RULES_PER_ENGINE = 10_000


@dataclass(frozen=True)
class Refusal:
    """Why a condition (``index``) or a whole rule set (``index`` None) cannot go to durable_rules."""

    index: int | None
    message: str


class DurableLimitError(BackendError):
    """A condition or rule set beyond what the durable backend can take (or durable_rules refused
    it). ``index`` is the condition's position in the rule set, None for the rule set as a whole;
    ``detail`` the message without it (the deciding layer names the rule and its file instead)."""

    def __init__(self, refusal: Refusal) -> None:
        self.index = refusal.index
        self.detail = refusal.message
        where = f"condition #{refusal.index}: " if refusal.index is not None else ""
        super().__init__(where + refusal.message)


class _RefusedError(Exception):
    """Raised inside the planner; the caller adds the condition's index."""


# Costs -----------------------------------------------------------------------------------


def _kind(expr: Expr) -> str | None:
    return "$and" if "$and" in expr else "$or" if "$or" in expr else None


def combinators(expr: Expr) -> int:
    """``$and`` / ``$or`` nodes in the expression (durable_rules takes MAX_COMBINATORS per rule)."""
    kind = _kind(expr)
    return 0 if kind is None else 1 + sum(combinators(p) for p in expr[kind])


def alternatives(expr: Expr) -> int:
    """At most how many alternatives of ``expr`` hold for one fact: how many times a durable rule
    with this expression fires, and how many paths durable_rules walks to find out. An ``$and``
    multiplies; an ``$or`` adds, except that alternatives requiring different values of one field
    exclude each other (the values of an ``in`` list; the branches of a presence flag)."""
    if "$and" in expr:
        n = 1
        for part in expr["$and"]:
            n *= alternatives(part)
        return n
    if "$or" in expr:
        parts = expr["$or"]
        keyed = _exclusive(parts)
        if keyed is None:
            return sum(alternatives(p) for p in parts)
        totals: dict[tuple[str, object], int] = {}
        for value, p in zip(keyed, parts, strict=True):
            totals[value] = totals.get(value, 0) + alternatives(p)
        return max(totals.values())
    return 1


def _equalities(expr: Expr) -> dict[str, tuple[str, object]]:
    """The field -> value equalities an expression requires at its top (itself, or items of its ``$and``)."""
    items = expr.get("$and", [expr])
    out: dict[str, tuple[str, object]] = {}
    for item in items:
        if len(item) == 1:
            ((key, value),) = item.items()
            if not key.startswith("$") and not isinstance(value, (dict, list)):
                out.setdefault(key, canonical(value))
    return out


def _exclusive(parts: list[Expr]) -> list[tuple[str, object]] | None:
    """When every alternative requires an equality on one common field: each one's value there."""
    tables = [_equalities(p) for p in parts]
    if not tables or not tables[0]:
        return None
    for field in tables[0]:
        if all(field in t for t in tables):
            return [t[field] for t in tables]
    return None


class Network:
    """durable_rules' alpha network for one ruleset, simulated as far as its limits go: the
    distinct tests under each node and the forward links of each node. Pieces are added with
    :meth:`fits`, which undoes a piece that would cross a limit."""

    def __init__(self) -> None:
        self.tests: list[dict[str, int]] = [{}]  # node 0: the root every rule starts from
        self.links: list[int] = [0]
        self._journal: list[tuple[int, str | None]] = []  # (node, test added) or (node, None): a link
        self.over: str | None = None
        self._add(PRIME_TEST, 0)
        self._journal.clear()

    def fits(self, expr: Expr) -> bool:
        """Add ``expr`` as one more durable rule if every node stays within the limits."""
        mark, nodes = len(self._journal), len(self.tests)
        self._add(expr, 0)
        if self.over is None:
            return True
        while len(self._journal) > mark:
            node, test = self._journal.pop()
            if test is None:
                self.links[node] -= 1
            else:
                del self.tests[node][test]
        del self.tests[nodes:], self.links[nodes:]
        self.over = None
        return False

    def _node(self) -> int:
        self.tests.append({})
        self.links.append(0)
        return len(self.tests) - 1

    def _add(self, expr: Expr, parent: int) -> int:
        """The node where ``expr``, starting from ``parent``, ends."""
        if "$and" in expr:
            at = parent
            for part in expr["$and"]:
                at = self._add(part, at)
            return at
        if "$or" in expr:
            forward = self._node()
            for part in expr["$or"]:
                end = self._add(part, parent)
                self.links[end] += 1
                self._journal.append((end, None))
                if self.links[end] > MAX_FORWARD_LINKS and self.over is None:
                    self.over = f"{self.links[end]} alternatives meeting at one test"
            return forward
        key = repr(expr)  # equal reprs are equal tests; unequal ones may not be (1, 1.0): counted twice, safe
        under = self.tests[parent]
        node = under.get(key)
        if node is None:
            node = under[key] = self._node()
            self._journal.append((parent, key))
            if len(under) > MAX_TESTS_UNDER_NODE and self.over is None:
                self.over = f"{len(under)} distinct tests under one node"
        return node


# Planning: split along $or, pack into rulesets ----------------------------------------------


def _ors(expr: Expr, path: tuple[int, ...] = ()) -> Iterator[tuple[tuple[int, ...], Expr]]:
    """Every ``$or`` with two or more branches, outermost first, with its path."""
    kind = _kind(expr)
    if kind is None:
        return
    if kind == "$or" and len(expr["$or"]) > 1:
        yield path, expr
    for i, part in enumerate(expr[kind]):
        yield from _ors(part, (*path, i))


def _replaced(expr: Expr, path: tuple[int, ...], new: Expr) -> Expr:
    if not path:
        return new
    kind = _kind(expr)
    assert kind is not None
    parts = list(expr[kind])
    parts[path[0]] = _replaced(parts[path[0]], path[1:], new)
    return {kind: parts}


def _leaves(expr: Expr) -> int:
    kind = _kind(expr)
    return 1 if kind is None else sum(_leaves(p) for p in expr[kind])


def split(expr: Expr, reason: str = "alternatives") -> tuple[Expr, Expr] | None:
    """Two expressions whose disjunction is ``expr``: one ``$or`` of it halved, the one that best
    reduces what ``reason`` ("alternatives", "combinators" or "tests") counts; None without an ``$or``."""
    best: tuple[int, int, tuple[int, ...], Expr] | None = None
    for rank, (path, node) in enumerate(_ors(expr)):
        branches = node["$or"]
        half = len(branches) // 2
        if reason == "combinators":  # the nodes the worse half loses
            score = combinators(node) - max(combinators(_or(branches[:half])), combinators(_or(branches[half:])))
        elif reason == "tests":
            score = _leaves(node)
        else:
            n = alternatives(node)
            score = n if n > 1 else 0
        if best is None or score > best[0]:
            best = (score, -rank, path, node)
    if best is None:
        return None
    _, _, path, node = best
    branches = node["$or"]
    half = len(branches) // 2
    return (normalise(_replaced(expr, path, _or(branches[:half]))),
            normalise(_replaced(expr, path, _or(branches[half:]))))


def _or(parts: list[Expr]) -> Expr:
    return parts[0] if len(parts) == 1 else {"$or": parts}


def _problem(expr: Expr) -> str | None:
    """What stops ``expr`` from being one durable rule alone in a ruleset, or None."""
    if alternatives(expr) > MAX_FIRINGS:
        return "alternatives"
    if combinators(expr) > MAX_COMBINATORS:
        return "combinators"
    # A node has at most as many tests under it as the expression has tests (and forward links).
    if _leaves(expr) > min(MAX_TESTS_UNDER_NODE, MAX_FORWARD_LINKS) and not Network().fits(expr):
        return "tests"
    return None


def _too_many(n: int) -> str:
    return (f"its durable_rules form needs {n:,} alternatives that can hold together; the limit is "
            f"{MAX_ALTERNATIVES:,}; use backend='compiled' or simplify the condition")


def pieces_of(expr: Expr) -> list[Expr]:
    """``expr`` split into durable rules that each fit alone in a ruleset (raises _RefusedError)."""
    n = alternatives(expr)
    if n > MAX_ALTERNATIVES:
        raise _RefusedError(_too_many(n))
    out: list[Expr] = []
    todo = [expr]
    while todo:
        e = todo.pop(0)
        reason = _problem(e)
        if reason is None:
            out.append(e)
            continue
        halves = split(e, reason)
        if halves is None:
            net = Network()
            net.fits(e)
            what = {"combinators": f"{combinators(e)} nested any/all/not in one durable rule; the limit is "
                                   f"{MAX_COMBINATORS}", "tests": f"{net.over}; the limit is {MAX_TESTS_UNDER_NODE}"}
            raise _RefusedError(f"its durable_rules form has {what.get(reason, reason)}; use backend='compiled' "
                                "or simplify the condition")
        todo[:0] = halves
        if len(out) + len(todo) > MAX_PIECES_PER_RULE:
            raise _RefusedError(f"its durable_rules form needs more than {MAX_PIECES_PER_RULE} durable rules "
                                f"(limits: {MAX_FIRINGS} firings, {MAX_COMBINATORS} any/all per rule, "
                                f"{MAX_TESTS_UNDER_NODE} tests under one node); use backend='compiled' or simplify "
                                "the condition")
    return out


Piece = tuple[int, Expr]  # (condition index, durable expression)
_A = TypeVar("_A")
_T = TypeVar("_T")


def _guarded(i: int, step: Callable[[_A], _T], arg: _A) -> _T:
    """``step(arg)`` for condition ``i``, its refusals as DurableLimitError naming the condition."""
    try:
        return step(arg)
    except (_RefusedError, UnsendableError) as e:
        raise DurableLimitError(Refusal(i, str(e))) from None
    except RecursionError:
        raise DurableLimitError(Refusal(i, "conditions nested too deeply for durable_rules")) from None


def _costed(cond: Condition) -> tuple[Expr, int]:
    expr = translate(cond)
    n = alternatives(expr)
    if n > MAX_ALTERNATIVES:
        raise _RefusedError(_too_many(n))
    return expr, n


def _translated(i: int, cond: Condition) -> tuple[Expr, int]:
    """The condition's durable expression and its alternatives (refused above MAX_ALTERNATIVES)."""
    return _guarded(i, _costed, cond)


def _rule_set_refusal(message: str) -> DurableLimitError:
    return DurableLimitError(Refusal(None, f"{message}; use backend='compiled' or fewer or simpler rules"))


def _check_alternatives(total: int) -> None:
    """A ruleset holds at most MAX_FIRINGS alternatives: refuse at once a rule set that cannot fit."""
    least = -(-total // MAX_FIRINGS)
    if least > MAX_RULESETS_PER_RULE_SET:
        raise _rule_set_refusal(f"its durable_rules form needs at least {least:,} rulesets ({total:,} alternatives "
                                f"that can hold together, at most {MAX_FIRINGS} to a ruleset); the limit is "
                                f"{MAX_RULESETS_PER_RULE_SET:,}")


def _too_many_pieces() -> DurableLimitError:
    return _rule_set_refusal(f"its durable_rules form needs more than {MAX_DURABLE_RULES_PER_RULE_SET:,} durable rules")


def _pieces(exprs: Sequence[tuple[int, Expr]]) -> list[Piece]:
    out: list[Piece] = []
    for i, expr in exprs:
        out.extend((i, e) for e in _guarded(i, pieces_of, expr))
        if len(out) > MAX_DURABLE_RULES_PER_RULE_SET:
            raise _too_many_pieces()
    return out


def pieces(conditions: Sequence[Condition]) -> list[Piece]:
    """(condition index, durable expression) pairs, each one durable rule; raises DurableLimitError."""
    exprs = [(i, _translated(i, cond)) for i, cond in enumerate(conditions)]
    _check_alternatives(sum(n for _, (_, n) in exprs))
    return _pieces([(i, e) for i, (e, _) in exprs])


def pack(items: Sequence[Piece]) -> list[list[Piece]]:
    """Group pieces, in order, into rulesets within MAX_FIRINGS, MAX_RULES_PER_RULESET and the
    limits of the alpha network (each piece fits alone in a ruleset: :func:`pieces_of` ensures it);
    refused beyond MAX_RULESETS_PER_RULE_SET rulesets."""
    groups: list[list[Piece]] = []
    load = 0
    net = Network()
    for item in items:
        weight = alternatives(item[1])
        if not groups or load + weight > MAX_FIRINGS or len(groups[-1]) >= MAX_RULES_PER_RULESET \
                or not net.fits(item[1]):
            if len(groups) == MAX_RULESETS_PER_RULE_SET:
                raise _rule_set_refusal(f"its durable_rules form needs more than {MAX_RULESETS_PER_RULE_SET:,} "
                                        "rulesets")
            groups.append([])
            load = 0
            net = Network()
            fitted = net.fits(item[1])
            assert fitted, "a piece that does not fit alone"
        groups[-1].append(item)
        load += weight
    return groups


def plan(conditions: Sequence[Condition]) -> list[list[Piece]]:
    """The rulesets for ``conditions`` (raises DurableLimitError, before durable_rules is called)."""
    return pack(pieces(conditions))


@dataclass(frozen=True)
class Feasibility:
    """What the durable backend would make of a rule set: the refusals (none: it builds), and else
    how many durable rules and rulesets it needs."""

    refusals: tuple[Refusal, ...]
    rules: int = 0
    rulesets: int = 0


def feasibility(conditions: Sequence[Condition]) -> Feasibility:
    """Everything the durable backend would refuse in ``conditions``, without building anything:
    one refusal per condition it cannot take, else one for the rule set as a whole if any. Costs
    no more than planning the rule set: the rule set's refusals are found before its planning."""
    found: list[Refusal] = []
    exprs: list[tuple[int, Expr]] = []
    total = 0
    for i, cond in enumerate(conditions):
        try:
            expr, n = _translated(i, cond)
        except DurableLimitError as e:
            found.append(Refusal(e.index, e.detail))
            continue
        exprs.append((i, expr))
        total += n
    try:
        _check_alternatives(total)
    except DurableLimitError as e:
        return Feasibility((*found, Refusal(e.index, e.detail)))
    items: list[Piece] = []
    for i, expr in exprs:
        try:
            items.extend((i, e) for e in _guarded(i, pieces_of, expr))
        except DurableLimitError as e:
            found.append(Refusal(e.index, e.detail))
        if len(items) > MAX_DURABLE_RULES_PER_RULE_SET:  # planning stops here: its work stays bounded
            over = _too_many_pieces()
            return Feasibility((*found, Refusal(over.index, over.detail)))
    if found:
        return Feasibility(tuple(found))
    try:
        groups = pack(items)
    except DurableLimitError as e:
        return Feasibility((Refusal(e.index, e.detail),))
    return Feasibility((), len(items), len(groups))
