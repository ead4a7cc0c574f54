"""The durable_rules backend. The only module that imports durable_rules.

Each rule set becomes one or more durable_rules rulesets, planned by :mod:`.durable_plan` (the
translation of conditions and every limit of durable_rules, computed before anything is built),
registered on private handles of durable_rules' C engine (``durable_rules_engine``): no global
``durable.lang`` host, no background timer threads, no shared ruleset names.
To find *every* matching rule, a strike is asserted as a fact (an event would be consumed
by the first action only), every pending action is collected, and the fact is retracted
in a ``finally`` so no state outlives an evaluation. A lock per matcher serialises the
assert / collect / retract sequence, so one matcher can be shared by threads and engines. When that
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
- there is no negation operator, so negations are pushed down to the comparisons (not
  with ``nnf``: a missing value fails ``x < 1`` *and* ``x >= 1``, so ``not x < 1`` must
  become ``x >= 1 or x missing``);
- an ``$or`` fires once per alternative that holds, so matches are de-duplicated;
- the limits of its network (tests under one node, nodes per rule, firings per fact, see
  :mod:`.durable_plan`) hang, crash or refuse: rules are split and packed within them, or refused
  with a :class:`~.durable_plan.DurableLimitError` before durable_rules is called;
- strings of 65,536 bytes or more compare wrongly: longer than MAX_STRING_CHARS are refused;
- a ruleset deleted without its session first keeps about 78 KB: the session goes first;
- its errors are bare ``Exception`` or its own ``error``: mapped to ``BackendError`` here.
"""

from __future__ import annotations

import itertools
import json
import threading
import weakref
from collections.abc import Mapping, Sequence
from typing import Any

from ..language.conditions import Condition
from ..model.errors import BackendError
from .durable_form import (
    MAX_STRING_CHARS,
    PRIME_TEST,
    Expr,
    dump,
    number,
    number_fields,
    presence_flag,
    translate,
)
from .durable_plan import (
    MAX_FIRINGS,
    MAX_RULES_PER_RULESET,
    DurableLimitError,
    Piece,
    Refusal,
    alternatives,
    feasibility,
    pack,
    pieces,
    plan,
    split,
)

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

__all__ = ["MAX_FIRINGS", "MAX_LIVE_RULESETS", "MAX_RULES_PER_RULESET", "DurableLimitError", "DurableMatcher",
           "available", "dump", "encode_fact", "feasibility", "firings_bound", "live_rulesets", "number",
           "number_fields", "pack", "pieces", "plan", "presence_flag", "split", "translate"]

_names = itertools.count()
firings_bound = alternatives  # the name the packing code had first

#: durable_rules rulesets alive in this process. Its handle table holds 131,071 (measured: the
#: next create_ruleset fails with error 112, after about 7 GB with the smallest rulesets).
MAX_LIVE_RULESETS = 100_000


class _Count:
    def __init__(self) -> None:
        self.value = 0
        self.lock = threading.Lock()

    def add(self, n: int) -> None:
        with self.lock:
            self.value += n


_live = _Count()


def live_rulesets() -> int:
    """durable_rules rulesets currently alive in this process (built by this module, not yet freed)."""
    return _live.value


_TEXT: dict[str, str] = {}  # JSON of the strings seen so far: catalog ids and enum values


def _text(value: str) -> str:
    out = _TEXT.get(value)
    if out is None:
        if len(value) > MAX_STRING_CHARS:
            raise BackendError(f"a strike value of {len(value):,} characters; the durable backend takes at most "
                               f"{MAX_STRING_CHARS:,} (durable_rules compares long strings wrongly)")
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


def available() -> bool:
    return _dre is not None


class DurableMatcher:
    """Finds every rule whose condition holds, by asking durable_rules.

    The rules become one durable_rules ruleset, or several when one would be too large for
    it (see :mod:`.durable_plan`); each is asked in turn, under one lock. Raises
    :class:`DurableLimitError` (naming the condition) for conditions beyond durable_rules' limits,
    before anything is built."""

    def __init__(self, conditions: Sequence[Condition], name: str) -> None:
        if _dre is None:
            raise BackendError(_IMPORT_ERROR or "durable_rules is unavailable")
        self.name = f"policyrules.{name}.{next(_names)}"
        groups = plan(conditions)
        if _live.value + len(groups) > MAX_LIVE_RULESETS:
            raise BackendError(f"rule set {name}: this process already holds {_live.value:,} durable_rules rulesets; "
                               f"the limit is {MAX_LIVE_RULESETS:,} (drop engines no longer used)")
        try:
            self._flags = tuple((f, presence_flag(f)) for f in sorted(number_fields(conditions)))
        except RecursionError:
            raise BackendError(f"rule set {name}: conditions nested too deeply for durable_rules") from None
        self.parts = tuple(_Ruleset(f"{self.name}.{k}", group) for k, group in enumerate(groups))
        #: Durable rules behind this matcher (what its memory grows with).
        self.size = sum(len(group) for group in groups)
        self._lock = threading.Lock()

    def match(self, facts: Mapping[str, Any]) -> tuple[int, ...]:
        with self._lock:
            if self._flags:
                facts = {**facts, **{flag: facts.get(f) is not None for f, flag in self._flags}}
            matched: set[int] = set()
            for part in self.parts:
                matched.update(part.match(facts))
            return tuple(sorted(matched))


