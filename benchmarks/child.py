"""Figures that run in a process of their own (``python -m benchmarks.child ...``), one per
figure, so that peak memory and timings are not those of the parent. Prints one JSON line."""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from .common import peak_rss_bytes, rss_bytes


def memory(backend: str, n: int, pool: int, seed: int) -> dict[str, Any]:
    """Peak and growth of RSS over ``n`` evaluations of validated strikes (a pool cycled)."""
    start_rss = rss_bytes()
    from policyrules import Engine
    from policyrules.packs.loader import load_pack

    from .strikes import random_strikes, validated

    pack = load_pack()
    engine = Engine(pack, backend)
    strikes = validated(engine, random_strikes(pack, pool, seed)).strikes
    evaluate = engine.evaluate
    for s in strikes:  # warm-up: every rule set compiled, caches filled
        evaluate(s)
    before_rss, before_peak = rss_bytes(), peak_rss_bytes()
    checkpoints = []
    step = max(1, n // 10)
    t0 = time.perf_counter()
    done = 0
    while done < n:
        k = min(step, n - done)
        for i in range(done, done + k):
            evaluate(strikes[i % pool])
        done += k
        checkpoints.append((done, rss_bytes()))
    seconds = time.perf_counter() - t0
    end_rss = rss_bytes()
    half = next((c for c in checkpoints if c[0] >= n // 2), checkpoints[0])
    return {
        "backend": backend, "evaluations": n, "pool": pool, "seconds": seconds,
        "us_per_evaluation": seconds / n * 1e6,
        "rss_at_start_mb": start_rss / 2**20, "rss_after_warmup_mb": before_rss / 2**20,
        "rss_end_mb": end_rss / 2**20, "peak_rss_mb": max(peak_rss_bytes(), end_rss) / 2**20,
        "peak_before_loop_mb": before_peak / 2**20,
        "growth_bytes_per_evaluation": (end_rss - before_rss) / n,
        "growth_second_half_bytes_per_evaluation": (end_rss - half[1]) / max(1, n - half[0]),
        "checkpoints": [[c, r / 2**20] for c, r in checkpoints],
    }


def churn(backend: str, n: int, seed: int) -> dict[str, Any]:
    """RSS over ``n`` engines made by ``with_parameters`` (each a parameter value of its own, so each
    builds its own matcher for the US rule sets), each evaluating one strike and then dropped."""
    import gc
    import random

    start_rss = rss_bytes()
    from policyrules import Engine

    base = Engine.load(backend=backend)
    strikes = [{"weapon": "HIMARS", "target_region": "belgorod", "target_type": "artillery", "self_defense": True,
                "defended_region": "kharkiv", "range_km": 30, "date": "2024-06-01"},
               {"weapon": "ATACMS", "target_region": "kursk", "target_type": "troops", "range_km": 150,
                "date": "2024-12-01"}]
    rnd = random.Random(seed)
    for s in strikes:
        base.evaluate(s)
    gc.collect()
    before = rss_bytes()
    checkpoints = []
    t0 = time.perf_counter()
    for i in range(n):
        engine = base.with_parameters({"us.long_range_km": 40 + rnd.random() * 200})
        engine.evaluate(strikes[i % len(strikes)])
        del engine
        if (i + 1) % max(1, n // 10) == 0:
            gc.collect()
            checkpoints.append((i + 1, rss_bytes()))
    seconds = time.perf_counter() - t0
    gc.collect()
    end = rss_bytes()
    return {"backend": backend, "engines": n, "seconds": seconds, "ms_per_engine": seconds / n * 1e3,
            "rss_at_start_mb": start_rss / 2**20, "rss_before_mb": before / 2**20, "rss_end_mb": end / 2**20,
            "growth_mb": (end - before) / 2**20, "growth_bytes_per_engine": (end - before) / n,
            "peak_rss_mb": peak_rss_bytes() / 2**20,
            "checkpoints": [[c, r / 2**20] for c, r in checkpoints]}


def pack(rules: str, backend: str) -> dict[str, Any]:
    """Load a pack (durable: every rule set built at load), one first verdict, then 200 more: or the
    error it is refused with. Under a 6 GB address-space limit."""
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (6 * 2**30, 6 * 2**30))
    start = rss_bytes()
    from policyrules import Engine, PolicyRulesError

    strike = {"weapon": "HIMARS", "target_region": "ru1", "target_type": "troops", "range_km": 30}
    t0 = time.perf_counter()
    try:
        engine = Engine.load(rules, backend=backend)
    except PolicyRulesError as e:
        return {"refused": str(e), "seconds": time.perf_counter() - t0, "peak_mb": peak_rss_bytes() / 2**20}
    t1 = time.perf_counter()
    engine.evaluate(strike)
    t2 = time.perf_counter()
    for _ in range(200):
        engine.evaluate(strike)
    t3 = time.perf_counter()
    parts = sum(len(getattr(d.matcher, "parts", ())) for d in engine._deciders.values())
    return {"load_s": t1 - t0, "first_s": t2 - t1, "ms_per_verdict": (t3 - t2) / 200 * 1e3,
            "rss_growth_mb": (rss_bytes() - start) / 2**20, "peak_mb": peak_rss_bytes() / 2**20,
            "durable_rulesets": parts}


def check(rules: str | None) -> dict[str, Any]:
    """Wall time of ``engine.check()`` on a freshly loaded pack (the load not timed)."""
    from policyrules import Engine

    engine = Engine.load(rules, backend="compiled")
    if not hasattr(engine, "check"):
        return {"available": False}
    t0 = time.perf_counter()
    report = engine.check()
    seconds = time.perf_counter() - t0
    codes = sorted(set(getattr(report, "codes", list)()))
    return {"available": True, "seconds": seconds, "ok": bool(getattr(report, "ok", False)),
            "classes": getattr(report, "classes", None), "codes": codes,
            "peak_rss_mb": peak_rss_bytes() / 2**20}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.child")
    sub = ap.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("memory")
    m.add_argument("--backend", required=True)
    m.add_argument("--n", type=int, required=True)
    m.add_argument("--pool", type=int, default=5000)
    m.add_argument("--seed", type=int, default=1)
    c = sub.add_parser("check")
    c.add_argument("--rules", default=None)
    pk = sub.add_parser("pack")
    pk.add_argument("--rules", required=True)
    pk.add_argument("--backend", required=True)
    ch = sub.add_parser("churn")
    ch.add_argument("--backend", required=True)
    ch.add_argument("--n", type=int, required=True)
    ch.add_argument("--seed", type=int, default=1)
    a = ap.parse_args(argv)
    if a.cmd == "memory":
        out = memory(a.backend, a.n, a.pool, a.seed)
    elif a.cmd == "churn":
        out = churn(a.backend, a.n, a.seed)
    elif a.cmd == "pack":
        out = pack(a.rules, a.backend)
    else:
        out = check(a.rules)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
