"""The ``policyrules`` command line: one module per command under :mod:`policyrules.commands`.

Exit codes: 0 success; 1 failed expectations (``run``) or errors found (``check``); 2 bad
input (an invalid strike, rule file, scenario file or argument). Errors are one line on
stderr, without a traceback unless ``--debug`` is given.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from typing import NoReturn, TextIO

from .__about__ import __version__
from .commands import COMMANDS
from .commands._common import EXIT_BAD_INPUT, one_line
from .model.errors import PolicyRulesError


class _Parser(argparse.ArgumentParser):
    """argparse, with usage errors on one line (exit 2) like every other error here."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {one_line(message)} (see: {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="policyrules",
        description="Judge proposed strikes against weapons-use policies written as sourced rules.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n"
        "  policyrules run examples/\n"
        "  policyrules evaluate --strike '{\"weapon\": \"HIMARS\", \"target_region\": \"belgorod\", "
        '"target_type": "artillery", "self_defense": true, "defended_region": "kharkiv", '
        "\"range_km\": 30, \"date\": \"2024-06-01\"}'\n"
        "\nexit codes: 0 success, 1 failed expectations or errors found, 2 bad input",
    )
    parser.add_argument("--version", action="version", version=f"policyrules {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True, parser_class=_Parser)
    for name in COMMANDS:
        importlib.import_module(f".commands.{name}", __package__).register(sub)
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    parser = build_parser()
    try:  # --help and usage errors go where this call's output and errors go
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            args = parser.parse_args(argv)
    except SystemExit as e:  # argparse: --help (0) or a usage error (2)
        return int(e.code or 0)
    func: Callable[[argparse.Namespace, TextIO], int] = args.func
    try:
        return func(args, out)
    except PolicyRulesError as e:
        if args.debug:
            traceback.print_exc(file=err)
        print(f"policyrules {args.command}: error: {one_line(str(e))}", file=err)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # the reader went away (`| head`): stop quietly, as Unix tools do
        if out is sys.stdout:  # keep the interpreter's final flush from reporting it again
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
