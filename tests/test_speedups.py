"""The C hot path (:mod:`policyrules.deciding.speedups`) gives the Python hot path's verdicts, and
really takes the strikes it is meant to take.

Where the extension is built (CI builds it: the README's install compiles it), ``engine.evaluate``
and ``evaluate_many`` are its methods; every strike it cannot finish, and every error on the way,
goes to the Python path (:mod:`policyrules.deciding.hotpath`). So: (1) on random strikes of the
bundled pack its verdicts equal the Python path's field by field; (2) odd inputs (ints for floats,
1 for True, unhashable values, numbers out of bounds, NaN, an unknown field, a dict subclass, a
strike of another catalog) get the Python path's verdict or its error; (3) known dicts and strikes
of known classes never reach the Python path, and the durable backend's always do.
"""

from __future__ import annotations

import collections
import datetime as dt
import functools
import gc
import inspect
import json
import math
import os
import subprocess
import sys
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policyrules import Engine, PolicyRulesError, ProposedStrike, Verdict
from policyrules.deciding import hotpath, speedups
from policyrules.packs.loader import load_pack
from policyrules.strategies import class_strikes, strikes

COMPILED = Engine.load(backend="compiled")
BUNDLED = st.one_of(strikes(COMPILED), class_strikes(COMPILED))
OTHER_CATALOG = load_pack().catalog  # equal in content to the engine's, another object (loaded once: 0.4 s)
needs_ext = pytest.mark.skipif(not speedups.ACTIVE, reason="the C extension is not built here")


class Name(str):
    """A str subclass: a dict key of this type is read by the Python path."""

    __slots__ = ()


HIMARS = {"weapon": "HIMARS", "target_region": "belgorod", "target_type": "artillery", "self_defense": True,
          "defended_region": "kharkiv", "range_km": 30.0, "date": "2024-06-01"}


def python_path(engine: Engine, strike: Any) -> Verdict:
    return hotpath.evaluate(engine, strike)


def outcome(fn: Callable[[Any], Verdict], strike: Any) -> Any:
    """The verdict's JSON form, or the error's type and text."""
    try:
        return fn(strike).model_dump(mode="json")
    except PolicyRulesError as e:
        return (type(e).__name__, str(e))


@contextmanager
def counting() -> Iterator[list[Any]]:
    """The strikes the C path hands to the Python path, while the block runs."""
    handed: list[Any] = []

    def count(engine: Any, strike: Any) -> Verdict:
        handed.append(strike)
        return hotpath.evaluate(engine, strike)

    speedups.configure(count)
    try:
        yield handed
    finally:
        speedups.configure(hotpath.evaluate)


def test_ci_builds_the_extension() -> None:
    """The README's install compiles the C hot path; on CI it must be the one in use."""
    if os.environ.get("CI") != "true":
        pytest.skip("only CI promises a C compiler")
    assert speedups.ACTIVE
    assert type(Engine.evaluate).__name__ == "method_descriptor"


