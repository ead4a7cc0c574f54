"""Coverage of the rules and classes by a scenario run (``engine.coverage``, ``policyrules run --coverage``)."""

from __future__ import annotations

import json
from pathlib import Path

from policyrules import Engine, Verdict
from policyrules.analysis.partition import partitions

from .helpers import assert_bad_input, cli

COUNTERFIRE = {"weapon": "HIMARS", "target_region": "belgorod", "target_type": "artillery", "self_defense": True,
               "defended_region": "kharkiv", "range_km": 30, "date": "2024-06-01"}
SCENARIOS = """\
- name: counter-fire into Belgorod
  strike: {weapon: HIMARS, target_region: belgorod, target_type: artillery, self_defense: true,
           defended_region: kharkiv, range_km: 30, date: 2024-06-01}
  expect: {decision: allowed, rule: us-kharkiv-counterfire}
- name: the same class, a little further
  strike: {weapon: HIMARS, target_region: belgorod, target_type: artillery, self_defense: true,
           defended_region: kharkiv, range_km: 31, date: 2024-06-01}
  expect: {decision: allowed}
- name: a Storm Shadow in Kursk
  strike: {weapon: Storm Shadow, target_region: kursk, target_type: troops, range_km: 100, date: 2024-06-01}
  expect: {decision: allowed}
"""


def test_rules_decided_matched_and_never_fired(compiled_engine: Engine) -> None:
    v = compiled_engine.evaluate(COUNTERFIRE)
    same_class = compiled_engine.evaluate({**COUNTERFIRE, "range_km": 31})
    report = compiled_engine.coverage([v, same_class])
    assert report.decided == ("us-kharkiv-counterfire",)
    assert report.matched_only == ("us-no-strikes-in-russia",)  # overridden by the counter-fire exception
    every = {r.id for p in partitions(compiled_engine.resolved) for r in p.ruleset.rules}
    assert set(report.never_fired) == every - {"us-kharkiv-counterfire", "us-no-strikes-in-russia"}
    assert report.percent == round(100 / len(report.rules), 2)
    (counter,) = (r for r in report.rules if r.id == "us-kharkiv-counterfire")
    assert (counter.decided, counter.matched, counter.versions) == (2, 0, ("us@2024-05-30",))
    # two strikes of one class touch one class of the rule set that judged them, and no other
    touched = {c.version: (c.touched, c.verdicts) for c in report.versions if c.verdicts}
    assert touched == {"us@2024-05-30 + common@v1": (1, 2)}
    (judged,) = (c for c in report.versions if c.verdicts)
    assert judged.classes == len(next(p for p in partitions(compiled_engine.resolved) if p.label == judged.version))
    assert report.verdicts == 2 and report.elsewhere == 0


def test_a_rule_replaced_under_its_id_is_its_own_rule(compiled_engine: Engine) -> None:
    report = compiled_engine.coverage([])
    bans = [r for r in report.rules if r.id == "us-long-range-ban"]
    assert len(bans) > 1 and len({(r.file, r.line) for r in bans}) == len(bans)
    assert report.decided == () and report.percent == 0 and report.class_percent == 0


def test_a_verdict_under_another_reading_is_not_counted(compiled_engine: Engine) -> None:
    v = compiled_engine.evaluate(COUNTERFIRE)
    other = Verdict(**{**v.model_dump(), "reading": {"us.some-point": "other"}})
    report = compiled_engine.coverage([v, other])
    assert (report.verdicts, report.elsewhere) == (2, 1)
    assert sum(c.verdicts for c in report.versions) == 1


def test_run_coverage_text_json_and_minimum(tmp_path: Path) -> None:
    f = tmp_path / "scenarios.yaml"
    f.write_text(SCENARIOS, encoding="utf-8")
    r = cli("run", "--backend", "compiled", "--coverage", f)
    assert r.code == 0, r.err
    text = r.out[r.out.index("\ncoverage: "):]
    assert "coverage: 2 of " in text and "rules decided" in text and "1 matched but never decided" in text
    assert "  matched, never decided:\n    us-no-strikes-in-russia: 0 decided, 2 matched" in text
    assert "us@2024-05-30 + common@v1" in text and "gb@2024-05-02 + common@v1" in text
    j = json.loads(cli("run", "--backend", "compiled", "--coverage", "--format", "json", f).out)
    assert [c["passed"] for c in j["cases"]] == [True, True, True]
    assert sorted(j["coverage"]["decided"]) == ["gb-military-targets-anywhere", "us-kharkiv-counterfire"]
    assert j["coverage"]["matched_only"] == ["us-no-strikes-in-russia"]
    pct = j["coverage"]["percent"]
    assert 0 < pct < 50
    low = cli("run", "--backend", "compiled", "--coverage-min", str(pct + 1), f)
    assert low.code == 1
    assert f"coverage {pct:g}% is below --coverage-min {pct + 1:g}%" in low.out
    assert cli("run", "--backend", "compiled", "--coverage-min", str(pct), f).code == 0
    assert json.loads(cli("run", "--backend", "compiled", "--coverage-min", "99", "--format", "json", f).out
                      )["coverage"]["minimum"] == 99
    assert_bad_input(cli("run", "--coverage-min", "120", f), "run", "a percentage from 0 to 100")
