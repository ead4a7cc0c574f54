"""The proposed strike: a frozen Pydantic model checked against the catalog.

Validation collects every problem before failing: type errors from Pydantic and catalog
problems (unknown weapon or region, range beyond reach, a class or supplier contradicting
the catalog) come back together in one :class:`~policyrules.model.errors.StrikeError`, each
with its field. What needs the catalog is checked by :mod:`policyrules.model.intake`, the one way
into a strike; Pydantic checks types and words every error. The derived fields
(``target_country``, ``target_category``) are read-only.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
from collections.abc import Callable, Mapping
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    Strict,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    computed_field,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from . import intake
from .catalog import Catalog, default_catalog
from .dates import DATE_PATTERN, DateError, parse_date
from .dimensions import DERIVED_FIELDS, FIELDS, KEY_FIELDS, NUMBER_FIELDS, Kind
from .domain import MAX_RANGE_KM, TargetCategory, TargetType, WeaponClass
from .errors import Problem, StrikeError, echo
from .slots import construct, private_of


def _schema_extra(schema: dict[str, Any]) -> None:
    """The input schema: the derived fields are accepted back (a JSON round trip) but read-only,
    and a strike names a weapon or a weapon class."""
    props = schema.setdefault("properties", {})
    catalog = None
    for name in DERIVED_FIELDS:
        f = FIELDS[name]
        values = f.values(catalog) if f.values is not None else ()  # type: ignore[arg-type]
        props.setdefault(name, {"enum": list(values), "readOnly": True,
                                "description": f"derived from {f.derived_from}; read-only: {f.doc}"})
    fixed = [f for f in FIELDS.values() if f.fixed_by is not None and not f.optional]
    schema["anyOf"] = [{"required": [n], "properties": {n: {"type": "string"}}}
                       for f in fixed for n in (f.fixed_by, f.name)]


class ProposedStrike(BaseModel):
    """A strike to judge. Build it from keyword arguments, a dict, or JSON."""

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=False,
                              json_schema_extra=_schema_extra)

    weapon: Annotated[str, Strict()] | None = Field(
        default=None, description="catalog weapon name or alias, case-insensitive (HIMARS, ATACMS)")
    weapon_class: WeaponClass | None = Field(
        default=None, description="filled from the catalog when weapon is given; required otherwise")
    supplier: Annotated[str, Strict()] | None = Field(
        default=None, pattern=r"^[A-Za-z]{2}$",
        description="ISO 3166 alpha-2 code of the supplying state; filled from the catalog")
    target_region: Annotated[str, Strict()] = Field(description="catalog region id (belgorod, kursk, ...)")
    target_type: TargetType = Field(description="what is struck")
    self_defense: Annotated[bool, Strict()] = Field(
        default=False, description="answers Russian forces attacking or preparing to attack")
    defended_region: Annotated[str, Strict()] | None = Field(
        default=None, description="the Ukrainian region the strike defends")
    range_km: Annotated[float, Strict()] = Field(
        ge=0, le=MAX_RANGE_KM, allow_inf_nan=False, description="launcher-to-target distance in km")
    depth_km: Annotated[float, Strict()] | None = Field(
        default=None, ge=0, le=MAX_RANGE_KM, allow_inf_nan=False,
        description="how far inside the target's country the target lies, from the border, in km")
    date: dt.date | None = Field(
        default=None, json_schema_extra={"pattern": DATE_PATTERN},
        description="when the strike would happen; omitted: the latest policy version")

    # Set once by validation: the catalog checked against, and the strike as rules see it. Hot
    # paths read them through slots.private_of (plain dict access, not Pydantic's __getattr__).
    _catalog: Catalog | None = PrivateAttr(default=None)
    _facts: dict[str, Any] | None = PrivateAttr(default=None)
    _base: intake.Base | None = PrivateAttr(default=None)
    # What the engine's hot path reads, in one place: (Base, date, numbers in NUMBER_FIELDS order).
    _hot: tuple[Any, ...] | None = PrivateAttr(default=None)

    # Pydantic's errors become one StrikeError, at the two entry points users call.
    def __init__(self, /, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as e:
            raise strike_error(e) from None

    # Tell Pydantic this __init__ only wraps its own, so model_validate keeps the context.
    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]

    @classmethod
    def parse(cls, data: object, catalog: Catalog | None = None) -> ProposedStrike:
        """Validate a mapping (or a strike) against ``catalog`` (default: the bundled one). A strike
        already checked against a catalog of equal content is returned as it is."""
        if isinstance(data, ProposedStrike):
            mine = private_of(data)["_catalog"]  # type: ignore[index]
            if catalog is None or mine is catalog or (mine is not None and mine.digest == catalog.digest):
                return data
            data = data.model_dump(exclude=set(DERIVED_FIELDS))
        if not isinstance(data, Mapping):
            raise StrikeError([Problem("", f"a strike is a mapping of fields, not {type(data).__name__}")])
        if type(data) is dict and catalog is not None:
            found = from_plain(data, catalog)  # the common case, without Pydantic
            if found is not None:
                return found
        try:
            return cls.model_validate(data, context={"catalog": catalog} if catalog else None)
        except ValidationError as e:
            raise strike_error(e) from None

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> ProposedStrike:
        """A copy; with ``update``, a new strike validated against the same catalog (never stale)."""
        if not update:
            return super().model_copy(deep=deep)
        data = {**self.model_dump(exclude=set(DERIVED_FIELDS)), **update}
        return ProposedStrike.parse(data, private_of(self)["_catalog"])  # type: ignore[index]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def target_country(self) -> str:
        """UA or RU, from the target region (occupied regions are UA)."""
        return facts(self)["target_country"]  # type: ignore[no-any-return]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def target_category(self) -> TargetCategory:
        """military, dual_use or civilian, from the target type."""
        return self.target_type.category

    @field_validator("date", mode="before")
    @classmethod
    def _plain_date(cls, v: object) -> object:
        if v is None or not isinstance(v, (str, dt.date, int, float)):
            return v  # None, or a type Pydantic's own date validation refuses
        try:
            return parse_date(v)
        except DateError as e:
            raise PydanticCustomError(e.code, e.message) from None

    @model_validator(mode="wrap")
    @classmethod
    def _against_catalog(cls, data: Any, handler: Any, info: ValidationInfo) -> ProposedStrike:
        if not isinstance(data, Mapping):
            return handler(data)  # type: ignore[no-any-return]
        ctx = info.context or {}
        catalog: Catalog = ctx.get("catalog") or default_catalog()
        data = dict(data)
        read: dict[str, str] = {}
        mine = [_detail(p, data) for p in intake.normalise(catalog, data, read_as=read)]
        try:
            strike: ProposedStrike = handler(data)
        except ValidationError as e:
            theirs = [d for d in _details(e) if d["loc"][:1] not in {m["loc"][:1] for m in mine}]
            raise _combined(theirs + mine) from None
        if mine:
            raise _combined(mine)
        values = strike.model_dump(include=set(KEY_FIELDS))
        base = intake.base(catalog, tuple(_plain_value(values[name]) for name in KEY_FIELDS))
        if base is None:  # pragma: no cover - normalise found no problem, so its part is checked
            raise _combined([_detail(Problem("", "the strike could not be checked against the catalog"), data)])
        if read:
            base = dataclasses.replace(base, read_as=intake.read_as_of(read, data))
        facts = dict(base.facts)
        for name in NUMBER_FIELDS:
            x = getattr(strike, name)
            problem = intake.beyond(catalog, name, x, values)  # a number Pydantic accepts and normalise could not read
            if problem is not None:
                raise _combined([_detail(problem, data)])
            facts[name] = x
        private: dict[str, Any] = private_of(strike)  # type: ignore[assignment]
        private["_catalog"] = catalog
        private["_facts"] = facts
        private["_base"] = base
        private["_hot"] = (base, strike.date, *(facts[name] for name in NUMBER_FIELDS))
        return strike


_ORDER = tuple(ProposedStrike.model_fields)


def _adapter(name: str) -> Callable[[Any], Any]:
    """Validation of one field alone, as the model validates it (for strikes with fields left out)."""
    if FIELDS[name].kind is Kind.DATE:
        return lambda v: None if v is None else parse_date(v)
    info = ProposedStrike.model_fields[name]
    kind: Any = Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation
    return TypeAdapter(kind).validate_python


_ADAPTERS = {name: _adapter(name) for name in _ORDER}


def parse_known(data: object, catalog: Catalog) -> dict[str, Any]:
    """The fields of a partly known strike as the rules see them (facts; ``date`` a date), checked
    one by one as ``ProposedStrike`` checks them and normalised by the same intake; a field left out
    is unknown. Fields the known ones fix are filled in (a weapon's class and supplier, a region's
    country); a derived field may be given alone (``target_country``), and is checked against its
    values. A :class:`StrikeError` lists every problem."""
    if not isinstance(data, Mapping):
        raise StrikeError([Problem("", f"a strike is a mapping of fields, not {type(data).__name__}")])
    given = {k: v for k, v in data.items() if not (v is None and FIELDS.get(str(k)) is not None
                                                   and FIELDS[str(k)].fixed_by is not None)}
    problems: list[Problem] = []
    alone: dict[str, Any] = {}
    for name in DERIVED_FIELDS:  # a derived field given without its source: known on its own
        f = FIELDS[name]
        if name in given and f.derived_from not in given:
            value = given.pop(name)
            values = f.values(catalog) if f.values is not None else ()
            if value not in values:
                problems.append(Problem(name, f"unknown value {echo(value, 40)}; known: {', '.join(values)}"))
            alone[name] = value
    typed: dict[str, Any] = {}
    for name, value in given.items():
        if name not in _ADAPTERS and name not in DERIVED_FIELDS:
            problems.append(Problem(_plain(str(name)), unknown_field(str(name))))
            continue
        if name in DERIVED_FIELDS:
            typed[name] = value
            continue
        try:
            typed[name] = _ADAPTERS[name](value)
        except ValidationError as e:
            if _named(name, value):  # a country name, a word for a target type: the intake reads or words it
                typed[name] = value
                continue
            problems.extend(Problem(name, _worded(err)) for err in e.errors())
        except DateError as e:
            problems.append(Problem(name, f"{e.message} (got {echo(value, 40)})"))
    plain = {k: _plain_value(v) for k, v in typed.items() if k not in {p.field for p in problems}}
    problems.extend(intake.normalise(catalog, plain, partial=True))
    if problems:
        order = list(ProposedStrike.model_fields)
        raise StrikeError(sorted(problems, key=lambda p: order.index(p.field) if p.field in order else len(order)))
    known: dict[str, Any] = {}
    for name in FIELDS:
        f = FIELDS[name]
        if name in plain and f.given:
            known[name] = plain[name]
        elif f.derived_from is not None and f.derive is not None and f.derived_from in plain:
            known[name] = f.derive(catalog, plain[f.derived_from])
    known.update(alone)
    return known


def _named(name: str, value: object) -> bool:
    """Text that :func:`intake.normalise` reads as a value of a field whose own type refuses it: a
    supplier's country name, a common word for a target type (or words the problem for it)."""
    f = FIELDS[name]
    return isinstance(value, str) and ((f.kind is Kind.CODE and len(value.strip()) > 2) or f.words is not None)


