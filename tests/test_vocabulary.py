"""The vocabulary, asked the way people ask: regions by the names people use, suppliers by country
name, target types by common words (and the verdict saying which type it chose); errors that list
what is known or the closest; ``policyrules catalog`` listing it all."""

from __future__ import annotations

import json

import pytest

from policyrules import Engine, PolicyRulesError, ProposedStrike, StrikeError
from policyrules.atlas.layout import tiles
from policyrules.model.catalog import Catalog
from policyrules.packs.loader import bundled_catalog

from .helpers import cli

UKRAINIAN_OBLASTS = (
    "Cherkasy", "Chernihiv", "Chernivtsi", "Dnipropetrovsk", "Donetsk", "Ivano-Frankivsk", "Kharkiv", "Kherson",
    "Khmelnytskyi", "Kirovohrad", "Kyiv", "Luhansk", "Lviv", "Mykolaiv", "Odesa", "Poltava", "Rivne", "Sumy",
    "Ternopil", "Vinnytsia", "Volyn", "Zakarpattia", "Zaporizhzhia", "Zhytomyr")
RUSSIAN = ("belgorod", "kursk", "bryansk", "voronezh", "rostov", "krasnodar", "oryol", "lipetsk", "tambov",
           "saratov", "moscow_oblast", "moscow")
STRIKE = {"weapon": "HIMARS", "target_region": "belgorod", "target_type": "artillery", "self_defense": True,
          "defended_region": "kharkiv", "range_km": 30, "date": "2024-06-01"}


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return bundled_catalog()


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.load(backend="compiled")


# The gazetteer ----------------------------------------------------------------------------------


def test_every_ukrainian_oblast_crimea_and_sevastopol_are_regions(catalog: Catalog) -> None:
    for name in UKRAINIAN_OBLASTS:
        region = catalog.region(f"{name} Oblast")
        assert region is not None and region.country == "UA", name
    for name in ("Crimea", "Sevastopol", "Kyiv"):
        region = catalog.region(name)
        assert region is not None and region.country == "UA" and region.name == name


def test_the_russian_regions_in_the_reporting_are_regions(catalog: Catalog) -> None:
    for rid in RUSSIAN:
        assert catalog.region_by_id(rid).country == "RU"


def test_every_border_list_has_a_source_and_borders_cross_the_front(catalog: Catalog) -> None:
    bordered = [r for r in catalog.regions if r.borders]
    assert {r.id for r in bordered} == {"chernihiv", "sumy", "kharkiv", "luhansk", "donetsk",
                                        "belgorod", "kursk", "bryansk", "voronezh", "rostov"}
    for r in bordered:
        assert r.borders_source is not None and r.borders_source.url and r.borders_source.quote, r.id
        for b in r.borders:
            assert catalog.region_by_id(b).country != r.country
    assert set(catalog.region_by_id("sumy").borders) == {"bryansk", "kursk", "belgorod"}
    assert set(catalog.region_by_id("luhansk").borders) == {"belgorod", "voronezh", "rostov"}
    assert not catalog.region_by_id("crimea").borders and not catalog.region_by_id("krasnodar").borders


def test_the_tile_map_places_every_region_from_its_table(catalog: Catalog) -> None:
    laid = tiles(catalog.regions)
    assert {t.placed_by for t in laid} == {"table"}
    assert len({(t.col, t.row) for t in laid}) == len(catalog.regions)


# Names people use -------------------------------------------------------------------------------


@pytest.mark.parametrize(("given", "region"), [
    ("Kursk Oblast", "kursk"), ("kursk oblast", "kursk"), ("  Kursk   region ", "kursk"), ("Kharkov", "kharkiv"),
    ("Kharkiv region", "kharkiv"), ("KHARKIV OBLAST", "kharkiv"), ("Sevastopol", "sevastopol"),
    ("Krasnodar Krai", "krasnodar"), ("Kuban", "krasnodar"), ("Moscow", "moscow"), ("Moscow Oblast", "moscow_oblast"),
    ("Moscow region", "moscow_oblast"), ("Kiev", "kyiv"), ("Kyiv region", "kyiv_oblast"), ("Lugansk", "luhansk"),
    ("Odessa", "odesa"), ("Zaporozhye", "zaporizhzhia"), ("Orel", "oryol"), ("ivano_frankivsk", "ivano_frankivsk"),
])
def test_regions_by_display_name_spelling_and_transliteration(catalog: Catalog, given: str, region: str) -> None:
    assert catalog.lookup("region", given) == region


