"""The durable_rules backend. The only module that imports durable_rules.

Each rule set becomes one durable_rules ruleset with one durable rule per policy rule (or
a few, see below), registered on a private handle of durable_rules' C engine (``durable_rules_engine``):
no global ``durable.lang`` host, no background timer threads, no shared ruleset names.
To find *every* matching rule, a strike is asserted as a fact (an event would be consumed
by the first action only), every pending action is collected, and the fact is retracted
in a ``finally`` so no state outlives an evaluation. A lock per matcher serialises the
assert / collect / retract sequence, so one engine can be shared by threads. When that
sequence stops midway (an error, or KeyboardInterrupt), the session is deleted outright:
an action started and never completed leaves durable_rules' session locked (every later
fact then silently matches nothing) and an abandoned one is delivered again with the next
fact (measured); a deleted session is recreated clean by the next fact.

durable_rules quirks handled here (measured with durable-rules 2.0.28):

- a JSON ``null`` in a fact corrupts the matching of the fields after it, so a missing
  value is sent as the empty string (no rule may compare with ``""``: ids are non-empty);
- but ``""`` compared with a number is unreliable (``"" >= -1`` holds; ``"" != 0`` holds
  only the first time), so a field compared with numbers also gets a presence flag
  (``_has_<field>``) that guards each numeric test;
- a condition object with several keys silently tests only the first, so every test is
  its own single-key object, joined with ``$and`` / ``$or``;
- numbers written with an exponent (``1e-07``) fail to parse, so numbers are written in
  positional notation;
- there is no negation operator, so negations are pushed down to the comparisons here (not
  with ``nnf``: a missing value fails ``x < 1`` *and* ``x >= 1``, so ``not x < 1`` must
  become ``x >= 1 or x missing``);
- an ``$or`` fires once per alternative that holds, so matches are de-duplicated;
- more than 64 firings for one fact in one ruleset corrupt memory (segmentation fault or
  abort, measured: 64 pass, 65 crash), so a rule that could fire more often is split along an
  ``$or`` into several durable rules, and rules are packed into as many rulesets as needed
  to keep every ruleset within :data:`MAX_FIRINGS` (an upper bound counted per expression);
- its errors are bare ``Exception`` or its own ``error``: mapped to ``BackendError`` here.
"""

from __future__ import annotations

import itertools
import json
import threading
import weakref
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from ..language.conditions import NEGATED, AllOf, Cmp, Condition, Not, comparisons
from ..model.errors import BackendError

try:
    import durable_rules_engine as _dre
except ImportError as _e:  # pragma: no cover - depends on the interpreter
    _dre = None
    _IMPORT_ERROR: str | None = (
        f"the durable backend needs durable-rules 2.0.28, which did not import ({_e}); it supports "
        "Python 3.10 to 3.12. Use Engine.load(backend='compiled') or a supported Python."
    )
else:
    _IMPORT_ERROR = None

_names = itertools.count()
_ALWAYS = {"_k": 1}
_NEVER = {"_k": 0}
_DURABLE_OP = {"ne": "$neq", "lt": "$lt", "le": "$lte", "gt": "$gt", "ge": "$gte"}


def number(x: float) -> str:
    """A number in the positional notation durable_rules parses: 1e-07 -> 0.0000001."""
    if isinstance(x, bool):
        raise TypeError("a boolean is not a number")
    text = repr(float(x))
    if "e" in text or "E" in text:
        text = format(Decimal(text), "f")
    return text


def dump(obj: Any) -> str:
    """JSON with positional numbers and no nulls (see the module notes)."""
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


_TEXT: dict[str, str] = {}  # JSON of the strings seen so far: catalog ids and enum values


def _text(value: str) -> str:
    out = _TEXT.get(value)
    if out is None:
        out = json.dumps(value, ensure_ascii=False)
        if len(_TEXT) < 100_000:
            _TEXT[value] = out
    return out


def encode_fact(facts: Mapping[str, Any], fact_id: int) -> str:
    """The fact JSON for durable_rules (as :func:`dump`, but fast on the flat facts of a strike)."""
    parts = [f'{{"sid":"0","id":{fact_id},"_k":1']
    for key, value in facts.items():
        kind = type(value)
        if kind is str:
            encoded = _text(value)
        elif kind is bool:
            encoded = "true" if value else "false"
        elif value is None:
            encoded = '""'
        elif kind is float or kind is int:
            encoded = number(value)
        else:
            encoded = dump(value)
        parts.append(f"{_text(key)}:{encoded}")
    return ",".join(parts) + "}"


def translate(cond: Condition) -> dict[str, Any]:
    """A condition as a durable_rules expression (single-key objects only)."""
    return _tr(cond, False)


def presence_flag(field: str) -> str:
    return f"_has_{field}"


def number_fields(conditions: Sequence[Condition]) -> frozenset[str]:
    """The fields compared with numbers: facts carry a presence flag for each."""
    return frozenset(c.field for cond in conditions for c in comparisons(cond)
                     if isinstance(c.value, (int, float)) and not isinstance(c.value, bool))


