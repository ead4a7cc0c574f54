"""The vectorised path's plans (:mod:`policyrules.deciding.vectorised`): each of its branches
(chunks on the thread pool, dates grouped into epochs, only the value combinations present
checked, parts read from fused tables or apart, numbers coded on coarse or fine grids, plans reused
for batches with the same distinct values) gives, row by row, what ``evaluate`` gives."""

from __future__ import annotations

import math
import os
import threading
import time
from typing import Any

import pytest

from policyrules import Engine, PolicyRulesError
from policyrules.deciding import vectorised
from policyrules.deciding.columnar import COLUMNS
from policyrules.model.domain import MAX_RANGE_KM
from policyrules.strategies import boundary_ranges

from .row_outcomes import expected, got
from .strike_samples import varied_strikes

np = pytest.importorskip("numpy")
pa = pytest.importorskip("pyarrow")

ENGINE = Engine.load(backend="compiled")

#: Settings of the module's knobs, each forcing a branch of the plan or of the row work.
KNOBS: dict[str, dict[str, Any]] = {
    "as shipped": {},
    "chunks of 24 rows on the pool (bitmaps read from odd offsets)": {"CHUNK_ROWS": 24},
    "dates grouped into epochs": {"_MAX_ROUTE_KEYS": 0},
    "only the combinations present checked": {"_ALL_COMBINATIONS": 0},
    "no part fused": {"_FUSE": 0},
    "every part fused": {"_FUSE": 1 << 40},
    "a grid of 4 cells (every number searched)": {"_GRID_CELLS": 4},
    "a fine grid": {"_GRID_CELLS": 1 << 22},
    "a new plan decides a sample of 16 rows first": {"_SAMPLE_BLOCKS": 2, "_SAMPLE_ROWS": 8},
    "a sample, then chunks of 24 rows listing those it missed": {"_SAMPLE_BLOCKS": 3, "_SAMPLE_ROWS": 5,
                                                                 "CHUNK_ROWS": 24},
}


def _numbers() -> list[Any]:
    """Numbers on every threshold and bound and just around them, and the odd ones."""
    edges = boundary_ranges(ENGINE)
    out: list[Any] = [*edges, *(math.nextafter(x, math.inf) for x in edges),
                      *(math.nextafter(x, -math.inf) for x in edges)]
    return [*out, -0.0, -1e-300, -1.0, math.nan, math.inf, -math.inf, 1e300, MAX_RANGE_KM,
            math.nextafter(MAX_RANGE_KM, math.inf), 0.1, 0.25, 0.3, None]


def rows(seed: int) -> list[dict[str, Any]]:
    """Varied strikes, then each odd number in a few of them (as range and as depth)."""
    out = varied_strikes(ENGINE.pack, 300, seed)
    for i, x in enumerate(_numbers()):
        base = out[(7 * i) % len(out)]
        out.append({**base, "range_km": x})
        out.append({**base, "depth_km": x})
    for r in out:  # one type per column (the odd mixes are test_vectorised's)
        for k, v in list(r.items()):
            if k in ("range_km", "depth_km") and v is not None and not isinstance(v, float):
                r[k] = None if isinstance(v, str) else float(v)
            elif k not in ("range_km", "depth_km", "self_defense") and v is not None and not isinstance(v, str):
                r[k] = str(v)
    return out


def table(rs: list[dict[str, Any]]) -> Any:
    """Rows as Arrow: strings dictionary-encoded (as Parquet gives them), nulls where not given."""
    out = {}
    for c in COLUMNS:
        values = [r.get(c) for r in rs]
        arr = pa.array(values, pa.float64() if c in ("range_km", "depth_km") else None, from_pandas=False)
        out[c] = arr.dictionary_encode() if pa.types.is_string(arr.type) else arr
    return pa.table(out)


def want(r: dict[str, Any]) -> tuple[Any, ...]:
    row = dict(r)
    if isinstance(row.get("depth_km"), float) and math.isnan(row["depth_km"]):
        row["depth_km"] = None  # NaN in an optional number: left out
    return expected(ENGINE, row)


def check(decided: vectorised.Decided, rs: list[dict[str, Any]]) -> None:
    assert len(decided) == len(rs)
    for i, r in enumerate(rs):
        assert got(decided, i) == want(r), (i, r)


@pytest.fixture
def fresh_plans() -> Any:
    tables = vectorised._tables(ENGINE)
    tables.plans.clear()
    yield tables
    tables.plans.clear()


@pytest.mark.parametrize("knob", sorted(KNOBS))
def test_every_branch_equals_evaluate(knob: str, monkeypatch: pytest.MonkeyPatch, fresh_plans: Any) -> None:
    for name, value in KNOBS[knob].items():
        monkeypatch.setattr(vectorised, name, value)
    rs = rows(seed=len(knob))
    t = table(rs)
    check(vectorised.decide(ENGINE, t), rs)
    # Sliced (offsets in every buffer), and again with the plan of the same distinct values.
    check(vectorised.decide(ENGINE, t.slice(5, 101)), rs[5:106])
    check(vectorised.decide(ENGINE, t.slice(3)), rs[3:])


