"""The verdict: a decision that explains itself (rule, source, policy version, what lost)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, GetCoreSchemaHandler, GetJsonSchemaHandler, computed_field
from pydantic_core import core_schema

from ..model import intake
from ..model.catalog import Catalog
from ..model.dimensions import NUMBER_FIELDS
from ..model.domain import Basis, Decision
from ..model.slots import construct, private_of
from ..model.sources import Source
from ..model.strike import ProposedStrike, built
from .contested import Contest

DEFAULT_RULE_ID = "default"


class RuleRef(BaseModel):
    """The rule that fired (or the policy default, with id ``default``)."""

    model_config = ConfigDict(frozen=True)

    id: str
    title: str
    effect: Decision
    source: Source | None = None
    basis: Basis | None = None
    caveats: str | None = None
    file: str | None = None


class PolicyRef(BaseModel):
    """The policy version that decided."""

    model_config = ConfigDict(frozen=True)

    id: str
    version: str
    title: str
    effective_from: dt.date
    effective_until: dt.date | None = None
    file: str | None = None

    @property
    def ref(self) -> str:
        return f"{self.id}@{self.version}"


class VerdictModel(BaseModel):
    """The Pydantic form of a :class:`Verdict`: what its JSON holds, with its schema."""

    model_config = ConfigDict(frozen=True)

    decision: Decision
    rule: RuleRef
    policy: PolicyRef
    matched: tuple[str, ...] = ()
    overridden: tuple[str, ...] = ()
    conflict: tuple[str, ...] = ()
    caveats: tuple[str, ...] = ()
    strike: ProposedStrike
    backend: str
    pack_digest: str
    library_version: str
    rests_on: str | None = None
    notes: tuple[str, ...] = ()
    reading: dict[str, str] = {}
    contested: tuple[Contest, ...] = ()

    @computed_field  # type: ignore[prop-decorator]
    @property
    def allowed(self) -> bool:
        return self.decision is Decision.ALLOWED


@dataclass(frozen=True, slots=True)
class VerdictParts:
    """Every part of a verdict but the strike: shared by all the strikes with one outcome under
    one rule set (a decider builds one per outcome and keeps it)."""

    decision: Decision
    rule: RuleRef
    policy: PolicyRef
    matched: tuple[str, ...]
    overridden: tuple[str, ...]
    conflict: tuple[str, ...]
    caveats: tuple[str, ...]
    backend: str
    pack_digest: str
    library_version: str
    rests_on: str | None = None  # the weakest link: what the decision's source rests on
    notes: tuple[str, ...] = ()  # the deciding rule's note and its version's, as "rule x: ..." / "us@v: ..."
    reading: Mapping[str, str] = field(default_factory=dict)  # the choices that differ from the defaults
    # What decided (an engine): asked for the contested points of a strike when a verdict's are read.
    context: Any = field(default=None, compare=False, repr=False)
    # (strike, parts) -> the notes on what was assumed (policyrules.deciding.notes), asked when read.
    assumptions: Callable[[ProposedStrike, VerdictParts], tuple[str, ...]] | None = field(
        default=None, compare=False, repr=False)


class RouteLike(Protocol):
    """What a plain dict's key stands for (see ``policyrules.deciding.decider.Route``)."""

    base: intake.Base
    day: dt.date | None
    catalog: Catalog
    given: tuple[str, ...]  # the fields the dicts of its key give


# A verdict of a plain dict keeps its numbers in slots of its own, one per number (NUMBER_FIELDS order).
NUMBER_SLOTS = tuple(f"_x{i}" for i in range(len(NUMBER_FIELDS)))
_PART_NAMES = tuple(f.name for f in fields(VerdictParts) if f.name not in ("reading", "context", "assumptions"))


def _parts_of(m: VerdictModel) -> VerdictParts:
    return VerdictParts(**{name: getattr(m, name) for name in _PART_NAMES}, reading=dict(m.reading))


_MODEL_FIELDS = frozenset(VerdictModel.model_fields)
_new = object.__new__


