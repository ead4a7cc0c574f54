"""What the static pages show: the timeline of every policy, and one page per rule."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..analysis.timeline import VersionEntry, timeline
from ..language.conditions import AllOf, Cmp, Condition, Not, Param, render
from ..model.catalog import Catalog
from ..model.dimensions import FIELDS, Kind
from ..packs.pack import Pack, PolicyVersion, Rule
from ..scenarios import ScenarioResult
from .contested import ContestedPoint, Mark
from .safe import slug
from .world import source_json

_OPS = {"eq": "is", "ne": "is not", "lt": "is below", "le": "is at most", "gt": "is above", "ge": "is at least",
        "in": "is one of", "not_in": "is none of"}


def _value_words(catalog: Catalog, field_name: str, value: object) -> str:
    f = FIELDS.get(field_name)
    if isinstance(value, tuple):
        return ", ".join(_value_words(catalog, field_name, v) for v in value)
    if isinstance(value, Param):
        return f"the parameter {value.name}"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}" + (f" {f.unit}" if f is not None and f.unit else "")
    if f is not None and f.kind is Kind.CATALOG and isinstance(value, str):
        entry = catalog.weapon(value) if f.table == "weapon" else catalog.region(value)
        return entry.name if entry is not None else value
    return str(value).replace("_", " ")


def words(cond: Condition, catalog: Catalog) -> str:
    """A condition in words: ``target country is RU and (weapon class is one of ballistic missile,
    cruise missile or range km is above the parameter long_range_km)``."""
    if isinstance(cond, Cmp):
        return f"{cond.field.replace('_', ' ')} {_OPS[cond.op]} {_value_words(catalog, cond.field, cond.value)}"
    if isinstance(cond, Not):
        return f"not ({words(cond.item, catalog)})"
    if not cond.items:
        return "always" if isinstance(cond, AllOf) else "never"
    joiner = " and " if isinstance(cond, AllOf) else " or "
    return joiner.join(words(c, catalog) if isinstance(c, (Cmp, Not)) else f"({words(c, catalog)})"
                       for c in cond.items)


@dataclass
class TimelineDate:
    day: dt.date
    changes: list[VersionEntry] = field(default_factory=list)
    contested: list[tuple[ContestedPoint, list[Mark]]] = field(default_factory=list)


def timeline_view(pack: Pack, points: Sequence[ContestedPoint] = ()) -> dict[str, Any]:
    """Policies as rows, the dates where any version starts or ends as columns (an ordinal axis:
    equal steps, so 2024's changes are not squeezed by 2022's start), and the changes per date."""
    entries = timeline(pack)
    days = sorted({e.effective_from for e in entries} |
                  {e.effective_until + dt.timedelta(days=1) for e in entries if e.effective_until} |
                  {d for p in points for d in p.dates})
    column = {d: i for i, d in enumerate(days)}
    rows: dict[str, list[dict[str, Any]]] = {}
    for e in entries:
        start = column[e.effective_from]
        end = column[e.effective_until + dt.timedelta(days=1)] if e.effective_until else len(days) + 1
        rows.setdefault(e.policy, []).append({"entry": e, "start": start, "span": max(end - start, 1)})
    for cells in rows.values():  # gaps (no version in force) as empty cells, so columns line up
        filled: list[dict[str, Any]] = []
        at = 0
        for c in sorted(cells, key=lambda c: c["start"]):
            if c["start"] > at:
                filled.append({"entry": None, "start": at, "span": c["start"] - at})
            filled.append(c)
            at = c["start"] + c["span"]
        if at < len(days) + 1:  # one column more than dates: "and after"
            filled.append({"entry": None, "start": at, "span": len(days) + 1 - at})
        cells[:] = filled
    by_day = {d: TimelineDate(d) for d in days}
    for e in entries:
        by_day[e.effective_from].changes.append(e)
    marks: dict[dt.date, list[ContestedPoint]] = {d: [] for d in days}
    for p in points:
        for d in p.dates:
            by_day[d].contested.append((p, [m for m in p.marks if m.day == d]))
            marks[d].append(p)
    return {"days": days, "rows": rows, "marks": marks,
            "dates": [by_day[d] for d in days if by_day[d].changes or by_day[d].contested]}


@dataclass
class RuleDefinition:
    rule: Rule
    versions: list[PolicyVersion]
    condition: str
    condition_words: str
    source: dict[str, Any] | None
    readings: list[str] = field(default_factory=list)  # empty: the pack's own reading; else only these


@dataclass
class RulePage:
    id: str
    file_name: str
    policy: str
    definitions: list[RuleDefinition]
    decides: list[ScenarioResult] = field(default_factory=list)
    matches: list[ScenarioResult] = field(default_factory=list)

    @property
    def latest(self) -> Rule:
        return self.definitions[-1].rule


def rule_pages(pack: Pack, results: Sequence[ScenarioResult] = (),
               readings: Sequence[tuple[str, Pack]] = ()) -> list[RulePage]:
    """One page per rule id: each distinct definition with the versions it lives in, and the example
    scenarios it decides or matches. ``readings``: (label, pack) for other readings of the record;
    a rule or definition found only under some of them is listed with those labels."""
    pages: dict[str, RulePage] = {}
    for label, composed in [("", pack), *readings]:
        for policy in composed.policies.values():
            for v in policy.versions:
                for r in v.rules:
                    page = pages.setdefault(r.id, RulePage(r.id, f"{slug(r.id)}.html", r.policy, []))
                    same = next((d for d in page.definitions if d.rule == r), None)
                    if same is None:
                        same = RuleDefinition(r, [], render(r.when), words(r.when, composed.catalog),
                                              source_json(r.source))
                        page.definitions.append(same)
                    if v.ref not in {x.ref for x in same.versions}:
                        same.versions.append(v)
                    if label not in same.readings:
                        same.readings.append(label)
    for page in pages.values():
        for d in page.definitions:
            if "" in d.readings:  # the pack's own reading has it: no "only under"
                d.readings.clear()
    for res in results:
        verdict = res.verdict
        if verdict.rule.id in pages:
            pages[verdict.rule.id].decides.append(res)
        for rid in verdict.matched:
            if rid != verdict.rule.id and rid in pages:
                pages[rid].matches.append(res)
    return sorted(pages.values(), key=lambda p: (p.policy, p.id))
