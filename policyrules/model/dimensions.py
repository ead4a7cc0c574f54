"""The strike space, declared once: every field a strike has or derives, and how they group.

A **field** is what a rule may test and a strike carries (given, or derived from another field:
a region fixes its country, a target type its category). A **dimension** is a group of fields
that change together (a weapon fixes its class and its suppliers), the unit in which the exact
partition splits the strike space, in which classes are merged and worded, and in which why-not
changes a strike. Everything that walks the strike space reads it from here, by name: strike
intake (:mod:`policyrules.model.intake`), facts, the condition schema, the partition, the wording
of classes (diff, why-not, partial), columnar evaluation, the Hypothesis strategies and the JSON
Schema.

Adding a field: an entry in :data:`FIELDS` (and in its dimension, or a new :class:`Dimension`),
the Pydantic field of :class:`~policyrules.model.strike.ProposedStrike`, and the rules that use it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any, NamedTuple, SupportsIndex, TypeVar, overload

from . import wording
from .domain import COUNTRIES, MAX_RANGE_KM, TargetCategory, TargetType, WeaponClass

if TYPE_CHECKING:
    from .catalog import Catalog

T = TypeVar("T")


class Kind(str, Enum):
    """What values a field takes."""

    ENUM = "enum"  # a fixed set of named values (an enum of :mod:`policyrules.model.domain`)
    CATALOG = "catalog"  # an id of the catalog (weapons, regions)
    CODE = "code"  # an open set of codes (ISO 3166 alpha-2 suppliers): rules name some, strikes may carry any
    NUMBER = "number"
    BOOL = "bool"
    DATE = "date"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Field:
    """One field of the strike space.

    - ``values(catalog)``: the named values rules may test (enum, catalog and code fields);
      ``within``: words for that set when a catalog entry is outside it ("a Ukrainian region");
    - ``table``: for a catalog field, the catalog's table its ids come from (``weapon``, ``region``);
      ``shown(catalog, id)``: how messages name one of its values;
    - ``derived_from`` + ``derive(catalog, value)``: the given field a derived one is computed from;
    - ``fixed_by`` + ``fixes(catalog, value)``: the field whose value fixes this one, and the values
      it allows (a weapon fixes its class, and its supplier up to its list of suppliers); filled in
      when not given and the value allows only one, required when it allows several;
    - ``relation``: how a message says a fixing or source value relates to this one ("is supplied by");
    - ``bound(catalog, value)``: for a numeric field bounded by its dimension's ``bounded_by``, the
      largest value the bounding field's value allows (a weapon's reach); ``bound_name``: its name;
    - ``optional``: a strike may leave it out (None); ``default``: its value then;
    - ``picks_policy``: the supplier: choosing it chooses the policy, so why-not never changes it;
    - ``unknowable``: what a person asking often cannot know (range, self-defense, the region
      defended, depth): left out, ``policyrules evaluate`` answers with conditions on it;
    - ``words(catalog, text)``: for an enum field, the value a common word names ("refinery" ->
      ``energy_infrastructure``), or None; ``noun``: how messages name the field's values."""

    name: str
    kind: Kind
    dimension: str
    doc: str
    values: Callable[[Catalog], tuple[str, ...]] | None = None
    enum: type[Enum] | None = None
    within: str = ""
    table: str | None = None
    shown: Callable[[Catalog, Any], str] = lambda _, value: str(value)
    derived_from: str | None = None
    derive: Callable[[Catalog, Any], Any] | None = None
    fixed_by: str | None = None
    fixes: Callable[[Catalog, Any], tuple[Any, ...]] | None = None
    relation: str = ""
    bound: Callable[[Catalog, Any], float] | None = None
    bound_name: str = ""
    unit: str = ""
    optional: bool = False
    default: Any = None
    picks_policy: bool = False
    unknowable: bool = False
    words: Callable[[Catalog, str], str | None] | None = None
    noun: str = ""

    @property
    def given(self) -> bool:
        return self.derived_from is None


class Member(NamedTuple):
    """One value of a dimension for the partition: the facts of all its fields, the fields a
    representative strike gives for it, and the bound it puts on a coupled numeric dimension."""

    facts: Mapping[str, Any]
    strike: Mapping[str, Any]
    bound: float = MAX_RANGE_KM


Words = Callable[["Dimension", "wording.Shown", Mapping[str, frozenset["wording.Key"]], "Catalog", str], list[str]]


