"""``why_not``: the minimal changes of one or two fields that flip a strike's decision."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policyrules import Decision, Engine, StrikeError
from policyrules.analysis.why_not import candidates
from policyrules.cli import main
from policyrules.model.dimensions import DIMENSIONS, own_fields
from policyrules.model.strike import facts
from policyrules.strategies import strikes

ATACMS = {"weapon": "ATACMS", "target_region": "belgorod", "target_type": "artillery", "self_defense": True,
          "defended_region": "kharkiv", "range_km": 60, "date": "2024-06-01"}
ATACMS_TEXT = (
    "prohibited by us-long-range-ban (us@2024-05-30)\n"
    "  allowed if weapon_class were tube_artillery or rocket_artillery (us-kharkiv-counterfire)\n"
    "  allowed if target_region were any region of UA (us-inside-ukraine)\n"
    "  allowed if weapon_class were air_defense and target_type were aircraft (us-air-defense-over-russia)"
)


def fields(strike: dict[str, Any], engine: Engine) -> dict[str, Any]:
    """The strike's fields as its facts (enums as their values), with its date."""
    s = engine.strike(strike)
    return {**facts(s), "date": s.date}


def test_atacms_into_belgorod(compiled_engine: Engine) -> None:
    report = compiled_engine.why_not(ATACMS)
    assert report.to_text() == ATACMS_TEXT
    first, second, _air_defense = report.alternatives
    (change,) = first.changes
    assert (change.field, change.from_, change.to) == ("weapon_class", "ballistic_missile",
                                                      ("tube_artillery", "rocket_artillery"))
    assert (first.decision, first.rule) == (Decision.ALLOWED, "us-kharkiv-counterfire")
    assert first.example["weapon"] == "himars" or first.example["weapon_class"] == "tube_artillery"
    assert second.changes[0].field == "target_region"
    catalog = compiled_engine.pack.catalog
    assert len(second.changes[0].to) == len([r for r in catalog.regions if r.country == "UA"])  # every one


def test_beyond_80_km_it_takes_two_changes(compiled_engine: Engine) -> None:
    """At 150 km a weapon class alone no longer flips the decision: the range must change too."""
    report = compiled_engine.why_not({**ATACMS, "range_km": 150})
    assert [(a.description, a.rule) for a in report.alternatives] == [
        ("target_region were any region of UA", "us-inside-ukraine"),
        ("weapon_class were tube_artillery or rocket_artillery and range_km were <= 80", "us-kharkiv-counterfire"),
        ("weapon_class were air_defense and target_type were aircraft", "us-air-defense-over-russia"),
    ]


def test_an_allowed_strike_lists_what_would_prohibit_it(compiled_engine: Engine) -> None:
    report = compiled_engine.why_not({**ATACMS, "weapon": "HIMARS", "range_km": 30})
    assert (report.decision, report.rule) == (Decision.ALLOWED, "us-kharkiv-counterfire")
    shown = {a.description: a.rule for a in report.alternatives}
    assert shown["self_defense were false"] == "us-no-strikes-in-russia"
    assert shown["defended_region were not kharkiv"] == "us-no-strikes-in-russia"
    assert shown["target_type were civilian"] == "common-civilian-target-ban"
    # Counter-fire covers the targets the seeds name (us.counterfire-targets, default both-seeds).
    assert shown["target_type were air_defense or airfield or aircraft or logistics"] == "us-counterfire-target-limit"
    assert shown["target_region were any other region of RU"] == "us-no-strikes-in-russia"
    assert all(a.decision is Decision.PROHIBITED for a in report.alternatives)


CASES = [ATACMS, {**ATACMS, "range_km": 150}, {**ATACMS, "weapon": "HIMARS", "range_km": 30},
         {"weapon": "ATACMS", "target_region": "kursk", "target_type": "troops", "range_km": 150,
          "date": "2024-12-01"},
         {"weapon": "Storm Shadow", "target_region": "moscow", "target_type": "civilian", "range_km": 150},
         {"weapon_class": "drone", "supplier": "PL", "target_region": "kursk", "target_type": "artillery",
          "range_km": 30, "date": "2024-07-01"}]


