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
import itertools
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from .catalog import did_you_mean
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
_GIVEN = frozenset(f.name for f in FIELDS.values() if f.given)
(DATE,) = (f.name for f in FIELDS.values() if f.kind is Kind.DATE)  # the one date: it picks the policy version
_PICKER = next(f.name for f in FIELDS.values() if f.picks_policy)
_serials = itertools.count()


def supplier_code(text: str) -> str | None:
    """An ISO 3166 alpha-2 code as given (two ASCII letters, any case, surrounding spaces allowed),
    upper-cased; None for anything else. Only ASCII letters are case-folded: a long s (U+017F) or
    a sharp s (U+00DF) never becomes ``S``."""
    code = text.strip()
    return code.upper() if code.isascii() and _CODE.fullmatch(code) else None


def normalise(catalog: Catalog, data: dict[str, Any], *, partial: bool = False,
              read_as: dict[str, str] | None = None) -> list[Problem]:
    """Check and normalise, in place, what needs the catalog; return the problems found.

    Derived fields given back (a JSON round trip) are taken out of ``data`` and checked against
    what they derive from. Values of a type other than the field's are left alone: Pydantic's
    validation words those. ``partial``: fields left out are unknown, not missing (nothing is
    required). ``read_as`` collects the fields given as a common word, with the word ("refinery")."""
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
            code = catalog.country_code(value) or supplier_code(value)
            if code is not None:
                data[name] = code
                ok.add(name)
            elif len(value.strip()) > 2:  # not a code: a name the catalog does not have
                problems.append(Problem(name, _unknown_country(catalog, value)))
        elif f.kind is Kind.ENUM and f.values is not None and value in f.values(catalog):
            ok.add(name)
        elif f.kind is Kind.ENUM and f.values is not None and f.words is not None:
            found = f.words(catalog, value)
            if found is not None:
                data[name] = found
                ok.add(name)
                if read_as is not None and found != value:
                    read_as[name] = value
            else:
                suggestion = catalog.suggest_target_type(value)
                problems.append(Problem(name, f"unknown {f.noun} {echo(value, 40)}{did_you_mean(suggestion, value)}; "
                                              f"known: {', '.join(f.values(catalog))} (or a common word for one: "
                                              "policyrules catalog targets)"))
    for name in KEY_FIELDS:
        f = FIELDS[name]
        if f.fixed_by is None or f.fixes is None:
            continue
        fixer, value = data.get(f.fixed_by), data.get(name)
        if f.fixed_by in ok:
            allowed = f.fixes(catalog, fixer)
            if value is None and len(allowed) == 1:
                data[name] = allowed[0]
            elif value is None and not partial:  # several: the catalog cannot choose (the supplier picks the policy)
                shown = FIELDS[f.fixed_by].shown(catalog, fixer)
                problems.append(Problem(name, f"{shown} {f.relation} {', '.join(allowed)}: name the {name}"))
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


