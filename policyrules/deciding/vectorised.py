"""Vectorised columnar evaluation (the optional ``columns`` extra: numpy and pyarrow).

The exact partition's idea, done on arrays. Each column is dictionary-encoded: a code per row (read
from Arrow's own buffers, a chunk of rows at a time; a Python list is coded by the C extension where
it is built, else converted by Arrow first) and
a small list of distinct values. What depends only on those distinct values is a batch's *plan*:

- each combination of the codes of a value dimension (a weapon with its class and supplier, a
  target region, ...) is checked once by the intake (:func:`policyrules.model.intake.base`): all
  of them when they are few, else those present;
- per (supplier, date) value, the rule set (a policy's versions are in force one after another, so
  the days between two of one rule set are not looked up), and per weapon its reach: together, a
  row's *route*;
- per rule set, the values of a dimension that its rules cannot tell apart (they agree on every
  field the rules mention) share a class code, and each number is placed among the union of every
  rule set's thresholds and every bound (a grid of cells: one multiply and one table read, a cell
  holding a threshold searched exactly); a class is one integer, a sum of terms, in a block per
  rule set;
- tables of those terms: one by (weapon codes, date code; with very many distinct dates, the date's
  epoch: days of the same rule sets) gives a row's route and its first terms,
  one per other part (a dimension, a number, or several fused while their table stays small) by
  (route, codes); a value only full validation judges, a number beyond its bound (a weapon's reach,
  ``MAX_RANGE_KM``) or a date no version covers reads a term that makes the row bad.

Rows are then read in chunks on a small thread pool: integer arithmetic and ``np.take`` into those
tables, a sum per row (its class), and the outcome of its class. Each class present is decided once:
on a new plan of a large batch, first the classes of a sample of rows spread over it, then, after
the one pass over every row, those of the rows the sample missed (listed as the pass meets them).
With the compiled backend the classes of one rule set are matched together
(:mod:`policyrules.deciding.class_match`: each comparison once per code of its unit, then arrays)
and the combining rule runs once per distinct set of matched rules; with the durable backend each
class is decided by the rule set's decider, durable_rules matching it, as ``evaluate`` does. The
rows' decisions, rule ids, policies and versions come out as codes into small arrays. An engine
keeps the plans of a few recent sets of distinct values (a batch of the same table or file reads
them again); a plan of the combinations present is made again for a batch that brings new ones.

Rows the vectorised path cannot vouch for (a value only full validation judges, a number beyond a
weapon's reach, a date no version covers, a required field left out) are each evaluated by
``engine.evaluate`` and come out with its verdict or its error: never a wrong decision.

Fields of different dimensions are checked independently: the registry keeps every check between
fields inside one dimension (a weapon fixes its class and supplier) except the bound a value
dimension puts on a numeric one (a weapon's reach on the range), which is part of a row's route here.

Missing values follow the column idioms: null (None, ``pd.NA``, ``NaT``, a null in Arrow) is a field
not given, and so is NaN in an optional numeric column; pandas ``Timestamp``, ``datetime64`` and
Arrow timestamp dates at midnight are dates.
"""

from __future__ import annotations

import math
import os
import threading
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from operator import getitem
from typing import Any, Protocol

import numpy as np
import pyarrow as pa

from ..language.mentions import mentioned_fields
from ..model import intake
from ..model.collector import paused_gc
from ..model.dimensions import DIMENSIONS, FIELDS, KEY_FIELDS, NUMBER_FIELDS
from ..model.domain import MAX_RANGE_KM, Decision
from ..model.errors import PolicyRulesError, located
from ..packs.pack import Pack
from .class_match import matched_rules
from .column_codes import (
    DATE,
    ROW_INT,
    Bool,
    Encoded,
    Float,
    Int,
    Numbers,
    columns_of,
    encode,
    is_null,
    numbers,
)
from .decider import RuleSetDecider
from .verdict import VerdictParts

DEFAULTS: dict[str, Any] = {f.name: f.default for f in FIELDS.values() if f.given and f.default is not None}
#: The value dimensions and the given non-numeric fields of each, by name.
VALUE_DIMENSIONS: dict[str, tuple[str, ...]] = {
    d.name: tuple(f for f in d.fields if f in KEY_FIELDS) for d in DIMENSIONS.values() if not d.numeric}
_PICKER = next(f.name for f in FIELDS.values() if f.picks_policy)
_PICKER_DIMENSION = FIELDS[_PICKER].dimension
_MAX_DENSE = 1 << 24  # distinct raw values of a dimension, or classes, held in a dense table
Outcome = tuple[Decision, str, str, str]  # decision, rule id, policy id, version


class Engine(Protocol):
    """What vectorised evaluation needs of an evaluator."""

    @property
    def pack(self) -> Pack: ...

    def decider_for(self, supplier: str | None, day: Any) -> RuleSetDecider: ...

    def evaluate(self, strike: Any) -> Any: ...


# Verdicts out -----------------------------------------------------------------------------


