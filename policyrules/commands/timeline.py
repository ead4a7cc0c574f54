"""``policyrules timeline``: every policy's versions, windows, and what each adds, replaces, removes."""

from __future__ import annotations

import argparse
import json
from typing import TextIO

from ..analysis.timeline import render_timeline, timeline
from ..model.errors import echo
from ..packs.loader import load_pack
from ._common import EXIT_OK, UsageError, add_common, subparser


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparser(sub, "timeline", "list the versions of each policy and what each changes", [
        "policyrules timeline",
        "policyrules timeline us --format json",
    ])
    p.add_argument("policy", nargs="?", help="only this policy (us, gb, ...)")
    add_common(p, backend=False)
    p.set_defaults(func=run)


def run(args: argparse.Namespace, out: TextIO) -> int:
    pack = load_pack(args.rules)
    if args.policy is not None and args.policy not in pack.policies:
        raise UsageError(f"unknown policy {echo(args.policy)}; known: {', '.join(pack.policies)}")
    entries = timeline(pack, args.policy)
    if args.format == "json":
        print(json.dumps([e.model_dump(mode="json") for e in entries], indent=2), file=out)
    else:
        print(render_timeline(entries), file=out)
    return EXIT_OK
