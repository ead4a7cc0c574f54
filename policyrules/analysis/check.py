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
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, computed_field

from ..deciding.combine import Outcome
from ..deciding.evaluator import check_size
from ..language.conditions import render
from ..matching.durable_plan import MAX_DURABLE_RULES_PER_ENGINE, feasibility
from ..model.dimensions import FACT_FIELDS
from ..model.domain import Decision
from ..model.errors import PolicyRulesError, RuleFileError, echo, shown
from ..model.sources import Source
from ..packs.loader import load_pack
from ..packs.pack import Pack, Rule
from ..packs.resolved import ResolvedPack
from ..packs.rulesets import ruleset_problems
from ..packs.yamlio import YamlError, read_file
from .partition import Partition, StrikeClass, partitions


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
    "unreachable-policy": (_W, "no strike is judged by this policy"),
    "never-matches": (_W, "no strike satisfies the rule's conditions"),
    "never-decides": (_W, "the rule matches but is always overridden or preceded"),
    "quote-not-found": (_W, "the quote is not in the named document"),
    "document-not-found": (_W, "the named document is not in the sources directory"),
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
        return f"{self.severity.value:<7} {self.code:<18} " + (f"{where}: " if where else "") + self.message


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
                     f"in {self.seconds:.2f} s")
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


def check(resolved: ResolvedPack, sources: str | Path | None = None, backend: str | None = None) -> CheckReport:
    """Check every rule set of a pack, with its parameter values in place; with a ``backend``, also
    what that backend cannot take."""
    start = time.perf_counter()
    docs = _sources_dir(sources)
    pack = resolved.pack
    findings = list(structure(pack))
    summaries: list[RulesetSummary] = []
    if not any(f.severity is Severity.ERROR for f in findings):
        for p in partitions(resolved):
            found, summary = walk(p)
            findings.extend(found)
            summaries.append(summary)
    if docs is not None:
        findings.extend(quotes(pack, docs))
    if backend is not None:
        findings.extend(backend_limits(resolved, backend))
    findings.sort(key=lambda f: _RANK[f.severity])
    return CheckReport(root=pack.root, digest=pack.digest, sources=str(sources) if sources else None,
                       findings=tuple(findings), rulesets=tuple(summaries), seconds=time.perf_counter() - start)


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


def walk(p: Partition) -> tuple[list[Finding], RulesetSummary]:
    """Evaluate every class of ``p`` once; findings on conflicts, dead rules and the default."""
    start = time.perf_counter()
    stats: dict[tuple[int, ...], _Tally] = {}  # one per set of matched rules
    for cls, out in p.outcomes():
        t = stats.get(out.matched)
        if t is None:
            stats[out.matched] = _Tally(cls, out)
        else:
            t.count += 1
    rs, v = p.ruleset, p.ruleset.version
    at = {"policy": v.policy, "version": v.version}
    findings: list[Finding] = []
    total = sum(t.count for t in stats.values())
    if not p.suppliers:
        findings.append(finding("unreachable-policy", f"no supplier code selects policy {v.policy}, so no strike "
                                "is judged by it", file=v.file, **at))
    else:
        findings.extend(_conflicts(p, stats.values()))
        findings.extend(_dead_rules(p, stats.values()))
    default = [t for t in stats.values() if t.outcome.deciding is None]
    n_default = sum(t.count for t in default)
    fields = tuple(f for f in FACT_FIELDS if f in p.fields)
    split = f", range_km split at {', '.join(f'{t:g}' for t in p.thresholds)}" if p.thresholds else ""
    findings.append(finding("classes-checked", f"{plural(total, 'class')} of {p.label} checked over "
                            f"{', '.join(fields) or 'no field'}{split}", file=v.file, **at))
    findings.append(finding("default-classes", f"{n_default} of {plural(total, 'class')} of {p.label} fall to the "
                            f"default ({v.default.value})", file=v.file,
                            example=default[0].first.strike if default else None, **at))
    w0, w1 = p.windows[0], p.windows[-1]
    return findings, RulesetSummary(
        policy=v.policy, version=v.version, common=rs.common.version if rs.common else None, start=w0.start,
        end=w1.end, fields=fields, thresholds=p.thresholds, classes=total, default_classes=n_default,
        default=v.default, seconds=time.perf_counter() - start)


