"""The proposed strike: a frozen Pydantic model checked against the catalog.

Validation collects every problem before failing: type errors from Pydantic and catalog
problems (unknown weapon or region, range beyond reach, a class or supplier contradicting
the catalog) come back together in one :class:`~policyrules.model.errors.StrikeError`, each
with its field. ``target_country`` and ``target_category`` are derived and read-only.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    Strict,
    ValidationError,
    ValidationInfo,
    computed_field,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from .catalog import Catalog, Weapon, default_catalog, did_you_mean, known
from .domain import COUNTRIES, MAX_RANGE_KM, TargetCategory, TargetType, WeaponClass
from .errors import Problem, StrikeError
from .slots import private_of

MIN_DATE = dt.date(1900, 1, 1)
MAX_DATE = dt.date(2200, 12, 31)
DERIVED = ("target_country", "target_category")
# The JSON Schema form of a date: YYYY-MM-DD within MIN_DATE..MAX_DATE (1900-01-01 to 2200-12-31).
DATE_PATTERN = r"^(19[0-9]{2}|2[01][0-9]{2}|2200)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
# The text form a date must have (Python 3.11's fromisoformat also takes 20240601 and 2024-W01-1).
_DATE_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _schema_extra(schema: dict[str, Any]) -> None:
    """The input schema: the derived fields are accepted back (a JSON round trip) but read-only,
    and a strike names a weapon or a weapon class."""
    props = schema.setdefault("properties", {})
    props.setdefault("target_country", {
        "enum": list(COUNTRIES), "readOnly": True,
        "description": "derived from target_region (occupied regions are UA); read-only"})
    props.setdefault("target_category", {
        "enum": [c.value for c in TargetCategory], "readOnly": True,
        "description": "derived from target_type; read-only"})
    schema["anyOf"] = [{"required": [f], "properties": {f: {"type": "string"}}}
                       for f in ("weapon", "weapon_class")]


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
    date: dt.date | None = Field(
        default=None, json_schema_extra={"pattern": DATE_PATTERN},
        description="when the strike would happen; omitted: the latest policy version")

    # Set once by validation. Hot paths read them through slots.private_of (plain dict
    # access), not attribute access (Pydantic's __getattr__ costs microseconds).
    _country: str = PrivateAttr(default="")
    _catalog: Catalog | None = PrivateAttr(default=None)
    _facts: dict[str, Any] | None = PrivateAttr(default=None)

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
        """Validate a mapping (or a strike) against ``catalog`` (default: the bundled one)."""
        if isinstance(data, ProposedStrike):
            if catalog is None or private_of(data)["_catalog"] is catalog:  # type: ignore[index]
                return data
            data = data.model_dump(exclude=set(DERIVED))
        if not isinstance(data, Mapping):
            raise StrikeError([Problem("", f"a strike is a mapping of fields, not {type(data).__name__}")])
        try:
            return cls.model_validate(data, context={"catalog": catalog} if catalog else None)
        except ValidationError as e:
            raise strike_error(e) from None

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> ProposedStrike:
        """A copy; with ``update``, a new strike validated against the same catalog (never stale)."""
        if not update:
            return super().model_copy(deep=deep)
        data = {**self.model_dump(exclude=set(DERIVED)), **update}
        return ProposedStrike.parse(data, private_of(self)["_catalog"])  # type: ignore[index]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def target_country(self) -> str:
        """UA or RU, from the target region (occupied regions are UA)."""
        return private_of(self)["_country"]  # type: ignore[index,no-any-return]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def target_category(self) -> TargetCategory:
        """military, dual_use or civilian, from the target type."""
        return self.target_type.category

    @field_validator("date", mode="before")
    @classmethod
    def _plain_date(cls, v: object) -> object:
        if isinstance(v, (dt.datetime, int, float, bool)):
            raise PydanticCustomError("date_type", "a date (YYYY-MM-DD), not {kind}",
                                      {"kind": type(v).__name__})
        if isinstance(v, str):
            try:
                text = v.strip()
                if not _DATE_TEXT.fullmatch(text):
                    raise ValueError(text)
                v = dt.date.fromisoformat(text)
            except ValueError:
                raise PydanticCustomError("date_format", "not a date in YYYY-MM-DD form") from None
        if isinstance(v, dt.date) and not (MIN_DATE <= v <= MAX_DATE):
            raise PydanticCustomError("date_range", "out of range ({lo} to {hi})",
                                      {"lo": MIN_DATE.isoformat(), "hi": MAX_DATE.isoformat()})
        return v

    @model_validator(mode="wrap")
    @classmethod
    def _against_catalog(cls, data: Any, handler: Any, info: ValidationInfo) -> ProposedStrike:
        if not isinstance(data, Mapping):
            return handler(data)  # type: ignore[no-any-return]
        ctx = info.context or {}
        catalog: Catalog = ctx.get("catalog") or default_catalog()
        data = dict(data)
        mine = _catalog_problems(data, catalog)
        try:
            strike: ProposedStrike = handler(data)
        except ValidationError as e:
            theirs = [d for d in _details(e) if d["loc"][:1] not in {m["loc"][:1] for m in mine}]
            raise _combined(theirs + mine) from None
        if mine:
            raise _combined(mine)
        if strike.weapon is not None:  # a number Pydantic accepts but the check above could not read (Decimal)
            weapon = catalog.weapon_by_id(strike.weapon)
            if strike.range_km > weapon.reach_km:
                raise _combined([_beyond_reach(strike.range_km, weapon, data.get("range_km"))])
        region = catalog.region_by_id(strike.target_region)
        private: dict[str, Any] = private_of(strike)  # type: ignore[assignment]
        private["_country"] = region.country
        private["_catalog"] = catalog
        private["_facts"] = _facts(strike, region.country)
        return strike



def _catalog_problems(data: dict[str, Any], catalog: Catalog) -> list[InitErrorDetails]:
    """Check (and normalise, in place) what needs the catalog; return problems as error details."""
    out: list[InitErrorDetails] = []

    def bad(field: str, message: str) -> None:
        out.append(InitErrorDetails(type=PydanticCustomError("catalog", "{msg}", {"msg": message}), loc=(field,),
                                    input=data.get(field)))

    given = {f: data.pop(f) for f in DERIVED if f in data}  # may come back (JSON round trip); must agree

    weapon = None
    if isinstance(data.get("weapon"), str):
        weapon = catalog.weapon(data["weapon"])
        if weapon is None:
            name = data["weapon"]
            bad("weapon", f"unknown weapon {_short(name)}{did_you_mean(catalog.suggest_weapon(name), name)}")
        else:
            data["weapon"] = weapon.id
            wc = data.get("weapon_class")
            if wc is None:
                data["weapon_class"] = weapon.weapon_class.value
            elif isinstance(wc, str) and wc != weapon.weapon_class.value and wc in WeaponClass._value2member_map_:
                bad("weapon_class", f"{wc} contradicts the catalog: {weapon.name} is {weapon.weapon_class.value}")
            sup = data.get("supplier")
            if sup is None:
                data["supplier"] = weapon.supplier
            elif isinstance(sup, str):
                data["supplier"] = sup = sup.strip().upper()
                if sup not in weapon.suppliers:
                    bad("supplier", f"{sup} contradicts the catalog: {weapon.name} is supplied by "
                        + ", ".join(weapon.suppliers))
            rng = data.get("range_km")
            if isinstance(rng, (int, float)) and not isinstance(rng, bool) \
                    and (isinstance(rng, int) or math.isfinite(rng)) and rng > weapon.reach_km:
                out.append(_beyond_reach(rng, weapon, rng))
    elif data.get("weapon") is None and data.get("weapon_class") is None:
        bad("weapon_class", "required when no weapon is given")
    if isinstance(data.get("supplier"), str):
        data["supplier"] = data["supplier"].strip().upper()

    for field in ("target_region", "defended_region"):
        value = data.get(field)
        if isinstance(value, str):
            region = catalog.region(value)
            if region is None:
                bad(field, f"unknown region {_short(value)}{did_you_mean(catalog.suggest_region(value), value)}; "
                    f"known: {known(catalog.region_ids)}")
            elif field == "defended_region" and region.country != "UA":
                bad(field, f"{region.id} is not a Ukrainian region")
            else:
                data[field] = region.id
                if field == "target_region" and "target_country" in given \
                        and given["target_country"] != region.country:
                    bad("target_country", f"is derived from target_region ({region.id} is in "
                        f"{region.country}), not {_short(given['target_country'])}")
    ttype = data.get("target_type")
    if "target_category" in given and isinstance(ttype, str) and ttype in TargetType._value2member_map_:
        category = TargetType(ttype).category.value
        if given["target_category"] != category:
            bad("target_category", f"is derived from target_type ({ttype} is {category}), "
                f"not {_short(given['target_category'])}")
    return out


def _beyond_reach(rng: float, weapon: Weapon, given: object) -> InitErrorDetails:
    try:
        shown = f"{rng:.12g}"
    except OverflowError:  # an int too large for a float (and maybe for str())
        shown = f"about 10^{int(int(rng).bit_length() * math.log10(2))}"
    return InitErrorDetails(type=PydanticCustomError("catalog", "{msg}", {
        "msg": f"{shown} km is beyond the reach of {weapon.name} ({weapon.reach_km:g} km)"}),
        loc=("range_km",), input=given)


# Pydantic errors of a field that wants text or one of named values: a boolean there is
# almost always an unquoted YAML word (NO for Norway, on, yes) in a strike file.
_TEXT_ERRORS = frozenset({"string_type", "literal_error", "enum", "string_pattern_mismatch"})


def _message(err: Any) -> str:
    """Pydantic's message for one error, in this library's words for unknown and missing fields."""
    return {"extra_forbidden": "unknown field", "missing": "required"}.get(err["type"], str(err["msg"]))


def _details(e: ValidationError) -> list[InitErrorDetails]:
    out: list[InitErrorDetails] = []
    for err in e.errors():
        msg = _message(err)
        if err["type"] not in ("extra_forbidden", "missing") and "input" in err:
            got = err["input"]
            hint = "; in YAML, quote it: unquoted yes, no, on and off are booleans" \
                if isinstance(got, bool) and err["type"] in _TEXT_ERRORS else ""
            msg = f"{msg} (got {_short(got)}{hint})"
        loc = tuple(str(p) for p in err["loc"] if not str(p).startswith("function-"))
        out.append(InitErrorDetails(type=PydanticCustomError("strike", "{msg}", {"msg": msg}),
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
    return _short(name)


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


# The strike as seen by conditions ---------------------------------------------------------


FACT_FIELDS = ("weapon", "weapon_class", "supplier", "target_region", "target_type", "self_defense",
               "defended_region", "range_km", "target_country", "target_category")


def facts(strike: ProposedStrike) -> dict[str, Any]:
    """The strike as plain values for conditions: enums as strings, None where not given.

    Computed once, when the strike is validated; do not mutate the returned dict."""
    private: dict[str, Any] = private_of(strike)  # type: ignore[assignment]
    out = private["_facts"]
    if out is None:
        out = private["_facts"] = _facts(strike, private["_country"])
    return out  # type: ignore[no-any-return]


def _facts(strike: ProposedStrike, country: str) -> dict[str, Any]:
    wc = strike.weapon_class
    return {
        "weapon": strike.weapon,
        "weapon_class": wc.value if wc is not None else None,
        "supplier": strike.supplier,
        "target_region": strike.target_region,
        "target_type": strike.target_type.value,
        "self_defense": strike.self_defense,
        "defended_region": strike.defended_region,
        "range_km": strike.range_km,
        "target_country": country,
        "target_category": strike.target_type.category.value,
    }
