"""``python -m benchmarks scale --only rows,workers,batch``: how columnar evaluation grows with rows.

- rows: the vectorised path (``evaluate_columns`` on a pyarrow table of dictionary-encoded columns,
  as read from Parquet) at 1e5..1e7 rows (1e8 with ``--rows``), each size in three fresh child
  processes (one with ``--quick``): rows/s of the first call (every class decided) and of the next
  (classes known), the median of the processes with their range (a first call is one sample per
  process, and the machine's memory traffic moves it by a tenth or more), and the peak memory per
  row above the table itself; plus Python lists (``evaluate_columns`` of a dict of lists,
  the vectorised path, first call and the median of three more; and the row path once) at 1e5 and
  1e6 rows, for the ratio to the if/elif floor of ``python -m benchmarks``. The issue's targets:
  >= 20 M rows/s on 1e7 table rows (first call and next), and Python lists at or below the floor.
- workers: ``policyrules.dask.evaluate`` on a ``distributed.LocalCluster`` of 1 and 2 worker
  processes (one thread each), 2e6 rows in 8 partitions, compared row by row with the vectorised path.
- batch: ``policyrules evaluate --input X.parquet --output Y.parquet`` on 1e5, 1e6 and 3e6 rows (row
  groups of 1Mi rows) in a child process: seconds and peak RSS (flat memory: close peaks).

Strikes: 20,000 random valid strikes of the bundled pack (``benchmarks.strikes``), sampled with
replacement to the size wanted.
"""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .common import ROOT, table

ROWS = (100_000, 1_000_000, 10_000_000)
RUNS = 3  # fresh processes per size of the rows figure
POOL = 20_000


def strike_table(n: int, seed: int = 1) -> Any:
    """``n`` random valid strikes as a pyarrow table, strings dictionary-encoded (as Parquet gives them)."""
    import numpy as np
    import pyarrow as pa

    from policyrules import Engine
    from policyrules.deciding.columnar import COLUMNS

    from .strikes import random_strikes

    engine = Engine.load(backend="compiled")
    rows = random_strikes(engine.pack, POOL)
    pool = pa.table({c: [r.get(c) for r in rows] for c in COLUMNS if any(c in r for r in rows)})
    big = pool.take(pa.array(np.random.default_rng(seed).integers(0, POOL, n)))
    return pa.table({c: big[c].combine_chunks().dictionary_encode() if pa.types.is_string(big[c].type)
                     else big[c].combine_chunks() for c in big.column_names})


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(argv: Sequence[str]) -> dict[str, Any]:
    """In a fresh process: one figure at one size (``rows N`` or ``lists N`` or ``dask N WORKERS``)."""
    from policyrules import Engine

    what, n = argv[0], int(argv[1])
    engine = Engine.load(backend="compiled")
    out: dict[str, Any] = {"what": what, "rows": n}
    if what == "write":
        import pyarrow.parquet as pq

        pq.write_table(strike_table(n), argv[2], row_group_size=1 << 20)  # a row group is read whole: 1Mi rows
    elif what == "rows":
        t = strike_table(n)
        base = _rss_mb()
        out["table_mb"] = t.nbytes / 2**20
        for label in ("first", "next"):
            t0 = time.perf_counter()
            got = engine.evaluate_columns(t)
            out[f"{label}_s"] = time.perf_counter() - t0
            assert len(got) == n
        out["extra_bytes_per_row"] = max(0.0, _rss_mb() - base) * 2**20 / n
    elif what == "lists":
        from policyrules.deciding import columnar

        t = strike_table(n)
        cols = {c: t.column(c).to_pylist() for c in t.column_names}
        old, columnar.VECTORISED_MIN_ROWS = columnar.VECTORISED_MIN_ROWS, 1 << 62  # the row path, once
        try:
            t0 = time.perf_counter()
            engine.evaluate_columns(cols)
            out["row_path_s"] = time.perf_counter() - t0
        finally:
            columnar.VECTORISED_MIN_ROWS = old
        times = []
        for _ in range(4):
            t0 = time.perf_counter()
            engine.evaluate_columns(cols)
            times.append(time.perf_counter() - t0)
        out["vectorised_first_s"] = times[0]
        out["vectorised_s"] = sorted(times[1:])[1]
    elif what == "dask":
        import dask.dataframe as dd
        import distributed

        from policyrules import dask as prdask

        workers = int(argv[2])
        frame = strike_table(n).to_pandas()
        frame["self_defense"] = frame["self_defense"].astype("boolean")
        with distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                      dashboard_address=None) as cluster, distributed.Client(cluster):
            ddf = dd.from_pandas(frame, npartitions=8).persist()
            prdask.evaluate(ddf, engine).compute()  # warm: workers load the pack
            t0 = time.perf_counter()
            got = prdask.evaluate(ddf, engine).compute()
            out["seconds"] = time.perf_counter() - t0
        want = engine.evaluate_columns(frame)
        out["equal"] = got["rule"].tolist() == want.rules
    return out


