"""JSON Schemas (``policyrules.schemas`` and ``policyrules schema``), checked with ``jsonschema``.

The strike schema must reject what :class:`ProposedStrike` rejects at the type level; every
bad strike here is rejected by both, and every good one accepted by both. The bundled rule
files, the catalog and the example scenarios must validate against their schemas.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest

from policyrules import ProposedStrike, StrikeError
from policyrules.model.domain import MAX_RANGE_KM
from policyrules.packs.loader import bundled_rules_dir
from policyrules.packs.yamlio import load_file
from policyrules.schemas import json_schema, json_schemas

from .helpers import COUNTERFIRE_STRIKE as GOOD
from .helpers import EXAMPLES, cli


def validator(name: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(json_schema(name), format_checker=jsonschema.FormatChecker())


def as_json(data: Any) -> Any:
    """What a YAML file holds, as JSON sees it (YAML dates become strings)."""
    return json.loads(json.dumps(data, default=lambda v: v.isoformat() if isinstance(v, dt.date) else str(v)))


def errors(name: str, data: Any) -> list[str]:
    return [e.message for e in validator(name).iter_errors(data)]


def test_every_schema_is_a_valid_2020_12_schema() -> None:
    schemas = json_schemas()
    assert set(schemas) == {"strike", "rules", "scenarios", "catalog"}
    for schema in schemas.values():
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        jsonschema.Draft202012Validator.check_schema(schema)


# The strike ------------------------------------------------------------------------------


@pytest.mark.parametrize("strike", [
    GOOD,
    {"weapon_class": "tube_artillery", "supplier": "US", "target_region": "kharkiv", "target_type": "troops",
     "range_km": 0},
    {"weapon": "ATACMS", "target_region": "kursk", "target_type": "troops", "range_km": 150.5, "date": None},
    {**GOOD, "range_km": 80, "date": "2200-12-31"},
], ids=["counter-fire", "class-only", "null-date", "bounds"])
def test_good_strikes_validate_and_parse(strike: dict[str, Any]) -> None:
    assert errors("strike", strike) == []
    ProposedStrike.parse(strike)


def test_a_strike_round_trip_with_its_derived_fields_validates() -> None:
    dumped = ProposedStrike.parse(GOOD).model_dump(mode="json")
    assert dumped["target_country"] == "RU"
    assert errors("strike", dumped) == []
    ProposedStrike.parse(dumped)


@pytest.mark.parametrize(("change", "field"), [
    ({"range_km": -1}, "range_km"),
    ({"range_km": MAX_RANGE_KM + 1}, "range_km"),
    ({"range_km": "30"}, "range_km"),
    ({"range_km": True}, "range_km"),
    ({"self_defense": "yes"}, "self_defense"),
    ({"self_defense": 1}, "self_defense"),
    ({"target_type": "bunker"}, "target_type"),  # not a type, nor a word for one ("school" is: civilian)
    ({"weapon_class": "laser"}, "weapon_class"),
    ({"weapon": 5}, "weapon"),
    ({"supplier": "U5A"}, "supplier"),  # not a code, nor a name ("USA" is one)
    ({"target_region": None}, "target_region"),
    ({"date": "2024-13-01"}, "date"),
    ({"date": "01/06/2024"}, "date"),
    ({"date": "1899-12-31"}, "date"),
    ({"date": 20240601}, "date"),
    ({"colour": "red"}, "colour"),
    ({"target_country": "PL"}, "target_country"),
    ({"target_category": "sacred"}, "target_category"),
    ({"weapon": None}, "weapon_class"),
], ids=lambda v: json.dumps(v) if isinstance(v, dict) else v)
def test_the_schema_rejects_what_the_model_rejects(change: dict[str, Any], field: str) -> None:
    strike = {**GOOD, **change}
    assert errors("strike", strike), f"the schema accepts {change}"
    with pytest.raises(StrikeError) as e:
        ProposedStrike.parse(strike)
    assert field in {p.field for p in e.value.problems}


def test_a_missing_required_field_is_rejected_by_both() -> None:
    strike = {k: v for k, v in GOOD.items() if k != "target_type"}
    assert errors("strike", strike) == ["'target_type' is a required property"]
    with pytest.raises(StrikeError, match="target_type: required"):
        ProposedStrike.parse(strike)


def test_the_strike_schema_shape() -> None:
    schema = json_schema("strike")
    props = schema["properties"]
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == {"target_region", "target_type", "range_km"}
    assert props["range_km"]["minimum"] == 0 and props["range_km"]["maximum"] == MAX_RANGE_KM
    assert props["target_country"]["readOnly"] is True and props["target_country"]["enum"] == ["UA", "RU"]
    assert props["target_category"]["readOnly"] is True
    assert {"format": "date", "type": "string"} in props["date"]["anyOf"]


# Rule files, catalog, scenarios ------------------------------------------------------------


def rule_files() -> list[Path]:
    return sorted(p for p in bundled_rules_dir().rglob("*.yaml") if p.name != "catalog.yaml")


@pytest.mark.parametrize("path", rule_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_bundled_rule_file_validates(path: Path) -> None:
    assert errors("rules", as_json(load_file(path))) == []


def test_the_bundled_catalog_validates() -> None:
    assert errors("catalog", as_json(load_file(bundled_rules_dir() / "catalog.yaml"))) == []


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("scenarios*.yaml")), ids=lambda p: p.name)
def test_every_example_scenario_file_validates(path: Path) -> None:
    assert errors("scenarios", as_json(load_file(path))) == []


RULE_FILE: dict[str, Any] = {
    "policy": "us", "version": "v2", "title": "t", "effective_from": "2024-05-30", "default": "prohibited",
    "parameters": {"long_range_km": 80, "other_km": {"value": 10, "basis": "interpretation"}},
    "rules": [{"id": "r1", "title": "t", "effect": "allowed", "when": {"target_country": "UA"},
               "overrides": "all", "source": {"url": "https://example.org/a", "quote": "q"}}],
}


def test_a_rule_file_with_bare_and_full_parameters_validates() -> None:
    assert errors("rules", RULE_FILE) == []


@pytest.mark.parametrize("change", [
    {"effect": "maybe"},
    {"colour": "red"},
    {"id": "Not An Id"},
    {"source": {"quote": "no origin"}},
    {"source": {"document": "a.txt", "url": "https://example.org", "quote": "both"}},
    {"overrides": "some"},
], ids=lambda v: json.dumps(v))
def test_a_bad_rule_is_rejected(change: dict[str, Any]) -> None:
    bad = {**RULE_FILE, "rules": [{**RULE_FILE["rules"][0], **change}]}
    assert errors("rules", bad)


def test_a_scenario_with_a_bad_strike_or_expectation_is_rejected() -> None:
    good = [{"name": "x", "strike": GOOD, "expect": {"decision": "allowed", "rule": "r"}}]
    assert errors("scenarios", good) == []
    assert errors("scenarios", [{**good[0], "strike": {**GOOD, "range_km": -3}}])
    assert errors("scenarios", [{**good[0], "expect": {"decision": "maybe"}}])
    assert errors("scenarios", [{**good[0], "file": "internal.yaml"}])  # loader-only fields stay out
    assert errors("scenarios", good[0])  # a file is a list


# The command -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["strike", "rules", "scenarios", "catalog"])
def test_the_command_prints_one_schema(name: str) -> None:
    code, out, err = cli("schema", name)
    assert (code, err) == (0, "")
    assert json.loads(out) == json_schema(name)


def test_the_command_without_a_name_prints_every_schema_by_name() -> None:
    code, out, _ = cli("schema")
    assert code == 0
    assert json.loads(out) == json_schemas()


def test_the_command_refuses_an_unknown_name() -> None:
    code, out, err = cli("schema", "verdict")
    assert (code, out) == (2, "")
    assert "invalid choice: 'verdict'" in err and err.count("\n") == 1
