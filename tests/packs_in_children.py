"""Generated rule packs, loaded and judged in a child process with a time and a memory limit.

durable_rules hangs holding the GIL (only SIGKILL stops it) and crashes on some shapes, so a rule
shape that could take the machine down is only ever tried in a child process: under
``RLIMIT_AS`` and a timeout. The child loads the pack on both backends, judges a few strikes and
prints one JSON line. A child that is killed (timeout, signal, memory) fails the test with what
it printed: the library must answer or raise its own error within the bounds.
"""

from __future__ import annotations

import json
import select
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Any

import pytest

from .helpers import ROOT

MEMORY_LIMIT = 3 * 2**30  # address space of a child: Python, the library and durable_rules use ~0.5 GB of it
TIME_LIMIT = 120.0  # seconds, for a child's whole run (far beyond what any shape here takes)

WEAPONS = [
    {"id": "himars", "name": "HIMARS", "weapon_class": "rocket_artillery", "suppliers": ["US"], "reach_km": 80},
    {"id": "atacms", "name": "ATACMS", "weapon_class": "ballistic_missile", "suppliers": ["US"], "reach_km": 300},
]
POLICY_HEAD = {"policy": "us", "version": "v1", "title": "generated", "effective_from": "2022-01-01",
               "default": "allowed"}


def region_ids(n: int) -> list[str]:
    """``n`` region ids: ``ua0``, ``ru1``, ``ua2``, ... (alternating countries)."""
    return [f"{'ua' if i % 2 == 0 else 'ru'}{i}" for i in range(n)]


def catalog(regions: int) -> dict[str, Any]:
    ids = region_ids(max(regions, 2))
    return {"weapons": WEAPONS,
            "regions": [{"id": r, "name": r.upper(), "country": r[:2].upper(), "borders": []} for r in ids]}


def rule(rid: str, when: dict[str, Any], effect: str = "prohibited") -> dict[str, Any]:
    return {"id": rid, "title": rid, "effect": effect, "when": when, "source": {"document": "a.txt", "quote": "q"}}


def write_pack(root: Path, regions: int, rules: list[dict[str, Any]],
               parameters: dict[str, Any] | None = None, indent: int | None = 1) -> Path:
    """A pack of one policy version (``us/v1.yaml``) with ``rules``, and a catalog of ``regions``
    regions and two weapons. Files are written as JSON (which is YAML), so nothing is shared by an alias."""
    (root / "us").mkdir(parents=True, exist_ok=True)
    (root / "catalog.yaml").write_text(json.dumps(catalog(regions), indent=indent), encoding="utf-8")
    version = {**POLICY_HEAD, "parameters": parameters or {}, "rules": rules}
    (root / "us" / "v1.yaml").write_text(json.dumps(version, indent=indent), encoding="utf-8")
    return root


CHILD = """
import json, resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))
from policyrules import Engine, PolicyRulesError

def peak_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024

def judge(path, backend, strikes):
    t0 = time.perf_counter()
    try:
        engine = Engine.load(path, backend=backend)
        loaded = time.perf_counter() - t0
        out = []
        for s in strikes:
            try:
                v = engine.evaluate(s)
                out.append([v.decision.value, v.rule.id, list(v.matched)])
            except PolicyRulesError as e:
                out.append([type(e).__name__, str(e)])
    except PolicyRulesError as e:
        return {{"error": type(e).__name__, "message": str(e), "file": getattr(e, "file", None),
                "rule": getattr(e, "rule", None), "seconds": time.perf_counter() - t0}}
    parts = sum(len(getattr(d.matcher, "parts", ())) for d in engine._deciders.values())
    return {{"verdicts": out, "load_seconds": loaded, "seconds": time.perf_counter() - t0, "rulesets": parts}}

for line in sys.stdin:
    job = json.loads(line)
    result = {{b: judge(job["path"], b, job["strikes"]) for b in ("durable", "compiled")}}
    result["peak_mb"] = peak_mb()
    print(json.dumps(result), flush=True)
"""


def judge_in_child(jobs: list[tuple[Path, list[dict[str, Any]]]], timeout: float = TIME_LIMIT,
                   memory: int = MEMORY_LIMIT) -> list[dict[str, Any]]:
    """Load each pack on both backends and judge its strikes, in one child process (RLIMIT_AS
    ``memory``, ``timeout`` seconds in all). Fails the test if the child is killed or times out."""
    code = textwrap.dedent(CHILD.format(limit=memory))
    stdin = "".join(json.dumps({"path": str(p), "strikes": s}) + "\n" for p, s in jobs)
    try:
        done = subprocess.run([sys.executable, "-c", code], input=stdin, capture_output=True, text=True,
                              timeout=timeout, cwd=ROOT, check=False)
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        done = None
    if done is None:
        pytest.fail(f"the child was killed after {timeout:g} s (a hang), having answered "
                    f"{len(out.splitlines())} of {len(jobs)} packs", pytrace=False)
    if done.returncode != 0:
        how = f"signal {-done.returncode}" if done.returncode < 0 else f"exit {done.returncode}"
        pytest.fail(f"the child died ({how}) instead of raising the library's error: {done.stderr[-3000:]}")
    results = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    assert len(results) == len(jobs), done.stderr[-3000:]
    return results


def strikes_for(regions: int, n: int = 6) -> list[dict[str, Any]]:
    """A few valid strikes on a generated catalog (ranges on both sides of round thresholds)."""
    ids = region_ids(max(regions, 2))
    out = []
    for k in range(n):
        out.append({"weapon": "ATACMS" if k % 3 == 0 else "HIMARS", "target_region": ids[(k * 7919) % len(ids)],
                    "target_type": ("troops", "artillery", "civilian", "logistics")[k % 4],
                    "self_defense": k % 2 == 0, "defended_region": ids[0] if k % 2 == 0 else None,
                    "range_km": (0, 0.5, 20, 40, 79.9, 80, 150.5)[k % 7]})
    return out


class Worker:
    """One child process (the same code as :func:`judge_in_child`) kept for many packs: each pack
    has ``timeout`` seconds; a child that misses it is killed and the test fails. A dead child is
    replaced by a fresh one for the next pack (Hypothesis shrinks a failure by trying more packs)."""

    def __init__(self, timeout: float = 60.0, memory: int = MEMORY_LIMIT) -> None:
        self.timeout = timeout
        self.memory = memory
        self.proc: subprocess.Popen[str] | None = None
        self.log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - open as long as the worker, closed by close()

    def _start(self) -> subprocess.Popen[str]:
        if self.proc is None or self.proc.poll() is not None:
            code = textwrap.dedent(CHILD.format(limit=self.memory))
            self.log.seek(0)
            self.log.truncate()
            self.proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=self.log, text=True, cwd=ROOT)
        return self.proc

    def judge(self, path: Path, strikes: list[dict[str, Any]]) -> dict[str, Any]:
        proc = self._start()
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(json.dumps({"path": str(path), "strikes": strikes}) + "\n")
        proc.stdin.flush()
        ready, _, _ = select.select([proc.stdout], [], [], self.timeout)
        line = proc.stdout.readline() if ready else ""
        if line:
            return json.loads(line)  # type: ignore[no-any-return]
        if not ready:
            proc.kill()
        code = proc.wait()
        self.log.seek(0)
        what = f"killed after {self.timeout:g} s (a hang)" if not ready else \
            f"died ({f'signal {-code}' if code < 0 else f'exit {code}'})"
        pytest.fail(f"the child {what} instead of answering or raising the library's error: "
                    f"{self.log.read()[-3000:]}", pytrace=False)

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
