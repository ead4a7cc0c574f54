"""The catalog: weapons (class, suppliers, reach), regions (country, borders, aliases), the names of
supplying countries and the common words for target types.

Lookups are case-insensitive on ids, names and aliases (runs of spaces count as one), and suggest
near misses. They
never accept a look-alike: text that Unicode compatibility normalisation (NFKC) would
change (fullwidth ``ｂｅｌｇｏｒｏｄ``, the Kelvin sign in ``Kursk``) names nothing, and a
Cyrillic ``е`` is not a Latin ``e``; both get a "did you mean" naming the odd characters.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import json
import re
import unicodedata
from collections.abc import Callable, Iterable
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from .domain import MAX_RANGE_KM, TargetType, WeaponClass
from .errors import echo
from .slots import private_of
from .sources import Source

_ID = r"^[a-z0-9][a-z0-9_-]*$"


class Weapon(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=_ID, max_length=100)
    name: str = Field(min_length=1, max_length=200)
    aliases: tuple[Annotated[str, Field(min_length=1, max_length=200)], ...] = ()
    weapon_class: WeaponClass
    suppliers: tuple[str, ...] = Field(min_length=1)
    reach_km: float = Field(gt=0, le=MAX_RANGE_KM, allow_inf_nan=False)
    source: Source | None = None
    #: Where each supplier's delivery is on record (supplier code -> source); every key is a supplier.
    supplier_sources: dict[str, Source] = Field(default_factory=dict)
    note: str | None = None

    @model_validator(mode="after")
    def _sourced_suppliers(self) -> Weapon:
        stray = sorted(set(self.supplier_sources) - set(self.suppliers))
        if stray:
            raise ValueError(f"supplier_sources names {stray[0]!r}, which is not one of the suppliers "
                             f"({', '.join(self.suppliers)})")
        return self

    @field_validator("suppliers")
    @classmethod
    def _alpha2(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for s in v:
            if not re.fullmatch(r"[A-Z]{2}", s):
                raise ValueError(f"supplier {s!r} is not an ISO 3166 alpha-2 code (two capitals)")
        return v

    @property
    def supplier(self) -> str:
        """The default supplier filled into a strike that names this weapon."""
        return self.suppliers[0]


_Label = Annotated[str, Field(min_length=1, max_length=200)]


class Region(BaseModel):
    """A region: its display name, the other names people use for it (spellings, transliterations,
    "X region"), and the regions of the other country it borders across the front, with a source."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=_ID, max_length=100)
    name: str = Field(min_length=1, max_length=200)
    aliases: tuple[_Label, ...] = ()
    country: Literal["UA", "RU"]
    occupied: bool = False
    borders: tuple[str, ...] = ()
    borders_source: Source | None = None
    note: str | None = None


class Country(BaseModel):
    """A supplying state's ISO 3166 alpha-2 code and the names people call it by."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(pattern=r"^[A-Z]{2}$")
    name: str = Field(min_length=1, max_length=200)
    aliases: tuple[_Label, ...] = ()


class TargetWords(BaseModel):
    """Common words for one fixed target type ("command post" for ``command_center``): each word
    names this type only."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    type: TargetType
    words: tuple[_Label, ...] = ()
    note: str | None = None


def _key(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).split()).casefold()


def _lookup_key(text: str) -> str | None:
    """The index key of ``text`` typed by a user, or None for a compatibility look-alike."""
    if not text.isascii() and not unicodedata.is_normalized("NFKC", text):
        return None  # before spaces are read: a no-break space is a look-alike of a space
    text = " ".join(text.split())
    if text.isascii():
        return text.lower()
    folded = []
    for c in text:  # no case folding onto ASCII: a Turkish dotted I or a sharp s never becomes i or ss
        f = c.lower() if c.isascii() else c.casefold()
        if not c.isascii() and any(x.isascii() for x in f):
            return None
        folded.append(f)
    return "".join(folded)


def _index(entries: Iterable[tuple[str, Iterable[str]]], what: str) -> dict[str, str]:
    """Every label's key -> the id it names; a label naming two entries is refused."""
    names: dict[str, str] = {}
    for entry_id, labels in entries:
        for label in labels:
            k = _key(label)
            if k in names and names[k] != entry_id:
                raise ValueError(f"{what} name or alias {label!r} is used by both {names[k]} and {entry_id}")
            names[k] = entry_id
    return names


