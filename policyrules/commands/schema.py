"""``policyrules schema``: print JSON Schemas of the inputs (strike, rule file, scenario file,
catalog), generated from the Pydantic models; all of them, by name, when no name is given."""

from __future__ import annotations

import argparse
import json
from typing import TextIO

from ..packs.loader import load_pack
from ..schemas import SCHEMAS, json_schema, json_schemas
from ._common import EXIT_OK, add_common, subparser


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparser(sub, "schema", "print the JSON Schema of a strike, a rule file, a scenario file or the "
                  "catalog (all of them, by name, when none is named)", [
                      "policyrules schema rules > rules.schema.json   # for: # yaml-language-server: $schema=...",
                      "policyrules schema strike | jq '.properties | keys'",
                      "policyrules schema",
                  ])
    p.add_argument("name", nargs="?", choices=tuple(SCHEMAS), metavar="{" + ",".join(SCHEMAS) + "}",
                   help="which schema (default: a mapping of every name to its schema)")
    add_common(p, backend=False, readings=False)
    p.set_defaults(func=run)


def run(args: argparse.Namespace, out: TextIO) -> int:
    """A schema is JSON whatever ``--format`` says; ``--rules`` is checked to load (the schemas are the
    library's own, the same for every pack)."""
    if args.rules is not None:
        load_pack(args.rules)
    schema = json_schema(args.name) if args.name else json_schemas()
    print(json.dumps(schema, indent=2, ensure_ascii=False), file=out)
    return EXIT_OK
