"""The durable_rules backend. The only module that imports durable_rules.

Each rule set becomes one durable_rules ruleset with one durable rule per policy rule,
registered on a private handle of durable_rules' C engine (``durable_rules_engine``):
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

from ..conditions import NEGATED, AllOf, Cmp, Condition, Not, comparisons
from ..errors import BackendError

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


class DurableMatcher:
    """Finds every rule whose condition holds, by asking durable_rules."""

    def __init__(self, conditions: Sequence[Condition], name: str) -> None:
        if _dre is None:
            raise BackendError(_IMPORT_ERROR or "durable_rules is unavailable")
        self.name = f"policyrules.{name}.{next(_names)}"
        try:
            self.definition = {f"r{i}": {"all": [{"m": translate(c)}]} for i, c in enumerate(conditions)}
            self._flags = tuple((f, presence_flag(f)) for f in sorted(number_fields(conditions)))
            self._handle = _dre.create_ruleset(self.name, dump(self.definition))
        except Exception as e:
            raise BackendError(f"durable_rules refused rule set {name}: {e}") from None
        self._finalizer = weakref.finalize(self, _delete, self._handle)
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._broken = False

    def match(self, facts: Mapping[str, Any]) -> tuple[int, ...]:
        with self._lock:
            if self._broken:
                raise BackendError(f"durable_rules ruleset {self.name} is unusable after an earlier failure")
            if self._flags:
                facts = {**facts, **{flag: facts.get(f) is not None for f, flag in self._flags}}
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
                            matched.append(int(message[3:message.index('"', 2)]))
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
            # an $or fires once per alternative that holds: one rule may be reported twice
            return tuple(sorted(set(matched)))

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
