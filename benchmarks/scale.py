"""``python -m benchmarks scale``: how load, evaluate (both backends) and check grow with the
number of rules, on generated packs of 10, 100 and 1,000 rules.

Each pack: the bundled catalog and one policy (``us``, one version, default ``allowed``).
Rules are random conditions over target_region, weapon_class, target_type, self_defense and
range_km thresholds (drawn from a grid of 10 values). About 90% are base rules, all
``prohibited``; the rest are exceptions, ``allowed``, each pinned to one target region and
overriding every base rule whose region set contains that region. So a strike that matches an
exception matches only base rules the exception overrides, and exceptions never disagree with
each other: the packs have NO conflicts (``check`` confirms it), and no override cycles.
"""

from __future__ import annotations

import random
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import yaml

from policyrules import Engine
from policyrules.model.domain import TargetType, WeaponClass
from policyrules.packs.loader import CATALOG_FILE, bundled_rules_dir, load_pack

from .common import interleaved, run_child, summary, table, timed
from .strikes import SEED, random_strikes, validated

FIGURES = ("load", "evaluate", "check", "rows", "workers", "batch")
RULE_FIGURES = ("load", "evaluate", "check")
ROW_FIGURES = ("rows", "workers", "batch")  # benchmarks/rows.py
SIZES = (10, 100, 1000)
THRESHOLDS = (10.0, 20.0, 30.0, 40.0, 60.0, 80.0, 100.0, 150.0, 200.0, 300.0)
SOURCE_URL = "https://example.org/policyrules-benchmark"


