"""What a verdict assumed without being told: its notes beyond the rules' own.

A :class:`Assumptions` is made once per rule set (by the engine, with its decider) and kept in the
verdict parts of each outcome; a verdict asks it for its notes only when they are read (``notes``,
``explain()``, the JSON), so evaluation does no work for them. The notes state:

- a ``defended_region`` given without ``self_defense``: nothing is defended, the region is unused;
- a date after the pack's ``reviewed:`` date (``catalog.yaml``): what the pack covers and until when;
- a decision that falls to the policy default because no rule matched: which policy, what strike;
- the fields filled in for the strike: a weapon's class and supplier, a region's country, a target
  type's category, self-defense taken as false when not given, and the version chosen for a strike
  without a date.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..model.catalog import Catalog
from ..packs.pack import COMMON, DEFAULT, Pack, RuleSet

if TYPE_CHECKING:
    from ..model.strike import ProposedStrike
    from .verdict import VerdictParts

COUNTRY_NAMES = {"UA": "Ukraine", "RU": "Russia"}
DEFAULT_RULE = "default"


def coverage_of(pack: Pack) -> tuple[dt.date | None, str]:
    """The pack's review date, and what it covers: its policies and their first date."""
    own = sorted(p for p in pack.policies if p not in (COMMON, DEFAULT))
    first = min((v.effective_from for p in pack.policies.values() for v in p.versions), default=None)
    what = ", ".join(own) + (" and the default policy" if DEFAULT in pack.policies else "")
    return pack.catalog.reviewed, f"the policies of {what}" + (f" from {first.isoformat()}" if first else "")


@dataclass(frozen=True)
class Assumptions:
    """The notes a verdict under one rule set adds about its strike (see the module)."""

    catalog: Catalog
    policy: str  # the policy id
    ref: str  # policy@version
    reviewed: dt.date | None
    covers: str  # what the pack covers, in words
    latest: bool  # the rule set is the policy's latest (what a strike without a date gets)

    @classmethod
    def of(cls, pack: Pack, ruleset: RuleSet) -> Assumptions:
        v = ruleset.version
        reviewed, covers = coverage_of(pack)
        policy = pack.policies[v.policy]
        return cls(pack.catalog, v.policy, v.ref, reviewed, covers, v is policy.versions[-1])

    def __call__(self, s: ProposedStrike, parts: VerdictParts) -> tuple[str, ...]:
        out: list[str] = []
        if s.defended_region is not None and not s.self_defense:
            out.append(f"defended_region {s.defended_region} is given without self_defense: the strike is judged as "
                       "not in self-defense, and the defended region is not used")
        if self.reviewed is not None and s.date is not None and s.date > self.reviewed:
            out.append(f"{s.date.isoformat()} is after the pack's last review ({self.reviewed.isoformat()}): it "
                       f"covers {self.covers} to {self.reviewed.isoformat()}, and a later change is not in it")
        if parts.rule.id == DEFAULT_RULE:
            country = COUNTRY_NAMES.get(s.target_country or "", s.target_country)
            category = s.target_category.value.replace("_", "-") if s.target_category else "any"
            out.append(f"no rule of the {self.policy} policy ({self.ref}) covers this strike ({self._weapon(s)} on "
                       f"{s.target_type.value}, a {category} target in {country}); the default is "
                       f"{parts.decision.value}")
        out.append(self._derived(s))
        return tuple(out)

    def _weapon(self, s: ProposedStrike) -> str:
        if s.weapon is not None:
            return self.catalog.weapon_by_id(s.weapon).name
        what = s.weapon_class.value.replace("_", " ") if s.weapon_class else "this weapon"
        return f"a {what}" + (f" from {s.supplier}" if s.supplier else "")

    def _derived(self, s: ProposedStrike) -> str:
        parts = []
        if s.weapon is not None:
            w = self.catalog.weapon_by_id(s.weapon)
            # a weapon of several suppliers needs the supplier given: only an only supplier is filled in
            parts.append(f"weapon_class {w.weapon_class.value} and supplier {s.supplier} from {w.name} (its only "
                         "supplier)" if len(w.suppliers) == 1 else f"weapon_class {w.weapon_class.value} from {w.name}")
        region = self.catalog.region_by_id(s.target_region)
        parts.append(f"target_country {s.target_country} from {region.name}"
                     + (" (occupied)" if region.occupied else ""))
        if s.target_category is not None:
            parts.append(f"target_category {s.target_category.value} from {s.target_type.value}")
        if "self_defense" not in s.model_fields_set:
            parts.append("self_defense not given: false")
        if s.date is None:
            parts.append(f"no date: the latest version, {self.ref}" if self.latest else f"no date: {self.ref}")
        return "filled in: " + "; ".join(parts)
