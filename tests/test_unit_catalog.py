"""``policyrules.model.catalog`` on its own: lookups by id, name and alias, suggestions, look-alikes
refused, and the checks a catalog makes of itself."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from policyrules.model.catalog import Catalog, did_you_mean, known

from .helpers import CATALOG

RAW: dict[str, Any] = yaml.safe_load(CATALOG)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.model_validate(RAW)


@pytest.mark.parametrize("text", ["himars", "HIMARS", "Himars", " himars ", "M142", "m142"])
def test_a_weapon_is_found_by_id_name_or_alias_in_any_case(catalog: Catalog, text: str) -> None:
    found = catalog.weapon(text)
    assert found is not None and found.id == "himars"
    assert catalog.lookup("weapon", text) == "himars"


def test_a_region_is_found_by_id_or_name_in_any_case(catalog: Catalog) -> None:
    assert catalog.lookup("region", "BELGOROD") == "belgorod"
    assert catalog.region("Kharkiv") is not None
    found = catalog.region("kharkiv oblast")
    assert found is not None and found.id == "kharkiv"
    assert catalog.lookup("region", "nowhere") is None


@pytest.mark.parametrize("text", [
    "ｈｉｍａｒｓ",  # fullwidth: NFKC would make it "himars"
    "HIMARＳ",
    "hіmars",  # Cyrillic і
])
def test_look_alikes_name_no_weapon(catalog: Catalog, text: str) -> None:
    assert catalog.weapon(text) is None


@pytest.mark.parametrize("text", ["ｂｅｌｇｏｒｏｄ", "bеlgorod", "\u212aharkiv"])  # fullwidth; Cyrillic е; Kelvin sign
def test_look_alikes_name_no_region(catalog: Catalog, text: str) -> None:
    assert catalog.region(text) is None


def test_unknown_names_suggest_the_near_miss_and_name_the_odd_characters(catalog: Catalog) -> None:
    assert catalog.unknown("weapon", "HIMRS") == \
        "unknown weapon 'HIMRS' (did you mean 'HIMARS'?); known: atacms (ATACMS), himars (HIMARS)"
    assert catalog.unknown("weapon", "zzzz") == "unknown weapon 'zzzz'; known: atacms (ATACMS), himars (HIMARS)"
    assert catalog.unknown("region", "bеlgorod") == (
        "unknown region 'bеlgorod' (did you mean 'belgorod'? it has non-ASCII characters: "
        "U+0435 CYRILLIC SMALL LETTER IE); known: belgorod (Belgorod Oblast), crimea (Crimea), "
        "kharkiv (Kharkiv Oblast)")
    assert catalog.unknown("region", "\u212aharkiv").startswith(
        "unknown region '\u212aharkiv' (did you mean 'kharkiv'? it has non-ASCII characters: U+212A KELVIN SIGN)")


def test_did_you_mean_and_known() -> None:
    assert did_you_mean(None, "x") == ""
    assert did_you_mean("HIMARS") == " (did you mean 'HIMARS'?)"
    assert known(["b", "a", "c"]) == "a, b, c"
    assert known([f"r{i:02}" for i in range(14)], limit=3) == "r00, r01, r02, ... (14 in all)"


def test_ids_spellings_and_suppliers(catalog: Catalog) -> None:
    assert catalog.weapon_ids == ("himars", "atacms")
    assert catalog.region_ids == ("kharkiv", "belgorod", "crimea")
    assert catalog.spellings("weapon", "himars") == ("HIMARS", "M142", "himars")
    assert catalog.spellings("region", "kharkiv") == ("Kharkiv Oblast", "kharkiv")
    assert catalog.suppliers == ("US",)
    assert catalog.weapon_by_id("atacms").reach_km == 300
    assert catalog.weapon_by_id("himars").supplier == "US"
    assert catalog.region_by_id("crimea").occupied is True


def test_catalogs_with_equal_content_are_equal(catalog: Catalog) -> None:
    twin = Catalog.model_validate(RAW)
    assert twin is not catalog and twin == catalog and hash(twin) == hash(catalog)
    assert twin.digest == catalog.digest and len(catalog.digest) == 64
    other = Catalog.model_validate({**RAW, "regions": RAW["regions"][:2]})
    assert other != catalog and other.digest != catalog.digest


@pytest.mark.parametrize(("change", "text"), [
    ({"weapons": [*RAW["weapons"], {**RAW["weapons"][1], "id": "atacms2", "name": "ATACMS-2", "aliases": ["m142"]}]},
     "weapon name or alias 'm142' is used by both himars and atacms2"),
    ({"regions": [*RAW["regions"], RAW["regions"][2]]}, "duplicate region id 'crimea'"),
    ({"regions": [{**RAW["regions"][0], "borders": ["nowhere"]}, *RAW["regions"][1:]]},
     "region kharkiv: borders names unknown region 'nowhere'"),
    ({"regions": [{**RAW["regions"][0], "borders": ["belgorod", "crimea"]}, *RAW["regions"][1:]]},
     "region kharkiv: borders lists crimea, which is in the same country"),
    ({"regions": [RAW["regions"][0], {**RAW["regions"][1], "borders": []}, RAW["regions"][2]]},
     "region kharkiv: borders lists belgorod, but belgorod does not list kharkiv"),
    ({"weapons": [{**RAW["weapons"][0], "suppliers": ["usa"]}]}, "supplier 'usa' is not an ISO 3166 alpha-2 code"),
    ({"weapons": [{**RAW["weapons"][0], "reach_km": 0}]}, "greater than 0"),
    ({"weapons": [{**RAW["weapons"][0], "id": "Himars"}]}, "should match pattern"),
    ({"weapons": []}, "at least 1 item"),
])
def test_an_inconsistent_catalog_is_refused_with_the_reason(change: dict[str, Any], text: str) -> None:
    with pytest.raises(ValidationError) as info:
        Catalog.model_validate({**RAW, **change})
    assert text in str(info.value)
