"""The atlas and contested readings, on a small pack with two points (one changes a rule by option, one
moves a version's start): the site built under a chosen reading says so on every page; the timeline marks
the points where they fall; each point has a page linked from the rules it touches; variant tables give
the page the alternatives of a strike, equal to ``verdict.contested`` on a few hundred random strikes;
the map and matrices show them; the diff view compares two readings of one date as ``engine.diff`` does."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from policyrules import Engine, PolicyRulesError
from policyrules.atlas import build_atlas
from policyrules.atlas.contested import contested_points
from policyrules.cli import main

from .atlas_helpers import CHROMIUM_ARGS, Page, need_browser, random_strikes
from .readings_pack import BASELINE, BASELINE_UNTIL, DOWNING, SEED, SHIFT, write

# Suppliers without a policy of their own: a point that changes a parameter (how far into Russia).
DEFAULT_POLICY = f"""\
policy: default
version: v1
title: Other suppliers
effective_from: 2022-02-24
default: prohibited
parameters:
  near_km:
    value: {{reading: default.near, options: {{close: 30, wider: 100}}}}
    description: how far counts as near the border
readings:
  - id: default.near
    question: How far into Russia may other suppliers' weapons strike?
    default: close
    why_default: The narrower reading is the better sourced.
    options:
      - {{id: close, says: "30 km", sources: [{SEED}]}}
      - {{id: wider, says: "100 km", sources: [{DOWNING}]}}
rules:
  - id: default-inside-ukraine
    title: inside Ukraine
    effect: allowed
    when: {{target_country: UA}}
    source: {SEED}
  - id: default-near-border
    title: near the border
    effect: allowed
    when: {{target_country: RU, range_km: {{le: {{param: near_km}}}}}}
    source: {SEED}
