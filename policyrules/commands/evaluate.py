"""``policyrules evaluate``: judge one strike, from a YAML/JSON file or ``--strike JSON``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, TextIO

from ..yamlio import YamlError, load_file
from ._common import EXIT_OK, UsageError, add_common, engine_from, subparser


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparser(sub, "evaluate", "judge one strike (from a YAML/JSON file or --strike JSON)", [
        "policyrules evaluate strike.yaml",
        "policyrules evaluate --format json --strike '{\"weapon\": \"ATACMS\", \"target_region\": "
        "\"kursk\", \"target_type\": \"troops\", \"range_km\": 150}'",
    ])
    p.add_argument("file", nargs="?", help="a YAML or JSON file holding one strike")
    p.add_argument("--strike", metavar="JSON", help="the strike as a JSON object")
    add_common(p)
    p.set_defaults(func=run)


def read_strike(args: argparse.Namespace) -> Any:
    if args.strike is not None and args.file is not None:
        raise UsageError("give a strike file or --strike, not both")
    if args.strike is not None:
        try:
            return json.loads(args.strike)
        except json.JSONDecodeError as e:
            raise UsageError(f"--strike is not valid JSON: {e.msg} at column {e.colno}") from None
    if args.file is None:
        raise UsageError("give a strike file or --strike JSON")
    path = Path(args.file)
    try:
        if path.suffix == ".json":
            try:
                return json.loads(path.read_text(encoding="utf-8"))
            except json.JSONDecodeError as e:
                raise UsageError(f"{path}: not valid JSON: {e.msg} at line {e.lineno}") from None
        return load_file(path)
    except YamlError as e:
        raise UsageError(f"{path}" + (f":{e.line}" if e.line else "") + f": {e.message}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise UsageError(f"{path}: cannot read: {e}") from None


def run(args: argparse.Namespace, out: TextIO) -> int:
    data = read_strike(args)
    verdict = engine_from(args).evaluate(data)
    if args.format == "json":
        print(json.dumps(verdict.model_dump(mode="json"), indent=2, ensure_ascii=False), file=out)
    else:
        print(verdict.explain(), file=out)
    return EXIT_OK
