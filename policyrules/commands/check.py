"""``policyrules check``: prove a rule directory consistent; exit 1 when there are errors."""

from __future__ import annotations

import argparse
import json
from typing import TextIO

from ..analysis.check import check_path
from ..matching import BACKENDS
from ..packs.loader import bundled_sources_dir
from ._common import EXIT_FAILED, EXIT_OK, add_common, existing_rules_dir, subparser

BUNDLED = object()  # --sources given without a directory


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparser(sub, "check", "check every class of every policy version: conflicts, dead rules, "
                  "sources (exit 1 on errors)", [
                      "policyrules check",
                      "policyrules check --sources",
                      "policyrules check --rules my-rules/ --sources ../shared/seeds --format json",
                      "policyrules check --rules my-rules/ --backend durable",
                  ])
    p.add_argument("--sources", metavar="DIR", nargs="?", const=BUNDLED,
                   help="directory of the source documents: check that every quote is in its document "
                        "(without DIR: the seed reports shipped in the repository's sources/)")
    p.add_argument("--backend", choices=BACKENDS, default=None,
                   help="also report what this backend cannot take (durable: every rule beyond durable_rules' limits)")
    add_common(p, backend=False, readings=False)
    p.set_defaults(func=run)


def run(args: argparse.Namespace, out: TextIO) -> int:
    existing_rules_dir(args.rules)  # a missing directory is bad input (exit 2), a broken one a finding (exit 1)
    sources = bundled_sources_dir() if args.sources is BUNDLED else args.sources
    report = check_path(args.rules, sources, args.backend)
    if args.format == "json":
        print(json.dumps(report.model_dump(mode="json"), indent=2, ensure_ascii=False), file=out)
    else:
        print(report.to_text(), file=out)
    return EXIT_OK if report.ok else EXIT_FAILED
