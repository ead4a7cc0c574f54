"""Reproducibility: a verdict names the exact pack (a SHA-256 over every file) and library version,
and the same strike and pack give the same bytes from ``policyrules evaluate --format json`` in any
process, whatever the hash seed or the directory the pack was copied to."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import policyrules
from policyrules import Engine
from policyrules.matching import BACKENDS
from policyrules.packs.loader import bundled_rules_dir, load_pack

from .helpers import COUNTERFIRE_STRIKE, ROOT

RULES = bundled_rules_dir()
RULE_FILES = sorted(p.relative_to(RULES).as_posix() for p in RULES.rglob("*.yaml"))
STRIKE = json.dumps(COUNTERFIRE_STRIKE)


def evaluate_in_a_new_process(backend: str, hash_seed: str, *extra: str) -> bytes:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "policyrules.cli", "evaluate", "--backend", backend, "--format", "json",
         "--strike", STRIKE, *extra],
        cwd=ROOT, env=env, capture_output=True, timeout=120, check=False, stdin=subprocess.DEVNULL)
    assert (done.returncode, done.stderr) == (0, b"")
    return done.stdout


@pytest.mark.parametrize("backend", BACKENDS)
def test_evaluate_json_output_is_byte_identical_across_processes(backend: str) -> None:
    """Two separate processes (with different hash seeds, so no set or dict order can leak in)
    print the same bytes for the same strike and pack."""
    first = evaluate_in_a_new_process(backend, "1")
    assert first == evaluate_in_a_new_process(backend, "2")
    verdict = json.loads(first)
    assert (verdict["decision"], verdict["rule"]["id"]) == ("allowed", "us-kharkiv-counterfire")
    assert verdict["pack_digest"] == load_pack().digest
    assert verdict["library_version"] == policyrules.__version__


def test_evaluate_json_output_does_not_depend_on_where_the_pack_lives(tmp_path: Path) -> None:
    """A copy of the pack elsewhere (same directory name) gives the same bytes: no absolute path
    or modification time goes into a verdict or the digest."""
    copy = tmp_path / "elsewhere" / "rules"
    shutil.copytree(RULES, copy)
    assert evaluate_in_a_new_process("compiled", "3", "--rules", str(copy)) == \
        evaluate_in_a_new_process("compiled", "4", "--rules", str(RULES))


@pytest.mark.parametrize("rel", RULE_FILES)
def test_changing_any_file_by_one_byte_changes_the_digest(tmp_path: Path, rel: str) -> None:
    """One byte more in any file of the pack (the catalog or a rule file, a comment even) gives
    another digest, and the verdicts of an engine on that pack carry it."""
    root = tmp_path / "rules"
    shutil.copytree(RULES, root)
    before = load_pack(root).digest
    assert before == load_pack(RULES).digest
    with (root / rel).open("ab") as f:
        f.write(b"\n")
    engine = Engine.load(root, backend="compiled")
    assert engine.pack.digest != before
    assert engine.evaluate(json.loads(STRIKE)).pack_digest == engine.pack.digest


def test_a_verdict_names_the_pack_digest_and_library_version(engine: Engine) -> None:
    verdict = engine.evaluate(json.loads(STRIKE))
    assert verdict.pack_digest == engine.pack.digest == load_pack().digest
    assert verdict.library_version == policyrules.__version__
