"""Classes of strikes in words: how each dimension of a box of classes is described.

A box gives, per dimension, the set of class keys it holds (a key is ``((field, value), ...)``
for the fields rules split), or None where the dimension is free (takes every feasible value,
so a description leaves it out). Each function here words one or two dimensions and is named by
the registry (:data:`policyrules.model.dimensions.DIMENSIONS`): ``US tube or rocket artillery,
Belgorod, self-defense of Kharkiv, military target, range <= 80 km``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .domain import WeaponClass
from .intervals import Interval, spans

if TYPE_CHECKING:
    from .catalog import Catalog
    from .dimensions import Dimension

Key = tuple[tuple[str, Any], ...]
Shown = Mapping[str, frozenset[Key] | None]
COUNTRY_NAMES = {"UA": "Ukraine", "RU": "Russia"}
OTHER_CODE = "*"


def join_or(words: Sequence[str], conj: str = "or") -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + f" {conj} " + words[-1]


def join_kinds(words: Sequence[str]) -> str:
    """``tube artillery``, ``rocket artillery`` -> ``tube or rocket artillery``."""
    tails = {w.rsplit(" ", 1)[-1] for w in words}
    if len(words) > 1 and len(tails) == 1 and all(" " in w for w in words):
        return join_or([w.rsplit(" ", 1)[0] for w in words]) + " " + tails.pop()
    return join_or(words)


def region_name(region_id: str) -> str:
    return region_id.replace("_", " ").replace("-", " ").title()


def values_of(keys: Iterable[Key], field: str) -> list[Any]:
    """The values ``field`` takes in ``keys``, in first-seen order."""
    return list(dict.fromkeys(dict(k)[field] for k in keys if field in dict(k)))


def key_order(key: Key) -> tuple[Any, ...]:
    """A sort order of class keys (intervals by their lower end, after a number's "not given" class)."""
    return tuple((f, (1, v.lo, not v.lo_closed, "") if isinstance(v, Interval) else (0, 0.0, False, str(v)))
                 for f, v in key)


def sorted_keys(keys: Iterable[Key]) -> list[Key]:
    return sorted(keys, key=key_order)


def weapon(_: Dimension, shown: Shown, every: Mapping[str, frozenset[Key]], catalog: Catalog,
           label: str) -> list[str]:
    """``US tube or rocket artillery``; ``weapon other than glide bomb``; ``US HIMARS``."""
    keys, all_keys = shown["weapon"], every["weapon"]
    if keys is None:
        return []
    classes = [c.value for c in WeaponClass]
    if all(len(k) == 1 and k[0][0] == "weapon_class" for k in all_keys) and len(keys) > 3 and \
            len(all_keys - keys) < len(keys):  # most classes: name the others
        others = sorted((str(k[0][1]) for k in all_keys - keys), key=classes.index)
        return [(f"{label} " if label else "") + "weapon other than " +
                join_kinds([c.replace("_", " ") for c in others])]
    by_supplier: dict[str, list[str]] = {}
    for k in sorted(keys, key=lambda k: (classes.index(dict(k).get("weapon_class") or classes[0]), key_order(k))):
        d = dict(k)
        sup = d.get("supplier", label)
        who = "no supplier's" if sup is None else "other suppliers'" if sup == OTHER_CODE else sup
        item = catalog.weapon_by_id(d["weapon"]).name if d.get("weapon") else \
            str(d["weapon_class"]).replace("_", " ") if "weapon_class" in d else \
            "unnamed weapon" if "weapon" in d else "weapon"
        by_supplier.setdefault(who, []).append(item)
    return [" or ".join((f"{who} " if who else "") + join_kinds(list(dict.fromkeys(items)))
                        for who, items in by_supplier.items())]


def target(_: Dimension, shown: Shown, __: Mapping[str, frozenset[Key]], catalog: Catalog, ___: str) -> list[str]:
    """``Belgorod``; ``anywhere in Russia``; ``Russia except Kursk``; ``in Ukraine``."""
    keys = shown["target"]
    if keys is None:
        return []
    regions = values_of(keys, "target_region")
    if not regions:
        return ["in " + join_or([COUNTRY_NAMES.get(c, c) for c in sorted(values_of(keys, "target_country"))])]
    parts = []
    for country in dict.fromkeys(catalog.region_by_id(r).country for r in regions):
        mine = [r.id for r in catalog.regions if r.country == country]
        chosen = [r for r in mine if r in regions]
        name = COUNTRY_NAMES.get(country, country)
        missing = [r for r in mine if r not in chosen]
        if not missing:
            parts.append(f"anywhere in {name}")
        elif len(chosen) > 3 and len(missing) < len(chosen):
            parts.append(f"{name} except {join_or([region_name(r) for r in missing], 'and')}")
        else:
            parts.append(join_or([region_name(r) for r in chosen]))
    return [" or ".join(parts)]


def target_type(_: Dimension, shown: Shown, __: Mapping[str, frozenset[Key]], ___: Catalog,
                ____: str) -> list[str]:
    """``target: artillery or troops``; ``military target``."""
    keys = shown["target_type"]
    if keys is None:
        return []
    types = values_of(sorted_keys(keys), "target_type")
    if types:
        return ["target: " + join_or([str(t).replace("_", " ") for t in types])]
    cats = values_of(sorted_keys(keys), "target_category")
    return [join_or([str(c).replace("_", "-") for c in cats]) + " target"]


def defense(_: Dimension, shown: Shown, every: Mapping[str, frozenset[Key]], __: Catalog, ___: str) -> list[str]:
    """Self-defense and the defended region together: ``self-defense of Kharkiv``."""
    sd, defended = shown["self_defense"], shown["defended_region"]
    flags = values_of(sd, "self_defense") if sd is not None else []
    regions = values_of(sorted_keys(defended), "defended_region") if defended is not None else []
    others = values_of(sorted_keys(every["defended_region"] - defended), "defended_region") \
        if defended is not None else []
    if len(regions) > 3 and len(others) < len(regions):  # most regions: name the others
        whom = join_or([region_name(r) if r is not None else "no region" for r in others])
        return [f"self-defense not of {whom}" if flags == [True] else
                ("not self-defense, " if flags == [False] else "") + f"not defending {whom}"]
    named = [region_name(r) for r in regions if r is not None]
    whom = join_or(named) if named else ""
    if None in regions:
        whom = (whom + " or " if whom else "") + "no defended region"
    if flags == [True] and named and None not in regions:
        return [f"self-defense of {whom}"]
    out = ["self-defense" if flags == [True] else "not self-defense"] if len(flags) == 1 else []
    if whom:
        out.append(f"defending {whom}" if named and None not in regions else whom)
    return out


def numbers(d: Dimension, shown: Shown, _: Mapping[str, frozenset[Key]], __: Catalog, ___: str) -> list[str]:
    """A numeric dimension by its name and unit: ``range <= 80 km``; ``range > 80 and <= 150 km``."""
    keys = shown[d.name]
    if keys is None:
        return []
    values = [dict(k)[d.primary] for k in keys if k]
    ivs = [v for v in values if v is not None]
    words = [f"{d.name} " + " or ".join(str(s) for s in spans(ivs)) + (f" {d.unit}" if d.unit else "")] if ivs else []
    if None in values:  # the class of strikes that leave an optional number out
        words.append(f"{d.name} not given")
    return [" or ".join(words)]
