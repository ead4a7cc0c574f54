"""``policyrules evaluate --input FILE --output FILE``: batches of strikes in JSON Lines, CSV or
Parquet (by extension, or ``--input-format`` / ``--output-format``), read and written in record
batches (flat memory), with a progress bar on stderr when it is a terminal.

Every input row gives one output row, in order: its fields with ``decision``, ``rule``, ``policy``
and ``version``, or, for a bad row (a field refused, a line that is not JSON), its ``error`` in
their place; processing goes on. Exit code: 0 when every row was decided, 1 when any row has an
error record, 2 when the input cannot be read at all (a missing file, an unknown format or column).
Needs the ``columns`` extra (numpy and pyarrow)."""

from __future__ import annotations

import argparse
import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from ..engine import Engine
from ..model.dimensions import FIELDS, Kind
from ..model.errors import PolicyRulesError, shown
from ._common import EXIT_FAILED, EXIT_OK, Progress, UsageError, engine_from

FORMATS = ("jsonl", "csv", "parquet")
EXTENSIONS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}
BATCH_ROWS = 262_144  # rows read, decided and written at once (a few tens of MB)
RESULT_COLUMNS = ("decision", "rule", "policy", "version", "error")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--input", metavar="FILE", help="a batch of strikes: JSON Lines, CSV or Parquet (by extension)")
    p.add_argument("--output", metavar="FILE", help="where the batch's verdicts go, one row per input row "
                   "(JSON Lines, CSV or Parquet, by extension; default: JSON Lines on stdout)")
    p.add_argument("--input-format", choices=FORMATS, help="the input's format when its extension does not say")
    p.add_argument("--output-format", choices=FORMATS, help="the output's format when its extension does not say")


def wanted(args: argparse.Namespace) -> bool:
    return getattr(args, "input", None) is not None or getattr(args, "output", None) is not None


def _format(path: str | None, given: str | None, role: str) -> str:
    if given is not None:
        return given
    if path is None or path == "-":
        return "jsonl"
    found = EXTENSIONS.get(Path(path).suffix.lower())
    if found is None:
        raise UsageError(f"{shown(path)}: cannot tell the {role} format from the extension; "
                         f"give --{role}-format ({', '.join(FORMATS)})")
    return found


def run(args: argparse.Namespace, out: TextIO) -> int:
    if args.input is None:
        raise UsageError("--output needs --input (a JSON Lines, CSV or Parquet file of strikes)")
    if args.file is not None or args.strike is not None:
        raise UsageError("give --input or a strike (file or --strike), not both")
    try:
        import pyarrow as pa  # noqa: F401
    except ImportError:
        raise UsageError("batches need the columns extra: pip install 'policyrules[columns]'") from None
    source, sink = _format(args.input, args.input_format, "input"), _format(args.output, args.output_format, "output")
    path = Path(args.input)
    if not path.is_file():
        raise UsageError(f"{shown(args.input)}: no such file")
    engine = engine_from(args)
    failed = 0
    writer = _Writer(sink, args.output, out)
    with Progress(_rows(path, source), f"evaluating {path.name}") as progress:
        try:
            for batch in _read(path, source):
                done = evaluate_batch(engine, batch)
                errors = done.column("error")
                failed += len(errors) - errors.null_count
                writer.write(done, batch.records)
                progress.advance(done.num_rows)
        finally:
            writer.close()
    return EXIT_FAILED if failed else EXIT_OK


@dataclass
class Batch:
    """Rows read: ``table`` (what the output repeats), ``strikes`` (the strike fields as columns) and
    ``singles``: rows judged one by one (their dict for ``evaluate``, or the error they already have)."""

    table: Any
    strikes: Any
    singles: dict[int, Any] = field(default_factory=dict)
    records: list[dict[str, Any]] | None = None  # JSON Lines: each line's object as given