def test_pure_python_leaves_the_extension_out() -> None:
    code = ("from policyrules import Engine; from policyrules.deciding import speedups, hotpath; "
            "assert not speedups.ACTIVE; assert Engine.evaluate is hotpath.evaluate; "
            "v = Engine.load(backend='compiled').evaluate(" + repr(HIMARS) + "); print(v.decision.value)")
    out = subprocess.run([sys.executable, "-c", code], env={**os.environ, "POLICYRULES_PURE_PYTHON": "1"},
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "allowed"


@needs_ext
@settings(max_examples=60)
@given(BUNDLED)
def test_the_c_path_gives_the_python_paths_verdicts(strike: dict[str, Any]) -> None:
    engine = COMPILED
    want = python_path(engine, dict(strike))
    for how, given_ in (("dict", dict(strike)), ("validated", engine.strike(strike)),
                        ("equal catalog", ProposedStrike.parse(strike, OTHER_CATALOG))):
        got = engine.evaluate(given_)
        assert got.model_dump(mode="json") == want.model_dump(mode="json"), how
        assert got == want, how
        assert got.explain() == want.explain(), how
        assert got.strike.model_fields_set == want.strike.model_fields_set, how
    many = engine.evaluate_many([dict(strike), engine.strike(strike), dict(strike)])
    assert [v.model_dump(mode="json") for v in many] == [want.model_dump(mode="json")] * 3


ODD: list[tuple[str, dict[str, Any]]] = [
    ("an int range", {**HIMARS, "range_km": 30}),
    ("an int past the reach", {**HIMARS, "range_km": 10_000}),
    ("a range out of bounds", {**HIMARS, "range_km": 900.0}),
    ("a negative range", {**HIMARS, "range_km": -1.0}),
    ("NaN", {**HIMARS, "range_km": float("nan")}),
    ("a bool range", {**HIMARS, "range_km": True}),
    ("a string range", {**HIMARS, "range_km": "30"}),
    ("no range", {k: v for k, v in HIMARS.items() if k != "range_km"}),
    ("1 for True", {**HIMARS, "self_defense": 1}),
    ("0 for False", {**HIMARS, "self_defense": 0}),
    ("an unhashable value", {**HIMARS, "target_region": ["belgorod"]}),
    ("an unknown field", {**HIMARS, "colour": "red"}),
    ("depth given", {**HIMARS, "depth_km": 12.0}),
    ("depth None", {**HIMARS, "depth_km": None}),
    ("an int depth", {**HIMARS, "depth_km": 12}),
    ("a depth out of bounds", {**HIMARS, "depth_km": -3.0}),
    ("on a threshold", {**HIMARS, "range_km": 0.0}),
    ("a date as text no version covers", {**HIMARS, "date": "1990-01-01"}),
    ("an unknown region", {**HIMARS, "target_region": "atlantis"}),
    # the index compares a str's bytes: of the same length, but two bytes a letter
    ("a region of the same length in another form", {**HIMARS, "target_region": "belgoro\u0111"}),
    ("a region of the same length and form", {**HIMARS, "target_region": "belgorox"}),
    ("a key of a str subclass", {**{k: v for k, v in HIMARS.items() if k != "weapon"}, Name("weapon"): "himars"}),
    ("a key not a str", {**HIMARS, 7: "seven"}),
]


@needs_ext
@pytest.mark.parametrize(("how", "strike"), ODD, ids=[how for how, _ in ODD])
def test_odd_dicts_get_the_python_paths_answer(how: str, strike: dict[str, Any]) -> None:
    engine = Engine.load(backend="compiled")
    for _ in range(2):  # first seen, then with whatever it taught the caches
        assert outcome(engine.evaluate, dict(strike)) == outcome(functools.partial(python_path, engine), strike), how
    many: Any
    try:
        many = [v.model_dump(mode="json") for v in engine.evaluate_many([dict(HIMARS), dict(strike)])]
    except PolicyRulesError as e:
        many = str(e)
    try:
        want: Any = [python_path(engine, dict(s)).model_dump(mode="json") for s in (HIMARS, strike)]
    except PolicyRulesError as e:
        want = f"strike #1: {e}"
    assert many == want, how


@needs_ext
def test_a_dict_subclass_and_a_strike_of_another_catalog_go_the_python_way() -> None:
    engine = Engine.load(backend="compiled")
    engine.evaluate(dict(HIMARS))
    with counting() as handed:
        ordered = collections.OrderedDict(HIMARS)
        assert engine.evaluate(ordered) == python_path(engine, dict(HIMARS))
        other = ProposedStrike.parse(HIMARS, load_pack().catalog)  # equal content, another object
        assert engine.evaluate(other) == python_path(engine, dict(HIMARS))
        assert engine.evaluate(other) == python_path(engine, dict(HIMARS))  # now its twin: the C path
    assert [type(s).__name__ for s in handed] == ["OrderedDict", "ProposedStrike"]


@needs_ext
def test_known_strikes_never_reach_the_python_path() -> None:
    """Once a dict's key is learnt and its class decided, the C path finishes it; the durable
    backend's strikes all go to Python (durable_rules matches every one)."""
    engine = Engine.load(backend="compiled")
    pool = [{**HIMARS, "range_km": float(r)} for r in range(0, 80, 5)] + [
        {**HIMARS, "target_region": "kursk", "self_defense": False, "range_km": 40.0, "date": "2024-12-01"}]
    validated = [engine.strike(d) for d in pool]
    engine.evaluate_many(pool + validated)  # learn the keys, decide the classes
    # keys read from JSON are new str objects, not the interned names: found by hash and text
    read = [json.loads(json.dumps(d)) for d in pool]
    names = {k: k for d in pool for k in d}
    assert all(k is not names[k] for d in read for k in d)
    with counting() as handed:
        singles = [engine.evaluate(dict(d)) for d in pool] + [engine.evaluate(s) for s in validated]
        assert [engine.evaluate(d) for d in read] == singles[:len(pool)]
        many = engine.evaluate_many([dict(d) for d in pool] + validated)
    assert handed == []
    assert [v.model_dump(mode="json") for v in singles] == [v.model_dump(mode="json") for v in many]
    durable = Engine.load(backend="durable")
    durable.evaluate_many(pool)
    with counting() as handed:
        durable.evaluate_many(pool)
        durable.evaluate(validated[0].model_dump(exclude={"target_country", "target_category"}))
    assert len(handed) == len(pool) + 1


@needs_ext
def test_evaluate_into_checks_its_arguments() -> None:
    with pytest.raises(TypeError, match="out: list"):
        COMPILED._evaluate_into((), [HIMARS])
    with pytest.raises(AttributeError, match="_fast"):  # not an evaluator made by its __init__
        Engine.evaluate(object.__new__(Engine), HIMARS)


@needs_ext
def test_no_reference_is_leaked_on_any_path() -> None:
    """Refcounts of what a verdict holds, and of what the C path reads and gives up on, are the same
    before and after a thousand evaluations whose verdicts are dropped (a leak of one reference per
    strike shows as a thousand)."""
    engine = Engine.load(backend="compiled")
    known, strike = dict(HIMARS), engine.strike(HIMARS)
    odd = [{**HIMARS, "range_km": 30}, {**HIMARS, "range_km": 900.0}, {**HIMARS, "self_defense": 1},
           {**HIMARS, "target_region": ["belgorod"]}, {**HIMARS, "depth_km": 5.0}]
    for s in (known, strike, *odd) * 2:  # learnt, then indexed by the C path with their classes' parts (kept once)
        outcome(engine.evaluate, s)
    v = engine.evaluate(known)
    watched = [v._parts, v._strike, known, strike, *odd, *known.values(), *(x for s in odd for x in s.values())]
    del v
    before = [sys.getrefcount(x) for x in watched]
    for _ in range(1000):
        engine.evaluate(known)
        engine.evaluate(strike)
        engine.evaluate_many([known, strike])
        for s in odd:
            outcome(engine.evaluate, s)
    assert [sys.getrefcount(x) for x in watched] == before


@needs_ext
def test_the_c_paths_verdicts_are_left_to_reference_counting() -> None:
    """Verdicts cannot be part of a cycle, so the C path does not give them to the cyclic collector: a
    collection after a million of them walks none. A dict's verdict is one object: it holds the route
    its key stands for and its numbers, in slots of its own (no tuple to allocate)."""
    engine = Engine.load(backend="compiled")
    engine.evaluate_many([dict(HIMARS), engine.strike(HIMARS)])
    from_dict, from_strike = engine.evaluate_many([dict(HIMARS), engine.strike(HIMARS)])
    assert not gc.is_tracked(from_dict) and not gc.is_tracked(from_strike)
    assert from_dict._strike is python_path(engine, dict(HIMARS))._strike  # the same route, not built yet
    assert (from_dict._x0, from_dict._x1) == (HIMARS["range_km"], None)
    assert from_dict.strike == from_strike.strike  # built when read, as before
    assert from_dict.contested == python_path(engine, dict(HIMARS)).contested


@needs_ext
def test_evaluate_many_takes_lists_and_other_iterables_alike() -> None:
    """A list goes the C path's list loop (reading ahead), any other iterable its iterator loop."""
    engine = Engine.load(backend="compiled")
    pool = [{**HIMARS, "range_km": float(r)} for r in range(0, 80, 3)] + [engine.strike(HIMARS)]
    want = [v.model_dump(mode="json") for v in engine.evaluate_many(pool)]
    assert [v.model_dump(mode="json") for v in engine.evaluate_many(iter(pool))] == want
    assert [v.model_dump(mode="json") for v in engine.evaluate_many(tuple(pool))] == want
    out: list[Verdict] = []
    engine._evaluate_into(out, (s for s in pool))
    assert [v.model_dump(mode="json") for v in out] == want

    def broken() -> Iterator[Any]:
        yield dict(HIMARS)
        raise ValueError("the source broke")

    with pytest.raises(ValueError, match="the source broke"):
        engine.evaluate_many(broken())


def test_evaluate_takes_its_strike_by_name_too() -> None:
    """As the Python method did: ``evaluate(strike=...)``; anything else is a TypeError."""
    engine = Engine.load(backend="compiled")
    assert engine.evaluate(strike=dict(HIMARS)) == engine.evaluate(dict(HIMARS))
    assert list(inspect.signature(Engine.evaluate).parameters) == ["self", "strike"]
    for args, kwargs in (((), {}), ((dict(HIMARS),), {"strike": dict(HIMARS)}), ((), {"strikes": dict(HIMARS)}),
                         ((dict(HIMARS), dict(HIMARS)), {})):
        with pytest.raises(TypeError):
            engine.evaluate(*args, **kwargs)


def decoded(e: Any) -> list[Any]:
    """A column's values row by row (None where it has none), with each value's type."""
    return [None if c < 0 else (type(e.values[c]), e.values[c]) for c in e.codes.tolist()]


def without_c_columns(fn: Callable[[], Any]) -> Any:
    """``fn()`` with the C column readers left out (the Arrow and Python ways)."""
    saved = speedups.encode_column, speedups.float_column
    speedups.encode_column = speedups.float_column = None
    try:
        return fn()
    finally:
        speedups.encode_column, speedups.float_column = saved


COLUMN_VALUES = st.one_of(st.none(), st.booleans(), st.sampled_from(["kharkiv", "belgorod", "True", "1", ""]),
                          st.text(max_size=3), st.integers(-2, 2), st.floats(allow_nan=True),
                          st.sampled_from([dt.date(2024, 6, 1), "2024-06-01"]))


@needs_ext
@settings(max_examples=200, deadline=None)
@given(st.lists(COLUMN_VALUES, max_size=30), st.booleans(), st.booleans())
def test_c_column_codes_equal_the_arrow_and_python_ways(values: list[Any], date: bool, as_tuple: bool) -> None:
    """Text, booleans and None are coded in C; any other value sends the column the general way. Row
    by row the value (and its type: True is not 1 nor "True") is the same either way."""
    from policyrules.deciding import column_codes

    seq: Any = tuple(values) if as_tuple else values
    c_way = column_codes.encode(seq, date)
    other = without_c_columns(lambda: column_codes.encode(seq, date))
    assert decoded(c_way) == decoded(other)
    assert len(set(map(repr, c_way.values))) == len(c_way.values)  # each value once
    numbers = [v for v in values if v is None or type(v) is float or type(v) is int]
    for optional in (False, True):
        a = column_codes.numbers(list(numbers), optional)
        b = without_c_columns(lambda: column_codes.numbers(list(numbers), optional))  # noqa: B023 - called here
        assert a.given.tolist() == b.given.tolist()
        assert np.array_equal(a.x, b.x, equal_nan=True)


@needs_ext
def test_c_column_readers_take_runs_and_check_their_buffers() -> None:
    codes = np.empty(6, dtype=np.int32)
    first = json.loads('"kharkiv"')  # equal to the next but another object: the first one is the value
    values = speedups.encode_column([first, "kharkiv", "kharkiv", None, True, first], codes)
    assert values == [first, True] and values[0] is first
    assert codes.tolist() == [0, 0, 0, -1, 1, 0]
    assert speedups.encode_column(["kharkiv", 1], np.empty(2, dtype=np.int32)) is None  # an int: not here
    assert speedups.encode_column(iter(["kharkiv"]), np.empty(1, dtype=np.int32)) is None  # lists and tuples only
    x, given = np.empty(3), np.empty(3, dtype=bool)
    assert speedups.float_column([1.5, None, float("nan")], x, given) is True
    assert given.tolist() == [True, False, True] and x[0] == 1.5 and math.isnan(x[1]) and math.isnan(x[2])
    assert speedups.float_column([1.5, 2], np.empty(2), np.empty(2, dtype=bool)) is False  # an int: not here
    for bad in (np.empty(5, dtype=np.int32), np.empty(6, dtype=np.int64), b"\0" * 24):
        with pytest.raises((ValueError, TypeError, BufferError)):
            speedups.encode_column(["a"] * 6, bad)
    with pytest.raises(ValueError, match="float_column"):
        speedups.float_column([1.0], np.empty(2), np.empty(1, dtype=bool))


def many_keys(n: int) -> list[dict[str, Any]]:
    """``n`` dicts of as many keys (dates and regions), each a valid strike."""
    regions = ["belgorod", "kursk", "kharkiv", "bryansk"]
    days = [dt.date(2024, 1, 1) + dt.timedelta(days=i) for i in range(n // len(regions) + 1)]
    return [{**HIMARS, "target_region": regions[i % len(regions)], "date": days[i // len(regions)].isoformat(),
             "range_km": float(i % 70)} for i in range(n)]


@needs_ext
def test_the_c_index_grows_and_gives_the_python_paths_verdicts() -> None:
    """Many keys: the C path's index of them grows past its first size, and every verdict is
    the Python path's, without handing a known dict to Python."""
    engine = Engine.load(backend="compiled")
    pool = many_keys(1500)
    want = [python_path(engine, dict(d)).model_dump(mode="json") for d in pool]
    engine.evaluate_many(pool)  # learnt
    assert [v.model_dump(mode="json") for v in engine.evaluate_many(pool)] == want  # indexed
    with counting() as handed:
        assert [v.model_dump(mode="json") for v in engine.evaluate_many([dict(d) for d in pool])] == want
        assert [engine.evaluate(json.loads(json.dumps(d))).model_dump(mode="json") for d in pool[:300]] == want[:300]
    assert handed == []


@needs_ext
def test_threads_growing_the_c_index_get_the_python_paths_verdicts() -> None:
    engine = Engine.load(backend="compiled")
    pool = many_keys(1200)  # the index grows at 512 entries and again at 1,024
    other = Engine.load(backend="compiled")
    want = [python_path(other, dict(d)).model_dump(mode="json") for d in pool]
    results: list[Any] = [None] * 4

    def run(t: int) -> None:
        mine = pool[t::2] + pool  # two threads learn, all of them index and read
        got = [v.model_dump(mode="json") for v in engine.evaluate_many(mine)]
        results[t] = got == want[t::2] + want

    threads = [threading.Thread(target=run, args=(t,)) for t in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert results == [True] * 4


@needs_ext
def test_an_engine_with_a_c_index_is_freed() -> None:
    engine = Engine.load(backend="compiled")
    for _ in range(2):
        engine.evaluate_many([dict(HIMARS), *many_keys(50)])
    assert engine._c_index is not None
    gone = weakref.ref(engine)
    del engine
    gc.collect()
    assert gone() is None


@needs_ext
def test_the_c_path_refuses_a_verdict_type_with_slots_it_would_not_set(monkeypatch: pytest.MonkeyPatch) -> None:
    """The C path fills a new verdict's every slot itself (it is not zeroed first): a verdict type with
    another slot is refused when the extension is configured, and the engine goes on as before."""

    class Wider(Verdict):
        __slots__ = ("_more",)

    monkeypatch.setattr(speedups, "Verdict", Wider)
    try:
        with pytest.raises(ValueError, match="slots other than _contested, _parts, _strike"):
            speedups.configure(hotpath.evaluate)
    finally:
        monkeypatch.undo()
        speedups.configure(hotpath.evaluate)
    engine = Engine.load(backend="compiled")
    assert engine.evaluate_many([dict(HIMARS)] * 2) == [python_path(engine, dict(HIMARS))] * 2
