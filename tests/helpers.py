"""What several test modules share (tests import this module, never each other).

Paths (``ROOT``, ``EXAMPLES``, ``SEEDS``), the tiny catalogs packs are written with, the counter-fire strike, the pack
writers, and the in-process CLI runner.
"""

from __future__ import annotations

import io
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple, TypeVar

from policyrules.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
SEEDS = ROOT.parent / "shared" / "seeds"

T = TypeVar("T")


def peak_memory(run: Callable[[], T]) -> tuple[T, int]:
    """What ``run`` returns, and the peak in bytes of what Python allocated while it ran (tracemalloc)."""
    tracemalloc.start()
    try:
        out = run()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return out, peak

# One weapon, two bordering regions: the smallest catalog a US rule set can be written against.
TINY_CATALOG = """\
weapons:
  - {id: himars, name: HIMARS, weapon_class: rocket_artillery, suppliers: [US], reach_km: 80}
regions:
  - {id: kharkiv, name: Kharkiv Oblast, country: UA, borders: [belgorod]}
  - {id: belgorod, name: Belgorod Oblast, country: RU, borders: [kharkiv]}
"""

# Two weapons (one with an alias), two bordering regions and an occupied one: the loader's tests
# count lines in packs written with it.
CATALOG = """\
weapons:
  - {id: himars, name: HIMARS, aliases: [M142], weapon_class: rocket_artillery, suppliers: [US], reach_km: 80}
  - {id: atacms, name: ATACMS, weapon_class: ballistic_missile, suppliers: [US], reach_km: 300}
regions:
  - {id: kharkiv, name: Kharkiv Oblast, country: UA, borders: [belgorod]}
  - {id: belgorod, name: Belgorod Oblast, country: RU, borders: [kharkiv]}
  - {id: crimea, name: Crimea, country: UA, occupied: true}
"""

# HIMARS counter-fire into Belgorod in defence of Kharkiv, 30 km, on 1 June 2024: the strike the
# bundled pack allows under us@2024-05-30 (us-kharkiv-counterfire) and prohibited before it.
COUNTERFIRE_STRIKE = {"weapon": "HIMARS", "target_region": "belgorod", "target_type": "artillery",
                      "self_defense": True, "defended_region": "kharkiv", "range_km": 30, "date": "2024-06-01"}


def write_files(root: Path, files: dict[str, str], catalog: str | None = None) -> Path:
    """Write a rule directory at ``root``: ``catalog.yaml`` (unless None) and each file at its
    relative path (folders made as needed); returns ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    if catalog is not None:
        (root / "catalog.yaml").write_text(catalog, encoding="utf-8")
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


def write_pack(root: Path, files: dict[str, str], catalog: str | None = CATALOG) -> Path:
    """A pack in ``root/pack`` (so messages name ``pack/us/baseline.yaml``), with ``CATALOG`` by default."""
    return write_files(root / "pack", files, catalog)


def edit(root: Path, rel: str, old: str, new: str) -> None:
    """Replace the first ``old`` in the file ``root/rel`` by ``new`` (``old`` must be there)."""
    path = root / rel
    text = path.read_text(encoding="utf-8")
    assert old in text, (rel, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


class Result(NamedTuple):
    """One CLI run: exit code, stdout, stderr (a tuple, so ``code, out, err = cli(...)`` works)."""

    code: int
    out: str
    err: str


def cli(*argv: str | Path, out: io.StringIO | None = None) -> Result:
    """Run ``policyrules ARGV`` in this process; ``out`` is the stdout to write to (a fresh one if None)."""
    out = out if out is not None else io.StringIO()
    err = io.StringIO()
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
