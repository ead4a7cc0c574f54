"""``evaluate_partial``: strikes with unknown fields: settled decisions, or each decision with its conditions."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policyrules import Decision, Engine, PolicyRulesError, StrikeError
from policyrules.analysis.merging import covers
from policyrules.cli import main
from policyrules.model.strike import facts
from policyrules.strategies import strikes

HIMARS_BELGOROD = {"weapon": "HIMARS", "target_region": "belgorod", "target_type": "artillery",
                   "self_defense": True, "date": "2024-06-01"}


def test_the_known_fields_settle_it(compiled_engine: Engine) -> None:
    report = compiled_engine.evaluate_partial({"weapon": "ATACMS", "target_region": "belgorod",
                                               "date": "2024-06-01"})
    assert report.settled is Decision.PROHIBITED
    assert report.possibilities == ()
    assert set(report.rules) == {"us-long-range-ban", "common-civilian-target-ban"}
    assert report.to_text() == ("prohibited: settled by the known fields (us@2024-05-30; by us-long-range-ban or "
                                "common-civilian-target-ban)")
    # a civilian target is prohibited under every policy, whoever supplies the weapon
    civilian = compiled_engine.evaluate_partial({"target_type": "civilian"})
    assert civilian.settled is Decision.PROHIBITED
    assert civilian.rules == ("common-civilian-target-ban",)
    assert len(civilian.policies) == len([p for p in compiled_engine.pack.policies if p != "common"])


def test_a_missing_defended_region_leaves_both_decisions(compiled_engine: Engine) -> None:
    report = compiled_engine.evaluate_partial(HIMARS_BELGOROD)
    assert report.settled is None
    assert report.decisions == (Decision.ALLOWED, Decision.PROHIBITED)
    # only the missing fields that change the answer: HIMARS reaches 80 km, so its range cannot
    assert report.missing == ("defended_region",)
    assert report.to_text().splitlines() == [
        "not settled: allowed or prohibited, depending on defended_region (us@2024-05-30)",
        "  allowed    by us-kharkiv-counterfire if defending Kharkiv",
        "  prohibited by us-no-strikes-in-russia if not defending Kharkiv",
    ]
    allowed = report.possibilities[0]
    assert allowed.constraints == {"defended_region": ("kharkiv",)}
    assert allowed.classes == 2


def test_conditions_on_several_missing_fields(compiled_engine: Engine) -> None:
    report = compiled_engine.evaluate_partial({"target_region": "belgorod", "supplier": "US",
                                               "date": "2024-06-01"})
    allowed = [p for p in report.possibilities if p.decision is Decision.ALLOWED]
    assert [p.description for p in allowed] == [
        ("US tube or rocket artillery, self-defense of Kharkiv, target: artillery, command center, equipment, "
         "missile base or troops, range <= 80 km"),
        "US air defense, target: aircraft"]
    assert {p.rule for p in report.possibilities if p.decision is Decision.PROHIBITED} == \
        {"us-no-strikes-in-russia", "us-long-range-ban", "common-civilian-target-ban", "us-counterfire-target-limit"}


def test_an_unknown_supplier_ranges_over_the_policies(compiled_engine: Engine) -> None:
    report = compiled_engine.evaluate_partial({"target_country": "RU", "target_type": "troops",
                                               "weapon_class": "cruise_missile", "date": "2024-06-01"})
    by_policy = {p.policy: (p.decision, p.rule) for p in report.possibilities}
    assert by_policy["gb@2024-05-02"] == (Decision.ALLOWED, "gb-military-targets-anywhere")
    assert by_policy["us@2024-05-30"] == (Decision.PROHIBITED, "us-long-range-ban")
    assert by_policy["default@v1"] == (Decision.PROHIBITED, "default-inside-russia")
    assert "under gb@2024-05-02 whatever the missing fields" in report.to_text()


@pytest.mark.parametrize("known", [
    HIMARS_BELGOROD, {"weapon": "M777", "date": "2024-07-01"}, {"target_region": "kursk", "date": "2024-12-01"},
    {"weapon_class": "drone", "target_country": "RU"}, {"supplier": None, "target_type": "troops"},
])
def test_each_example_gets_its_possibility(compiled_engine: Engine, durable_engine: Engine,
                                           known: dict[str, Any]) -> None:
    report = compiled_engine.evaluate_partial(known)
    assert report.possibilities
    for p in report.possibilities:
        for e in (compiled_engine, durable_engine):
            v = e.evaluate(p.example)
            assert (v.decision, v.rule.id, v.policy.ref) == (p.decision, p.rule, p.policy)
            assert covers(p.constraints, facts(v.strike))
            assert all(facts(v.strike)[k] == value for k, value in report.known.items() if k != "date")


KNOWABLE = ("weapon", "target_region", "target_type", "self_defense", "defended_region", "range_km")  # never the date


@settings(max_examples=60)
@given(data=st.data())
def test_a_full_strike_gets_one_of_the_possible_decisions(compiled_engine: Engine, data: st.DataObject) -> None:
    """Hide some fields of a valid strike: its decision is among those still possible; when settled, it is
    that decision; otherwise a possibility with its decision, rule and policy covers it."""
    strike: dict[str, Any] = data.draw(strikes(compiled_engine))
    verdict = compiled_engine.evaluate(strike)
    hidden = data.draw(st.sets(st.sampled_from(KNOWABLE)))
    known = {k: v for k, v in strike.items() if k not in hidden or k in ("weapon_class", "supplier")}
    if "weapon" in hidden and "weapon" in strike:
        known.pop("supplier", None)  # the weapon's supplier is unknown with it
        known.pop("weapon_class", None)
    report = compiled_engine.evaluate_partial(known)
    assert verdict.decision in report.decisions
    if report.settled is not None:
        assert verdict.rule.id in report.rules
    else:
        f = facts(verdict.strike)
        assert any(p.decision is verdict.decision and p.rule == verdict.rule.id and p.policy == verdict.policy.ref
                   and covers(p.constraints, f) for p in report.possibilities)


@pytest.mark.parametrize(("known", "message"), [
    ({"weapon": "Tomahawk"}, "weapon: unknown weapon 'Tomahawk'"),
    ({"target_region": "atlantis"}, "target_region: unknown region 'atlantis'"),
    ({"target_country": "FR"}, "target_country: unknown value 'FR'"),
    ({"weapon": "HIMARS", "range_km": 120}, "range_km: 120 km is beyond the reach of HIMARS"),
    ({"weapon": "HIMARS", "colour": "green"}, "colour: unknown field"),
])
def test_known_fields_are_validated(compiled_engine: Engine, known: dict[str, Any], message: str) -> None:
    with pytest.raises(StrikeError, match=message) as caught:
        compiled_engine.evaluate_partial(known)
    assert isinstance(caught.value, ValueError)
    assert isinstance(caught.value, PolicyRulesError)


def test_partial_on_the_command_line() -> None:
    out = io.StringIO()
    assert main(["evaluate", "--partial", "--strike", json.dumps(HIMARS_BELGOROD)], out=out) == 0
    assert out.getvalue().startswith("not settled: allowed or prohibited")
    out = io.StringIO()
    assert main(["evaluate", "--partial", "--format", "json", "--strike",
                 json.dumps({"weapon": "ATACMS", "target_region": "moscow"})], out=out) == 0
    data = json.loads(out.getvalue())
    assert data["settled"] == "prohibited"
    assert data["possibilities"] == []
    err = io.StringIO()
    assert main(["evaluate", "--partial", "--strike", "[1, 2]"], out=io.StringIO(), err=err) == 2
    assert err.getvalue().count("\n") == 1
