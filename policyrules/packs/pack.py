"""A loaded policy pack: policies, their composed versions, and the rule sets evaluated.

Everything here is immutable and already checked by the loader. A :class:`RuleSet` is the
unit of evaluation: the rules of ``common`` in force, then those of one policy version.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from ..language.conditions import Condition, Schema
from ..model.catalog import Catalog
from ..model.dates import parse_date
from ..model.domain import Basis, Decision
from ..model.errors import PolicyRefError, echo
from ..model.sources import Source
from .readings import Readings
from .rulefile import Parameter

COMMON = "common"
DEFAULT = "default"
# Policies of suppliers: a strike's supplier code, lowercased, names its policy.


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    effect: Decision
    when: Condition
    overrides: frozenset[str] | Literal["all"]
    source: Source
    basis: Basis
    policy: str
    file: str
    line: int | None = None
    caveats: str | None = None
    note: str | None = None

    def overrides_rule(self, other: Rule) -> bool:
        return other is not self and (self.overrides == "all" or other.id in self.overrides)


@dataclass(frozen=True)
class PolicyVersion:
    policy: str
    version: str
    title: str
    effective_from: dt.date
    effective_until: dt.date | None
    default: Decision
    parameters: Mapping[str, Parameter]
    rules: tuple[Rule, ...]
    file: str
    extends: str | None = None
    note: str | None = None
    added: tuple[str, ...] = ()
    replaced: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()

    @property
    def ref(self) -> str:
        return f"{self.policy}@{self.version}"

    def in_force(self, day: dt.date) -> bool:
        return self.effective_from <= day and (self.effective_until is None or day <= self.effective_until)


@dataclass(frozen=True)
class Policy:
    id: str
    versions: tuple[PolicyVersion, ...]  # sorted by effective_from

    def at(self, day: dt.date | None) -> PolicyVersion | None:
        """The version in force on ``day`` (the latest one when ``day`` is None)."""
        if day is None:
            return self.versions[-1]
        chosen = None
        for v in self.versions:
            if v.effective_from <= day:
                chosen = v
        if chosen is not None and chosen.effective_until is not None and day > chosen.effective_until:
            return None
        return chosen

    def version(self, name: str) -> PolicyVersion | None:
        return next((v for v in self.versions if v.version == name), None)


@dataclass(frozen=True)
class RuleSet:
    """The rules evaluated together: ``common``'s rules, then the policy version's."""

    version: PolicyVersion
    common: PolicyVersion | None
    rules: tuple[Rule, ...]

    @property
    def key(self) -> tuple[str, str, str | None]:
        return (self.version.policy, self.version.version, self.common.version if self.common else None)


@dataclass(frozen=True)
class Window:
    """A span of dates over which one rule set is in force for one policy."""

    start: dt.date
    end: dt.date | None  # inclusive; None: open-ended
    ruleset: RuleSet


@dataclass(frozen=True)
class Pack:
    """A pack composed under one reading of its contested points (``reading``: point -> option);
    ``source`` composes it under others (:meth:`under`)."""

    catalog: Catalog
    schema: Schema
    policies: Mapping[str, Policy]
    root: str
    digest: str
    files: tuple[str, ...] = ()
    readings: Readings = field(default_factory=lambda: Readings(()), compare=False)
    reading: Mapping[str, str] = field(default_factory=dict)
    source: Any = field(default=None, compare=False, repr=False)
    _rulesets: dict[tuple[str, str, str | None], RuleSet] = field(default_factory=dict, compare=False)
    # Not an argument: a pack made by dataclasses.replace() starts with no windows (its policies may differ).
    _windows: dict[str, tuple[Window, ...]] = field(default_factory=dict, init=False, compare=False, repr=False)

    def under(self, choices: Mapping[str, object] | None) -> Pack:
        """The pack composed under another reading: ``choices`` made over this pack's reading."""
        reading = self.readings.reading(choices, base=self.reading)
        if reading == dict(self.reading):
            return self
        if self.source is None:
            raise PolicyRefError("this pack was not loaded from rule files: it cannot be composed under a reading")
        return self.source.compose(reading)  # type: ignore[no-any-return]

    @property
    def supplier_policies(self) -> list[Policy]:
        return [p for pid, p in self.policies.items() if pid not in (COMMON, DEFAULT)]

    def policy_for_supplier(self, supplier: str | None) -> Policy:
        pid = supplier.lower() if supplier else None
        if pid is not None and pid in self.policies and pid not in (COMMON, DEFAULT):
            return self.policies[pid]
        if DEFAULT in self.policies:
            return self.policies[DEFAULT]
        who = f"supplier {supplier}" if supplier else "a strike with no supplier"
        raise PolicyRefError(f"no policy for {who} and no 'default' policy in {self.root}")

    def ruleset(self, version: PolicyVersion, day: dt.date | None) -> RuleSet:
        common_policy = self.policies.get(COMMON)
        common = None
        if common_policy is not None and version.policy != COMMON:
            common = common_policy.at(day if day is not None else None)
        key = (version.policy, version.version, common.version if common else None)
        rs = self._rulesets.get(key)
        if rs is None:
            rs = RuleSet(version, common, (common.rules if common else ()) + version.rules)
            self._rulesets[key] = rs
        return rs

    def version_at(self, policy: Policy, day: dt.date | None) -> PolicyVersion:
        v = policy.at(day)
        if v is None:
            first = policy.versions[0]
            if day is not None and day < first.effective_from:
                raise PolicyRefError(
                    f"{day.isoformat()} is before the first version of policy {policy.id} "
                    f"({first.version}, from {first.effective_from.isoformat()})")
            raise PolicyRefError(f"no version of policy {policy.id} is in force on {day}")
        return v

    def windows(self, policy_id: str) -> list[Window]:
        """Every span of dates with one rule set, in date order, for one policy (worked out once per pack)."""
        found = self._windows.get(policy_id)
        if found is None:
            found = self._windows[policy_id] = tuple(self._windows_of(policy_id))
        return list(found)

    def _windows_of(self, policy_id: str) -> list[Window]:
        policy = self.policies[policy_id]
        starts: set[dt.date] = set()
        sources = [policy]
        if policy_id != COMMON and COMMON in self.policies:
            sources.append(self.policies[COMMON])
        for p in sources:
            for v in p.versions:
                starts.add(v.effective_from)
                if v.effective_until is not None:
                    starts.add(v.effective_until + dt.timedelta(days=1))
        first = policy.versions[0].effective_from
        days = sorted(d for d in starts if d >= first)
        out: list[Window] = []
        for i, day in enumerate(days):
            in_force = policy.at(day)
            if in_force is None:
                continue
            end = days[i + 1] - dt.timedelta(days=1) if i + 1 < len(days) else None
            rs = self.ruleset(in_force, day)
            if out and out[-1].ruleset is rs and out[-1].end is not None and \
                    out[-1].end + dt.timedelta(days=1) == day:
                out[-1] = Window(out[-1].start, end, rs)
            else:
                out.append(Window(day, end, rs))
        return out

    def all_rulesets(self) -> Iterator[RuleSet]:
        seen: set[tuple[str, str, str | None]] = set()
        for pid in self.policies:
            if pid == COMMON and len(self.policies) > 1:
                continue
            for w in self.windows(pid):
                if w.ruleset.key not in seen:
                    seen.add(w.ruleset.key)
                    yield w.ruleset

    def resolve_ref(self, ref: str) -> PolicyVersion:
        """``us@2024-05-30`` (a version name, or any date in force as YYYY-MM-DD, the one date form
        strikes take) or ``us`` (the latest)."""
        pid, _, at = ref.partition("@")
        policy = self.policies.get(pid.strip().lower())
        if policy is None:
            raise PolicyRefError(f"unknown policy {echo(pid)} in {echo(ref)}; known: {', '.join(self.policies)}")
        if not at:
            return policy.versions[-1]
        named = policy.version(at.strip())
        if named is not None:
            return named
        try:
            day = parse_date(at)
        except ValueError as e:
            names = ", ".join(v.version for v in policy.versions)
            raise PolicyRefError(f"{echo(ref)}: {echo(at)} is neither a version of {policy.id} ({names}) nor a "
                                 f"date ({e})") from None
        return self.version_at(policy, day)