"""
SPLIT = {"gb.strikes-in-russia": "split-by-weapon"}
LATER = {"gb.start-date": "later"}
PAGES = ("index.html", "map.html", "matrix.html", "diff.html", "evaluate.html", "rules.html", "points.html")


@pytest.fixture(scope="module")
def rules(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("atlas-readings") / "rules"
    (root / "default").mkdir(parents=True)
    return write(root, {"gb/baseline.yaml": BASELINE.replace("effective_until: 2024-05-01", BASELINE_UNTIL),
                        "gb/2024-05-02.yaml": SHIFT, "default/v1.yaml": DEFAULT_POLICY})


@pytest.fixture(scope="module")
def engine(rules: Path) -> Engine:
    return Engine.load(rules, backend="compiled")


@pytest.fixture(scope="module")
def site(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("atlas-readings-site")
    build_atlas(engine, out)
    return out


@pytest.fixture(scope="module")
def split_site(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("atlas-split-site")
    build_atlas(engine, out, readings=SPLIT)
    return out


# Python side -------------------------------------------------------------------------------


def test_points_know_where_they_fall_and_what_they_touch(engine: Engine) -> None:
    points = {p.id: p for p in contested_points(engine)}
    assert list(points) == [p.id for p in engine.readings]
    assert sorted(points) == ["default.near", "gb.start-date", "gb.strikes-in-russia"]
    near = points["default.near"]
    assert [m.text for m in near.marks] == ["default@v1: its parameters differ by option"]
    assert near.rules == () and near.policies == ("default",)
    start = points["gb.start-date"]
    assert [d.isoformat() for d in start.dates] == ["2024-05-02", "2024-06-01"]
    assert any("gb@2024-05-02 starts on this date under option later" in m.text for m in start.marks)
    rules = points["gb.strikes-in-russia"]
    assert rules.rules == ("gb-military-targets-anywhere",)
    assert [d.isoformat() for d in rules.dates] == ["2024-05-02"]
    assert rules.reading == "seed" and rules.option("barred").sources[0].grade is not None
    assert {p.id: p for p in contested_points(engine.with_readings(SPLIT))}["gb.strikes-in-russia"].reading == \
        "split-by-weapon"


def test_every_page_says_which_reading_it_shows(site: Path, split_site: Path) -> None:
    pages = [*PAGES, "rules/gb-military-targets-anywhere.html", "points/gb.start-date.html"]
    for name in pages:
        text = (site / name).read_text(encoding="utf-8")
        assert "Built under the default reading" in text, name
        chosen = (split_site / name).read_text(encoding="utf-8")
        assert "Built under a chosen reading" in chosen, name
        assert re.search(r"gb\.strikes-in-russia</code></a> = <strong>split-by-weapon</strong> \(the default is seed\)",
                         chosen), name


def test_the_command_builds_under_readings(rules: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "site"
    assert main(["atlas", str(out), "--rules", str(rules), "--diffs", "none", "--format", "json",
                 "--readings", "gb.strikes-in-russia=barred", "gb.start-date=later"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["points"] == 3 and report["variants"] == 4 and report["diffs"] == 0
    text = (out / "index.html").read_text(encoding="utf-8")
    assert "= <strong>barred</strong>" in text and "= <strong>later</strong>" in text
    capsys.readouterr()
    assert main(["atlas", str(tmp_path / "x"), "--rules", str(rules), "--readings", "gb.strikes-in-russia=nope"]) == 2
    assert "unknown option" in capsys.readouterr().err


def test_timeline_marks_points_with_question_options_and_default(site: Path) -> None:
    text = (site / "index.html").read_text(encoding="utf-8")
    row = text[text.index('class="contested-row"'):]
    row = row[:row.index("</tr>")]
    assert row.count("gb.start-date</a>") == 2 and row.count("gb.strikes-in-russia</a>") == 1
    days = {}
    for day in ("2024-05-02", "2024-06-01"):
        section = text[text.index(f'<time datetime="{day}">{day}</time></h3>'):]
        days[day] = re.split(r"<li><h3>|</ol>", section)[0]
    assert "From when?" in days["2024-05-02"] and "From when?" in days["2024-06-01"]
    assert "When could UK weapons strike inside Russia?" in days["2024-05-02"]
    assert "When could UK weapons strike inside Russia?" not in days["2024-06-01"]
    assert "gb@2024-05-02 starts on this date under option later" in days["2024-06-01"]
    assert "<strong>later</strong>: 1 June 2024" in days["2024-06-01"]
    assert "<strong>cameron</strong> <em>(default)</em>" in days["2024-06-01"]


def test_point_pages_linked_from_the_rules_they_touch(site: Path) -> None:
    rule = (site / "rules" / "gb-military-targets-anywhere.html").read_text(encoding="utf-8")
    assert 'href="../points/gb.strikes-in-russia.html"' in rule and 'href="../points/gb.start-date.html"' in rule
    other = (site / "rules" / "gb-inside-ukraine.html").read_text(encoding="utf-8")
    assert "points/gb." not in other
    page = (site / "points" / "gb.strikes-in-russia.html").read_text(encoding="utf-8")
    for text in ("When could UK weapons strike inside Russia?", "The seed report speaks to the point.",
                 "not Storm Shadow until November", "official-on-record", "https://example.org/downing-street",
                 'href="../rules/gb-military-targets-anywhere.html"'):
        assert text in page, text


def test_reading_diffs_are_the_engine_diffs(site: Path, engine: Engine) -> None:
    data = (site / "data" / "diffs.js").read_text(encoding="utf-8")
    key = "default~gb@2024-05-02|gb.strikes-in-russia=split-by-weapon~gb@2024-05-02"
    assert f'"{key}"' in data
    report = engine.diff("gb@2024-07-01", after_readings=SPLIT)
    assert report.changed == 1 and report.entries[0].description in data


# In the browser ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    path = need_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield Page(context.new_page())
    context.close()


def _contested(engine: Engine, s: dict[str, Any]) -> list[dict[str, Any]] | None:
    try:
        v = engine.evaluate(s)
    except PolicyRulesError:
        return None
    return [{"point": c.point, "alternatives": [
        {"option": a.option, "decision": a.decision.value if a.decision else None, "rule": a.rule, "policy": a.policy}
        for a in c.alternatives]} for c in v.contested]


def _strikes(engine: Engine, n: int, seed: int) -> list[dict[str, Any]]:
    """Random strikes on the days around every version boundary under every reading."""
    out = []
    for i, reading in enumerate(({}, LATER, {"gb.strikes-in-russia": "barred"})):
        out += random_strikes(engine.with_readings(reading), n // 3, seed + i)
    return out


@pytest.mark.parametrize("readings", [{}, SPLIT, LATER])
def test_in_page_alternatives_equal_the_engines(engine: Engine, page: Page, tmp_path: Path,
                                                readings: dict[str, str]) -> None:
    """On a few hundred random strikes (thresholds and version boundaries under each reading), the
    alternatives the page computes from the variant tables are the engine's ``verdict.contested``."""
    built = engine.with_readings(readings)
    build_atlas(engine, tmp_path, diff_scope="none", readings=readings)
    p = page.open(tmp_path / "evaluate.html")
    strikes = _strikes(engine, 600, seed=31)
    got = p.evaluate("s => window.PolicyAtlas.contestedMany(s)", strikes)
    checked = contested = 0
    points = set()
    for s, g in zip(strikes, got, strict=True):
        want = _contested(built, s)
        if want is None:
            assert "error" in g, s
            continue
        checked += 1
        contested += bool(want)
        points.update(c["point"] for c in want)
        assert g == want, s
    assert checked >= 300 and contested >= 50
    assert points == {"default.near", "gb.strikes-in-russia", "gb.start-date"}  # every point changes some strike
    assert page.errors == []


def test_the_evaluator_form_path_gives_the_same_alternatives(engine: Engine, site: Path, page: Page) -> None:
    """The form treats an empty field as open (contestedPartial); with every field filled in, its
    alternatives are the engine's ``verdict.contested`` too."""
    p = page.open(site / "evaluate.html")
    strikes = [{"self_defense": False, "defended_region": None, **s} for s in _strikes(engine, 300, seed=47)
               if "supplier" in s or "weapon" in s]  # (the form cannot say "no supplier": empty is open)
    got = p.evaluate("""s => s.map(x => window.PolicyAtlas.contestedPartial(x).map(a => ({point: a.point, option: a.option,
        decision: a.answer.error ? null : a.answer.settled, rules: a.answer.error ? [] : a.answer.rules})))""", strikes)
    checked = 0
    for s, g in zip(strikes, got, strict=True):
        want = _contested(engine, s)
        if want is None:
            continue
        checked += 1
        flat = [{"point": c["point"], "option": a["option"], "decision": a["decision"],
                 "rules": [a["rule"]] if a["rule"] else []} for c in want for a in c["alternatives"]]
        assert g == flat, s
    assert checked >= 150