def test_a_strike_names_its_regions_the_way_people_do(engine: Engine) -> None:
    v = engine.evaluate({**STRIKE, "target_region": "Belgorod region", "defended_region": "Kharkov"})
    assert (v.strike.target_region, v.strike.defended_region) == ("belgorod", "kharkiv")
    assert v.decision == engine.evaluate(STRIKE).decision


@pytest.mark.parametrize("look_alike", ["Кursk", "Ｋursk Oblast", "Kursk Оblast"])
def test_a_look_alike_region_names_nothing(catalog: Catalog, look_alike: str) -> None:
    assert catalog.region(look_alike) is None
    message = catalog.unknown("region", look_alike)
    assert "non-ASCII characters" in message


@pytest.mark.parametrize(("given", "code"), [
    ("Netherlands", "NL"), ("the netherlands", "NL"), ("Dutch", "NL"), ("United Kingdom", "GB"), ("UK", "GB"),
    ("uk", "GB"), ("Britain", "GB"), ("United States", "US"), ("USA", "US"), ("nl", "NL"), ("GB", "GB"),
    ("Norway", "NO"), ("ZA", "ZA"),  # any ISO code is a supplier, named by the catalog or not
])
def test_suppliers_by_country_name_or_iso_code(engine: Engine, given: str, code: str) -> None:
    weapon = {"NL": "F-16", "GB": "Storm Shadow", "US": "HIMARS", "NO": "F-16"}.get(code)
    strike = {**STRIKE, "supplier": given, "range_km": 30}
    if weapon is None:
        strike = {k: v for k, v in strike.items() if k != "weapon"} | {"weapon_class": "rocket_artillery"}
    else:
        strike["weapon"] = weapon
    assert engine.evaluate(strike).strike.supplier == code


def test_a_dutch_f16_is_judged_by_the_dutch_policy(engine: Engine) -> None:
    v = engine.evaluate({"weapon": "F-16", "supplier": "Netherlands", "target_region": "Kursk Oblast",
                         "target_type": "airfield", "range_km": 100, "date": "2024-12-01"})
    assert v.strike.supplier == "NL" and v.policy.id == "nl"


@pytest.mark.parametrize("look_alike", ["Nеtherlands", "Ｎetherlands", "İtaly", "ＮＬ", "Unıted Kingdom"])
def test_a_look_alike_country_name_is_refused(engine: Engine, look_alike: str) -> None:
    with pytest.raises(StrikeError) as e:
        engine.evaluate({**STRIKE, "weapon": None, "weapon_class": "rocket_artillery", "supplier": look_alike})
    assert e.value.problems[0].field == "supplier"


def test_an_unknown_country_name_is_refused_with_the_closest(engine: Engine) -> None:
    with pytest.raises(StrikeError, match=r"supplier: unknown supplier 'Nethrlands' \(did you mean 'Netherlands'\?\)"):
        engine.evaluate({**STRIKE, "weapon": "F-16", "supplier": "Nethrlands"})


@pytest.mark.parametrize(("word", "chosen"), [
    ("command post", "command_center"), ("Command Post", "command_center"), ("refinery", "energy_infrastructure"),
    ("S-400", "air_defense"), ("s-400 battery", "air_defense"), ("air defence", "air_defense"),
    ("Command Center", "command_center"), ("COMMAND_CENTER", "command_center"), ("airbase", "airfield"),
])
def test_target_types_by_common_words_and_the_verdict_says_which(engine: Engine, word: str, chosen: str) -> None:
    v = engine.evaluate({**STRIKE, "target_type": word})
    assert v.strike.target_type.value == chosen
    note = f"target_type: {word!r} read as {chosen}"
    assert note in v.notes and f"note:    {note}" in v.explain()
    assert note in v.model_dump(mode="json")["notes"]
    assert engine.evaluate(ProposedStrike(**{**STRIKE, "target_type": word})).notes == v.notes  # Pydantic path too


