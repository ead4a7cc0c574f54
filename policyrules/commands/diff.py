"""``policyrules diff A B``: exactly which strikes two policy versions judge differently."""

from __future__ import annotations

import argparse
import json
from typing import TextIO

from ..packs.readings import parse_reading_text
from ._common import EXIT_OK, UsageError, add_common, engine_from, subparser

REF_HELP = "<policy>@<date> or <policy>@<version> (<policy> alone: its latest version)"


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparser(sub, "diff", "list every class of strikes whose decision or deciding rule changes between two "
                  "policy versions, merged into readable descriptions (exact)", [
                      "policyrules diff us@2024-05-29 us@2024-05-30",
                      "policyrules diff us@baseline us --format json",
                      "policyrules diff us@2024-06-01 gb@2024-06-01    # two suppliers' policies on one day",
                      "policyrules diff gb@2024-06-01 --after-reading gb.storm-shadow-in-russia=split-by-weapon",
                  ])
    p.add_argument("before", metavar="A", help=f"the policy version before: {REF_HELP}")
    p.add_argument("after", metavar="B", nargs="?", default=None,
                   help=f"the policy version after: {REF_HELP} (default: A, to compare two readings of it)")
    p.add_argument("--before-reading", metavar="POINT=OPTION", action="append", default=[],
                   help="read A under this option of a contested point (repeatable; over --reading)")
    p.add_argument("--after-reading", metavar="POINT=OPTION", action="append", default=[],
                   help="read B under this option of a contested point (repeatable; over --reading)")
    add_common(p, backend=False)
    p.set_defaults(func=run)


def run(args: argparse.Namespace, out: TextIO) -> int:
    if args.after is None and not (args.before_reading or args.after_reading):
        raise UsageError("name the version after (B), or compare A under two readings "
                         "(--before-reading / --after-reading POINT=OPTION)")
    report = engine_from(args).diff(args.before, args.after, before_readings=parse_reading_text(args.before_reading),
                                    after_readings=parse_reading_text(args.after_reading))
    if args.format == "json":
        print(json.dumps(report.model_dump(mode="json"), indent=2, ensure_ascii=False), file=out)
    else:
        print(report.to_text(), file=out)
    return EXIT_OK
