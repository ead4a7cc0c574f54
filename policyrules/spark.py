"""Strikes in a Spark DataFrame: :func:`evaluate` runs the vectorised path on each Arrow record
batch with ``mapInArrow`` (the ``spark`` extra). The engine travels as an
:class:`~policyrules.engine_spec.EngineSpec` (the pack's files and digest) and each executor process
loads it once."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal

from .engine_spec import EngineSpec
from .frames import ERROR_COLUMN, OUTPUT_COLUMNS, evaluate_frame


def evaluate(df: Any, engine_spec: Any = None, *, errors: Literal["raise", "column"] = "raise") -> Any:
    """``df`` with ``decision``, ``rule``, ``policy`` and ``version`` string columns (and ``error``
    with ``errors="column"``), row by row equal to ``evaluate``. ``engine_spec``: an EngineSpec, an
    Engine, a rule directory, or None for the bundled pack with the compiled backend."""
    from pyspark.sql.types import StringType, StructField, StructType

    spec = EngineSpec.of(engine_spec)
    added = (*OUTPUT_COLUMNS, ERROR_COLUMN)
    names = (*OUTPUT_COLUMNS, *((ERROR_COLUMN,) if errors == "column" else ()))
    kept = [f.name for f in df.schema.fields if f.name not in added]
    df = df.select(*kept)
    schema = StructType([*df.schema.fields, *(StructField(name, StringType(), nullable=True) for name in names)])

    def run(batches: Iterator[Any]) -> Iterator[Any]:
        engine = spec.engine()
        for batch in batches:
            yield _strings(evaluate_frame(batch, engine, errors=errors), names)

    return df.mapInArrow(run, schema)


def _strings(batch: Any, names: tuple[str, ...]) -> Any:
    """The added dictionary columns as plain strings (the type Spark's schema names)."""
    import pyarrow as pa

    columns = [batch.column(i).cast(pa.string()) if batch.schema.names[i] in names else batch.column(i)
               for i in range(batch.num_columns)]
    return pa.RecordBatch.from_arrays(columns, names=batch.schema.names)