@dataclass(frozen=True)
class Dimension:
    """Fields that change together. ``members(catalog, suppliers)`` lists its values (value
    dimensions); a numeric dimension (``members`` None) is split at its thresholds, and when
    ``bounded_by`` names a dimension, each member of that one bounds it (a weapon's reach bounds the
    range). ``merge_rank``: the order in which classes are merged along dimensions (ranges first,
    so adjacent intervals join into spans). ``words`` describes a set of its classes (see
    :mod:`policyrules.model.wording`); a dimension worded with another has ``words`` None and is
    named in that one's ``worded_with``; ``phrase_rank`` orders the phrases of a description."""

    name: str
    fields: tuple[str, ...]
    merge_rank: int
    phrase_rank: int
    words: Words | None
    members: Callable[[Catalog, Sequence[str | None]], list[Member]] | None = None
    bounded_by: str | None = None
    worded_with: tuple[str, ...] = ()
    unit: str = ""

    @property
    def primary(self) -> str:
        return self.fields[0]

    @property
    def numeric(self) -> bool:
        return self.members is None


# Members of the value dimensions -----------------------------------------------------------


def _weapon_members(catalog: Catalog, suppliers: Sequence[str | None]) -> list[Member]:
    """Each catalog weapon from each of its suppliers among ``suppliers``, then no weapon with each
    class and supplier (reaching MAX_RANGE_KM)."""
    out = [Member({"weapon": w.id, "weapon_class": w.weapon_class.value, "supplier": s},
                  {"weapon": w.id, "weapon_class": w.weapon_class.value, "supplier": s}, w.reach_km)
           for w in catalog.weapons for s in w.suppliers if s in suppliers]
    out += [Member({"weapon": None, "weapon_class": c.value, "supplier": s},
                   {"weapon": None, "weapon_class": c.value, "supplier": s}) for c in WeaponClass for s in suppliers]
    return out


def _target_members(catalog: Catalog, _: Sequence[str | None]) -> list[Member]:
    return [Member({"target_region": r.id, "target_country": r.country}, {"target_region": r.id})
            for r in catalog.regions]


def _type_members(_: Catalog, __: Sequence[str | None]) -> list[Member]:
    return [Member({"target_type": t.value, "target_category": t.category.value}, {"target_type": t.value})
            for t in TargetType]


def _self_defense_members(_: Catalog, __: Sequence[str | None]) -> list[Member]:
    return [Member({"self_defense": v}, {"self_defense": v}) for v in (False, True)]


def _defended_members(catalog: Catalog, _: Sequence[str | None]) -> list[Member]:
    return [Member({"defended_region": v}, {"defended_region": v}) for v in (None, *ukrainian_regions(catalog))]


def ukrainian_regions(catalog: Catalog) -> tuple[str, ...]:
    return tuple(r.id for r in catalog.regions if r.country == "UA")


def _enum(values: Iterable[Enum]) -> Callable[[Catalog], tuple[str, ...]]:
    names = tuple(str(v.value) for v in values)
    return lambda _: names


# The registry --------------------------------------------------------------------------------

#: The numeric field of the range dimension (launcher-to-target distance).
RANGE = "range_km"
#: The class value of a supplier code no rule names (see :attr:`Kind.CODE`).
OTHER_CODE = wording.OTHER_CODE
#: Suppliers that have a policy in the bundled pack's world even when no weapon of the catalog names them.
KNOWN_SUPPLIERS = ("US", "GB", "FR", "DE", "UA")

