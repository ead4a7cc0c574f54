"""The CLI as a Unix tool: colour only on a terminal (and never with NO_COLOR), JSON Lines in
and out of ``evaluate``, progress on a terminal's stderr only, one-line errors.

Runs ``main(argv, out=..., err=...)`` against the bundled pack with the compiled backend (fast);
a terminal is a StringIO that says it is one.
"""

from __future__ import annotations

import io
import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from policyrules.cli import main
from policyrules.commands import _common
from policyrules.commands._common import Progress, Style, colour_enabled, table

from .helpers import COUNTERFIRE_STRIKE as STRIKE
from .helpers import EXAMPLES, cli

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
EARLY = {**STRIKE, "date": "2024-05-01"}


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def plain_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("NO_COLOR", "FORCE_COLOR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")


def stdin(monkeypatch: pytest.MonkeyPatch, data: str | bytes) -> None:
    """A piped stdin: text (no .buffer) or bytes (read through .buffer, as a real pipe is)."""
    if isinstance(data, bytes):
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))
    else:
        monkeypatch.setattr(sys, "stdin", io.StringIO(data))


def lines(*strikes: Any) -> str:
    return "".join((s if isinstance(s, str) else json.dumps(s)) + "\n" for s in strikes)


# Colour ----------------------------------------------------------------------------------


def test_piped_output_has_no_escape_codes() -> None:
    for argv in (["run", "--backend", "compiled", str(EXAMPLES)],
                 ["evaluate", "--backend", "compiled", "--strike", json.dumps(STRIKE)]):
        code, out, _ = cli(*argv)
        assert code == 0 and out
        assert "\x1b[" not in out


def test_a_terminal_gets_coloured_decisions() -> None:
    _, out, _ = cli("evaluate", "--backend", "compiled", "--strike", json.dumps(STRIKE), out=Terminal())
    assert out.startswith("\x1b[32;1mALLOWED\x1b[0m: HIMARS")
    _, out, _ = cli("evaluate", "--backend", "compiled", "--strike", json.dumps(EARLY), out=Terminal())
    assert out.startswith("\x1b[31;1mPROHIBITED\x1b[0m: HIMARS")


def test_colour_keeps_the_table_aligned() -> None:
    _, plain, _ = cli("run", "--backend", "compiled", str(EXAMPLES))
    _, coloured, _ = cli("run", "--backend", "compiled", str(EXAMPLES), out=Terminal())
    assert "\x1b[31;1mprohibited\x1b[0m" in coloured and "\x1b[32mpass\x1b[0m" in coloured
    assert ANSI.sub("", coloured) == plain


def test_no_color_turns_colour_off_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    _, out, _ = cli("run", "--backend", "compiled", str(EXAMPLES), out=Terminal())
    assert "\x1b[" not in out
    assert not colour_enabled(Terminal())


def test_colour_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    assert colour_enabled(Terminal()) and not colour_enabled(io.StringIO()) and not colour_enabled(None)
    monkeypatch.setenv("TERM", "dumb")
    assert not colour_enabled(Terminal())
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert colour_enabled(io.StringIO())
    monkeypatch.setenv("NO_COLOR", "1")  # NO_COLOR wins
    assert not colour_enabled(io.StringIO())
    closed = Terminal()
    closed.close()
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.delenv("FORCE_COLOR")
    assert not colour_enabled(closed)


def test_style_and_table() -> None:
    off, on = Style(False), Style(True)
    assert off.decision("allowed") == "allowed" and off.paint("x", "red") == "x"
    assert on.decision("PROHIBITED") == "\x1b[31;1mPROHIBITED\x1b[0m"
    assert on.decision("unknown") == "unknown"
    text = table(("a", "b"), [("xx", "y"), ("x", "yyy")], style=lambda r, c, s: on.paint(s, "red") if c == 0 else s)
    assert ANSI.sub("", text) == table(("a", "b"), [("xx", "y"), ("x", "yyy")])


# JSON Lines ------------------------------------------------------------------------------


