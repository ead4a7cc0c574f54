"""``engine.when`` / ``policyrules when``: one kind of strike over time, from the timeline."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from policyrules import Decision, Engine, PolicyRulesError

from .helpers import assert_bad_input, cli

COUNTERFIRE = {"weapon": "HIMARS", "target_region": "belgorod", "target_type": "artillery", "self_defense": True,
               "defended_region": "kharkiv", "range_km": 30}
ATACMS_KURSK = {"weapon": "ATACMS", "target_region": "kursk", "target_category": "military"}


def test_since_when_atacms_on_military_targets_in_kursk(compiled_engine: Engine) -> None:
    report = compiled_engine.when(**ATACMS_KURSK)
    assert [c.date for c in report.changes] == [dt.date(2022, 2, 24), dt.date(2024, 11, 17)]
    first, now = report.changes
    assert (first.settled, first.rules) == (Decision.PROHIBITED, ("us-long-range-ban",))
    assert now.settled is None and now.decision_changed
    assert now.conditions == ("allowed by us-kursk-atacms if self-defense",
                              "prohibited by us-long-range-ban if not self-defense")
    (clause,) = now.added
    assert (clause.id, clause.policy, clause.effect) == ("us-kursk-atacms", "us@2024-11-17", Decision.ALLOWED)
    assert clause.source is not None and "Kursk" in clause.source.quote
    assert report.since(Decision.ALLOWED) is None  # allowed only in self-defense
    assert report.to_text().startswith("now (to the pack's review, 2024-11-20), since 2024-11-17: allowed or "
                                       "prohibited, depending on self_defense\n")


def test_a_change_of_clause_alone_is_listed_as_such(compiled_engine: Engine) -> None:
    report = compiled_engine.when(COUNTERFIRE)
    assert [(c.date.isoformat(), c.rules, c.decision_changed) for c in report.changes] == [
        ("2022-02-24", ("us-no-strikes-in-russia",), True),
        ("2024-05-30", ("us-kharkiv-counterfire",), True),
        ("2024-06-20", ("us-border-counterfire",), False)]
    assert report.changes[-1].removed == ("us-kharkiv-counterfire",)
    assert report.since(Decision.ALLOWED) == dt.date(2024, 5, 30)
    assert "2024-06-20  allowed by us-border-counterfire  (same answer, another clause)" in report.to_text()


@pytest.mark.parametrize("strike", [COUNTERFIRE, {**ATACMS_KURSK, "target_type": "troops", "self_defense": True,
                                                  "range_km": 250},
                                    {"weapon": "Storm Shadow", "target_region": "kursk", "target_type": "troops",
                                     "range_km": 200}])
def test_every_day_gets_the_answer_of_the_last_change_before_it(compiled_engine: Engine,
                                                                strike: dict[str, object]) -> None:
    report = compiled_engine.when(strike)
    day = report.changes[0].date - dt.timedelta(days=3)
    with pytest.raises(PolicyRulesError):  # before the first version: no answer
        compiled_engine.evaluate({**strike, "date": day.isoformat()})
    day = report.changes[0].date
    while day <= dt.date(2025, 3, 1):
        v = compiled_engine.evaluate({**strike, "date": day.isoformat()})
        change = [c for c in report.changes if c.date <= day][-1]
        assert (v.decision, (v.rule.id,)) == (change.settled, change.rules), day
        day += dt.timedelta(days=5)


def test_the_policies_a_supplier_left_out_could_pick(compiled_engine: Engine) -> None:
    report = compiled_engine.when(target_region="kursk", target_type="troops")
    gb = [c for c in report.changes if any(x.id == "gb-military-targets-anywhere" for x in c.added)]
    assert [c.date for c in gb] == [dt.date(2024, 5, 2)]
    assert "allowed by gb-military-targets-anywhere under gb@2024-05-02" in gb[0].conditions
    assert "supplier" in gb[0].answer


def test_when_refuses_a_date(compiled_engine: Engine) -> None:
    with pytest.raises(PolicyRulesError, match="leave the date out"):
        compiled_engine.when(COUNTERFIRE, date="2024-06-01")


def test_when_on_the_command_line() -> None:
    r = cli("when", "weapon=ATACMS", "target_region=kursk", "target_category=military")
    assert r.code == 0, r.err
    assert "  2024-11-17  allowed or prohibited, depending on self_defense" in r.out
    assert "+ us-kursk-atacms (us@2024-11-17)" in r.out
    j = json.loads(cli("when", "--format", "json", "--strike", json.dumps(COUNTERFIRE)).out)
    assert [c["date"] for c in j["changes"]] == ["2022-02-24", "2024-05-30", "2024-06-20"]
    typed = json.loads(cli("when", "--format", "json", *(f"{k}={json.dumps(v) if not isinstance(v, str) else v}"
                                                          for k, v in COUNTERFIRE.items())).out)
    assert typed == j
    assert_bad_input(cli("when", "weapon=ATACMS", "date=2024-01-01"), "when", "leave the date out")
    assert_bad_input(cli("when"), "when", "give the strike's known fields")
    assert_bad_input(cli("when", "weapon=ATACMS", "weapon=HIMARS"), "when", "weapon: given twice")
    assert_bad_input(cli("when", "target_region=kurks"), "when", "unknown region 'kurks'")