class Verdict:
    """Allowed or prohibited, by which rule, under which policy version, on what source.

    A light object (the engine makes millions): its parts are shared per outcome and its strike is
    built when first read. Its Pydantic form, :class:`VerdictModel`, is built on demand: JSON out
    with :meth:`model_dump` / :meth:`model_dump_json`, JSON in with :meth:`model_validate` /
    :meth:`model_validate_json`, the schema from :meth:`model_json_schema`; a Pydantic model may
    have a field of type ``Verdict``."""

    # A new verdict sets its slots (the engine's hot path, policyrules.deciding.hotpath, does it
    # inline): _parts, and _strike, the strike or, for a plain dict, the route its key stands for, its
    # numbers then in the NUMBER_SLOTS (the strike is built from them when first read). No tuple: a
    # verdict of a dict is one object. _contested is set when first read.
    __slots__ = ("_contested", "_parts", "_strike", *NUMBER_SLOTS)

    _parts: VerdictParts
    _strike: ProposedStrike | RouteLike
    _contested: tuple[Contest, ...]

    def __init__(self, **fields_: Any) -> None:
        """A verdict from its fields, validated as :class:`VerdictModel` validates them."""
        m = VerdictModel.model_validate(fields_)
        self._parts = _parts_of(m)
        self._strike = m.strike
        self._contested = m.contested

    @classmethod
    def of(cls, parts: VerdictParts, strike: ProposedStrike) -> Verdict:
        """The verdict of ``strike`` with parts a decider made (the engine's own constructor: no checks)."""
        v = _new(cls)
        v._parts = parts  # noqa: SLF001 - the class's own constructor fills a new instance
        v._strike = strike  # noqa: SLF001
        return v

    # The fields --------------------------------------------------------------------------

    @property
    def decision(self) -> Decision:
        return self._parts.decision

    @property
    def allowed(self) -> bool:
        return self._parts.decision is Decision.ALLOWED

    @property
    def rule(self) -> RuleRef:
        """The rule that fired (or the policy default, with id ``default``)."""
        return self._parts.rule

    @property
    def policy(self) -> PolicyRef:
        """The policy version that decided."""
        return self._parts.policy

    @property
    def matched(self) -> tuple[str, ...]:
        """Every rule whose conditions held."""
        return self._parts.matched

    @property
    def overridden(self) -> tuple[str, ...]:
        """Matched rules that lost to an exception."""
        return self._parts.overridden

    @property
    def conflict(self) -> tuple[str, ...]:
        """Matched rules that disagreed with none overriding the others (the decision is then prohibited)."""
        return self._parts.conflict

    @property
    def caveats(self) -> tuple[str, ...]:
        return self._parts.caveats

    @property
    def backend(self) -> str:
        return self._parts.backend

    @property
    def pack_digest(self) -> str:
        return self._parts.pack_digest

    @property
    def library_version(self) -> str:
        return self._parts.library_version

    @property
    def rests_on(self) -> str | None:
        """The weakest link: what the source of the decision rests on (``an official on the record (...)``)."""
        return self._parts.rests_on

    @property
    def notes(self) -> tuple[str, ...]:
        """The deciding rule's note and its policy version's (``rule x: ...``, ``us@v: ...``), what words
        of the strike were read as (``target_type: 'refinery' read as energy_infrastructure``), then what
        was assumed (a defended region without self-defense, a date past the pack's review, a decision
        by the policy default, the fields filled in: see :mod:`policyrules.deciding.notes`), worked out
        when read."""
        parts = self._parts
        more = parts.assumptions
        return parts.notes + self._read_as() + (() if more is None else more(self.strike, parts))

    def _read_as(self) -> tuple[str, ...]:
        base = private_of(self.strike)["_base"]  # type: ignore[index]
        return intake.read_as_notes(base) if base is not None and base.read_as else ()

    @property
    def reading(self) -> dict[str, str]:
        """The options of contested points the verdict was decided under, where they differ from the defaults."""
        return dict(self._parts.reading)

    @property
    def contested(self) -> tuple[Contest, ...]:
        """The contested points whose other options would change the decision or the deciding rule, each
        with the verdict under those options (empty: no contested point changes this verdict). Computed
        exactly when first read, by evaluating the strike under each of those options."""
        try:
            return self._contested
        except AttributeError:  # not read yet
            context = self._parts.context
            found = self._contested = context.contested(self.strike, self) if context is not None else ()
        return found

    @property
    def strike(self) -> ProposedStrike:
        s = self._strike
        if not isinstance(s, ProposedStrike):  # a plain dict's route: the strike is built now
            numbers = tuple(getattr(self, name) for name in NUMBER_SLOTS)
            s = self._strike = built(*intake.strike_parts(s.base, numbers, s.day, s.given), s.catalog)
        return s

    # The Pydantic form -------------------------------------------------------------------

    def model(self) -> VerdictModel:
        """The verdict as its Pydantic model (built now, without validation: the parts are checked)."""
        values = {name: getattr(self._parts, name) for name in _PART_NAMES}
        values["strike"] = self.strike
        values["notes"] = self.notes
        values["reading"] = dict(self._parts.reading)
        values["contested"] = self.contested
        return construct(VerdictModel, {name: values[name] for name in VerdictModel.model_fields}, _MODEL_FIELDS)

    def model_dump(self, **kwargs: Any) -> dict[str, Any]:
        """As ``BaseModel.model_dump`` (``mode="json"`` for JSON-ready values)."""
        return self.model().model_dump(**kwargs)

    def model_dump_json(self, **kwargs: Any) -> str:
        return self.model().model_dump_json(**kwargs)

    @classmethod
    def model_validate(cls, data: object) -> Verdict:
        """A verdict from its JSON-ready form (a dict, a :class:`VerdictModel` or a verdict)."""
        if isinstance(data, Verdict):
            return data
        return cls._from_model(data if isinstance(data, VerdictModel) else VerdictModel.model_validate(data))

    @classmethod
    def model_validate_json(cls, text: str | bytes) -> Verdict:
        return cls._from_model(VerdictModel.model_validate_json(text))

    @classmethod
    def model_json_schema(cls, **kwargs: Any) -> dict[str, Any]:
        return VerdictModel.model_json_schema(**kwargs)

    @classmethod
    def _from_model(cls, m: VerdictModel) -> Verdict:
        v = cls.of(_parts_of(m), m.strike)
        v._contested = m.contested  # noqa: SLF001 - the class's own constructor
        return v

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        """A ``Verdict`` field of a Pydantic model: validated from a verdict or its JSON form, dumped as JSON form."""
        return core_schema.no_info_plain_validator_function(
            cls.model_validate,
            serialization=core_schema.plain_serializer_function_ser_schema(
                lambda v, info: v.model_dump(mode=info.mode), info_arg=True))

    @classmethod
    def __get_pydantic_json_schema__(cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler) -> Any:
        return handler(VerdictModel.__pydantic_core_schema__)

    # Comparing, copying, showing -----------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Verdict):
            return NotImplemented
        return self._settled() == other._settled() and self.strike == other.strike

    def _settled(self) -> VerdictParts:
        """The parts with every note in them (what a verdict read back from its JSON has)."""
        parts = self._parts
        if parts.assumptions is None and not self._read_as():
            return parts
        return replace(parts, notes=self.notes, assumptions=None)

    __hash__ = None  # type: ignore[assignment]

    def __reduce__(self) -> tuple[Any, ...]:
        return (Verdict.of, (self._settled(), self.strike))

    def __repr__(self) -> str:
        return (f"Verdict(decision={self.decision.value!r}, rule={self.rule.id!r}, policy={self.policy.ref!r}, "
                f"strike={self.strike!r})")

    def explain(self) -> str:
        """Readable, multi-line: decision, deciding rule, its source, what was overridden."""
        s = self.strike
        what = _weapon_name(s) or (s.weapon_class.value if s.weapon_class else "strike")
        lines = [
            f"{self.decision.value.upper()}: {what} ({s.supplier or 'no supplier'}) on "
            f"{s.target_type.value} in {s.target_region} ({s.target_country}), {s.range_km:g} km"
            + (", self-defense" + (f" of {s.defended_region}" if s.defended_region else "")
               if s.self_defense else "")
            + (f", on {s.date.isoformat()}" if s.date else ""),
            f"  policy:  {self.policy.ref} ({self.policy.title}), in force from "
            f"{self.policy.effective_from.isoformat()}"
            + (f" until {self.policy.effective_until.isoformat()}" if self.policy.effective_until else ""),
        ]
        if self.rule.id == DEFAULT_RULE_ID:
            lines.append(f"  rule:    default: no rule matched; the policy default is {self.decision.value}")
        else:
            lines.append(f"  rule:    {self.rule.id}: {self.rule.title}")
            if self.rule.source is not None:
                basis = f" [{self.rule.basis.value}]" if self.rule.basis else ""
                lines.append(f"  source:  {self.rule.source}{basis}")
        if self.conflict:
            lines.append("  CONFLICT: rules disagree, prohibited as a fail-safe: " + ", ".join(self.conflict))
        if self.overridden:
            lines.append("  overridden: " + ", ".join(self.overridden))
        others = [m for m in self.matched if m != self.rule.id and m not in self.overridden]
        if others:
            lines.append("  also matched: " + ", ".join(others))
        for caveat in self.caveats:
            lines.append(f"  caveat:  {caveat}")
        if self.rests_on:
            lines.append(f"  rests on: {self.rests_on}")
        if self.reading:
            lines.append("  reading: " + ", ".join(f"{k}={v}" for k, v in self.reading.items()))
        contested = self.contested
        for c in contested:
            lines.append(f"  contested: {c.point}: {c.question}")
            for a in c.alternatives:
                what = f"{a.decision.value} by {a.rule} ({a.policy})" if a.decision is not None else \
                    f"no verdict: {a.error}"
                lines.append(f"    under {a.option}: {what}" + (f"; rests on {a.rests_on}" if a.rests_on else ""))
        if not contested and self._parts.context is not None and self._parts.context.readings:
            lines.append("  contested: no contested point changes this verdict")
        own, read = self._parts.notes, self._read_as()
        for note in own:
            lines.append(f"  note:    {brief(note)}")
        for note in read:
            lines.append(f"  note:    {note}")
        for note in self.notes[len(own) + len(read):]:
            lines.append(f"  assumed: {note}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return f"{self.decision.value} by {self.rule.id} ({self.policy.ref})"


def brief(text: str, limit: int = 160) -> str:
    """A note's first sentence, cut to about ``limit`` characters (the whole is in the JSON)."""
    one = " ".join(text.split())
    end = one.find(". ")
    first = one if end < 0 else one[: end + 1]
    return first if len(first) <= limit else first[: limit - 3].rstrip() + "..."


def _weapon_name(s: ProposedStrike) -> str | None:
    """The weapon's display name from the strike's catalog (its id when there is none)."""
    if s.weapon is None:
        return None
    catalog = (private_of(s) or {}).get("_catalog")
    weapon = catalog.weapon(s.weapon) if catalog is not None else None
    return weapon.name if weapon is not None else s.weapon
