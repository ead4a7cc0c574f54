"""What several test modules share (tests import this module, never each other)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from policyrules.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
SEEDS = ROOT.parent / "shared" / "seeds"


@dataclass
class Result:
    """One CLI run: exit code, stdout, stderr."""

    code: int
    out: str
    err: str


def cli(*argv: str | Path) -> Result:
    """Run ``policyrules ARGV`` in this process."""
    out, err = io.StringIO(), io.StringIO()
    code = main([str(a) for a in argv], out=out, err=err)
    return Result(code, out.getvalue(), err.getvalue())


def assert_bad_input(result: Result, command: str, text: str) -> None:
    """Exit 2, nothing on stdout, exactly one line on stderr naming the problem, no traceback."""
    assert result.code == 2
    assert result.out == ""
    assert result.err.count("\n") == 1 and result.err.endswith("\n"), result.err
    assert result.err.startswith(f"policyrules {command}: error: ")
    assert "Traceback" not in result.err
    assert text in result.err, result.err