def test_the_type_itself_needs_no_note(engine: Engine) -> None:
    assert not any(n.startswith("target_type:") for n in engine.evaluate(STRIKE).notes)


def test_a_word_for_no_single_type_is_refused_listing_every_type(engine: Engine) -> None:
    with pytest.raises(StrikeError) as e:
        engine.evaluate({**STRIKE, "target_type": "depot"})  # logistics or energy: the strike must say
    (problem,) = e.value.problems
    assert problem.field == "target_type"
    assert problem.message.startswith("unknown target type 'depot'; known: troops, equipment, artillery")
    assert "civilian" in problem.message


def test_a_misspelt_word_gets_the_closest(engine: Engine) -> None:
    with pytest.raises(StrikeError, match=r"unknown target type 'refinary' \(did you mean 'refinery'\?\)"):
        engine.evaluate({**STRIKE, "target_type": "refinary"})


def test_the_journalists_question_is_answered_as_asked(engine: Engine) -> None:
    v = engine.evaluate({"weapon": "ATACMS", "target_region": "Kursk Oblast", "target_type": "S-400",
                         "self_defense": True, "range_km": 120, "date": "2024-12-01"})
    assert v.allowed and v.rule.id == "us-kursk-atacms"
    assert "target_type: 'S-400' read as air_defense" in v.notes


def test_partial_strikes_take_the_same_words(engine: Engine) -> None:
    report = engine.evaluate_partial({"weapon": "Storm Shadow", "supplier": "United Kingdom",
                                      "target_region": "Krasnodar Krai", "target_type": "refinery"})
    assert report.known["supplier"] == "GB" and report.known["target_type"] == "energy_infrastructure"


# Errors that say what is known -------------------------------------------------------------------


def test_an_unknown_weapon_lists_every_weapon(engine: Engine) -> None:
    with pytest.raises(StrikeError) as e:
        engine.evaluate({**STRIKE, "weapon": "Trebuchet"})
    message = e.value.problems[0].message
    for w in engine.pack.catalog.weapons:
        assert f"{w.id} ({w.name})" in message


def test_an_unknown_region_lists_the_closest_not_all(engine: Engine) -> None:
    with pytest.raises(StrikeError) as e:
        engine.evaluate({**STRIKE, "target_region": "Kharkof"})
    message = e.value.problems[0].message
    assert message.startswith("unknown region 'Kharkof' (did you mean 'Kharkov'?); closest: kharkiv (Kharkiv Oblast)")
    assert f"{len(engine.pack.catalog.regions)} in all (policyrules catalog regions)" in message
    assert "zhytomyr" not in message


def test_a_misspelt_field_name_gets_a_suggestion(engine: Engine) -> None:
    with pytest.raises(StrikeError, match=r"wepon: unknown field \(did you mean 'weapon'\?\)"):
        engine.evaluate({**STRIKE, "wepon": "HIMARS"})
    with pytest.raises(StrikeError, match=r"wepon: unknown field \(did you mean 'weapon'\?\)"):
        engine.evaluate_partial({"wepon": "HIMARS"})


def test_a_field_name_far_from_every_field_gets_none(engine: Engine) -> None:
    with pytest.raises(StrikeError) as e:
        engine.evaluate({**STRIKE, "colour": "red"})
    assert [str(p) for p in e.value.problems] == ["colour: unknown field"]


# The catalog's own checks ------------------------------------------------------------------------


def _catalog(**extra: object) -> Catalog:
    base: dict[str, object] = {
        "weapons": [{"id": "himars", "name": "HIMARS", "weapon_class": "rocket_artillery", "suppliers": ["US"],
                     "reach_km": 80}],
        "regions": [{"id": "kharkiv", "name": "Kharkiv Oblast", "country": "UA", "aliases": ["Kharkov"]},
                    {"id": "kursk", "name": "Kursk Oblast", "country": "RU"}]}
    return Catalog.model_validate({**base, **extra})