def evaluate_batch(engine: Engine, batch: Batch) -> Any:
    """The batch's table with the verdict columns added (strings), one output row per input row."""
    import pyarrow as pa

    from ..deciding import vectorised

    n = batch.table.num_rows
    try:
        decided = vectorised.decide(engine, batch.strikes)
    except PolicyRulesError:  # columns the batch as a whole lacks: each row judged as it is
        decided = None
    if decided is not None and not batch.singles:
        return _with(batch.table, [*(decided.arrow(k).cast(pa.string()) for k in range(4)),
                                   pa.array(decided.error_messages(), pa.string())])
    parts: list[list[Any]] = [[None] * n for _ in RESULT_COLUMNS]
    if decided is not None:
        parts = [*(decided.listed(k) for k in range(4)), decided.error_messages()]
        parts[0] = [None if d is None else d.value for d in parts[0]]
    for i in range(n):
        if decided is not None and i not in batch.singles:
            continue
        one = batch.singles.get(i, _row(batch.strikes, i))
        if isinstance(one, str):
            parts[4][i] = one
            for k in range(4):
                parts[k][i] = None
            continue
        try:
            v = engine.evaluate(one)
        except PolicyRulesError as e:
            parts[4][i] = f"{type(e).__name__}: {e}"
            for k in range(4):
                parts[k][i] = None
            continue
        parts[0][i], parts[1][i], parts[2][i], parts[3][i], parts[4][i] = \
            v.decision.value, v.rule.id, v.policy.id, v.policy.version, None
    return _with(batch.table, [pa.array(p, pa.string()) for p in parts])


def _row(strikes: Any, i: int) -> dict[str, Any]:
    """Row ``i`` of strike columns as evaluate's dict (a null is a field not given)."""
    from ..deciding.column_codes import as_date, is_null

    cols = {name: strikes.column(name) for name in strikes.column_names} if hasattr(strikes, "column_names") \
        else strikes
    out: dict[str, Any] = {}
    for name, col in cols.items():
        v = col[i]
        v = v.as_py() if hasattr(v, "as_py") else v
        if not is_null(v):
            out[name] = as_date(v, False) if name == "date" else v
    return out


def _with(table: Any, columns: list[Any]) -> Any:
    out = table.drop_columns([c for c in RESULT_COLUMNS if c in table.column_names])
    for name, column in zip(RESULT_COLUMNS, columns, strict=True):
        out = out.append_column(name, column)
    return out


# Reading -----------------------------------------------------------------------------------


def _rows(path: Path, source: str) -> int | None:
    if source != "parquet":
        return None
    import pyarrow.parquet as pq

    try:
        return int(pq.ParquetFile(path).metadata.num_rows)
    except Exception:
        return None


def _read(path: Path, source: str) -> Iterator[Batch]:
    import pyarrow as pa

    name = shown(str(path))
    try:
        if source == "parquet":
            import pyarrow.parquet as pq

            # Buffered reads, not the whole row group pre-read: memory follows the batch, not the file's row groups.
            parquet = pq.ParquetFile(path, buffer_size=1 << 20, pre_buffer=False)
            for batch in parquet.iter_batches(batch_size=BATCH_ROWS, use_threads=False):
                table = pa.Table.from_batches([batch])
                yield Batch(table, _strike_columns(table))
        elif source == "csv":
            yield from _read_csv(path)
        else:
            yield from _read_jsonl(path)
    except (pa.ArrowException, OSError) as e:
        raise UsageError(f"{name}: cannot read as {source}: {str(e).splitlines()[0]}") from None


def _read_csv(path: Path) -> Iterator[Batch]:
    """CSV as text columns (no type guessed from one block can refuse a later row), then each
    strike field read as what it is where it can be: numbers, true/false; anything else stays text
    and its row gets evaluate's error."""
    import pyarrow as pa
    import pyarrow.csv as pcsv

    with path.open("rb") as f:
        header = f.readline().decode("utf-8-sig", errors="replace").rstrip("\r\n")
    names: list[str] = next(iter(csv.reader([header])), [])
    options = pcsv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()), strings_can_be_null=True,
                                  null_values=[""])
    reader = pcsv.open_csv(path, read_options=pcsv.ReadOptions(block_size=1 << 22), convert_options=options)
    for batch in reader:
        table = pa.Table.from_batches([batch])
        yield Batch(table, typed(_strike_columns(table)))


def _strike_columns(table: Any) -> Any:
    """The strike fields of a table (other columns are carried to the output, not judged)."""
    from ..deciding.columnar import COLUMNS

    return table.select([c for c in table.column_names if c in COLUMNS])