def _unknown_country(catalog: Catalog, text: str) -> str:
    names = ", ".join(sorted(c.name for c in catalog.countries))
    return (f"unknown supplier {echo(text, 40)}{did_you_mean(catalog.suggest_country(text), text)}: give an "
            f"ISO 3166 alpha-2 code (GB, NL) or a country name" + (f" ({names})" if names else ""))


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
    field (a weapon's reach). ``serial`` is unique per Base made in this process (a cache key);
    ``picker`` is the value of the field that picks the policy (the supplier)."""

    fields: Mapping[str, Any]
    facts: Mapping[str, Any]
    # How the strike was given and what follows from the two above: not part of what it is.
    bounds: Mapping[str, float] = field(compare=False)
    filled: frozenset[str] = field(compare=False)  # fields the catalog filled in (a weapon's class and supplier)
    serial: int = field(compare=False)
    picker: str | None = field(compare=False)
    limits: tuple[float, ...] = field(compare=False)  # the bounds in NUMBER_FIELDS order
    # Fields given as a common word, as (field, the word, the value it was read as): the verdict notes them.
    read_as: tuple[tuple[str, str, str], ...] = field(default=(), compare=False)


def base(catalog: Catalog, values: tuple[Any, ...]) -> Base | None:
    """The checked non-numeric part of a strike with these :data:`KEY_FIELDS` values (in that
    order), or None when only full validation can tell (an odd type, or a problem to word).
    Cached per catalog."""
    for name, value in zip(KEY_FIELDS, values, strict=True):
        f = FIELDS[name]
        if value is None:
            if not f.optional and f.fixed_by is None:
                return None
        elif not isinstance(value, _PLAIN[f.kind]) or (f.kind is Kind.BOOL and type(value) is not bool):
            return None  # an odd type (1 == True: they must not share an entry): Pydantic decides
    cache: dict[tuple[Any, ...], Base | None] = private_of(catalog)["_intake"]  # type: ignore[index]
    try:
        return cache[values]
    except KeyError:
        pass
    except TypeError:  # an unhashable value: Pydantic will say what is wrong with it
        return None
    found = _base(catalog, values)
    if len(cache) < _MAX_CACHED:
        cache[values] = found
    return found


def _base(catalog: Catalog, values: tuple[Any, ...]) -> Base | None:
    data = {name: value for name, value in zip(KEY_FIELDS, values, strict=True) if value is not None}
    read: dict[str, str] = {}
    if normalise(catalog, data, read_as=read):
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
    limits = tuple(bounds[name] for name in NUMBER_FIELDS)
    if len(_LIMITS) < 4096:  # one tuple per distinct bounds (a few): the hot paths read it per strike
        limits = _LIMITS.setdefault(limits, limits)
    return Base(fields, facts, bounds, filled, next(_serials), fields[_PICKER], limits, read_as_of(read, data))


# Distinct limits tuples (a few: one per weapon reach), shared by the Bases that have them.
_LIMITS: dict[tuple[float, ...], tuple[float, ...]] = {}


def read_as_of(read: Mapping[str, str], data: Mapping[str, Any]) -> tuple[tuple[str, str, str], ...]:
    """``read`` (field -> the word given) with the value each word was read as."""
    return tuple((name, word, str(data[name])) for name, word in read.items())


def read_as_notes(b: Base) -> tuple[str, ...]:
    """What a strike's words were read as, for its verdict (``target_type: 'refinery' read as
    energy_infrastructure``)."""
    return tuple(f"{name}: {echo(word, 40)} read as {value}" for name, word, value in b.read_as)


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


# The hot path ------------------------------------------------------------------------------
#
# A plain dict is looked up by its *key*: its length and the value (or absence) of every given
# field but the numbers, plus whether each optional number is there. Two dicts with one key have
# the same known fields with the same values and no unknown key (a dict with an unknown key has
# one known field fewer for the same length, which the key shows, or lacks a required number, which
# :func:`numbers_of` refuses). What a key stands for is checked once per catalog (:func:`learn`).

ABSENT: Any = type("Absent", (), {"__repr__": lambda _: "ABSENT", "__slots__": ()})()
_OPTIONAL_NUMBERS = tuple(n for n in NUMBER_FIELDS if FIELDS[n].optional)


def _key_source() -> str:
    """The source of :func:`key_of`, written from the registry (field names only: nothing from input)."""
    lines = ["def key_of(d):", "    g = d.get"]
    parts = ["len(d)"]
    for i, name in enumerate((*KEY_FIELDS, DATE)):
        get = f"g({name!r}, M)"
        if FIELDS[name].kind is Kind.BOOL:  # 1 == True: an int must not find a bool's entry
            lines += [f"    k{i} = {get}", f"    if k{i} is not M and k{i}.__class__ is not bool:",
                      "        return None"]
            get = f"k{i}"
        parts.append(get)
    parts += [f"({name!r} in d)" for name in _OPTIONAL_NUMBERS]
    lines.append(f"    return ({', '.join(parts)},)")
    return "\n".join(lines) + "\n"


def number_lines() -> list[str]:
    """Source lines reading a dict ``d``'s numbers into ``x0``, ``x1``, ... (None for an absent optional
    one), each a float within ``limits[i]``, returning None when one is not; for generated fast paths.
    ``numbers`` is then the source of the tuple of them."""
    lines = ["    g = d.get"]
    for i, name in enumerate(NUMBER_FIELDS):
        check = [f"    if x{i}.__class__ is not float or not 0.0 <= x{i} <= limits[{i}]:",
                 f"        x{i} = number_of(x{i}, limits[{i}])", f"        if x{i} is None:", "            return None"]
        lines.append(f"    x{i} = g({name!r})")
        lines += [f"    if x{i} is not None:", *("    " + c for c in check)] if FIELDS[name].optional else check
    return lines


#: The source of the tuple of the numbers :func:`number_lines` reads.
NUMBERS = f"({''.join(f'x{i}, ' for i in range(len(NUMBER_FIELDS)))})"


def _numbers_source() -> str:
    """The source of :func:`numbers_of`."""
    return "\n".join(["def numbers_of(d, limits):", *number_lines(), f"    return {NUMBERS}"]) + "\n"


def _compiled(source: str, name: str) -> Any:
    namespace: dict[str, Any] = {"M": ABSENT, "number_of": number_of}
    exec(compile(source, f"<policyrules {name}>", "exec"), namespace)  # noqa: S102 - registry names only
    return namespace[name]


#: ``key_of(data)``: the key of a plain dict of a strike's fields (see above), or None when a value
#: has a type only full validation can judge.
key_of: Callable[[Mapping[str, Any]], tuple[Any, ...] | None] = _compiled(_key_source(), "key_of")
#: ``numbers_of(data, limits)``: its numbers in NUMBER_FIELDS order, each within its limit, or None.
numbers_of: Callable[[Mapping[str, Any], tuple[float, ...]], tuple[float | None, ...] | None] = \
    _compiled(_numbers_source(), "numbers_of")


def learn(catalog: Catalog, data: Mapping[str, Any], key: tuple[Any, ...]) -> tuple[Base, dt.date | None] | None:
    """What a key stands for (see :func:`key_of`): the checked Base and the date of every dict with it,
    or None when full validation must decide. Cached per catalog."""
    cache: dict[tuple[Any, ...], tuple[Base, dt.date | None] | Literal[False]] = \
        private_of(catalog)["_keys"]  # type: ignore[index]
    try:
        found = cache.get(key)
    except TypeError:  # an unhashable value: full validation says what is wrong with it
        return None
    if found is None:
        found = _learn(catalog, data, key) or False
        if len(cache) < _MAX_CACHED:
            cache[key] = found
    return found or None


def _learn(catalog: Catalog, data: Mapping[str, Any], key: tuple[Any, ...]) -> tuple[Base, dt.date | None] | None:
    if not _GIVEN.issuperset(data):
        return None  # unknown keys, and derived fields given back (they must be checked)
    n = len(KEY_FIELDS)
    b = base(catalog, tuple(FIELDS[name].default if v is ABSENT else v
                            for name, v in zip(KEY_FIELDS, key[1:1 + n], strict=True)))
    raw = key[1 + n]
    day = None if raw is ABSENT or raw is None else date_of(raw)
    return None if b is None or day is False else (b, day)  # type: ignore[return-value]


Quick = tuple[Base, tuple[float | None, ...], dt.date | None, tuple[str, ...]]


def given_keys(key: tuple[Any, ...]) -> tuple[str, ...]:
    """The fields a dict with this key (:func:`key_of`) gives: those not absent, and its numbers."""
    n = len(KEY_FIELDS)
    out = [name for name, v in zip((*KEY_FIELDS, DATE), key[1:2 + n], strict=True) if v is not ABSENT]
    present = dict(zip(_OPTIONAL_NUMBERS, key[2 + n:], strict=True))
    out += [name for name in NUMBER_FIELDS if present.get(name, True)]
    return tuple(out)


def quick(data: Mapping[str, Any], catalog: Catalog) -> Quick | None:
    """A plain dict of a strike's fields, checked, as (its Base, its numbers in NUMBER_FIELDS order,
    its date, its keys), or None when full validation must decide."""
    key = key_of(data)
    found = learn(catalog, data, key) if key is not None else None
    if found is None:
        return None
    b, day = found
    numbers = numbers_of(data, b.limits)
    return None if numbers is None else (b, numbers, day, tuple(data))


def parts(data: Mapping[str, Any], catalog: Catalog,
          ) -> tuple[dict[str, Any], set[str], dict[str, Any], Base] | None:
    """A plain dict of a strike's fields as (the model's field values, the fields set, the facts, its
    Base), or None when full validation must decide (an unknown key, an odd type, any problem)."""
    found = quick(data, catalog)
    if found is None:
        return None
    b, numbers, day, keys = found
    return strike_parts(b, numbers, day, keys)


def strike_parts(b: Base, numbers: tuple[float | None, ...], day: dt.date | None,
                 keys: Iterable[str]) -> tuple[dict[str, Any], set[str], dict[str, Any], Base]:
    """(the model's field values, the fields set, the facts, the Base) of a strike checked by
    :func:`quick`, whose given fields were ``keys``."""
    fields = dict(b.fields)
    facts = dict(b.facts)
    for name, x in zip(NUMBER_FIELDS, numbers, strict=True):
        fields[name] = facts[name] = x
    fields[DATE] = day
    return fields, {*keys, *b.filled}, facts, b