@dataclass(slots=True)
class _Tally:
    """The classes with one set of matched rules: how many, the first of them, their outcome."""

    first: StrikeClass
    outcome: Outcome
    count: int = 1


def _conflicts(p: Partition, stats: Iterable[_Tally]) -> Iterator[Finding]:
    rules = p.ruleset.rules
    pairs: dict[tuple[int, int], _Tally] = {}
    for t in stats:
        conflict = t.outcome.conflict
        for i in conflict:
            for j in conflict:
                if i < j and rules[i].effect is not rules[j].effect:
                    pair = pairs.setdefault((i, j), _Tally(t.first, t.outcome, 0))
                    pair.count += t.count
    for (i, j), pair in sorted(pairs.items()):
        a, b, count, cls = rules[i], rules[j], pair.count, pair.first
        yield finding("conflict", f"{a.id} ({a.effect.value}) and {b.id} ({b.effect.value}) both match and "
                      f"neither overrides the other in {plural(count, 'class')} of {p.label}, e.g. {cls.describe()}",
                      policy=p.ruleset.version.policy, version=p.ruleset.version.version, rule=a.id,
                      rules=(a.id, b.id), file=a.file, line=a.line, example=cls.strike)


def _dead_rules(p: Partition, stats: Iterable[_Tally]) -> Iterator[Finding]:
    rules = p.ruleset.rules
    first: dict[int, StrikeClass] = {}
    matches = [0] * len(rules)
    decides = [False] * len(rules)
    in_conflict = [False] * len(rules)
    beaten_by: list[set[str]] = [set() for _ in rules]
    preceded_by: list[set[str]] = [set() for _ in rules]
    for t in stats:
        o = t.outcome
        if o.deciding is not None:
            decides[o.deciding] = True
        for i in o.conflict:
            in_conflict[i] = True
        for i in o.matched:
            matches[i] += t.count
            first.setdefault(i, t.first)
            if i in o.overridden:
                beaten_by[i].update(rules[k].id for k in o.matched if rules[k].overrides_rule(rules[i]))
            elif o.deciding is not None and o.deciding != i:
                preceded_by[i].add(rules[o.deciding].id)
    v = p.ruleset.version
    for i, r in enumerate(rules):
        at = {"policy": v.policy, "version": v.version, "rule": r.id, "file": r.file, "line": r.line}
        if not matches[i]:
            yield finding("never-matches", f"no strike judged by {p.label} satisfies its conditions: "
                          f"{render(p.conditions[i])}", **at)
        elif not decides[i] and not in_conflict[i]:
            firsts = sorted(preceded_by[i])
            why = f"always overridden by {', '.join(sorted(beaten_by[i]))}" if not firsts else \
                f"{', '.join(firsts)} decide{'s' if len(firsts) == 1 else ''} first where it is not overridden"
            yield finding("never-decides", f"matches {plural(matches[i], 'class')} of {p.label} but never "
                          f"decides: {why}", example=first[i].strike, **at)


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


def quotes(pack: Pack, docs: Path) -> Iterator[Finding]:
    """Every quote of a seed document (rules and catalog weapons) must be in that document, verbatim."""
    texts: dict[str, str | None] = {}
    cited: dict[tuple[str, str], tuple[Source, dict[str, Any]]] = {}
    for policy in pack.policies.values():
        for version in policy.versions:
            for r in version.rules:
                cited.setdefault((r.file, r.id), (r.source, _rule_place(r)))
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
