"""The verdict: a decision that explains itself (rule, source, policy version, what lost)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, computed_field

from ..model.domain import Basis, Decision
from ..model.slots import construct, private_of
from ..model.sources import Source
from ..model.strike import ProposedStrike

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


class Verdict(BaseModel):
    """Allowed or prohibited, by which rule, under which policy version, on what source."""

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

    @classmethod
    def trusted(cls, parts: dict[str, Any], strike: ProposedStrike) -> Verdict:
        """A verdict from parts the engine already checked (every field but the strike, as
        :meth:`~policyrules.deciding.decider.RuleSetDecider.decide` gives them) and the strike."""
        return construct(cls, {**parts, "strike": strike}, _VERDICT_FIELDS)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def allowed(self) -> bool:
        return self.decision is Decision.ALLOWED

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
        for c in self.caveats:
            lines.append(f"  caveat:  {c}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return f"{self.decision.value} by {self.rule.id} ({self.policy.ref})"


def _weapon_name(s: ProposedStrike) -> str | None:
    """The weapon's display name from the strike's catalog (its id when there is none)."""
    if s.weapon is None:
        return None
    catalog = (private_of(s) or {}).get("_catalog")
    weapon = catalog.weapon(s.weapon) if catalog is not None else None
    return weapon.name if weapon is not None else s.weapon


_VERDICT_FIELDS = frozenset(Verdict.model_fields)
