"""``engine.ask``: the forgiving question (fields one cannot know left out), and ``policyrules evaluate``
answering with conditions instead of refusing; the header names only the fields that change the answer."""

from __future__ import annotations

import itertools
import json

import pytest

from policyrules import Decision, Engine, PolicyRulesError, ProposedStrike, StrikeError
from policyrules.analysis.partial import PartialReport

from .helpers import cli

ATACMS_KURSK = {"weapon": "ATACMS", "target_region": "kursk", "target_type": "air_defense", "date": "2024-12-01"}


def test_ask_is_partial_evaluation_with_keywords_or_a_strike(compiled_engine: Engine) -> None:
    report = compiled_engine.ask(**ATACMS_KURSK)
    assert isinstance(report, PartialReport)
    assert report == compiled_engine.evaluate_partial(ATACMS_KURSK) == compiled_engine.ask(ATACMS_KURSK)
    assert report.settled is None
    assert report.missing == ("self_defense",)
    assert {(p.decision, p.rule) for p in report.possibilities} == {
        (Decision.ALLOWED, "us-kursk-atacms"), (Decision.PROHIBITED, "us-long-range-ban")}
    # a strike object: only the fields it was given count as known (self_defense was left out)
    strike = ProposedStrike(**ATACMS_KURSK, range_km=250)
    assert compiled_engine.ask(strike).missing == ("self_defense",)
    assert compiled_engine.ask(strike, self_defense=False).settled is Decision.PROHIBITED
    with pytest.raises(PolicyRulesError, match="date: given both"):
        compiled_engine.ask(ATACMS_KURSK, date="2024-06-01")
    with pytest.raises(PolicyRulesError, match="not list"):
        compiled_engine.ask([1, 2])  # type: ignore[arg-type]


def test_evaluate_stays_strict(compiled_engine: Engine) -> None:
    with pytest.raises(StrikeError, match="range_km"):
        compiled_engine.evaluate(ATACMS_KURSK)
    assert compiled_engine.evaluate({**ATACMS_KURSK, "range_km": 250}).decision is Decision.PROHIBITED


def test_the_header_names_only_fields_that_change_the_decision(compiled_engine: Engine) -> None:
    # Kursk, June 2024: the US forbids any strike there, the UK allows military targets: only the
    # supplier changes the answer (the US policy's own split of weapons and ranges does not).
    report = compiled_engine.ask(target_region="kursk", target_type="troops", date="2024-06-10")
    assert report.settled is None
    assert report.missing == ("supplier",)
    assert report.to_text().startswith("not settled: allowed or prohibited, depending on supplier (")


@pytest.mark.parametrize("known", [
    {"weapon": "HIMARS", "target_region": "belgorod", "target_type": "artillery", "date": "2024-06-10"},
    {"supplier": "US", "target_region": "kursk", "target_type": "troops", "date": "2024-12-01"},
    ATACMS_KURSK,
])
def test_every_field_that_changes_the_decision_is_named(compiled_engine: Engine, known: dict[str, object]) -> None:
    """Over a grid of completions, a field whose change alone flips the decision is in ``missing``;
    and a field named there does flip it somewhere in the grid (these grids are fine enough)."""
    report = compiled_engine.ask(known)
    grid = {"self_defense": [False, True], "defended_region": [None, "kharkiv", "sumy", "zaporizhzhia"],
            "range_km": [10, 79, 81, 250], "weapon_class": ["rocket_artillery", "ballistic_missile", "cruise_missile"]}
    grid = {f: v for f, v in grid.items() if f not in known and not ("weapon" in known and f == "weapon_class")}
    decided: dict[tuple[object, ...], Decision] = {}
    for values in itertools.product(*grid.values()):
        strike = {**known, **dict(zip(grid, values))}
        if strike.get("defended_region") is None:
            strike.pop("defended_region", None)
        try:
            decided[values] = compiled_engine.evaluate(strike).decision
        except StrikeError:  # beyond the weapon's reach
            continue
    flips = set()
    for a, b in itertools.combinations(decided, 2):
        differ = [f for f, x, y in zip(grid, a, b) if x != y]
        if len(differ) == 1 and decided[a] is not decided[b]:
            flips.add(differ[0])
    assert flips <= set(report.missing)
    assert set(report.missing) <= flips


def test_evaluate_answers_with_conditions_when_fields_are_left_out() -> None:
    r = cli("evaluate", "--strike", json.dumps(ATACMS_KURSK))
    assert r.code == 0, r.err
    assert r.out.splitlines() == [
        "not settled: allowed or prohibited, depending on self_defense (us@2024-11-17)",
        "  allowed    by us-kursk-atacms if self-defense",
        "  prohibited by us-long-range-ban if not self-defense",
    ]
    j = json.loads(cli("evaluate", "--format", "json", "--strike", json.dumps(ATACMS_KURSK)).out)
    assert j["settled"] is None and j["missing"] == ["self_defense"]
    # settled without a range: the settled answer
    r = cli("evaluate", "--strike", json.dumps({"weapon": "Storm Shadow", "target_region": "kursk",
                                                "target_type": "troops"}))
    assert r.out.startswith("allowed: settled by the known fields (gb@"), r.out
    # settled, every required field given: the full verdict, as before
    full = {**ATACMS_KURSK, "range_km": 250, "target_region": "crimea"}
    r = cli("evaluate", "--strike", json.dumps(full))
    assert r.out.startswith("ALLOWED: ATACMS (US) on air_defense in crimea"), r.out
    # --strict: as given (the range is required, self_defense is false)
    r = cli("evaluate", "--strict", "--strike", json.dumps(ATACMS_KURSK))
    assert r.code == 2 and "range_km: required" in r.err
    r = cli("evaluate", "--strict", "--strike", json.dumps({**ATACMS_KURSK, "range_km": 250}))
    assert r.out.startswith("PROHIBITED: ATACMS"), r.out
    # other errors stay errors, worded for the question asked (no complaint about the missing range)
    r = cli("evaluate", "--strike", json.dumps({**ATACMS_KURSK, "weapon": "ATACSM"}))
    assert r.code == 2 and "unknown weapon 'ATACSM'" in r.err and "range_km" not in r.err
    # what one knows (the weapon, the target, the region) is still asked for, with everything missing
    r = cli("evaluate", "--strike", json.dumps({"target_type": "troops"}))
    assert r.code == 2 and r.err.endswith("invalid strike (2 problems): weapon_class: required when no weapon is "
                                          "given; target_region: required\n"), r.err
    # a bad value keeps the strict wording
    r = cli("evaluate", "--strike", json.dumps({**ATACMS_KURSK, "range_km": 10**400}))
    assert r.code == 2 and "range_km: about 10^400 km is beyond the reach of ATACMS" in r.err, r.err