@dataclass
class Decided:
    """Per row an outcome code (-1: the row's error is in ``errors``) and the outcomes as arrays."""

    codes: Int
    outcomes: list[Outcome]
    errors: dict[int, PolicyRulesError] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.codes)

    def first_error(self) -> PolicyRulesError | None:
        if not self.errors:
            return None
        i = min(self.errors)
        return located(self.errors[i], f"row {i}")

    def column(self, k: int) -> list[str]:
        """The distinct values of outcome part ``k`` (0 decision, 1 rule, 2 policy, 3 version) and the
        code of each outcome among them, as (dictionary, codes)."""
        return [_text(o[k]) for o in self.outcomes]

    def dictionary(self, k: int) -> tuple[list[str], Int]:
        """Outcome part ``k`` as its distinct values and a code per row among them (-1 on error rows)."""
        values: dict[str, int] = {}
        of_outcome = [values.setdefault(v, len(values)) for v in self.column(k)]
        table = np.array([*of_outcome, -1], dtype=np.int64)
        return list(values), table[self.codes]

    def arrow(self, k: int) -> pa.DictionaryArray:
        """Outcome part ``k`` per row as an Arrow dictionary array (null on error rows)."""
        values, codes = self.dictionary(k)
        indices = pa.array(np.where(codes < 0, 0, codes).astype(np.int32), mask=codes < 0)
        return pa.DictionaryArray.from_arrays(indices, pa.array(values, pa.string()))

    def error_array(self) -> pa.Array:
        """Per row its error (``Type: message``) or null."""
        return pa.array(self.error_messages(), pa.string())

    def listed(self, k: int) -> list[Any]:
        """Outcome part ``k`` per row as a Python list (None on error rows)."""
        table = np.array([*(o[k] for o in self.outcomes), None], dtype=object)
        return table[self.codes].tolist()  # type: ignore[no-any-return]

    def error_messages(self) -> list[str | None]:
        out: list[str | None] = [None] * len(self.codes)
        for i, e in self.errors.items():
            out[i] = f"{type(e).__name__}: {e}"
        return out


def _text(v: object) -> str:
    return str(v.value) if isinstance(v, Decision) else str(v)


# The engine's tables ------------------------------------------------------------------------


class _Tables:
    """Per engine: the outcomes seen so far and each rule set's class codes (what rows reuse)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.outcomes: list[Outcome] = []
        self.outcome_ids: dict[Outcome, int] = {}
        self.classes: dict[tuple[Any, ...], int] = {}  # (decider, class key per dimension, number codes) -> outcome
        self.mentioned: dict[int, frozenset[str]] = {}
        self.routes: dict[tuple[Any, Any], RuleSetDecider | None] = {}  # (picker, day) -> decider (None: no version)
        self.plans: dict[tuple[Any, ...], _Plan] = {}  # by the columns' distinct values, a few recent ones

    def outcome_of(self, parts: VerdictParts) -> int:
        """The id of a verdict's outcome (decision, deciding rule, policy, version)."""
        return self.outcome_id((parts.decision, parts.rule.id, parts.policy.id, parts.policy.version))

    def outcome_id(self, o: Outcome) -> int:
        found = self.outcome_ids.get(o)
        if found is None:
            found = self.outcome_ids[o] = len(self.outcomes)
            self.outcomes.append(o)
        return found


_TABLES: weakref.WeakKeyDictionary[Any, _Tables] = weakref.WeakKeyDictionary()
_TABLES_LOCK = threading.Lock()


def _tables(engine: Any) -> _Tables:
    with _TABLES_LOCK:
        t = _TABLES.get(engine)
        if t is None:
            t = _TABLES[engine] = _Tables()
        return t


def _filler(engine: Engine) -> dict[str, Any]:
    """A valid value of every non-numeric field (a catalog weapon, region, type...), put in for the
    fields of the other dimensions when one dimension's values are checked."""
    catalog = engine.pack.catalog
    out: dict[str, Any] = {}
    for d in DIMENSIONS.values():
        if d.members is not None:
            members = d.members(catalog, tuple(catalog.suppliers) or (None,))
            out.update({k: v for k, v in members[0].strike.items() if k in KEY_FIELDS})
    return out


@dataclass
class _Digit:
    """One digit of a mixed-radix key: where each row's value comes from (a column's codes, -1 for
    none; or ``#name``, a number's interval code) and its values, ``low`` .. ``low + radix - 1``."""

    source: str
    low: int
    radix: int


