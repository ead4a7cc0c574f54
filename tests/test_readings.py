"""Contested points: declared once in a rule file, options that change rules, dates and parameters, verdicts
that show the dispute exactly, and every reference checked at load."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings

from policyrules import Decision, Engine, PolicyRulesError, RuleFileError
from policyrules.packs.loader import read_pack
from policyrules.packs.readings import ReadingError
from policyrules.packs.rulesets import Problems
from policyrules.scenarios import ScenarioError, load_scenarios, run_scenarios
from policyrules.strategies import strikes

from .helpers import assert_bad_input, cli
from .readings_pack import BASELINE, BASELINE_UNTIL, DOWNING, SHIFT, write


@pytest.fixture(scope="module")
def rules(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("readings") / "rules"
    return write(root, {"gb/baseline.yaml": BASELINE.replace("effective_until: 2024-05-01", BASELINE_UNTIL),
                        "gb/2024-05-02.yaml": SHIFT})


@pytest.fixture(scope="module", params=["durable", "compiled"])
def engine(rules: Path, request: pytest.FixtureRequest) -> Engine:
    return Engine.load(rules, backend=request.param)


SHADOW: dict[str, Any] = {"weapon": "Storm Shadow", "target_region": "kursk", "target_type": "airfield",
                          "range_km": 200, "date": "2024-07-01"}
M270: dict[str, Any] = {**SHADOW, "weapon": "M270", "range_km": 50}


def test_the_points_are_declared_once_with_their_options_and_defaults(engine: Engine) -> None:
    assert [p.id for p in engine.readings] == ["gb.strikes-in-russia", "gb.start-date"]
    assert engine.reading == {"gb.strikes-in-russia": "seed", "gb.start-date": "cameron"}
    point = engine.readings.points["gb.strikes-in-russia"]
    assert point.option_ids == ("seed", "split-by-weapon", "barred")
    assert point.option("split-by-weapon").sources[0].grade.value == "official-on-record"


@pytest.mark.parametrize(("choice", "shadow", "m270"), [
    ("seed", ("allowed", "gb-military-targets-anywhere"), ("allowed", "gb-military-targets-anywhere")),
    ("split-by-weapon", ("prohibited", "gb-no-strikes-in-russia"), ("allowed", "gb-military-targets-anywhere")),
    ("barred", ("prohibited", "gb-no-strikes-in-russia"), ("prohibited", "gb-no-strikes-in-russia")),
])
def test_each_option_gives_its_own_rules(engine: Engine, choice: str, shadow: tuple[str, str],
                                         m270: tuple[str, str]) -> None:
    e = engine.with_readings({"gb.strikes-in-russia": choice})
    for strike, expected in ((SHADOW, shadow), (M270, m270)):
        v = e.evaluate(strike)
        assert (v.decision.value, v.rule.id) == expected
        assert v.reading == ({} if choice == "seed" else {"gb.strikes-in-russia": choice})
    assert engine.reading["gb.strikes-in-russia"] == "seed"  # the engine asked is untouched


def test_an_option_may_move_a_date(engine: Engine) -> None:
    may = {**M270, "date": "2024-05-15"}
    assert engine.evaluate(may).rule.id == "gb-military-targets-anywhere"
    later = engine.with_readings({"gb.start-date": "later"})
    assert later.evaluate(may).rule.id == "gb-no-strikes-in-russia"
    assert later.evaluate(may).policy.ref == "gb@baseline"


def test_a_verdict_lists_every_point_that_would_change_it_with_the_verdict_under_each_option(engine: Engine) -> None:
    v = engine.evaluate(SHADOW)
    (contest,) = v.contested
    assert (contest.point, contest.chosen) == ("gb.strikes-in-russia", "seed")
    assert [(a.option, a.decision, a.rule) for a in contest.alternatives] == [
        ("split-by-weapon", Decision.PROHIBITED, "gb-no-strikes-in-russia"),
        ("barred", Decision.PROHIBITED, "gb-no-strikes-in-russia")]
    assert contest.alternatives[0].rests_on.startswith("an official on the record")
    text = v.explain()
    assert "contested: gb.strikes-in-russia: When could UK weapons strike inside Russia?" in text
    assert "under barred: prohibited by gb-no-strikes-in-russia (gb@2024-05-02)" in text
    dumped = v.model_dump(mode="json")
    assert dumped["contested"][0]["alternatives"][1]["option"] == "barred"


def test_a_verdict_no_point_can_change_says_so(engine: Engine) -> None:
    v = engine.evaluate({**M270, "target_region": "kharkiv", "target_type": "troops"})
    assert v.contested == ()
    assert "contested: no contested point changes this verdict" in v.explain()


def test_across_readings_counts_the_decisions(engine: Engine) -> None:
    report = engine.across_readings(SHADOW)
    assert report.points == ("gb.strikes-in-russia", "gb.start-date")
    assert len(report.outcomes) == 6
    assert report.summary() == "prohibited under 4 of 6 readings, allowed under 2"


def test_load_takes_readings(rules: Path) -> None:
    e = Engine.load(rules, backend="compiled", readings={"gb.strikes-in-russia": "barred"})
    assert e.evaluate(M270).decision is Decision.PROHIBITED


@pytest.mark.parametrize(("choice", "message"), [
    ({"gb.strikes-in-rusia": "seed"}, ("unknown contested point 'gb.strikes-in-rusia' (did you mean "
                                      "'gb.strikes-in-russia'?)")),
    ({"gb.strikes-in-russia": "bared"}, ("gb.strikes-in-russia: unknown option 'bared' (did you mean 'barred'?); "
                                        "options: seed, split-by-weapon, barred")),
])
def test_unknown_points_and_options_are_refused_with_a_suggestion(engine: Engine, choice: dict[str, str],
                                                                  message: str) -> None:
    with pytest.raises(ReadingError, match=message.replace("(", r"\(").replace(")", r"\)").replace("?", r"\?")) as e:
        engine.with_readings(choice)
    assert isinstance(e.value, PolicyRulesError)


@pytest.mark.parametrize(("old", "new", "message"), [
    ("under: {gb.strikes-in-russia: seed}", "under: {gb.strikes-in-rusia: seed}",
     "unknown contested point 'gb.strikes-in-rusia'"),
    ("under: {gb.strikes-in-russia: seed}", "under: {gb.strikes-in-russia: sead}",
     "gb.strikes-in-russia has no option 'sead'"),
    ("cameron: 2024-05-02, later: 2024-06-01", "cameron: 2024-05-02",
     "gives values for cameron; gb.start-date has the options cameron, later: give one value for each"),
    ("under: {gb.strikes-in-russia: split-by-weapon}", "under: {gb.strikes-in-russia: [seed, split-by-weapon]}",
     "duplicate rule id"),
])
def test_every_reference_to_a_point_or_option_is_checked_at_load(tmp_path: Path, old: str, new: str,
                                                                 message: str) -> None:
    shift = SHIFT.replace(old, new)
    assert shift != SHIFT
    root = write(tmp_path / "rules", {"gb/baseline.yaml": BASELINE.replace("effective_until: 2024-05-01",
                                                                            BASELINE_UNTIL),
                                      "gb/2024-05-02.yaml": shift})
    with pytest.raises(RuleFileError, match=message) as e:
        Engine.load(root, backend="compiled")
    assert e.value.code in ("unknown-reading", "duplicate-id")


def test_a_point_is_named_after_its_policy(tmp_path: Path) -> None:
    root = write(tmp_path / "rules", {"gb/baseline.yaml": BASELINE.replace("id: gb.start-date", "id: us.start-date")
                                      .replace("effective_until: 2024-05-01", "effective_until: 2024-05-01")})
    with pytest.raises(RuleFileError, match=r"contested point us.start-date: its id must start with the policy"):
        Engine.load(root, backend="compiled")


def test_a_problem_only_one_reading_has_names_the_reading(tmp_path: Path) -> None:
    """Composing under a reading checks that reading's rule sets: an override naming a rule the
    reading does not have is an error there, naming the reading."""
    shift = SHIFT.replace("overrides: [gb-no-strikes-in-russia]\n    source: " + DOWNING,
                          "overrides: [gb-no-such-rule]\n    source: " + DOWNING)
    assert shift != SHIFT
    root = write(tmp_path / "rules", {"gb/baseline.yaml": BASELINE.replace("effective_until: 2024-05-01",
                                                                            BASELINE_UNTIL),
                                      "gb/2024-05-02.yaml": shift})
    e = Engine.load(root, backend="compiled")  # the default reading is sound
    with pytest.raises(RuleFileError, match=r"gb-no-such-rule.*under the reading gb.strikes-in-russia=split-by-weapon"):
        e.with_readings({"gb.strikes-in-russia": "split-by-weapon"})


SEED_EARLY, SEED_LATER = ({"gb.strikes-in-russia": "seed", "gb.start-date": d} for d in ("cameron", "later"))


def test_a_rule_is_made_once_whatever_the_reading_selects_around_it(rules: Path) -> None:
    """Two readings that date the UK's shift apart compose two versions of it, whose rules of the same
    spec are the same objects (made once: a rule does not depend on the dates or values around it)."""
    source = read_pack(rules)
    early, later = (source.compose(r).policies["gb"].version("2024-05-02") for r in (SEED_EARLY, SEED_LATER))
    assert early is not None and later is not None and early.effective_from != later.effective_from
    assert [r.id for r in early.rules] == ["gb-inside-ukraine", "gb-no-strikes-in-russia",
                                           "gb-military-targets-anywhere"]
    assert all(a is b for a, b in zip(early.rules, later.rules, strict=True))


def test_a_rule_whose_condition_has_a_problem_is_reported_under_every_reading(tmp_path: Path) -> None:
    shift = SHIFT.replace("when: {target_category: military}\n", "when: {target_category: military, colour: red}\n")
    assert shift != SHIFT
    root = write(tmp_path / "rules", {"gb/baseline.yaml": BASELINE.replace("effective_until: 2024-05-01",
                                                                            BASELINE_UNTIL),
                                      "gb/2024-05-02.yaml": shift})
    source = read_pack(root)
    for reading in (SEED_EARLY, SEED_LATER, SEED_EARLY):
        problems = Problems()
        source.compose(reading, problems, policies={"gb"})
        assert [(e.rule, e.code) for e in problems.errors] == [("gb-military-targets-anywhere", "unknown-field")]


def test_alternatives_equal_the_strike_evaluated_under_each_option(rules: Path) -> None:
    """The alternatives a verdict lists are exactly the verdicts under each other option of each point,
    and every option not listed gives the same decision and rule."""
    engine = Engine.load(rules, backend="compiled")

    @settings(max_examples=60, database=None)
    @given(strikes(engine))
    def agree(strike: dict[str, Any]) -> None:
        v = engine.evaluate(strike)
        listed = {(c.point, a.option): (a.decision, a.rule) for c in v.contested for a in c.alternatives}
        for point in engine.readings:
            for option in point.option_ids:
                if option == engine.reading[point.id]:
                    continue
                try:
                    w = engine.with_readings({point.id: option}).evaluate(strike)
                except PolicyRulesError:
                    assert listed[(point.id, option)] == (None, None)
                    continue
                if (w.decision, w.rule.id) == (v.decision, v.rule.id):
                    assert (point.id, option) not in listed
                else:
                    assert listed[(point.id, option)] == (w.decision, w.rule.id)

    agree()


# Diff between readings -------------------------------------------------------------------


def test_diff_between_two_readings_of_one_version_is_exactly_what_the_option_changes(engine: Engine) -> None:
    report = engine.diff("gb@2024-07-01", after_readings={"gb.strikes-in-russia": "split-by-weapon"})
    assert report.before_reading == {"gb.strikes-in-russia": "seed"}
    assert report.after_reading == {"gb.strikes-in-russia": "split-by-weapon"}
    assert [(e.before.rule, e.after.rule) for e in report.entries] == [
        ("gb-military-targets-anywhere", "gb-no-strikes-in-russia")]
    facts = {"supplier": "GB", "target_country": "RU", "target_category": "military"}
    assert report.entries[0].covers({**facts, "weapon": "storm_shadow", "weapon_class": "cruise_missile"})
    assert not report.entries[0].covers({**facts, "weapon": "m270", "weapon_class": "rocket_artillery"})
    assert "[gb.strikes-in-russia=split-by-weapon]" in report.to_text()
    # Every change listed is a real one, and nothing else changes: checked strike by strike.
    after = engine.with_readings({"gb.strikes-in-russia": "split-by-weapon"})
    for strike in (SHADOW, M270, {**M270, "target_region": "belgorod"}, {**SHADOW, "target_type": "energy_infrastructure"}):
        a, b = engine.evaluate(strike), after.evaluate(strike)
        assert ((a.decision, a.rule.id) != (b.decision, b.rule.id)) == (strike is SHADOW)


def test_the_same_reading_on_both_sides_changes_nothing(engine: Engine) -> None:
    report = engine.diff("gb@2024-07-01", "gb@2024-07-01", before_readings={"gb.strikes-in-russia": "barred"},
                         after_readings={"gb.strikes-in-russia": "barred"})
    assert report.entries == () and report.before_reading == report.after_reading == {}


# The command line ------------------------------------------------------------------------


def test_readings_command_lists_points_options_sources_and_defaults(rules: Path) -> None:
    r = cli("readings", "--rules", rules)
    assert r.code == 0, r.err
    assert "gb.strikes-in-russia: When could UK weapons strike inside Russia?" in r.out
    assert "* seed (default): military targets anywhere from 2 May 2024" in r.out
    assert 'https://example.org/downing-street: "not changed" (an official on the record)' in r.out
    assert "default seed: The seed report speaks to the point." in r.out
    chosen = cli("readings", "--rules", rules, "--reading", "gb.strikes-in-russia=barred", "--format", "json")
    points = json.loads(chosen.out)
    assert [(p["id"], p["default"], p["chosen"]) for p in points] == [
        ("gb.strikes-in-russia", "seed", "barred"), ("gb.start-date", "cameron", "cameron")]
    assert points[0]["options"][1]["sources"][0]["grade"] == "official-on-record"
    assert_bad_input(cli("readings", "fr", "--rules", rules), "readings", "no contested point in policy 'fr'")


def test_evaluate_under_a_reading_from_the_command_line(rules: Path) -> None:
    strike = json.dumps(M270)
    default = json.loads(cli("evaluate", "--rules", rules, "--strike", strike, "--format", "json").out)
    barred = json.loads(cli("evaluate", "--rules", rules, "--strike", strike, "--format", "json",
                            "--reading", "gb.strikes-in-russia=barred").out)
    assert (default["decision"], barred["decision"]) == ("allowed", "prohibited")
    assert_bad_input(cli("evaluate", "--rules", rules, "--strike", strike, "--reading", "gb.strikes=barred"),
                     "evaluate", "unknown contested point 'gb.strikes' (did you mean 'gb.strikes-in-russia'?)")
    assert_bad_input(cli("evaluate", "--rules", rules, "--strike", strike, "--reading", "barred"),
                     "evaluate", "a reading is POINT=OPTION")


def test_diff_command_between_readings(rules: Path) -> None:
    r = cli("diff", "gb@2024-07-01", "--rules", rules, "--after-reading", "gb.strikes-in-russia=split-by-weapon")
    assert r.code == 0, r.err
    assert r.out.splitlines()[1].strip() == ("GB Storm Shadow, in Russia, military target: allowed -> prohibited, "
                                             "by gb-no-strikes-in-russia (was gb-military-targets-anywhere)")
    assert_bad_input(cli("diff", "gb@2024-07-01", "--rules", rules), "diff", "name the version after (B)")


# Scenarios -------------------------------------------------------------------------------

SCENARIOS = f"""\
- name: Storm Shadow on a Russian airfield
  strike: {json.dumps(SHADOW)}
  expect_by_reading:
    gb.strikes-in-russia:
      seed: {{decision: allowed, rule: gb-military-targets-anywhere}}
      split-by-weapon: {{decision: prohibited, rule: gb-no-strikes-in-russia}}
      barred: {{decision: prohibited}}
