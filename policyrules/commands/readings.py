"""``policyrules readings``: the contested points of a pack, each with its options, their sources and
grades, and the default (with why it is the default)."""

from __future__ import annotations

import argparse
import json
import textwrap
from typing import Any, TextIO

from ..packs.readings import Point
from ._common import EXIT_OK, Style, UsageError, add_common, engine_from, subparser


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparser(sub, "readings", "list the contested points where the record disagrees: each option, what it "
                  "says, its sources and their grades, and the default (choose others with --reading)", [
                      "policyrules readings",
                      "policyrules readings us    # the points of one policy",
                      "policyrules readings --format json | jq '.[].id'",
                      "policyrules evaluate strike.yaml --reading POINT=OPTION",
                  ])
    p.add_argument("policy", nargs="?", help="only the points of this policy (us, gb, ...)")
    add_common(p, backend=False)
    p.set_defaults(func=run)


def run(args: argparse.Namespace, out: TextIO) -> int:
    engine = engine_from(args)
    points = [p for p in engine.readings if args.policy is None or p.policy == args.policy.strip().lower()]
    if args.policy is not None and not points:
        with_points = sorted({p.policy for p in engine.readings})
        raise UsageError(f"no contested point in policy {args.policy!r} (points in: "
                         f"{', '.join(with_points) or 'no policy: the pack declares none'})")
    chosen = engine.reading
    if args.format == "json":
        print(json.dumps([_json(p, chosen[p.id]) for p in points], indent=2, ensure_ascii=False), file=out)
        return EXIT_OK
    style = Style.for_stream(out)
    blocks = [_text(p, chosen[p.id], style) for p in points]
    print("\n\n".join(blocks) if blocks else "the pack declares no contested point", file=out)
    return EXIT_OK


def _json(point: Point, chosen: str) -> dict[str, Any]:
    return {**point.model_dump(mode="json", exclude_none=True), "chosen": chosen}


def _text(point: Point, chosen: str, style: Style) -> str:
    lines = [style.paint(point.id, "bold") + f": {point.question}"]
    for o in point.options:
        marks = [m for m, on in (("default", o.id == point.default),
                                 ("chosen", o.id == chosen != point.default)) if on]
        head = f"  {'*' if o.id == chosen else '-'} {o.id}" + (f" ({', '.join(marks)})" if marks else "")
        lines.append(head + f": {o.says}")
        if o.changes:
            lines.append(textwrap.indent(f"changes: {o.changes}", "      "))
        for s in o.sources:
            lines.append(f"      source: {s} ({s.rests_on()})")
        for s in o.against:
            lines.append(f"      against: {s} ({s.rests_on()})")
    lines.append(f"  default {point.default}: {point.why_default}")
    return "\n".join(lines)
