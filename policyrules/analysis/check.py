"""``check``: prove a policy pack consistent, exactly, over every class of the strike space.

The checks, in order, each finding with a stable code (:data:`CODES`):

1. loading: a rule directory that does not load becomes one error finding per problem the loader
   found, each with the code its :class:`~policyrules.model.errors.RuleFileError` carries (unknown
   field, value, override, ...);
2. structure of each rule set: unique ids, overrides naming rules, no override cycles;
3. every class of every rule set in force (:mod:`policyrules.analysis.partition`), evaluated once:
   reachable conflicts, rules that never match, rules that match but never decide, classes
   that fall to the default, classes checked;
4. with a sources directory: quotes not found verbatim (whitespace-normalised) in their document;
5. with a backend: what it cannot take (rule sets beyond the size limits; for the durable backend,
   every rule and rule set beyond durable_rules' limits, computed without building anything).

Analysis never needs a strike or an engine: it reads a resolved pack.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator, Sequence
from enum import Enum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, computed_field

from ..deciding.evaluator import check_size
from ..language.conditions import render
from ..matching.durable_plan import MAX_DURABLE_RULES_PER_ENGINE, feasibility
from ..model.collector import paused_gc
from ..model.dimensions import FACT_FIELDS
from ..model.domain import Decision
from ..model.errors import PolicyRulesError, RuleFileError, echo, shown
from ..model.sources import Source
from ..packs.loader import load_pack
from ..packs.pack import Pack, Rule
from ..packs.resolved import ResolvedPack
from ..packs.rulesets import ruleset_problems
from ..packs.yamlio import YamlError, read_file
from .classsets import ClassSets, OutcomeSets, outcome_sets
from .partition import Partition, partitions


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    def __str__(self) -> str:
        return self.value


_E, _W, _I = Severity.ERROR, Severity.WARNING, Severity.INFO
CODES: dict[str, tuple[Severity, str]] = {
    "invalid-yaml": (_E, "a file is not valid (strict) YAML"),
    "invalid-rule-file": (_E, "a rule or catalog file does not have the right shape"),
    "unknown-key": (_E, "a rule file uses a key the format does not have"),
    "unknown-field": (_E, "a condition tests a field strikes do not have"),
    "unknown-value": (_E, "a condition or rule names a value its field cannot take"),
    "unknown-parameter": (_E, "a condition names a parameter the policy does not define"),
    "invalid-condition": (_E, "a condition is malformed"),
    "duplicate-id": (_E, "two rules of one rule set share an id"),
    "unknown-override": (_E, "'overrides' names no rule of the rule set"),
    "override-cycle": (_E, "rules override each other in a cycle"),
    "unknown-reading": (_E, ("a rule file names a contested point or option the pack does not declare, or a value "
                            "by reading misses an option")),
    "conflict": (_E, "two matching rules with opposite effects, neither overriding the other"),
    "readings-not-checked": (_W, "a policy depends on too many combinations of contested options to check each"),
    "unreachable-policy": (_W, "no strike is judged by this policy"),
    "never-matches": (_W, "no strike satisfies the rule's conditions"),
    "never-decides": (_W, "the rule matches but is always overridden or preceded"),
    "quote-not-found": (_W, "the quote is not in the named document"),
    "document-not-found": (_W, "the named document is not in the sources directory"),
    "stale-review": (_I, "the pack's sources were last reviewed long ago (catalog.yaml reviewed:)"),
    "backend-limit": (_E, "the backend asked for (--backend) cannot take a rule or rule set: see the README's Limits"),
    "classes-checked": (_I, "how many classes of a rule set were checked"),
    "default-classes": (_I, "how many classes fall to the policy default"),
}
_RANK = {_E: 0, _W: 1, _I: 2}


class Finding(BaseModel):
    """One result of ``check``: a stable code, where it is, and an example strike when there is one."""

    model_config = ConfigDict(frozen=True)

    code: str
    severity: Severity
    message: str
    policy: str | None = None
    version: str | None = None
    rule: str | None = None
    rules: tuple[str, ...] = ()
    file: str | None = None
    line: int | None = None
    field: str | None = None
    example: dict[str, Any] | None = None
    #: The combinations of contested options under which the finding holds (none: under the reading checked).
    readings: tuple[dict[str, str], ...] = ()

    def where(self) -> str:
        parts = [self.file + (f":{self.line}" if self.line else "")] if self.file else []
        if self.policy:
            parts.append(f"{self.policy}@{self.version}" if self.version else self.policy)
        if self.rule:
            parts.append(f"rule {self.rule}")
        if self.field:
            parts.append(f"field {self.field}")
        return ": ".join(parts)

    def __str__(self) -> str:
        where = self.where()
        return (f"{self.severity.value:<7} {self.code:<18} " + (f"{where}: " if where else "") + self.message
                + self.under())

    def under(self) -> str:
        """`` under gb.x=a, us.y=b`` (or several combinations), empty without readings."""
        if not self.readings:
            return ""
        shown = ["; ".join(f"{k}={v}" for k, v in r.items()) or "every reading" for r in self.readings[:4]]
        more = f" or {len(self.readings) - 4} other combinations" if len(self.readings) > 4 else ""
        return " (under " + " | ".join(shown) + more + ")"


class RulesetSummary(BaseModel):
    """The classes of one rule set in force (a policy version with the ``common`` version in force)."""

    model_config = ConfigDict(frozen=True)

    policy: str
    version: str
    common: str | None
    start: dt.date
    end: dt.date | None
    fields: tuple[str, ...]
    thresholds: tuple[float, ...]
    classes: int
    default_classes: int
    default: Decision
    seconds: float


class CheckReport(BaseModel):
    """Everything ``check`` found, with the classes checked per rule set and the time it took."""

    model_config = ConfigDict(frozen=True)

    root: str
    digest: str | None
    sources: str | None = None
    findings: tuple[Finding, ...]
    rulesets: tuple[RulesetSummary, ...] = ()
    #: How many readings (combinations of contested options) were checked: 1 without contested points.
    readings: int = 1
    seconds: float

    @computed_field  # type: ignore[prop-decorator]
    @property
    def classes(self) -> int:
        return sum(r.classes for r in self.rulesets)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def classes_per_version(self) -> dict[str, int]:
        """Classes checked per policy version (``us@2024-05-30``), over the ``common`` versions met."""
        out: dict[str, int] = {}
        for r in self.rulesets:
            out[f"{r.policy}@{r.version}"] = out.get(f"{r.policy}@{r.version}", 0) + r.classes
        return out

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.WARNING]

    @property
    def ok(self) -> bool:
        return not self.errors

    def codes(self) -> list[str]:
        return [f.code for f in self.findings]

    def to_text(self) -> str:
        lines = [f"policyrules check: {self.root}" + (f" (pack {self.digest[:12]})" if self.digest else "")]
        for f in self.findings:
            lines.append(str(f))
            if f.example is not None and f.severity is not Severity.INFO:
                lines.append("        e.g. " + json.dumps(f.example, ensure_ascii=False, default=str))
        lines.append(f"{plural(len(self.errors), 'error')}, {plural(len(self.warnings), 'warning')}; "
                     f"{plural(self.classes, 'class')} in {plural(len(self.rulesets), 'rule set')} checked "
                     + (f"under {self.readings:,} readings " if self.readings > 1 else "")
                     + f"in {self.seconds:.2f} s")
        return "\n".join(lines)


def plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "es" if word.endswith("s") else "s")


def finding(code: str, message: str, **where: Any) -> Finding:
    return Finding(code=code, severity=CODES[code][0], message=message, **where)


# Entry points ----------------------------------------------------------------------------


def check_path(rules: str | Path | None = None, sources: str | Path | None = None,
               backend: str | None = None) -> CheckReport:
    """Load a rule directory (default: the bundled pack) and check it; a load error is a finding."""
    start = time.perf_counter()
    try:
        pack = load_pack(rules)
    except RuleFileError as e:
        return CheckReport(root=str(rules) if rules is not None else "rules", digest=None,
                           sources=str(sources) if sources else None, findings=tuple(load_errors(e)),
                           seconds=time.perf_counter() - start)
    return check(ResolvedPack(pack), sources, backend)


def check(resolved: ResolvedPack, sources: str | Path | None = None, backend: str | None = None,
          all_readings: bool = True, *, today: dt.date | None = None) -> CheckReport:
    """Check every rule set of a pack, with its parameter values in place; with ``all_readings``, under
    every combination of the options of its contested points too (each finding there names the
    combinations that cause it); with a ``backend``, also what that backend cannot take. ``today``
    (default: the system's date) dates the review's age."""
    with paused_gc():  # a check makes some hundred thousand small objects, few of them in cycles
        return _check(resolved, sources, backend, all_readings, today)


def _check(resolved: ResolvedPack, sources: str | Path | None, backend: str | None, all_readings: bool,
           today: dt.date | None) -> CheckReport:
    from .check_readings import across_readings  # it builds on this module's walk and findings

    start = time.perf_counter()
    docs = _sources_dir(sources)
    pack = resolved.pack
    findings = list(structure(pack))
    findings.extend(review(pack, today))
    summaries: list[RulesetSummary] = []
    readings = 1
    packs = [pack]
    if not any(f.severity is Severity.ERROR for f in findings):
        for p in partitions(resolved):
            found, summary = walk(p)
            findings.extend(found)
            summaries.append(summary)
        if all_readings:
            across = across_readings(resolved, findings)
            findings.extend(across.findings)
            readings = across.readings
            packs.extend(across.packs)
    if docs is not None:
        findings.extend(quotes(packs, docs))
    if backend is not None:
        findings.extend(backend_limits(resolved, backend))
    findings.sort(key=lambda f: _RANK[f.severity])
    return CheckReport(root=pack.root, digest=pack.digest, sources=str(sources) if sources else None,
                       findings=tuple(findings), rulesets=tuple(summaries), readings=readings,
                       seconds=time.perf_counter() - start)


#: Past this many days since the pack's ``reviewed:`` date, ``check`` warns (policies change).
REVIEW_MAX_AGE_DAYS = 180


def review(pack: Pack, today: dt.date | None = None) -> Iterator[Finding]:
    """A warning when the pack's sources were last reviewed more than :data:`REVIEW_MAX_AGE_DAYS` ago."""
    reviewed = pack.catalog.reviewed
    today = today or dt.datetime.now(dt.timezone.utc).date()
    if reviewed is not None and (today - reviewed).days > REVIEW_MAX_AGE_DAYS:
        yield finding("stale-review", f"the pack's sources were last reviewed on {reviewed.isoformat()}, "
                      f"{(today - reviewed).days} days ago (more than {REVIEW_MAX_AGE_DAYS}): a policy may have "
                      "changed since; review them and update reviewed:",
                      file=pack.files[0] if pack.files else "catalog.yaml", field="reviewed")


# 1-2. Loading and structure --------------------------------------------------------------

def load_error(e: RuleFileError) -> Finding:
    """The finding for one problem of a rule directory, with the code the error carries."""
    return finding(e.code, e.detail, file=e.file, rule=e.rule, field=e.field, line=e.line)


def load_errors(e: RuleFileError) -> list[Finding]:
    """A finding for every problem of a rule directory that does not load."""
    return [load_error(one) for one in e.errors]


def structure(pack: Pack) -> Iterator[Finding]:
    """Unique ids, overrides naming rules and no cycles, per rule set (the loader's checks, as findings)."""
    seen: set[tuple[object, ...]] = set()
    for rs in pack.all_rulesets():
        for e in ruleset_problems(rs):
            key = (e.code, e.file, e.line, e.rule, e.field)
            if key not in seen:
                seen.add(key)
                yield load_error(e).model_copy(update={"policy": rs.version.policy, "version": rs.version.version})


# 3. Every class of a rule set ------------------------------------------------------------


def walk(p: Partition, sets: ClassSets | None = None, info: bool = True) -> tuple[list[Finding], RulesetSummary]:
    """Every class of ``p`` at once, as bit sets (:mod:`policyrules.analysis.classsets`); findings on
    conflicts, dead rules and the default. ``sets``: the partition's class sets, when made already;
    ``info``: False leaves out the findings of severity info (the classes checked, those falling to
    the default, with an example strike)."""
    start = time.perf_counter()
    sets = sets if sets is not None else ClassSets(p)
    o = outcome_sets(p.ruleset.rules, [sets.of(c) for c in p.conditions], sets.full)
    v = p.ruleset.version
    at = {"policy": v.policy, "version": v.version}
    findings: list[Finding] = []
    total = sets.size
    if not p.suppliers:
        findings.append(finding("unreachable-policy", f"no supplier code selects policy {v.policy}, so no strike "
                                "is judged by it", file=v.file, **at))
    else:
        findings.extend(_conflicts(p, sets, o))
        findings.extend(_dead_rules(p, sets, o))
    n_default = o.default.bit_count()
    fields = tuple(f for f in FACT_FIELDS if f in p.fields)
    if not info:
        return findings, _summary(p, total, n_default, fields, start)
    split = f", range_km split at {', '.join(f'{t:g}' for t in p.thresholds)}" if p.thresholds else ""
    findings.append(finding("classes-checked", f"{plural(total, 'class')} of {p.label} checked over "
                            f"{', '.join(fields) or 'no field'}{split}", file=v.file, **at))
    findings.append(finding("default-classes", f"{n_default} of {plural(total, 'class')} of {p.label} fall to the "
                            f"default ({v.default.value})", file=v.file,
                            example=sets.first(o.default).strike if o.default else None, **at))
    return findings, _summary(p, total, n_default, fields, start)


def _summary(p: Partition, total: int, n_default: int, fields: tuple[str, ...], start: float) -> RulesetSummary:
    rs, v = p.ruleset, p.ruleset.version
    w0, w1 = p.windows[0], p.windows[-1]
    return RulesetSummary(
        policy=v.policy, version=v.version, common=rs.common.version if rs.common else None, start=w0.start,
        end=w1.end, fields=fields, thresholds=p.thresholds, classes=total, default_classes=n_default,
        default=v.default, seconds=time.perf_counter() - start)


def _conflicts(p: Partition, sets: ClassSets, o: OutcomeSets) -> Iterator[Finding]:
    rules = p.ruleset.rules
    live = [i for i, rem in enumerate(o.remaining) if rem & o.conflict]
    for x, i in enumerate(live):
        for j in live[x + 1:]:
            a, b = rules[i], rules[j]
            both = o.remaining[i] & o.remaining[j] if a.effect is not b.effect else 0
            if not both:
                continue
            count, cls = both.bit_count(), sets.first(both)
            where = f"{plural(count, 'class')} of {p.label}, e.g. {cls.describe()}"
            yield finding("conflict", f"{a.id} ({a.effect.value}) and {b.id} ({b.effect.value}) both match and "
                          f"neither overrides the other in {where}",
                          policy=p.ruleset.version.policy, version=p.ruleset.version.version, rule=a.id,
                          rules=(a.id, b.id), file=a.file, line=a.line, example=cls.strike)


def _dead_rules(p: Partition, sets: ClassSets, o: OutcomeSets) -> Iterator[Finding]:
    rules = p.ruleset.rules
    v = p.ruleset.version
    for i, r in enumerate(rules):
        at = {"policy": v.policy, "version": v.version, "rule": r.id, "file": r.file, "line": r.line}
        matched = o.matched[i]
        if not matched:
            yield finding("never-matches", f"no strike judged by {p.label} satisfies its conditions: "
                          f"{render(p.conditions[i])}", **at)
        elif not o.deciding[i] and not o.remaining[i] & o.conflict:
            firsts = sorted({rules[d].id for d, dec in enumerate(o.deciding) if d != i and dec & o.remaining[i]})
            beaten_by = sorted({k.id for k, m in zip(rules, o.matched, strict=True)
                                if k.overrides_rule(r) and m & matched})
            why = f"always overridden by {', '.join(beaten_by)}" if not firsts else \
                f"{', '.join(firsts)} decide{'s' if len(firsts) == 1 else ''} first where it is not overridden"
            yield finding("never-decides", f"matches {plural(matched.bit_count(), 'class')} of {p.label} but never "
                          f"decides: {why}", example=sets.first(matched).strike, **at)


# 4. Backends -----------------------------------------------------------------------------


def backend_limits(resolved: ResolvedPack, backend: str) -> Iterator[Finding]:
    """What ``backend`` cannot take: rule sets beyond the size limits (both backends); for durable,
    every rule and rule set beyond durable_rules' limits, each rule once however many rule sets inherit it."""
    try:
        check_size(resolved.pack)
    except RuleFileError as e:
        yield finding("backend-limit", e.detail, file=e.file)
        return
    if backend != "durable":
        return
    seen: set[tuple[str | None, str | None, str]] = set()
    total = 0
    for rs in resolved.rulesets():
        v = rs.version
        result = feasibility(resolved.conditions(rs))
        total += result.rules
        for refusal in result.refusals:
            where: dict[str, Any] = {"policy": v.policy, "version": v.version, "file": v.file}
            if refusal.index is not None:
                rule = rs.rules[refusal.index]
                where.update(rule=rule.id, file=rule.file, line=rule.line)
            if (where["file"], where.get("rule"), refusal.message) not in seen:
                seen.add((where["file"], where.get("rule"), refusal.message))
                yield finding("backend-limit", refusal.message, **where)
    if total > MAX_DURABLE_RULES_PER_ENGINE:
        yield finding("backend-limit", f"the pack's durable_rules form needs {total:,} durable rules in all; the "
                      f"limit is {MAX_DURABLE_RULES_PER_ENGINE:,}; use backend='compiled' or fewer or simpler rules",
                      file=resolved.pack.root)


# 5. Sources ------------------------------------------------------------------------------


def _sources_dir(sources: str | Path | None) -> Path | None:
    if sources is None:
        return None
    path = Path(sources)
    if not path.is_dir():
        raise PolicyRulesError(f"sources: {path} is not a directory")
    return path


def normalise(text: str) -> str:
    return " ".join(text.split())


def quotes(packs: Sequence[Pack], docs: Path) -> Iterator[Finding]:
    """Every quote of a seed document (rules under every reading given, contested points' options,
    catalog weapons) must be in that document, verbatim."""
    texts: dict[str, str | None] = {}
    cited: dict[tuple[str, ...], tuple[Source, dict[str, Any]]] = {}
    pack = packs[0]
    for each in packs:
        for policy in each.policies.values():
            for version in policy.versions:
                for r in version.rules:
                    cited.setdefault((r.file, r.id, str(r.line)), (r.source, _rule_place(r)))
    for point in pack.readings:
        for option in point.options:
            for i, s in enumerate((*option.sources, *option.against)):
                cited.setdefault((point.file or "", point.id, option.id, str(i)),
                                 (s, {"file": point.file, "line": point.line, "field": f"{point.id}.{option.id}"}))
    catalog_file = pack.files[0] if pack.files else "catalog.yaml"
    for w in pack.catalog.weapons:
        if w.source is not None:
            cited.setdefault((catalog_file, w.id), (w.source, {"file": catalog_file, "field": f"weapons.{w.id}"}))
        for code, source in w.supplier_sources.items():
            cited.setdefault((catalog_file, f"{w.id}/{code}"),
                             (source, {"file": catalog_file, "field": f"weapons.{w.id}.supplier_sources.{code}"}))
    why: dict[str, str] = {}
    for source, place in cited.values():
        name = source.document
        if name is None:
            continue
        if name not in texts:
            texts[name] = _read_document(docs, name, why)
        text = texts[name]
        if text is None:
            yield finding("document-not-found", f"document {echo(name)} is not in {shown(str(docs))}"
                          + (f" ({why[name]})" if name in why else ""), **place)
        elif normalise(source.quote) not in text:
            yield finding("quote-not-found", f'quote not found verbatim in {name}: "{normalise(source.quote)}"',
                          **place)


def _rule_place(r: Rule) -> dict[str, Any]:
    return {"policy": r.policy, "rule": r.id, "file": r.file, "line": r.line}


#: The largest source document read (a quote is looked for in the whole text).
MAX_DOCUMENT_BYTES = 50_000_000


def _read_document(docs: Path, name: str, why: dict[str, str]) -> str | None:
    """The whitespace-normalised text of a document, or None (with the reason in ``why`` when it is
    there but cannot be read: not a regular file, over :data:`MAX_DOCUMENT_BYTES`, unreadable)."""
    path = docs / name
    if Path(name).name != name or name in (".", "..") or not path.exists():
        return None
    try:
        raw = read_file(path, MAX_DOCUMENT_BYTES)
    except YamlError as e:
        why[name] = e.message
        return None
    return normalise(raw.decode("utf-8", errors="replace"))