#: Up to this many known values, an error for an unknown one lists them all; above, the closest.
FEW = 20


class Catalog(BaseModel):
    """Weapons and regions, with name lookups. Built from ``catalog.yaml``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    weapons: tuple[Weapon, ...] = Field(min_length=1)
    regions: tuple[Region, ...] = Field(min_length=1)
    #: The date up to which the pack's sources were last reviewed: verdicts on later dates say so,
    #: and ``check`` warns when it is long past. Not part of the digest (it changes no strike).
    reviewed: dt.date | None = None
    countries: tuple[Country, ...] = ()
    target_types: tuple[TargetWords, ...] = ()

    _weapon_index: dict[str, str] = PrivateAttr(default_factory=dict)
    _region_index: dict[str, str] = PrivateAttr(default_factory=dict)
    _country_index: dict[str, str] = PrivateAttr(default_factory=dict)
    _word_index: dict[str, str] = PrivateAttr(default_factory=dict)
    _weapons_by_id: dict[str, Weapon] = PrivateAttr(default_factory=dict)
    _regions_by_id: dict[str, Region] = PrivateAttr(default_factory=dict)
    # A digest of the content: catalogs with equal content are interchangeable (strikes checked
    # against one need no new check against the other).
    _digest: str = PrivateAttr(default="")
    # Strike intake's results by input, for this catalog (policyrules.model.intake, bounded there).
    _intake: dict[tuple[Any, ...], Any] = PrivateAttr(default_factory=dict)
    _keys: dict[tuple[Any, ...], Any] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> Catalog:
        names = _index(((w.id, (w.id, w.name, *w.aliases)) for w in self.weapons), "weapon")
        ids = [r.id for r in self.regions]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"duplicate region id {dup[0]!r}")
        by_id = {r.id: r for r in self.regions}
        for r in self.regions:
            for b in r.borders:
                other = by_id.get(b)
                if other is None:
                    raise ValueError(f"region {r.id}: borders names unknown region {b!r}")
                if other.country == r.country:
                    raise ValueError(f"region {r.id}: borders lists {b}, which is in the same country")
                if r.id not in other.borders:
                    raise ValueError(f"region {r.id}: borders lists {b}, but {b} does not list {r.id}")
        regions = _index(((r.id, (r.id, r.name, *r.aliases)) for r in self.regions), "region")
        codes = [c.code for c in self.countries]
        dup = sorted({c for c in codes if codes.count(c) > 1})
        if dup:
            raise ValueError(f"duplicate country code {dup[0]!r}")
        countries = _index(((c.code, (c.name, *c.aliases)) for c in self.countries), "country")
        clash = sorted(k for k in countries if k.upper() in codes and k.upper() != countries[k])
        if clash:  # names are looked up before codes: a name that is another state's code would hide it
            raise ValueError(f"country name or alias {clash[0]!r} is the code of another country")
        types = [t.type for t in self.target_types]
        dup = sorted({str(t) for t in types if types.count(t) > 1})
        if dup:
            raise ValueError(f"target type {dup[0]!r} is listed twice")
        words = _index(((t.type.value, t.words) for t in self.target_types), "target type")
        for t in self.target_types:
            for w in t.words:
                if _key(w) in {x.value for x in TargetType} and _key(w) != t.type.value:
                    raise ValueError(f"target type word {w!r} of {t.type} is the name of another type")
        self._weapon_index = names
        self._region_index = regions
        self._country_index = countries
        self._word_index = words
        self._weapons_by_id = {w.id: w for w in self.weapons}
        self._regions_by_id = by_id
        content = json.dumps(self.model_dump(mode="json", exclude={"reviewed"}), sort_keys=True, ensure_ascii=False)
        self._digest = hashlib.sha256(content.encode()).hexdigest()
        return self

    @property
    def digest(self) -> str:
        """SHA-256 of the content (weapons and regions): equal digests, interchangeable catalogs."""
        return (private_of(self) or {})["_digest"]  # type: ignore[no-any-return]

    def __eq__(self, other: object) -> bool:
        """Catalogs are equal when their weapons and regions are: indexes and caches do not count."""
        if not isinstance(other, Catalog):
            return NotImplemented
        return self.digest == other.digest

    def __hash__(self) -> int:
        return hash(self.digest)

    # Lookups -----------------------------------------------------------------------------

    def weapon(self, name: str) -> Weapon | None:
        """The weapon with this id, name or alias (case-insensitive), or None."""
        private = private_of(self) or {}  # plain dict access: hot path
        key = _lookup_key(name)
        wid = private["_weapon_index"].get(key) if key is not None else None
        weapon: Weapon | None = private["_weapons_by_id"][wid] if wid is not None else None
        return weapon

    def region(self, name: str) -> Region | None:
        """The region with this id, name or alias (case-insensitive), or None."""
        key = _lookup_key(name)
        if key is None:
            return None
        private = private_of(self) or {}
        rid = private["_region_index"].get(key)
        return private["_regions_by_id"][rid] if rid is not None else None

    def country_code(self, name: str) -> str | None:
        """The ISO code of the supplying state named ``name`` (a name or alias, case-insensitive), or None."""
        key = _lookup_key(name)
        return (private_of(self) or {})["_country_index"].get(key) if key is not None else None

    def country_name(self, code: str) -> str | None:
        """The name of the state with this ISO code, when the catalog has it."""
        return next((c.name for c in self.countries if c.code == code), None)

    def target_word(self, word: str) -> str | None:
        """The fixed target type a common word names ("command post" -> ``command_center``): the type's
        own name in any case, or one of its words; None when no type or more than one would fit."""
        key = _lookup_key(word)
        if key is None:
            return None
        if key.replace(" ", "_") in _TYPES:
            return key.replace(" ", "_")
        return (private_of(self) or {})["_word_index"].get(key)  # type: ignore[no-any-return]

    def lookup(self, table: str, text: str) -> str | None:
        """The id of the ``table`` entry (``weapon`` or ``region``) named by ``text``, or None."""
        if table == "weapon":
            found = self.weapon(text)
            return found.id if found is not None else None
        region = self.region(text)
        return region.id if region is not None else None

    def unknown(self, table: str, text: str) -> str:
        """The message for a name ``table`` does not have: ``unknown weapon 'x' (did you mean 'y'?)``,
        then every known value when there are few, else the closest ones."""
        if table == "weapon":
            suggestion, labels = self.suggest_weapon(text), {w.id: w.name for w in self.weapons}
        else:
            suggestion, labels = self.suggest_region(text), {r.id: r.name for r in self.regions}
        index = self._weapon_index if table == "weapon" else self._region_index
        head = f"unknown {table} {echo(text, 40)}{did_you_mean(suggestion, text)}; "
        return head + listing(table, text, labels, index)

    def labels(self, table: str) -> dict[str, str]:
        """Every label of a ``table`` (weapon, region, country, target type) by its key -> the label."""
        if table == "weapon":
            return {_key(x): x for w in self.weapons for x in (w.id, w.name, *w.aliases)}
        if table == "region":  # a name or alias equal to the id (any case) is suggested as the id
            out: dict[str, str] = {}
            for r in self.regions:
                for x in (r.id, r.name, *r.aliases):
                    out.setdefault(_key(x), x)
            return out
        if table == "country":
            return {_key(x): x for c in self.countries for x in (c.name, *c.aliases)}
        return {_key(x): x for t in self.target_types for x in t.words}

    def spellings(self, table: str, entry_id: str) -> tuple[str, ...]:
        """Every way a strike may name a ``table`` entry: its id, name and aliases, sorted."""
        if table == "weapon":
            w = self.weapon_by_id(entry_id)
            return tuple(sorted({w.id, w.name, *w.aliases}))
        r = self.region_by_id(entry_id)
        return tuple(sorted({r.id, r.name, *r.aliases}))

    def weapon_by_id(self, weapon_id: str) -> Weapon:
        return (private_of(self) or {})["_weapons_by_id"][weapon_id]  # type: ignore[no-any-return]

    def region_by_id(self, region_id: str) -> Region:
        return (private_of(self) or {})["_regions_by_id"][region_id]  # type: ignore[no-any-return]

    @property
    def weapon_ids(self) -> tuple[str, ...]:
        return tuple(w.id for w in self.weapons)

    @property
    def region_ids(self) -> tuple[str, ...]:
        return tuple(r.id for r in self.regions)

    @property
    def suppliers(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for w in self.weapons:
            for s in w.suppliers:
                seen[s] = None
        return tuple(seen)

    def suggest_weapon(self, name: str) -> str | None:
        labels = {_key(x): x for w in self.weapons for x in (w.name, *w.aliases)}
        return _closest(_key(name), labels)

    def suggest_region(self, name: str) -> str | None:
        return _closest(_key(name), self.labels("region"))

    def suggest_country(self, name: str) -> str | None:
        return _closest(_key(name), self.labels("country"))

    def suggest_target_type(self, word: str) -> str | None:
        return _closest(_key(word), {**self.labels("target"), **{t.value: t.value for t in TargetType}})


_TYPES = frozenset(t.value for t in TargetType)


_default_catalog: list[Callable[[], Catalog]] = []


def provide_default_catalog(load: Callable[[], Catalog]) -> None:
    """Name the function giving the catalog of strikes built without one (``ProposedStrike(...)``):
    the rule-pack layer provides the bundled catalog when it is imported."""
    _default_catalog[:] = [load]


def default_catalog() -> Catalog:
    """The catalog for strikes built without an engine: the bundled one."""
    if not _default_catalog:
        from .errors import PolicyRulesError

        raise PolicyRulesError("no catalog to validate the strike against: load a pack (import policyrules)")
    return _default_catalog[0]()


# Cyrillic letters (lower case: keys are case-folded) that look like Latin ones, for suggestions only:
# a look-alike is never accepted, but the name it imitates is the one to suggest.
_CONFUSABLE = str.maketrans("аеіјорсуххкмтвнѕ", "aeijopcyxxkmtbhs")


def _closest(key: str, labels: dict[str, str]) -> str | None:
    ascii_key = unicodedata.normalize("NFKD", key).encode("ascii", "ignore").decode()
    for candidate in dict.fromkeys((key.translate(_CONFUSABLE), key, ascii_key)):
        hit = difflib.get_close_matches(candidate, list(labels), n=1, cutoff=0.75)
        if hit:
            return labels[hit[0]]
    return None


def did_you_mean(suggestion: str | None, given: str | None = None) -> str:
    """`` (did you mean 'x'?)``; naming the characters of ``given`` that are not ASCII, if any
    (the difference between a look-alike and the real name is otherwise invisible)."""
    if not suggestion:
        return ""
    odd = list(dict.fromkeys(c for c in given if not c.isascii())) if given and suggestion.isascii() else []
    note = ""
    if odd:
        shown = ", ".join(f"U+{ord(c):04X} {unicodedata.name(c, '?')}" for c in odd[:3])
        note = f" it has non-ASCII characters: {shown}" + (", ..." if len(odd) > 3 else "")
    return f" (did you mean {suggestion!r}?{note})"


def listing(what: str, given: str, values: dict[str, str], index: dict[str, str]) -> str:
    """The known values after an error for an unknown one: ``known: a (A), b (B)`` when there are
    :data:`FEW` or fewer, else the closest ones by any of their labels (``index``: label key -> id),
    and where to see them all."""
    shown = {k: k if v == k else f"{k} ({v})" for k, v in values.items()}
    if len(values) <= FEW:
        return "known: " + ", ".join(shown[k] for k in sorted(values))
    near = difflib.get_close_matches(_key(given), list(index), n=20, cutoff=0.5)
    by_id = dict.fromkeys(index[k] for k in near if index[k] in values)
    plural = {"weapon": "weapons", "region": "regions"}.get(what, what)
    closest = f"closest: {', '.join(shown[i] for i in list(by_id)[:5])}; " if by_id else ""
    return f"{closest}{len(values)} in all (policyrules catalog {plural})"


def known(values: Iterable[str], limit: int = 12) -> str:
    vals = sorted(values)
    shown = ", ".join(vals[:limit])
    return shown + (f", ... ({len(vals)} in all)" if len(vals) > limit else "")