class _NoAliases(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:  # the loader refuses anchors and aliases
        return True


def generate_rules(n: int, regions: Sequence[str], seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed * 1_000_003 + n)
    n_exc = max(1, n // 10)
    n_base = n - n_exc
    classes = [w.value for w in WeaponClass]
    types = [t.value for t in TargetType]

    def clauses(k: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in rng.sample(["weapon_class", "target_type", "self_defense", "range_km"], k):
            if f == "weapon_class":
                out[f] = {"in": rng.sample(classes, rng.randint(1, 3))}
            elif f == "target_type":
                out[f] = {"in": rng.sample(types, rng.randint(1, 4))}
            elif f == "self_defense":
                out[f] = rng.random() < 0.5
            else:
                out[f] = {rng.choice(["gt", "le"]): rng.choice(THRESHOLDS)}
        return out

    def source() -> dict[str, str]:
        return {"url": SOURCE_URL, "quote": "generated rule"}

    rules: list[dict[str, Any]] = []
    base_regions: list[set[str]] = []
    for i in range(n_base):
        rs = rng.sample(list(regions), rng.randint(1, 3))
        base_regions.append(set(rs))
        when = {"target_region": rs[0] if len(rs) == 1 else {"in": rs}, **clauses(rng.randint(1, 3))}
        rules.append({"id": f"base-{i}", "title": f"generated base rule {i}", "effect": "prohibited",
                      "when": when, "source": source(), "basis": "interpretation"})
    for j in range(n_exc):
        region = rng.choice(list(regions))
        rule: dict[str, Any] = {"id": f"exception-{j}", "title": f"generated exception {j}", "effect": "allowed",
                                "when": {"target_region": region, **clauses(rng.randint(1, 2))},
                                "source": source(), "basis": "interpretation"}
        beaten = [f"base-{i}" for i, rs in enumerate(base_regions) if region in rs]
        if beaten:
            rule["overrides"] = beaten
        rules.append(rule)
    return rules


def write_pack(root: Path, n: int, seed: int) -> Path:
    """A rule directory with the bundled catalog and one generated policy of ``n`` rules."""
    d = root / f"pack-{n}"
    (d / "us").mkdir(parents=True)
    shutil.copy(bundled_rules_dir() / CATALOG_FILE, d / CATALOG_FILE)
    regions = [r.id for r in load_pack().catalog.regions]
    doc = {"policy": "us", "version": "v1", "title": f"generated: {n} rules", "effective_from": "2022-02-24",
           "default": "allowed", "rules": generate_rules(n, regions, seed)}
    (d / "us" / "v1.yaml").write_text(yaml.dump(doc, Dumper=_NoAliases, sort_keys=False, width=200))
    return d


def run(quick: bool, only: Sequence[str], sizes: Sequence[int] | None, seed: int | None,
        log: Callable[[str], None], row_counts: Sequence[int] | None = None) -> dict[str, Any]:
    seed = SEED if seed is None else seed
    figures = [f for f in FIGURES if f in only] if only else list(FIGURES)
    sizes = list(sizes or SIZES)
    repeats, pool_n, min_pass = (3, 300, 0.01) if quick else (7, 1000, 0.02)
    check_timeout = 120.0 if quick else 300.0
    out: dict[str, Any] = {"sizes": sizes, "figures": figures, "rows": []}
    if any(f in ROW_FIGURES for f in figures):
        from . import rows

        out["columns"] = rows.run(quick, [f for f in figures if f in ROW_FIGURES], row_counts, log)
    if not any(f in RULE_FIGURES for f in figures):
        return out
    with tempfile.TemporaryDirectory(prefix="policyrules-scale-") as tmp:
        for n in sizes:
            row: dict[str, Any] = {"rules": n}
            d = write_pack(Path(tmp), n, seed)
            row["yaml_kb"] = (d / "us" / "v1.yaml").stat().st_size / 1024
            log(f"scale: {n} rules ({row['yaml_kb']:.0f} KB of YAML)")
            if "load" in figures:
                secs, _ = timed(lambda d=d: Engine.load(d, backend="compiled"), repeats)  # type: ignore[misc]
                row["load_s"] = summary(secs)["median_us"] / 1e6
            if "evaluate" in figures:
                pack = load_pack(d)
                engines = {"compiled": Engine(pack, "compiled")}
                from policyrules.matching.durable import available

                if available():
                    engines["durable"] = Engine(pack, "durable")
                strikes = validated(engines["compiled"], random_strikes(pack, pool_n, seed, suppliers=("US",)))
                S = strikes.strikes
                row["pool"] = len(S)
                for name, e in engines.items():  # the first evaluate compiles the rule set
                    t0 = time.perf_counter()
                    try:
                        e.evaluate(S[0])
                    except Exception as x:
                        row[f"first_evaluate_error.{name}"] = str(x)
                    row[f"first_evaluate_s.{name}"] = time.perf_counter() - t0
                verdicts = [engines["compiled"].evaluate(s) for s in S]
                row["matched_per_strike"] = sum(len(v.matched) for v in verdicts) / len(verdicts)
                row["allowed_share"] = sum(v.decision.value == "allowed" for v in verdicts) / len(verdicts)
                pools = {"compiled": S}
                if "durable" in engines:
                    ok, failures, first_error, mism = [], 0, None, 0
                    for s, want in zip(S, verdicts):
                        try:
                            got = engines["durable"].evaluate(s)
                        except Exception as e:
                            failures += 1
                            first_error = first_error or f"{type(e).__name__}: {e}"
                            continue
                        ok.append(s)
                        mism += (got.decision, got.rule.id) != (want.decision, want.rule.id)
                    row["durable_vs_compiled_mismatches"] = mism
                    row["durable_failures"] = failures
                    row["durable_first_error"] = first_error
                    if ok:
                        pools["durable"] = ok
                    else:
                        del engines["durable"]

                def loop(e: Engine, xs: list[Any]) -> Callable[[], int]:
                    def f() -> int:
                        for s in xs:
                            e.evaluate(s)
                        return len(xs)
                    return f
                t = interleaved({name: loop(e, pools[name]) for name, e in engines.items()}, repeats, min_pass)
                for name, stats in t.items():
                    row[f"evaluate_us.{name}"] = stats["median_us"]
            if "check" in figures:
                log(f"scale: check of {n} rules in a child process (timeout {check_timeout:g} s)")
                row["check"] = run_child(["check", "--rules", str(d)], timeout=check_timeout)
            out["rows"].append(row)
    return out


def report(r: dict[str, Any]) -> str:
    from . import rows as row_figures

    parts = [row_figures.report(r["columns"])] if r.get("columns") else []
    if r["rows"]:
        parts.append(_rules_report(r))
    return "\n\n".join(parts)


def _rules_report(r: dict[str, Any]) -> str:
    rows = []
    for row in r["rows"]:
        chk = row.get("check", {})
        if not chk:
            check_s, classes, ok = "-", "-", "-"
        elif chk.get("error"):
            check_s, classes, ok = "> timeout" if chk.get("timeout") else "error", "-", chk["error"]
        elif not chk.get("available"):
            check_s, classes, ok = "n/a", "-", "not available"
        else:
            conflicts = "conflict" in chk.get("codes", [])
            check_s, classes = f"{chk['seconds']:.2f}", f"{chk['classes']:,}" if chk.get("classes") else "?"
            ok = ("ok" if chk.get("ok") else "errors") + (" (CONFLICTS: generator bug)" if conflicts else "")

        def g(key: str, fmt: str, row: dict[str, Any] = row) -> str:
            return fmt.format(row[key]) if key in row else "-"
        d_eval = g("evaluate_us.durable", "{:.1f}")
        if row.get("durable_failures"):
            d_eval = ("FAILS" if "evaluate_us.durable" not in row else d_eval + " *")
        rows.append([str(row["rules"]), g("yaml_kb", "{:.0f}"), g("load_s", "{:.3f}"),
                     g("first_evaluate_s.compiled", "{:.3f}"), g("first_evaluate_s.durable", "{:.3f}"),
                     g("evaluate_us.compiled", "{:.2f}"), d_eval,
                     g("matched_per_strike", "{:.1f}"), check_s, classes, ok])
    title = ("Generated packs: one policy, ~90% prohibiting base rules, ~10% allowing exceptions that "
             "override them; US strikes, validated")
    lines = [title,
             table(["rules", "YAML KB", "load s", "compile s (c)", "compile s (d)", "eval us (c)", "eval us (d)",
                    "matched", "check s", "classes", "check"], rows, "rrrrrrrrrrl")]
    for row in r["rows"]:
        if row.get("durable_failures"):
            lines.append(f"* durable backend, {row['rules']} rules: evaluate raised on {row['durable_failures']} of "
                         f"{row['pool']} strikes ({row['durable_first_error']})"
                         + ("; timed on the others" if "evaluate_us.durable" in row else ""))
    mism = [row for row in r["rows"] if row.get("durable_vs_compiled_mismatches")]
    for row in mism:
        lines.append(f"WARNING: durable and compiled disagree on {row['durable_vs_compiled_mismatches']} strikes "
                     f"of the {row['rules']}-rule pack")
    lines.append("(load: Engine.load, median; compile: first evaluate of a fresh engine, i.e. building the "
                 "matcher; eval: median per evaluate of a validated strike; check: engine.check() in a child "
                 "process)")
    return "\n".join(lines)