def _tr(c: Condition, negate: bool) -> dict[str, Any]:
    if isinstance(c, Not):
        return _tr(c.item, not negate)
    if isinstance(c, Cmp):
        return _cmp(c, negate)
    if not c.items:
        return dict(_ALWAYS if isinstance(c, AllOf) != negate else _NEVER)
    parts = [_tr(i, negate) for i in c.items]
    if len(parts) == 1:
        return parts[0]
    return {"$and" if isinstance(c, AllOf) != negate else "$or": parts}  # De Morgan when negated


def _cmp(c: Cmp, negate: bool) -> dict[str, Any]:
    op = NEGATED[c.op] if negate else c.op
    v = c.value
    if op in ("in", "not_in"):
        assert isinstance(v, tuple)
        tests = [{c.field: x} if op == "in" else {"$neq": {c.field: x}} for x in v]
        return tests[0] if len(tests) == 1 else {"$or" if op == "in" else "$and": tests}
    test = {c.field: v} if op == "eq" else {_DURABLE_OP[op]: {c.field: v}}
    if not isinstance(v, (int, float)) or isinstance(v, bool):
        return test
    # A missing value satisfies only "ne" (the reference: None != x) and the negation of the rest.
    flag = presence_flag(c.field)
    if (c.op == "ne") != negate:
        return {"$or": [{flag: False}, test]}
    return {"$and": [{flag: True}, test]}


def available() -> bool:
    return _dre is not None


# A fact that sets off more than 64 actions in one durable_rules ruleset corrupts its memory
# (measured: 64 fine; 65 and more: segmentation fault or abort, no error). Rules are split and
# packed so that no ruleset can fire more than this many times for one fact.
MAX_FIRINGS = 48
MAX_RULES_PER_RULESET = 48


def firings_bound(expr: dict[str, Any]) -> int:
    """At most how many times a durable rule with this expression fires for one fact: each of
    its alternatives (after expansion to a disjunction) that holds fires once."""
    if "$and" in expr:
        n = 1
        for part in expr["$and"]:
            n *= firings_bound(part)
        return n
    if "$or" in expr:
        parts = expr["$or"]
        if _same_field_equalities(parts):
            return 1  # one field has one value: at most one of these holds
        return sum(firings_bound(p) for p in parts)
    return 1


def _same_field_equalities(parts: list[dict[str, Any]]) -> bool:
    keys = [next(iter(p)) for p in parts if len(p) == 1]
    return len(keys) == len(parts) and len(set(keys)) == 1 and not keys[0].startswith("$") and \
        len({json.dumps(p[keys[0]]) for p in parts}) == len(parts)


