"""The strike model: catalog fill-in, derived fields, and one error listing every problem.

Every test validates against a small catalog built here (``ProposedStrike.parse(data,
catalog)``), so nothing depends on the bundled pack.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

import pytest
from pydantic import ValidationError

from policyrules import (
    PolicyRulesError,
    ProposedStrike,
    StrikeError,
    TargetCategory,
    TargetType,
    WeaponClass,
)
from policyrules.model.catalog import Catalog

CATALOG: dict[str, Any] = {
    "weapons": [
        {"id": "himars", "name": "HIMARS", "aliases": ["M142"], "weapon_class": "rocket_artillery",
         "suppliers": ["US"], "reach_km": 80},
        {"id": "atacms", "name": "ATACMS", "weapon_class": "ballistic_missile", "suppliers": ["US"],
         "reach_km": 300},
        {"id": "m777", "name": "M777", "weapon_class": "tube_artillery", "suppliers": ["US"], "reach_km": 40},
        {"id": "storm-shadow", "name": "Storm Shadow", "aliases": ["SCALP-EG"], "weapon_class": "cruise_missile",
         "suppliers": ["GB", "FR"], "reach_km": 250},
    ],
    "regions": [
        {"id": "kharkiv", "name": "Kharkiv Oblast", "country": "UA", "borders": ["belgorod"]},
        {"id": "sumy", "name": "Sumy Oblast", "country": "UA", "borders": ["kursk"]},
        {"id": "crimea", "name": "Crimea", "country": "UA", "occupied": True},
        {"id": "zaporizhzhia", "name": "Zaporizhzhia Oblast", "country": "UA", "occupied": True},
        {"id": "belgorod", "name": "Belgorod Oblast", "country": "RU", "borders": ["kharkiv"]},
        {"id": "kursk", "name": "Kursk Oblast", "country": "RU", "borders": ["sumy"]},
    ],
}

BASE: dict[str, Any] = {"weapon": "HIMARS", "target_region": "belgorod", "target_type": "artillery",
                        "range_km": 30}


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.model_validate(CATALOG)


def parse(catalog: Catalog, **changes: Any) -> ProposedStrike:
    return ProposedStrike.parse({**BASE, **changes}, catalog)


def problems(catalog: Catalog, data: dict[str, Any]) -> StrikeError:
    with pytest.raises(StrikeError) as info:
        ProposedStrike.parse(data, catalog)
    return info.value


def only_problem(catalog: Catalog, **changes: Any) -> tuple[str, str]:
    """The single problem of BASE with ``changes`` applied, as (field, message)."""
    err = problems(catalog, {**BASE, **changes})
    assert len(err.problems) == 1, err.problems
    p = err.problems[0]
    assert str(err) == f"invalid strike: {p.field}: {p.message}"
    return p.field, p.message


# The model -------------------------------------------------------------------------------


def test_strike_is_frozen(catalog: Catalog) -> None:
    s = parse(catalog)
    with pytest.raises(ValidationError, match="frozen"):
        s.range_km = 10
    assert s.range_km == 30


def test_derived_fields_cannot_be_assigned(catalog: Catalog) -> None:
    s = parse(catalog)
    with pytest.raises((AttributeError, ValidationError)):
        s.target_country = "UA"  # type: ignore[misc]
    assert s.target_country == "RU"


def test_unknown_field_is_refused(catalog: Catalog) -> None:
    assert only_problem(catalog, warhead="cluster") == ("warhead", "unknown field")


def test_a_non_mapping_is_refused_with_a_strike_error(catalog: Catalog) -> None:
    err = problems(catalog, ["HIMARS", "belgorod"])  # type: ignore[arg-type]
    assert str(err) == "invalid strike: a strike is a mapping of fields, not list"


# Catalog fill-in -------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["HIMARS", "himars", "HiMaRs", "M142", "m142", "  himars "])
def test_weapon_name_or_alias_is_case_insensitive_and_becomes_the_canonical_id(catalog: Catalog, name: str) -> None:
    assert parse(catalog, weapon=name).weapon == "himars"


def test_weapon_class_and_supplier_are_filled_from_the_catalog(catalog: Catalog) -> None:
    s = parse(catalog, weapon="himars", range_km=30)
    assert (s.weapon, s.weapon_class, s.supplier) == ("himars", WeaponClass.ROCKET_ARTILLERY, "US")


def test_a_weapon_several_states_supply_needs_its_supplier(catalog: Catalog) -> None:
    """The supplier picks the policy: the catalog must not choose one for a weapon several states supply."""
    assert only_problem(catalog, weapon="scalp-eg", target_region="kursk", range_km=200) == (
        "supplier", "Storm Shadow is supplied by GB, FR: name the supplier")
    s = parse(catalog, weapon="scalp-eg", supplier="fr", target_region="kursk", range_km=200)
    assert (s.weapon, s.weapon_class, s.supplier) == ("storm-shadow", WeaponClass.CRUISE_MISSILE, "FR")


def test_given_class_and_supplier_that_agree_with_the_catalog_are_kept(catalog: Catalog) -> None:
    s = parse(catalog, weapon="Storm Shadow", weapon_class="cruise_missile", supplier="fr", range_km=200)
    assert (s.weapon_class, s.supplier) == (WeaponClass.CRUISE_MISSILE, "FR")


def test_weapon_class_without_a_weapon_is_kept_and_supplier_stays_empty(catalog: Catalog) -> None:
    s = ProposedStrike.parse({"weapon_class": "drone", "target_region": "kursk", "target_type": "airfield",
                              "range_km": 500}, catalog)
    assert (s.weapon, s.weapon_class, s.supplier) == (None, WeaponClass.DRONE, None)


def test_region_ids_are_case_insensitive(catalog: Catalog) -> None:
    s = parse(catalog, target_region="Belgorod", self_defense=True, defended_region="KHARKIV")
    assert (s.target_region, s.defended_region) == ("belgorod", "kharkiv")


def test_range_equal_to_the_weapon_reach_is_allowed(catalog: Catalog) -> None:
    assert parse(catalog, range_km=80).range_km == 80.0


# Derived fields --------------------------------------------------------------------------


@pytest.mark.parametrize(("region", "country"), [
    ("belgorod", "RU"), ("kursk", "RU"), ("kharkiv", "UA"), ("sumy", "UA"), ("crimea", "UA"), ("zaporizhzhia", "UA"),
])
def test_target_country_comes_from_the_region_and_occupied_regions_are_ukraine(
        catalog: Catalog, region: str, country: str) -> None:
    assert parse(catalog, target_region=region).target_country == country


@pytest.mark.parametrize(("target_type", "category"), [
    *((t.value, "military") for t in TargetType
      if t not in (TargetType.ENERGY_INFRASTRUCTURE, TargetType.CIVILIAN)),
    ("energy_infrastructure", "dual_use"),
    ("civilian", "civilian"),
])
def test_target_category_comes_from_the_target_type(catalog: Catalog, target_type: str, category: str) -> None:
    assert parse(catalog, target_type=target_type).target_category is TargetCategory(category)


def test_derived_fields_are_in_the_json_dump(catalog: Catalog) -> None:
    dumped = parse(catalog, target_type="energy_infrastructure").model_dump(mode="json")
    assert (dumped["target_country"], dumped["target_category"]) == ("RU", "dual_use")


def test_a_given_target_country_that_contradicts_the_region_is_an_error(catalog: Catalog) -> None:
    assert only_problem(catalog, target_country="UA") == (
        "target_country", "is derived from target_region (belgorod is in RU), not 'UA'")


def test_a_given_target_category_that_contradicts_the_type_is_an_error(catalog: Catalog) -> None:
    assert only_problem(catalog, target_category="civilian") == (
        "target_category", "is derived from target_type (artillery is military), not 'civilian'")


# One problem each: field and wording -----------------------------------------------------


def test_invalid_strike_error_is_a_policyrules_error_and_a_value_error(catalog: Catalog) -> None:
    err = problems(catalog, {**BASE, "weapon": "HIMRAS"})
    assert isinstance(err, PolicyRulesError)
    assert isinstance(err, ValueError)


def test_unknown_weapon_suggests_the_closest_name(catalog: Catalog) -> None:
    assert only_problem(catalog, weapon="HIMRAS") == ("weapon", (
        "unknown weapon 'HIMRAS' (did you mean 'HIMARS'?); known: atacms (ATACMS), himars (HIMARS), m777 (M777), "
        "storm-shadow (Storm Shadow)"))


def test_unknown_weapon_without_a_near_miss_has_no_suggestion(catalog: Catalog) -> None:
    field, message = only_problem(catalog, weapon="Trebuchet")
    assert (field, message.split(";")[0]) == ("weapon", "unknown weapon 'Trebuchet'")


def test_unknown_region_suggests_and_lists_the_known_regions(catalog: Catalog) -> None:
    field, message = only_problem(catalog, target_region="belgrod")
    assert field == "target_region"
    assert message.startswith("unknown region 'belgrod' (did you mean 'belgorod'?); known: belgorod")
    assert "zaporizhzhia" in message  # few regions: every one is listed


def test_defended_region_must_be_ukrainian(catalog: Catalog) -> None:
    assert only_problem(catalog, self_defense=True, defended_region="kursk") == (
        "defended_region", "kursk is not a Ukrainian region")


def test_negative_range_is_refused(catalog: Catalog) -> None:
    assert only_problem(catalog, range_km=-1) == ("range_km", "Input should be greater than or equal to 0 (got -1)")


def test_range_beyond_the_weapon_reach_is_refused(catalog: Catalog) -> None:
    assert only_problem(catalog, range_km=100) == ("range_km", "100 km is beyond the reach of HIMARS (80 km)")


def test_range_just_beyond_the_reach_is_not_rounded_in_the_message(catalog: Catalog) -> None:
    assert only_problem(catalog, range_km=80.0000001) == (
        "range_km", "80.0000001 km is beyond the reach of HIMARS (80 km)")


def test_weapon_class_contradicting_the_catalog_is_refused(catalog: Catalog) -> None:
    assert only_problem(catalog, weapon_class="tube_artillery") == (
        "weapon_class", "tube_artillery contradicts the catalog: HIMARS is rocket_artillery")


def test_supplier_contradicting_the_catalog_is_refused(catalog: Catalog) -> None:
    assert only_problem(catalog, supplier="gb") == (
        "supplier", "GB contradicts the catalog: HIMARS is supplied by US")


def test_unknown_target_type_is_refused_listing_the_types(catalog: Catalog) -> None:
    field, message = only_problem(catalog, target_type="bunker")
    assert field == "target_type"
    assert message.startswith("unknown target type 'bunker'; known: troops, equipment, artillery")
    assert "energy_infrastructure, civilian (or a common word for one" in message


def test_a_string_range_is_refused(catalog: Catalog) -> None:
    assert only_problem(catalog, range_km="30") == ("range_km", "Input should be a valid number (got '30')")


def test_a_boolean_range_is_refused(catalog: Catalog) -> None:
    assert only_problem(catalog, range_km=True) == ("range_km", "Input should be a valid number (got True)")


def test_a_string_self_defense_is_refused(catalog: Catalog) -> None:
    assert only_problem(catalog, self_defense="yes") == (
        "self_defense", "Input should be a valid boolean (got 'yes')")


def test_a_bad_supplier_code_keeps_its_pattern_readable(catalog: Catalog) -> None:
    err = problems(catalog, {"weapon_class": "drone", "supplier": "U$", "target_region": "kursk",
                             "target_type": "troops", "range_km": 5})
    assert [str(p) for p in err.problems] == ["supplier: String should match pattern '^[A-Za-z]{2}$' (got 'U$')"]


def test_weapon_class_is_required_without_a_weapon(catalog: Catalog) -> None:
    assert only_problem(catalog, weapon=None) == ("weapon_class", "required when no weapon is given")


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_non_finite_range_is_refused(catalog: Catalog, value: float) -> None:
    field, message = only_problem(catalog, range_km=value)
    assert field == "range_km"
    assert message == f"Input should be a finite number (got {value!r})"


def test_a_date_string_is_parsed(catalog: Catalog) -> None:
    assert parse(catalog, date="2024-06-01").date == dt.date(2024, 6, 1)


def test_a_datetime_is_not_a_date(catalog: Catalog) -> None:
    assert only_problem(catalog, date=dt.datetime(2024, 6, 1, 12, 0)) == (
        "date", "a date (YYYY-MM-DD), not datetime (got datetime.datetime(2024, 6, 1, 12, 0))")


@pytest.mark.parametrize("text", ["garbage", "2024-13-45", "01/06/2024"])
def test_a_garbage_date_is_refused(catalog: Catalog, text: str) -> None:
    assert only_problem(catalog, date=text) == ("date", f"not a date in YYYY-MM-DD form (got {text!r})")


def test_a_number_is_not_a_date(catalog: Catalog) -> None:
    assert only_problem(catalog, date=20240601) == ("date", "a date (YYYY-MM-DD), not int (got 20240601)")


def test_missing_required_fields_are_each_named(catalog: Catalog) -> None:
    err = problems(catalog, {"weapon": "HIMARS"})
    assert [str(p) for p in err.problems] == [
        "target_region: required", "target_type: required", "range_km: required"]


# Every problem in one error --------------------------------------------------------------


def test_every_problem_is_listed_in_one_error_each_with_its_field(catalog: Catalog) -> None:
    err = problems(catalog, {
        "weapon": "HIMRAS", "target_region": "narnia", "target_type": "bunker", "self_defense": "yes",
        "range_km": "far", "date": "yesterday", "colour": "red",
    })
    fields = [p.field for p in err.problems]
    assert fields == ["weapon", "target_region", "target_type", "self_defense", "range_km", "date", "colour"]
    text = str(err)
    assert text.startswith("invalid strike (7 problems): weapon: unknown weapon 'HIMRAS'")
    for fragment in ("target_region: unknown region 'narnia'", "target_type: unknown target type 'bunker'",
                     "self_defense: Input should be a valid boolean", "range_km: Input should be a valid number",
                     "date: not a date in YYYY-MM-DD form", "colour: unknown field"):
        assert fragment in text


def test_catalog_contradictions_are_all_listed_together(catalog: Catalog) -> None:
    err = problems(catalog, {**BASE, "weapon_class": "tube_artillery", "supplier": "GB", "range_km": 100})
    assert [p.field for p in err.problems] == ["weapon_class", "supplier", "range_km"]
    assert str(err).startswith("invalid strike (3 problems): ")


def test_a_type_error_and_a_catalog_problem_are_listed_together(catalog: Catalog) -> None:
    err = problems(catalog, {**BASE, "weapon": "ATACMS ", "target_region": "moscow", "self_defense": 1})
    assert [p.field for p in err.problems] == ["target_region", "self_defense"]


# JSON ------------------------------------------------------------------------------------


@pytest.mark.parametrize("changes", [
    {},
    {"self_defense": True, "defended_region": "kharkiv", "date": "2024-06-01"},
    {"weapon": None, "weapon_class": "glide_bomb", "target_region": "crimea", "range_km": 0.5},
    {"weapon": "Storm Shadow", "supplier": "FR", "target_region": "kursk", "range_km": 1e-7,
     "target_type": "energy_infrastructure"},
])
def test_json_round_trip_gives_an_equal_strike(catalog: Catalog, changes: dict[str, Any]) -> None:
    s = parse(catalog, **changes)
    again = ProposedStrike.parse(json.loads(json.dumps(s.model_dump(mode="json"))), catalog)
    assert again == s
    assert again.model_dump(mode="json") == s.model_dump(mode="json")


def test_parse_returns_a_strike_already_checked_against_the_same_catalog(catalog: Catalog) -> None:
    s = parse(catalog)
    assert ProposedStrike.parse(s, catalog) is s


def test_the_constructor_raises_a_strike_error_too(rules_dir: Any) -> None:
    if not (rules_dir / "catalog.yaml").is_file():
        pytest.skip("the bundled pack is not there yet")
    with pytest.raises(StrikeError, match=r"^invalid strike \(2 problems\): target_region: .*range_km: required"):
        ProposedStrike(weapon="HIMARS", target_region="nowhere", target_type="troops")
