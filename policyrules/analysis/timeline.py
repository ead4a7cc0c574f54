"""The versions of each policy over time, and what each version changes against its parent."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict

from ..packs.pack import Pack


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
                parameters={k: p.number for k, p in v.parameters.items()}))
    return out


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
                lines.append(f"  {'':<12} {label} {rid}")
    return "\n".join(lines)
