"""durable_rules state: nothing outlives an evaluation, not even one that failed midway.

Each durable matcher owns a private ruleset handle with one session (sid "0"). After any
number of evaluations the session holds no facts and its state is unchanged. When the
assert / collect / retract sequence stops midway (durable_rules raising, or a
KeyboardInterrupt), the evaluation raises (a BackendError for durable_rules' own failures),
the session is dropped, and the next evaluation gets exactly the right verdict: an action
left started used to lock the session, after which every strike silently matched nothing.
Memory over a million evaluations is measured by the benchmarks, not here; memory over thousands
of engines made and dropped is tested here, in a child process.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import durable_rules_engine
import pytest

import policyrules.matching.durable as durable_backend
from policyrules import BackendError, Engine, PolicyRulesError
from policyrules.matching.durable import DurableMatcher
from policyrules.packs.loader import load_pack

from .helpers import COUNTERFIRE_STRIKE
from .strike_samples import outcome, varied_strikes

PACK = load_pack()
STRIKES = varied_strikes(PACK, 400, seed=11)
# Matches several rules of us@2024-05-30 (counter-fire, and the Russia ban it overrides): it
# goes through start_action_for_state and complete_and_start_action.
COUNTERFIRE = COUNTERFIRE_STRIKE
REFERENCE = Engine(PACK, "compiled")


def matchers(engine: Engine) -> list[Any]:
    """Every durable_rules ruleset behind the engine's compiled rule sets (a matcher has one or more)."""
    found = [c.matcher for c in engine._deciders.values()]
    assert found and all(isinstance(m, DurableMatcher) for m in found)
    return [part for m in found for part in m.parts]  # type: ignore[attr-defined]


def facts_left(matcher: Any) -> str:
    """The session's facts as durable_rules lists them; "[]" also when there is no session at all."""
    try:
        return str(durable_rules_engine.get_facts(matcher._handle, "0"))
    except durable_rules_engine.error as e:
        assert "309" in str(e)  # no session: nothing stored
        return "[]"


def assert_right_and_clean(engine: Engine) -> None:
    """Every varied strike gets the compiled backend's verdict, and no matcher keeps a fact."""
    for s in STRIKES[:150]:
        assert _decided(engine, s) == _decided(REFERENCE, s), s
    assert all(facts_left(m) == "[]" for m in matchers(engine))


def _decided(engine: Engine, strike: dict[str, Any]) -> object:
    o = outcome(engine, strike)
    if isinstance(o, dict):
        return o["decision"], o["rule"]["id"], o["matched"], o["overridden"], o["policy"]["version"]
    return o


def test_many_evaluations_leave_no_facts_and_no_state_behind() -> None:
    """After thousands of evaluations (matching one rule, several, or none), every matcher's session
    holds no facts and its state is what it was after the first evaluation."""
    engine = Engine(PACK, "durable")
    for s in STRIKES:
        outcome(engine, s)
    states = {m.name: durable_rules_engine.get_state(m._handle, "0") for m in matchers(engine)}
    for _ in range(5):
        for s in STRIKES:
            outcome(engine, s)
    for m in matchers(engine):
        assert durable_rules_engine.get_facts(m._handle, "0") == "[]"
        assert durable_rules_engine.get_state(m._handle, "0") == states[m.name]


