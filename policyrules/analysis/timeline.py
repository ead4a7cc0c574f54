"""The versions of each policy over time, and what each version changes against its parent."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict

from ..packs.pack import Pack, PolicyVersion, Rule

#: What a version may change in a rule it redefines, as the timeline names it.
ASPECTS = {"when": "conditions", "effect": "effect", "overrides": "overrides", "title": "title",
           "source": "source", "basis": "basis", "caveats": "caveats", "note": "note"}


class VersionEntry(BaseModel):
    model_config = ConfigDict(frozen=True)

    policy: str
    version: str
    title: str
    effective_from: dt.date
    effective_until: dt.date | None
    extends: str | None
    default: str
    file: str
    rules: tuple[str, ...]
    added: tuple[str, ...]
    replaced: tuple[str, ...]
    removed: tuple[str, ...]
    parameters: dict[str, float]
    #: For each replaced rule, what changed against the parent's ("conditions", "overrides", ...): a rule
    #: whose overrides alone moved is listed as such (its decisions change only through precedence).
    changes: dict[str, tuple[str, ...]] = {}

    @property
    def window(self) -> str:
        end = self.effective_until.isoformat() if self.effective_until else "open"
        return f"{self.effective_from.isoformat()} .. {end}"


def timeline(pack: Pack, policy: str | None = None) -> list[VersionEntry]:
    """Every version of every policy (or of one), in policy then date order."""
    out = []
    for pid, p in sorted(pack.policies.items(), key=lambda kv: (kv[0] in ("common", "default"), kv[0])):
        if policy is not None and pid != policy:
            continue
        for v in p.versions:
            out.append(VersionEntry(
                policy=pid, version=v.version, title=v.title, effective_from=v.effective_from,
                effective_until=v.effective_until, extends=v.extends, default=v.default.value, file=v.file,
                rules=tuple(r.id for r in v.rules), added=v.added, replaced=v.replaced, removed=v.removed,
                parameters={k: p.number for k, p in v.parameters.items()}, changes=_changes(p.versions, v)))
    return out


def _changes(versions: tuple[PolicyVersion, ...], v: PolicyVersion) -> dict[str, tuple[str, ...]]:
    parent = next((x for x in versions if x.version == v.extends), None)
    before = {r.id: r for r in parent.rules} if parent is not None else {}
    after = {r.id: r for r in v.rules}
    return {rid: changed(before[rid], after[rid]) for rid in v.replaced if rid in before and rid in after}


def changed(a: Rule, b: Rule) -> tuple[str, ...]:
    """What differs between two definitions of a rule (``()``: restated unchanged)."""
    return tuple(word for name, word in ASPECTS.items() if getattr(a, name) != getattr(b, name))


def render_timeline(entries: list[VersionEntry]) -> str:
    lines: list[str] = []
    current = None
    for e in entries:
        if e.policy != current:
            if current is not None:
                lines.append("")
            lines.append(f"{e.policy}")
            current = e.policy
        lines.append(f"  {e.version:<12} {e.window:<26} {e.title}")
        detail = [f"extends {e.extends}" if e.extends else "base version", f"default {e.default}"]
        if e.parameters:
            detail.append(", ".join(f"{k}={v:g}" for k, v in e.parameters.items()))
        lines.append(f"  {'':<12} {'; '.join(detail)}  ({e.file})")
        for label, ids in (("+", e.added), ("~", e.replaced), ("-", e.removed)):
            for rid in ids:
                lines.append(f"  {'':<12} {label} {rid}" + (_what(e.changes[rid]) if rid in e.changes else ""))
    return "\n".join(lines)


def _what(aspects: tuple[str, ...]) -> str:
    if not aspects:
        return " (restated unchanged)"
    if aspects == ("overrides",):
        return " (only its overrides changed: its conditions and effect are the parent's)"
    same = "" if {"conditions", "effect"} & set(aspects) else "; conditions and effect unchanged"
    return f" ({', '.join(aspects)} changed{same})"