def test_a_new_plan_decides_a_sample_first_and_then_the_classes_it_missed(monkeypatch: pytest.MonkeyPatch,
                                                                          fresh_plans: Any) -> None:
    monkeypatch.setattr(vectorised, "_SAMPLE_BLOCKS", 2)
    monkeypatch.setattr(vectorised, "_SAMPLE_ROWS", 8)
    sampled, decided = [], []
    sample, decide_classes = vectorised._sampled, vectorised._decide_classes
    monkeypatch.setattr(vectorised, "_sampled", lambda *a: sampled.append(a[-1]) or sample(*a))
    monkeypatch.setattr(vectorised, "_decide_classes", lambda *a: decided.append(len(a[2])) or decide_classes(*a))
    rs = rows(seed=11)
    check(vectorised.decide(ENGINE, table(rs)), rs)
    assert sampled == [len(rs)]
    assert len(decided) == 2 and 0 < decided[0] <= 16 and decided[1] > 0  # the sample's, then the others


def test_a_plan_is_kept_for_batches_of_the_same_distinct_values(fresh_plans: Any) -> None:
    rs = rows(seed=3)
    t = table(rs).drop_columns(["weapon_class"])  # few weapon combinations: all of them checked
    for r in rs:
        r.pop("weapon_class", None)
    check(vectorised.decide(ENGINE, t.slice(0, 120)), rs[:120])
    assert len(fresh_plans.plans) == 1
    plan = next(iter(fresh_plans.plans.values()))
    assert not plan.checked
    undecided = int((plan.out == 0).sum())  # 0: a class not decided yet
    check(vectorised.decide(ENGINE, t), rs)  # the classes of the later rows decided, the others read
    assert [p is plan for p in fresh_plans.plans.values()] == [True]
    assert int((plan.out == 0).sum()) < undecided


def test_a_plan_of_the_combinations_present_is_made_again_for_new_ones(monkeypatch: pytest.MonkeyPatch,
                                                                       fresh_plans: Any) -> None:
    monkeypatch.setattr(vectorised, "_ALL_COMBINATIONS", 0)
    rs = rows(seed=4)
    t = table(rs)
    check(vectorised.decide(ENGINE, t.slice(0, 60)), rs[:60])
    first = next(iter(fresh_plans.plans.values()))
    assert first.checked
    check(vectorised.decide(ENGINE, t.slice(0, 50)), rs[:50])  # nothing new: the same plan
    assert [p is first for p in fresh_plans.plans.values()] == [True]
    check(vectorised.decide(ENGINE, t), rs)  # new combinations: a new plan
    assert [p is first for p in fresh_plans.plans.values()] == [False]


def test_the_value_under_a_null_is_never_read() -> None:
    """Arrow leaves the index of a null undefined: garbage there must not reach a table."""
    rs = rows(seed=5)[:200]
    t = table(rs)
    cols = {}
    for name in t.column_names:
        col = t.column(name).combine_chunks()
        if pa.types.is_dictionary(col.type) and col.null_count:
            valid = col.indices.buffers()[0]
            data = np.asarray(col.indices.to_numpy(zero_copy_only=False), dtype=np.float64)
            garbage = np.where(np.isnan(data), np.arange(len(col)) * 7919 - 2**30, data).astype(np.int32)
            indices = pa.Array.from_buffers(pa.int32(), len(col), [valid, pa.py_buffer(garbage.tobytes())])
            col = pa.DictionaryArray.from_arrays(indices, col.dictionary)
        cols[name] = col
    check(vectorised.decide(ENGINE, pa.table(cols)), rs)


def test_booleans_with_nulls_at_odd_offsets() -> None:
    rs = rows(seed=7)[:90]
    for i, r in enumerate(rs):
        if i % 3 == 0:
            r.pop("self_defense", None)
    t = table(rs)
    for start in (0, 1, 3, 9):
        check(vectorised.decide(ENGINE, t.slice(start)), rs[start:])


def test_threads_share_an_engine(monkeypatch: pytest.MonkeyPatch, fresh_plans: Any) -> None:
    monkeypatch.setattr(vectorised, "CHUNK_ROWS", 64)
    rs = rows(seed=11)
    t = table(rs)
    results: list[Any] = [None] * 6
    barrier = threading.Barrier(len(results))

    def run(k: int) -> None:
        barrier.wait()
        results[k] = vectorised.decide(ENGINE, t)

    threads = [threading.Thread(target=run, args=(k,)) for k in range(len(results))]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    for decided in results:
        check(decided, rs)