- name: M270 under the later start date
  strike: {json.dumps({**M270, "date": "2024-05-15"})}
  readings: {{gb.start-date: later}}
  expect: {{decision: prohibited, rule: gb-no-strikes-in-russia}}
"""


def test_a_scenario_expects_an_outcome_under_each_option(rules: Path, tmp_path: Path) -> None:
    path = tmp_path / "scenarios.yaml"
    path.write_text(SCENARIOS)
    cases = load_scenarios(path)
    assert [c.name for c in cases] == [
        "Storm Shadow on a Russian airfield [gb.strikes-in-russia=seed]",
        "Storm Shadow on a Russian airfield [gb.strikes-in-russia=split-by-weapon]",
        "Storm Shadow on a Russian airfield [gb.strikes-in-russia=barred]",
        "M270 under the later start date"]
    results = run_scenarios(Engine.load(rules, backend="compiled"), cases)
    assert [r.passed for r in results] == [True, True, True, True]
    r = cli("run", path, "--rules", rules, "--format", "json")
    assert r.code == 0, r.err
    assert [c["readings"] for c in json.loads(r.out)][-2:] == [{"gb.strikes-in-russia": "barred"},
                                                               {"gb.start-date": "later"}]
    # A wrong expectation under one option fails that case alone, and names it.
    path.write_text(SCENARIOS.replace("barred: {decision: prohibited}", "barred: {decision: allowed}"))
    r = cli("run", path, "--rules", rules)
    assert r.code == 1
    assert "FAIL Storm Shadow on a Russian airfield [gb.strikes-in-russia=barred]" in r.out
    assert r.out.count("FAIL ") == 1


@pytest.mark.parametrize(("text", "error"), [
    ("expect: {decision: allowed}\n  expect_by_reading: {gb.start-date: {later: {decision: allowed}}}",
     "not both"),
    ("expect_by_reading: {gb.start-date: {}}", "gives no option"),
    ("readings: {gb.start-date: 3}\n  expect: {decision: allowed}", "readings"),
])
def test_a_scenario_with_a_wrong_expectation_shape_is_refused(tmp_path: Path, text: str, error: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(f"- name: x\n  strike: {json.dumps(M270)}\n  {text}\n")
    with pytest.raises(ScenarioError, match=error):
        load_scenarios(path)


def test_a_scenario_naming_an_unknown_option_fails_with_the_option(rules: Path, tmp_path: Path) -> None:
    path = tmp_path / "scenarios.yaml"
    path.write_text(f"- name: x\n  strike: {json.dumps(M270)}\n  readings: {{gb.start-date: sooner}}\n"
                    "  expect: {decision: allowed}\n")
    with pytest.raises(ScenarioError, match=r"gb\.start-date: unknown option 'sooner'"):
        run_scenarios(Engine.load(rules, backend="compiled"), load_scenarios(path))


def test_evaluate_all_readings_counts_them_at_the_command_line(rules: Path) -> None:
    r = cli("evaluate", "--rules", rules, "--all-readings", "--strike", json.dumps(SHADOW))
    assert r.code == 0, r.err
    assert r.out.splitlines()[0].startswith("prohibited under 4 of 6 readings, allowed under 2")
    data = json.loads(cli("evaluate", "--rules", rules, "--all-readings", "--format", "json",
                          "--strike", json.dumps(SHADOW)).out)
    assert data["summary"] == "prohibited under 4 of 6 readings, allowed under 2"
    assert data["counts"] == {"prohibited": 4, "allowed": 2} and len(data["outcomes"]) == 6
    assert_bad_input(cli("evaluate", "--rules", rules, "--all-readings", "--partial", "--strike", "{}"),
                     "evaluate", "not allowed with argument")
