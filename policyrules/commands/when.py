"""``policyrules when``: one kind of strike over time: the dates where its answer changed, with the
clause and source of each change ("since when has ATACMS on military targets in Kursk been allowed?")."""

from __future__ import annotations

import argparse
import json
from typing import Any, TextIO

from ._common import EXIT_OK, UsageError, add_common, engine_from, subparser
from .evaluate import parse_json, read_strike


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparser(sub, "when", "one kind of strike over time: every date its answer changed, with the clause and "
                  "source of each change (fields left out stay open, as with evaluate --partial)", [
                      "policyrules when weapon=ATACMS target_region=kursk target_category=military",
                      "policyrules when --strike '{\"supplier\": \"GB\", \"target_region\": \"kursk\"}' --format json",
                      "policyrules when strike.yaml",
                  ])
    p.add_argument("fields", nargs="*", metavar="FIELD=VALUE",
                   help="the strike's known fields (true/false, null and numbers as in JSON), or one strike file")
    p.add_argument("--strike", metavar="JSON", help="the strike as a JSON object (no date)")
    add_common(p, backend=False)  # judged exactly over the classes of each rule set: no matching backend
    p.set_defaults(func=run)


def given(args: argparse.Namespace) -> dict[str, Any]:
    """The known fields: FIELD=VALUE pairs, or a strike file, or --strike JSON."""
    pairs = [f for f in args.fields if "=" in f]
    files = [f for f in args.fields if "=" not in f]
    if len(files) > 1:
        raise UsageError(f"one strike file at most, not {len(files)}: {', '.join(files)}")
    if pairs and (files or args.strike is not None):
        raise UsageError("give FIELD=VALUE pairs, a strike file or --strike, not several")
    if not pairs:
        args.file = files[0] if files else None
        if args.file is None and args.strike is None:
            raise UsageError("give the strike's known fields (FIELD=VALUE ...), a strike file or --strike JSON")
        data = read_strike(args)
        if not isinstance(data, dict):
            raise UsageError(f"a strike is a mapping of fields, not {type(data).__name__}")
        return data
    out: dict[str, Any] = {}
    for pair in pairs:
        name, _, text = pair.partition("=")
        name = name.strip()
        if not name:
            raise UsageError(f"{pair!r}: no field name before '='")
        if name in out:
            raise UsageError(f"{name}: given twice")
        out[name] = _value(text)
    return out


def _value(text: str) -> Any:
    """A value as typed: JSON's true/false/null and numbers; anything else is text."""
    stripped = text.strip()
    if stripped in ("true", "false", "null") or _number(stripped):
        return parse_json(stripped, "a value is", "column")
    return stripped


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return text.lower() not in ("nan", "inf", "-inf", "infinity", "-infinity", "+inf")


def run(args: argparse.Namespace, out: TextIO) -> int:
    fields = given(args)
    report = engine_from(args).when(fields)
    if args.format == "json":
        print(json.dumps(report.model_dump(mode="json"), indent=2, ensure_ascii=False), file=out)
    else:
        print(report.to_text(), file=out)
    return EXIT_OK
