"""Vectorised columnar evaluation (the optional ``columns`` extra: numpy and pyarrow).

The exact partition's idea, done on arrays. Each column is dictionary-encoded (a code per row, a
small list of distinct values); the distinct values of each value dimension of the registry (a
weapon with its class and supplier, a target region, ...) are checked once by the intake
(:func:`policyrules.model.intake.base`), the distinct (supplier, date) pairs pick their rule sets,
and each number is placed among the thresholds with one ``searchsorted``. Per rule set, the values
of a dimension that its rules cannot tell apart (they agree on every field the rules mention) share
a class code, so a row's class is one integer: a sum of gathered codes. Each class present is
decided once (by the rule set's decider, as ``evaluate`` does) and the rows' decisions, rule ids,
policies and versions are gathered from small arrays.

Rows the vectorised path cannot vouch for (a value only full validation judges, a number beyond a
weapon's reach, a date no version covers, a required field left out) are each evaluated by
``engine.evaluate`` and come out with its verdict or its error: never a wrong decision.

Fields of different dimensions are checked independently: the registry keeps every check between
fields inside one dimension (a weapon fixes its class and supplier) except the bound a value
dimension puts on a numeric one (a weapon's reach on the range), which is checked per row here.

Missing values follow the column idioms: null (None, ``pd.NA``, ``NaT``, a null in Arrow) is a field
not given, and so is NaN in an optional numeric column; pandas ``Timestamp``, ``datetime64`` and
Arrow timestamp dates at midnight are dates.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..language.mentions import mentioned_fields
from ..model import intake
from ..model.dimensions import DIMENSIONS, FIELDS, KEY_FIELDS, NUMBER_FIELDS, Kind
from ..model.domain import MAX_RANGE_KM, Decision
from ..model.errors import PolicyRulesError, Problem, StrikeError, located
from ..packs.pack import Pack
from .decider import RuleSetDecider

(DATE,) = (f.name for f in FIELDS.values() if f.given and f.kind is Kind.DATE)
COLUMNS = (*KEY_FIELDS, DATE, *NUMBER_FIELDS)
REQUIRED = tuple(f.name for f in FIELDS.values() if f.given and not f.optional and f.default is None
                 and f.fixed_by is None)
DEFAULTS: dict[str, Any] = {f.name: f.default for f in FIELDS.values() if f.given and f.default is not None}
#: The value dimensions and the given non-numeric fields of each, by name.
VALUE_DIMENSIONS: dict[str, tuple[str, ...]] = {
    d.name: tuple(f for f in d.fields if f in KEY_FIELDS) for d in DIMENSIONS.values() if not d.numeric}
_PICKER = next(f.name for f in FIELDS.values() if f.picks_policy)
_PICKER_DIMENSION = FIELDS[_PICKER].dimension
_MAX_DENSE = 1 << 24  # distinct raw values of a dimension, or classes, held in a dense table
Int = np.ndarray[Any, np.dtype[np.signedinteger[Any]]]  # int32 per row (half the memory traffic)
ROW_INT = np.int32
Float = np.ndarray[Any, np.dtype[np.float64]]
Bool = np.ndarray[Any, np.dtype[np.bool_]]
Outcome = tuple[Decision, str, str, str]  # decision, rule id, policy id, version


class Engine(Protocol):
    """What vectorised evaluation needs of an evaluator."""

    @property
    def pack(self) -> Pack: ...

    def decider_for(self, supplier: str | None, day: Any) -> RuleSetDecider: ...

    def evaluate(self, strike: Any) -> Any: ...


# Columns in -------------------------------------------------------------------------------


@dataclass
class Encoded:
    """A column as a code per row (-1: no value) and the distinct values (as ``evaluate`` sees them)."""

    codes: Int
    values: list[Any]

    def value(self, i: int) -> Any:
        c = int(self.codes[i])
        return None if c < 0 else self.values[c]


@dataclass
class Numbers:
    """A numeric column as floats (NaN where missing or not a number), ``given`` per row, and the
    value each row gives (for the rows only ``evaluate`` can judge)."""

    x: Float
    given: Bool
    original: Callable[[int], Any]


def is_null(v: Any) -> bool:
    """None, NaN, ``pd.NA``, ``NaT``: the column idioms for a value left out."""
    if v is None:
        return True
    if isinstance(v, float):
        return math.isnan(v)
    name = type(v).__name__
    return name in ("NAType", "NaTType") or (name == "datetime64" and bool(np.isnat(v)))


def as_date(v: Any, typed: bool) -> Any:
    """A pandas Timestamp, a numpy datetime64 (or, from a typed column, a datetime) at midnight as a date."""
    if type(v).__name__ == "datetime64":
        v = v.astype("datetime64[us]").item()
        typed = True
    if isinstance(v, dt.datetime) and (typed or type(v).__name__ == "Timestamp") and v.tzinfo is None \
            and v.time() == dt.time(0) and getattr(v, "nanosecond", 0) == 0:
        return v.date()
    return v


def _encode_objects(seq: Sequence[Any], date: bool) -> Encoded:
    """Dictionary-encode Python objects, keeping types apart (``1`` and ``True`` are not one value)."""
    index: dict[Any, int] = {}
    values: list[Any] = []
    codes = np.empty(len(seq), dtype=ROW_INT)
    for i, v in enumerate(seq):
        if is_null(v):
            codes[i] = -1
            continue
        try:
            k: Any = (v.__class__, v)
            c = index.get(k)
        except TypeError:  # unhashable: a value of its own
            k, c = None, None
        if c is None:
            c = len(values)
            values.append(as_date(v, False) if date else v)
            if k is not None:
                index[k] = c
        codes[i] = c
    return Encoded(codes, values)


def _encode_arrow(arr: pa.Array | pa.ChunkedArray, date: bool) -> Encoded:
    if isinstance(arr, pa.ChunkedArray):
        if arr.num_chunks == 1:
            arr = arr.chunk(0)
        else:
            arr = arr.unify_dictionaries().combine_chunks() if pa.types.is_dictionary(arr.type) else \
                arr.combine_chunks()
    if pa.types.is_null(arr.type):
        return Encoded(np.full(len(arr), -1, dtype=ROW_INT), [])
    if not pa.types.is_dictionary(arr.type):
        arr = pc.dictionary_encode(arr)
    indices = arr.indices if arr.indices.null_count == 0 else arr.indices.fill_null(-1)
    codes = indices.to_numpy(zero_copy_only=False).astype(ROW_INT, copy=False)
    typed = pa.types.is_timestamp(arr.dictionary.type)
    values = arr.dictionary.to_pylist()
    if date:
        values = [as_date(v, typed) for v in values]
    return Encoded(codes, values)


def encode(column: Any, date: bool = False) -> Encoded:
    """A column of any kind (Arrow, pandas, numpy, a Python sequence) dictionary-encoded."""
    if isinstance(column, (pa.Array, pa.ChunkedArray)):
        return _encode_arrow(column, date)
    if type(column).__name__ == "Series" or isinstance(column, np.ndarray):
        try:
            return _encode_arrow(pa.array(column, from_pandas=True), date)
        except (pa.ArrowException, TypeError, ValueError, OverflowError):
            return _encode_objects(list(column), date)
    seq = column if isinstance(column, Sequence) else list(column)
    try:
        arr = pa.array(seq)
    except (pa.ArrowException, TypeError, ValueError, OverflowError):
        return _encode_objects(seq, date)
    if pa.types.is_timestamp(arr.type) or pa.types.is_floating(arr.type):  # keep datetimes and NaNs as given
        return _encode_objects(seq, date)
    return _encode_arrow(arr, date)


def numbers(column: Any, optional: bool) -> Numbers:
    """A numeric column as floats; rows whose value is not a plain number are not ``given`` and
    ``original`` tells what they hold."""
    arr: Any = None
    if isinstance(column, (pa.Array, pa.ChunkedArray)):
        arr = column
    else:
        pandas = type(column).__name__ == "Series" or isinstance(column, np.ndarray)
        # A Python list is read value by value below: Arrow would take a bool among floats as 1.0.
        try:
            arr = pa.array(column, from_pandas=True) if pandas else None
        except (pa.ArrowException, TypeError, ValueError, OverflowError):
            arr = None
    if arr is not None and (pa.types.is_floating(arr.type) or pa.types.is_integer(arr.type)
                            or pa.types.is_decimal(arr.type) or pa.types.is_null(arr.type)):
        if isinstance(arr, pa.ChunkedArray) and arr.num_chunks == 1:
            arr = arr.chunk(0)
        floats = arr if arr.type == pa.float64() else arr.cast(pa.float64())
        if arr.null_count == 0:  # the common case: the buffer as it is, no copies
            given = np.ones(len(arr), dtype=bool)
            x = np.asarray(floats.to_numpy(zero_copy_only=False), dtype=np.float64)
        else:
            given = np.asarray(arr.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
            x = np.asarray(floats.fill_null(math.nan).to_numpy(zero_copy_only=False), dtype=np.float64)
        if optional:
            given &= ~np.isnan(x)
        if isinstance(column, Sequence):
            return Numbers(x, given, column.__getitem__)
        source = arr

        def original(i: int) -> Any:
            return source[i].as_py()
        return Numbers(x, given, original)
    seq: Sequence[Any] = column if isinstance(column, Sequence) else list(column)
    if arr is not None:
        seq = arr.to_pylist()
    n = len(seq)
    try:
        x = np.fromiter((v if type(v) is float else math.nan for v in seq), dtype=np.float64, count=n)
        given = np.fromiter((v is not None for v in seq), dtype=bool, count=n)
    except TypeError:
        x, given = np.full(n, math.nan), np.ones(n, dtype=bool)
    slow = np.flatnonzero(np.isnan(x) & given)
    for i in slow.tolist():  # ints, numpy scalars, NaN, odd values: a float only where evaluate takes it as one
        v = seq[i]
        if is_null(v):
            given[i] = not optional and isinstance(v, float)  # NaN in a required number: its own error
        elif isinstance(v, (int, float)) and not isinstance(v, bool) and -(2**53) <= v <= 2**53:
            x[i] = float(v)
    return Numbers(x, given, seq.__getitem__)


def columns_of(data: Any) -> tuple[dict[str, Any], int]:
    """Field name -> column, and the row count, from a mapping, an Arrow table or record batch, a
    pandas or Polars frame; unknown, missing and unequal columns are one clear error."""
    if type(data).__module__.startswith("polars"):
        data = data.to_arrow()
    if isinstance(data, (pa.Table, pa.RecordBatch)):
        cols: dict[str, Any] = {name: data.column(name) for name in data.column_names}
    elif hasattr(data, "columns") and hasattr(data, "iloc"):  # pandas
        cols = {str(name): data[name] for name in data.columns}
    elif isinstance(data, Mapping):
        cols = {str(k): v for k, v in data.items()}
    else:
        raise StrikeError([Problem("", "columns are a mapping of field name to a sequence of values, or a table")])
    unknown = sorted(k for k in cols if k not in COLUMNS)
    if unknown:
        raise StrikeError([Problem(k, "unknown column") for k in unknown])
    missing = [k for k in REQUIRED if k not in cols]
    if missing:
        raise StrikeError([Problem(k, "required column") for k in missing])
    lengths = {k: len(v) for k, v in cols.items()}
    if len(set(lengths.values())) > 1:
        raise StrikeError([Problem("", "columns differ in length: " +
                                   ", ".join(f"{k}={n}" for k, n in lengths.items()))])
    return cols, next(iter(lengths.values()))


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
class _Dimension:
    """The distinct valid values of a value dimension in a batch: per row an index (``len(bases)``:
    the row needs full validation) and per value its facts (and its Base: bounds, the picker)."""

    rows: Int
    facts: list[dict[str, Any]]
    bases: list[intake.Base]


def _dimension(engine: Engine, name: str, encoded: Mapping[str, Encoded], n: int, filler: dict[str, Any]) -> _Dimension:
    names = VALUE_DIMENSIONS[name]
    raw: Int | None = None
    radix = 1
    wide = math.prod(len(e.values) + 1 for f in names if (e := encoded.get(f)) is not None) >= 2**31
    for f in names:
        e = encoded.get(f)
        if e is None:
            continue
        codes = e.codes.astype(np.int64) if wide else e.codes
        term = codes + 1 if radix == 1 else (codes + 1) * radix
        if raw is None:
            raw = term
        else:
            raw += term
        radix *= len(e.values) + 1
    if raw is None:
        raw = np.zeros(n, dtype=ROW_INT)
    if radix <= _MAX_DENSE:
        present: Int = np.flatnonzero(np.bincount(raw, minlength=radix))
        slots: Int = present
        lookup: Int = np.full(radix, -1, dtype=ROW_INT)
    else:  # too many distinct values for a dense table: sort them
        present, inverse = np.unique(raw, return_inverse=True)
        raw, slots = inverse.astype(np.int64), np.arange(len(present), dtype=np.int64)
        lookup = np.full(len(present), -1, dtype=ROW_INT)
    facts: list[dict[str, Any]] = []
    bases: list[intake.Base] = []
    catalog = engine.pack.catalog
    for slot, code in zip(slots.tolist(), present.tolist(), strict=True):
        values = dict(filler)
        rest = code
        for f in names:
            e = encoded.get(f)
            if e is None:
                values[f] = DEFAULTS.get(f)
                continue
            c = rest % (len(e.values) + 1) - 1
            rest //= len(e.values) + 1
            values[f] = e.values[c] if c >= 0 else DEFAULTS.get(f)
        b = intake.base(catalog, tuple(values[f] for f in KEY_FIELDS))
        if b is None:
            continue
        lookup[slot] = len(bases)
        bases.append(b)
        facts.append({f: b.facts[f] for f in DIMENSIONS[name].fields if f in b.facts})
    lookup[lookup < 0] = len(bases)  # the slot of values only full validation judges
    return _Dimension(lookup[raw], facts, bases)


def _dates(encoded: Encoded | None) -> tuple[list[dt.date | None], Int, Bool]:
    """The distinct dates (None: not given), per row an index into them, and per distinct value
    whether it is a date the fast path reads (others: full validation)."""
    if encoded is None:
        return [None], np.zeros(0, dtype=ROW_INT), np.ones(1, dtype=bool)
    days: list[dt.date | None] = [None]
    ok = [True]
    for v in encoded.values:
        d = intake.date_of(v)
        ok.append(d is not False)
        days.append(d if d is not False else None)  # type: ignore[arg-type]
    return days, encoded.codes + 1, np.array(ok, dtype=bool)


def _gather(table: Int, index: Int) -> Int:
    return table[index]


def _code_numbers(x: Float, cuts: Float) -> Int:
    """Per value, ``2j`` between thresholds ``j-1`` and ``j``, ``2j + 1`` on threshold ``j``."""
    left = np.searchsorted(cuts, x, side="left")
    on = np.append(cuts, math.inf)[left] == x  # on threshold ``left`` (one gather, not a second search)
    out: Int = 2 * left.astype(ROW_INT) + on
    return out


#: Rows decided at once: the arrays of a chunk are reused from the allocator's heap rather than
#: mapped afresh (page faults dominate whole-column temporaries of tens of millions of rows).
CHUNK_ROWS = 1 << 20


def decide(engine: Engine, data: Any) -> Decided:
    """Every row's outcome, equal to ``engine.evaluate`` of the row (see the module's docstring)."""
    cols, n = columns_of(data)
    if n <= CHUNK_ROWS:
        return _decide(engine, cols, n)
    parts = [_decide(engine, {k: _slice(v, a, min(n, a + CHUNK_ROWS)) for k, v in cols.items()},
                     min(n, a + CHUNK_ROWS) - a) for a in range(0, n, CHUNK_ROWS)]
    errors = {a + i: e for a, part in zip(range(0, n, CHUNK_ROWS), parts, strict=True) for i, e in part.errors.items()}
    return Decided(np.concatenate([p.codes for p in parts]), parts[-1].outcomes, errors)


def _slice(column: Any, a: int, b: int) -> Any:
    if isinstance(column, (pa.Array, pa.ChunkedArray)):
        return column.slice(a, b - a)
    if type(column).__name__ == "Series":
        return column.iloc[a:b]
    return column[a:b]


def _decide(engine: Engine, cols: Mapping[str, Any], n: int) -> Decided:
    tables = _tables(engine)
    encoded = {f: encode(cols[f], date=f == DATE) for f in (*KEY_FIELDS, DATE) if f in cols}
    nums = {f: numbers(cols[f], FIELDS[f].optional) for f in NUMBER_FIELDS if f in cols}
    filler = _filler(engine)
    bad: Bool = np.zeros(n, dtype=bool)
    dims = {name: _dimension(engine, name, encoded, n, filler) for name in VALUE_DIMENSIONS}
    for d in dims.values():
        bad |= d.rows == len(d.bases)
    picker = dims[_PICKER_DIMENSION]
    safe = {name: d.rows for name, d in dims.items()}  # the extra slot reads harmless codes
    # Rule sets: per (supplier, date) pair present.
    days, day_rows, day_ok = _dates(encoded.get(DATE))
    if DATE not in encoded:
        day_rows = np.zeros(n, dtype=ROW_INT)
    bad |= ~day_ok[day_rows]
    pickers = sorted({b.picker for b in picker.bases}, key=lambda p: (p is None, p or ""))
    picker_code = np.array([*(pickers.index(b.picker) for b in picker.bases), 0], dtype=ROW_INT)
    pair = picker_code[safe[_PICKER_DIMENSION]] * len(days) + day_rows
    deciders: list[RuleSetDecider] = []
    decider_of_pair = np.full(max(1, len(pickers)) * len(days), -1, dtype=ROW_INT)
    seen: dict[int, int] = {}
    for p in np.flatnonzero(np.bincount(pair[~bad], minlength=len(decider_of_pair))).tolist():
        try:
            rs = engine.decider_for(pickers[p // len(days)], days[p % len(days)])
        except PolicyRulesError:  # no version in force: evaluate words it
            continue
        decider_of_pair[p] = seen.setdefault(id(rs), len(deciders))
        if decider_of_pair[p] == len(deciders):
            deciders.append(rs)
    route = decider_of_pair[pair]
    bad |= route < 0
    route = np.where(route < 0, 0, route)
    # Numbers: checked against their bounds, coded among the union of every rule set's thresholds.
    number_codes: dict[str, tuple[Int, Float]] = {}
    for k, f in enumerate(NUMBER_FIELDS):
        col = nums.get(f)
        if col is None:
            x: Float = np.full(n, math.nan)
            given: Bool = np.zeros(n, dtype=bool)
        else:
            x, given = col.x, col.given
        if not FIELDS[f].optional:
            bad |= ~given
        limit = np.array([*(b.limits[k] for b in picker.bases), MAX_RANGE_KM])[safe[_PICKER_DIMENSION]] \
            if DIMENSIONS[FIELDS[f].dimension].bounded_by else MAX_RANGE_KM
        with np.errstate(invalid="ignore"):
            bad |= given & ~((x >= 0) & (x <= limit))
        cuts = np.array(sorted({t for d in deciders for t in d.thresholds_of[f]}), dtype=np.float64)
        # NaN (not given) codes as 2m: rows of a required number are bad; an optional one's are left out
        codes = _code_numbers(x, cuts)
        number_codes[f] = (np.where(given, codes, 2 * len(cuts) + 1) if FIELDS[f].optional else codes, cuts)
    # One class index per row: per rule set, a dense block of its classes; per part (each value
    # dimension, each number) a table [rule set, value] -> local class code times its stride.
    names = [*dims, *NUMBER_FIELDS]
    local: dict[str, list[list[int]]] = {name: [] for name in names}
    meaning: list[list[list[Any]]] = []  # per rule set, per part: what each local code stands for
    radices: list[list[int]] = []
    for rs in deciders:
        mentioned = tables.mentioned.get(id(rs))
        if mentioned is None:
            mentioned = tables.mentioned[id(rs)] = frozenset(mentioned_fields(rs.conditions))
        means: list[list[Any]] = []
        for name, dim in dims.items():
            fields = [f for f in DIMENSIONS[name].fields if f in mentioned]
            ks: dict[tuple[Any, ...], int] = {}
            local[name].append([*(ks.setdefault(tuple(facts.get(f) for f in fields), len(ks)) for facts in dim.facts),
                                0])
            means.append(list(ks) or [()])
        for f in NUMBER_FIELDS:
            cuts = number_codes[f][1]
            mine = np.array(rs.thresholds_of[f], dtype=np.float64)
            reps = [_representative(cuts, g) for g in range(2 * len(cuts) + 2)]
            local[f].append([0 if r is None else 1 + int(_code_numbers(np.array([r]), mine)[0]) for r in reps])
            means.append(list(range(2 * len(mine) + 2)))
        meaning.append(means)
        radices.append([len(m) for m in means])
    strides = [[math.prod(r[:p]) for p in range(len(r))] for r in radices]
    sizes = [math.prod(r) for r in radices]
    offsets = [sum(sizes[:j]) for j in range(len(sizes))]
    size = sum(sizes)
    if size > _MAX_DENSE * 4:
        raise PolicyRulesError(f"too many classes for vectorised evaluation ({size:,}); use the row path")
    index = np.zeros(n, dtype=ROW_INT)
    route_by_width: dict[int, Int] = {}
    for p, name in enumerate(names if deciders else ()):
        per = local[name]
        width = max((len(c) for c in per), default=0) or 1
        table = np.zeros((max(1, len(deciders)), width), dtype=ROW_INT)
        for j, mine_codes in enumerate(per):
            table[j, :len(mine_codes)] = np.array(mine_codes, dtype=ROW_INT) * strides[j][p]
        if not table.any():  # no rule set tells this part's values apart: nothing to add
            continue
        value = safe[name] if name in dims else number_codes[name][0]
        at = route_by_width.get(width)
        if at is None:
            at = route_by_width[width] = route * width
        index += _gather(table.ravel(), at + value)
    if deciders:
        index += np.array(offsets, dtype=ROW_INT)[route]
    index = np.where(bad, size, index)
    # Decide each class present once (or read it from the engine's table), then gather.
    out_table = np.full(size + 1, -1, dtype=ROW_INT)
    present = np.flatnonzero(np.bincount(index, minlength=size + 1)[:size])
    classes = tables.classes if getattr(engine, "backend", "") == "compiled" else {}  # durable: matched each call
    if len(present):
        rep: Int = np.zeros(size + 1, dtype=np.int64)
        rep[index] = np.arange(n, dtype=np.int64)
        block = np.searchsorted(np.array(offsets), present, side="right") - 1
        with tables.lock:
            for k, j in zip(present.tolist(), block.tolist(), strict=True):
                d, rest = deciders[j], k - offsets[j]
                key = (id(d), *(meaning[j][p][(rest // strides[j][p]) % radices[j][p]] for p in range(len(names))))
                found = classes.get(key)
                if found is None:
                    r = int(rep[k])
                    facts: dict[str, Any] = {}
                    for dim in dims.values():
                        facts.update(dim.facts[int(dim.rows[r])])
                    for f in NUMBER_FIELDS:
                        col = nums.get(f)
                        facts[f] = float(col.x[r]) if col is not None and col.given[r] else None
                    v = d.decide(facts)
                    found = classes[key] = tables.outcome_id((v.decision, v.rule.id, v.policy.id, v.policy.version))
                out_table[k] = found
    codes = out_table[index]
    result = Decided(codes, list(tables.outcomes))
    _fallback(engine, tables, result, np.flatnonzero(codes < 0), encoded, nums)
    return result


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
