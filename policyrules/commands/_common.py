"""What the commands share: common options, the engine from options, tables, exit codes."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from ..backends import BACKENDS
from ..engine import Engine
from ..errors import PolicyRulesError

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


class UsageError(PolicyRulesError):
    """Bad command-line input."""


def add_common(p: argparse.ArgumentParser, *, backend: bool = True) -> None:
    p.add_argument("--rules", metavar="DIR", help="directory of rule files (default: the bundled pack)")
    if backend:
        p.add_argument("--backend", choices=BACKENDS, default="durable",
                       help="matching backend (default: durable)")
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    p.add_argument("--debug", action="store_true", help="show tracebacks on errors")


def subparser(sub: argparse._SubParsersAction,  # type: ignore[type-arg]
              name: str, help: str, examples: Sequence[str]) -> argparse.ArgumentParser:
    return sub.add_parser(  # type: ignore[no-any-return]
        name, help=help, description=help, formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n" + "\n".join(f"  {e}" for e in examples))


def engine_from(args: argparse.Namespace) -> Engine:
    return Engine.load(args.rules, backend=getattr(args, "backend", "compiled"))


def one_line(text: str) -> str:
    return " ".join(text.split())


def table(header: Sequence[str], rows: Sequence[Sequence[str]], max_width: int = 60) -> str:
    def cut(s: str) -> str:
        return s if len(s) <= max_width else s[: max_width - 1] + "…"

    cells = [[cut(c) for c in row] for row in [header, *rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