def failing_once(real: Callable[..., Any], exc: BaseException, *, after: bool) -> Callable[..., Any]:
    """``real``, except that its first call raises ``exc``: before doing anything, or after doing its
    work (an action started, or completed and the next one started, and never reported back)."""
    calls = 0

    def wrapper(*args: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 1:
            if after:
                real(*args)
            raise exc
        return real(*args)
    return wrapper


@pytest.mark.parametrize("after", [False, True], ids=["before", "after"])
@pytest.mark.parametrize("function", ["start_action_for_state", "complete_and_start_action"])
def test_a_durable_failure_midway_raises_a_backend_error_and_leaves_nothing_behind(
        monkeypatch: pytest.MonkeyPatch, function: str, after: bool) -> None:
    """durable_rules raising while the matches are collected becomes a BackendError (a
    PolicyRulesError); the session is left clean and the next evaluations are all right."""
    assert vars(durable_backend)["_dre"] is durable_rules_engine  # the functions patched are the ones it calls
    engine = Engine(PACK, "durable")
    engine.evaluate(COUNTERFIRE)  # compiled and used once
    real = getattr(durable_rules_engine, function)
    monkeypatch.setattr(durable_rules_engine, function,
                        failing_once(real, durable_rules_engine.error("simulated failure"), after=after))
    with pytest.raises(BackendError, match="durable_rules failed while matching: simulated failure") as info:
        engine.evaluate(COUNTERFIRE)
    assert isinstance(info.value, PolicyRulesError)
    assert all(facts_left(m) == "[]" for m in matchers(engine))
    assert engine.evaluate(COUNTERFIRE).rule.id == "us-kharkiv-counterfire"
    assert_right_and_clean(engine)


def test_an_interrupt_midway_propagates_and_leaves_nothing_behind(monkeypatch: pytest.MonkeyPatch) -> None:
    """A KeyboardInterrupt while matches are collected is not swallowed or converted, and an
    interactive user who carries on gets right verdicts from the same engine."""
    engine = Engine(PACK, "durable")
    engine.evaluate(COUNTERFIRE)
    real = durable_rules_engine.complete_and_start_action
    monkeypatch.setattr(durable_rules_engine, "complete_and_start_action",
                        failing_once(real, KeyboardInterrupt(), after=False))
    with pytest.raises(KeyboardInterrupt):
        engine.evaluate(COUNTERFIRE)
    assert_right_and_clean(engine)


def test_a_failing_retract_raises_a_backend_error_and_leaves_nothing_behind(monkeypatch: pytest.MonkeyPatch) -> None:
    engine = Engine(PACK, "durable")
    engine.evaluate(COUNTERFIRE)
    monkeypatch.setattr(durable_rules_engine, "retract_fact",
                        failing_once(durable_rules_engine.retract_fact, durable_rules_engine.error("no"), after=False))
    with pytest.raises(BackendError, match="durable_rules could not retract the strike: no"):
        engine.evaluate(COUNTERFIRE)
    assert_right_and_clean(engine)


def test_a_session_that_cannot_be_deleted_is_replaced_by_a_fresh_ruleset(monkeypatch: pytest.MonkeyPatch) -> None:
    """Should durable_rules refuse to drop the session after a failure, the matcher swaps its
    ruleset for a fresh one (and frees the old one) rather than answer from a locked session."""
    engine = Engine(PACK, "durable")
    engine.evaluate(COUNTERFIRE)
    (matcher,) = [m for m in matchers(engine)]
    old = matcher._handle
    deleted: list[Any] = []
    real_delete_ruleset = durable_rules_engine.delete_ruleset

    def refuse(*args: Any) -> None:
        raise durable_rules_engine.error("refused")

    def delete_ruleset(handle: Any) -> None:
        deleted.append(handle)
        real_delete_ruleset(handle)

    monkeypatch.setattr(durable_rules_engine, "delete_state", refuse)
    monkeypatch.setattr(durable_rules_engine, "delete_ruleset", delete_ruleset)
    monkeypatch.setattr(durable_rules_engine, "start_action_for_state",
                        failing_once(durable_rules_engine.start_action_for_state, durable_rules_engine.error("x"),
                                     after=True))
    with pytest.raises(BackendError):
        engine.evaluate(COUNTERFIRE)
    assert matcher._handle != old and deleted == [old]
    assert engine.evaluate(COUNTERFIRE).rule.id == "us-kharkiv-counterfire"
    assert_right_and_clean(engine)


CHURN = """
import gc, json, random, sys
from policyrules import Engine

def rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20

backend = sys.argv[1]
strike = {"weapon": "HIMARS", "target_region": "belgorod", "target_type": "artillery", "self_defense": True,
          "defended_region": "kharkiv", "range_km": 30, "date": "2024-06-01"}
base = Engine.load(backend=backend)
base.evaluate(strike)
rnd = random.Random(5)

def parameters(n):
    for _ in range(n):
        base.with_parameters({"us.long_range_km": 40 + rnd.random() * 200}).evaluate(strike)

def packs(n):
    for _ in range(n):
        Engine.load(backend=backend).evaluate(strike)

import time
out = {}
for name, run, n in (("parameters", parameters, 2000), ("packs", packs, 20)):
    run(n // 10)  # warm-up: allocator pools, caches
    gc.collect()
    before = rss_mb()
    t0 = time.perf_counter()
    run(n)
    gc.collect()
    out[name] = rss_mb() - before
    out[name + "_s"] = time.perf_counter() - t0
print(json.dumps(out))
"""


@pytest.mark.parametrize("backend", ["durable", "compiled"])
def test_memory_stays_flat_over_thousands_of_engines_made_and_dropped(backend: str) -> None:
    """2,000 with_parameters engines (each with a value of its own) and 20 freshly loaded packs,
    each evaluating a strike and dropped, in a child process: RSS grows by less than 16 MB and 2 MB (each
    durable engine used to keep about 140 KB: 280 MB over 2,000)."""
    done = subprocess.run([sys.executable, "-c", CHURN, backend], capture_output=True, text=True, timeout=300,
                          check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    growth = json.loads(done.stdout)
    assert growth["parameters"] < 16 and growth["packs"] < 2, growth
