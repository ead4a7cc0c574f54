"""Strikes the tests draw on: seeded varied strikes over a pack, odd values for each field, and
the outcome of evaluating one (the verdict as JSON data, or the error)."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from policyrules import Engine, PolicyRulesError
from policyrules.model.domain import MAX_RANGE_KM, TargetType, WeaponClass
from policyrules.packs.pack import Pack
from policyrules.strategies import boundary_ranges

DATES = (None, "2021-06-01", "2022-02-24", "2024-05-29", "2024-05-30", "2024-06-01", "2024-06-19", "2024-06-20",
         "2024-11-16", "2024-11-17", "2025-03-01")


def varied_strikes(pack: Pack, n: int, seed: int) -> list[dict[str, Any]]:
    """``n`` strikes drawn with a seeded generator: every weapon, region, target type and version
    boundary date, ranges on the pack's thresholds and weapons' reach; about one in twenty is
    invalid (beyond reach, unknown region) or dated before every version."""
    rng = random.Random(seed)
    catalog = pack.catalog
    edges = boundary_ranges(Engine(pack, "compiled"))
    ua = [r.id for r in catalog.regions if r.country == "UA"]
    out: list[dict[str, Any]] = []
    for _ in range(n):
        s: dict[str, Any] = {}
        if rng.random() < 0.75:
            w = rng.choice(catalog.weapons)
            s["weapon"] = rng.choice([w.id, w.name, *w.aliases])
            if rng.random() < 0.3:
                s["supplier"] = rng.choice(w.suppliers)
            reach = w.reach_km
        else:
            s["weapon_class"] = rng.choice(list(WeaponClass)).value
            supplier = rng.choice(["US", "GB", "FR", "DE", "UA", "PL", None])
            if supplier:
                s["supplier"] = supplier
            reach = MAX_RANGE_KM
        s["target_region"] = rng.choice(catalog.region_ids)
        s["target_type"] = rng.choice(list(TargetType)).value
        s["self_defense"] = rng.random() < 0.5
        defended = rng.choice([None, None, *ua])
        if defended:
            s["defended_region"] = defended
        s["range_km"] = rng.choice([*(x for x in edges if x <= reach), rng.uniform(0, reach)])
        day = rng.choice(DATES)
        if day:
            s["date"] = day
        if rng.random() < 0.05:
            s[rng.choice(["range_km", "target_region"])] = rng.choice([reach + 1, "narnia"])
        out.append(s)
    return out



def outcome(engine: Engine, strike: dict[str, Any]) -> object:
    """The whole verdict as JSON data, or the error's class and message."""
    try:
        return engine.evaluate(strike).model_dump(mode="json")
    except PolicyRulesError as e:
        return type(e).__name__, str(e)



# Values that break one field of an otherwise valid strike, or that the fast path must hand
# over to full validation (aliases in odd case, padded text, enum members, ints, numpy-likes).
ODD: dict[str, list[Any]] = {
    "weapon": ["himars", " HIMARS ", "M142", "HIMRS", 3, ""],
    "weapon_class": ["rocket_artillery", "ROCKET_ARTILLERY", "ballistic_missile", 1],
    "supplier": ["us", " US ", "USA", "NL", 7, ""],
    "target_region": ["Belgorod", "bеlgorod", "nowhere", 5],
    "target_type": ["troops", "Troops", "civilian", None],
    "self_defense": [1, "yes", None],
    "defended_region": ["kharkiv", "KHARKIV", "belgorod", 4],
    "date": ["2024-05-30", " 2024-05-30", "2024-13-01", "1890-01-01", "2021-01-01", dt.datetime(2024, 6, 1), 20240601],
    "range_km": [0, 80, 80.0000001, -1.0, float("nan"), float("inf"), "30", True, 10**400],
}
