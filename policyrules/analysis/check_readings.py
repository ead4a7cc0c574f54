"""``check`` over every reading: each combination of the options of the contested points a policy
depends on, with the combination that causes each finding.

A policy's rule sets depend only on the points its own files (and the ``common`` policy's) name, so
the combinations are enumerated per policy, the others left at the checked pack's reading. A rule
set that reads the same under several combinations (same rules, effects, overrides and conditions)
is walked once. A finding the checked reading already has is not repeated; any other is reported
once, with the combinations that cause it, simplified: a point whose every option gives the finding
is left out.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from ..language.conditions import render
from ..packs.pack import COMMON, DEFAULT, Pack, RuleSet
from ..packs.resolved import ResolvedPack
from ..packs.rulesets import Problems
from .check import Finding, Severity, load_error, walk
from .partition import Partition, supplier_codes

#: More combinations than this for one policy are not enumerated (a finding says so).
MAX_READINGS_PER_POLICY = 4096

Signature = tuple[object, ...]
Combo = tuple[str, ...]


class ReadingsCheck:
    """What checking every reading found: findings tagged with their combinations, the packs composed."""

    def __init__(self) -> None:
        self.findings: list[Finding] = []
        self.readings = 1
        self.packs: list[Pack] = []


def across_readings(resolved: ResolvedPack, known: Sequence[Finding]) -> ReadingsCheck:
    """Check ``resolved``'s pack under every other combination of options, per policy; ``known``: the
    findings of the pack as it is (not repeated)."""
    out = ReadingsCheck()
    pack = resolved.pack
    source = pack.source
    if not pack.readings or source is None:
        return out
    base = dict(pack.reading)
    seen = {_signature(f) for f in known}
    walked: dict[Signature, list[Finding]] = {}
    for pid in pack.policies:
        if pid == COMMON:
            continue
        points = list(dict.fromkeys([*source.points_of(pid), *source.points_of(COMMON)]))
        if not points:
            continue
        total = 1
        for p in points:
            total *= len(pack.readings.points[p].option_ids)
        if total > MAX_READINGS_PER_POLICY:
            out.findings.append(Finding(
                code="readings-not-checked", severity=Severity.WARNING, policy=pid,
                message=f"{total:,} combinations of the options of {', '.join(points)}: more than "
                        f"{MAX_READINGS_PER_POLICY:,}, so only the checked reading was checked"))
            continue
        found: dict[Signature, tuple[Finding, list[Combo]]] = {}
        # Another policy's rule sets are not composed, but for the default policy, which judges the
        # suppliers no other policy owns.
        scope = set(pack.policies) if pid == DEFAULT else {pid, COMMON}
        suppliers = supplier_codes(pack, pid)
        selections: dict[tuple[object, ...], list[Finding]] = {}
        for reading in pack.readings.combinations(points, base):
            if reading == base:
                continue
            out.readings += 1
            selection = source.selection(reading, scope)
            got = selections.get(selection)
            if got is None:
                got = list(_findings(source, reading, resolved, pid, scope, suppliers, walked, out.packs))
                selections[selection] = got
            combo = tuple(reading[p] for p in points)
            for f in got:
                sig = _signature(f)
                if sig not in seen:
                    found.setdefault(sig, (f, []))[1].append(combo)
        points_all = [pack.readings.points[p].option_ids for p in points]
        for f, where in found.values():
            out.findings.append(f.model_copy(update={"readings": _simplified(points, points_all, where)}))
    return out


def _findings(source: Any, reading: Mapping[str, str], resolved: ResolvedPack, pid: str, scope: set[str],
              suppliers: tuple[str | None, ...], walked: dict[Signature, list[Finding]],
              packs: list[Pack]) -> Iterator[Finding]:
    """The errors and warnings of policy ``pid``'s rule sets under ``reading`` (the policies in ``scope``
    composed; the classes over ``suppliers``, as in the whole pack)."""
    problems = Problems()
    composed: Pack = source.compose(reading, problems, policies=scope)
    packs.append(composed)
    if problems.errors:
        for e in problems.errors:
            yield load_error(e)
        return
    rp = ResolvedPack(composed, resolved.given)
    for rs in rp.rulesets():
        if rs.version.policy != pid:
            continue
        key = _content(rp, rs)
        got = walked.get(key)
        if got is None:
            p = Partition(composed, rs, rp.conditions(rs), suppliers=suppliers)
            got = [f for f in walk(p)[0] if f.severity is not Severity.INFO]
            walked[key] = got
        yield from got


def _content(rp: ResolvedPack, rs: RuleSet) -> Signature:
    """What a rule set's findings depend on: its place, default and rules (bound conditions)."""
    rules = tuple((r.id, r.effect, r.overrides, r.file, r.line, render(c))
                  for r, c in zip(rs.rules, rp.conditions(rs), strict=True))
    return (rs.key, rs.version.default, rules)


def _signature(f: Finding) -> Signature:
    return (f.code, f.policy, f.version, f.rule, f.rules, f.file, f.line, f.field,
            None if f.code in ("conflict", "never-decides", "never-matches") else f.message)


def _simplified(points: Sequence[str], options: Sequence[Sequence[str]],
                combos: Sequence[Combo]) -> tuple[dict[str, str], ...]:
    """The combinations, without the points every option of which is among them for the others."""
    have = set(combos)
    free = []
    for i, opts in enumerate(options):
        if all((*c[:i], o, *c[i + 1:]) in have for c in have for o in opts):
            free.append(i)
    kept = [i for i in range(len(points)) if i not in free]
    reduced = dict.fromkeys(tuple(c[i] for i in kept) for c in combos)
    return tuple({points[i]: v for i, v in zip(kept, c, strict=True)} for c in reduced)
