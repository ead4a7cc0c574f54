"""What the commands share: common options, the engine from options, tables, colour,
progress, exit codes."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import ClassVar, TextIO

from typing_extensions import Self

from ..engine import Engine
from ..matching import BACKENDS
from ..model.errors import PolicyRulesError, shown
from ..packs.readings import parse_reading_text

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2

# Above this many strikes a long run shows progress on a terminal.
PROGRESS_THRESHOLD = 2000


class UsageError(PolicyRulesError):
    """Bad command-line input."""


def add_common(p: argparse.ArgumentParser, *, backend: bool = True, readings: bool = True) -> None:
    p.add_argument("--rules", metavar="DIR", type=rules_dir, help="directory of rule files (default: the bundled pack)")
    if readings:
        p.add_argument("--reading", metavar="POINT=OPTION", action="append", default=[],
                       help="decide under this option of a contested point (repeatable; `policyrules readings` "
                            "lists them; default: each point's default)")
    if backend:
        p.add_argument("--backend", choices=BACKENDS, default="durable",
                       help="matching backend (default: durable)")
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    p.add_argument("--debug", action="store_true", help="show tracebacks on errors")


def rules_dir(text: str) -> str:
    """``--rules DIR``: an empty one is refused (it would read the current directory)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty path is not a rules directory (leave --rules out for the "
                                         "bundled pack)")
    return text


def existing_rules_dir(rules: str | None) -> None:
    """Refuse (exit 2) a ``--rules`` that is not a directory, before any work: bad input, not a finding."""
    if rules is not None and not Path(rules).is_dir():
        raise UsageError(f"{shown(rules)}: not a directory of rule files")