FIELDS: Mapping[str, Field] = {f.name: f for f in (
    Field("weapon", Kind.CATALOG, "weapon", "catalog weapon id", values=lambda c: c.weapon_ids, table="weapon",
          shown=lambda c, w: c.weapon_by_id(w).name, optional=True),
    Field("weapon_class", Kind.ENUM, "weapon", "filled from the catalog when weapon is given; required otherwise",
          values=_enum(WeaponClass), enum=WeaponClass, fixed_by="weapon",
          fixes=lambda c, w: (c.weapon_by_id(w).weapon_class.value,), relation="is"),
    Field("supplier", Kind.CODE, "weapon", "ISO 3166 alpha-2 code of the supplying state",
          values=lambda c: tuple(sorted(set(c.suppliers) | set(KNOWN_SUPPLIERS))), fixed_by="weapon",
          fixes=lambda c, w: c.weapon_by_id(w).suppliers, relation="is supplied by", optional=True,
          picks_policy=True),
    Field("target_region", Kind.CATALOG, "target", "catalog region id", values=lambda c: c.region_ids,
          table="region"),
    Field("target_type", Kind.ENUM, "target_type", "what is struck", values=_enum(TargetType), enum=TargetType,
          words=lambda c, w: c.target_word(w), noun="target type"),
    Field("self_defense", Kind.BOOL, "self_defense",
          "answers Russian forces attacking or preparing to attack", default=False, unknowable=True),
    Field("defended_region", Kind.CATALOG, "defended_region", "the Ukrainian region the strike defends",
          values=ukrainian_regions, within="a Ukrainian region", table="region", optional=True,
          unknowable=True),
    Field(RANGE, Kind.NUMBER, "range", "launcher-to-target distance in km",
          bound=lambda c, w: c.weapon_by_id(w).reach_km, bound_name="reach", unit="km",
          unknowable=True),
    Field("depth_km", Kind.NUMBER, "depth", "how far inside the target's country the target lies, from the "
          "border, in km; omitted: unknown (a rule that tests it then does not hold, and the verdict says "
          "the answer depends on it)", unit="km", optional=True, unknowable=True),
    Field("date", Kind.DATE, "date", "when the strike would happen; omitted: the latest policy version",
          optional=True),
    Field("target_country", Kind.ENUM, "target", "UA or RU, from the target region (occupied regions are UA)",
          values=lambda _: COUNTRIES, derived_from="target_region", derive=lambda c, r: c.region_by_id(r).country,
          relation="is in"),
    Field("target_category", Kind.ENUM, "target_type", "military, dual_use or civilian, from the target type",
          values=_enum(TargetCategory), enum=TargetCategory, derived_from="target_type",
          derive=lambda _, t: TargetType(t).category.value, relation="is"),
)}

#: The dimensions of the strike space that rules split (the date is not one: it picks the rule set).
DIMENSIONS: Mapping[str, Dimension] = {d.name: d for d in (
    Dimension("weapon", ("weapon", "weapon_class", "supplier"), merge_rank=1, phrase_rank=0,
              words=wording.weapon, members=_weapon_members),
    Dimension("range", (RANGE,), merge_rank=0, phrase_rank=4, words=wording.numbers, bounded_by="weapon",
              unit="km"),
    Dimension("target", ("target_region", "target_country"), merge_rank=2, phrase_rank=1, words=wording.target,
              members=_target_members),
    Dimension("target_type", ("target_type", "target_category"), merge_rank=3, phrase_rank=3,
              words=wording.target_type, members=_type_members),
    Dimension("self_defense", ("self_defense",), merge_rank=5, phrase_rank=2, words=wording.defense,
              members=_self_defense_members, worded_with=("defended_region",)),
    Dimension("defended_region", ("defended_region",), merge_rank=4, phrase_rank=2, words=None,
              members=_defended_members),
    Dimension("depth", ("depth_km",), merge_rank=6, phrase_rank=5, words=wording.numbers, unit="km"),
)}

#: Fields the conditions of rules see (every field but the date), in registry order.
FACT_FIELDS: tuple[str, ...] = tuple(f.name for f in FIELDS.values() if f.dimension in DIMENSIONS)
#: Fields a strike gives (not derived), in registry order.
GIVEN_FIELDS: tuple[str, ...] = tuple(f.name for f in FIELDS.values() if f.given)
#: Derived fields, in registry order.
DERIVED_FIELDS: tuple[str, ...] = tuple(f.name for f in FIELDS.values() if not f.given)
#: Given fields other than numbers and the date: what identifies a strike's non-numeric part.
KEY_FIELDS: tuple[str, ...] = tuple(f.name for f in FIELDS.values()
                                    if f.given and f.kind not in (Kind.NUMBER, Kind.DATE))
#: What a person asking often cannot know: left out, evaluate answers with conditions on them.
UNKNOWABLE_FIELDS: tuple[str, ...] = tuple(f.name for f in FIELDS.values() if f.unknowable)
#: Given numeric fields.
NUMBER_FIELDS: tuple[str, ...] = tuple(f.name for f in FIELDS.values() if f.given and f.kind is Kind.NUMBER)
#: Given fields a strike must have (a weapon class may come from the weapon).
REQUIRED_FIELDS: tuple[str, ...] = tuple(f.name for f in FIELDS.values() if f.given and not f.optional
                                         and f.default is None and f.fixed_by is None)
