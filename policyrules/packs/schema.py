"""The strike as conditions see it: which fields rules may test, and the values each may take.

Read from the registry (:mod:`policyrules.model.dimensions`): every field but the date, a named
value field (enum, catalog id, code) with the values this catalog gives it."""

from __future__ import annotations

from ..language.conditions import FieldSpec, Schema
from ..model.catalog import Catalog
from ..model.dimensions import FACT_FIELDS, FIELDS, Kind

_KINDS = {Kind.ENUM: "enum", Kind.CATALOG: "enum", Kind.CODE: "enum", Kind.BOOL: "bool", Kind.NUMBER: "number"}


def strike_schema(catalog: Catalog) -> Schema:
    """The fields rules may test, with the values each may take given this catalog."""
    specs = []
    for name in FACT_FIELDS:
        f = FIELDS[name]
        values = f.values(catalog) if f.values is not None else ()
        specs.append(FieldSpec(name, _KINDS[f.kind], values, optional=f.optional, doc=f.doc))  # type: ignore[arg-type]
    return Schema({s.name: s for s in specs})
