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

import functools
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from ..language.conditions import Condition
from ..model.memo import ByIdentity
from ..packs.pack import COMMON, DEFAULT, Pack, RuleSet
from ..packs.resolved import ResolvedPack
from ..packs.rulesets import Problems
from .check import Finding, Severity, load_error, walk
from .classsets import ClassSets
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
        for f, combos in _by_selection(source, pack, resolved, pid, points, base, out):
            sig = _signature(f)
            if sig not in seen:
                found.setdefault(sig, (f, []))[1].extend(combos)
        points_all = [pack.readings.points[p].option_ids for p in points]
        for f, where in found.values():
            out.findings.append(f.model_copy(update={"readings": _simplified(points, points_all, where)}))
    return out


Variant = tuple[Pack, RuleSet, tuple[Condition, ...]]


def _by_selection(source: Any, pack: Pack, resolved: ResolvedPack, pid: str, points: Sequence[str],
                  base: Mapping[str, str], out: ReadingsCheck) -> Iterator[tuple[Finding, list[Combo]]]:
    """Each finding of policy ``pid`` under the combinations of ``points`` (but ``base``), with the
    combinations it holds under.

    Readings that select the same files, rules, dates and parameters are composed once; the rule sets
    of one policy version under every reading are walked on one partition whose split covers all their
    conditions (a refinement of each one's own, so exact for each), with the classes' bit sets shared."""
    # Another policy's rule sets are not composed, but for the default policy, which judges the
    # suppliers no other policy owns.
    scope = set(pack.policies) if pid == DEFAULT else {pid, COMMON}
    suppliers = supplier_codes(pack, pid)
    combos: dict[tuple[object, ...], list[Combo]] = {}
    errors: dict[tuple[object, ...], list[Finding]] = {}
    uses: dict[tuple[object, ...], list[int]] = {}
    contents: dict[Signature, int] = {}  # a rule set's content (hashed once per composed rule set) -> its number
    variants: dict[object, dict[int, Variant]] = {}
    # Bound conditions by the rule set's versions (composition reuses a version across readings that
    # select it alike; the objects are kept in the values, so their identities stay theirs).
    bound: ByIdentity[tuple[Condition, ...]] = ByIdentity()  # a rule set's conditions, by its version, common, rules
    for reading in pack.readings.combinations(points, base):
        if reading == base:
            continue
        out.readings += 1
        selection = source.selection(reading, scope)
        known = selection in combos
        combos.setdefault(selection, []).append(tuple(reading[p] for p in points))
        if not known:
            problems = Problems()
            composed: Pack = source.compose(reading, problems, policies=scope)
            out.packs.append(composed)
            if problems.errors:
                errors[selection] = [load_error(e) for e in problems.errors]
                continue
            rp = ResolvedPack(composed, resolved.given)
            keys = uses[selection] = []
            for rs in rp.rulesets():
                if rs.version.policy == pid:
                    conds = bound.get((rs.version, rs.common, *rs.rules), functools.partial(rp.conditions, rs))
                    key = contents.setdefault(_content(rs, conds), len(contents))
                    variants.setdefault(rs.key, {}).setdefault(key, (composed, rs, conds))
                    keys.append(key)
    walked: dict[int, list[Finding]] = {}
    for group in variants.values():
        (composed, rs, conds), *rest = group.values()
        have = set(conds)  # (a condition keeps its hash: a set, not a scan of the tuple per condition)
        also = tuple(dict.fromkeys(c for _, _, cs in rest for c in cs if c not in have))
        union = Partition(composed, rs, conds, also=also, suppliers=suppliers)
        sets = ClassSets(union)
        for key, (_, rs_v, conds_v) in group.items():
            walked[key] = walk(union.variant(rs_v, conds_v), sets, info=False)[0]
    for selection, where in combos.items():
        found = errors.get(selection) or [f for key in uses[selection] for f in walked[key]]
        for f in found:
            yield f, where


def _content(rs: RuleSet, conditions: tuple[Condition, ...]) -> Signature:
    """What a rule set's findings depend on: its place, default and rules (bound conditions)."""
    return (rs.key, rs.version.default, tuple((r.id, r.effect, r.overrides, r.file, r.line) for r in rs.rules),
            conditions)


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
