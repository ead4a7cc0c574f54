"""A seeded set of valid strikes drawn from a pack's catalog and the policies' date windows.

Every strike is a plain dict (what a user would pass) and is validated once with
``engine.strike()``; the validated :class:`~policyrules.ProposedStrike` objects are what
the "validated strike" figures evaluate.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from dataclasses import dataclass
from typing import Any

from policyrules import Engine, ProposedStrike
from policyrules.model.domain import TargetType
from policyrules.packs.pack import Pack

SEED = 20240530


def date_windows(pack: Pack, tail_days: int = 365) -> list[tuple[dt.date, dt.date]]:
    """Spans of dates between consecutive version boundaries of every policy (common included).

    A strike's date is drawn by first choosing one span uniformly, then a day in it, so the
    short US windows (three weeks in May-June 2024) are as well represented as the
    two-year baselines.
    """
    bounds: set[dt.date] = set()
    for policy in pack.policies.values():
        for v in policy.versions:
            bounds.add(v.effective_from)
            if v.effective_until is not None:
                bounds.add(v.effective_until + dt.timedelta(days=1))
    days = sorted(bounds)
    spans = [(a, b - dt.timedelta(days=1)) for a, b in itertools.pairwise(days)]
    spans.append((days[-1], days[-1] + dt.timedelta(days=tail_days)))
    return spans


def random_strikes(pack: Pack, n: int, seed: int = SEED, suppliers: tuple[str, ...] | None = None) -> list[dict[str, Any]]:
    """``n`` random valid strikes as dicts: catalog weapons (optionally only those supplied by
    ``suppliers``), any region and target type, self_defense, defended_region, a range within
    the weapon's reach (5% exactly on 40/80/150 km), a date in one of the pack's windows (ISO
    text). A quarter are shaped like counter-fire (a Russian border region, self-defense of a
    Ukrainian border region) so that the exceptions of the policies are exercised."""
    rng = random.Random(seed)
    cat = pack.catalog
    weapons = [w for w in cat.weapons if suppliers is None or any(s in suppliers for s in w.suppliers)]
    regions = [r.id for r in cat.regions]
    ua_regions = [r.id for r in cat.regions if r.country == "UA"]
    ru_border = [r.id for r in cat.regions if r.country == "RU" and r.borders]
    ua_border = [r.id for r in cat.regions if r.country == "UA" and r.borders]
    types = [t.value for t in TargetType]
    spans = date_windows(pack)
    out = []
    for _ in range(n):
        w = rng.choice(weapons)
        # a quarter are shaped like counter-fire across the border, so exceptions get exercised
        shaped = rng.random() < 0.25
        s: dict[str, Any] = {"weapon": w.name, "target_region": rng.choice(ru_border if shaped else regions),
                             "target_type": rng.choice(types)}
        if suppliers is not None:
            s["supplier"] = rng.choice([x for x in w.suppliers if x in suppliers])
        elif len(w.suppliers) > 1 or rng.random() < 0.2:  # a weapon of several suppliers must name one
            s["supplier"] = rng.choice(w.suppliers)
        sd = shaped or rng.random() < 0.5
        s["self_defense"] = sd
        if shaped:
            s["defended_region"] = rng.choice(ua_border)
        elif rng.random() < (0.8 if sd else 0.1):
            s["defended_region"] = rng.choice(ua_regions)
        if rng.random() < 0.05:  # the thresholds of the bundled pack, hit exactly
            s["range_km"] = float(min(w.reach_km, rng.choice((40.0, 80.0, 150.0))))
        else:
            s["range_km"] = round(rng.uniform(0.0, w.reach_km), 1)
        a, b = rng.choice(spans)
        s["date"] = (a + dt.timedelta(days=rng.randint(0, (b - a).days))).isoformat()
        out.append(s)
    return out


@dataclass
class StrikeSet:
    dicts: list[dict[str, Any]]
    strikes: list[ProposedStrike]

    def subset(self, keep: list[bool]) -> StrikeSet:
        return StrikeSet([d for d, k in zip(self.dicts, keep) if k], [s for s, k in zip(self.strikes, keep) if k])

    def __len__(self) -> int:
        return len(self.dicts)


def validated(engine: Engine, dicts: list[dict[str, Any]]) -> StrikeSet:
    """Validate every strike once (raises on the first invalid one: the generator has a bug)."""
    return StrikeSet(dicts, [engine.strike(d) for d in dicts])