def test_json_lines_in_json_lines_out(monkeypatch: pytest.MonkeyPatch) -> None:
    stdin(monkeypatch, lines(STRIKE, EARLY))
    code, out, err = cli("evaluate", "--backend", "compiled", "--format", "json", "-")
    assert (code, err) == (0, "")
    rows = out.splitlines()
    verdicts = [json.loads(r) for r in rows]
    assert rows == [json.dumps(v, separators=(",", ":"), ensure_ascii=False) for v in verdicts]  # compact
    assert [(v["decision"], v["rule"]["id"]) for v in verdicts] == [
        ("allowed", "us-kharkiv-counterfire"), ("prohibited", "us-no-strikes-in-russia")]


def test_json_lines_text_output_is_one_line_per_verdict(monkeypatch: pytest.MonkeyPatch) -> None:
    stdin(monkeypatch, lines(STRIKE, EARLY).encode())
    code, out, _ = cli("evaluate", "--backend", "compiled", "-")
    assert code == 0
    assert out == ("allowed us-kharkiv-counterfire us@2024-05-30\n"
                   "prohibited us-no-strikes-in-russia us@baseline\n")


def test_piped_stdin_is_read_without_a_dash(monkeypatch: pytest.MonkeyPatch) -> None:
    stdin(monkeypatch, lines(STRIKE))
    code, out, _ = cli("evaluate", "--backend", "compiled")
    assert (code, out) == (0, "allowed us-kharkiv-counterfire us@2024-05-30\n")


def test_empty_piped_stdin_without_a_dash_is_the_no_strike_error(monkeypatch: pytest.MonkeyPatch) -> None:
    stdin(monkeypatch, "")
    code, out, err = cli("evaluate", "--backend", "compiled")
    assert (code, out) == (2, "")
    assert err == "policyrules evaluate: error: give a strike file or --strike JSON (or JSON Lines on stdin: -)\n"


def test_empty_stdin_with_a_dash_is_no_verdicts(monkeypatch: pytest.MonkeyPatch) -> None:
    stdin(monkeypatch, "\n")
    assert cli("evaluate", "--backend", "compiled", "-") == (0, "", "")


def test_blank_lines_are_skipped_and_still_counted(monkeypatch: pytest.MonkeyPatch) -> None:
    stdin(monkeypatch, lines(STRIKE, "", "   ", "{nope"))
    code, out, err = cli("evaluate", "--backend", "compiled", "-")
    assert code == 2
    assert out == "allowed us-kharkiv-counterfire us@2024-05-30\n"
    assert err.startswith("policyrules evaluate: error: stdin:4: not valid JSON: ")


@pytest.mark.parametrize(("bad", "message"), [
    ("[1, 2", "stdin:2: not valid JSON: Expecting ',' delimiter at column 6"),
    (json.dumps({**STRIKE, "range_km": -5}), "stdin:2: invalid strike: range_km: "),
    (json.dumps({**STRIKE, "date": "1990-01-01"}), "stdin:2: "),
    ("[1, 2]", "stdin:2: invalid strike: a strike is a mapping of fields, not list"),
], ids=["json", "strike", "date", "not-an-object"])
def test_a_bad_line_stops_after_the_earlier_verdicts(monkeypatch: pytest.MonkeyPatch, bad: str,
                                                     message: str) -> None:
    stdin(monkeypatch, lines(STRIKE, bad, EARLY))
    code, out, err = cli("evaluate", "--backend", "compiled", "--format", "json", "-")
    assert code == 2
    assert [json.loads(r)["decision"] for r in out.splitlines()] == ["allowed"]
    assert err.count("\n") == 1 and "Traceback" not in err
    error = json.loads(err)  # --format json: the error line is JSON too
    assert error["command"] == "evaluate" and error["exit_code"] == 2
    assert error["error"].startswith(message), err


def test_a_line_that_is_not_utf8_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    stdin(monkeypatch, lines(STRIKE).encode() + b'{"weapon": "\xff"}\n')
    code, out, err = cli("evaluate", "--backend", "compiled", "-")
    assert (code, out.count("\n")) == (2, 1)
    assert err == "policyrules evaluate: error: stdin:2: not UTF-8 text\n"


