"""``policyrules run``: run scenario files; a table of results; exit 1 on any mismatch."""

from __future__ import annotations

import argparse
import json
from typing import TextIO

from ..scenarios import ScenarioResult, load_scenarios, run_scenarios, scenario_files
from ._common import EXIT_FAILED, EXIT_OK, add_common, engine_from, subparser, table


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparser(sub, "run", "run scenario files and compare with their expectations (exit 1 on a mismatch)", [
        "policyrules run examples/",
        "policyrules run --backend compiled examples/scenarios-us.yaml",
    ])
    p.add_argument("paths", nargs="+", metavar="PATH", help="scenario files, or directories of scenarios*.yaml")
    add_common(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace, out: TextIO) -> int:
    engine = engine_from(args)
    results: list[ScenarioResult] = []
    for f in scenario_files(args.paths):
        results.extend(run_scenarios(engine, load_scenarios(f)))
    failed = [r for r in results if not r.passed]
    if args.format == "json":
        print(json.dumps([{
            "name": r.scenario.name, "file": r.scenario.file, "passed": r.passed,
            "expected": r.scenario.expect.model_dump(mode="json"),
            "decision": r.verdict.decision.value, "rule": r.verdict.rule.id, "policy": r.verdict.policy.ref,
            "mismatch": r.mismatch() or None,
        } for r in results], indent=2, ensure_ascii=False), file=out)
    else:
        rows = [(r.scenario.name, r.verdict.decision.value, r.verdict.rule.id,
                 r.scenario.expect.decision.value + (f" / {r.scenario.expect.rule}" if r.scenario.expect.rule else ""),
                 "pass" if r.passed else "FAIL") for r in results]
        print(table(("scenario", "decision", "rule", "expected", "result"), rows), file=out)
        print(f"\n{len(results) - len(failed)} scenarios passed, {len(failed)} failed "
              f"({engine.backend} backend, pack {engine.pack.digest[:12]})", file=out)
        for r in failed:
            print(f"FAIL {r.scenario.name} ({r.scenario.file}): {r.mismatch()}", file=out)
    return EXIT_FAILED if failed else EXIT_OK
