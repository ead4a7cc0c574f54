"""Helpers for the atlas tests: the browser (Chromium from the system's packages, never downloaded),
and seeded random strikes that lean on thresholds and version boundaries."""

from __future__ import annotations

import datetime as dt
import os
import random
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from policyrules import Engine
from policyrules.analysis.partition import partitions
from policyrules.atlas import build_atlas
from policyrules.model.domain import TargetType, WeaponClass
from policyrules.packs.loader import bundled_rules_dir

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]


def chromium_path() -> str | None:
    for candidate in (os.environ.get("POLICYRULES_CHROMIUM"), shutil.which("chromium"), "/usr/bin/chromium",
                      shutil.which("chromium-browser")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def need_browser() -> str:
    """The Chromium executable; skips the test when there is none (fails in CI, which installs it)."""
    path = chromium_path()
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        path = None
        why = "the Python package playwright is not installed (pip install '.[test]')"
    else:
        why = "no Chromium found (apt-get install chromium); the browser tests need the system's Chromium"
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"CI runs the browser tests: {why}")
        pytest.skip(why)
    return path


class Page:
    """A Chromium page that records console errors and uncaught exceptions."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        page.on("console", lambda m: self.errors.append(f"console {m.type}: {m.text}") if m.type in ("error", "warning")
                else None)
        page.on("pageerror", lambda e: self.errors.append(f"uncaught: {e}"))

        def dialog(d: Any) -> None:
            self.dialogs.append(d.message)
            d.dismiss()

        page.on("dialog", dialog)

    def open(self, path: Path) -> Any:
        self.page.goto(path.as_uri())
        self.page.wait_for_load_state("load")
        return self.page


def boundary_days(engine: Engine) -> list[dt.date]:
    days: set[dt.date] = set()
    for p in engine.pack.policies.values():
        for v in p.versions:
            for d in (v.effective_from, v.effective_until):
                if d is not None:
                    days.update({d - dt.timedelta(days=1), d, d + dt.timedelta(days=1)})
    return sorted(days)


def thresholds(engine: Engine) -> list[float]:
    out: set[float] = {0.0}
    for p in partitions(engine.resolved):
        for ivs in p.cuts.values():
            for iv in ivs:
                out.update({iv.lo, iv.hi})
    for w in engine.pack.catalog.weapons:
        out.add(w.reach_km)
    return sorted(x for x in out if x < 20_000)


def random_strikes(engine: Engine, n: int, seed: int) -> list[dict[str, Any]]:
    """``n`` strikes, valid or not: every field drawn with weight on catalog entries, thresholds
    (and the numbers just beside them), reaches and the days around every version's start and end."""
    rng = random.Random(seed)
    catalog = engine.pack.catalog
    days = boundary_days(engine)
    cuts = thresholds(engine)
    ua = [r.id for r in catalog.regions if r.country == "UA"]
    regions = [r.id for r in catalog.regions]
    codes = ["US", "GB", "FR", "DE", "UA", "NL", "PL", "us"]
    out = []
    for _ in range(n):
        s: dict[str, Any] = {}
        if rng.random() < 0.75:
            w = rng.choice(catalog.weapons)
            s["weapon"] = rng.choice([w.id, w.name])
            if rng.random() < 0.5:
                s["supplier"] = rng.choice(w.suppliers)
            reach = w.reach_km
        else:
            s["weapon_class"] = rng.choice(list(WeaponClass)).value
            if rng.random() < 0.8:
                s["supplier"] = rng.choice(codes)
            reach = 20_100.0
        s["target_region"] = rng.choice(regions)
        s["target_type"] = rng.choice(list(TargetType)).value
        if rng.random() < 0.8:
            s["self_defense"] = rng.random() < 0.6
        if rng.random() < 0.6:
            s["defended_region"] = rng.choice(ua)
        t = rng.random()
        if t < 0.5:
            x = rng.choice(cuts)
            x = rng.choice([x, x, max(0.0, x - 0.5), x + 0.5, max(0.0, x - 1e-9)])
        else:
            x = round(rng.uniform(0, reach * 1.05), rng.choice([0, 1, 3]))
        s["range_km"] = int(x) if float(x).is_integer() and rng.random() < 0.3 else float(x)
        if rng.random() < 0.2:
            s["depth_km"] = round(rng.uniform(0, 300), 1)
        if rng.random() < 0.9:
            day = rng.choice(days) if rng.random() < 0.6 else dt.date(2022, 1, 1) + dt.timedelta(days=rng.randrange(1400))
            s["date"] = day.isoformat()
        out.append(s)
    return out


