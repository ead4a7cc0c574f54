"""The strike space as the page needs it: the catalog, the registry's dimensions and fields, the
policies and their suppliers, the rules with their sources (all plain JSON-ready data)."""

from __future__ import annotations

from typing import Any

from ..analysis.partition import STAND_IN_FIELDS, supplier_codes, unnamed_supplier_code
from ..language.conditions import render
from ..model.catalog import Catalog
from ..model.dimensions import DIMENSIONS, FIELDS, GROUPS, OTHER_CODE, Kind
from ..model.domain import MAX_RANGE_KM, TargetType, WeaponClass
from ..model.sources import Source
from ..packs.pack import COMMON, DEFAULT, Pack, Rule
from .safe import safe_url, slug


def source_json(source: Source | None) -> dict[str, Any] | None:
    if source is None:
        return None
    return {"document": source.document, "url": safe_url(source.url), "raw_url": source.url,
            "quote": source.quote, "grade": source.grade.value if source.grade is not None else None,
            "grade_words": source.grade.words if source.grade is not None else "an ungraded source",
            "who": source.who, "date": source.date.isoformat() if source.date else None,
            "rests_on": source.rests_on()}


def rule_json(rule: Rule) -> dict[str, Any]:
    return {"id": rule.id, "page": f"rules/{slug(rule.id)}.html", "title": rule.title, "effect": rule.effect.value,
            "policy": rule.policy, "condition": render(rule.when), "source": source_json(rule.source),
            "basis": rule.basis.value, "caveats": rule.caveats, "note": rule.note, "file": rule.file}


def world(pack: Pack) -> dict[str, Any]:
    """Catalog, fields, dimensions, policies and rules (by id: the definition in the latest version
    that has it; ``version_rules``: a version's own definition where it differs)."""
    catalog = pack.catalog
    rules: dict[str, dict[str, Any]] = {}
    versions: dict[str, dict[str, Any]] = {}
    for pid, policy in pack.policies.items():
        for v in policy.versions:
            versions[v.ref] = {"policy": pid, "version": v.version, "title": v.title,
                               "from": v.effective_from.isoformat(),
                               "until": v.effective_until.isoformat() if v.effective_until else None,
                               "default": v.default.value, "note": v.note, "file": v.file}
            for r in v.rules:
                rules[r.id] = rule_json(r)
    # A rule restated in a later version: each earlier version's own definition, where it differs.
    version_rules: dict[str, dict[str, Any]] = {}
    for policy in pack.policies.values():
        for v in policy.versions:
            for r in v.rules:
                own = rule_json(r)
                if own != rules[r.id]:
                    version_rules.setdefault(v.ref, {})[r.id] = own
    policies = {pid: {"id": pid, "codes": [c for c in supplier_codes(pack, pid) if c not in (None, OTHER_CODE)],
                      "judges": pid != COMMON and bool(supplier_codes(pack, pid)),
                      "versions": [v.ref for v in p.versions]}
                for pid, p in pack.policies.items()}
    return {
        "max_range": MAX_RANGE_KM,
        "weapons": [{"id": w.id, "name": w.name, "aliases": list(w.aliases), "class": w.weapon_class.value,
                     "suppliers": list(w.suppliers), "reach": w.reach_km} for w in catalog.weapons],
        "regions": [{"id": r.id, "name": r.name, "country": r.country, "occupied": r.occupied,
                     "borders": list(r.borders)} for r in catalog.regions],
        "weapon_classes": [c.value for c in WeaponClass],
        "target_types": [{"id": t.value, "category": t.category.value} for t in TargetType],
        "named_suppliers": list(pack.schema["supplier"].values),
        "other_code": unnamed_supplier_code(pack),
        "fields": {name: {"kind": str(f.kind), "dimension": f.dimension, "optional": f.optional,
                          "derived_from": f.derived_from, "fixed_by": f.fixed_by, "given": f.given,
                          "unit": f.unit, "picks_policy": f.picks_policy}
                   for name, f in FIELDS.items()},
        "stand_ins": {name: _stand_in(catalog, name) for name in STAND_IN_FIELDS},
        "dimensions": [{"name": d.name, "fields": list(d.fields), "numeric": d.numeric, "bounded_by": d.bounded_by,
                        "merge_rank": d.merge_rank, "unit": d.unit} for d in DIMENSIONS.values()],
        "groups": [[d.name for d in g] for g in GROUPS],
        "known_fields": [f for f, spec in FIELDS.items() if spec.given and spec.kind is not Kind.DATE],
        "policies": policies,
        "default_policy": DEFAULT if DEFAULT in pack.policies else None,
        "versions": versions,
        "rules": rules,
        "version_rules": version_rules,
    }


def _stand_in(catalog: Catalog, name: str) -> dict[str, Any]:
    """A field whose values no rule names stand together ("*", a Partition's ``named``): its values,
    and what each fixes of the fields derived from it (a region its country)."""
    spec = FIELDS[name]
    values = spec.values(catalog) if spec.values is not None else ()
    return {"values": list(values),
            "derived": {g.name: {v: g.derive(catalog, v) for v in values} for g in FIELDS.values()
                        if g.derived_from == name and g.derive is not None}}
