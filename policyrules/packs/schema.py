"""The strike as conditions see it: which fields rules may test, and the values each may take."""

from __future__ import annotations

from ..language.conditions import FieldSpec, Schema
from ..model.catalog import Catalog
from ..model.domain import COUNTRIES, TargetCategory, TargetType, WeaponClass


def strike_schema(catalog: Catalog) -> Schema:
    """The fields rules may test, with the values each may take given this catalog."""
    ua = tuple(r.id for r in catalog.regions if r.country == "UA")
    suppliers = tuple(sorted(set(catalog.suppliers) | {"US", "GB", "FR", "DE", "UA"}))
    specs = [
        FieldSpec("weapon", "enum", catalog.weapon_ids, optional=True, doc="catalog weapon id"),
        FieldSpec("weapon_class", "enum", tuple(w.value for w in WeaponClass)),
        FieldSpec("supplier", "enum", suppliers, optional=True, doc="ISO alpha-2"),
        FieldSpec("target_region", "enum", catalog.region_ids),
        FieldSpec("target_type", "enum", tuple(t.value for t in TargetType)),
        FieldSpec("self_defense", "bool"),
        FieldSpec("defended_region", "enum", ua, optional=True),
        FieldSpec("range_km", "number"),
        FieldSpec("target_country", "enum", COUNTRIES),
        FieldSpec("target_category", "enum", tuple(c.value for c in TargetCategory)),
    ]
    return Schema({s.name: s for s in specs})