def typed(table: Any) -> dict[str, Any]:
    """Text columns read as the strike fields' types where each value allows (others stay text)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    out: dict[str, Any] = {}
    for name in table.column_names:
        col = table.column(name).combine_chunks()
        f = FIELDS.get(name)
        if f is None or not pa.types.is_string(col.type):
            out[name] = col
        elif f.kind is Kind.NUMBER:
            try:
                out[name] = pc.cast(col, pa.float64())
            except pa.ArrowException:
                values: list[Any] = []
                for v in col.to_pylist():
                    try:
                        values.append(None if v is None else float(v))
                    except ValueError:
                        values.append(v)
                out[name] = np.array(values, dtype=object)
        elif f.kind is Kind.BOOL:
            words = {"true": True, "false": False}
            out[name] = np.array([None if v is None else words.get(v.strip().lower(), v) for v in col.to_pylist()],
                                 dtype=object)
        else:
            out[name] = col
    return out


def _read_jsonl(path: Path) -> Iterator[Batch]:
    """JSON Lines in batches: each object's strike fields as columns (the values as given); a line
    that is not a JSON object is a row with its error, and an object the columns cannot stand for
    (an unknown field, a null) is judged on its own."""
    import numpy as np
    import pyarrow as pa

    from ..deciding.columnar import COLUMNS

    known = set(COLUMNS)
    with path.open("rb") as f:
        n = 0
        while True:
            lines: list[int] = []
            records: list[dict[str, Any]] = []
            singles: dict[int, Any] = {}
            for raw in f:
                n += 1
                text = raw.decode("utf-8", errors="replace").strip()
                if n == 1:
                    text = text.removeprefix("\ufeff")
                if not text:
                    continue
                try:
                    value = json.loads(text)
                except (ValueError, RecursionError) as e:
                    value = f"UsageError: line {n}: not valid JSON: {e}"
                if not isinstance(value, (dict, str)):
                    value = f"UsageError: line {n}: not a JSON object"
                if isinstance(value, str):
                    singles[len(records)] = value
                    value = {}
                elif not known.issuperset(value) or any(v is None for v in value.values()):
                    singles[len(records)] = value
                lines.append(n)
                records.append(value)
                if len(records) >= BATCH_ROWS:
                    break
            if not records:
                return
            fields = [c for c in COLUMNS if any(c in r for r in records)]
            strikes = {c: np.array([r.get(c) for r in records], dtype=object) for c in fields}
            table = {"line": pa.array(lines, pa.int64())}
            for k in sorted({k for r in records for k in r}, key=lambda k: (k not in known, k)):
                table[k] = _json_column([r.get(k) for r in records])
            yield Batch(pa.table(table), strikes, singles, records)


def _json_column(values: list[Any]) -> Any:
    """A JSON field's values as one Arrow column: typed when they share a type, else each as JSON text."""
    import pyarrow as pa

    try:
        arr = pa.array(values)
        if not (pa.types.is_struct(arr.type) or pa.types.is_list(arr.type)):
            return arr
    except (pa.ArrowException, OverflowError):
        pass
    return pa.array([v if v is None or isinstance(v, str) else json.dumps(v) for v in values], pa.string())


# Writing -----------------------------------------------------------------------------------


class _Writer:
    def __init__(self, sink: str, path: str | None, out: TextIO) -> None:
        self.sink = sink
        self.path = path
        self.out = out
        self.writer: Any = None
        self.file: Any = None

    def write(self, table: Any, records: list[dict[str, Any]] | None = None) -> None:
        import pyarrow as pa

        if self.sink == "jsonl":
            if self.file is None:
                self.file = self.out if self.path in (None, "-") else Path(self.path).open("w", encoding="utf-8")  # noqa: SIM115
            results = table.select(["line", *RESULT_COLUMNS]) if records is not None else table
            for i, got in enumerate(results.to_pylist()):
                row = got if records is None else \
                    {"line": got["line"], **records[i], **{k: got[k] for k in RESULT_COLUMNS}}
                record = {k: v for k, v in row.items() if v is not None or k not in RESULT_COLUMNS}
                self.file.write(json.dumps(record, ensure_ascii=False, default=str, separators=(",", ":")) + "\n")
            return
        if self.path in (None, "-"):
            raise UsageError(f"{self.sink} output needs --output FILE")
        table = table.cast(pa.schema([pa.field(f.name, pa.string()) if pa.types.is_dictionary(f.type) else f
                                      for f in table.schema]))
        if self.writer is None:
            if self.sink == "parquet":
                import pyarrow.parquet as pq

                self.writer = pq.ParquetWriter(self.path, table.schema)
            else:
                import pyarrow.csv as pcsv

                self.writer = pcsv.CSVWriter(self.path, table.schema)
        elif table.schema != self.writer.schema:
            table = table.cast(self.writer.schema)
        self.writer.write_table(table)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        if self.file is not None and self.file is not self.out:
            self.file.close()
        elif self.file is not None:
            self.file.flush()