def from_plain(data: Mapping[str, Any], catalog: Catalog) -> ProposedStrike | None:
    """The strike validation would build from a plain dict of well-formed fields, built without
    Pydantic (:func:`policyrules.model.intake.parts`), or None when validation must decide."""
    found = intake.parts(data, catalog)
    return None if found is None else built(*found, catalog)


def built(fields: Mapping[str, Any], fields_set: set[str], facts: dict[str, Any], base: intake.Base,
          catalog: Catalog) -> ProposedStrike:
    """A strike from parts :mod:`~policyrules.model.intake` checked (see :func:`intake.strike_parts`)."""
    return construct(ProposedStrike, {name: fields[name] for name in _ORDER}, fields_set,
                     {"_catalog": catalog, "_facts": facts, "_base": base,
                      "_hot": (base, fields[intake.DATE], *(fields[name] for name in NUMBER_FIELDS))})


def _plain_value(value: Any) -> Any:
    return value.value if isinstance(value, (WeaponClass, TargetType)) else value


def _detail(p: Problem, data: Mapping[str, Any]) -> InitErrorDetails:
    return InitErrorDetails(type=PydanticCustomError("catalog", "{msg}", {"msg": p.message}), loc=(p.field,),
                            input=data.get(p.field))


# Pydantic errors of a field that wants text or one of named values: a boolean there is
# almost always an unquoted YAML word (NO for Norway, on, yes) in a strike file.
_TEXT_ERRORS = frozenset({"string_type", "literal_error", "enum", "string_pattern_mismatch"})


