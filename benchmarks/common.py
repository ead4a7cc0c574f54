"""Timing, memory and reporting helpers shared by the benchmarks."""

from __future__ import annotations

import gc
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def percentile(xs: list[float], q: float) -> float:
    s = sorted(xs)
    if not s:
        return math.nan
    k = (len(s) - 1) * q
    lo, hi = math.floor(k), math.ceil(k)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def summary(samples: list[float]) -> dict[str, Any]:
    """Median and quartiles of per-decision seconds, in microseconds."""
    us = [x * 1e6 for x in samples]
    return {"median_us": statistics.median(us), "p25_us": percentile(us, 0.25), "p75_us": percentile(us, 0.75),
            "min_us": min(us), "repeats": len(us)}


def interleaved(passes: Mapping[str, Callable[[], int]], repeats: int, min_pass_s: float) -> dict[str, dict[str, Any]]:
    """Time each pass ``repeats`` times, the contenders interleaved round by round so that drift
    of the machine hits them alike. A pass returns how many decisions it made; each is repeated
    in a loop long enough to last ``min_pass_s``. Result: per-decision seconds, summarised."""
    inner: dict[str, int] = {}
    for name, run in passes.items():  # warm-up and calibration
        t0 = time.perf_counter()
        run()
        dt_ = time.perf_counter() - t0
        inner[name] = max(1, math.ceil(min_pass_s / max(dt_, 1e-9)))
    samples: dict[str, list[float]] = {name: [] for name in passes}
    for _ in range(repeats):
        for name, run in passes.items():
            gc.collect()
            k = inner[name]
            t0 = time.perf_counter()
            n = 0
            for _ in range(k):
                n += run()
            samples[name].append((time.perf_counter() - t0) / n)
    return {name: {**summary(s), "inner_loops": inner[name]} for name, s in samples.items()}


def timed(fn: Callable[[], Any], repeats: int, setup: Callable[[], Any] | None = None) -> tuple[list[float], Any]:
    """Seconds of ``fn()`` over ``repeats`` calls (``setup`` untimed before each); the last result."""
    out = []
    result = None
    for _ in range(repeats):
        if setup is not None:
            setup()
        result = None  # the last call's result is freed here, not inside the next call's time
        gc.collect()
        t0 = time.perf_counter()
        result = fn()
        out.append(time.perf_counter() - t0)
    return out, result


def rss_bytes() -> int:
    """Current resident set size (Linux /proc), or the peak where /proc is missing."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return peak_rss_bytes()


def peak_rss_bytes() -> int:
    """Peak RSS of this process. On Linux VmHWM of /proc/self/status: getrusage's ru_maxrss of a
    child started by fork + exec also counts the parent's RSS at the fork."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return r if sys.platform == "darwin" else r * 1024


def environment() -> dict[str, Any]:
    import policyrules

    try:
        import importlib.metadata as md

        durable_version = md.version("durable_rules")
        pydantic_version = md.version("pydantic")
    except Exception:
        durable_version = pydantic_version = "?"
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], check=False, cwd=ROOT, capture_output=True, text=True,
                              timeout=10).stdout.strip() or None
    except Exception:
        head = None
    try:
        from policyrules.deciding import speedups

        hot_path = "C extension" if speedups.ACTIVE else "Python (the C extension is not built or is left out)"
    except ImportError:
        hot_path = "Python"
    return {"python": platform.python_version(), "implementation": platform.python_implementation(), "hot_path": hot_path,
            "machine": platform.machine(), "cpus": os.cpu_count(), "platform": platform.platform(),
            "policyrules": policyrules.__version__, "durable_rules": durable_version, "pydantic": pydantic_version,
            "git_head": head, "note": "the working tree may hold uncommitted changes of other engineers",
            "time": time.strftime("%Y-%m-%dT%H:%M:%S%z")}


def run_child(args: list[str], timeout: float) -> dict[str, Any]:
    """Run ``python -m benchmarks.child ARGS`` in a fresh process; its last stdout line is JSON."""
    cmd = [sys.executable, "-m", "benchmarks.child", *args]
    try:
        p = subprocess.run(cmd, check=False, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:g} s", "timeout": True}
    lines = [ln for ln in p.stdout.splitlines() if ln.strip()]
    if p.returncode != 0 or not lines:
        tail = (p.stderr.strip().splitlines() or ["no output"])[-1]
        return {"error": f"child exited {p.returncode}: {tail}"}
    return json.loads(lines[-1])  # type: ignore[no-any-return]


def fmt_us(x: float | None) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return f"{x:.3f}" if x < 1 else f"{x:.2f}" if x < 100 else f"{x:.0f}"


def table(header: list[str], rows: list[list[str]], align: str = "") -> str:
    """A plain-text table; ``align`` has one letter per column, l or r (default: first l, rest r)."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    align = align or "l" + "r" * (len(header) - 1)

    def line(r: list[str]) -> str:
        return "  ".join(str(c).ljust(w) if a == "l" else str(c).rjust(w)
                         for c, w, a in zip(r, widths, align)).rstrip()
    return "\n".join([line(header), "  ".join("-" * w for w in widths), *(line(r) for r in rows)])
