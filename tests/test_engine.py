"""The engine: versions by date, parameters, evaluate_many, verdict contents, isolation."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest

from policyrules import (
    Decision,
    Engine,
    ParameterError,
    PolicyRefError,
    PolicyRulesError,
    ProposedStrike,
    StrikeError,
    Verdict,
)

STRIKE: dict[str, Any] = {"weapon": "HIMARS", "target_region": "belgorod", "target_type": "artillery",
                          "self_defense": True, "defended_region": "kharkiv", "range_km": 30}


@pytest.mark.parametrize(("day", "version"), [
    ("2022-02-24", "baseline"), ("2024-05-29", "baseline"), ("2024-05-30", "2024-05-30"),
    ("2024-06-19", "2024-05-30"), ("2024-06-20", "2024-06-20"), ("2024-11-16", "2024-06-20"),
    ("2024-11-17", "2024-11-17"), ("2030-01-01", "2024-11-17"),
])
def test_the_version_in_force_is_the_latest_effective_from_not_after_the_date(
        engine: Engine, day: str, version: str) -> None:
    assert engine.evaluate({**STRIKE, "date": day}).policy.version == version


def test_no_date_means_the_latest_version(engine: Engine) -> None:
    assert engine.evaluate(STRIKE).policy.version == engine.pack.policies["us"].versions[-1].version


def test_a_date_before_the_first_version_is_an_error(engine: Engine) -> None:
    with pytest.raises(PolicyRefError, match=r"2021-01-01 is before the first version of policy us \(baseline, "
                                             r"from 2022-02-24\)"):
        engine.evaluate({**STRIKE, "date": "2021-01-01"})


def test_the_verdict_names_rule_source_policy_and_what_lost(engine: Engine) -> None:
    v = engine.evaluate({**STRIKE, "date": "2024-06-01"})
    assert v.decision is Decision.ALLOWED and v.allowed
    assert v.rule.id == "us-kharkiv-counterfire" and v.rule.effect is Decision.ALLOWED
    assert v.rule.source is not None and v.rule.source.document == "000_018b07ea078c3e2c.txt"
    assert (v.policy.id, v.policy.version, v.policy.effective_from.isoformat()) == ("us", "2024-05-30", "2024-05-30")
    assert v.matched == ("us-no-strikes-in-russia", "us-kharkiv-counterfire")
    assert v.overridden == ("us-no-strikes-in-russia",)
    assert v.conflict == ()
    assert v.backend == engine.backend and len(v.pack_digest) == 64


def test_explain_is_readable_text_with_the_deciding_rule_and_its_source(engine: Engine) -> None:
    text = engine.evaluate({**STRIKE, "date": "2024-06-01"}).explain()
    lines = text.splitlines()
    assert lines[0].startswith("ALLOWED: HIMARS (US) on artillery in belgorod (RU), 30 km, self-defense of kharkiv")
    assert "us@2024-05-30" in text and "rule:    us-kharkiv-counterfire" in text
    assert 'source:  000_018b07ea078c3e2c.txt: "artillery and rocket launchers' in text
    assert "overridden: us-no-strikes-in-russia" in text


def test_a_default_verdict_names_the_rule_default(engine: Engine) -> None:
    v = engine.evaluate({"weapon": "SCALP-EG", "target_region": "moscow", "target_type": "energy_infrastructure",
                         "range_km": 200, "date": "2024-06-01"})
    assert (v.decision, v.rule.id, v.matched) == (Decision.PROHIBITED, "default", ())
    assert "no rule matched" in v.explain()


def test_verdicts_round_trip_through_json(engine: Engine) -> None:
    v = engine.evaluate({**STRIKE, "date": "2024-06-01"})
    data = json.loads(json.dumps(v.model_dump(mode="json")))
    assert data["decision"] == "allowed" and data["allowed"] is True
    assert data["strike"]["target_country"] == "RU"
    again = Verdict.model_validate(data)
    assert again.model_dump(mode="json") == v.model_dump(mode="json")


def test_evaluate_takes_a_strike_or_a_dict_alike(engine: Engine) -> None:
    s = ProposedStrike(**STRIKE, date="2024-06-01")
    assert engine.evaluate(s).model_dump() == engine.evaluate({**STRIKE, "date": "2024-06-01"}).model_dump()


def test_evaluate_many_keeps_order_and_names_the_bad_index(engine: Engine) -> None:
    days = ["2024-05-29", "2024-05-30", "2024-05-29"]
    got = [v.decision.value for v in engine.evaluate_many({**STRIKE, "date": d} for d in days)]
    assert got == ["prohibited", "allowed", "prohibited"]
    with pytest.raises(StrikeError, match=r"^strike #1: invalid strike: range_km"):
        engine.evaluate_many([STRIKE, {**STRIKE, "range_km": -1}])
    # past the first chunks: a list is read in one call, an iterator in chunks; both count from 0
    many = [STRIKE] * 3000 + [{**STRIKE, "range_km": -1}]
    for given in (list, iter, tuple):
        for progress in (None, [].append):
            with pytest.raises(StrikeError, match=r"^strike #3000: invalid strike: range_km"):
                engine.evaluate_many(given(many), progress=progress)


def test_with_parameters_returns_a_new_engine_and_leaves_the_old_one(engine: Engine) -> None:
    strike = {**STRIKE, "range_km": 60, "date": "2024-06-01"}
    tight = engine.with_parameters({"us.long_range_km": 50})
    assert tight is not engine and tight.backend == engine.backend
    assert tight.evaluate(strike).rule.id == "us-long-range-ban"
    assert engine.evaluate(strike).rule.id == "us-kharkiv-counterfire"
    assert engine.parameters["us.long_range_km"] == 80 and tight.parameters["us.long_range_km"] == 50


@pytest.mark.parametrize(("values", "message"), [
    ({"us.long_range": 10}, r"unknown parameter 'us.long_range'; known: us.counterfire_depth_km, us.long_range_km"),
    ({"long_range_km": 10}, r"unknown parameter 'long_range_km'"),
    ({"us.long_range_km": float("nan")}, r"parameter us.long_range_km: expected a finite number, got nan"),
    ({"us.long_range_km": "80"}, r"parameter us.long_range_km: expected a finite number, got '80'"),
])
def test_with_parameters_refuses_unknown_names_and_bad_values(
        engine: Engine, values: dict[str, Any], message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        engine.with_parameters(values)


def test_unknown_backend_is_a_clear_error() -> None:
    with pytest.raises(PolicyRulesError, match=r"unknown backend 'fast'; use one of: durable, compiled"):
        Engine.load(backend="fast")


def test_engines_with_different_parameters_do_not_interfere() -> None:
    """Two durable engines side by side, evaluated interleaved, keep their own rules."""
    loose = Engine.load(backend="durable")
    tight = loose.with_parameters({"us.long_range_km": 10})
    strike = {**STRIKE, "date": "2024-06-01"}
    for _ in range(50):
        assert loose.evaluate(strike).rule.id == "us-kharkiv-counterfire"
        assert tight.evaluate(strike).rule.id == "us-long-range-ban"


def test_one_engine_shared_by_threads_gives_the_serial_verdicts(engine: Engine) -> None:
    strikes = [{**STRIKE, "date": d, "range_km": r} for d in ("2024-05-29", "2024-06-01", "2024-12-01")
               for r in (5, 30, 79)] + [{**STRIKE, "weapon": "ATACMS", "range_km": 200, "date": "2024-06-01"}]
    serial = [(v.decision, v.rule.id) for v in engine.evaluate_many(strikes)]
    results: list[list[tuple[Decision, str]]] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(20):
                results.append([(v.decision, v.rule.id) for v in engine.evaluate_many(strikes)])
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(results) == 80 and all(r == serial for r in results)


def test_evaluate_many_reports_progress(compiled_engine: Engine) -> None:
    seen: list[int] = []
    compiled_engine.evaluate_many([STRIKE] * 2500, progress=seen.append)
    assert seen == [1024, 2048, 2500]
    seen.clear()
    compiled_engine.evaluate_columns({"weapon": ["HIMARS"] * 3, "target_region": ["kharkiv"] * 3,
                                   "target_type": ["troops"] * 3, "range_km": [1, 2, 3]}, progress=seen.append)
    assert seen == [3]
