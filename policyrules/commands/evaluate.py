"""``policyrules evaluate``: judge one strike (a YAML/JSON file or ``--strike JSON``), or a
stream of strikes as JSON Lines (``-`` for stdin, or a ``.jsonl`` file): one verdict per line.

One strike that leaves out what a person often cannot know (:data:`UNKNOWABLE`: range,
self-defense, defended region, depth) gets the answer ``--partial`` gives when those fields change
it (or when the range is missing), and its verdict otherwise; ``--strict`` judges it as given.
JSON Lines are judged as given."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO, Literal, TextIO

from ..analysis.partial import PartialReport
from ..analysis.why_not import WhyNotReport
from ..deciding.verdict import Verdict
from ..engine import Engine
from ..model.dimensions import UNKNOWABLE_FIELDS
from ..model.errors import PolicyRulesError, StrikeError, echo, shown
from ..packs.yamlio import MAX_FILE_BYTES, YamlError, load_file, open_file, read_file
from . import batch
from ._common import (
    EXIT_OK,
    Progress,
    Style,
    UsageError,
    add_common,
    engine_from,
    is_terminal,
    subparser,
)

STDIN = "-"
Render = Callable[[Verdict], str]
NO_STRIKE = "give a strike file or --strike JSON (or JSON Lines on stdin: -)"
#: The longest line of JSON Lines (one strike), like a strike file.
MAX_LINE_BYTES = MAX_FILE_BYTES


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparser(sub, "evaluate", "judge one strike (a YAML/JSON file or --strike JSON), or one strike "
                  "per line of JSON Lines (- for stdin, or a .jsonl file)", [
                      "policyrules evaluate strike.yaml",
                      ("policyrules evaluate --format json --strike '{\"weapon\": \"ATACMS\", "
                       "\"target_region\": \"kursk\", \"target_type\": \"troops\", \"range_km\": 150}'"),
                      "policyrules evaluate --format json - < strikes.jsonl | jq -r .rule.id",
                      "jq -c '.[]' strikes.json | policyrules evaluate -   # a 'decision rule policy' line each",
                  ])
    p.add_argument("file", nargs="?",
                   help="a YAML or JSON file holding one strike; a .jsonl file or - (stdin) holding one per line")
    p.add_argument("--strike", metavar="JSON", help="the strike as a JSON object")
    shift = p.add_mutually_exclusive_group()
    shift.add_argument("--why-not", action="store_true",
                       help="also list the smallest changes (one field, then two) that flip the decision")
    shift.add_argument("--partial", action="store_true",
                       help="fields may be missing: list each decision still possible and when it holds")
    shift.add_argument("--all-readings", action="store_true",
                       help="judge the strike under every combination of the contested options that can touch it "
                            "('allowed under 2 of 3 readings')")
    p.add_argument("--strict", action="store_true",
                   help="judge the strike as given: no conditional answer (a missing range is an error, a missing "
                        "self_defense is false)")
    batch.add_arguments(p)
    add_common(p)
    p.set_defaults(func=run)


def read_strike(args: argparse.Namespace) -> Any:
    if args.strike is not None and args.file is not None:
        raise UsageError("give a strike file or --strike, not both")
    if args.strike is not None:
        return parse_json(args.strike, "--strike is", "column")
    if args.file is None:
        raise UsageError(NO_STRIKE)
    path = Path(args.file)
    try:
        if path.suffix == ".json":
            raw = read_file(path)
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                raise UsageError(f"{shown(str(path))}: not UTF-8 text (byte {e.start})") from None
            return parse_json(text, f"{shown(str(path))}:", "line")
        return load_file(path)
    except YamlError as e:
        raise UsageError(shown(str(path)) + (f":{e.line}" if e.line else "") + f": {e.message}") from None


class _DuplicateKeyError(ValueError):
    pass


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object as a dict, refusing a key given twice (JSON parsers keep the last silently)."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKeyError(f"duplicate key {echo(key)} in one object")
        out[key] = value
    return out


def parse_json(text: str, where: str, position: Literal["line", "column"]) -> Any:
    """Strict JSON (no key twice in one object); a :class:`UsageError` starting with ``where``."""
    try:
        return json.loads(text, object_pairs_hook=_no_duplicate_keys)
    except _DuplicateKeyError as e:
        raise UsageError(f"{where} not valid JSON: {e}") from None
    except json.JSONDecodeError as e:
        raise UsageError(f"{where} not valid JSON: {e.msg} at {position} "
                         f"{e.lineno if position == 'line' else e.colno}") from None
    except (ValueError, RecursionError) as e:  # a number with too many digits, nesting too deep
        raise UsageError(f"{where} not usable JSON: {e}") from None


def run(args: argparse.Namespace, out: TextIO) -> int:
    if batch.wanted(args):  # a batch file in, a batch file out (commands/batch.py)
        return batch.run(args, out)
    if args.why_not or args.partial or args.all_readings:
        return run_shift(args, out)
    if args.file == STDIN or (args.file is not None and Path(args.file).suffix == ".jsonl"):
        if args.strike is not None:
            raise UsageError("give a strike file or --strike, not both")
        return run_lines(args, out, implicit=False)
    if args.file is None and args.strike is None and stdin_has_input():
        return run_lines(args, out, implicit=True)
    data = read_strike(args)
    engine = engine_from(args)
    try:
        verdict = engine.evaluate(data)
    except StrikeError as e:
        left_out = [p for p in e.problems if p.field in UNKNOWABLE and p.message == "required"]
        if args.strict or not left_out:
            raise
        others = [p for p in e.problems if p not in left_out]
        if others:  # the strict error, less the fields one may leave out
            raise StrikeError(others) from None
        # Fields left out: the answer with conditions on them (its error, if the rest is bad too).
        _print_report(engine.ask(data), args, out)
        return EXIT_OK
    if not args.strict and unknowns(data):
        report = _ask(engine, data)
        if report is not None and report.settled is None:  # the fields left out change the answer
            _print_report(report, args, out)
            return EXIT_OK
    if args.format == "json":
        print(json.dumps(verdict.model_dump(mode="json"), indent=2, ensure_ascii=False), file=out)
    else:
        print(Style.for_stream(out).explanation(verdict.explain()), file=out)
    return EXIT_OK


#: What a person asking often cannot know (declared in the registry): left out, evaluate answers
#: with conditions on them.
UNKNOWABLE = UNKNOWABLE_FIELDS


def unknowns(data: Any) -> tuple[str, ...]:
    """The fields of :data:`UNKNOWABLE` a strike (a mapping) leaves out."""
    return tuple(f for f in UNKNOWABLE if f not in data) if isinstance(data, dict) else ()


def _ask(engine: Engine, data: Any) -> PartialReport | None:
    """The answer with conditions on the fields left out, or None when the strike cannot be asked
    about so (the strict verdict then stands)."""
    try:
        return engine.ask(data)
    except PolicyRulesError:
        return None


def _print_report(report: PartialReport | WhyNotReport, args: argparse.Namespace, out: TextIO) -> None:
    if args.format == "json":
        print(json.dumps(report.model_dump(mode="json", by_alias=True), indent=2, ensure_ascii=False), file=out)
    else:
        print(report.to_text(), file=out)


def run_shift(args: argparse.Namespace, out: TextIO) -> int:
    """``--why-not`` (minimal changes that flip the decision), ``--partial`` (missing fields allowed) or
    ``--all-readings`` (the strike under every combination of the contested options that can touch it)."""
    flag = "--why-not" if args.why_not else "--partial" if args.partial else "--all-readings"
    if args.file == STDIN or (args.file is not None and Path(args.file).suffix == ".jsonl"):
        raise UsageError(f"{flag} takes one strike, not JSON Lines")
    data = read_strike(args)
    engine = engine_from(args)
    if args.all_readings:
        across = engine.across_readings(data)
        if args.format == "json":
            dumped = {"summary": across.summary(), "counts": across.counts, **across.model_dump(mode="json")}
            print(json.dumps(dumped, indent=2, ensure_ascii=False), file=out)
        else:
            print(across.to_text(), file=out)
        return EXIT_OK
    _print_report(engine.why_not(data) if args.why_not else engine.evaluate_partial(data), args, out)
    return EXIT_OK


# JSON Lines ------------------------------------------------------------------------------


def stdin_has_input() -> bool:
    """Stdin is a readable pipe or file, not a terminal (pytest's captured stdin is not readable)."""
    stdin = sys.stdin
    if stdin is None or is_terminal(stdin):
        return False
    try:
        return bool(stdin.readable())
    except (ValueError, OSError):
        return False


def run_lines(args: argparse.Namespace, out: TextIO, *, implicit: bool) -> int:
    """One verdict per input line, written (and flushed) as it is decided; the first bad line
    stops the run with a one-line error naming it, after the verdicts of the lines before it."""
    engine = engine_from(args)  # a bad rule directory is reported before any input is read
    render = _json_line if args.format == "json" else _text_line(Style.for_stream(out))
    if args.file == STDIN or implicit:
        if sys.stdin is None:
            raise UsageError("no stdin to read strikes from")
        count = _stream(engine, "stdin", _lines(sys.stdin), out, render)
    else:
        path = Path(args.file)
        try:
            f = open_file(path)
        except YamlError as e:
            raise UsageError(f"{shown(str(path))}: {e.message}") from None
        with f:  # errors writing the verdicts are not errors reading the file: they go up as they are
            count = _stream(engine, shown(str(path)), _lines(f), out, render)
    if implicit and count == 0:
        raise UsageError(NO_STRIKE)
    return EXIT_OK


def _lines(stream: TextIO | BinaryIO) -> Iterator[bytes | str]:
    """Raw lines, each read up to :data:`MAX_LINE_BYTES` + 1 (a stream with no line break, like
    /dev/zero, is never read whole); bytes when the stream has them, so decoding (UTF-8) happens
    line by line."""
    source: Any = getattr(stream, "buffer", stream)
    while True:
        line = source.readline(MAX_LINE_BYTES + 1)
        if not line:
            return
        yield line


def _stream(engine: Engine, name: str, lines: Iterator[bytes | str], out: TextIO,
            render: Render) -> int:
    count = 0
    with Progress(None, "evaluating strikes") as progress:
        for n, data in _records(name, lines):
            try:
                verdict = engine.evaluate(data)
            except PolicyRulesError as e:
                out.flush()
                raise UsageError(f"{name}:{n}: {e}") from None
            out.write(render(verdict) + "\n")
            out.flush()
            count += 1
            progress.advance()
    return count


def _records(name: str, lines: Iterator[bytes | str]) -> Iterable[tuple[int, Any]]:
    """(line number, parsed JSON) for every non-blank line."""
    n = 0
    while True:
        n += 1
        try:
            raw = next(lines)
        except StopIteration:
            return
        except UnicodeDecodeError:
            raise UsageError(f"{name}:{n}: not UTF-8 text") from None
        except OSError as e:
            raise UsageError(f"{name}: cannot read: {e.strerror or e}") from None
        if len(raw) > MAX_LINE_BYTES and raw[-1:] not in ("\n", b"\n"):
            raise UsageError(f"{name}:{n}: a line of more than {MAX_LINE_BYTES} bytes; the limit is {MAX_LINE_BYTES}")
        if isinstance(raw, bytes):
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise UsageError(f"{name}:{n}: not UTF-8 text") from None
        else:
            text = raw
        text = text.rstrip("\r\n")
        if n == 1:
            text = text.removeprefix("\ufeff")
        if not text.strip():
            continue
        yield n, parse_json(text, f"{name}:{n}:", "column")


def _json_line(verdict: Verdict) -> str:
    return json.dumps(verdict.model_dump(mode="json"), ensure_ascii=False, separators=(",", ":"))


def _text_line(style: Style) -> Render:
    def render(verdict: Verdict) -> str:
        return f"{style.decision(verdict.decision.value)} {verdict.rule.id} {verdict.policy.ref}"
    return render
