"""Threads: engines shared by threads, side by side, and used for the first time all at once.

An engine compiles its rule sets lazily (under a lock, once each) and then caches routes
(supplier, date -> compiled rule set) and verdict templates without a lock: each entry is
computed from immutable data, so two threads filling one entry store equal values, and a
dict assignment is atomic. The durable matcher serialises each assert / collect / retract
sequence with a lock of its own. These tests check the outcome: whatever the interleaving,
every verdict (or error) is exactly the one serial evaluation gives.
"""

from __future__ import annotations

import random
import shutil
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from policyrules import Engine
from policyrules.matching import BACKENDS
from policyrules.packs.loader import bundled_rules_dir, load_pack
from policyrules.packs.pack import RuleSet

from .strike_samples import outcome, varied_strikes

THREADS = 8
PACK = load_pack()
STRIKES = varied_strikes(PACK, 300, seed=7)


def run_together(jobs: Sequence[Callable[[], object]]) -> list[object]:
    """Run each job on its own thread, all released at once by a barrier; their results in order.
    An exception in a job is re-raised here."""
    barrier = threading.Barrier(len(jobs))
    results: list[object] = [None] * len(jobs)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = jobs[i]()
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    if errors:
        raise errors[0]
    return results


def shuffled_run(engine: Engine, strikes: list[dict[str, Any]], seed: int) -> Callable[[], list[object]]:
    """A job evaluating every strike in its own order, returning outcomes in the original order."""
    def job() -> list[object]:
        order = list(range(len(strikes)))
        random.Random(seed).shuffle(order)
        got: list[object] = [None] * len(strikes)
        for i in order:
            got[i] = outcome(engine, strikes[i])
        return got
    return job


@pytest.mark.parametrize("backend", BACKENDS)
def test_one_engine_shared_by_eight_threads_gives_exactly_the_serial_verdicts(backend: str) -> None:
    """Eight threads evaluating a few hundred varied strikes on one engine, each in its own order,
    all get exactly the verdicts (and errors) serial evaluation gives."""
    engine = Engine(PACK, backend)
    serial = [outcome(engine, s) for s in STRIKES]
    assert sum(isinstance(o, dict) for o in serial) > 200  # mostly verdicts, some errors
    results = run_together([shuffled_run(engine, STRIKES, seed) for seed in range(THREADS)])
    for got in results:
        assert got == serial


def _pack_with_long_range(tmp: Path, km: int) -> Path:
    root = tmp / "rules"
    shutil.copytree(bundled_rules_dir(), root)
    path = root / "us" / "baseline.yaml"
    text = path.read_text(encoding="utf-8")
    assert "    value: 80\n" in text
    path.write_text(text.replace("    value: 80\n", f"    value: {km}\n"), encoding="utf-8")
    return root


def test_engines_on_different_packs_and_parameters_used_at_once_never_see_each_others_rules(
        tmp_path: Path) -> None:
    """Fresh engines (two packs, three parameter values, both backends) first used from threads at
    the same time each give exactly the verdicts a lone engine of their own kind gives."""
    other = load_pack(_pack_with_long_range(tmp_path, 20))

    def kinds() -> dict[str, Engine]:
        out: dict[str, Engine] = {}
        for backend in BACKENDS:
            bundled = Engine(PACK, backend)
            out[f"{backend}/bundled"] = bundled
            out[f"{backend}/tight"] = bundled.with_parameters({"us.long_range_km": 10})
            out[f"{backend}/loose"] = bundled.with_parameters({"us.long_range_km": 250})
            out[f"{backend}/other-pack"] = Engine(other, backend)
        return out

    counterfire = {"weapon": "HIMARS", "target_region": "belgorod", "target_type": "artillery",
                   "self_defense": True, "defended_region": "kharkiv", "date": "2024-06-01"}
    strikes = [*({**counterfire, "range_km": km} for km in (5, 15, 30, 60, 80)), *STRIKES[:150]]
    expected = {name: [outcome(engine, s) for s in strikes] for name, engine in kinds().items()}
    deciding = {name: tuple(str((o["decision"], o["rule"]["id"])) if isinstance(o, dict) else str(o) for o in outs)
                for name, outs in expected.items()}
    assert len(set(deciding.values())) == 4  # the four kinds decide differently; the two backends alike
    engines = kinds()  # fresh: their rule sets are compiled concurrently below
    names = [name for name in engines for _ in range(2)]
    results = run_together([shuffled_run(engines[name], strikes, seed) for seed, name in enumerate(names)])
    for name, got in zip(names, results):
        assert got == expected[name], name


@pytest.mark.parametrize("backend", BACKENDS)
def test_first_use_from_many_threads_at_once_compiles_each_rule_set_once(
        backend: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Eight threads making the very first calls on a fresh engine together: each rule set is
    compiled exactly once (compiling is slowed down to widen the race), every verdict is right, and
    the lock-free route cache holds only the compiled rule sets the engine keeps."""
    reference = [outcome(Engine(PACK, backend), s) for s in STRIKES]
    # Per engine: a verdict's contested alternatives are decided by the engines of other readings, each
    # compiling its own rule sets (once each, too).
    compiles: Counter[tuple[int, tuple[str, str, str | None]]] = Counter()
    real = Engine._build

    def slow_compile(self: Engine, rs: RuleSet) -> Any:
        compiles[(id(self), rs.key)] += 1
        time.sleep(0.02)
        return real(self, rs)

    monkeypatch.setattr(Engine, "_build", slow_compile)
    engine = Engine(PACK, backend)
    results = run_together([shuffled_run(engine, STRIKES, seed) for seed in range(THREADS)])
    for got in results:
        assert got == reference
    assert compiles and set(compiles.values()) == {1}
    assert {key for who, key in compiles if who == id(engine)} == set(engine._deciders)
    assert all(c is engine._deciders[c.ruleset.key] for c in engine._routes.values())


class _Family(dict[Any, Any]):
    """An engine family that checks each engine is whole when it joins (another thread may take it
    from the family at once: a CI run once saw one without its routes)."""

    def setdefault(self, key: Any, value: Any = None) -> Any:
        missing = [a for a in ("_days", "_routes", "_fast", "_lock", "_twin") if not hasattr(value, a)]
        assert not missing, f"an engine joined its family before {missing} were set"
        return super().setdefault(key, value)

    def get(self, key: Any, default: Any = None) -> Any:
        found = super().get(key, default)
        assert found is None or hasattr(found, "_days")
        return found


def test_an_engine_joins_its_readings_family_only_when_whole() -> None:
    from policyrules.packs.resolved import ResolvedPack

    family = _Family()
    engine = Engine(ResolvedPack(load_pack()), "compiled", _family=family)
    point = next(iter(engine.readings))
    other = next(o for o in point.option_ids if o != engine.pack.reading[point.id])
    variant = engine.with_readings({point.id: other})
    assert variant is engine.with_readings({point.id: other}) and len(family) == 2
    assert variant.evaluate({"weapon": "HIMARS", "target_region": "belgorod", "target_type": "troops",
                             "range_km": 30, "self_defense": True, "defended_region": "kharkiv",
                             "date": "2024-06-01"}).decision