#: For each field, the fields it fixes (a weapon: its class and supplier; a region: its country).
FIXES: Mapping[str, tuple[str, ...]] = {f: tuple(g.name for g in FIELDS.values() if f in (g.fixed_by, g.derived_from))
                                        for f in FIELDS}

_INDEX = {name: i for i, name in enumerate(DIMENSIONS)}


def dimension_of(field_name: str) -> Dimension:
    """The dimension a field belongs to."""
    return DIMENSIONS[FIELDS[field_name].dimension]


def own_fields(dimension: str) -> tuple[str, ...]:
    """The given fields of a dimension that a strike keeps when the dimension does not change
    (the supplier is kept apart: it picks the policy)."""
    return tuple(f for f in DIMENSIONS[dimension].fields if FIELDS[f].given and not FIELDS[f].picks_policy)


def merge_order() -> tuple[str, ...]:
    """Dimension names in the order classes are merged along them."""
    return tuple(sorted(DIMENSIONS, key=lambda d: DIMENSIONS[d].merge_rank))


class Coords(tuple[T, ...]):
    """One value per dimension (a class's keys, a box's key sets, flags), addressed by name:
    ``point["range"]``. A tuple in :data:`DIMENSIONS` order, so it hashes and compares as one."""

    __slots__ = ()

    def __new__(cls, values: Mapping[str, T] | Iterable[T]) -> Coords[T]:
        if isinstance(values, Mapping):
            values = [values[d] for d in DIMENSIONS]
        out = super().__new__(cls, values)
        if len(out) != len(DIMENSIONS):
            raise ValueError(f"{len(out)} values for {len(DIMENSIONS)} dimensions ({', '.join(DIMENSIONS)})")
        return out

    @overload
    def __getitem__(self, key: str) -> T: ...

    @overload
    def __getitem__(self, key: SupportsIndex) -> T: ...

    @overload
    def __getitem__(self, key: slice) -> tuple[T, ...]: ...

    def __getitem__(self, key: str | SupportsIndex | slice) -> T | tuple[T, ...]:
        if isinstance(key, str):
            return tuple.__getitem__(self, _INDEX[key])
        return tuple.__getitem__(self, key)

    def replace(self, changes: Mapping[str, T]) -> Coords[T]:
        """A copy with the values of some dimensions changed."""
        return Coords({d: changes[d] if d in changes else self[d] for d in DIMENSIONS})

    def items(self) -> Iterator[tuple[str, T]]:
        return zip(DIMENSIONS, self, strict=True)

    def without(self, name: str) -> tuple[T, ...]:
        """Every value but dimension ``name``'s (to group by the others)."""
        i = _INDEX[name]
        return tuple.__getitem__(self, slice(None, i)) + tuple.__getitem__(self, slice(i + 1, None))

    @staticmethod
    def joined(name: str, rest: tuple[T, ...], value: T) -> Coords[T]:
        """The inverse of :meth:`without`: ``rest`` with ``value`` put back as dimension ``name``."""
        i = _INDEX[name]
        return Coords((*rest[:i], value, *rest[i:]))


def fields_listed(names: Iterable[str]) -> tuple[str, ...]:
    """``names`` in registry order (unknown names refused: a typo must not drop a field silently)."""
    wanted = set(names)
    unknown = wanted - set(FIELDS)
    if unknown:
        raise KeyError(f"unknown fields {sorted(unknown)}; known: {', '.join(FIELDS)}")
    return tuple(f for f in FIELDS if f in wanted)


#: The numeric dimension a value dimension bounds (the range, by a weapon's reach), and that one.
BOUNDED: Dimension = next(d for d in DIMENSIONS.values() if d.bounded_by)
BOUNDING: Dimension = DIMENSIONS[str(BOUNDED.bounded_by)]
#: Dimensions taken together: each value dimension with the numeric ones it bounds; the rest alone.
GROUPS: tuple[tuple[Dimension, ...], ...] = tuple(
    (d, *(b for b in DIMENSIONS.values() if b.bounded_by == d.name)) for d in DIMENSIONS.values() if not d.bounded_by)


def phrases() -> tuple[Dimension, ...]:
    """The dimensions that word themselves (and those worded with them), in description order."""
    return tuple(sorted((d for d in DIMENSIONS.values() if d.words is not None), key=lambda d: d.phrase_rank))
