"""``policyrules run``: run scenario files; a table of results; exit 1 on any mismatch. A case that
cannot be run (a scenario that does not validate, a strike refused) is one failed case, naming its
error; the others run. A file that cannot be read as a list of scenarios is an error (exit 2)."""

from __future__ import annotations

import argparse
import json
from typing import Any, TextIO

from ..model.errors import shown
from ..scenarios import BrokenCase, Scenario, ScenarioResult, display_name, load_cases, run_case, scenario_files
from ._common import (
    EXIT_FAILED,
    EXIT_OK,
    Progress,
    Style,
    add_common,
    engine_from,
    subparser,
    table,
)

HEADER = ("scenario", "decision", "rule", "expected", "result")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparser(sub, "run", "run scenario files and compare with their expectations (exit 1 on a mismatch)", [
        "policyrules run examples/",
        "policyrules run --backend compiled examples/scenarios-us.yaml",
        "policyrules run --format json examples/ | jq '.[] | select(.passed | not)'",
        "policyrules run --coverage --coverage-min 60 examples/",
    ])
    p.add_argument("paths", nargs="+", metavar="PATH", help="scenario files, or directories of scenarios*.yaml")
    p.add_argument("--coverage", action="store_true",
                   help="also report which rules decided, matched but never decided, or never fired, and the "
                        "share of each version's classes the cases touch")
    p.add_argument("--coverage-min", metavar="PCT", type=percent,
                   help="exit 1 when fewer than PCT percent of the rules decided some case (implies --coverage)")
    add_common(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace, out: TextIO) -> int:
    engine = engine_from(args)
    cases: list[Scenario | BrokenCase] = []
    for f in scenario_files(args.paths):
        cases.extend(load_cases(f))
    results: list[ScenarioResult | BrokenCase] = []
    with Progress(len(cases), "running scenarios") as progress:  # drawn only on a terminal, for long runs
        for case in cases:
            results.append(run_case(engine, case))
            progress.advance()
    failed = [r for r in results if not r.passed]
    report = None
    if args.coverage or args.coverage_min is not None:
        report = engine.coverage(r.verdict for r in results if isinstance(r, ScenarioResult))
    short = report is not None and args.coverage_min is not None and report.percent < args.coverage_min
    code = EXIT_FAILED if failed or short else EXIT_OK
    if args.format == "json":
        records = [_record(r) for r in results]
        print(json.dumps(records if report is None else {
            "cases": records, "coverage": {**report.model_dump(mode="json"), "minimum": args.coverage_min,
                                           "decided": report.decided, "matched_only": report.matched_only,
                                           "never_fired": report.never_fired}}, indent=2, ensure_ascii=False), file=out)
        return code
    style = Style.for_stream(out)
    rows = [(display_name(r.name), "-", "-", "-", "FAIL") if isinstance(r, BrokenCase) else
            (display_name(r.scenario.name), r.verdict.decision.value, r.verdict.rule.id, _expected(r.scenario),
             "pass" if r.passed else "FAIL") for r in results]

    def cell(row: int, column: int, text: str) -> str:
        if column == 1:
            return style.decision(text)
        if column == 4:
            return style.outcome(results[row].passed, text)
        return text

    print(table(HEADER, rows, style=cell), file=out)
    summary = f"{len(results) - len(failed)} scenarios passed, {len(failed)} failed"
    print(f"\n{style.outcome(not failed, summary)} ({engine.backend} backend, pack {engine.pack.digest[:12]})",
          file=out)
    for r in failed:
        if isinstance(r, BrokenCase):
            print(f"{style.outcome(False, 'FAIL')} {display_name(r.name)} ({r.where}): {r.error}", file=out)
        else:
            print(f"{style.outcome(False, 'FAIL')} {display_name(r.scenario.name)} ({shown(str(r.scenario.file))}): "
                  f"{r.mismatch()}", file=out)
    if report is not None:
        print("\n" + report.to_text(), file=out)
        if short:
            print(style.outcome(False, f"coverage {report.percent:g}% is below --coverage-min {args.coverage_min:g}%"),
                  file=out)
    return code


def percent(text: str) -> float:
    """``--coverage-min PCT``: a number from 0 to 100."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 <= value <= 100:  # NaN fails too
        raise argparse.ArgumentTypeError(f"a percentage from 0 to 100, not {text}")
    return value


def _record(r: ScenarioResult | BrokenCase) -> dict[str, Any]:
    if isinstance(r, BrokenCase):
        return {"name": r.name, "file": r.file, "passed": False, "expected": None, "readings": {},
                "decision": None, "rule": None, "policy": None, "mismatch": None, "error": r.error, "line": r.line}
    return {"name": r.scenario.name, "file": r.scenario.file, "passed": r.passed,
            "expected": r.scenario.expected.model_dump(mode="json"), "readings": r.scenario.readings,
            "decision": r.verdict.decision.value, "rule": r.verdict.rule.id, "policy": r.verdict.policy.ref,
            "mismatch": r.mismatch() or None}


def _expected(sc: Scenario) -> str:
    e = sc.expected
    return e.decision.value + (f" / {e.rule}" if e.rule else "")
