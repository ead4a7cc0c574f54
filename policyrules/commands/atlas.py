"""``policyrules atlas OUT_DIR``: write the policy atlas, a static web site that opens offline."""

from __future__ import annotations

import argparse
import json
from typing import TextIO

from ..atlas import build_atlas
from ..atlas.diffs import SCOPES
from ..scenarios import Scenario, load_scenarios, scenario_files
from ._common import EXIT_OK, add_common, engine_from, subparser


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparser(sub, "atlas", "write the policy atlas: a static web site (timeline, map, matrices, diff, "
                  "an in-page evaluator, a page per rule) that opens from disk; needs Jinja2 "
                  "(pip install 'policyrules[atlas]')", [
                      "policyrules atlas site/",
                      "policyrules atlas site/ --scenarios examples/    # rule pages list the scenarios they decide",
                      "policyrules atlas site/ --rules my-pack/ --diffs versions",
                      "policyrules atlas site/ --readings gb.strikes-in-russia=barred   # under a chosen reading",
                  ])
    p.add_argument("out", metavar="OUT_DIR", help="directory to write (created; files of the same names replaced)")
    p.add_argument("--scenarios", nargs="+", metavar="FILE", default=[],
                   help="scenario files (or directories of scenarios*.yaml) shown on the rule pages they exercise")
    p.add_argument("--diffs", choices=SCOPES, default="overlapping",
                   help="which pairs of rule sets the diff view has: one policy's and those in force on a common "
                        "date (overlapping, the default), one policy's only (versions), or none; with contested "
                        "points, also the atlas's reading against each other option on every date (not with none)")
    add_common(p, backend=False)
    p.add_argument("--readings", metavar="POINT=OPTION", nargs="+", action="extend", dest="reading",
                   help="build the site under these options of contested points (every page says so; "
                        "the same as repeating --reading)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, out: TextIO) -> int:
    scenarios: list[Scenario] = []
    for f in scenario_files(args.scenarios):
        scenarios.extend(load_scenarios(f))
    report = build_atlas(engine_from(args), args.out, scenarios=scenarios, diff_scope=args.diffs)
    if args.format == "json":
        print(json.dumps({"out": str(report.out), "files": len(report.files), "tables": report.tables,
                          "classes": report.classes, "diffs": report.diffs, "rules": report.rules,
                          "points": report.points, "variants": report.variants}), file=out)
    else:
        print(report.to_text(), file=out)
    return EXIT_OK
