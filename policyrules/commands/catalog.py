"""``policyrules catalog [weapons|regions|suppliers|targets|policies]``: the vocabulary a strike may use,
from the pack's catalog: weapons (names, aliases, class, suppliers, reach, source), regions (names,
aliases, country, borders across the front and their source), suppliers (codes, country names, the
policy each picks), target types (category, the common words read as each) and policies (versions)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any, TextIO

from ..model.domain import TargetType
from ..packs.loader import load_pack
from ..packs.pack import COMMON, DEFAULT, Pack
from ._common import EXIT_OK, add_common, subparser, table

SECTIONS = ("weapons", "regions", "suppliers", "targets", "policies")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparser(sub, "catalog", "list what a strike may name: weapons, regions, suppliers, target types "
                  "and policies, with names, aliases, classes, suppliers, reach and sources", [
                      "policyrules catalog",
                      "policyrules catalog regions",
                      "policyrules catalog weapons --format json | jq '.[].name'",
                  ])
    p.add_argument("section", nargs="?", choices=SECTIONS, metavar="SECTION",
                   help=f"only this section: {', '.join(SECTIONS)} (default: all)")
    add_common(p, backend=False, readings=False)
    p.set_defaults(func=run)


def run(args: argparse.Namespace, out: TextIO) -> int:
    pack = load_pack(args.rules)
    sections = (args.section,) if args.section else SECTIONS
    if args.format == "json":
        data = {s: _ROWS[s](pack) for s in sections}
        print(json.dumps(data[args.section] if args.section else data, indent=2, ensure_ascii=False), file=out)
        return EXIT_OK
    print("\n\n".join(_TEXT[s](pack) for s in sections), file=out)
    return EXIT_OK


# The rows of each section (the JSON) ---------------------------------------------------------


def weapons(pack: Pack) -> list[dict[str, Any]]:
    c = pack.catalog
    return [{"id": w.id, "name": w.name, "aliases": list(w.aliases), "weapon_class": w.weapon_class.value,
             "suppliers": list(w.suppliers), "reach_km": w.reach_km,
             "source": w.source.model_dump(mode="json", exclude_none=True) if w.source else None,
             "note": w.note, "supplier_names": [c.country_name(s) or s for s in w.suppliers]}
            for w in c.weapons]


def regions(pack: Pack) -> list[dict[str, Any]]:
    return [{"id": r.id, "name": r.name, "aliases": list(r.aliases), "country": r.country, "occupied": r.occupied,
             "borders": list(r.borders),
             "borders_source": r.borders_source.model_dump(mode="json", exclude_none=True)
             if r.borders_source else None, "note": r.note}
            for r in pack.catalog.regions]


def suppliers(pack: Pack) -> list[dict[str, Any]]:
    c = pack.catalog
    codes = dict.fromkeys([*c.suppliers, *(x.code for x in c.countries),
                           *(p.upper() for p in pack.policies if p not in (COMMON, DEFAULT))])
    out = []
    for code in codes:
        country = next((x for x in c.countries if x.code == code), None)
        out.append({"code": code, "name": country.name if country else None,
                    "aliases": list(country.aliases) if country else [],
                    "weapons": [w.id for w in c.weapons if code in w.suppliers],
                    "policy": pack.policy_for_supplier(code).id if pack.policies else None})
    return out


def targets(pack: Pack) -> list[dict[str, Any]]:
    words = {t.type: t for t in pack.catalog.target_types}
    return [{"type": t.value, "category": t.category.value,
             "words": list(words[t].words) if t in words else [],
             "note": words[t].note if t in words else None} for t in TargetType]


def policies(pack: Pack) -> list[dict[str, Any]]:
    return [{"id": p.id, "versions": [{"version": v.version, "title": v.title,
                                       "effective_from": v.effective_from.isoformat(),
                                       "effective_until": v.effective_until.isoformat() if v.effective_until else None,
                                       "default": v.default.value, "rules": len(v.rules)} for v in p.versions],
             "suppliers": [s["code"] for s in suppliers(pack) if s["policy"] == p.id] if p.id != COMMON else []}
            for p in pack.policies.values()]


_ROWS: dict[str, Callable[[Pack], list[dict[str, Any]]]] = {
    "weapons": weapons, "regions": regions, "suppliers": suppliers, "targets": targets, "policies": policies}


# Text ------------------------------------------------------------------------------------------


def _list(values: list[str], empty: str = "-") -> str:
    return ", ".join(values) if values else empty


def _weapons_text(pack: Pack) -> str:
    rows = [[w["id"], w["name"], w["weapon_class"], _list(w["suppliers"]), f"{w['reach_km']:g} km",
             _list(w["aliases"]), (w["source"] or {}).get("url") or (w["source"] or {}).get("document") or "-"]
            for w in weapons(pack)]
    return "WEAPONS (a strike names one by id, name or alias, any case)\n" + table(
        ["id", "name", "class", "suppliers", "reach", "aliases", "source"], rows, max_width=1000)


def _regions_text(pack: Pack) -> str:
    lines = ["REGIONS (by id, name or alias, any case: 'Kursk Oblast', 'Kharkov', 'Kharkiv region')"]
    rows = [[r["id"], r["name"], r["country"] + (" (occupied)" if r["occupied"] else ""), _list(r["borders"]),
             _list(r["aliases"])] for r in regions(pack)]
    lines.append(table(["id", "name", "country", "borders across the front", "aliases"], rows, max_width=1000))
    sourced = [r for r in regions(pack) if r["borders_source"]]
    if sourced:
        lines.append("border sources:")
        lines += [f"  {r['id']}: {r['borders_source'].get('url') or r['borders_source'].get('document')}: "
                  f"\"{r['borders_source']['quote']}\"" for r in sourced]
    return "\n".join(lines)


def _suppliers_text(pack: Pack) -> str:
    rows = [[s["code"], s["name"] or "-", _list(s["aliases"]), _list(s["weapons"]), s["policy"] or "-"]
            for s in suppliers(pack)]
    return ("SUPPLIERS (an ISO 3166 alpha-2 code of any state, or one of these names; the supplier picks the "
            "policy)\n" + table(["code", "name", "aliases", "weapons", "policy"], rows, max_width=1000))


def _targets_text(pack: Pack) -> str:
    rows = [[t["type"], t["category"], _list(t["words"])] for t in targets(pack)]
    return ("TARGET TYPES (a strike names one, or a common word for it; the verdict notes the type chosen)\n"
            + table(["type", "category", "words read as this type"], rows, max_width=1000))


def _policies_text(pack: Pack) -> str:
    rows = [[p["id"], _list(p["suppliers"], "(shared by all)" if p["id"] == COMMON else "-"),
             _list([f"{v['version']} (from {v['effective_from']})" for v in p["versions"]])]
            for p in policies(pack)]
    return "POLICIES (the supplier picks one; 'default' covers suppliers without their own)\n" + table(
        ["policy", "suppliers", "versions"], rows, max_width=1000)


_TEXT: dict[str, Callable[[Pack], str]] = {
    "weapons": _weapons_text, "regions": _regions_text, "suppliers": _suppliers_text, "targets": _targets_text,
    "policies": _policies_text}
