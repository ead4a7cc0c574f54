"""Verdict notes on what was assumed: a defended region without self-defense, a date past the pack's
review, a decision by the policy default, the fields filled in; worked out only when read."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from policyrules import Engine, Verdict
from policyrules.analysis.check import REVIEW_MAX_AGE_DAYS, check
from policyrules.deciding.notes import Assumptions

from .helpers import cli

STORM_SHADOW = {"weapon": "Storm Shadow", "target_region": "kursk", "target_type": "energy_infrastructure",
                "range_km": 100, "date": "2024-08-01"}
HIMARS = {"weapon": "HIMARS", "target_region": "belgorod", "target_type": "artillery", "range_km": 30,
          "date": "2024-06-01"}


def assumed(v: Verdict) -> tuple[str, ...]:
    return v.notes[len(v._parts.notes):]


@pytest.fixture(params=["compiled", "durable"])
def engine(request: pytest.FixtureRequest, compiled_engine: Engine, durable_engine: Engine) -> Engine:
    return compiled_engine if request.param == "compiled" else durable_engine


def test_a_defended_region_without_self_defense_is_stated(engine: Engine) -> None:
    v = engine.evaluate({**HIMARS, "defended_region": "kharkiv"})
    assert ("defended_region kharkiv is given without self_defense: the strike is judged as not in self-defense, "
            "and the defended region is not used") in v.notes
    with_it = engine.evaluate({**HIMARS, "defended_region": "kharkiv", "self_defense": True})
    assert not any("without self_defense" in n for n in with_it.notes)


def test_a_date_past_the_review_says_what_the_pack_covers(engine: Engine) -> None:
    reviewed = engine.pack.catalog.reviewed
    assert reviewed == dt.date(2024, 11, 20)
    later = engine.evaluate({**HIMARS, "date": "2025-02-01"})
    (note,) = [n for n in later.notes if "review" in n]
    assert note == ("2025-02-01 is after the pack's last review (2024-11-20): it covers the policies of be, de, dk, "
                    "fr, gb, nl, ua, us and the default policy from 2022-02-24 to 2024-11-20, and a later change is not in it")
    assert not any("review" in n for n in engine.evaluate({**HIMARS, "date": "2024-11-20"}).notes)
    assert not any("review" in n for n in engine.evaluate({k: v for k, v in HIMARS.items() if k != "date"}).notes)


def test_a_decision_by_the_policy_default_names_the_policy_and_the_strike(engine: Engine) -> None:
    v = engine.evaluate(STORM_SHADOW)
    assert v.rule.id == "default"
    assert ("no rule of the gb policy (gb@2024-05-02) covers this strike (Storm Shadow on energy_infrastructure, "
            "a dual-use target in Russia); the default is prohibited") in v.notes
    assert not any(n.startswith("no rule of") for n in engine.evaluate({**STORM_SHADOW, "target_type": "troops"}).notes)


def test_the_fields_filled_in_are_stated(engine: Engine) -> None:
    v = engine.evaluate(STORM_SHADOW)
    assert assumed(v)[-1] == ("filled in: weapon_class cruise_missile and supplier GB from Storm Shadow (its only "
                              "supplier); target_country RU from Kursk Oblast; target_category dual_use from "
                              "energy_infrastructure; self_defense not given: false")
    assert "self_defense not given" not in assumed(engine.evaluate({**STORM_SHADOW, "self_defense": False}))[-1]
    several = engine.evaluate({"weapon": "Patriot", "supplier": "DE", "target_region": "kharkiv",
                               "target_type": "aircraft", "range_km": 50, "date": "2024-08-01"})
    assert assumed(several)[-1].startswith("filled in: weapon_class air_defense from Patriot; target_country UA")
    undated = engine.evaluate({k: v for k, v in HIMARS.items() if k != "date"})
    assert assumed(undated)[-1].endswith("; no date: the latest version, us@2024-11-17")


def test_notes_are_in_the_json_explain_and_survive_a_round_trip(compiled_engine: Engine) -> None:
    v = compiled_engine.evaluate({**STORM_SHADOW, "defended_region": "sumy", "date": "2025-03-01"})
    data = v.model_dump(mode="json")
    assert tuple(data["notes"]) == v.notes and len(assumed(v)) == 4
    back = Verdict.model_validate(data)
    assert back == v and back.notes == v.notes
    assert Verdict.model_validate_json(json.dumps(data)) == v
    text = v.explain()
    assert text.count("\n  assumed: ") == 4
    assert "  assumed: no rule of the gb policy (gb@2024-11-20) covers this strike (Storm Shadow" in text
    out = cli("evaluate", "--strict", "--format", "json", "--strike",
              json.dumps({**STORM_SHADOW, "defended_region": "sumy"})).out
    assert any("without self_defense" in n for n in json.loads(out)["notes"])


def test_notes_are_worked_out_only_when_read(compiled_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = Assumptions.__call__

    def counting(self: Assumptions, *args: object) -> tuple[str, ...]:
        calls.append(1)
        return real(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(Assumptions, "__call__", counting)
    verdicts = [compiled_engine.evaluate({**HIMARS, "range_km": float(r)}) for r in range(1, 60)]
    verdicts += compiled_engine.evaluate_many([STORM_SHADOW] * 50)
    assert calls == []
    assert verdicts[0].notes
    assert calls == [1]


def test_check_warns_when_the_review_is_stale(compiled_engine: Engine) -> None:
    reviewed = compiled_engine.pack.catalog.reviewed
    assert reviewed is not None
    old = check(compiled_engine.resolved, today=reviewed + dt.timedelta(days=REVIEW_MAX_AGE_DAYS + 1))
    (f,) = [f for f in old.findings if f.code == "stale-review"]
    assert f.field == "reviewed" and f.file is not None and f.file.endswith("catalog.yaml")
    assert "last reviewed on 2024-11-20" in f.message
    fresh = check(compiled_engine.resolved, today=reviewed + dt.timedelta(days=REVIEW_MAX_AGE_DAYS))
    assert "stale-review" not in fresh.codes()
