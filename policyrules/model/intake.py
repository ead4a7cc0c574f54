"""One way into a strike: given fields in, the fields a ``ProposedStrike`` holds and the facts rules see out.

Every strike comes in here, however it is given: a plain dict (the engine's fast path), a
``ProposedStrike`` being validated (its Pydantic validator calls :func:`normalise`), a row of
columns, a partly known strike. What needs the catalog is done by one function,
:func:`normalise`, over the registry (:mod:`policyrules.model.dimensions`): catalog names become
ids (``"Himars"`` -> ``himars``), supplier codes are normalised (:func:`supplier_code`), fields a
weapon fixes are filled or checked against it, given derived fields are checked, a weapon's reach
bounds the range. Dates are read by :func:`policyrules.model.dates.parse_date`.

:func:`base` caches that work per catalog and per distinct combination of the non-numeric fields
(:data:`~policyrules.model.dimensions.KEY_FIELDS`): a million strikes over a few thousand
combinations normalise a few thousand times. Pydantic stays the public face: where anything is
wrong, or a value is of a type only Pydantic converts, the fast paths step aside (None) and
``ProposedStrike`` validation words every problem.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .dates import DateError, parse_date
from .dimensions import DERIVED_FIELDS, DIMENSIONS, FACT_FIELDS, FIELDS, KEY_FIELDS, NUMBER_FIELDS, Kind
from .domain import MAX_RANGE_KM
from .errors import Problem, echo
from .slots import private_of

if TYPE_CHECKING:
    from .catalog import Catalog

_CODE = re.compile(r"[A-Za-z]{2}")
_MAX_CACHED = 100_000
_PLAIN = {Kind.CATALOG: (str,), Kind.CODE: (str,), Kind.ENUM: (str,), Kind.BOOL: (bool,)}


def supplier_code(text: str) -> str | None:
    """An ISO 3166 alpha-2 code as given (two ASCII letters, any case, surrounding spaces allowed),
    upper-cased; None for anything else. Only ASCII letters are case-folded: a long s (U+017F) or
    a sharp s (U+00DF) never becomes ``S``."""
    code = text.strip()
    return code.upper() if code.isascii() and _CODE.fullmatch(code) else None


def normalise(catalog: Catalog, data: dict[str, Any], *, partial: bool = False) -> list[Problem]:
    """Check and normalise, in place, what needs the catalog; return the problems found.

    Derived fields given back (a JSON round trip) are taken out of ``data`` and checked against
    what they derive from. Values of a type other than the field's are left alone: Pydantic's
    validation words those. ``partial``: fields left out are unknown, not missing (nothing is
    required)."""
    problems: list[Problem] = []
    given = {f: data.pop(f) for f in DERIVED_FIELDS if f in data}
    ok: set[str] = set()  # fields whose value is checked and normalised
    for name in KEY_FIELDS:
        f, value = FIELDS[name], data.get(name)
        if not isinstance(value, str):
            continue
        if f.kind is Kind.CATALOG:
            found = catalog.lookup(str(f.table), value)
            if found is None:
                problems.append(Problem(name, catalog.unknown(str(f.table), value)))
            elif f.within and f.values is not None and found not in f.values(catalog):
                problems.append(Problem(name, f"{found} is not {f.within}"))
            else:
                data[name] = found
                ok.add(name)
        elif f.kind is Kind.CODE:
            code = supplier_code(value)
            if code is not None:
                data[name] = code
                ok.add(name)
        elif f.kind is Kind.ENUM and f.values is not None and value in f.values(catalog):
            ok.add(name)
    for name in KEY_FIELDS:
        f = FIELDS[name]
        if f.fixed_by is None or f.fixes is None:
            continue
        fixer, value = data.get(f.fixed_by), data.get(name)
        if f.fixed_by in ok:
            allowed = f.fixes(catalog, fixer)
            if value is None:
                data[name] = allowed[0]
            elif name in ok and value not in allowed:
                shown = FIELDS[f.fixed_by].shown(catalog, fixer)
                problems.append(Problem(name, f"{value} contradicts the catalog: {shown} {f.relation} "
                                              + ", ".join(allowed)))
        elif fixer is None and value is None and not f.optional and not partial:
            problems.append(Problem(name, f"required when no {f.fixed_by} is given"))
    for name, value in given.items():
        f = FIELDS[name]
        source = str(f.derived_from)
        if source in ok and f.derive is not None:
            expected = f.derive(catalog, data[source])
            if value != expected:
                problems.append(Problem(name, f"is derived from {source} ({data[source]} {f.relation} {expected}), "
                                              f"not {echo(value, 40)}"))
    for name in NUMBER_FIELDS:
        problem = beyond(catalog, name, data.get(name), data) if name in data and _fixer_ok(name, ok) else None
        if problem is not None:
            problems.append(problem)
    return problems


def _fixer_ok(name: str, ok: set[str]) -> bool:
    owner = DIMENSIONS[FIELDS[name].dimension].bounded_by
    return owner is not None and DIMENSIONS[owner].primary in ok


def beyond(catalog: Catalog, name: str, x: object, data: Mapping[str, Any]) -> Problem | None:
    """A numeric field's value beyond what its bounding field allows (a range beyond the weapon's reach)."""
    f = FIELDS[name]
    owner = DIMENSIONS[f.dimension].bounded_by
    if f.bound is None or owner is None:
        return None
    fixer = DIMENSIONS[owner].primary
    if data.get(fixer) is None or not isinstance(x, (int, float)) or isinstance(x, bool):
        return None
    if isinstance(x, float) and not math.isfinite(x):
        return None
    try:
        limit = f.bound(catalog, data[fixer])
    except KeyError:  # not an id of the catalog: its own problem
        return None
    if x <= limit:
        return None
    try:
        shown = f"{x:.12g}"
    except OverflowError:  # an int too large for a float (and maybe for str())
        shown = f"about 10^{int(int(x).bit_length() * math.log10(2))}"
    return Problem(name, f"{shown} {f.unit} is beyond the {f.bound_name} of "
                         f"{FIELDS[fixer].shown(catalog, data[fixer])} ({limit:g} {f.unit})")


@dataclass(frozen=True, slots=True)
class Base:
    """The non-numeric part of a strike, checked: the model's field values (enums as enums), the
    facts rules see (numbers at 0 until a strike's own are put in), and the bound of each numeric
    field (a weapon's reach)."""

    fields: Mapping[str, Any]
    facts: Mapping[str, Any]
    bounds: Mapping[str, float]
    filled: frozenset[str]  # fields the catalog filled in (a weapon's class and supplier)


def base(catalog: Catalog, values: tuple[Any, ...]) -> Base | None:
    """The checked non-numeric part of a strike with these :data:`KEY_FIELDS` values (in that
    order), or None when only full validation can tell (an odd type, or a problem to word).
    Cached per catalog."""
    cache: dict[tuple[Any, ...], Base | None] = private_of(catalog)["_intake"]  # type: ignore[index]
    try:
        return cache[values]
    except KeyError:
        pass
    except TypeError:  # an unhashable value: Pydantic will say what is wrong with it
        return None
    for name, value in zip(KEY_FIELDS, values, strict=True):
        f = FIELDS[name]
        if value is None:
            if not f.optional and f.fixed_by is None:
                return None
        elif type(value) not in _PLAIN[f.kind]:
            return None  # not cached: 1 == True, and they must not share an entry
    found = _base(catalog, values)
    if len(cache) < _MAX_CACHED:
        cache[values] = found
    return found


def _base(catalog: Catalog, values: tuple[Any, ...]) -> Base | None:
    data = {name: value for name, value in zip(KEY_FIELDS, values, strict=True) if value is not None}
    if normalise(catalog, data):
        return None
    fields: dict[str, Any] = {}
    for name in KEY_FIELDS:
        f, value = FIELDS[name], data.get(name)
        if f.kind is Kind.ENUM and value is not None:
            if f.values is None or value not in f.values(catalog) or f.enum is None:
                return None
            value = f.enum(value)
        elif f.kind is Kind.CODE and value is not None and supplier_code(value) != value:
            return None  # not a code: Pydantic words it
        fields[name] = value
    facts: dict[str, Any] = {}
    for name in FACT_FIELDS:
        f = FIELDS[name]
        if f.derived_from is not None and f.derive is not None:
            facts[name] = f.derive(catalog, data[f.derived_from])
        elif f.kind is Kind.NUMBER:
            facts[name] = 0.0
        else:
            value = data.get(name, f.default)
            facts[name] = value
    bounds = {name: _bound(catalog, name, data) for name in NUMBER_FIELDS}
    filled = frozenset(n for n in KEY_FIELDS if FIELDS[n].fixed_by and values[KEY_FIELDS.index(n)] is None
                       and data.get(n) is not None)
    return Base(fields, facts, bounds, filled)


def _bound(catalog: Catalog, name: str, data: Mapping[str, Any]) -> float:
    """The largest value of numeric field ``name`` the bounding field's value allows (or MAX_RANGE_KM)."""
    f = FIELDS[name]
    owner = DIMENSIONS[f.dimension].bounded_by
    if f.bound is not None and owner is not None:
        fixer = DIMENSIONS[owner].primary
        if data.get(fixer) is not None:
            return f.bound(catalog, data[fixer])
    return MAX_RANGE_KM


def date_of(value: object) -> dt.date | bool | None:
    """A date field's value as a date, None when absent, or False when only full validation can tell."""
    if value is None:
        return None
    if type(value) is str or type(value) is dt.date:
        try:
            return parse_date(value)
        except DateError:
            return False
    return False


def number_of(value: object, bound: float) -> float | None:
    """A numeric field's value as a float within ``0..bound``, or None when only full validation can tell."""
    if type(value) is int and -(2**53) <= value <= 2**53:
        value = float(value)
    if type(value) is not float or not math.isfinite(value) or not 0 <= value <= bound:
        return None
    return value


def parts(data: Mapping[str, Any], catalog: Catalog) -> tuple[dict[str, Any], set[str], dict[str, Any]] | None:
    """A plain dict of a strike's fields as (the model's field values, the fields set, the facts), or
    None when full validation must decide (an unknown key, an odd type, any problem)."""
    if not data.keys() <= _GIVEN:
        return None  # unknown keys, and derived fields given back (they must be checked)
    b = base(catalog, tuple(data.get(name, FIELDS[name].default) for name in KEY_FIELDS))
    if b is None:
        return None
    fields = dict(b.fields)
    facts = dict(b.facts)
    for name in NUMBER_FIELDS:
        x = number_of(data.get(name), b.bounds[name])
        if x is None:
            return None
        fields[name] = facts[name] = x
    for name in _DATES:
        when = date_of(data.get(name))
        if when is False:
            return None
        fields[name] = when
    return fields, set(data) | {f for f in b.filled if fields[f] is not None}, facts


_GIVEN = frozenset(f.name for f in FIELDS.values() if f.given)
_DATES = tuple(f.name for f in FIELDS.values() if f.kind is Kind.DATE)
