"""Strikes in a Dask DataFrame: :func:`evaluate` maps :func:`policyrules.evaluate_frame` over the
partitions (the ``dask`` extra). The engine travels as an :class:`~policyrules.engine_spec.EngineSpec`
(the pack's files and digest), one task in the graph, and each worker loads it once."""

from __future__ import annotations

from typing import Any, Literal

from .engine_spec import EngineSpec
from .frames import ERROR_COLUMN, OUTPUT_COLUMNS, evaluate_frame


def evaluate(ddf: Any, engine_spec: Any = None, *, errors: Literal["raise", "column"] = "raise") -> Any:
    """``ddf`` with ``decision``, ``rule``, ``policy`` and ``version`` columns (strings; and ``error``
    with ``errors="column"``), row by row equal to ``evaluate``. ``engine_spec``: an EngineSpec, an
    Engine, a rule directory, or None for the bundled pack with the compiled backend. Lazy, like
    any Dask frame: nothing runs before ``compute()``."""
    import pandas as pd
    from dask.delayed import delayed

    spec = EngineSpec.of(engine_spec)
    names = (*OUTPUT_COLUMNS, *((ERROR_COLUMN,) if errors == "column" else ()))
    meta = ddf._meta.drop(  # noqa: SLF001 - the frame's empty schema, as Dask's own docs use it
        columns=[c for c in (*OUTPUT_COLUMNS, ERROR_COLUMN) if c in ddf.columns]).assign(
        **{name: pd.Series([], dtype="string") for name in names})
    shipped = delayed(spec, pure=True)
    return ddf.map_partitions(_partition, shipped, errors, meta=meta)


def _partition(frame: Any, spec: EngineSpec, errors: Literal["raise", "column"]) -> Any:
    out = evaluate_frame(frame, spec.engine(), errors=errors)
    for name in (*OUTPUT_COLUMNS, *((ERROR_COLUMN,) if errors == "column" else ())):
        out[name] = out[name].astype("string")
    return out
