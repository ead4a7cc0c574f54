"""``python -m benchmarks [scale|limits|peers] [--quick] [--json FILE] [--only NAME[,NAME]]``"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from .common import environment
from .strikes import SEED


def main(argv: list[str] | None = None) -> int:
    from . import suite

    ap = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Speed of policyrules against a hand-written if/elif function and raw durable_rules "
                    "(see benchmarks/README.md). 'scale' runs the generated-pack benchmark instead.")
    ap.add_argument("command", nargs="?", default="main", choices=("main", "scale", "limits", "peers"),
                    help="main (default): the bundled pack; scale: generated packs of 10, 100, 1,000 rules; "
                         "limits: generated packs at the documented limits; peers: other rule engines on the "
                         "references' policy")
    ap.add_argument("--quick", action="store_true", help="fewer strikes, rounds and evaluations (~15 s; scale ~25 s)")
    ap.add_argument("--json", metavar="FILE", help="also write every figure, with its samples' summary, as JSON")
    ap.add_argument("--only", metavar="NAME", action="append", default=[],
                    help=f"run only these figures (repeatable or comma-separated): {', '.join(suite.FIGURES)}; "
                         "for scale: load, evaluate, check, rows, workers, batch")
    ap.add_argument("--seed", type=int, default=None, help="seed of the random strikes (and generated packs)")
    ap.add_argument("--sizes", default=None, help="scale: rule counts, comma-separated (default 10,100,1000)")
    ap.add_argument("--rows", default=None, help="scale: row counts of the rows figure, comma-separated "
                                                 "(default 100000,1000000,10000000)")
    a = ap.parse_args(argv)
    only = [x.strip() for item in a.only for x in item.split(",") if x.strip()]

    def log(msg: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)

    t0 = time.perf_counter()
    out: dict[str, Any] = {"command": a.command, "quick": a.quick, "environment": environment()}
    if a.command == "peers":
        from . import peers

        results, text = peers.main(a.quick, a.seed if a.seed is not None else SEED, log)
    elif a.command == "limits":
        from . import limits

        results = limits.run(a.quick, log)
        text = limits.report(results)
    elif a.command == "scale":
        from . import scale

        known = scale.FIGURES
        bad = [x for x in only if x not in known]
        if bad:
            ap.error(f"unknown figure(s) for scale: {', '.join(bad)}; known: {', '.join(known)}")
        sizes = [int(x) for x in a.sizes.split(",")] if a.sizes else None
        row_counts = [int(float(x)) for x in a.rows.split(",")] if a.rows else None
        results = scale.run(a.quick, only, sizes, a.seed, log, row_counts)
        text = scale.report(results)
    else:
        bad = [x for x in only if x not in suite.FIGURES]
        if bad:
            ap.error(f"unknown figure(s): {', '.join(bad)}; known: {', '.join(suite.FIGURES)}")
        cfg = suite.Config.make(a.quick, a.seed if a.seed is not None else SEED)
        try:
            results = suite.run(cfg, only, log)
        except SystemExit as e:  # a reference disagreed with the library: nothing was timed
            print(e.code, file=sys.stderr)
            return 3
        text = suite.report(results)
    out["results"] = results
    out["seconds"] = time.perf_counter() - t0
    print(text)
    print(f"\n(total {out['seconds']:.0f} s; Python {out['environment']['python']}, {out['environment']['cpus']} CPUs, "
          f"policyrules {out['environment']['policyrules']} at {out['environment']['git_head']}, "
          f"hot path: {out['environment']['hot_path']}"
          + (", --quick" if a.quick else "") + ")")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1, default=str)
        log(f"wrote {a.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
