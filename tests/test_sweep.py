"""``sweep``: what-if over a parameter: classes and scenarios whose decision changes, and the plot."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from policyrules import Decision, Engine, ParameterError
from policyrules.analysis.sweep import sweep, values
from policyrules.cli import main
from policyrules.scenarios import Scenario, load_scenarios

COUNTERFIRE_100 = {"weapon_class": "rocket_artillery", "supplier": "US", "target_region": "belgorod",
                   "target_type": "artillery", "self_defense": True, "defended_region": "kharkiv",
                   "range_km": 100, "date": "2024-06-01"}
SCENARIOS = """\
- name: rocket artillery at 100 km in defense of Kharkiv
  strike: {weapon_class: rocket_artillery, supplier: US, target_region: belgorod, target_type: artillery,
           self_defense: true, defended_region: kharkiv, range_km: 100, date: 2024-06-01}
  expect: {decision: prohibited, rule: us-long-range-ban}
- name: ATACMS into Belgorod
  strike: {weapon: ATACMS, target_region: belgorod, target_type: troops, range_km: 100, date: 2024-06-01}
  expect: {decision: prohibited}
"""


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def scenario_file(tmp_path: Path) -> Path:
    path = tmp_path / "scenarios-sweep.yaml"
    path.write_text(SCENARIOS)
    return path


def test_values_are_inclusive_and_checked() -> None:
    assert values(40, 120, 40) == [40, 80, 120]
    assert values(0.1, 0.3, 0.1) == [0.1, 0.2, 0.3]
    assert values(80, 80, 5) == [80]
    for bad, message in (((1, 2, 0), "STEP must be positive"), ((5, 1, 1), "STOP \\(1\\) is below START"),
                         ((0, 1e6, 1e-3), "at most 1000"), ((0, float("nan"), 1), "START|STOP")):
        with pytest.raises(ParameterError, match=message):
            values(*bad)


def test_counts_grow_as_long_range_km_moves_away_from_80(compiled_engine: Engine) -> None:
    """On each side of the bundled 80 km, the classes whose decision changes never shrink as the value
    moves away; at 80 itself nothing changes."""
    report = sweep(compiled_engine.resolved, "us.long_range_km", [20, 60, 80, 120, 200])
    counts = [p.changed for p in report.points]
    assert counts[0] > counts[1] > counts[2] == 0
    assert 0 < counts[3] < counts[4]
    # us@2024-05-30: the Kharkiv counter-fire classes (tube or rocket artillery) in the ranges between the
    # value and 80 km; the common refinement splits range_km at 20, 60, 80, 120 and 200: (60, 80) and 80
    # at 60 km, four intervals at 20 km; each for the five target types the seeds name (us.counterfire-targets).
    assert [p.by_version["us@2024-05-30 + common@v1"] for p in report.points] == [40, 20, 0, 20, 40]
    assert report.bundled == 80
    assert report.classes > 0
    assert all(p.by_version.get("us@baseline + common@v1", 0) == 0 for p in report.points)  # always prohibited


def test_a_parameter_change_alters_a_verdict_in_the_new_engine_only(compiled_engine: Engine,
                                                                   scenario_file: Path) -> None:
    wider = compiled_engine.with_parameters({"us.long_range_km": 150})
    assert wider.evaluate(COUNTERFIRE_100).rule.id == "us-kharkiv-counterfire"
    v = compiled_engine.evaluate(COUNTERFIRE_100)
    assert (v.decision, v.rule.id) == (Decision.PROHIBITED, "us-long-range-ban")
    scenarios: list[Scenario] = load_scenarios(scenario_file)
    report = sweep(compiled_engine.resolved, "us.long_range_km", [80, 150], scenarios)
    assert [p.scenarios for p in report.points] == [(), ("rocket artillery at 100 km in defense of Kharkiv",)]
    assert compiled_engine.evaluate(COUNTERFIRE_100).decision is Decision.PROHIBITED


def test_sweep_on_the_command_line(scenario_file: Path) -> None:
    code, out, err = run("sweep", "us.long_range_km", "80", "150", "70", "--scenarios", str(scenario_file),
                         "--backend", "compiled")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].startswith("us.long_range_km (bundled 80): classes whose decision differs")
    assert lines[1].split() == ["value", "classes", "scenarios"]
    assert lines[2].split() == ["80", "0", "-"]
    assert lines[3].startswith("  150 ")
    assert lines[3].endswith("rocket artillery at 100 km in defense of Kharkiv")
    code, out, _ = run("sweep", "us.long_range_km", "80", "100", "20", "--format", "json", "--backend", "compiled")
    data = json.loads(out)
    assert code == 0
    assert [p["value"] for p in data["points"]] == [80, 100]
    assert data["points"][0]["changed"] == 0
    code, _, err = run("sweep", "us.nope", "1", "2", "1")
    assert code == 2
    assert err.count("\n") == 1
    assert "unknown parameter 'us.nope'" in err


def test_plot_draws_a_png(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    target = tmp_path / "sweep.png"
    code, out, err = run("sweep", "us.long_range_km", "70", "80", "10", "--plot", str(target),
                         "--backend", "compiled")
    assert (code, err) == (0, "")
    assert out.rstrip().endswith(f"plot: {target}")
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_without_matplotlib_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now raises ImportError
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    code, out, err = run("sweep", "us.long_range_km", "60", "100", "40", "--plot", str(tmp_path / "x.png"))
    assert (code, out) == (2, "")
    assert err == ("policyrules sweep: error: plotting needs matplotlib, which is not installed: "
                   "pip install 'policyrules[plot]'\n")
    assert not (tmp_path / "x.png").exists()