@dataclass
class _Key:
    """A key per row made of digits (the first the lowest). Its values are ``low`` .. ``low + span - 1``;
    a table over them is kept circular (value ``k`` at ``k mod`` its length), so that codes of -1
    (no value) need no shifting: Python's negative indices wrap around."""

    digits: list[_Digit]

    @property
    def span(self) -> int:
        return math.prod(d.radix for d in self.digits)

    def strides(self) -> list[int]:
        return [math.prod(d.radix for d in self.digits[:i]) for i in range(len(self.digits))]

    @property
    def low(self) -> int:
        return sum(d.low * s for d, s in zip(self.digits, self.strides(), strict=True))

    def values(self) -> list[Int]:
        """Per digit, its value at each offset ``0 .. span - 1`` of the key."""
        offsets = np.arange(self.span, dtype=np.int64)
        return [(offsets // s) % d.radix + d.low for d, s in zip(self.digits, self.strides(), strict=True)]

    def of_rows(self, src: Mapping[str, Int], out: Int, base: Int | None = None) -> Int:
        """The key of each row (plus ``base``) into ``out``: int32 arithmetic, read with ``np.take``
        (faster than indexing with an array)."""
        first = True
        for d, s in zip(self.digits, self.strides(), strict=True):
            a = src[d.source]
            if first:
                if s != 1:
                    np.multiply(a, s, out=out, dtype=out.dtype)
                    if base is not None:
                        out += base
                elif base is not None:
                    np.add(a, base, out=out, dtype=out.dtype)
                else:
                    np.copyto(out, a)
                first = False
            elif s == 1:
                out += a
            else:
                out += np.multiply(a, s, dtype=out.dtype)
        if first:
            raise ValueError("a key of no digits is a constant")
        return out


def _circular(values: np.ndarray, low: int, width: int, rows: int) -> np.ndarray:
    """``values[r, o]`` (route ``r``, key offset ``o``) laid out at ``(r * width + low + o) mod`` the
    table's length (at least ``-low``: digits of radix 1 make a key's lowest value below ``-span``)."""
    length = max(rows * width, -low)
    span = values.shape[1]
    if rows == 1 and span == length:  # one row filling the table: the row turned
        return np.roll(values.reshape(-1), low)
    out = np.zeros(length, dtype=values.dtype)
    pos = (np.arange(rows)[:, None] * width + low + np.arange(span)[None, :]) % length
    out[pos] = values
    return out


@dataclass
class _Grid:
    """A number's interval code among ``cuts`` (``2j`` between thresholds ``j-1`` and ``j``, ``2j + 1`` on
    threshold ``j``, ``2 len(cuts) + 1``: not a number), read per row from cells of width ``1 / scale``
    (a power of two, so ``x * scale`` is exact); cells holding a threshold, and numbers below the first
    cell, are searched exactly."""

    cuts: Float
    scale: float
    cells: np.ndarray  # per cell its code, -1 where a threshold lies in it

    @classmethod
    def of(cls, cuts: Float) -> _Grid:
        finite = cuts[np.isfinite(cuts)]
        top = float(finite.max()) if len(finite) else 0.0
        scale = 2.0 ** math.floor(math.log2((_GRID_CELLS - 2) / top)) if top > 0 else 1.0
        n = int(top * scale) + 2  # the last cell starts above every finite threshold
        cells = (2 * np.searchsorted(cuts, np.arange(n, dtype=np.float64) / scale, side="left")).astype(ROW_INT)
        cells[np.floor(finite[finite >= 0] * scale).astype(np.int64)] = -1
        cells[0] = -1  # negative numbers and NaN are read from cell 0
        if len(finite) < len(cuts):  # an infinite threshold above the last cell (NaN: nowhere to put it)
            cells[-1] = -1
            if np.isnan(cuts).any():
                cells[:] = -1
        return cls(cuts, scale, cells)

    def codes(self, x: Float, scratch: _Scratch, name: str) -> Int:
        c = scratch.get("cell", ROW_INT, len(x))
        with np.errstate(over="ignore", invalid="ignore"):  # huge: inf; NaN: cast to some int, then clipped
            y = np.multiply(x, self.scale, out=scratch.get("y", np.float64, len(x)))
            np.clip(y, -1.0, len(self.cells) - 1, out=y)
            np.copyto(c, y, casting="unsafe")
        out: Int = np.take(self.cells, c, mode="clip", out=scratch.get(name, ROW_INT, len(x)))  # below 0: cell 0
        exact = np.flatnonzero(np.less(out, 0, out=scratch.get("neg", np.bool_, len(x))))
        if len(exact):
            out[exact] = _code_numbers(x[exact], self.cuts, nan=2 * len(self.cuts) + 1)
        return out


_GRID_CELLS = 1 << 17
#: Above this many (weapon, date) route keys, dates are first grouped into epochs (days whose every
#: supplier's rule set is the same).
_MAX_ROUTE_KEYS = 1 << 22
#: A value dimension with more combinations of column values than this is checked for the
#: combinations present only (one count over the rows) rather than for all of them.
_ALL_COMBINATIONS = 4096
#: Parts of the class index are read from one table while (routes x their keys) stays this small.
_FUSE = 1 << 17


@dataclass
class _Unit:
    """What a decider's rules tell apart in one dimension: per key offset a local code (-1: the
    value needs full validation), and per local code what it means (a cache key) and its facts."""

    local: list[Int]  # per decider
    meaning: list[list[Any]]
    facts: list[list[dict[str, Any]]]


@dataclass(eq=False)
class _Plan:
    """Everything about a batch that does not depend on its rows but on its columns' distinct
    values: the tables that turn each row's codes into its class, and the classes decided so far."""

    route_key: _Key
    route_table: np.ndarray  # route * width << shift | (class block offset + constant parts); bad: ``size``
    shift: int
    width: int
    parts: list[tuple[_Key, np.ndarray]]
    grids: dict[str, _Grid]
    epochs: Int | None  # per date code (circular), its epoch, when dates are grouped
    size: int
    index_type: Any
    # Per class, 1 + its outcome id (0: not decided yet, so that a new table is np.zeros, whose pages the
    # system maps when first written: only the classes present are ever touched); ``out[size]``: a bad row.
    # A row's code is its class's entry minus 1 (-1 not decided yet, -2 bad).
    out: Int
    deciders: list[RuleSetDecider]
    offsets: list[int]
    strides: list[list[int]]
    radices: list[list[int]]
    units: list[_Unit]  # value dimensions, then numbers, in registry order
    sources: frozenset[str]  # the columns whose codes rows are read by
    checked: dict[str, tuple[_Key, Bool]]  # dimensions of many combinations: those checked (the others read bad)
    decided: int = 0  # classes decided so far


_UNDECIDED, _BAD = -1, -2


def _present(key: _Key, encoded: Mapping[str, Encoded], n: int) -> Bool | None:
    """Per offset of a value dimension's key, whether a row has it; None (all of them, as if every
    one were present) when they are few."""
    if key.span <= _ALL_COMBINATIONS or not n:
        return None
    src = {d.source: encoded[d.source].codes for d in key.digits}
    return np.bincount(key.of_rows(src, np.empty(n, dtype=np.int64)) - key.low, minlength=key.span) > 0


def _combinations(engine: Engine, name: str, key: _Key, encoded: Mapping[str, Encoded], filler: dict[str, Any],
                  present: Bool | None) -> list[intake.Base | None]:
    """Per offset of a value dimension's key, the checked Base of its values (None: full validation,
    or not present)."""
    span = key.span
    if present is None:
        present = np.ones(span, dtype=bool)
    digits = [v.tolist() for v in key.values()]
    catalog = engine.pack.catalog
    out: list[intake.Base | None] = [None] * span
    by_field = {d.source: k for k, d in enumerate(key.digits)}
    for o in np.flatnonzero(present).tolist():
        values = dict(filler)
        for f in VALUE_DIMENSIONS[name]:
            k = by_field.get(f)
            c = digits[k][o] if k is not None else -1
            values[f] = encoded[f].values[c] if c >= 0 else DEFAULTS.get(f)
        out[o] = intake.base(catalog, tuple(values[f] for f in KEY_FIELDS))
    return out


def _decider_index(engine: Engine, tables: _Tables, picker: str | None, day: Any) -> RuleSetDecider | None:
    found = tables.routes.get((picker, day), tables)
    if found is tables:
        try:
            found = engine.decider_for(picker, day)
        except PolicyRulesError:  # no version in force: evaluate words it
            found = None
        tables.routes[(picker, day)] = found
    return found  # type: ignore[return-value]


def _dated(days: Sequence[Any]) -> list[tuple[Any, int]]:
    """The dates of ``days`` in order, each with its position (what :func:`_deciders_by_day` bisects)."""
    return sorted((d, o) for o, d in enumerate(days) if d is not None and d is not False)


def _deciders_by_day(engine: Engine, tables: _Tables, picker: str | None, days: Sequence[Any],
                     deciders: list[RuleSetDecider], order: list[tuple[Any, int]]) -> Int:
    """Per date value (by position in ``days``; False: not a date the fast path reads), the place in
    ``deciders`` of the rule set of ``picker`` then (-1: none, or not a date the fast path reads);
    a rule set not yet in ``deciders`` is appended to it. A policy's versions are in force over
    intervals, one after the other, so between two days with one decider every day has it: days
    are looked up by bisection (in ``order``, :func:`_dated` of ``days``, worked out once for
    every picker)."""
    where = {id(d): k for k, d in enumerate(deciders)}
    out: Int = np.full(len(days), -1, dtype=np.int64)

    def code(d: RuleSetDecider | None) -> int:
        if d is None:
            return -1
        c = where.get(id(d))
        if c is None:
            c = where[id(d)] = len(deciders)
            deciders.append(d)
        return c

    if None in days:
        out[days.index(None)] = code(_decider_index(engine, tables, picker, None))
    if not order:
        return out
    at_of = np.array([o for _, o in order], dtype=np.int64)
    met: dict[int, RuleSetDecider | None] = {}

    def at(k: int) -> RuleSetDecider | None:
        if k not in met:
            met[k] = d = _decider_index(engine, tables, picker, order[k][0])
            out[at_of[k]] = code(d)
        return met[k]

    spans = [(0, len(order) - 1)]
    while spans:
        lo, hi = spans.pop()
        a, b = at(lo), at(hi)
        if hi - lo <= 1:
            continue
        if a is not None and a is b:
            out[at_of[lo + 1:hi]] = out[at_of[lo]]
            continue
        mid = (lo + hi) // 2
        spans += [(lo, mid), (mid, hi)]
    return out


def _local_codes(bases: Sequence[intake.Base | None], fields: tuple[str, ...],
                 every: Sequence[str]) -> tuple[Int, list[Any], list[dict[str, Any]]]:
    """Per offset of a value dimension's key, the local code of its values among those the ``fields``
    tell apart (-1: not checked); per local code what it means (the fields' values) and its facts
    (those of ``every`` field of the dimension)."""
    ks: dict[tuple[Any, ...], int] = {}
    facts: list[dict[str, Any]] = []
    local: Int = np.full(len(bases), -1, dtype=np.int64)
    for o, b in enumerate(bases):
        if b is None:
            continue
        told = tuple(b.facts.get(f) for f in fields)
        c = ks.get(told)
        if c is None:
            c = ks[told] = len(ks)
            facts.append({f: b.facts[f] for f in every if f in b.facts})
        local[o] = c
    return local, list(ks) or [()], facts or [{}]


def _plan(engine: Engine, tables: _Tables, encoded: Mapping[str, Encoded], nums: Mapping[str, Float],
          n: int) -> _Plan | None:
    """The batch's plan (None: no row has a rule set)."""
    filler = _filler(engine)
    # A column of no values (all null) is no digit: its rows read as not given.
    keys = {name: _Key([_Digit(f, -1, len(encoded[f].values) + 1) for f in fields if f in encoded
                        and encoded[f].values]) for name, fields in VALUE_DIMENSIONS.items()}
    presents = {name: _present(key, encoded, n) for name, key in keys.items()}
    bases = {name: _combinations(engine, name, key, encoded, filler, presents[name]) for name, key in keys.items()}
    checked = {name: (keys[name], p) for name, p in presents.items() if p is not None}
    # Routes: per (picker value, date value), the rule set; per picker value, the bounds it puts on numbers.
    picks = bases[_PICKER_DIMENSION]
    days: list[Any] = [None]
    if DATE in encoded:
        days += [intake.date_of(v) for v in encoded[DATE].values]
    pickers = sorted({b.picker for b in picks if b is not None}, key=lambda p: (p is None, p or ""))
    deciders: list[RuleSetDecider] = []
    by_pair = np.full((max(1, len(pickers)), len(days)), -1, dtype=np.int64)
    # Pickers of one policy share its rule sets (``decider_for`` reads the supplier's policy only).
    same: dict[Any, int] = {}
    order = _dated(days)
    for i, p in enumerate(pickers):
        try:
            group: Any = id(engine.pack.policy_for_supplier(p))
        except PolicyRulesError:
            group = ("picker", p)
        first = same.setdefault(group, i)
        if first != i:
            by_pair[i] = by_pair[first]
            continue
        by_pair[i] = _deciders_by_day(engine, tables, p, days, deciders, order)
    bounded = [k for k, f in enumerate(NUMBER_FIELDS) if DIMENSIONS[FIELDS[f].dimension].bounded_by]
    reaches = sorted({tuple(b.limits[k] for k in bounded) for b in picks if b is not None})
    picker_of = np.array([pickers.index(b.picker) if b is not None else -1 for b in picks], dtype=np.int64)
    reach_of = np.array([reaches.index(tuple(b.limits[k] for k in bounded)) if b is not None else 0
                         for b in picks], dtype=np.int64)
    # Dates grouped into epochs when there are too many route keys.
    route_digits = list(keys[_PICKER_DIMENSION].digits)
    epochs: Int | None = None
    if DATE in encoded:
        date_digit = _Digit(DATE, -1, len(days))
        if len(picks) * len(days) > _MAX_ROUTE_KEYS:
            _, kept, epoch_of = np.unique(by_pair.T, axis=0, return_index=True, return_inverse=True)
            by_pair = by_pair[:, kept]
            epochs = np.roll(epoch_of.reshape(-1).astype(ROW_INT), -1)  # circular: no date (-1) is the last entry
            date_digit = _Digit("@epoch", 0, len(kept))
        route_digits.append(date_digit)
    route_key = _Key(route_digits)
    if route_key.span > _MAX_DENSE:
        raise PolicyRulesError(f"too many distinct values for vectorised evaluation ({route_key.span:,}); "
                               "use the row path")
    # Per (picker offset, date offset): decider j and route (decider, reach). Picker offsets of one
    # picker and reach have one row of routes: worked out per such group (a few), not per offset.
    nreach = max(1, len(reaches))
    valid = picker_of >= 0
    groups, inverse = np.unique((picker_of * nreach + reach_of)[valid], return_inverse=True)
    group_of = np.full(len(picks), len(groups), dtype=np.int64)  # len(groups): no route
    group_of[valid] = inverse.reshape(-1)
    j_of = by_pair[groups // nreach]  # groups x dates
    pair = np.where(j_of >= 0, j_of * nreach + (groups % nreach)[:, None], -1)
    route_codes, route_of = np.unique(pair[pair >= 0], return_inverse=True)
    routes = len(route_codes)
    if not routes:
        return None
    route = np.full(pair.shape, routes, dtype=np.int64)  # routes: none
    route[pair >= 0] = route_of.reshape(-1)
    route_decider = (route_codes // nreach).tolist()
    route_reach = (route_codes % nreach).tolist()
    # Local codes per decider and unit: the value dimensions, then the numbers. Deciders whose rules
    # read the same fields of a dimension tell its values apart alike: worked out once for them.
    units: list[_Unit] = []
    for name in VALUE_DIMENSIONS:
        unit = _Unit([], [], [])
        alike: dict[tuple[str, ...], tuple[Int, list[Any], list[dict[str, Any]]]] = {}
        for d in deciders:
            mentioned = tables.mentioned.get(id(d))
            if mentioned is None:
                mentioned = tables.mentioned[id(d)] = frozenset(mentioned_fields(d.conditions))
            fields = tuple(f for f in DIMENSIONS[name].fields if f in mentioned)
            found = alike.get(fields)
            if found is None:
                found = alike[fields] = _local_codes(bases[name], fields, DIMENSIONS[name].fields)
            unit.local.append(found[0])
            unit.meaning.append(found[1])
            unit.facts.append(found[2])
        units.append(unit)
    grids: dict[str, _Grid] = {}
    for k, f in enumerate(NUMBER_FIELDS):
        limits = {MAX_RANGE_KM, *(r[bounded.index(k)] for r in reaches)} if k in bounded else {MAX_RANGE_KM}
        cuts = np.array(sorted({0.0, *limits, *(t for d in deciders for t in d.thresholds_of[f])}), dtype=np.float64)
        grids[f] = _Grid.of(cuts)
        # A number of each global code (the last: not given), coded among each rule set's own thresholds.
        reps = np.array([_representative(cuts, g) for g in range(2 * len(cuts) + 1)], dtype=np.float64)
        unit = _Unit([], [], [])
        for d in deciders:
            mine = np.array(d.thresholds_of[f], dtype=np.float64)
            local = np.append(_code_numbers(reps, mine), 2 * len(mine) + 1).astype(np.int64)
            unit.local.append(local)
            unit.meaning.append(list(range(2 * len(mine) + 2)))
            unit.facts.append([{f: _representative(mine, c)} for c in range(2 * len(mine) + 2)])
        units.append(unit)
    radices = [[len(u.meaning[j]) for u in units] for j in range(len(deciders))]
    strides = [[math.prod(r[:p]) for p in range(len(r))] for r in radices]
    sizes = [math.prod(r) for r in radices]
    offsets = [sum(sizes[:j]) for j in range(len(sizes))]
    size = sum(sizes)
    if size > _MAX_DENSE * 4:
        raise PolicyRulesError(f"too many classes for vectorised evaluation ({size:,}); use the row path")
    # Per unit, per route: each key offset's term of the class index (``size``: a bad row).
    terms: list[np.ndarray] = []
    unit_keys: list[_Key] = []
    for u, name in enumerate(VALUE_DIMENSIONS):
        unit_keys.append(keys[name])
        terms.append(np.array([np.where(units[u].local[j] >= 0, units[u].local[j] * strides[j][u], size)
                               for j in route_decider], dtype=np.int64).reshape(routes, -1))
    for k, f in enumerate(NUMBER_FIELDS):
        u = len(VALUE_DIMENSIONS) + k
        grid = grids[f]
        m = len(grid.cuts)
        codes = np.arange(2 * m + 2)
        zero = 2 * int(np.searchsorted(grid.cuts, 0.0)) + 1  # the code of 0 (a rule may name a negative number)
        rows = []
        for j, r in zip(route_decider, route_reach, strict=True):
            limit = reaches[r][bounded.index(k)] if k in bounded else MAX_RANGE_KM
            top = 2 * int(np.searchsorted(grid.cuts, limit)) + 1  # the code of the limit itself
            ok = (codes >= zero) & (codes <= top)
            if FIELDS[f].optional:
                ok[2 * m + 1] = True
            rows.append(np.where(ok, units[u].local[j] * strides[j][u], size))
        terms.append(np.array(rows, dtype=np.int64).reshape(routes, 2 * m + 2))
        unit_keys.append(_Key([_Digit(f"#{f}", 0, 2 * m + 2)] if f in nums else []))
        if f not in nums:  # not given: every row's code is "not a number"
            terms[-1] = terms[-1][:, -1:]
    # The picker dimension goes into the route table; units without columns are constant per route.
    picker_unit = list(VALUE_DIMENSIONS).index(_PICKER_DIMENSION)
    constant = np.zeros(routes, dtype=np.int64)
    parts: list[tuple[_Key, np.ndarray]] = []
    for u, (key, term) in enumerate(zip(unit_keys, terms, strict=True)):
        if u == picker_unit:
            continue
        if not key.digits:
            constant += term[:, 0]
        else:
            parts.append((key, term))
    parts.sort(key=lambda p: p[0].span)
    fused: list[tuple[_Key, np.ndarray]] = []
    for key, term in parts:
        if fused and routes * fused[-1][0].span * key.span <= _FUSE:
            k0, t0 = fused[-1]
            fused[-1] = (_Key([*k0.digits, *key.digits]), (t0[:, None, :] + term[:, :, None]).reshape(routes, -1))
        else:
            fused.append((key, term))
    width = max([k.span for k, _ in fused], default=1)
    bad_total = size * (len(fused) + 2)
    index_type = np.int32 if bad_total < 2**31 else np.int64
    tables_out = [(key, _circular(np.minimum(term, size).astype(index_type), key.low, width, max(1, routes)))
                  for key, term in fused]
    # The route table: per (picker offset, date offset), the route and its first terms.
    shift = max(1, int(size).bit_length())
    wide = ((max(1, routes) * width) << shift) >= 2**31
    # Per route and picker offset, the entry (a last row of ``size``: no route), read per (date, picker
    # offset): a route key's offset is the picker dimension's offset plus the date's times its span.
    span_w = len(picks)
    head = np.array(offsets, dtype=np.int64)[route_decider][:, None] + constant[:, None] + terms[picker_unit]
    entry = np.full((routes + 1, span_w), size, dtype=np.int64 if wide else np.int32)
    entry[:-1] = np.where(head < size, ((np.arange(routes)[:, None] * width) << shift) | head, size)
    at = np.take(np.pad(route.T, ((0, 0), (0, 1)), constant_values=routes), group_of, axis=1)  # dates x span_w
    at *= span_w
    at += np.arange(span_w)
    route_table = _circular(np.take(entry.reshape(-1), at).reshape(1, -1), route_key.low, route_key.span, 1)
    out = np.zeros(size + 1, dtype=ROW_INT)  # every class not decided yet (see _Plan.out)
    out[size] = _BAD + 1
    return _Plan(route_key, route_table, shift, width, tables_out, {f: grids[f] for f in nums}, epochs, size,
                 index_type, out, deciders, offsets, strides, radices, units,
                 frozenset(d.source for k in (route_key, *(k for k, _ in tables_out)) for d in k.digits)
                 | ({DATE} if epochs is not None else set()), checked)

#: Rows decided at once (by one thread of the pool): a chunk's temporaries stay in the caches.
CHUNK_ROWS = 1 << 18
_POOLS: dict[int, ThreadPoolExecutor] = {}  # by process id: a forked child has none of its parent's threads
_POOL_LOCK = threading.Lock()


def _pool() -> ThreadPoolExecutor:
    with _POOL_LOCK:
        pool = _POOLS.get(os.getpid())
        if pool is None:
            _POOLS.clear()
            pool = _POOLS[os.getpid()] = ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1)),
                                                            thread_name_prefix="policyrules-columns")
        return pool


def decide(engine: Engine, data: Any) -> Decided:
    """Every row's outcome, equal to ``engine.evaluate`` of the row (see the module's docstring)."""
    with paused_gc():  # deciding classes makes many small objects: a collection each 700 of them
        return _decide(engine, data)


def _decide(engine: Engine, data: Any) -> Decided:
    cols, n = columns_of(data)
    tables = _tables(engine)
    encoded = {f: encode(cols[f], date=f == DATE) for f in (*KEY_FIELDS, DATE) if f in cols}
    nums = {f: numbers(cols[f], FIELDS[f].optional) for f in NUMBER_FIELDS if f in cols}
    xs = {f: _values(col, FIELDS[f].optional) for f, col in nums.items()}
    compiled = getattr(engine, "backend", "") == "compiled"  # durable: matched each call
    plan = _cached_plan(engine, tables, encoded, xs, n, compiled)
    codes: Int = np.empty(n, dtype=ROW_INT)
    if plan is None:  # no row has a rule set: each is evaluate's
        codes.fill(-1)
        result = Decided(codes, list(tables.outcomes))
        _fallback(engine, tables, result, np.arange(n), encoded, nums)
        return result
    index: Int = np.empty(n, dtype=plan.index_type)
    seen: Bool | None = None
    if not plan.decided:  # a new plan: no class decided yet
        if n > _SAMPLE_BLOCKS * _SAMPLE_ROWS * 4:  # the classes of a sample first, then one pass
            present = np.flatnonzero(_sampled(plan, encoded, xs, n)[:plan.size])
            if len(present):
                _decide_classes(tables, plan, present, compiled)
        else:  # every row marks its class, and is read once the classes are decided
            seen = np.zeros(plan.size + 1, dtype=bool)
    listed: list[Int] = []  # the rows with no outcome yet, chunk by chunk
    negatives = _run(plan, encoded, xs, index, codes, n, seen, listed)
    bad: Int = np.zeros(0, dtype=np.intp)
    if negatives:
        many = negatives > n // 4  # find the classes present without listing rows
        neg = np.zeros(0, dtype=np.intp) if many else np.sort(np.concatenate(listed))
        if seen is None and many:
            seen = _seen(plan, index, n)
        present = np.flatnonzero(seen[:plan.size]) if seen is not None and many \
            else np.unique(np.minimum(index[neg], plan.size))
        present = present[present < plan.size]
        present = present[plan.out[present] == _UNDECIDED + 1]
        if len(present):
            _decide_classes(tables, plan, present, compiled)
        if many:
            _run_chunks(n, lambda a, b: _codes(plan, index[a:b], codes[a:b]))
            bad = np.flatnonzero(codes < 0)
        else:
            got = np.empty(len(neg), dtype=ROW_INT)
            _codes(plan, index[neg], got)
            codes[neg] = got
            bad = neg[got < 0]
        codes[bad] = -1
    result = Decided(codes, list(tables.outcomes))
    _fallback(engine, tables, result, bad, encoded, nums)
    return result


def _values(col: Numbers, optional: bool) -> Float:
    """A number column's floats with NaN where not given and, for an optional number, -inf where
    given but not a number (a bad row, as a negative number is)."""
    x, given = col.x, col.given
    if given is None:  # every row a float: NaN is not given (optional) or a bad row (required) as it is
        return x
    if optional:
        odd = given & np.isnan(x)
        if odd.any():
            x = x.copy()
            x[odd] = -math.inf
        return x
    if not given.all():
        x = np.where(given, x, math.nan)
    return x


def _signature(encoded: Mapping[str, Encoded], xs: Mapping[str, Float]) -> tuple[Any, ...] | None:
    try:
        out = (tuple(sorted(xs)), *((f, tuple((v.__class__, v) for v in e.values)) for f, e in encoded.items()))
        hash(out)
    except TypeError:
        return None
    return out


_PLANS_KEPT = 4


def _cached_plan(engine: Engine, tables: _Tables, encoded: Mapping[str, Encoded], xs: Mapping[str, Float], n: int,
                 compiled: bool) -> _Plan | None:
    """The batch's plan, reused when the columns have the same distinct values as a recent batch's
    and no combination its plan did not check (compiled backend only: the plan keeps its decided
    classes)."""
    key = _signature(encoded, xs) if compiled else None
    if key is not None:
        with tables.lock:
            found = tables.plans.get(key)
        if found is not None and all(not (p & ~seen).any() for k, seen in found.checked.values()
                                     if (p := _present(k, encoded, n)) is not None):
            return found
    plan = _plan(engine, tables, encoded, xs, n)
    if key is not None and plan is not None:
        with tables.lock:
            tables.plans[key] = plan
            while len(tables.plans) > _PLANS_KEPT:
                del tables.plans[next(iter(tables.plans))]
    return plan


def _run_chunks(n: int, work: Callable[[int, int], Any]) -> list[Any]:
    """``work(a, b)`` for each chunk of rows, on the pool's threads when there are several."""
    starts = range(0, n, CHUNK_ROWS)
    if len(starts) <= 1:
        return [work(a, min(n, a + CHUNK_ROWS)) for a in starts]
    return list(_pool().map(lambda a: work(a, min(n, a + CHUNK_ROWS)), starts))


def _run(plan: _Plan, encoded: Mapping[str, Encoded], xs: Mapping[str, Float], index: Int, codes: Int,
         n: int, seen: Bool | None, listed: list[Int]) -> int:
    """Every row's class and outcome (see :func:`_rows`); how many rows have none yet, their positions
    appended to ``listed`` chunk by chunk (not with ``seen``: then every row is to come back to)."""
    return sum(_run_chunks(n, lambda a, b: _rows(plan, encoded, xs, a, b, index[a:b], codes[a:b], seen, listed)))


#: A new plan's sample: blocks of rows spread evenly over the batch (rows in any order, sorted by
#: date or by weapon, say, show most of their classes), decided before the one pass over every row.
_SAMPLE_BLOCKS = 16
_SAMPLE_ROWS = 4096


def _sampled(plan: _Plan, encoded: Mapping[str, Encoded], xs: Mapping[str, Float], n: int) -> Bool:
    """Per class (and ``size``: bad rows), whether a row of the sample has it."""
    seen: Bool = np.zeros(plan.size + 1, dtype=bool)
    idx = np.empty(_SAMPLE_ROWS, dtype=plan.index_type)
    codes = np.empty(_SAMPLE_ROWS, dtype=ROW_INT)
    for a in np.linspace(0, n - _SAMPLE_ROWS, _SAMPLE_BLOCKS, dtype=np.int64).tolist():
        _rows(plan, encoded, xs, a, a + _SAMPLE_ROWS, idx, codes, seen)
    return seen


def _seen(plan: _Plan, index: Int, n: int) -> Bool:
    """Per class (and ``size``: bad rows), whether a row has it."""
    seen: Bool = np.zeros(plan.size + 1, dtype=bool)

    def mark(a: int, b: int) -> None:
        seen[np.minimum(index[a:b], plan.size)] = True  # threads only ever write True
    _run_chunks(n, mark)
    return seen


class _Scratch(threading.local):
    """A thread's arrays for a chunk's temporaries, kept from chunk to chunk (fresh arrays of a
    megabyte each cost page faults that dominate the arithmetic)."""

    def __init__(self) -> None:
        self.arrays: dict[tuple[str, Any], np.ndarray] = {}

    def get(self, name: str, dtype: Any, n: int) -> Any:
        found = self.arrays.get((name, dtype))
        if found is None or len(found) < n:
            found = self.arrays[(name, dtype)] = np.empty(max(n, CHUNK_ROWS), dtype=dtype)
        return found[:n]


_SCRATCH = _Scratch()


def _rows(plan: _Plan, encoded: Mapping[str, Encoded], xs: Mapping[str, Float], a: int, b: int, idx: Int,
          codes: Int, seen: Bool | None, listed: list[Int] | None = None) -> int:
    """Rows ``a`` to ``b``: each row's class index into ``idx`` (``size`` or above: a bad row), and its
    outcome (or -1, not decided yet, or -2, bad) into ``codes``; how many rows have no outcome yet
    (their positions appended to ``listed``, when given).
    With ``seen`` (a new plan, no class decided yet) each row's class is marked in it instead, and
    ``codes`` is left to be written once the classes are decided (every row is to come back to)."""
    scratch, n = _SCRATCH, b - a
    src = {f: e.chunk(a, b, scratch.get(f, ROW_INT, n)) for f, e in encoded.items() if f in plan.sources}
    for f, x in xs.items():
        src["#" + f] = plan.grids[f].codes(x[a:b], scratch, "#" + f)
    if plan.epochs is not None:
        src["@epoch"] = np.take(plan.epochs, src[DATE], mode="wrap", out=scratch.get("@epoch", ROW_INT, n))
    key = scratch.get("key", ROW_INT, n)
    wide = plan.route_table.dtype
    v = np.take(plan.route_table, plan.route_key.of_rows(src, key), mode="wrap", out=scratch.get("v", wide, n))
    base = np.right_shift(v, plan.shift, out=scratch.get("base", wide, n))  # the route's first table entry
    np.bitwise_and(v, (1 << plan.shift) - 1, out=idx, casting="unsafe")
    term = scratch.get("term", plan.index_type, n)
    for k, table in plan.parts:
        idx += np.take(table, k.of_rows(src, key, base), mode="wrap", out=term)
    if seen is not None:  # a new plan: no class is decided yet, so every row is to come back to
        seen[np.minimum(idx, plan.size, out=scratch.get("seen", plan.index_type, n))] = True  # threads only write True
        return n
    _codes(plan, idx, codes)
    neg = np.less(codes, 0, out=scratch.get("neg", np.bool_, n))
    count = int(np.count_nonzero(neg))
    if count and listed is not None:
        listed.append(np.flatnonzero(neg) + a)  # (a list's append is atomic: threads share it)
    return count


def _codes(plan: _Plan, idx: Int, codes: Int) -> None:
    """Each row's code from its class index (``size`` and above: ``out[size]``, a bad row)."""
    np.take(plan.out, idx, out=codes, mode="clip")
    np.subtract(codes, 1, out=codes)


def _decide_classes(tables: _Tables, plan: _Plan, present: Int, compiled: bool) -> None:
    """Decide each class of ``present`` (or read it from the engine's table of classes decided)."""
    classes = tables.classes if compiled else {}
    block = np.searchsorted(np.array(plan.offsets), present, side="right") - 1
    with tables.lock:
        for j in np.unique(block).tolist():
            d, ks = plan.deciders[j], present[block == j]
            rest = ks - plan.offsets[j]
            # Each class's local code in each unit, a column per unit.
            codes = [(rest // s) % r for s, r in zip(plan.strides[j], plan.radices[j], strict=True)]
            if compiled:  # every class at once (see class_match), else one by one below
                decided = _decided_at_once(tables, d, [u.facts[j] for u in plan.units], codes, len(ks))
                if decided is not None:
                    plan.out[ks] = decided + 1
                    continue
            digits = [c.tolist() for c in codes]
            meanings = [u.meaning[j] for u in plan.units]
            facts_of = [u.facts[j] for u in plan.units]
            did, found_all = id(d), []
            for local in zip(*digits, strict=True) if digits else [()] * len(ks):
                key = (did, *map(getitem, meanings, local))
                found = classes.get(key)
                if found is None:
                    facts: dict[str, Any] = {}
                    for part in map(getitem, facts_of, local):
                        facts.update(part)
                    found = classes[key] = tables.outcome_of(d.decide(facts))
                found_all.append(found)
            plan.out[ks] = np.asarray(found_all, dtype=plan.out.dtype) + 1
        plan.decided += len(present)


def _decided_at_once(tables: _Tables, d: RuleSetDecider, unit_facts: list[list[dict[str, Any]]],
                     codes: list[Int], n: int) -> Int | None:
    """The outcome of each of ``n`` classes of decider ``d`` (see :func:`matched_rules`), or None."""
    got = matched_rules(d.conditions, unit_facts, codes, n)
    if got is None:
        return None
    patterns, which = got
    out: Int = np.asarray([tables.outcome_of(d.parts_for(m)) for m in patterns], dtype=np.int64)[which]
    return out


def _code_numbers(x: Float, cuts: Float, nan: int | None = None) -> Int:
    """Per value, ``2j`` between thresholds ``j-1`` and ``j``, ``2j + 1`` on threshold ``j`` (and ``nan``
    for NaN when given)."""
    left = np.searchsorted(cuts, x, side="left")
    on = np.append(cuts, math.nan)[left] == x  # on threshold ``left`` (one gather, not a second search)
    out: Int = 2 * left.astype(ROW_INT) + on
    if nan is not None:
        out[np.isnan(x)] = nan
    return out


def _representative(cuts: Float, g: int) -> float | None:
    """A number with global code ``g`` among ``cuts`` (None: the code of a number left out)."""
    m = len(cuts)
    if g > 2 * m:
        return None
    j = g // 2
    if g % 2:
        return float(cuts[j])
    lo = cuts[j - 1] if j > 0 else -1.0
    hi = cuts[j] if j < m else (lo + 2.0 if m else 1.0)
    return float((lo + hi) / 2)


def _fallback(engine: Engine, tables: _Tables, result: Decided, rows: Int,
              encoded: Mapping[str, Encoded], nums: Mapping[str, Numbers]) -> None:
    """Rows the vectorised path did not vouch for: ``evaluate`` of each gives its verdict or its error."""
    if not len(rows):
        return
    for i in rows.tolist():
        strike: dict[str, Any] = {}
        for f, e in encoded.items():
            v = e.value(i)
            if v is not None:
                strike[f] = v
        for f, col in nums.items():
            v = col.original(i)
            if not is_null(v) or (isinstance(v, float) and not FIELDS[f].optional):
                strike[f] = v
        try:
            verdict = engine.evaluate(strike)
        except PolicyRulesError as e:
            result.errors[i] = e
            continue
        with tables.lock:
            result.codes[i] = tables.outcome_id((verdict.decision, verdict.rule.id, verdict.policy.id,
                                                 verdict.policy.version))
    result.outcomes = list(tables.outcomes)


def batches(data: Any, size: int) -> Iterator[Any]:
    """An Arrow table in record batches of ``size`` rows (other inputs whole)."""
    if isinstance(data, pa.Table):
        yield from data.to_batches(max_chunksize=size)
    else:
        yield data