def test_evaluator_shows_the_alternatives(site: Path, page: Page) -> None:
    p = page.open(site / "evaluate.html")
    p.select_option("#f-weapon", "storm_shadow")
    p.select_option("#f-target_region", "kursk")
    p.select_option("#f-target", "type:airfield")
    p.fill("#f-range_km", "200")
    p.fill("#f-date", "2024-05-15")
    p.click("button[type=submit]")
    text = p.text_content("#answer-body")
    assert "allowed" in text and "gb-military-targets-anywhere" in text
    alt = p.text_content("#answer-body .alternatives")
    assert "gb.strikes-in-russia" in alt and "split-by-weapon" in alt and "barred" in alt
    assert "gb.start-date" in alt and "later" in alt and "gb-no-strikes-in-russia" in alt
    assert "rests on an official on the record" in alt  # the option's weakest source, as explain() says
    assert page.errors == []


def test_map_and_matrix_show_the_alternatives(site: Path, page: Page) -> None:
    p = page.open(site / "map.html")
    p.select_option("#f-supplier", "GB")
    p.select_option("#f-weapon", "storm_shadow")
    p.select_option("#f-target", "cat:military")
    p.evaluate("() => window.AtlasMap.setDay('2024-07-01')")
    tile = p.locator("#tile-map .tile[data-region=kursk]")
    assert "contested" in (tile.get_attribute("class") or "")
    tile.hover()
    details = p.text_content("#region-details")
    assert "gb-military-targets-anywhere" in details and "split-by-weapon" in details and "barred" in details
    assert "kursk" not in (p.locator("#tile-map .tile[data-region=kharkiv]").get_attribute("class") or "")
    p = page.open(site / "matrix.html")
    assert p.locator("#version-matrix td.contested").count() == 0  # gb@baseline: no reading changes it
    p.select_option("#f-table", "gb@2024-05-02")
    cell = p.locator("#version-matrix td.contested").first
    cell.locator(".alt-mark").click()  # a tap on the cell (not its rule link, which opens the rule's page)
    shown = p.text_content("#vm-details")
    assert "gb.strikes-in-russia" in shown and "Under" in shown and "gb-military-targets-anywhere" in shown
    assert page.errors == []


def test_diff_view_compares_two_readings_of_one_date(site: Path, page: Page, engine: Engine) -> None:
    p = page.open(site / "diff.html")
    for da, db, ra, rb in [("2024-07-01", "2024-07-01", "default", "gb.strikes-in-russia=split-by-weapon"),
                           ("2024-07-01", "2024-07-01", "gb.strikes-in-russia=barred", "default"),
                           ("2024-05-15", "2024-05-15", "default", "gb.start-date=later"),
                           ("2024-07-01", "2024-07-01", "default", "gb.start-date=later")]:
        p.select_option("#f-pa", "gb")
        p.select_option("#f-pb", "gb")
        p.select_option("#f-ra", ra)
        p.select_option("#f-rb", rb)
        p.fill("#f-da", da)
        p.fill("#f-db", db)
        p.dispatch_event("#f-db", "change")
        before = {} if ra == "default" else dict([ra.split("=")])
        after = {} if rb == "default" else dict([rb.split("=")])
        report = engine.diff(f"gb@{da}", f"gb@{db}", before_readings=before, after_readings=after)
        rows = p.evaluate("""() => Array.from(document.querySelectorAll('#diff-table tbody tr'))
            .map(tr => Array.from(tr.cells).map(td => td.textContent.trim()))""")
        want = [[e.description, f"{e.before.decision.value} by {e.before.rule}", f"{e.after.decision.value} by {e.after.rule}",
                 str(e.classes)] for e in report.entries]
        got = [[r[0], r[1].lstrip("✓✕ "), r[2].lstrip("✓✕ "), r[3]] for r in rows]
        assert got == want, (da, ra, rb)
        assert p.text_content("#diff-head") == report.to_text().splitlines()[0]
    assert page.errors == []


def test_pages_load_clean_and_point_links_resolve(site: Path, split_site: Path, page: Page) -> None:
    for root in (site, split_site):
        for name in [*PAGES, *(f"points/{f.name}" for f in (root / "points").glob("*.html")),
                     *(f"rules/{f.name}" for f in (root / "rules").glob("*.html"))]:
            p = page.open(root / name)
            for href in p.evaluate("() => Array.from(document.querySelectorAll('a[href]')).map(a => a.href)"):
                if href.startswith("file://"):
                    assert Path(href[7:].split("#")[0]).exists(), (name, href)
    assert page.errors == []
