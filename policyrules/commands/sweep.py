"""``policyrules sweep PARAM START STOP STEP``: what-if over one parameter, exactly: per value, how many
classes of strikes (and which scenarios) change decision against the bundled value; ``--plot`` draws it."""

from __future__ import annotations

import argparse
import json
from typing import TextIO

from ..analysis.sweep import INSTALL_PLOT, matplotlib_pyplot, plot, sweep, values
from ..scenarios import Scenario, load_scenarios, scenario_files
from ._common import EXIT_OK, add_common, engine_from, subparser


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparser(sub, "sweep", "what-if over one parameter: per value, the classes (and scenarios) whose "
                  "decision differs from the bundled value's", [
                      "policyrules sweep us.long_range_km 40 300 20",
                      "policyrules sweep us.long_range_km 40 300 20 --scenarios examples/ --plot sweep.png",
                      "policyrules sweep us.long_range_km 80 160 40 --format json | jq '.points[].changed'",
                  ])
    p.add_argument("parameter", metavar="PARAM", help="a parameter as policy.name (us.long_range_km)")
    p.add_argument("start", metavar="START", type=float, help="first value")
    p.add_argument("stop", metavar="STOP", type=float, help="last value (included when the steps reach it)")
    p.add_argument("step", metavar="STEP", type=float, help="step between values (> 0)")
    p.add_argument("--scenarios", nargs="+", metavar="FILE", default=[],
                   help="scenario files (or directories of scenarios*.yaml): list those that change decision")
    p.add_argument("--plot", metavar="FILE.png",
                   help=f"draw the sweep into an image (needs matplotlib: {INSTALL_PLOT})")
    add_common(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace, out: TextIO) -> int:
    points = values(args.start, args.stop, args.step)
    if args.plot:
        matplotlib_pyplot()  # fail before the work when matplotlib is missing
    scenarios: list[Scenario] = []
    for f in scenario_files(args.scenarios):
        scenarios.extend(load_scenarios(f))
    report = sweep(engine_from(args).resolved, args.parameter, points, scenarios)
    if args.plot:
        plot(report, args.plot)
    if args.format == "json":
        print(json.dumps(report.model_dump(mode="json"), indent=2, ensure_ascii=False), file=out)
    else:
        print(report.to_text(), file=out)
        if args.plot:
            print(f"plot: {args.plot}", file=out)
    return EXIT_OK