def test_a_jsonl_file(tmp_path: Path) -> None:
    f = tmp_path / "strikes.jsonl"
    f.write_text("\ufeff" + lines(STRIKE, EARLY, {"weapon": "HIMARS"}), encoding="utf-8")
    code, out, err = cli("evaluate", "--backend", "compiled", str(f))
    assert code == 2 and out.count("\n") == 2
    assert err.startswith(f"policyrules evaluate: error: {f}:3: invalid strike (")


def test_a_dash_and_strike_together_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    stdin(monkeypatch, lines(STRIKE))
    code, _, err = cli("evaluate", "-", "--strike", json.dumps(STRIKE))
    assert code == 2 and "give a strike file or --strike, not both" in err


def test_json_lines_colour_the_decision_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    stdin(monkeypatch, lines(STRIKE))
    _, out, _ = cli("evaluate", "--backend", "compiled", "-", out=Terminal())
    assert out == "\x1b[32;1mallowed\x1b[0m us-kharkiv-counterfire us@2024-05-30\n"
    stdin(monkeypatch, lines(STRIKE))
    _, out, _ = cli("evaluate", "--backend", "compiled", "--format", "json", "-", out=Terminal())
    assert "\x1b[" not in out  # JSON is never coloured


# Progress --------------------------------------------------------------------------------


def test_progress_draws_only_on_a_terminal_and_only_for_long_runs() -> None:
    term, pipe, short = Terminal(), io.StringIO(), Terminal()
    for stream, total in ((term, 3000), (pipe, 3000), (short, 10)):
        with Progress(total, "working", stream, interval=0) as p:
            for _ in range(total):
                p.advance()
    assert pipe.getvalue() == "" and short.getvalue() == ""
    drawn = term.getvalue()
    assert "working [" in drawn and "3,000/3,000 100%" in drawn
    assert drawn.endswith("\r\x1b[K")  # the line is erased at the end


def test_progress_without_a_total_counts_past_the_threshold() -> None:
    term = Terminal()
    with Progress(None, "evaluating", term, threshold=5, interval=0) as p:
        for _ in range(7):
            p.advance()
    assert "evaluating: 6 " in term.getvalue() and "evaluating: 5 " not in term.getvalue()


def test_run_shows_progress_on_a_terminal_stderr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_common, "PROGRESS_THRESHOLD", 10)
    err = Terminal()
    monkeypatch.setattr(sys, "stderr", err)
    code, out, _ = cli("run", "--backend", "compiled", str(EXAMPLES))
    assert code == 0 and "\x1b[" not in out  # stdout piped: plain
    assert "running scenarios [" in err.getvalue() and err.getvalue().endswith("\r\x1b[K")
    piped = io.StringIO()
    monkeypatch.setattr(sys, "stderr", piped)  # piped stderr: nothing drawn
    cli("run", "--backend", "compiled", str(EXAMPLES))
    assert piped.getvalue() == ""


def test_evaluate_shows_progress_for_a_long_stream(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_common, "PROGRESS_THRESHOLD", 3)
    err = Terminal()
    monkeypatch.setattr(sys, "stderr", err)
    stdin(monkeypatch, lines(*[STRIKE] * 6))
    code, out, _ = cli("evaluate", "--backend", "compiled", "-")
    assert code == 0 and out.count("\n") == 6
    assert "evaluating strikes: " in err.getvalue()


# Errors ----------------------------------------------------------------------------------


def test_errors_are_one_line_and_debug_shows_the_traceback() -> None:
    bad = json.dumps({**STRIKE, "weapon": "HIMARZ"})
    code, _, err = cli("evaluate", "--strike", bad)
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err
    assert "unknown weapon 'HIMARZ'" in err
    code, _, err = cli("evaluate", "--debug", "--strike", bad)
    assert code == 2 and "Traceback (most recent call last)" in err
    assert err.splitlines()[-1].startswith("policyrules evaluate: error: invalid strike")


def test_a_closed_pipe_ends_quietly() -> None:
    class ClosedPipe(io.StringIO):
        def write(self, s: str) -> int:
            raise BrokenPipeError(32, "Broken pipe")

    err = io.StringIO()
    assert main(["run", "--backend", "compiled", str(EXAMPLES)], out=ClosedPipe(), err=err) == 141
    assert err.getvalue() == ""
