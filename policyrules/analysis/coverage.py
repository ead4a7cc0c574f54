"""Coverage of a pack by a set of verdicts (a scenario run), like ``opa test --coverage``.

For every rule of every rule set in force: how many verdicts it decided, how many it matched without
deciding (overridden, or agreeing with the rule that decided), and so which rules decided, which
matched but never decided, and which never fired. For every rule set (a policy version with common's
rules): how many of its classes (:mod:`policyrules.analysis.partition`, exact: strikes in one class
match the same rules) the verdicts fall in, and how many verdicts the policy default decided.

Only verdicts decided under the pack's own reading of its contested points count (a case pinned to
other options is judged by other rule sets); the others are counted as ``elsewhere``.
"""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict, computed_field

from ..deciding.verdict import DEFAULT_RULE_ID, Verdict
from ..packs.pack import RuleSet
from ..packs.resolved import ResolvedPack
from .partition import Key, Partition, partition

_Def = tuple[str, str | None, int | None]  # a rule as written: its id, file and line


class RuleCoverage(BaseModel):
    """One rule as written (a rule replaced in a later version under the same id is another one)."""

    model_config = ConfigDict(frozen=True)

    id: str
    file: str | None
    line: int | None
    versions: tuple[str, ...]  # the rule sets it is part of (policy@version)
    decided: int  # verdicts it decided
    matched: int  # verdicts it matched without deciding

    @property
    def state(self) -> str:
        return "decided" if self.decided else "matched" if self.matched else "never fired"


class VersionCoverage(BaseModel):
    model_config = ConfigDict(frozen=True)

    version: str  # policy@version (+ common@version)
    verdicts: int
    by_default: int  # verdicts the policy default decided (no rule matched)
    classes: int
    touched: int

    @computed_field  # type: ignore[prop-decorator]
    @property
    def percent(self) -> float:
        return round(100 * self.touched / self.classes, 2) if self.classes else 100.0


class CoverageReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    verdicts: int
    elsewhere: int  # verdicts under other readings of contested points: not counted
    rules: tuple[RuleCoverage, ...]
    versions: tuple[VersionCoverage, ...]

    @property
    def decided(self) -> tuple[str, ...]:
        return tuple(r.id for r in self.rules if r.decided)

    @property
    def matched_only(self) -> tuple[str, ...]:
        """Rules that matched some verdict but decided none."""
        return tuple(r.id for r in self.rules if r.matched and not r.decided)

    @property
    def never_fired(self) -> tuple[str, ...]:
        return tuple(r.id for r in self.rules if not r.matched and not r.decided)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def percent(self) -> float:
        """The share of rules that decided some verdict, in percent (what ``--coverage-min`` checks)."""
        return round(100 * len(self.decided) / len(self.rules), 2) if self.rules else 100.0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def class_percent(self) -> float:
        """The share of all the classes of all the rule sets the verdicts fall in, in percent."""
        total = sum(v.classes for v in self.versions)
        return round(100 * sum(v.touched for v in self.versions) / total, 2) if total else 100.0

    def to_text(self) -> str:
        lines = [f"coverage: {len(self.decided)} of {len(self.rules)} rules decided ({self.percent:g}%), "
                 f"{len(self.matched_only)} matched but never decided, {len(self.never_fired)} never fired; "
                 f"{self.verdicts} cases" + (f" ({self.elsewhere} under other readings not counted)"
                                              if self.elsewhere else "")]
        ids = [r.id for r in self.rules]
        for title, state in (("decided", "decided"), ("matched, never decided", "matched"),
                             ("never fired", "never fired")):
            chosen = [r for r in self.rules if r.state == state]
            if chosen:
                lines.append(f"  {title}:")
            for r in chosen:
                where = f" ({', '.join(r.versions)})" if ids.count(r.id) > 1 else ""
                count = f": {r.decided} decided, {r.matched} matched" if r.decided or r.matched else ""
                lines.append(f"    {r.id}{where}{count}")
        lines.append(f"  classes touched ({self.class_percent:g}% of all):")
        width = max((len(v.version) for v in self.versions), default=0)
        for v in self.versions:
            default = f", {v.by_default} by the default" if v.by_default else ""
            lines.append(f"    {v.version:<{width}}  {v.touched:>6} of {v.classes:<6} ({v.percent:g}%), "
                         f"{v.verdicts} cases{default}")
        return "\n".join(lines)


def coverage(resolved: ResolvedPack, verdicts: Iterable[Verdict]) -> CoverageReport:
    """The coverage of the pack's rules and classes by ``verdicts`` (those decided under its own
    reading; see the module)."""
    pack = resolved.pack
    own = resolved.pack.readings.changed(pack.reading) if pack.readings else {}
    rulesets: list[RuleSet] = list(resolved.rulesets())
    parts: dict[tuple[str, str, str | None], Partition] = {}
    touched: dict[tuple[str, str, str | None], set[Key]] = {rs.key: set() for rs in rulesets}
    counts: dict[tuple[str, str, str | None], list[int]] = {rs.key: [0, 0] for rs in rulesets}
    defs: dict[tuple[str, str, str | None], dict[str, _Def]] = {
        rs.key: {r.id: (r.id, r.file, r.line) for r in rs.rules} for rs in rulesets}
    decided: dict[_Def, int] = {}
    matched: dict[_Def, int] = {}
    total = elsewhere = 0
    for v in verdicts:
        total += 1
        if dict(v.reading) != dict(own):
            elsewhere += 1
            continue
        s = v.strike
        rs = pack.ruleset(pack.version_at(pack.policy_for_supplier(s.supplier), s.date), s.date)
        p = parts.get(rs.key)
        if p is None:
            p = parts[rs.key] = partition(resolved, rs)
        touched[rs.key].add(p.class_of(s).key)
        counts[rs.key][0] += 1
        own_defs = defs[rs.key]
        if v.rule.id == DEFAULT_RULE_ID:
            counts[rs.key][1] += 1
        else:
            d = own_defs[v.rule.id]
            decided[d] = decided.get(d, 0) + 1
        for rid in v.matched:
            if rid != v.rule.id:
                d = own_defs[rid]
                matched[d] = matched.get(d, 0) + 1
    versions_of: dict[_Def, list[str]] = {}
    for rs in rulesets:
        for d in defs[rs.key].values():
            refs = versions_of.setdefault(d, [])
            if rs.version.ref not in refs:
                refs.append(rs.version.ref)
    rules = tuple(RuleCoverage(id=d[0], file=d[1], line=d[2], versions=tuple(refs), decided=decided.get(d, 0),
                               matched=matched.get(d, 0)) for d, refs in versions_of.items())
    versions = []
    for rs in rulesets:
        p = parts.get(rs.key) or partition(resolved, rs)
        versions.append(VersionCoverage(version=p.label, verdicts=counts[rs.key][0], by_default=counts[rs.key][1],
                                        classes=len(p), touched=len(touched[rs.key])))
    return CoverageReport(verdicts=total, elsewhere=elsewhere, rules=rules, versions=tuple(versions))
