"""``when``: one kind of strike over time, from the timeline ("since when has ATACMS on military
targets in Kursk been allowed?").

The strike is given without a date, as far as it is known (as :mod:`policyrules.analysis.partial`
takes it: the fields left out stay open). Its answer can change only where a rule set comes into
force (a version of its policy, or of ``common``): the strike is judged, exactly, on each of those
dates, and every date where the answer changes (the decision, its conditions, or the rule that
decides) is listed with the rules that now decide, their clause and source, and those that no
longer do.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict

from ..model.domain import Basis, Decision
from ..model.errors import PolicyRefError, PolicyRulesError
from ..model.sources import Source
from ..packs.pack import COMMON
from ..packs.resolved import ResolvedPack
from .merging import EVERY
from .partial import PartialReport, evaluate_partial, known_fields


class Clause(BaseModel):
    """A rule that decides from a date on (or the policy default, id ``default``)."""

    model_config = ConfigDict(frozen=True)

    id: str
    title: str
    effect: Decision
    policy: str  # policy@version it is in force under on that date
    source: Source | None = None
    basis: Basis | None = None
    file: str | None = None


class Change(BaseModel):
    """The answer from ``date`` on, and what changed on that date."""

    model_config = ConfigDict(frozen=True)

    date: dt.date
    settled: Decision | None
    decisions: tuple[Decision, ...]
    answer: str  # "allowed by RULE", or "allowed or prohibited, depending on FIELDS"
    conditions: tuple[str, ...]  # when not settled: "allowed by RULE if ..." for each possibility
    policies: tuple[str, ...]  # the policy versions in force
    rules: tuple[str, ...]  # the rules (or ``default``) deciding
    added: tuple[Clause, ...]  # rules deciding from this date that did not the day before
    removed: tuple[str, ...]  # rules that no longer decide
    decision_changed: bool  # the decisions or their conditions changed (not only the deciding rule)


class WhenReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    known: dict[str, Any]
    changes: tuple[Change, ...]
    reviewed: dt.date | None  # the pack's review date: later changes are not in it

    @property
    def current(self) -> Change:
        return self.changes[-1]

    def since(self, decision: Decision) -> dt.date | None:
        """The date from which every later answer is settled on ``decision``; None when the latest is not."""
        out = None
        for c in self.changes:
            out = (out or c.date) if c.settled is decision else None
        return out

    def to_text(self) -> str:
        now = self.current
        until = f" (to the pack's review, {self.reviewed.isoformat()})" if self.reviewed else ""
        lines = [f"now{until}, since {now.date.isoformat()}: {now.answer}"]
        lines += [f"  {c}" for c in now.conditions]
        lines.append("changes:")
        for c in self.changes:
            same = "" if c.decision_changed or c is self.changes[0] else "  (same answer, another clause)"
            lines.append(f"  {c.date.isoformat()}  {c.answer}{same}")
            lines += [f"              {x}" for x in c.conditions]
            for clause in c.added:
                lines.append(f"              + {clause.id} ({clause.policy}): {clause.title}")
                if clause.source is not None:
                    basis = f" [{clause.basis.value}]" if clause.basis else ""
                    lines.append(f"                source: {clause.source}{basis}")
            for rid in c.removed:
                lines.append(f"              - {rid}")
        return "\n".join(lines)


def _answer(report: PartialReport) -> tuple[str, tuple[str, ...]]:
    if report.settled is not None:
        return report.settled.value + f" by {' or '.join(report.rules)}", ()
    many = len(report.policies) > 1
    head = (f"{' or '.join(d.value for d in report.decisions)}, depending on "
            f"{', '.join(report.missing) or 'the missing fields'}")
    return head, tuple(f"{p.decision.value} by {p.rule}" + (f" under {p.policy}" if many else "")
                       + ("" if p.description == EVERY else f" if {p.description}") for p in report.possibilities)


def _shape(report: PartialReport) -> tuple[Any, ...]:
    """What a reader compares: the decisions and their conditions, policy versions left out."""
    if report.settled is not None:
        return (report.settled,)
    return tuple(sorted((p.decision.value, p.description, p.policy.split("@")[0]) for p in report.possibilities))


def dates_of(resolved: ResolvedPack, known: Mapping[str, Any]) -> list[dt.date]:
    """Every date a rule set comes into force for the policies that can judge the strike."""
    pack = resolved.pack
    if "supplier" in known:
        chosen = [pack.policy_for_supplier(known["supplier"]).id]
    else:
        chosen = [pid for pid in pack.policies if pid != COMMON]
    return sorted({w.start for pid in chosen for w in pack.windows(pid)})


def when(resolved: ResolvedPack, fields: Mapping[str, Any]) -> WhenReport:
    """Every date where the answer for a strike of this kind (no date) changes, with its clauses."""
    if fields.get("date") is not None:
        raise PolicyRulesError("date: 'when' answers over every date; leave the date out")
    known = known_fields(resolved, fields)
    pack = resolved.pack
    changes: list[Change] = []
    before: PartialReport | None = None
    for day in dates_of(resolved, known):
        try:
            report = evaluate_partial(resolved, {**fields, "date": day})
        except PolicyRefError:  # no policy that can judge it is in force yet
            continue
        if before is not None and (_shape(report), report.rules) == (_shape(before), before.rules):
            continue
        old = set(before.rules) if before is not None else set()
        added = []
        for rid in report.rules:
            if rid in old:
                continue
            for ref in report.policies:
                v = pack.resolve_ref(ref)
                rule = next((r for r in pack.ruleset(v, day).rules if r.id == rid), None)
                if rule is not None:
                    added.append(Clause(id=rid, title=rule.title, effect=rule.effect, policy=ref, source=rule.source,
                                        basis=rule.basis, file=rule.file))
                    break
            else:
                effect = next((p.decision for p in report.possibilities if p.rule == rid), report.settled)
                added.append(Clause(id=rid, title="no rule matched: the policy default", policy=", ".join(
                    report.policies), effect=effect or Decision.PROHIBITED))
        answer, conditions = _answer(report)
        changes.append(Change(
            date=day, settled=report.settled, decisions=report.decisions, answer=answer, conditions=conditions,
            policies=report.policies, rules=report.rules, added=tuple(added),
            removed=tuple(r for r in (before.rules if before is not None else ()) if r not in report.rules),
            decision_changed=before is None or _shape(report) != _shape(before)))
        before = report
    if not changes:
        raise PolicyRefError("no policy that can judge this strike is in force on any date")
    shown = {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in known.items()}
    return WhenReport(known=shown, changes=tuple(changes), reviewed=pack.catalog.reviewed)
