"""The bundled pack's contested points: every option of every point, on both backends; the verdict's
listed alternatives; the corrected record and catalog; graded sources; the seed reports in sources/."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from policyrules import Decision, Engine, StrikeError
from policyrules.analysis.check import Severity, check, normalise
from policyrules.packs.loader import bundled_sources_dir
from policyrules.packs.resolved import ResolvedPack
from policyrules.packs.rulesets import Problems
from policyrules.scenarios import load_scenarios

from .helpers import EXAMPLES, ROOT, cli

A, P = Decision.ALLOWED, Decision.PROHIBITED

COUNTERFIRE = {"weapon": "HIMARS", "target_region": "belgorod", "self_defense": True, "defended_region": "kharkiv",
               "range_km": 40, "date": "2024-06-05"}
PATRIOT = {"weapon": "Patriot", "supplier": "US", "target_region": "belgorod", "target_type": "aircraft",
           "range_km": 100, "date": "2024-06-15"}
GLSDB = {"weapon": "GLSDB", "target_region": "belgorod", "target_type": "logistics", "range_km": 120, "depth_km": 50,
         "date": "2024-07-01"}
SUMY = {**COUNTERFIRE, "target_region": "kursk", "defended_region": "sumy", "target_type": "troops"}
DEEP = {**COUNTERFIRE, "target_type": "troops", "range_km": 60, "depth_km": 45}
VORONEZH = {"weapon": "M777", "supplier": "US", "target_region": "voronezh", "target_type": "troops",
            "self_defense": True, "defended_region": "kharkiv", "range_km": 35, "date": "2024-08-01"}
KARACHEV = {"weapon": "ATACMS", "target_region": "bryansk", "target_type": "logistics", "self_defense": True,
            "range_km": 150, "depth_km": 110, "date": "2024-11-19"}
SHADOW = {"weapon": "Storm Shadow", "target_region": "kursk", "target_type": "airfield", "range_km": 200,
          "date": "2024-07-15"}
M270 = {"weapon": "M270", "supplier": "GB", "target_region": "belgorod", "target_type": "artillery", "range_km": 50,
        "date": "2024-07-15"}
SCALP = {"weapon": "SCALP-EG", "target_region": "belgorod", "target_type": "airfield", "range_km": 150,
         "date": "2024-06-10"}
CAESAR = {"weapon": "CAESAR", "supplier": "FR", "target_region": "belgorod", "target_type": "artillery",
          "self_defense": True, "defended_region": "kharkiv", "range_km": 30, "date": "2024-05-29"}
PZH = {"weapon": "PzH 2000", "supplier": "DE", "target_region": "belgorod", "target_type": "artillery",
       "self_defense": True, "defended_region": "kharkiv", "range_km": 30, "date": "2024-05-30"}
MARS = {"weapon": "MARS II", "target_region": "kursk", "target_type": "logistics", "range_km": 70, "date": "2024-07-01"}
DK_F16 = {"weapon": "F-16", "supplier": "DK", "target_region": "kursk", "target_type": "airfield", "range_km": 200,
          "date": "2024-03-01"}

# (point, option, strike, decision, deciding rule): every option of every point, each against a strike
# on which it gives its own answer.
CASES: list[tuple[str, str, dict[str, Any], Decision, str]] = [
    ("us.air-defense-over-russia", "allowed-never-restricted", PATRIOT, A, "us-air-defense-over-russia"),
    ("us.air-defense-over-russia", "prohibited", PATRIOT, P, "us-long-range-ban"),
    ("us.long-range", "launcher-range", GLSDB, P, "us-long-range-ban"),
    ("us.long-range", "target-depth", GLSDB, P, "us-no-strikes-in-russia"),
    ("us.long-range", "target-depth", {**GLSDB, "depth_km": 100}, P, "us-long-range-ban"),
    ("us.counterfire-targets", "both-seeds", {**COUNTERFIRE, "target_type": "airfield"}, P,
     "us-counterfire-target-limit"),
    ("us.counterfire-targets", "both-seeds", {**COUNTERFIRE, "target_type": "troops"}, A, "us-kharkiv-counterfire"),
    ("us.counterfire-targets", "both-seeds", {**COUNTERFIRE, "target_type": "command_center"}, A,
     "us-kharkiv-counterfire"),
    ("us.counterfire-targets", "seed-000", {**COUNTERFIRE, "target_type": "troops"}, A, "us-kharkiv-counterfire"),
    ("us.counterfire-targets", "seed-000", {**COUNTERFIRE, "target_type": "command_center"}, P,
     "us-counterfire-target-limit"),
    ("us.counterfire-targets", "seed-004", {**COUNTERFIRE, "target_type": "command_center"}, A,
     "us-kharkiv-counterfire"),
    ("us.counterfire-targets", "seed-004", {**COUNTERFIRE, "target_type": "troops"}, P,
     "us-counterfire-target-limit"),
    ("us.counterfire-targets", "any-military", {**COUNTERFIRE, "target_type": "airfield"}, A,
     "us-kharkiv-counterfire"),
    ("us.counterfire-targets", "any-military", {**VORONEZH, "target_type": "logistics"}, A, "us-border-counterfire"),
    ("us.sumy-start", "from-2024-06-20", SUMY, P, "us-no-strikes-in-russia"),
    ("us.sumy-start", "from-2024-05-30", SUMY, A, "us-kharkiv-counterfire"),
    ("us.counterfire-depth", "no-depth-limit", DEEP, A, "us-kharkiv-counterfire"),
    ("us.counterfire-depth", "just-across-border", DEEP, P, "us-counterfire-depth-limit"),
    ("us.counterfire-depth", "just-across-border", {**DEEP, "depth_km": 20}, A, "us-kharkiv-counterfire"),
    ("us.counterfire-pairing", "any-border-region", VORONEZH, A, "us-border-counterfire"),
    ("us.counterfire-pairing", "directly-across", VORONEZH, P, "us-counterfire-not-across"),
    ("us.counterfire-pairing", "directly-across", {**VORONEZH, "defended_region": "luhansk"}, A,
     "us-border-counterfire"),
    ("us.atacms-date", "first-report-2024-11-17", {**KARACHEV, "target_region": "kursk", "date": "2024-11-15"}, P,
     "us-long-range-ban"),
    ("us.atacms-date", "kyiv-told-2024-11-14", {**KARACHEV, "target_region": "kursk", "date": "2024-11-15"}, A,
     "us-kursk-atacms"),
    ("us.atacms-scope", "kursk-only", KARACHEV, P, "us-long-range-ban"),
    ("us.atacms-scope", "beyond-kursk", KARACHEV, A, "us-kursk-atacms"),
    ("gb.strikes-in-russia", "seed-anywhere", SHADOW, A, "gb-military-targets-anywhere"),
    ("gb.strikes-in-russia", "downing-street", SHADOW, P, "gb-storm-shadow-barred-in-russia"),
    ("gb.strikes-in-russia", "downing-street", M270, A, "gb-military-targets-anywhere"),
    ("gb.strikes-in-russia", "barred-until-2024-11-20", M270, P, "gb-no-strikes-in-russia"),
    ("gb.strikes-in-russia", "barred-until-2024-11-20", {**SHADOW, "date": "2024-11-20"}, A,
     "gb-military-targets-anywhere"),
    ("fr.targets-in-russia", "seed-military-targets", SCALP, A, "fr-military-targets-in-russia"),
    ("fr.targets-in-russia", "seed-military-targets", CAESAR, P, "fr-no-strikes-in-russia"),
    ("fr.targets-in-russia", "macron-attack-sites", SCALP, P, "default"),
    ("fr.targets-in-russia", "macron-attack-sites", CAESAR, A, "fr-military-targets-in-russia"),
    ("de.start-date", "hebestreit-2024-05-31", PZH, P, "de-no-strikes-in-russia"),
    ("de.start-date", "hebestreit-2024-05-31", {**PZH, "date": "2024-05-31"}, A, "de-military-targets-in-russia"),
    ("de.start-date", "seed-2024-05-30", PZH, A, "de-military-targets-in-russia"),
    ("de.scope", "seed-military-targets", MARS, A, "de-military-targets-in-russia"),
    ("de.scope", "kharkiv-border-area", MARS, P, "default"),
    ("de.scope", "kharkiv-border-area", {**PZH, "date": "2024-06-01"}, A, "de-military-targets-in-russia"),
    ("dk.start", "frederiksen-2024-05-28", DK_F16, P, "dk-no-strikes-in-russia"),
    ("dk.start", "not-a-new-position", DK_F16, A, "dk-military-targets-in-russia"),
]


def case_id(case: tuple[str, str, dict[str, Any], Decision, str]) -> str:
    return f"{case[0]}={case[1]}:{case[2].get('weapon')}:{case[2].get('target_type')}"


@pytest.fixture(scope="module", params=["durable", "compiled"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def pack_engine(backend: str) -> Engine:
    return Engine.load(backend=backend)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_every_option_of_every_point_on_both_backends(pack_engine: Engine,
                                                      case: tuple[str, str, dict[str, Any], Decision, str]) -> None:
    point, option, strike, decision, rule = case
    v = pack_engine.with_readings({point: option}).evaluate(strike)
    assert (v.decision, v.rule.id) == (decision, rule)
    assert pack_engine.reading[point] == pack_engine.readings.points[point].default  # the bundled one is untouched


def test_every_option_of_every_point_has_a_case(compiled_engine: Engine) -> None:
    declared = {(p.id, o) for p in compiled_engine.readings for o in p.option_ids}
    assert declared == {(c[0], c[1]) for c in CASES}
    assert len(compiled_engine.readings) >= 13


def test_load_takes_readings_on_both_backends(backend: str) -> None:
    e = Engine.load(backend=backend, readings={"gb.strikes-in-russia": "downing-street",
                                              "us.atacms-scope": "beyond-kursk"})
    assert (e.evaluate(SHADOW).decision, e.evaluate(KARACHEV).decision) == (P, A)
    assert e.evaluate(SHADOW).reading == {"gb.strikes-in-russia": "downing-street", "us.atacms-scope": "beyond-kursk"}


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_a_verdict_lists_exactly_the_options_that_change_it(compiled_engine: Engine,
                                                          case: tuple[str, str, dict[str, Any], Decision, str]) -> None:
    strike = case[2]
    v = compiled_engine.evaluate(strike)
    listed = {(c.point, a.option): (a.decision, a.rule) for c in v.contested for a in c.alternatives}
    for point in compiled_engine.readings:
        for option in point.option_ids:
            if option == compiled_engine.reading[point.id]:
                continue
            w = compiled_engine.with_readings({point.id: option}).evaluate(strike)
            if (w.decision, w.rule.id) == (v.decision, v.rule.id):
                assert (point.id, option) not in listed
            else:
                assert listed[(point.id, option)] == (w.decision, w.rule.id)
    assert ((case[0], case[1]) in listed) == (case[1] != compiled_engine.reading[case[0]]
                                             and (case[3], case[4]) != (v.decision, v.rule.id))


def test_the_dispute_is_shown_in_explain_and_json(compiled_engine: Engine) -> None:
    v = compiled_engine.evaluate(SHADOW)
    text = v.explain()
    assert "contested: gb.strikes-in-russia" in text
    assert "under downing-street: prohibited by gb-storm-shadow-barred-in-russia" in text
    dumped = v.model_dump(mode="json")
    assert {c["point"] for c in dumped["contested"]} == {"gb.strikes-in-russia"}
    settled = compiled_engine.evaluate({"weapon": "Bohdana", "target_region": "belgorod", "target_type": "artillery",
                                        "range_km": 30})
    assert "contested: no contested point changes this verdict" in settled.explain()


def test_across_readings_counts_every_combination(compiled_engine: Engine) -> None:
    report = compiled_engine.across_readings(SHADOW)
    assert report.points == ("gb.strikes-in-russia",)
    assert report.summary() == "prohibited under 2 of 3 readings, allowed under 1"


# The corrected record ---------------------------------------------------------------------


def test_germany_is_dated_from_the_governments_announcement(compiled_engine: Engine) -> None:
    de = compiled_engine.pack.policies["de"]
    assert de.at(dt.date(2024, 5, 30)).version == "baseline"  # type: ignore[union-attr]
    assert de.at(dt.date(2024, 5, 31)).version == "2024-05-30"  # type: ignore[union-attr]


def test_storm_shadow_is_cleared_inside_russia_from_its_first_confirmed_use(compiled_engine: Engine) -> None:
    gb = compiled_engine.pack.policies["gb"]
    assert gb.at(dt.date(2024, 11, 20)).version == "2024-11-20"  # type: ignore[union-attr]
    for option in ("seed-anywhere", "downing-street", "barred-until-2024-11-20"):
        e = compiled_engine.with_readings({"gb.strikes-in-russia": option})
        v = e.evaluate({**SHADOW, "date": "2024-11-21"})
        assert (v.decision, v.rule.id, v.policy.ref) == (A, "gb-military-targets-anywhere", "gb@2024-11-20")


def test_denmark_the_netherlands_and_belgium_have_their_own_policies(pack_engine: Engine) -> None:
    def judge(supplier: str, region: str, day: str) -> tuple[Decision, str]:
        v = pack_engine.evaluate({"weapon": "F-16", "supplier": supplier, "target_region": region,
                                  "target_type": "airfield", "range_km": 150, "date": day})
        return v.decision, v.rule.id

    assert judge("DK", "belgorod", "2024-06-01") == (A, "dk-military-targets-in-russia")
    assert judge("NL", "belgorod", "2024-06-02") == (P, "nl-no-strikes-in-russia")
    assert judge("NL", "belgorod", "2024-06-03") == (A, "nl-military-targets-in-russia")
    assert judge("BE", "belgorod", "2024-09-01") == (P, "be-no-strikes-in-russia")
    assert judge("BE", "kharkiv", "2024-09-01") == (A, "be-inside-ukraine")
    assert judge("NO", "belgorod", "2024-09-01") == (P, "default-inside-russia")


@pytest.mark.parametrize(("weapon", "suppliers"), [
    ("M777", ("US", "CA", "AU")), ("CAESAR", ("FR", "DK")), ("PzH 2000", ("DE", "NL", "IT")),
    ("M270", ("GB", "IT")), ("Patriot", ("US", "DE", "NL", "RO")), ("F-16", ("BE", "DK", "NL", "NO")),
])
def test_the_catalog_lists_every_supplier_each_on_record(compiled_engine: Engine, weapon: str,
                                                        suppliers: tuple[str, ...]) -> None:
    w = compiled_engine.pack.catalog.weapon(weapon)
    assert w is not None and w.suppliers == suppliers
    assert set(w.supplier_sources) >= set(suppliers[1:])  # each supplier beyond the first is on record
    with pytest.raises(StrikeError, match=f"{weapon} is supplied by {', '.join(suppliers)}: name the supplier"):
        compiled_engine.evaluate({"weapon": weapon, "target_region": "kharkiv", "target_type": "troops",
                                  "range_km": 10})


def test_a_supplier_without_a_policy_falls_to_the_default_policy(pack_engine: Engine) -> None:
    v = pack_engine.evaluate({"weapon": "M777", "supplier": "CA", "target_region": "belgorod",
                              "target_type": "artillery", "self_defense": True, "defended_region": "kharkiv",
                              "range_km": 20, "date": "2024-06-05"})
    assert (v.decision, v.rule.id, v.policy.id) == (P, "default-inside-russia", "default")


def test_reaches_are_sourced_not_fitted(compiled_engine: Engine) -> None:
    catalog = compiled_engine.pack.catalog
    for wid in ("himars", "m270", "atacms", "m777", "pzh2000", "caesar", "storm_shadow", "glsdb", "patriot"):
        w = catalog.weapon_by_id(wid)
        assert w.source is not None and w.source.grade is not None, wid
    assert "range of 80km" in catalog.weapon_by_id("himars").source.quote  # type: ignore[union-attr]


# Sources: graded, not from aggregators, seed quotes found in sources/ ------------------------


def _sources(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        if "quote" in node and ("url" in node or "document" in node):
            yield node
        for v in node.values():
            yield from _sources(v)
    elif isinstance(node, list):
        for v in node:
            yield from _sources(v)


def _rule_files() -> list[Path]:
    return sorted((ROOT / "rules").rglob("*.yaml"))


ALL_SOURCES = [(p.relative_to(ROOT).as_posix(), s) for p in _rule_files() for s in _sources(yaml.safe_load(p.read_text()))]
AGGREGATORS = ("like123.com", "eir.news", "pledgetimes.com", "defencenews.online", "mariustuca.ro", "insiderpaper.com",
               "spotlightnepal.com", "turan.az")


def test_every_source_in_the_pack_carries_a_grade() -> None:
    assert len(ALL_SOURCES) > 100
    grades = {"official-on-record", "official-anonymous", "news-report", "secondary", "interpretation"}
    ungraded = [(f, s.get("url") or s.get("document")) for f, s in ALL_SOURCES if s.get("grade") not in grades]
    assert ungraded == []


def test_no_aggregator_is_cited() -> None:
    texts = "\n".join(p.read_text() for p in _rule_files())
    assert [a for a in AGGREGATORS if a in texts] == []
    assert "liga.net/en/politics/news/biden" not in texts  # liga.net relaying Axios


def test_every_seed_citation_is_found_verbatim_in_sources() -> None:
    docs = bundled_sources_dir()
    assert docs == ROOT / "sources"
    cited = [(f, s) for f, s in ALL_SOURCES if "document" in s]
    assert len(cited) > 20
    for f, s in cited:
        text = normalise((docs / s["document"]).read_text(encoding="utf-8"))
        assert normalise(s["quote"]) in text, (f, s["quote"])


def test_the_seed_reports_ship_as_the_rules_name_them() -> None:
    names = {s["document"] for _, s in ALL_SOURCES if "document" in s}
    assert names == {p.name for p in (ROOT / "sources").glob("*.txt")}
    for name in names:
        assert (ROOT / "sources" / name).read_bytes() == (ROOT.parent / "shared" / "seeds" / name).read_bytes() \
            if (ROOT.parent / "shared" / "seeds" / name).exists() else True


def test_check_sources_without_a_path_uses_the_bundled_reports() -> None:
    r = cli("check", "--sources")
    assert r.code == 0, r.out
    assert "quote-not-found" not in r.out and "document-not-found" not in r.out
    assert "0 errors, 0 warnings" in r.out.splitlines()[-1]


def test_the_rules_quotes_that_did_not_support_them_are_gone() -> None:
    for policy in ("fr", "de"):
        text = (ROOT / "rules" / policy / "baseline.yaml").read_text()
        assert "moves by European allies" not in text
    assert "American weapons" not in (ROOT / "rules" / "default" / "v1.yaml").read_text()


# check is clean under the default reading and each single-option change -----------------


def _single_changes(engine: Engine) -> list[dict[str, str]]:
    return [{p.id: o} for p in engine.readings for o in p.option_ids if o != p.default]


def test_check_is_clean_under_every_single_option_change(compiled_engine: Engine) -> None:
    """Each reading checked on the policies it touches (the others do not change with it)."""
    assert compiled_engine.check().ok
    for choice in _single_changes(compiled_engine):
        (point,) = choice
        e = compiled_engine.with_readings(choice)
        policy = e.readings.points[point].policy
        pack = e.pack
        sub = dataclasses.replace(pack, policies={k: v for k, v in pack.policies.items() if k in (policy, "common")},
                                  _rulesets={})
        report = check(ResolvedPack(sub))
        problems = [str(f) for f in report.findings if f.severity is not Severity.INFO]
        assert problems == [], choice


def test_the_contested_scenarios_cover_every_option() -> None:
    cases = load_scenarios(EXAMPLES / "scenarios-contested.yaml")
    pinned = {(k, v) for c in cases for k, v in c.readings.items()}
    e = Engine.load(backend="compiled")
    assert {(p.id, o) for p in e.readings for o in p.option_ids} <= pinned


def test_composition_reused_across_readings_equals_a_fresh_one() -> None:
    """Files, versions and rule-set problems composed once and reused across readings give the same
    packs as a source that composes each reading cold: under every combination of the US points."""
    from policyrules.packs.loader import read_pack

    warm = read_pack()
    us = warm.points_of("us")
    readings = list(warm.readings.combinations(us, warm.readings.defaults))
    assert len(readings) > 50
    for reading in readings:
        warm.compose(reading, Problems(), policies={"us", "common"})
    for reading in readings[:: max(1, len(readings) // 40)]:
        again = warm.compose(reading, Problems(), policies={"us", "common"})
        cold = read_pack().compose(reading, Problems(), policies={"us", "common"})
        assert again.policies == cold.policies, reading