def split(expr: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """Two expressions whose disjunction is ``expr``, each with fewer alternatives (the first
    ``$or`` with several branches is halved), or None when there is no ``$or`` to split."""
    if "$or" in expr and len(expr["$or"]) > 1:
        parts = expr["$or"]
        half = len(parts) // 2
        return _or(parts[:half]), _or(parts[half:])
    for op in ("$and", "$or"):
        if op in expr:
            for k, part in enumerate(expr[op]):
                halves = split(part)
                if halves is not None:
                    a, b = ([*expr[op][:k], h, *expr[op][k + 1:]] for h in halves)
                    return {op: a}, {op: b}
    return None


def _or(parts: list[dict[str, Any]]) -> dict[str, Any]:
    return parts[0] if len(parts) == 1 else {"$or": parts}


def pieces(conditions: Sequence[Condition]) -> list[tuple[int, dict[str, Any]]]:
    """(rule index, durable expression) pairs, each firing at most MAX_FIRINGS times per fact."""
    out: list[tuple[int, dict[str, Any]]] = []
    for i, cond in enumerate(conditions):
        todo = [translate(cond)]
        while todo:
            expr = todo.pop(0)
            halves = split(expr) if firings_bound(expr) > MAX_FIRINGS else None
            if halves is None:
                out.append((i, expr))
            else:
                todo[:0] = halves
    return out


def pack(items: list[tuple[int, dict[str, Any]]]) -> list[list[tuple[int, dict[str, Any]]]]:
    """Group pieces, in order, into rulesets within MAX_FIRINGS and MAX_RULES_PER_RULESET."""
    groups: list[list[tuple[int, dict[str, Any]]]] = []
    load = 0
    for item in items:
        weight = firings_bound(item[1])
        if not groups or load + weight > MAX_FIRINGS or len(groups[-1]) >= MAX_RULES_PER_RULESET:
            groups.append([])
            load = 0
        groups[-1].append(item)
        load += weight
    return groups


class DurableMatcher:
    """Finds every rule whose condition holds, by asking durable_rules.

    The rules become one durable_rules ruleset, or several when one would be too large for
    it (see MAX_FIRINGS); each is asked in turn, under one lock."""

    def __init__(self, conditions: Sequence[Condition], name: str) -> None:
        if _dre is None:
            raise BackendError(_IMPORT_ERROR or "durable_rules is unavailable")
        self.name = f"policyrules.{name}.{next(_names)}"
        try:
            flags = tuple((f, presence_flag(f)) for f in sorted(number_fields(conditions)))
            groups = pack(pieces(conditions))
        except RecursionError:
            raise BackendError(f"rule set {name}: conditions nested too deeply for durable_rules") from None
        self._flags = flags
        parts: list[_Ruleset] = []
        for group in groups:
            parts.extend(self._build(group, name))
        self.parts = tuple(parts)
        self._lock = threading.Lock()

    def _build(self, items: list[tuple[int, dict[str, Any]]], name: str) -> list[_Ruleset]:
        """Rulesets for ``items``; when durable_rules refuses one (its limits on the shape of a
        ruleset are not documented: codes 108, 113), it is split in two and tried again."""
        try:
            return [_Ruleset(f"{self.name}.{next(_names)}", items)]
        except _RefusedError as e:
            if len(items) > 1:
                half = len(items) // 2
                return self._build(items[:half], name) + self._build(items[half:], name)
            (i, expr), = items
            halves = split(expr)
            if halves is None:
                raise BackendError(f"durable_rules refused rule #{i} of rule set {name} ({e.code}); "
                                   "use backend='compiled'") from None
            return self._build([(i, halves[0])], name) + self._build([(i, halves[1])], name)

    def match(self, facts: Mapping[str, Any]) -> tuple[int, ...]:
        with self._lock:
            if self._flags:
                facts = {**facts, **{flag: facts.get(f) is not None for f, flag in self._flags}}
            matched: set[int] = set()
            for part in self.parts:
                matched.update(part.match(facts))
            return tuple(sorted(matched))


class _RefusedError(Exception):
    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(code)


class _Ruleset:
    """One durable_rules ruleset on a private handle: assert, collect, retract."""

    def __init__(self, name: str, items: list[tuple[int, dict[str, Any]]]) -> None:
        self.name = name
        self.definition = {f"r{i}_{k}": {"all": [{"m": expr}]} for k, (i, expr) in enumerate(items)}
        try:
            self._handle = _dre.create_ruleset(self.name, dump(self.definition))
        except Exception as e:
            raise _RefusedError(str(e)) from None
        self._finalizer = weakref.finalize(self, _delete, self._handle)
        self._ids = itertools.count(1)
        self._broken = False

    def match(self, facts: Mapping[str, Any]) -> list[int]:
        if self._broken:
            raise BackendError(f"durable_rules ruleset {self.name} is unusable after an earlier failure")
        fact = encode_fact(facts, next(self._ids))
        matched: list[int] = []
        clean = False
        try:
            try:
                result = _dre.assert_fact(self._handle, fact)
            except Exception as e:
                raise BackendError(f"durable_rules could not take the strike: {e}") from None
            try:
                if result[0] == 0:
                    state = result[1]
                    action = _dre.start_action_for_state(self._handle, state)
                    while action:
                        message = action[1]
                        matched.append(int(message[3:message.index("_", 3)]))
                        nxt = _dre.complete_and_start_action(self._handle, state)
                        action = (action[0], nxt) if nxt else None
                elif result[0] != 1:  # 1: no rule matched
                    raise BackendError(f"durable_rules answered code {result[0]} to a fact")
            except BackendError:
                raise
            except Exception as e:
                raise BackendError(f"durable_rules failed while matching: {e}") from None
            try:
                _dre.retract_fact(self._handle, fact)  # a fact nothing matched was not stored: a no-op
            except Exception as e:
                raise BackendError(f"durable_rules could not retract the strike: {e}") from None
            clean = True
        finally:
            if not clean:  # stopped midway: leave nothing behind for the next evaluation
                self._reset(fact)
        return matched

    def _reset(self, fact: str) -> None:
        """Delete the session (its fact, its started and pending actions); should it survive,
        replace the ruleset by a fresh one: a failed evaluation never changes the next answers."""
        try:
            _dre.retract_fact(self._handle, fact)
        except Exception:  # noqa: S110 - best effort: the session goes next
            pass
        try:
            _dre.delete_state(self._handle, "0")
        except Exception:  # noqa: S110 - no session (error 309), or checked below
            pass
        try:
            _dre.get_state(self._handle, "0")
        except Exception:  # no session left: the next fact starts a clean one
            return
        try:
            fresh = _dre.create_ruleset(f"{self.name}.{next(_names)}", dump(self.definition))
        except Exception:  # pragma: no cover - durable_rules refusing a definition it took before
            self._broken = True
            return
        self._finalizer.detach()
        _delete(self._handle)
        self._handle = fresh
        self._finalizer = weakref.finalize(self, _delete, fresh)


def _delete(handle: Any) -> None:
    try:
        _dre.delete_ruleset(handle)
    except Exception:  # noqa: S110 - best effort at interpreter shutdown
        pass
