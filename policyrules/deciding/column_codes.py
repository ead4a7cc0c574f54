"""Columns in, as codes (the optional ``columns`` extra: numpy and pyarrow): each non-numeric
column dictionary-encoded (a code per row, read from Arrow's own buffers a chunk at a time, and a
small list of distinct values; a Python list of text, booleans and None is coded in C where the
extension is built, any other list is converted by Arrow first), each numeric one as floats with its
nulls; what :mod:`policyrules.deciding.vectorised` reads rows from.

Missing values follow the column idioms: null (None, ``pd.NA``, ``NaT``, a null in Arrow) is a field
not given, and so is NaN in an optional numeric column; pandas ``Timestamp``, ``datetime64`` and
Arrow timestamp dates at midnight are dates.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..model.dimensions import FIELDS, KEY_FIELDS, NUMBER_FIELDS, Kind
from ..model.errors import Problem, StrikeError
from . import speedups

(DATE,) = (f.name for f in FIELDS.values() if f.given and f.kind is Kind.DATE)
COLUMNS = (*KEY_FIELDS, DATE, *NUMBER_FIELDS)
REQUIRED = tuple(f.name for f in FIELDS.values() if f.given and not f.optional and f.default is None
                 and f.fixed_by is None)
Int = np.ndarray[Any, np.dtype[np.signedinteger[Any]]]  # int32 per row (half the memory traffic)
ROW_INT = np.int32
Float = np.ndarray[Any, np.dtype[np.float64]]
Bool = np.ndarray[Any, np.dtype[np.bool_]]



class Encoded:
    """A column as a code per row (-1: no value) and the distinct values (as ``evaluate`` sees them).
    From Arrow, the codes are the array's own buffers (its dictionary indices or its bits, and its
    validity bits), made into codes a chunk of rows at a time (:meth:`chunk`)."""

    def __init__(self, codes: np.ndarray, values: list[Any], valid: np.ndarray | None = None, offset: int = 0,
                 bits: bool = False) -> None:
        self.values = values
        self._raw = codes  # codes, or (``bits``) a bitmap whose row ``i`` is bit ``offset + i``
        self._valid = valid  # validity bitmap (row ``i``: bit ``offset + i``), or None: every row has a value
        self._offset = offset
        self._bits = bits
        self._codes: Int | None = codes if valid is None and not bits else None
        self._n = len(codes) if not bits else -1

    @classmethod
    def of_bits(cls, data: np.ndarray, valid: np.ndarray | None, offset: int, n: int, values: list[Any]) -> Encoded:
        out = cls(data, values, valid, offset, bits=True)
        out._n = n
        return out

    def __len__(self) -> int:
        return self._n

    def chunk(self, a: int, b: int, out: Int | None = None) -> Int:
        """The codes of rows ``a`` to ``b`` (a view of the column's, or written into ``out``)."""
        if self._codes is not None:
            return self._codes[a:b]
        raw: Int = _bits(self._raw, self._offset + a, b - a) if self._bits else self._raw[a:b]
        if self._valid is None:
            return raw
        valid = _bits(self._valid, self._offset + a, b - a)
        # Whatever a null row holds, times 0, less 1: no branches.
        out = np.multiply(raw, valid, dtype=ROW_INT, out=out)
        out += valid
        out -= 1
        return out

    @property
    def codes(self) -> Int:
        if self._codes is None:
            self._codes = self.chunk(0, len(self)).astype(ROW_INT, copy=False)
        return self._codes

    def value(self, i: int) -> Any:
        c = int(self.chunk(i, i + 1)[0])
        return None if c < 0 else self.values[c]


def _bits(bitmap: np.ndarray, start: int, count: int) -> Int:
    """Bits ``start`` .. ``start + count - 1`` of an Arrow bitmap (least significant bit first), as 0/1 bytes."""
    first = start // 8
    out: Any = np.unpackbits(bitmap[first:(start + count + 7) // 8], bitorder="little")
    return out[start - 8 * first:start - 8 * first + count]  # type: ignore[no-any-return]


def _bitmap(buffer: Any) -> np.ndarray | None:
    return None if buffer is None else np.frombuffer(buffer, dtype=np.uint8)


@dataclass
class Numbers:
    """A numeric column as floats (NaN where missing or not a number), ``given`` per row (None: every
    row holds a float, its ``x``, NaN included: no array of all True to make and read), and the
    value each row gives (for the rows only ``evaluate`` can judge)."""

    x: Float
    given: Bool | None
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
    if pa.types.is_null(arr.type) or len(arr) == 0:
        return Encoded(np.full(len(arr), -1, dtype=ROW_INT), [])
    if pa.types.is_boolean(arr.type):  # its bits are its codes among [False, True]
        valid, data = arr.buffers()
        return Encoded.of_bits(_bitmap(data), _bitmap(valid) if arr.null_count else None,  # type: ignore[arg-type]
                               arr.offset, len(arr), [False, True])
    if not pa.types.is_dictionary(arr.type):
        arr = pc.dictionary_encode(arr)
    indices = arr.indices
    valid, data = indices.buffers()
    raw = np.frombuffer(data, dtype=indices.type.to_pandas_dtype())[indices.offset:indices.offset + len(indices)]
    typed = pa.types.is_timestamp(arr.dictionary.type)
    values = arr.dictionary.to_pylist()
    if date:
        values = [as_date(v, typed) for v in values]
    if indices.null_count:
        return Encoded(raw, values, _bitmap(valid), indices.offset)
    return Encoded(raw, values)


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
    if speedups.encode_column is not None:  # text, booleans and None straight from the list, in C
        codes = np.empty(len(seq), dtype=ROW_INT)
        values = speedups.encode_column(seq, codes)
        if values is not None:
            return Encoded(codes, [as_date(v, False) for v in values] if date else values)
    try:
        arr = pa.array(seq)
    except (pa.ArrowException, TypeError, ValueError, OverflowError):
        return _encode_objects(seq, date)
    if pa.types.is_timestamp(arr.type) or pa.types.is_floating(arr.type):  # keep datetimes and NaNs as given
        return _encode_objects(seq, date)
    return _encode_arrow(arr, date)


def _plain_floats(seq: Sequence[Any]) -> tuple[Float, Bool] | None:
    """A sequence of plain floats and None as floats (NaN for None) and whether each is given; None
    when it holds anything else (an int, a bool, a numpy scalar: read value by value)."""
    if speedups.float_column is not None and type(seq) in (list, tuple):  # in C, where the extension is built
        x: Float = np.empty(len(seq))
        given: Bool = np.empty(len(seq), dtype=bool)
        return (x, given) if speedups.float_column(seq, x, given) else None
    if not set(map(type, seq)) <= {float, type(None)}:
        return None
    floats = pa.array(seq, pa.float64())  # Arrow reads them exactly
    if not floats.null_count:
        return np.asarray(floats.to_numpy(), dtype=np.float64), np.ones(len(seq), dtype=bool)
    return (np.asarray(floats.fill_null(math.nan).to_numpy(zero_copy_only=False), dtype=np.float64),
            np.asarray(floats.is_valid().to_numpy(zero_copy_only=False), dtype=bool))


def numbers(column: Any, optional: bool) -> Numbers:
    """A numeric column as floats; rows whose value is not a plain number are not ``given`` and
    ``original`` tells what they hold."""
    arr: Any = None
    if isinstance(column, (pa.Array, pa.ChunkedArray)):
        arr = column
    else:
        # A Python list, or an array or Series of objects, is read value by value below: Arrow would
        # take a bool after a float as 1.0.
        pandas = (type(column).__name__ == "Series" or isinstance(column, np.ndarray)) \
            and getattr(column.dtype, "kind", "O") != "O"
        try:
            arr = pa.array(column, from_pandas=True) if pandas else None
        except (pa.ArrowException, TypeError, ValueError, OverflowError):
            arr = None
    if arr is not None and (pa.types.is_floating(arr.type) or pa.types.is_integer(arr.type)
                            or pa.types.is_decimal(arr.type) or pa.types.is_null(arr.type)):
        if isinstance(arr, pa.ChunkedArray) and arr.num_chunks == 1:
            arr = arr.chunk(0)
        floats = arr if arr.type == pa.float64() else arr.cast(pa.float64())
        given: Bool | None = None  # the common case: no null, the buffer as it is, no copies
        if arr.null_count == 0:
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
    elif (plain := _plain_floats(seq)) is not None:
        x, given = plain
        if optional:
            given &= ~np.isnan(x)  # NaN in an optional number: left out
        return Numbers(x, given, seq.__getitem__)
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