def partial_strikes(engine: Engine, n: int, seed: int) -> list[dict[str, Any]]:
    """Valid strikes with some fields left out (the date kept or not), for evaluate_partial."""
    rng = random.Random(seed)
    out = []
    for s in random_strikes(engine, n * 3, seed):
        try:
            engine.evaluate(s)
        except Exception:
            continue
        keep = {k: v for k, v in s.items() if k == "date" or rng.random() < 0.55}
        if "target_type" in s and "target_type" not in keep and rng.random() < 0.3:
            keep["target_category"] = TargetType(s["target_type"]).category.value
        out.append(keep)
        if len(out) == n:
            break
    return out


# A pack whose every text is hostile (HTML, script tags, javascript: URLs, line separators) ---------

EVIL = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">\u2028</script><!--'


@pytest.fixture(scope="module")
def hostile_pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled pack with HTML, script tags, javascript: text and line separators in every text
    a rule file or the catalog may carry (titles, quotes, notes, caveats, names, who)."""
    root = tmp_path_factory.mktemp("hostile") / "rules"
    shutil.copytree(bundled_rules_dir(), root)
    for f in sorted(root.rglob("*.yaml")):
        data = yaml.safe_load(f.read_text(encoding="utf-8"))
        if f.name == "catalog.yaml":
            for r in data["regions"]:
                r["name"] = r["name"] + EVIL
            for w in data["weapons"]:
                w["name"] = w["name"] + EVIL
                w["note"] = "javascript:window.__xss=3"
        else:
            data["title"] = data["title"] + EVIL
            data["note"] = EVIL + " javascript:window.__xss=4"
            for r in data.get("rules", []):
                r["title"] = r["title"] + EVIL
                r["note"] = EVIL
                r["caveats"] = EVIL
                r["source"]["quote"] = EVIL[:500]
                r["source"]["who"] = EVIL
                if "url" in r["source"]:
                    r["source"]["url"] = 'https://example.org/"><script>window.__xss=5</script>'
            if f.parent.name == "gb" and f.stem == "2024-05-02":
                add_hostile_point(data)
        f.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return root


def add_hostile_point(data: dict[str, Any]) -> None:
    """A contested point whose question, options, reasons and sources carry the hostile text, and a
    rule that exists under one of its options only (so the pages show it as an alternative)."""
    def evil_source() -> dict[str, str]:  # a new dict each time: YAML anchors are refused in rule files
        return {"url": 'https://example.org/"><script>window.__xss=6</script>', "quote": EVIL[:500],
                "grade": "interpretation", "who": EVIL}

    data["readings"] = [{
        "id": f"{data['policy']}.evil-point", "question": EVIL + " javascript:window.__xss=7", "default": "plain",
        "why_default": EVIL, "options": [
            {"id": "plain", "says": EVIL, "changes": EVIL, "sources": [evil_source()], "against": [evil_source()]},
            {"id": "evil-option", "says": EVIL + " says", "changes": EVIL, "sources": [evil_source()]}]}]
    data["rules"].append({"id": f"{data['policy']}-evil-reading", "title": EVIL, "effect": "prohibited",
                          "when": {"target_country": "RU"}, "source": evil_source(),
                          "note": EVIL, "under": {f"{data['policy']}.evil-point": "evil-option"}})


@pytest.fixture(scope="module")
def hostile_site(hostile_pack: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("hostile-site")
    build_atlas(Engine.load(hostile_pack, backend="compiled"), out, diff_scope="versions")
    return out