@pytest.mark.parametrize(("routes", "width", "span", "low"),
                         [(1, 7, 7, 0), (1, 7, 7, -3), (1, 7, 7, -7), (1, 4, 4, -9), (1, 6, 4, -2), (3, 5, 4, -2),
                          (2, 6, 6, -13)])
def test_a_circular_table_gives_each_key_its_value(routes: int, width: int, span: int, low: int) -> None:
    """Key ``low + o`` of route ``r`` reads ``values[r, o]`` at ``r * width + low + o``, wrapped as a
    row's key is read (a table one route fills is the row turned; any other is written entry by entry)."""
    values = np.arange(1, routes * span + 1, dtype=np.int64).reshape(routes, span)
    t = vectorised._circular(values, low, width, routes)
    assert len(t) == max(routes * width, -low)
    for r in range(routes):
        for o in range(span):
            assert np.take(t, r * width + low + o, mode="wrap") == values[r, o], (r, o)


def test_rule_sets_by_day_found_by_bisection_keep_gaps_between_versions() -> None:
    """Versions in force over intervals with gaps (no version: evaluate's error) and a latest one:
    bisection gives every day the rule set a lookup of that day gives."""
    import datetime as dt

    start = dt.date(2020, 1, 1)
    spans = [(10, 40, "a"), (41, 41, "b"), (60, 90, "c"), (91, 200, "d")]  # gaps: before 10, 42..59, after 200

    class Fake:
        pack = ENGINE.pack

        def decider_for(self, supplier: str | None, day: Any) -> Any:
            if day is None:
                return "latest"
            k = (day - start).days
            for lo, hi, name in spans:
                if lo <= k <= hi:
                    return name
            raise PolicyRulesError(f"no version on {day}")

    days: list[Any] = [None, False, *(start + dt.timedelta(days=k) for k in range(0, 230, 1))]
    days = [days[0], *reversed(days[1:])]  # out of order, as a dictionary's values are
    deciders: list[Any] = ["d"]  # a rule set another supplier already brought keeps its place
    at = vectorised._deciders_by_day(Fake(), vectorised._Tables(), "US", days, deciders,  # type: ignore[arg-type]
                                     vectorised._dated(days))
    assert deciders[0] == "d" and sorted(deciders) == ["a", "b", "c", "d", "latest"]  # each once
    found = [deciders[j] if j >= 0 else None for j in at.tolist()]
    fake = Fake()
    for o, day in enumerate(days):
        if day is False:
            assert found[o] is None
            continue
        try:
            want = fake.decider_for("US", day)
        except PolicyRulesError:
            want = None
        assert found[o] == want, (o, day)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_gets_a_pool_of_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    """The parent's pool threads do not exist in a forked child: its chunks must not wait for them."""
    monkeypatch.setattr(vectorised, "CHUNK_ROWS", 16)
    rs = rows(seed=13)[:80]
    t = table(rs)
    check(vectorised.decide(ENGINE, t), rs)  # the parent's pool made and used
    pid = os.fork()
    if pid == 0:  # the child: exit 0 if it decides the rows, within the parent's wait
        try:
            decided = vectorised.decide(ENGINE, t)
            os._exit(0 if all(got(decided, i) == want(r) for i, r in enumerate(rs)) else 1)
        finally:
            os._exit(2)
    deadline = time.monotonic() + 60
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            pytest.fail("the forked child hung on its parent's pool")
        time.sleep(0.05)
    assert os.waitstatus_to_exitcode(status) == 0


@pytest.mark.parametrize("cells", [4, 1 << 10, 1 << 17])
def test_the_grid_codes_every_number_as_a_search_does(cells: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Thresholds anywhere (negative, far apart, close together, infinite) and numbers on them, just
    around them, in between, negative, NaN and infinite: the grid's code is the exact search's."""
    monkeypatch.setattr(vectorised, "_GRID_CELLS", cells)
    rng = np.random.default_rng(cells)
    for extra in ([], [-5.0, -0.5], [40.0, 40.1, 40.125, 42.0], [1e9], [math.inf], [-math.inf, 7.75]):
        cuts = np.array(sorted({0.0, MAX_RANGE_KM, 80.0, 150.0, *extra}), dtype=np.float64)
        grid = vectorised._Grid.of(cuts)
        x = np.concatenate([cuts, np.nextafter(cuts, math.inf), np.nextafter(cuts, -math.inf),
                            rng.uniform(-10, 2 * MAX_RANGE_KM, 2000), rng.uniform(0, 300, 2000).round(1),
                            [math.nan, math.inf, -math.inf, -0.0, 1e300, -1e300, 5e-324]])
        want = vectorised._code_numbers(x, cuts, nan=2 * len(cuts) + 1)
        assert grid.codes(x, vectorised._Scratch(), "#x").tolist() == want.tolist(), extra
