"""Contested points: where the sources allow more than one reading of a policy.

The pack declares its contested points (:mod:`policyrules.packs.readings`); the atlas is built
under one reading of them (the engine's: the defaults, or ``build_atlas(readings=...)``). Here:

- :func:`contested_points` turns each of the engine's points into a :class:`ContestedPoint`: its
  question, options (with their sources), default and why, the option the atlas is built under,
  and what it touches, found by composing the pack under each option and comparing: the versions
  whose dates move or that exist under some options only, the rules whose definition differs (or
  that a moved or optional version adds, replaces or removes), each as a :class:`Mark` on the date
  where it falls (the timeline shows them there);
- :func:`variants` returns the engine as given, then one :class:`Variant` per other option of each
  point (that one choice changed, as ``verdict.contested`` changes it), whose decision tables the
  page exports so it can show the alternatives of any strike exactly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..engine import Engine
from ..model.sources import Source, weakest
from ..packs.pack import Pack, PolicyVersion
from ..packs.readings import Point
from .safe import slug
from .world import source_json

DEFAULT_VARIANT = "default"


@dataclass(frozen=True)
class Option:
    id: str
    text: str  # what the option says
    changes: str | None = None
    sources: tuple[Source, ...] = ()
    against: tuple[Source, ...] = ()


@dataclass(frozen=True)
class Mark:
    """Where a point falls: on ``day``, in ``version`` (``policy@version``), what the options do there."""

    day: dt.date
    version: str
    text: str


@dataclass(frozen=True)
class ContestedPoint:
    """A question the sources answer more than one way, with its options and the default reading."""

    id: str
    question: str
    options: tuple[Option, ...]
    default: str
    sources: tuple[Source, ...] = ()
    policies: tuple[str, ...] = ()  # the policies it affects
    dates: tuple[dt.date, ...] = ()  # the dates where it falls (the timeline marks them)
    why_default: str = ""
    chosen: str = ""  # the option the atlas is built under ("": the default)
    rules: tuple[str, ...] = ()  # the rules it touches
    marks: tuple[Mark, ...] = ()
    file: str | None = None

    @property
    def page(self) -> str:
        """The point's page, relative to the site's root."""
        return f"points/{slug(self.id)}.html"

    @property
    def reading(self) -> str:
        """The option the atlas is built under."""
        return self.chosen or self.default

    def option(self, option_id: str) -> Option:
        return next(o for o in self.options if o.id == option_id)


@dataclass(frozen=True)
class Variant:
    """An engine under one choice of readings (``readings``: point id -> option id; empty: the default)."""

    id: str
    engine: Engine
    readings: Mapping[str, str] = field(default_factory=dict)


def variant_id(point: str, option: str) -> str:
    return f"{point}={option}"


def contested_points(engine: Engine) -> tuple[ContestedPoint, ...]:
    """The engine's contested points, in the order the pack declares them, with what each touches."""
    pack = engine.pack
    out = []
    for p in engine.readings:
        marks, rules, policies = _effects(pack, p)
        sources = tuple(dict.fromkeys(s for o in p.options for s in o.sources))
        out.append(ContestedPoint(
            id=p.id, question=p.question, default=p.default, why_default=p.why_default,
            options=tuple(Option(o.id, o.says, o.changes, o.sources, o.against) for o in p.options),
            sources=sources, policies=tuple(sorted({p.policy, *policies})), chosen=pack.reading.get(p.id, p.default),
            dates=tuple(sorted({m.day for m in marks})), rules=tuple(sorted(rules)), marks=tuple(marks), file=p.file))
    return tuple(out)


