"""``diff``: exact changes between policy versions, merged into readable descriptions."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from textwrap import dedent
from typing import Any

import pytest
from hypothesis import assume, event, given
from hypothesis import strategies as st

from policyrules import Decision, Engine, PolicyRefError, StrikeError
from policyrules.analysis.diff import DiffReport, compare, ruleset_for_ref
from policyrules.analysis.merging import describe, merge
from policyrules.analysis.partition import RANGE, Interval, Partition, StrikeClass, Universe
from policyrules.cli import main
from policyrules.model.dimensions import DIMENSIONS, Coords
from policyrules.model.domain import MAX_RANGE_KM
from policyrules.model.strike import facts
from policyrules.strategies import members, strikes

from .helpers import ROOT

MAY_29_30 = (
    "us@2024-05-29 (us@baseline) -> us@2024-05-30: 36 of 5346 classes change\n"
    "  US tube or rocket artillery, Belgorod, self-defense of Kharkiv, target: artillery, command center, equipment, "
    "missile base or troops, range <= 80 km: prohibited -> allowed, by us-kharkiv-counterfire "
    "(was us-no-strikes-in-russia)\n"
    "  US tube or rocket artillery, Belgorod, self-defense of Kharkiv, target: air defense, aircraft, airfield or "
    "logistics, range <= 80 km: prohibited, by us-counterfire-target-limit (was us-no-strikes-in-russia)"
)
SHIFTS = [("us@2024-05-29", "us@2024-05-30"), ("us@2024-05-30", "us@2024-06-20"),
          ("us@2024-06-20", "us@2024-11-17")]


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize(("a", "b"), [("us@2024-05-30", "us@2024-05-30"), ("us@baseline", "us@2024-05-29"),
                                  ("gb", "gb@2024-05-02"), ("default@v1", "default@2024-01-01")])
def test_a_version_against_itself_is_empty(compiled_engine: Engine, a: str, b: str) -> None:
    report = compiled_engine.diff(a, b)
    assert report.entries == ()
    assert report.changed == 0
    assert report.classes > 0
    assert report.to_text().endswith(f"no change (over {report.classes} classes)")


def test_may_29_to_30_is_the_kharkiv_counterfire_change_and_nothing_else(compiled_engine: Engine) -> None:
    report = compiled_engine.diff("us@2024-05-29", "us@2024-05-30")
    assert report.to_text() == MAY_29_30
    # The counter-fire exception, on the targets the seeds name (us.counterfire-targets, default both-seeds);
    # on the others the deciding rule changes to the target limit.
    entry, limit = report.entries
    assert (entry.before.decision, entry.before.rule) == (Decision.PROHIBITED, "us-no-strikes-in-russia")
    assert (entry.after.decision, entry.after.rule) == (Decision.ALLOWED, "us-kharkiv-counterfire")
    assert entry.constraints == {
        "weapon_class": ("rocket_artillery", "tube_artillery"), "target_region": ("belgorod",),
        "target_type": ("artillery", "command_center", "equipment", "missile_base", "troops"),
        "self_defense": (True,), "defended_region": ("kharkiv",), RANGE: (entry.constraints[RANGE][0],)}
    assert str(entry.constraints[RANGE][0]) == "<= 80"
    assert (limit.after.decision, limit.after.rule) == (Decision.PROHIBITED, "us-counterfire-target-limit")
    assert entry.classes + limit.classes == report.changed == 36
    assert (report.before_version, report.after_version) == ("us@baseline", "us@2024-05-30")


@pytest.mark.parametrize(("a", "b"), SHIFTS)
def test_every_changed_class_changes_when_evaluated_on_both_dates(
        compiled_engine: Engine, durable_engine: Engine, a: str, b: str) -> None:
    """Every class the diff reports (its representative) and every entry's example get the before side
    on the first date and the after side on the second, with either backend."""
    pack = compiled_engine.pack
    (rsa, day_a), (rsb, day_b) = ruleset_for_ref(pack, a), ruleset_for_ref(pack, b)
    assert day_a is not None
    assert day_b is not None
    comp = compare(pack, rsa, compiled_engine.resolved.conditions(rsa), rsb, compiled_engine.resolved.conditions(rsb))
    changed = list(comp.changed())
    report = compiled_engine.diff(a, b)
    assert len(changed) == report.changed > 0
    for engine in (compiled_engine, durable_engine):
        for cls, before, after in changed:
            for day, side in ((day_a, before), (day_b, after)):
                v = engine.evaluate({**cls.strike, "date": day.isoformat()})
                assert (v.decision, v.rule.id) == (side.decision, side.rule)
        for entry in report.entries:
            for day, side in ((day_a, entry.before), (day_b, entry.after)):
                v = engine.evaluate({**entry.example, "date": day.isoformat()})
                assert (v.decision, v.rule.id) == (side.decision, side.rule)
            assert entry.covers(facts(engine.strike(entry.example)))


# Fields that change together when a strike is moved next to the change (a weapon comes with its supplier).
GROUPS = (("weapon", "weapon_class", "supplier"), ("range_km",), ("target_region",), ("target_type",),
          ("self_defense",), ("defended_region",))
_MAY: dict[str, tuple[DiffReport, list[StrikeClass], Partition]] = {}


def _may_diff(engine: Engine) -> tuple[DiffReport, list[StrikeClass], Partition]:
    """The 29 -> 30 May diff (per backend), the classes that change and the partition they belong to."""
    if engine.backend not in _MAY:
        pack = engine.pack
        (rsa, _), (rsb, _) = ruleset_for_ref(pack, "us@2024-05-29"), ruleset_for_ref(pack, "us@2024-05-30")
        comp = compare(pack, rsa, engine.resolved.conditions(rsa), rsb, engine.resolved.conditions(rsb))
        _MAY[engine.backend] = (engine.diff("us@2024-05-29", "us@2024-05-30"),
                                [c for c, _, _ in comp.changed()], comp.before)
    return _MAY[engine.backend]


@given(data=st.data())
def test_random_us_strikes_change_verdict_only_where_the_diff_says(engine: Engine, data: st.DataObject) -> None:
    """A US strike judged on 29 and 30 May 2024 gets a different decision or rule exactly when an entry of
    the diff covers it, and then the decisions and rules are the entry's. Strikes are drawn anywhere, inside
    the change, and next to it (a strike inside with one group of fields taken from a strike anywhere)."""
    report, changed, p = _may_diff(engine)
    anywhere = strikes(engine, policies=["us"])
    strike: dict[str, Any] = data.draw(st.one_of(anywhere, st.sampled_from(changed).flatmap(lambda c: members(p, c))))
    if data.draw(st.booleans()):
        other, group = data.draw(anywhere), data.draw(st.sampled_from(GROUPS))
        strike = {**{k: v for k, v in strike.items() if k not in group}, **{k: other[k] for k in group if k in other}}
    try:
        before = engine.evaluate({**strike, "date": "2024-05-29"})
    except StrikeError:
        assume(False)  # e.g. a range beyond the reach of the weapon taken from the other strike
    after = engine.evaluate({**strike, "date": "2024-05-30"})
    covering = [e for e in report.entries if e.covers(facts(before.strike))]
    assert len(covering) <= 1
    event("changed" if covering else "unchanged")
    if (before.decision, before.rule.id) == (after.decision, after.rule.id):
        assert not covering
    else:
        (entry,) = covering
        assert (before.decision, before.rule.id, after.decision, after.rule.id) == \
            (entry.before.decision, entry.before.rule, entry.after.decision, entry.after.rule)


def test_two_suppliers_policies_can_be_compared(compiled_engine: Engine) -> None:
    report = compiled_engine.diff("us@2024-06-01", "gb@2024-06-01")
    assert (report.before_version, report.after_version) == ("us@2024-05-30", "gb@2024-05-02")
    lines = report.to_text().splitlines()
    expected = ("  ballistic or cruise missile, anywhere in Russia, target: air defense, aircraft, airfield, artillery, "
                "command center, equipment, logistics, missile base or troops: prohibited -> allowed, by "
                "gb-military-targets-anywhere (was us-long-range-ban)")
    assert expected in lines
    assert all(e.after.rule.startswith(("gb-", "common-", "default")) for e in report.entries)


def test_later_us_shifts_read_well(compiled_engine: Engine) -> None:
    text = compiled_engine.diff("us@2024-06-20", "us@2024-11-17").to_text()
    assert text.splitlines()[1:] == [("  US ballistic missile, Kursk, self-defense, target: air defense, aircraft, "
                                     "airfield, artillery, command center, equipment, logistics, missile base or "
                                     "troops: prohibited -> allowed, by us-kursk-atacms (was us-long-range-ban)")]


def test_merge_joins_intervals_and_sibling_values() -> None:
    iv = [Interval(0, 80, True, False), Interval(80, 80), Interval(80, MAX_RANGE_KM, False, True)]
    wc = [(("weapon_class", c),) for c in ("tube_artillery", "rocket_artillery")]
    rest = [d for d in DIMENSIONS if d not in ("weapon", "range")]

    def point(w: Any, i: Interval) -> Coords[Any]:
        return Coords({"weapon": w, "range": ((RANGE, i),), **dict.fromkeys(rest, ())})

    points = [point(w, i) for w in wc for i in iv[:2]]
    (box,) = merge(points)
    assert box["weapon"] == frozenset(wc)
    assert box["range"] == frozenset(((RANGE, i),) for i in iv[:2])
    universe = Universe([(w, ((RANGE, i),)) for w in wc for i in iv], {d: [()] for d in rest})
    assert universe.free(box) == Coords({"weapon": True, "range": False, **dict.fromkeys(rest, True)})

    def box_of(w: Any, ivs: list[Interval]) -> Coords[Any]:
        return Coords({"weapon": frozenset({w}), "range": frozenset(((RANGE, i),) for i in ivs),
                       **{d: frozenset({()}) for d in rest}})

    assert set(merge([*points, point(wc[0], iv[2])])) == {box_of(wc[0], iv), box_of(wc[1], iv[:2])}


def test_a_weapon_rule_names_the_weapon_and_its_reach_makes_the_range_free(tmp_path: Path) -> None:
    """Where a rule names a weapon, descriptions name it; a range covering all the weapon can reach is left out."""
    (tmp_path / "catalog.yaml").write_text(dedent("""\
        weapons:
          - {id: himars, name: HIMARS, weapon_class: rocket_artillery, suppliers: [US], reach_km: 80}
          - {id: atacms, name: ATACMS, weapon_class: ballistic_missile, suppliers: [US], reach_km: 300}
        regions:
          - {id: kharkiv, name: Kharkiv, country: UA, borders: [belgorod]}
          - {id: belgorod, name: Belgorod, country: RU, borders: [kharkiv]}
        """))
    src = "source: {url: 'https://example.org/x', quote: q}"
    (tmp_path / "us").mkdir()
    (tmp_path / "us" / "a.yaml").write_text(dedent(f"""\
        policy: us
        version: a
        title: t
        effective_from: 2024-01-01
        effective_until: 2024-05-29
        default: prohibited
        rules:
          - {{id: ua, title: t, effect: allowed, when: {{target_country: UA}}, {src}}}
        """))
    (tmp_path / "us" / "b.yaml").write_text(dedent(f"""\
        policy: us
        version: b
        title: t
        effective_from: 2024-05-30
        extends: a
        rules:
          - {{id: himars-near, title: t, effect: allowed, when: {{weapon: himars, range_km: {{le: 100}}}}, {src}}}
        """))
    e = Engine.load(tmp_path, backend="compiled")
    report = e.diff("us@a", "us@b")
    # Inside Ukraine both rules allow and "ua" (inherited) comes first: no change there.
    assert [str(x) for x in report.entries] == [("US HIMARS, in Russia: prohibited -> allowed, by himars-near "
                                                "(was default)")]
    rs = ruleset_for_ref(e.pack, "us@b")[0]
    p = Partition(e.pack, rs, e.resolved.conditions(rs))
    everything = merge([c.point for c in p.classes()])  # HIMARS reaches 80 km, the others further
    assert sorted(describe(box, Universe.of(p), e.pack.catalog, "US") for box in everything) == \
        ["US HIMARS", "US unnamed weapon or ATACMS"]


def test_diff_on_the_command_line(tmp_path: Path) -> None:
    code, out, err = run("diff", "us@2024-05-29", "us@2024-05-30")
    assert (code, err) == (0, "")
    assert out.strip() == MAY_29_30
    code, out, _ = run("diff", "us@2024-05-29", "us@2024-05-30", "--format", "json")
    data = json.loads(out)
    assert code == 0
    assert DiffReport.model_validate(data).to_text() == MAY_29_30
    entry = data["entries"][0]
    assert len(data["entries"]) == 2
    assert set(entry) == {"description", "constraints", "before", "after", "classes", "example"}
    assert entry["before"] == {"decision": "prohibited", "rule": "us-no-strikes-in-russia"}
    assert entry["constraints"]["range_km"] == [{"lo": 0.0, "hi": 80.0, "lo_closed": True, "hi_closed": True}]


@pytest.mark.parametrize(("a", "b", "message"), [
    ("us@2024-05-29", "xx@2024-05-30", "unknown policy 'xx' in 'xx@2024-05-30'"),
    ("us@1999-01-01", "us", "1999-01-01 is before the first version of policy us"),
    ("us@soon", "us", "'us@soon': 'soon' is neither a version of us"),
    ("common@v1", "us", "'common@v1': the common rules judge no strike on their own"),
])
def test_a_bad_ref_is_one_line_naming_it(compiled_engine: Engine, a: str, b: str, message: str) -> None:
    code, out, err = run("diff", a, b)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert message in err
    with pytest.raises(PolicyRefError):
        compiled_engine.diff(a, b)


def test_the_example_script_prints_the_diff() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "examples" / "diff_may_29_30.py")], capture_output=True,
                          text=True, timeout=60, check=True)
    assert done.stdout.startswith(MAY_29_30 + "\n")
    assert "e.g. on 2024-05-29: prohibited by us-no-strikes-in-russia" in done.stdout
    assert "e.g. on 2024-05-30: allowed by us-kharkiv-counterfire" in done.stdout
