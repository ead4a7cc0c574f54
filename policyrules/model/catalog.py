"""The catalog: weapons (class, suppliers, reach) and regions (country, borders).

Lookups are case-insensitive on ids, names and aliases, and suggest near misses. They
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

from .domain import MAX_RANGE_KM, WeaponClass
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


class Region(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=_ID, max_length=100)
    name: str = Field(min_length=1, max_length=200)
    country: Literal["UA", "RU"]
    occupied: bool = False
    borders: tuple[str, ...] = ()


def _key(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().casefold()


def _lookup_key(text: str) -> str | None:
    """The index key of ``text`` typed by a user, or None for a compatibility look-alike."""
    if not text.isascii() and not unicodedata.is_normalized("NFKC", text):
        return None
    return text.strip().casefold()


class Catalog(BaseModel):
    """Weapons and regions, with name lookups. Built from ``catalog.yaml``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    weapons: tuple[Weapon, ...] = Field(min_length=1)
    regions: tuple[Region, ...] = Field(min_length=1)
    #: The date up to which the pack's sources were last reviewed: verdicts on later dates say so,
    #: and ``check`` warns when it is long past. Not part of the digest (it changes no strike).
    reviewed: dt.date | None = None

    _weapon_index: dict[str, str] = PrivateAttr(default_factory=dict)
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
        names: dict[str, str] = {}
        for w in self.weapons:
            for label in (w.id, w.name, *w.aliases):
                k = _key(label)
                if k in names and names[k] != w.id:
                    raise ValueError(f"weapon name or alias {label!r} is used by both {names[k]} and {w.id}")
                names[k] = w.id
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
        self._weapon_index = names
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

    def region(self, region_id: str) -> Region | None:
        """The region with this id (case-insensitive), or None."""
        key = _lookup_key(region_id)
        if key is None:
            return None
        return (private_of(self) or {})["_regions_by_id"].get(key)  # type: ignore[no-any-return]

    def lookup(self, table: str, text: str) -> str | None:
        """The id of the ``table`` entry (``weapon`` or ``region``) named by ``text``, or None."""
        if table == "weapon":
            found = self.weapon(text)
            return found.id if found is not None else None
        region = self.region(text)
        return region.id if region is not None else None

    def unknown(self, table: str, text: str) -> str:
        """The message for a name ``table`` does not have: ``unknown weapon 'x' (did you mean 'y'?)``."""
        if table == "weapon":
            return f"unknown weapon {echo(text, 40)}{did_you_mean(self.suggest_weapon(text), text)}"
        return (f"unknown region {echo(text, 40)}{did_you_mean(self.suggest_region(text), text)}; "
                f"known: {known(self.region_ids)}")

    def spellings(self, table: str, entry_id: str) -> tuple[str, ...]:
        """Every way a strike may name a ``table`` entry: its id, name and aliases, sorted."""
        if table == "weapon":
            w = self.weapon_by_id(entry_id)
            return tuple(sorted({w.id, w.name, *w.aliases}))
        return (entry_id,)

    def weapon_by_id(self, weapon_id: str) -> Weapon:
        return self._weapons_by_id[weapon_id]

    def region_by_id(self, region_id: str) -> Region:
        return self._regions_by_id[region_id]

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
        return _closest(_key(name), {r.id: r.id for r in self.regions})


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


def _closest(key: str, labels: dict[str, str]) -> str | None:
    ascii_key = unicodedata.normalize("NFKD", key).encode("ascii", "ignore").decode()
    for candidate in (key, ascii_key):
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


def known(values: Iterable[str], limit: int = 12) -> str:
    vals = sorted(values)
    shown = ", ".join(vals[:limit])
    return shown + (f", ... ({len(vals)} in all)" if len(vals) > limit else "")
