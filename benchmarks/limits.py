"""``python -m benchmarks limits``: what a pack at the documented limits costs, per backend.

Each case is a generated pack (a catalog of generated regions and one policy version, written
as JSON, which is YAML) loaded in a child process of its own (``python -m benchmarks.child
pack``) with a memory limit: the time to load (for the durable backend, every rule set is built
at load), the first verdict, the time per verdict after that, RSS growth and peak, or the error
the pack is refused with. The figures quoted in the README's "Limits" come from here.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .common import run_child, table

Rules = list[dict[str, Any]]


def _region_ids(n: int) -> list[str]:
    return [f"{'ua' if i % 2 == 0 else 'ru'}{i}" for i in range(n)]


def _rule(rid: str, when: dict[str, Any]) -> dict[str, Any]:
    return {"id": rid, "title": rid, "effect": "prohibited", "when": when,
            "source": {"url": "https://example.org/policyrules-benchmark", "quote": "q"}}


def _wide(k: int, shift: float = 0.0) -> dict[str, Any]:
    """``all`` of ``k`` two-way ``any`` that can both hold: 2**k alternatives."""
    return {"all": [{"any": [{"self_defense": True}, {"range_km": {"lt": 1000.0 + i + shift}}]} for i in range(k)]}


def _cases() -> list[tuple[str, int, Callable[[list[str]], Rules]]]:
    return [
        ("5,000 small rules (the rules-per-rule-set limit)", 200,
         lambda ids: [_rule(f"r{i}", {"target_region": ids[i % len(ids)], "range_km": {"gt": float(i % 300)}})
                      for i in range(5000)]),
        ("one rule of 4,096 alternatives", 4, lambda _: [_rule("r0", _wide(12))]),
        ("two rules of 4,096 alternatives (256 durable rulesets)", 4,
         lambda _: [_rule(f"r{k}", _wide(12, 100.0 * k)) for k in range(2)]),
        ("500 rules of 150-region in lists", 200,
         lambda ids: [_rule(f"r{i}", {"target_region": {"in": ids[i % 7:][:150]},
                                      "weapon_class": {"not_in": ["drone"]}}) for i in range(500)]),
        ("an in list of 5,000 regions", 5000, lambda ids: [_rule("r0", {"target_region": {"in": ids}})]),
        ("all of 20 range_km ne", 4, lambda _: [_rule("r0", {"all": [{"range_km": {"ne": float(i)}}
                                                                       for i in range(20)]})]),
        ("all of 18 any of two (refused by durable)", 4, lambda _: [_rule("r0", _wide(18))]),
        ("20 rules of 4,096 alternatives (refused by durable)", 4,
         lambda _: [_rule(f"r{k}", _wide(12, 100.0 * k)) for k in range(20)]),
    ]


def write(root: Path, regions: int, rules: Rules) -> Path:
    ids = _region_ids(max(2, regions))
    (root / "us").mkdir(parents=True)
    catalog = {"weapons": [{"id": "himars", "name": "HIMARS", "weapon_class": "rocket_artillery",
                            "suppliers": ["US"], "reach_km": 80}],
               "regions": [{"id": r, "name": r.upper(), "country": r[:2].upper(), "borders": []} for r in ids]}
    (root / "catalog.yaml").write_text(json.dumps(catalog), encoding="utf-8")
    version = {"policy": "us", "version": "v1", "title": "limits", "effective_from": "2022-01-01",
               "default": "allowed", "rules": rules}
    (root / "us" / "v1.yaml").write_text(json.dumps(version), encoding="utf-8")
    return root


def run(quick: bool, log: Callable[[str], None]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    tmp = Path(tempfile.mkdtemp(prefix="policyrules-limits-"))
    try:
        for k, (name, regions, make) in enumerate(_cases()):
            if quick and k == 0:
                continue  # the slowest to read (about 30 s)
            path = write(tmp / f"case{k}" / "rules", regions, make(_region_ids(max(2, regions))))
            size = sum(f.stat().st_size for f in path.rglob("*.yaml"))
            out[name] = {"bytes": size}
            for backend in ("compiled", "durable"):
                log(f"limits: {name}, {backend} ...")
                out[name][backend] = run_child(["pack", "--rules", str(path), "--backend", backend], timeout=900)
    finally:
        shutil.rmtree(tmp)
    return out


def report(results: dict[str, Any]) -> str:
    rows = []
    for name, r in results.items():
        for backend in ("compiled", "durable"):
            m = r[backend]
            if "refused" in m or "error" in m:
                rows.append([name, f"{r['bytes'] / 1e6:.2f}", backend, "-", "-", "-", "-", f"{m.get('peak_mb', 0):.0f}",
                             (m.get("refused") or m["error"]).split("/rules/", 1)[-1][:120]])
                continue
            rows.append([name, f"{r['bytes'] / 1e6:.2f}", backend, f"{m['load_s']:.2f}", f"{m['first_s'] * 1e3:.1f}",
                         f"{m['ms_per_verdict']:.3f}", f"{m['rss_growth_mb']:.0f}", f"{m['peak_mb']:.0f}",
                         f"{m['durable_rulesets']} durable rulesets" if backend == "durable" else ""])
    return ("Packs at the limits, one child process per pack and backend (load includes reading the files and, "
            "for durable, building every rule set)\n"
            + table(["pack", "MB", "backend", "load s", "first ms", "ms/verdict", "RSS +MB", "peak MB", "note"], rows,
                    "lrlrrrrrl"))
