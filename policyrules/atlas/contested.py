"""Contested points: where the sources allow more than one reading of a policy.

The readings feature (rule files that declare contested points, ``Engine.load(readings=...)``,
``engine.with_readings(...)``) is not in this branch yet. The atlas is ready for it: a
:class:`ContestedPoint` is what the timeline marks and the evaluator names, and each
:class:`Variant` (an engine under one choice of readings) gets its own decision tables, so the
page can answer a strike under every alternative. Until the API lands the atlas has one variant,
the engine as given, and no contested points; nothing here is made up.

To wire it in: :func:`contested_points` turns the engine's points into :class:`ContestedPoint`, and
:func:`variants` returns one :class:`Variant` per alternative reading (``engine.with_readings``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..engine import Engine
from ..model.sources import Source
from .world import source_json

DEFAULT_VARIANT = "default"


@dataclass(frozen=True)
class Option:
    id: str
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
    dates: tuple[dt.date, ...] = ()  # the dates where it starts to matter (the timeline marks them)


@dataclass(frozen=True)
class Variant:
    """An engine under one choice of readings (``readings``: point id -> option id; empty: the default)."""

    id: str
    engine: Engine
    readings: Mapping[str, str] = field(default_factory=dict)


def contested_points(engine: Engine) -> tuple[ContestedPoint, ...]:
    """The engine's contested points. None until the readings feature lands."""
    _ = engine
    return ()


def variants(engine: Engine, points: Sequence[ContestedPoint]) -> list[Variant]:
    """The default variant, then one per alternative option of each point (when readings land:
    ``Variant(f"{p.id}={o.id}", engine.with_readings({p.id: o.id}), {p.id: o.id})``)."""
    _ = points
    return [Variant(DEFAULT_VARIANT, engine)]


def point_json(p: ContestedPoint) -> dict[str, Any]:
    return {"id": p.id, "question": p.question, "default": p.default,
            "options": [{"id": o.id, "text": o.text} for o in p.options],
            "sources": [source_json(s) for s in p.sources], "policies": list(p.policies),
            "dates": [d.isoformat() for d in p.dates]}
