"""The ``policyrules`` command line: one module per command under :mod:`policyrules.commands`.

Exit codes: 0 success; 1 failed expectations (``run``) or errors found (``check``); 2 bad
input (an invalid strike, rule file, scenario file or argument). Errors are one line on
stderr, without a traceback unless ``--debug`` is given; with ``--format json``, that line is a
JSON object (``{"command": ..., "error": ..., "exit_code": 2}``).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import json
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from typing import Any, NoReturn, TextIO, cast

from .__about__ import __version__
from .commands import COMMANDS
from .commands._common import EXIT_BAD_INPUT, one_line
from .model.errors import PolicyRulesError, shown


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
    if out is None:  # started with stdout closed (>&-): there is nowhere for an answer to go
        print("policyrules: error: cannot write the output: standard output is closed", file=err)
        return EXIT_BAD_INPUT
    parser = build_parser()
    argv = list(argv) if argv is not None else sys.argv[1:]
    usage = io.StringIO()
    try:  # --help and usage errors go where this call's output and errors go
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(usage):
            args = parser.parse_args(argv)
    except SystemExit as e:  # argparse: --help (0) or a usage error (2)
        code = int(e.code or 0)
        text = usage.getvalue()
        if code == EXIT_BAD_INPUT and _wants_json(argv):
            command = next((a for a in argv if a in COMMANDS), None)
            text = _json_error(command, text.partition(": error: ")[2].strip() or text.strip())
        err.write(text)
        return code
    if args.format == "json":
        err = cast("TextIO", _JsonErrors(err, args.command))
    func: Callable[[argparse.Namespace, TextIO], int] = args.func
    try:
        code = func(args, cast("TextIO", _Output(out)))
        _Output(out).flush()  # a full disk shows here, not at exit
        return code
    except PolicyRulesError as e:
        if args.debug:
            traceback.print_exc(file=err)
        print(f"policyrules {args.command}: error: {one_line(str(e))}", file=err)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # the reader went away (`| head`): stop quietly, as Unix tools do
        _discard(out)
        return 141
    except _OutputError as e:  # a full disk, or an output closed meanwhile
        _discard(out)
        if args.debug:
            traceback.print_exc(file=err)
        print(f"policyrules {args.command}: error: cannot write the output: {e}", file=err)
        return EXIT_BAD_INPUT
    except OSError as e:  # a file the command was asked to write (sweep --plot), or any other I/O
        if args.debug:
            traceback.print_exc(file=err)
        where = f"{shown(str(e.filename))}: " if e.filename else ""
        print(f"policyrules {args.command}: error: {where}{one_line(e.strerror or str(e))}", file=err)
        return EXIT_BAD_INPUT


def _wants_json(argv: Sequence[str]) -> bool:
    """``--format json`` (or ``--format=json``) among the arguments, even when they do not parse."""
    return any(a == "--format=json" or (a == "--format" and i + 1 < len(argv) and argv[i + 1] == "json")
               for i, a in enumerate(argv))


def _json_error(command: str | None, message: str) -> str:
    return json.dumps({"command": command, "error": one_line(message), "exit_code": EXIT_BAD_INPUT},
                      ensure_ascii=False) + "\n"


class _JsonErrors:
    """stderr for ``--format json``: an error line (``policyrules CMD: error: ...``) is written as a
    JSON object; tracebacks (``--debug``) and anything else pass as they are."""

    def __init__(self, stream: TextIO, command: str) -> None:
        self._stream = stream
        self._prefix = f"policyrules {command}: error: "
        self._command = command

    def write(self, text: str) -> int:
        if text.startswith(self._prefix):  # print() writes its line, then the line break apart
            line = _json_error(self._command, text[len(self._prefix):].rstrip("\n"))
            text = line if text.endswith("\n") else line.rstrip("\n")
        return self._stream.write(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


class _OutputError(Exception):
    """Writing the output failed (other than a closed pipe): told apart from every other OSError."""


class _Output:
    """The output stream, with its write failures raised as :class:`_OutputError` (a closed pipe
    stays a BrokenPipeError); everything else goes to the stream itself."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            raise
        except (OSError, ValueError) as e:  # ValueError: the stream was closed
            raise _OutputError(_why(e)) from None

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            raise
        except (OSError, ValueError) as e:
            raise _OutputError(_why(e)) from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _why(e: Exception) -> str:
    return (e.strerror if isinstance(e, OSError) else None) or str(e) or type(e).__name__


def _discard(out: TextIO) -> None:
    """Keep the interpreter's final flush of stdout from failing (and reporting) again."""
    if out is sys.stdout:
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):
            pass


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