def subparser(sub: argparse._SubParsersAction,  # type: ignore[type-arg]
              name: str, summary: str, examples: Sequence[str]) -> argparse.ArgumentParser:
    return sub.add_parser(  # type: ignore[no-any-return]
        name, help=summary, description=summary, formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n" + "\n".join(f"  {e}" for e in examples))


def engine_from(args: argparse.Namespace) -> Engine:
    """The engine the options name: rules, backend and readings (``--reading POINT=OPTION``)."""
    return Engine.load(args.rules, backend=getattr(args, "backend", "compiled"),
                       readings=parse_reading_text(getattr(args, "reading", [])))


#: The longest error message shown: a last guard (values in messages are cut where they are echoed).
MAX_MESSAGE_CHARS = 2000


def one_line(text: str) -> str:
    """A message as the CLI shows it: one line, no control characters (escaped), bounded."""
    text = " ".join(text.split())
    if not text.isprintable():  # escapes that whitespace splitting leaves: ESC, DEL, C1 controls
        text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    return text if len(text) <= MAX_MESSAGE_CHARS else text[: MAX_MESSAGE_CHARS - 3] + "..."


def is_terminal(stream: TextIO | None) -> bool:
    """True when ``stream`` is an open terminal (False for pipes, files, StringIO, closed streams)."""
    try:
        return stream is not None and stream.isatty()
    except (ValueError, OSError):  # closed, or a file object without a descriptor
        return False


def colour_enabled(stream: TextIO | None) -> bool:
    """Colour only on a terminal; ``NO_COLOR`` (any value) turns it off, ``FORCE_COLOR`` on.

    See https://no-color.org: NO_COLOR wins over everything.
    """
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return is_terminal(stream) and os.environ.get("TERM") != "dumb"


class Style:
    """ANSI styling that is a no-op when disabled: ``Style.for_stream(out).decision("allowed")``."""

    CODES: ClassVar[dict[str, str]] = {"red": "31", "green": "32", "yellow": "33", "bold": "1", "dim": "2"}

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    @classmethod
    def for_stream(cls, stream: TextIO | None) -> Style:
        return cls(colour_enabled(stream))

    def paint(self, text: str, *styles: str) -> str:
        if not self.enabled or not styles or not text:
            return text
        return "\x1b[" + ";".join(self.CODES[s] for s in styles) + "m" + text + "\x1b[0m"

    def decision(self, word: str) -> str:
        """A decision word (any case): allowed green, prohibited red, anything else as is."""
        key = word.strip().lower()
        if key == "allowed":
            return self.paint(word, "green", "bold")
        if key == "prohibited":
            return self.paint(word, "red", "bold")
        return word

    def outcome(self, passed: bool, word: str) -> str:
        return self.paint(word, "green") if passed else self.paint(word, "red", "bold")

    def explanation(self, text: str) -> str:
        """A verdict's ``explain()`` text with its leading decision word coloured."""
        head, sep, rest = text.partition(":")
        return self.decision(head) + sep + rest if sep else text


CellStyle = Callable[[int, int, str], str]  # (row, column, cell text) -> text to print


def table(header: Sequence[str], rows: Sequence[Sequence[str]], max_width: int = 60,
          style: CellStyle | None = None) -> str:
    """A plain-text table; ``style`` may decorate body cells (colour): widths count the plain text."""
    def cut(s: str) -> str:  # at a word's end where one is near, never mid-word
        if len(s) <= max_width:
            return s
        head = s[: max_width - 1]
        space = head.rfind(" ")
        return (head[:space].rstrip(" ,;:-") if space >= max_width // 2 else head) + "…"

    cells = [[cut(c) for c in row] for row in [header, *rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = []
    for i, r in enumerate(cells):
        shown = [style(i - 1, j, c) if style is not None and i > 0 else c for j, c in enumerate(r)]
        lines.append("  ".join(s + " " * (w - len(c)) for s, c, w in zip(shown, r, widths, strict=True)).rstrip())
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


class Progress:
    """A one-line progress display for long runs, on a terminal only (stderr by default).

    Nothing is drawn unless the stream is a terminal and the run is long: ``total`` above
    ``threshold``, or (total unknown, e.g. a stream on stdin) more than ``threshold`` done.
    Redraws at most every ``interval`` seconds; :meth:`close` erases the line.
    """

    WIDTH = 30

    def __init__(self, total: int | None, label: str, stream: TextIO | None = None, *,
                 threshold: int | None = None, interval: float = 0.1) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.total = total
        self.label = label
        self.threshold = PROGRESS_THRESHOLD if threshold is None else threshold
        self.interval = interval
        self.done = 0
        self.enabled = is_terminal(self.stream)
        self.shown = False
        self._start = time.monotonic()
        self._last = 0.0

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def advance(self, n: int = 1) -> None:
        self.done += n
        if not self.enabled:
            return
        if (self.total if self.total is not None else self.done) <= self.threshold:
            return
        now = time.monotonic()
        if now - self._last >= self.interval or (self.total is not None and self.done >= self.total):
            self._last = now
            self._draw(now)

    def line(self, now: float | None = None) -> str:
        """The text of the display (without the carriage return)."""
        elapsed = max((now if now is not None else time.monotonic()) - self._start, 1e-9)
        rate = f"{self.done / elapsed:,.0f}/s"
        if self.total:
            frac = min(self.done / self.total, 1.0)
            filled = int(frac * self.WIDTH)
            bar = "#" * filled + "-" * (self.WIDTH - filled)
            return f"{self.label} [{bar}] {self.done:,}/{self.total:,} {frac:4.0%} {rate}"
        return f"{self.label}: {self.done:,} {rate}"

    def _draw(self, now: float) -> None:
        try:
            self.stream.write("\r\x1b[K" + self.line(now))
            self.stream.flush()
            self.shown = True
        except (OSError, ValueError):  # the terminal went away: stop drawing, never fail the run
            self.enabled = False

    def close(self) -> None:
        if self.shown:
            try:
                self.stream.write("\r\x1b[K")
                self.stream.flush()
            except (OSError, ValueError):
                pass
            self.shown = False
        self.enabled = False
