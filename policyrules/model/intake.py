"""Fast validation of the common case: a plain dict of well-formed strike fields.

Full validation (Pydantic plus the catalog, :mod:`policyrules.model.strike`) costs about 25 us; most
strikes are plain dicts of strings, a bool, a number and a date that need none of its
machinery. The functions here accept only what :class:`ProposedStrike` accepts, normalise it
the same way, and build the same strike; anything else (an odd type, a near-miss name, an
unknown key) returns None and goes through full validation, which gives the strike or the
exact error. ``tests/test_quick.py`` and ``tests/test_columnar.py`` check the equivalence.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from typing import Any

from .catalog import Catalog
from .domain import MAX_RANGE_KM, TargetType, WeaponClass
from .slots import construct, private_of
from .strike import _DATE_TEXT, MAX_DATE, MIN_DATE, ProposedStrike

_CLASSES: dict[Any, WeaponClass] = {c.value: c for c in WeaponClass}
_TYPES: dict[Any, TargetType] = {t.value: t for t in TargetType}
_SUPPLIER = re.compile(r"[A-Z]{2}")
_FIELDS = frozenset(ProposedStrike.model_fields)
_FILLED = ("weapon_class", "supplier")
_MAX_CACHED = 100_000
_TEXT_OR_NONE = frozenset({str, type(None)})
_DAYS: dict[str, dt.date] = {}


def base_fields(catalog: Catalog, weapon: Any, wclass: Any, supplier: Any, region_name: Any, ttype: Any,
                self_defense: Any, defended: Any) -> tuple[dict[str, Any], dict[str, Any], float] | None:
    """(strike fields, facts, reach) for the fields other than range and date, or None. The
    dicts are fresh copies: the caller may add to them."""
    key = (weapon, wclass, supplier, region_name, ttype, self_defense, defended)
    # Cached only for plain str / None inputs and a real bool: 1 == True must not share an entry.
    plain = type(self_defense) is bool and _TEXT_OR_NONE.issuperset(
        (type(weapon), type(wclass), type(supplier), type(region_name), type(ttype), type(defended)))
    cache: dict[tuple[Any, ...], Any] = private_of(catalog)["_quick"]  # type: ignore[index]
    found = cache.get(key) if plain else None
    if found is None:
        found = _base_fields(catalog, *key)
        if found is None:
            return None
        if plain and len(cache) < _MAX_CACHED:
            cache[key] = found
    fields, facts, reach = found
    return dict(fields), dict(facts), reach


def _base_fields(catalog: Catalog, weapon: Any, wclass: Any, supplier: Any, region_name: Any, ttype: Any,
                 self_defense: Any, defended: Any) -> tuple[dict[str, Any], dict[str, Any], float] | None:
    w = None
    if weapon is not None and (type(weapon) is not str or (w := catalog.weapon(weapon)) is None):
        return None
    if wclass is None:
        if w is None:
            return None
        wc = w.weapon_class
    else:
        if type(wclass) not in (str, WeaponClass) or (found := _CLASSES.get(wclass)) is None:
            return None
        wc = found
        if w is not None and wc is not w.weapon_class:
            return None
    if supplier is None:
        sup = w.supplier if w is not None else None
    else:
        if type(supplier) is not str:
            return None
        sup = supplier.strip().upper()
        if not _SUPPLIER.fullmatch(sup) or (w is not None and sup not in w.suppliers):
            return None
    if type(region_name) is not str or (region := catalog.region(region_name)) is None:
        return None
    if type(ttype) not in (str, TargetType) or (tt := _TYPES.get(ttype)) is None:
        return None
    if type(self_defense) is not bool:
        return None
    dr = None
    if defended is not None:
        if type(defended) is not str or (d := catalog.region(defended)) is None or d.country != "UA":
            return None
        dr = d.id
    fields = {"weapon": w.id if w else None, "weapon_class": wc, "supplier": sup, "target_region": region.id,
              "target_type": tt, "self_defense": self_defense, "defended_region": dr}
    facts = {"weapon": fields["weapon"], "weapon_class": wc.value, "supplier": sup, "target_region": region.id,
             "target_type": tt.value, "self_defense": self_defense, "defended_region": dr, "range_km": 0.0,
             "target_country": region.country, "target_category": tt.category.value}
    return fields, facts, w.reach_km if w else MAX_RANGE_KM


def day(value: Any) -> dt.date | bool | None:
    """A date field's value, or False when only full validation can tell."""
    if value is None:
        return None
    if type(value) is str:
        known = _DAYS.get(value)
        if known is not None:
            return known
        if not _DATE_TEXT.fullmatch(value):
            return False
        try:
            parsed = dt.date.fromisoformat(value)
        except ValueError:
            return False
        if not MIN_DATE <= parsed <= MAX_DATE:
            return False
        if len(_DAYS) < _MAX_CACHED:
            _DAYS[value] = parsed
        return parsed
    if type(value) is dt.date and MIN_DATE <= value <= MAX_DATE:
        return value
    return False


def strike(data: Mapping[str, Any], catalog: Catalog) -> ProposedStrike | None:
    """The strike full validation would build from ``data``, or None when it must decide."""
    if not data.keys() <= _FIELDS:  # unknown keys, and the derived fields (not model fields)
        return None
    base = base_fields(catalog, data.get("weapon"), data.get("weapon_class"), data.get("supplier"),
                       data.get("target_region"), data.get("target_type"), data.get("self_defense", False),
                       data.get("defended_region"))
    if base is None:
        return None
    fields, facts, reach = base
    r = data.get("range_km")
    if type(r) is int and -(2**53) <= r <= 2**53:
        r = float(r)
    if type(r) is not float or not math.isfinite(r) or not 0 <= r <= reach:
        return None
    when = day(data.get("date"))
    if when is False:
        return None
    fields["range_km"] = r
    fields["date"] = when
    facts["range_km"] = r
    return construct(ProposedStrike, fields, set(data) | {f for f in _FILLED if fields[f] is not None},
                     {"_country": facts["target_country"], "_catalog": catalog, "_facts": facts})