def check_flips(engines: tuple[Engine, ...], strike: dict[str, Any]) -> None:
    """Each change, applied (its example strike), gets the new decision and rule on every backend; it keeps
    the supplier, the date and every field of the dimensions it does not change; and a change of two
    dimensions is minimal: neither half alone (when it is a valid strike) flips the decision."""
    base = engines[0]
    original = base.evaluate(strike)
    own = fields(strike, base)
    _, _, found = candidates(base.resolved, strike)
    for c in found:
        assert c.decision is not original.decision
        for e in engines:
            v = e.evaluate(c.example)
            assert (v.decision, v.rule.id, v.policy.ref) == (c.decision, c.rule, original.policy.ref)
        new = fields(c.example, base)
        kept = ["supplier", "date"] + [f for d in DIMENSIONS if d not in c.dims for f in own_fields(d)]
        assert {f: new[f] for f in kept} == {f: own[f] for f in kept}
        if len(c.dims) == 2:
            for d in c.dims:
                half = {**{k: v for k, v in own.items() if v is not None},
                        **{f: new[f] for f in own_fields(d) if new[f] is not None}}
                if new["weapon"] is None and d == "weapon":
                    half.pop("weapon", None)
                try:
                    v = base.evaluate(half)
                except StrikeError:  # e.g. the range beyond the weapon's reach: not a change on its own
                    continue
                assert v.decision is original.decision


@pytest.mark.parametrize("strike", CASES)
def test_every_change_really_flips_when_applied(compiled_engine: Engine, durable_engine: Engine,
                                                strike: dict[str, Any]) -> None:
    check_flips((compiled_engine, durable_engine), strike)


@settings(max_examples=40)
@given(data=st.data())
def test_random_strikes_flip_when_changed(compiled_engine: Engine, data: st.DataObject) -> None:
    check_flips((compiled_engine,), data.draw(strikes(compiled_engine)))


def test_every_single_flip_is_listed(compiled_engine: Engine) -> None:
    """Exhaustive over the weapon classes and target types: a one-field change flips the decision exactly
    when why_not lists it."""
    report = compiled_engine.why_not(ATACMS)
    listed = {(c.field, v) for a in report.alternatives if len(a.changes) == 1 for c in a.changes for v in c.to}
    for wc in ("tube_artillery", "rocket_artillery", "glide_bomb", "drone", "cruise_missile"):
        flipped = compiled_engine.evaluate({**ATACMS, "weapon": None, "weapon_class": wc,
                                            "supplier": "US"}).decision is Decision.ALLOWED
        assert flipped == (("weapon_class", wc) in listed)
    for region in ("kharkiv", "crimea", "kursk", "moscow"):
        flipped = compiled_engine.evaluate({**ATACMS, "target_region": region}).decision is Decision.ALLOWED
        assert flipped == (("target_region", region) in listed)


def test_why_not_on_the_command_line() -> None:
    out, err = io.StringIO(), io.StringIO()
    assert main(["evaluate", "--why-not", "--strike", json.dumps(ATACMS)], out=out, err=err) == 0
    assert out.getvalue().strip() == ATACMS_TEXT
    out = io.StringIO()
    assert main(["evaluate", "--why-not", "--format", "json", "--strike", json.dumps(ATACMS)], out=out) == 0
    data = json.loads(out.getvalue())
    assert data["alternatives"][0]["changes"] == [
        {"field": "weapon_class", "from": "ballistic_missile", "to": ["tube_artillery", "rocket_artillery"]}]
    assert data["decision"] == "prohibited"
    assert data["rule"] == "us-long-range-ban"
    err = io.StringIO()
    assert main(["evaluate", "--why-not", "--strike", json.dumps({**ATACMS, "weapon": "Tomahawk"})],
                out=io.StringIO(), err=err) == 2
    assert err.getvalue().count("\n") == 1
    assert "weapon: unknown weapon 'Tomahawk'" in err.getvalue()