def _effects(pack: Pack, point: Point) -> tuple[list[Mark], set[str], set[str]]:
    """The marks, rule ids and policies of one point: the pack composed under each of its options
    (the other points as the pack reads them), version by version."""
    options = point.option_ids
    under = {o: pack.under({point.id: o}) for o in options}
    versions: dict[str, dict[str, PolicyVersion]] = {}
    for o, composed in under.items():
        for policy in composed.policies.values():
            for v in policy.versions:
                versions.setdefault(v.ref, {})[o] = v
    found: dict[tuple[dt.date, str], list[str]] = {}
    rules: set[str] = set()
    policies: set[str] = set()

    def mark(day: dt.date, ref: str, text: str) -> None:
        texts = found.setdefault((day, ref), [])
        if text not in texts:
            texts.append(text)

    def changed_rules(v: PolicyVersion) -> tuple[str, ...]:
        return (*v.added, *v.replaced, *v.removed) if v.extends else tuple(r.id for r in v.rules)

    for ref, by_option in versions.items():
        touched: set[str] = set()
        if len(by_option) < len(options):  # a version under some options only
            for v in by_option.values():
                mark(v.effective_from, ref, f"{ref} is in force from this date only under "
                     f"{_words([o for o in options if o in by_option])}")
                touched.update(changed_rules(v))
        else:
            starts = _by_value({o: v.effective_from for o, v in by_option.items()})
            ends = _by_value({o: v.effective_until for o, v in by_option.items()})
            if len(starts) > 1:
                for day, opts in starts.items():
                    assert day is not None
                    mark(day, ref, f"{ref} starts on this date under {_words(opts)}")
                for v in by_option.values():
                    touched.update(changed_rules(v))
            if len(ends) > 1:
                for day, opts in ends.items():
                    if day is not None:
                        mark(day + dt.timedelta(days=1), ref,
                             f"{ref} ends the day before under {_words(opts)}")
            definitions: dict[str, dict[str, Any]] = {}
            for o, v in by_option.items():
                for r in v.rules:
                    definitions.setdefault(r.id, {})[o] = r
            differ = sorted(rid for rid, defs in definitions.items()
                            if len(defs) < len(options) or len(set(defs.values())) > 1)
            params = {o: tuple(sorted((k, p.number) for k, p in v.parameters.items())) for o, v in by_option.items()}
            if differ or len(set(params.values())) > 1:
                what = (f"the rule{'s' if len(differ) > 1 else ''} {', '.join(differ)} "
                        f"differ{'' if len(differ) > 1 else 's'} by option" if differ else "") + \
                    ("; " if differ and len(set(params.values())) > 1 else "") + \
                    ("its parameters differ by option" if len(set(params.values())) > 1 else "")
                for day in sorted({v.effective_from for v in by_option.values()}):
                    mark(day, ref, f"{ref}: {what}")
                touched.update(differ)
        if touched or any(k[1] == ref for k in found):
            policies.add(ref.split("@", 1)[0])
        rules.update(touched)
    marks = [Mark(day, ref, "; ".join(texts)) for (day, ref), texts in sorted(found.items())]
    return marks, rules, policies


def _by_value(values: Mapping[str, dt.date | None]) -> dict[dt.date | None, list[str]]:
    out: dict[dt.date | None, list[str]] = {}
    for o, v in values.items():
        out.setdefault(v, []).append(o)
    return out


def _words(options: Sequence[str]) -> str:
    return ("option " if len(options) == 1 else "options ") + ", ".join(options)


def variants(engine: Engine, points: Sequence[ContestedPoint]) -> list[Variant]:
    """The engine as given, then one variant per other option of each point: that one choice
    changed over the engine's reading, as :meth:`Engine.contested` tries it."""
    out = [Variant(DEFAULT_VARIANT, engine)]
    for p in points:
        for o in p.options:
            if o.id != p.reading:
                out.append(Variant(variant_id(p.id, o.id), engine.with_readings({p.id: o.id}), {p.id: o.id}))
    return out


def option_json(o: Option) -> dict[str, Any]:
    weak = weakest(list(o.sources))
    return {"id": o.id, "text": o.text, "changes": o.changes, "sources": [source_json(s) for s in o.sources],
            "against": [source_json(s) for s in o.against], "rests_on": weak.rests_on() if weak else None}


def point_json(p: ContestedPoint) -> dict[str, Any]:
    return {"id": p.id, "question": p.question, "default": p.default, "chosen": p.reading,
            "policy": p.id.split(".", 1)[0], "page": p.page, "why_default": p.why_default,
            "options": [option_json(o) for o in p.options],
            "sources": [source_json(s) for s in p.sources], "policies": list(p.policies),
            "rules": list(p.rules), "dates": [d.isoformat() for d in p.dates],
            "marks": [{"day": m.day.isoformat(), "version": m.version, "text": m.text} for m in p.marks]}