def _run_child(args: list[str], timeout: float = 1800) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "benchmarks.rows", *args]
    try:
        p = subprocess.run(cmd, check=False, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:g} s"}
    if p.returncode != 0:
        return {"error": (p.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(p.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def _batch(n: int, log: Callable[[str], None]) -> dict[str, Any]:
    import pyarrow.parquet as pq

    with tempfile.TemporaryDirectory(prefix="policyrules-batch-") as tmp:
        src, dst = Path(tmp, "in.parquet"), Path(tmp, "out.parquet")
        # Written by another child: a process's peak RSS counts its parent's pages up to the exec.
        made = _run_child(["write", str(n), str(src)])
        if "error" in made:
            return {"rows": n, **made}
        log(f"batch: {n:,} rows, policyrules evaluate --input {src.name} --output {dst.name}")
        code = ("import resource, sys, time; from policyrules.cli import main; t = time.perf_counter(); "
                f"rc = main(['evaluate', '--backend', 'compiled', '--input', {str(src)!r}, '--output', {str(dst)!r}]); "
                "print(rc, time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)")
        p = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, cwd=ROOT)
        if p.returncode != 0:
            return {"rows": n, "error": (p.stderr.strip().splitlines() or ["failed"])[-1]}
        rc, secs, rss = p.stdout.split()[-3:]
        return {"rows": n, "exit": int(rc), "seconds": float(secs), "peak_rss_mb": int(rss) / 1024,
                "out_rows": pq.ParquetFile(dst).metadata.num_rows}


def _byte_compiled(log: Callable[[str], None]) -> None:
    """Byte-compile the package, as pip does when it installs it, so that a child's first call reads
    the modules it imports instead of compiling them (a checkout in editable mode has no bytecode,
    and none is written where PYTHONDONTWRITEBYTECODE is set): 30-40 ms of a first call here."""
    import compileall

    import policyrules

    where = Path(policyrules.__file__).parent
    ok = compileall.compile_dir(where, quiet=2)
    log(f"rows: {where} byte-compiled, as an installed package is" if ok else
        f"rows: {where} could not be byte-compiled: a first call includes compiling what it imports")


def _median_of(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The rows figure of one size over its child processes: the median of each time (each process's
    kept in ``first_all`` and ``next_all``), or the first error."""
    for r in runs:
        if "error" in r:
            return r
    out = dict(runs[0])
    for key in ("first_s", "next_s", "extra_bytes_per_row"):
        out[key] = statistics.median(r[key] for r in runs)
    out["first_all"] = [r["first_s"] for r in runs]
    out["next_all"] = [r["next_s"] for r in runs]
    return out


def run(quick: bool, figures: Sequence[str], rows: Sequence[int] | None, log: Callable[[str], None]) -> dict[str, Any]:
    sizes = list(rows or ((100_000, 1_000_000) if quick else ROWS))
    out: dict[str, Any] = {"rows": [], "lists": [], "workers": [], "batch": []}
    if {"rows", "workers", "batch"} & set(figures):
        _byte_compiled(log)
    if "rows" in figures:
        runs = 1 if quick else RUNS
        for n in sizes:
            log(f"rows: {n:,} rows in {runs} child process(es), one after the other")
            out["rows"].append(_median_of([_run_child(["rows", str(n)]) for _ in range(runs)]))
        out["lists"] = []
        for n in (100_000, 1_000_000):
            log(f"rows: {n:,} rows as Python lists")
            out["lists"].append(_run_child(["lists", str(n)]))
    if "workers" in figures:
        for w in (1, 2):
            log(f"workers: Dask LocalCluster, {w} worker process(es)")
            out["workers"].append({"workers": w, **_run_child(["dask", str(200_000 if quick else 2_000_000), str(w)])})
    if "batch" in figures:
        for n in (100_000, 1_000_000, 3_000_000):
            out["batch"].append(_batch(n, log))
    return out


def _rate(x: dict[str, Any], label: str) -> str:
    """M rows/s of the median time, with the range over the processes when there were several."""
    n, every = x["rows"], x.get(f"{label}_all") or []
    median = f"{n / x[f'{label}_s'] / 1e6:.2f}"
    if len(every) < 2:
        return median
    return f"{median} ({n / max(every) / 1e6:.2f}-{n / min(every) / 1e6:.2f})"


def report(r: dict[str, Any]) -> str:
    lines = []
    if r["rows"]:
        rows = [[f"{x['rows']:,}", _rate(x, "first"), _rate(x, "next"), f"{x['extra_bytes_per_row']:.0f}"]
                if "error" not in x else [str(x.get("rows", "?")), x["error"], "", ""] for x in r["rows"]]
        lines += [("evaluate_columns on a pyarrow table (dictionary-encoded strings), vectorised path; each size "
                  "in fresh processes: the median (and range)"),
                  table(["rows", "M rows/s (first)", "M rows/s (next)", "bytes/row (peak RSS above the table)"],
                        rows)]
    for x in r.get("lists") or []:
        if "error" in x:
            lines.append(f"Python lists: {x['error']}")
            continue
        lines.append(f"Python lists, {x['rows']:,} rows: vectorised path {x['vectorised_s'] / x['rows'] * 1e6:.2f} "
                     f"us/row (first call {x['vectorised_first_s'] / x['rows'] * 1e6:.2f}), row path "
                     f"{x['row_path_s'] / x['rows'] * 1e6:.2f} us/row (one call, the first in its process: "
                     "every class decided in it)")
    if r["workers"]:
        rows = [[str(x["workers"]), f"{x['rows']:,}", f"{x['seconds']:.2f}", f"{x['rows'] / x['seconds'] / 1e6:.2f}",
                 str(x["equal"])] if "error" not in x else [str(x["workers"]), x["error"], "", "", ""]
                for x in r["workers"]]
        lines += ["", "policyrules.dask.evaluate on a LocalCluster (one thread per worker process)",
                  table(["workers", "rows", "seconds", "M rows/s", "equal to columns"], rows)]
    if r["batch"]:
        rows = [[f"{x['rows']:,}", f"{x['seconds']:.1f}", f"{x['peak_rss_mb']:.0f}", str(x["exit"]),
                 f"{x['out_rows']:,}"] if "error" not in x else [f"{x['rows']:,}", x["error"], "", "", ""]
                for x in r["batch"]]
        lines += ["", "policyrules evaluate --input X.parquet --output Y.parquet (a child process)",
                  table(["rows", "seconds", "peak RSS MB", "exit", "rows out"], rows)]
    return "\n".join(lines)


if __name__ == "__main__":
    print(json.dumps(child(sys.argv[1:])))