class _Ruleset:
    """One durable_rules ruleset on a private handle: assert, collect, retract."""

    def __init__(self, name: str, items: list[Piece]) -> None:
        self.name = name
        self.definition: dict[str, Expr] = {f"r{i}_{k}": {"all": [{"m": expr}]} for k, (i, expr) in enumerate(items)}
        self.definition[_PRIME_RULE] = {"all": [{"m": PRIME_TEST}]}
        self._h = _Handle(_create(self.name, self.definition, items[0][0]))
        self._finalizer = weakref.finalize(self, _delete, self._h)
        self._ids = itertools.count(1)
        self._broken = False

    def match(self, facts: Mapping[str, Any]) -> list[int]:
        if self._broken:
            raise BackendError(f"durable_rules ruleset {self.name} is unusable after an earlier failure")
        fact = encode_fact(facts, next(self._ids))
        handle = self._h.handle
        matched: list[int] = []
        clean = False
        try:
            try:
                result = _dre.assert_fact(handle, fact)
            except Exception as e:
                raise BackendError(f"durable_rules could not take the strike: {e}") from None
            try:
                if result[0] == 0:
                    state = result[1]
                    action = _dre.start_action_for_state(handle, state)
                    while action:
                        message = action[1]
                        matched.append(int(message[3:message.index("_", 3)]))
                        nxt = _dre.complete_and_start_action(handle, state)
                        action = (action[0], nxt) if nxt else None
                elif result[0] != 1:  # 1: no rule matched
                    raise BackendError(f"durable_rules answered code {result[0]} to a fact")
            except BackendError:
                raise
            except Exception as e:
                raise BackendError(f"durable_rules failed while matching: {e}") from None
            try:
                _dre.retract_fact(handle, fact)  # a fact nothing matched was not stored: a no-op
            except Exception as e:
                raise BackendError(f"durable_rules could not retract the strike: {e}") from None
            clean = True
        finally:
            if not clean:  # stopped midway: leave nothing behind for the next evaluation
                self._reset(fact)
        return matched

    @property
    def _handle(self) -> Any:
        """The durable_rules handle of this ruleset (replaced after a failure the session survived)."""
        return self._h.handle

    def _reset(self, fact: str) -> None:
        """Delete the session (its fact, its started and pending actions); should it survive,
        replace the ruleset by a fresh one: a failed evaluation never changes the next answers."""
        handle = self._h.handle
        try:
            _dre.retract_fact(handle, fact)
        except Exception:  # noqa: S110 - best effort: the session goes next
            pass
        if self._h.primed:  # else deleting the session could free garbage (see _Handle)
            try:
                _dre.delete_state(handle, "0")
            except Exception:  # noqa: S110 - refused: checked below
                pass
            try:
                _dre.get_state(handle, "0")
            except Exception:  # no session left: a fresh one, primed, for the next fact
                self._h.primed = _prime(handle)
                return
        try:
            fresh = _Handle(_create(f"{self.name}.{next(_names)}", self.definition, None))
        except BackendError:  # pragma: no cover - durable_rules refusing a definition it took before
            self._broken = True
            return
        self._finalizer.detach()
        _delete(self._h)
        self._h = fresh
        self._finalizer = weakref.finalize(self, _delete, fresh)


# Every ruleset has one more rule, fired once by a fact of its own just after the ruleset is made.
# durable_rules leaves two pointers of a new session uninitialised (context.messages and
# context.stateFact, in createStateNode) until an action has been started and completed, and
# delete_state frees them: deleting a session that never ran an action frees garbage (a crash or
# "free(): invalid pointer", depending on what the memory held before; found by the property
# tests). A primed session has run one, so deleting it is safe.
_PRIME_RULE = "prime"
_PRIME_FACT = '{"sid":"0","id":0,"_prime":true}'


class _Handle:
    """A ruleset handle, and whether its session has run an action (only then may it be deleted)."""

    def __init__(self, handle: Any) -> None:
        self.handle = handle
        self.primed = _prime(handle)


def _prime(handle: Any) -> bool:
    """Run the priming rule once (a fresh session, its action started and completed, the fact
    retracted); False if durable_rules did not go through with it."""
    acted = False
    try:
        result = _dre.assert_fact(handle, _PRIME_FACT)
        if result[0] == 0:
            state = result[1]
            action = _dre.start_action_for_state(handle, state)
            while action:
                acted = True
                action = _dre.complete_and_start_action(handle, state)
        _dre.retract_fact(handle, _PRIME_FACT)
    except Exception:
        return False
    return acted


def _create(name: str, definition: dict[str, Expr], first: int | None) -> Any:
    """A new ruleset handle. The plan keeps every ruleset within the measured limits, so a refusal
    here is a limit not modelled: it names the first condition of the ruleset."""
    try:
        handle = _dre.create_ruleset(name, dump(definition))
    except Exception as e:
        raise DurableLimitError(Refusal(first, f"durable_rules refused its durable form ({e}); use "
                                        "backend='compiled'")) from None
    _live.add(1)
    return handle


def _delete(h: _Handle) -> None:
    """Free a ruleset: its session first (delete_ruleset alone keeps about 78 KB of it, measured),
    when primed (see _Handle)."""
    _live.add(-1)
    if h.primed:
        try:
            _dre.delete_state(h.handle, "0")
        except Exception:  # noqa: S110 - no session (error 309): nothing to free
            pass
    try:
        _dre.delete_ruleset(h.handle)
    except Exception:  # noqa: S110 - best effort at interpreter shutdown
        pass