def test_a_region_alias_naming_two_regions_is_refused() -> None:
    regions = [{"id": "kharkiv", "name": "Kharkiv Oblast", "country": "UA", "aliases": ["Kursk"]},
               {"id": "kursk", "name": "Kursk Oblast", "country": "RU"}]
    with pytest.raises(ValueError, match=r"(?i)region name or alias 'kursk' is used by both kharkiv and kursk"):
        _catalog(regions=regions)


def test_a_country_alias_that_is_another_code_is_refused() -> None:
    with pytest.raises(ValueError, match="'nl' is the code of another country"):
        _catalog(countries=[{"code": "GB", "name": "United Kingdom", "aliases": ["NL"]},
                            {"code": "NL", "name": "Netherlands"}])


def test_a_target_word_of_two_types_is_refused() -> None:
    with pytest.raises(ValueError, match=r"(?i)alias 'depot' is used by both logistics and energy_infrastructure"):
        _catalog(target_types=[{"type": "logistics", "words": ["depot"]},
                               {"type": "energy_infrastructure", "words": ["Depot"]}])


def test_a_target_word_that_is_another_type_is_refused() -> None:
    with pytest.raises(ValueError, match="word 'troops' of artillery is the name of another type"):
        _catalog(target_types=[{"type": "artillery", "words": ["troops"]}])


def test_a_pack_without_names_still_takes_codes_and_types() -> None:
    c = _catalog()
    assert c.country_code("Netherlands") is None and c.target_word("artillery") == "artillery"
    assert c.target_word("refinery") is None and c.lookup("region", "kharkov") == "kharkiv"


# policyrules catalog -------------------------------------------------------------------------------


def test_catalog_lists_every_section_as_text() -> None:
    r = cli("catalog")
    assert r.code == 0 and r.err == ""
    for head in ("WEAPONS", "REGIONS", "SUPPLIERS", "TARGET TYPES", "POLICIES"):
        assert head in r.out
    assert "Kharkov" in r.out and "Netherlands" in r.out and "command post" in r.out
    assert "sumy: https://" in r.out  # border sources, with their quotes


@pytest.mark.parametrize("section", ["weapons", "regions", "suppliers", "targets", "policies"])
def test_catalog_sections_as_json(section: str) -> None:
    r = cli("catalog", section, "--format", "json")
    assert r.code == 0
    rows = json.loads(r.out)
    assert isinstance(rows, list) and rows
    first = {"weapons": "himars", "regions": "cherkasy", "suppliers": "US", "targets": "troops",
             "policies": "de"}[section]
    assert first in json.dumps(rows[0])


def test_catalog_json_rows_carry_what_a_strike_needs() -> None:
    data = json.loads(cli("catalog", "--format", "json").out)
    f16 = next(w for w in data["weapons"] if w["id"] == "f16")
    assert f16["suppliers"] == ["BE", "DK", "NL", "NO"] and f16["reach_km"] == 550
    assert f16["supplier_names"] == ["Belgium", "Denmark", "Netherlands", "Norway"]
    sumy = next(r for r in data["regions"] if r["id"] == "sumy")
    assert "Sumy region" in sumy["aliases"] and sumy["borders_source"]["quote"]
    nl = next(s for s in data["suppliers"] if s["code"] == "NL")
    assert nl["policy"] == "nl" and "Dutch" in nl["aliases"] and "f16" in nl["weapons"]
    energy = next(t for t in data["targets"] if t["type"] == "energy_infrastructure")
    assert energy["category"] == "dual_use" and "refinery" in energy["words"]
    default = next(p for p in data["policies"] if p["id"] == "default")
    assert "NO" in default["suppliers"] and "NL" not in default["suppliers"]


def test_catalog_refuses_an_unknown_section_with_exit_2() -> None:
    r = cli("catalog", "wepons")
    assert r.code == 2 and "invalid choice: 'wepons'" in r.err and r.out == ""


def test_catalog_of_a_missing_pack_exits_2() -> None:
    r = cli("catalog", "--rules", "/nonexistent/pack")
    assert r.code == 2 and "not a directory of rule files" in r.err


def test_library_errors_are_policyrules_errors(engine: Engine) -> None:
    with pytest.raises(PolicyRulesError):
        engine.evaluate({**STRIKE, "supplier": "Atlantis"})