def _message(err: Any) -> str:
    """Pydantic's message for one error, in this library's words for unknown and missing fields."""
    if err["type"] == "extra_forbidden":
        return unknown_field(str(err["loc"][-1]) if err["loc"] else "")
    return {"missing": "required"}.get(err["type"], str(err["msg"]))


def unknown_field(name: str) -> str:
    """``unknown field``, with the closest field a strike has (``wepon``: did you mean 'weapon'?)."""
    near = difflib.get_close_matches(name.strip().lower(), list(FIELDS), n=1, cutoff=0.6)
    return "unknown field" + (f" (did you mean {near[0]!r}?)" if near else "")


def _worded(err: Any) -> str:
    """One Pydantic error in this library's words, with the value given (and a hint for YAML booleans)."""
    msg = _message(err)
    if err["type"] not in ("extra_forbidden", "missing") and "input" in err:
        got = err["input"]
        hint = "; in YAML, quote it: unquoted yes, no, on and off are booleans" \
            if isinstance(got, bool) and err["type"] in _TEXT_ERRORS else ""
        msg = f"{msg} (got {echo(got, 40)}{hint})"
    return msg


def _details(e: ValidationError) -> list[InitErrorDetails]:
    out: list[InitErrorDetails] = []
    for err in e.errors():
        loc = tuple(str(p) for p in err["loc"] if not str(p).startswith("function-"))
        out.append(InitErrorDetails(type=PydanticCustomError("strike", "{msg}", {"msg": _worded(err)}),
                                    loc=loc, input=err.get("input")))
    return out


def _combined(details: list[InitErrorDetails]) -> ValidationError:
    return ValidationError.from_exception_data("ProposedStrike", details)


def strike_error(e: ValidationError) -> StrikeError:
    order = list(ProposedStrike.model_fields)
    problems = []
    for err in e.errors():
        field = ".".join(_plain(str(p)) for p in err["loc"])
        problems.append(Problem(field, _message(err)))
    problems.sort(key=lambda p: order.index(p.field) if p.field in order else len(order))
    return StrikeError(problems)


def _plain(name: str) -> str:
    """A field name as given, or quoted (and cut short) when it is empty, has spaces or line breaks
    or is very long: an unknown key must not break the error's one line."""
    if name and len(name) <= 40 and name.isprintable() and not any(c.isspace() for c in name):
        return name
    return echo(name, 40)


# The strike as seen by conditions ---------------------------------------------------------


def facts(strike: ProposedStrike) -> dict[str, Any]:
    """The strike as plain values for conditions: enums as strings, None where not given, every
    field of the registry but the date. Computed once, when the strike is validated; do not mutate."""
    return private_of(strike)["_facts"]  # type: ignore[index,no-any-return]
