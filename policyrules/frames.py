"""Frames in, frames out: :func:`evaluate_frame` adds ``decision``, ``rule``, ``policy`` and
``version`` columns to a pandas, Polars or pyarrow table of strikes, row by row equal to
``Engine.evaluate`` (the vectorised path of :mod:`policyrules.deciding.vectorised`; needs the
``columns`` extra, and pandas or Polars for their frames)."""

from __future__ import annotations

import threading
from typing import Any, Literal

from .engine import Engine
from .model.errors import PolicyRulesError

#: The columns :func:`evaluate_frame` adds, in order (and ``error`` with ``errors="column"``).
OUTPUT_COLUMNS = ("decision", "rule", "policy", "version")
ERROR_COLUMN = "error"
_default: dict[str, Engine] = {}
_lock = threading.Lock()


def default_engine() -> Engine:
    """The bundled pack with the compiled backend, loaded once per process."""
    with _lock:
        if "engine" not in _default:
            _default["engine"] = Engine.load(backend="compiled")
        return _default["engine"]


def evaluate_frame(frame: Any, engine: Engine | None = None, *,
                   errors: Literal["raise", "column"] = "raise") -> Any:
    """``frame`` (a pandas or Polars DataFrame, a pyarrow Table or RecordBatch, with one column per
    strike field) with ``decision``, ``rule``, ``policy`` and ``version`` columns added; the same
    type back. ``errors="raise"``: the first invalid row raises its error, naming the row;
    ``errors="column"``: invalid rows get nulls and their error in an ``error`` column. Columns of
    those names already in the frame are replaced."""
    try:
        import pyarrow as pa

        from .deciding import vectorised
    except ImportError as e:
        raise PolicyRulesError("evaluate_frame needs the columns extra: pip install 'policyrules[columns]'") from e
    if errors not in ("raise", "column"):
        raise PolicyRulesError(f"errors must be 'raise' or 'column', not {errors!r}")
    engine = engine or default_engine()
    added = (*OUTPUT_COLUMNS, ERROR_COLUMN)
    kind = type(frame).__module__.split(".")[0]
    if kind not in ("pandas", "polars") and not isinstance(frame, (pa.Table, pa.RecordBatch)):
        raise PolicyRulesError(f"evaluate_frame takes a pandas or Polars DataFrame or a pyarrow Table, "
                               f"not {type(frame).__name__}")
    strikes = _without(frame, added, kind)
    decided = vectorised.decide(engine, strikes)
    if errors == "raise":
        error = decided.first_error()
        if error is not None:
            raise error
    names = (*OUTPUT_COLUMNS, *((ERROR_COLUMN,) if errors == "column" else ()))
    if kind == "pandas":
        import pandas as pd

        out = frame.drop(columns=[c for c in added if c in frame.columns]).copy()
        for k, name in enumerate(OUTPUT_COLUMNS):
            values, codes = decided.dictionary(k)
            out[name] = pd.Categorical.from_codes(codes, categories=values)
        if errors == "column":
            out[ERROR_COLUMN] = pd.array(decided.error_messages(), dtype="string")
        return out
    columns = [decided.arrow(k) for k in range(len(OUTPUT_COLUMNS))]
    if errors == "column":
        columns.append(decided.error_array())
    if kind == "polars":
        import polars as pl

        extra: Any = pl.from_arrow(pa.table(dict(zip(names, columns, strict=True))))
        return frame.drop([c for c in added if c in frame.columns]).hstack(extra.get_columns())
    out = frame.drop_columns([c for c in added if c in frame.schema.names])
    for name, column in zip(names, columns, strict=True):
        out = out.append_column(name, column)
    return out


def _without(frame: Any, names: tuple[str, ...], kind: str) -> Any:
    """The frame without output columns (a frame evaluated before can be evaluated again)."""
    present = [c for c in names if c in list(frame.columns if kind in ("pandas", "polars") else frame.schema.names)]
    if not present:
        return frame
    if kind == "pandas":
        return frame.drop(columns=present)
    if kind == "polars":
        return frame.drop(present)
    return frame.drop_columns(present)
