"""JSON Schemas of the inputs, generated from the Pydantic models: for editors (the YAML
language server), for validating files before they reach the library, and for documentation.

``json_schemas()`` maps a name to a schema: ``strike`` (a proposed strike, as given),
``rules`` (one rule file), ``scenarios`` (a scenario file) and ``catalog``. The schemas check
shape (keys, types, enum values, number bounds); what needs the catalog or other files (a
weapon's reach, region ids, ``extends``, overrides) is checked when the library loads them.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from pydantic import TypeAdapter

from .model.catalog import Catalog
from .model.strike import ProposedStrike
from .packs.rulefile import RuleFile
from .scenarios import Scenario

DIALECT = "https://json-schema.org/draft/2020-12/schema"
JsonSchema = dict[str, Any]


def strike_schema() -> JsonSchema:
    """A proposed strike as input: what :class:`ProposedStrike` accepts before the catalog is consulted."""
    return _finish(ProposedStrike.model_json_schema(mode="validation"), "policyrules strike")


def rules_schema() -> JsonSchema:
    """One rule file (``rules/<policy>/<version>.yaml``)."""
    schema = RuleFile.model_json_schema(mode="validation")
    defs = schema["$defs"]
    # A parameter may be written as a bare number (Parameter's "before" validator).
    defs["Parameter"] = {"anyOf": [{"type": "number"}, defs["Parameter"]],
                         "description": defs["Parameter"].get("description", "")}
    _one_origin(defs["Source"])
    return _finish(schema, "policyrules rule file")


def scenarios_schema() -> JsonSchema:
    """A scenario file: a list of named strikes with the decision (and rule) they should get."""
    schema = TypeAdapter(list[Scenario]).json_schema(mode="validation")
    defs = schema["$defs"]
    scenario = defs["Scenario"]
    for internal in ("file", "line"):  # filled in by the loader, never written in a file
        scenario["properties"].pop(internal, None)
    strike = ProposedStrike.model_json_schema(mode="validation")
    defs.update(strike.pop("$defs", {}))
    defs["ProposedStrike"] = strike
    scenario["properties"]["strike"] = {"$ref": "#/$defs/ProposedStrike"}
    if "Source" in defs:
        _one_origin(defs["Source"])
    return _finish(schema, "policyrules scenario file")


def catalog_schema() -> JsonSchema:
    """The catalog (``rules/catalog.yaml``): weapons and regions."""
    schema = Catalog.model_json_schema(mode="validation")
    weapon = schema["$defs"]["Weapon"]["properties"]
    weapon["suppliers"]["items"] = {"type": "string", "pattern": "^[A-Z]{2}$"}  # checked by a validator
    if "Source" in schema["$defs"]:
        _one_origin(schema["$defs"]["Source"])
    return _finish(schema, "policyrules catalog")


SCHEMAS: dict[str, Callable[[], JsonSchema]] = {
    "strike": strike_schema,
    "rules": rules_schema,
    "scenarios": scenarios_schema,
    "catalog": catalog_schema,
}


def json_schemas() -> dict[str, JsonSchema]:
    """Every schema, by name: ``strike``, ``rules``, ``scenarios``, ``catalog``."""
    return {name: make() for name, make in SCHEMAS.items()}


def json_schema(name: str) -> JsonSchema:
    """One schema by name (a ``KeyError`` naming the known ones otherwise)."""
    try:
        return SCHEMAS[name]()
    except KeyError:
        raise KeyError(f"unknown schema {name!r}; known: {', '.join(SCHEMAS)}") from None


def _one_origin(source: JsonSchema) -> None:
    # Source's model validator: exactly one of document or url.
    source["oneOf"] = [{"required": ["document"], "properties": {"document": {"type": "string"}}},
                       {"required": ["url"], "properties": {"url": {"type": "string"}}}]


def _finish(schema: JsonSchema, title: str) -> JsonSchema:
    out = {"$schema": DIALECT, "title": title}
    out.update((k, v) for k, v in copy.deepcopy(schema).items() if k != "title")
    return out
