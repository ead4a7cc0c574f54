"""Rule files of random shape on both backends, in a child process with time and memory limits.

The only outcomes allowed: both backends load the pack and give equal verdicts on every strike,
or a backend refuses it at load with a RuleFileError naming the pack's file (and the rule, or the
rule set) and the bound it exceeds, within the time and memory bounds. A child killed by a
timeout, a signal or its memory limit fails the test.

A small derandomized run in CI (the ``ci`` profile); ``HYPOTHESIS_PROFILE=thorough`` runs a few
hundred packs by hand (about 10 minutes).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings

from .packs_in_children import Worker
from .rule_shapes import PackShape, pack_shapes

# A pack's load and its strikes on both backends; the slowest shapes drawn take a few seconds.
SECONDS_PER_PACK = 30.0
PEAK_MB = 2000
REFUSALS = (("rulesets", "rulesets of the rule set"), ("durable rules", "durable rules"),
            ("alternatives", "alternatives of a rule"), ("nested", "nesting"), ("tests", "tests under a node"))


@pytest.fixture(scope="module")
def worker() -> Iterator[Worker]:
    w = Worker(timeout=SECONDS_PER_PACK * 2)
    yield w
    w.close()


@settings(max_examples=max(8, settings().max_examples // 6), suppress_health_check=[HealthCheck.too_slow,
                                                                                   HealthCheck.data_too_large])
@given(shape=pack_shapes())
def test_a_rule_file_of_any_shape_gets_equal_verdicts_or_a_library_error_within_bounds(
        worker: Worker, shape: PackShape) -> None:
    """Any valid rule file (nesting of any / all / not, long in lists, negations, many rules and
    thresholds) loads on both backends with equal verdicts, or is refused at load with a RuleFileError
    naming its file, rule and bound: never a hang, a crash or an unbounded cost."""
    root = Path(tempfile.mkdtemp(prefix="shape-"))
    try:
        result = worker.judge(shape.write(root / "rules"), list(shape.strikes))
    finally:
        shutil.rmtree(root)
    compiled, durable = result["compiled"], result["durable"]
    ids = {r["id"] for r in shape.rules}
    for backend in (compiled, durable):
        assert backend["seconds"] < SECONDS_PER_PACK, backend
        if "error" in backend:
            assert backend["error"] == "RuleFileError", backend
            assert backend["file"] == "rules/us/v1.yaml" and "the limit is" in backend["message"], backend
            assert backend["rule"] in ids or backend["message"].startswith("rules/us/v1.yaml: rule set us@v1: "), backend
    assert "verdicts" in compiled, compiled  # the compiled backend has no limit a pack this size reaches
    if "verdicts" in durable:
        assert durable["verdicts"] == compiled["verdicts"]
        event(f"durable: loaded, {'1' if durable['rulesets'] == 1 else '2-9' if durable['rulesets'] < 10 else '10+'} "
              "rulesets")
    else:
        event("durable: refused: " + next((what for key, what in REFUSALS if key in durable["message"]), "other"))
    assert result["peak_mb"] < PEAK_MB
