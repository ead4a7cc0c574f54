"""The atlas in a real browser (Chromium from the system's packages, driven by Playwright): the pages
load without console errors, the in-page evaluator gives the engine's answer on thousands of random
strikes (thresholds and version boundaries included) and on partial strikes, the map agrees with the
engine, the diff view with ``diff``, the timeline with ``timeline``, links resolve, and the controls
work from the keyboard alone."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from policyrules import Engine, PolicyRulesError
from policyrules.analysis.timeline import timeline
from policyrules.atlas import build_atlas
from policyrules.model.dimensions import FIELDS, Kind
from policyrules.scenarios import load_scenarios, scenario_files

from .atlas_helpers import CHROMIUM_ARGS, Page, need_browser, partial_strikes, random_strikes

ROOT = Path(__file__).resolve().parent.parent
PAGES = ("index.html", "map.html", "matrix.html", "diff.html", "evaluate.html", "rules.html", "points.html")


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.load(backend="compiled")


@pytest.fixture(scope="module")
def site(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("atlas")
    scenarios = [s for f in scenario_files([ROOT / "examples"]) for s in load_scenarios(f)]
    build_atlas(engine, out, scenarios=scenarios)
    return out


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


def _python(engine: Engine, s: dict[str, Any]) -> dict[str, Any]:
    try:
        v = engine.evaluate(s)
    except PolicyRulesError:
        return {"error": True}
    return {"decision": v.decision.value, "rule": v.rule.id}


def _js(page: Any, strikes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return page.evaluate("s => window.PolicyAtlas.evaluateMany(s)", strikes)  # type: ignore[no-any-return]


def test_pages_load_without_console_errors(site: Path, page: Page) -> None:
    for name in PAGES:
        page.open(site / name)
        assert page.page.title().endswith("policy atlas")
    for rule_page in sorted((site / "rules").glob("*.html")):
        page.open(rule_page)
    assert page.errors == []


def test_in_page_evaluator_agrees_with_the_engine_on_random_strikes(site: Path, page: Page, engine: Engine) -> None:
    """For every valid strike the page gives the engine's decision and deciding rule; for every strike
    the engine refuses (bad value, a range beyond reach, a date before the first version) the page
    answers with an error, not a decision."""
    p = page.open(site / "evaluate.html")
    strikes = random_strikes(engine, 6000, seed=13)
    js = _js(p, strikes)
    valid = 0
    mismatches = []
    for s, got in zip(strikes, js, strict=True):
        want = _python(engine, s)
        if "error" in want:
            if "error" not in got:
                mismatches.append((json.dumps(s), want, got))
            continue
        valid += 1
        if got.get("decision") != want["decision"] or got.get("rule") != want["rule"]:
            mismatches.append((json.dumps(s), want, got))
    assert valid >= 3600  # at least 60% of the strikes are ones the engine decides
    assert mismatches[:5] == []
    assert page.errors == []


def test_in_page_evaluator_agrees_on_every_rule_set_and_rule(site: Path, page: Page, engine: Engine) -> None:
    """Class representatives of every rule set (so every deciding rule, however rare) evaluated in the page."""
    from policyrules.analysis.partition import partitions

    strikes = []
    for part in partitions(engine.resolved):
        if not part.suppliers:
            continue
        per_outcome: Counter[Any] = Counter()
        for i, (cls, out) in enumerate(part.outcomes()):
            per_outcome[out] += 1
            if per_outcome[out] <= 20 or i % 40 == 0:  # every outcome (so every rule), and a spread of classes
                strikes.append(cls.strike)
    p = page.open(site / "evaluate.html")
    js = _js(p, strikes)
    rules_seen: Counter[str] = Counter()
    for s, got in zip(strikes, js, strict=True):
        want = _python(engine, s)
        assert got == {**want, "table": got.get("table")}, s
        rules_seen[want["rule"]] += 1
    assert len(strikes) > 2_500
    assert len(rules_seen) >= 15


def test_partial_evaluation_in_the_page_agrees_with_evaluate_partial(site: Path, page: Page, engine: Engine) -> None:
    """Strikes with fields left open: the same decisions, rules, policy versions, open fields that
    matter, and the same boxes of conditions (decision, rule, version, classes)."""
    p = page.open(site / "evaluate.html")
    cases = partial_strikes(engine, 120, seed=7)
    got = p.evaluate("cs => cs.map(c => window.PolicyAtlas.partial(c))", cases)
    for known, js in zip(cases, got, strict=True):
        try:
            py = engine.evaluate_partial(known)
        except PolicyRulesError:
            assert "error" in js, known
            continue
        assert "error" not in js, (known, js)
        assert js["decisions"] == [d.value for d in py.decisions], known
        assert set(js["rules"]) == set(py.rules), known
        assert sorted({k.split("+")[0] for k in js["policies"]}) == sorted(py.policies), known
        assert js["missing"] == list(py.missing), known
        boxes = sorted((b["decision"], b["rule"], b["policy"], b["classes"], _values(b["constraints"]))
                       for b in js["possibilities"])
        assert boxes == sorted((x.decision.value, x.rule, x.policy, x.classes, _values(x.constraints))
                               for x in py.possibilities), known


def _values(constraints: Any) -> str:
    """A box's constraints on the value fields (regions with their stand-ins expanded, ...), comparable."""
    return repr(sorted((f, sorted(map(str, vs))) for f, vs in constraints.items() if FIELDS[f].kind is not Kind.NUMBER))


def _set(p: Any, selector: str, value: str) -> None:
    p.select_option(selector, value)


def test_map_colours_agree_with_the_engine_on_several_dates(site: Path, page: Page, engine: Engine) -> None:
    p = page.open(site / "map.html")
    cases = [("US", "rocket_artillery", "cat:military", "true", "kharkiv", "30"),
             ("US", "ballistic_missile", "type:airfield", "true", "kharkiv", ""),
             ("GB", "cruise_missile", "cat:military", "false", "-", "120"),
             ("DE", "tube_artillery", "cat:dual_use", "true", "sumy", "")]
    for supplier, wclass, target, sd, defended, rng in cases:
        _set(p, "#f-supplier", supplier)
        _set(p, "#f-weapon_class", wclass)
        _set(p, "#f-target", target)
        _set(p, "#f-self_defense", sd)
        _set(p, "#f-defended_region", defended)
        p.fill("#f-range_km", rng)
        for day in ("2024-05-29", "2024-05-30", "2024-06-19", "2024-06-20", "2024-11-17", "2025-03-01"):
            p.fill("#f-date", day)
            p.dispatch_event("#f-date", "change")
            assert p.input_value("#f-day") and p.text_content("#day-out") == day
            colours = p.evaluate("""() => Object.fromEntries(Array.from(document.querySelectorAll('#tile-map .tile'))
                .map(g => [g.dataset.region, ['allowed','prohibited','depends','none'].find(c => g.classList.contains(c))]))""")
            for region, colour in colours.items():
                known: dict[str, Any] = {"supplier": supplier, "weapon_class": wclass, "target_region": region,
                                         "self_defense": sd == "true", "date": day,
                                         "defended_region": None if defended == "-" else defended}
                kind, value = target.split(":")
                known["target_category" if kind == "cat" else "target_type"] = value
                if rng:
                    known["range_km"] = float(rng)
                py = engine.evaluate_partial(known)
                want = py.settled.value if py.settled else "depends"
                assert colour == want, (known, colour, want)
                if rng and kind == "type":  # every field given: a concrete strike, the engine's verdict
                    assert engine.evaluate({**known, "target_type": value}).decision.value == colour
    p.click("#tile-map .tile[data-region=belgorod]")
    assert "Belgorod" in p.text_content("#region-details")
    assert page.errors == []


def test_map_slider_and_hover(site: Path, page: Page) -> None:
    p = page.open(site / "map.html")
    p.focus("#f-day")
    before = p.input_value("#f-date")
    p.keyboard.press("ArrowRight")
    after = p.input_value("#f-date")
    assert after > before
    p.keyboard.press("PageDown")
    assert p.input_value("#f-date") < after
    p.hover("#tile-map .tile[data-region=kursk]")
    details = p.text_content("#region-details")
    assert "Kursk" in details and "Grade" in details
    rows = p.locator("#map-table tbody tr").count()
    assert rows == p.locator("#tile-map .tile").count()
    assert page.errors == []


def test_diff_view_matches_the_diff_command(site: Path, page: Page, engine: Engine) -> None:
    p = page.open(site / "diff.html")
    for a, da, b, db in [("us", "2024-05-29", "us", "2024-05-30"), ("us", "2024-05-30", "us", "2024-06-20"),
                         ("us", "2024-11-17", "us", "2024-06-01"), ("us", "2024-06-01", "gb", "2024-06-01"),
                         ("gb", "2024-06-01", "us", "2024-06-01"), ("gb", "2024-05-01", "gb", "2024-05-02"),
                         ("de", "2024-06-01", "fr", "2024-06-01")]:
        _set(p, "#f-pa", a)
        _set(p, "#f-pb", b)
        p.fill("#f-da", da)
        p.fill("#f-db", db)
        p.dispatch_event("#f-db", "change")
        report = engine.diff(f"{a}@{da}", f"{b}@{db}")
        head = p.text_content("#diff-head")
        assert head == report.to_text().splitlines()[0], (head, report.to_text())
        rows = p.evaluate("""() => Array.from(document.querySelectorAll('#diff-table tbody tr'))
            .map(tr => Array.from(tr.cells).map(td => td.textContent.trim()))""")
        want = [[e.description, f"{e.before.decision.value} by {e.before.rule}", f"{e.after.decision.value} by {e.after.rule}",
                 str(e.classes)] for e in report.entries]
        got = [[r[0], r[1].lstrip("✓✕ ").replace("the policy default", "default"),
                r[2].lstrip("✓✕ ").replace("the policy default", "default"), r[3]] for r in rows]
        assert got == want
    assert page.errors == []


def test_timeline_lists_what_the_timeline_command_lists(site: Path, page: Page, engine: Engine) -> None:
    p = page.open(site / "index.html")
    for e in timeline(engine.pack):
        section = p.locator(f"#v-{e.policy}-{e.version}")
        assert section.count() == 1, e
        text = section.text_content()
        assert f"{e.policy}@{e.version}" in text and e.title in text and e.window in text
        for rid in (*e.added, *e.replaced, *e.removed):
            assert rid in text
        cell = p.locator(f"table.timeline a[href='#v-{e.policy}-{e.version}']")
        assert cell.count() == 1


def test_links_resolve(site: Path) -> None:
    from html.parser import HTMLParser

    class Links(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.found: list[str] = []
            self.ids: set[str] = set()

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            d = dict(attrs)
            if d.get("id"):
                self.ids.add(str(d["id"]))
            for name in ("href", "src"):
                if d.get(name):
                    self.found.append(str(d[name]))

    files = sorted(site.rglob("*.html"))
    ids: dict[Path, set[str]] = {}
    links: dict[Path, list[str]] = {}
    for f in files:
        parser = Links()
        parser.feed(f.read_text(encoding="utf-8"))
        ids[f.resolve()] = parser.ids
        links[f] = parser.found
    for f, found in links.items():
        for link in found:
            if link.startswith(("http://", "https://")):
                continue
            parts = urlsplit(link)
            assert not parts.scheme, (f, link)
            target = (f.parent / unquote(parts.path)).resolve() if parts.path else f.resolve()
            assert target.is_file(), (f, link)
            if parts.fragment and target.suffix == ".html":
                assert parts.fragment in ids[target], (f, link)


def test_rule_links_made_by_scripts_resolve(site: Path, page: Page) -> None:
    p = page.open(site / "matrix.html")
    hrefs = set(p.evaluate("() => Array.from(document.querySelectorAll('main a')).map(a => a.href)"))
    assert any("/rules/" in h for h in hrefs)
    for h in hrefs:
        if h.startswith("file://"):
            assert Path(unquote(urlsplit(h).path)).is_file(), h
    assert page.errors == []


def test_evaluator_form_from_the_keyboard(site: Path, page: Page) -> None:
    """Tab to each control, choose with the keyboard, submit with Enter: the answer appears."""
    p = page.open(site / "evaluate.html")
    p.keyboard.press("Tab")  # the skip link
    assert p.evaluate("document.activeElement.className") == "skip"
    p.focus("#f-weapon")
    p.select_option("#f-weapon", "himars")
    p.keyboard.press("Tab")
    focused = p.evaluate("document.activeElement.id")
    assert focused in ("f-supplier", "f-weapon_class")  # the class is filled from the weapon (disabled)
    p.select_option("#f-target_region", "belgorod")
    p.select_option("#f-target", "type:artillery")
    p.select_option("#f-self_defense", "true")
    p.select_option("#f-defended_region", "kharkiv")
    p.fill("#f-range_km", "30")
    p.fill("#f-date", "2024-06-01")
    p.focus("#f-date")
    p.keyboard.press("Enter")
    body = p.text_content("#answer-body")
    assert "allowed" in body and "us-kharkiv-counterfire" in body and "Grade" in body
    p.fill("#f-range_km", "")  # open, but HIMARS reaches no further than the long-range threshold
    p.keyboard.press("Enter")
    assert "allowed" in p.text_content("#answer-body")
    p.select_option("#f-weapon", "-")  # a rocket launcher with no named weapon may reach beyond it
    p.select_option("#f-weapon_class", "rocket_artillery")
    p.select_option("#f-supplier", "US")
    p.focus("#f-range_km")
    p.keyboard.press("Enter")
    body = p.text_content("#answer-body")
    assert "allowed or prohibited" in body and "range" in body and "us-long-range-ban" in body
    assert page.errors == []


def test_keyboard_reaches_every_tile_and_control(site: Path, page: Page) -> None:
    p = page.open(site / "map.html")
    reached = set()
    for _ in range(80):
        p.keyboard.press("Tab")
        reached.add(p.evaluate("document.activeElement.dataset.region || document.activeElement.id"))
    tiles = set(p.evaluate("() => Array.from(document.querySelectorAll('#tile-map .tile')).map(g => g.dataset.region)"))
    assert tiles <= reached
    assert {"f-supplier", "f-weapon", "f-day"} <= reached
    p.focus("#tile-map .tile[data-region=moscow]")
    p.keyboard.press("Enter")
    assert "Moscow" in p.text_content("#region-details")


def test_hostile_pack_text_never_runs(hostile_site: Path, page: Page) -> None:
    """An atlas built from a pack whose texts carry HTML, script tags, event handlers and javascript:
    text: every page is opened and used, and nothing of it runs (no global set, no dialog, no error)."""
    p = page.page
    for name in PAGES:
        page.open(hostile_site / name)
        if name == "map.html":
            for tile in p.locator("#tile-map .tile").all()[:6]:
                tile.click()
            assert "<script>" in p.text_content("#region-details") or "<img" in p.text_content("#region-details")
        if name == "evaluate.html":
            p.select_option("#f-weapon", "atacms")
            p.select_option("#f-target_region", "belgorod")
            p.click("button[type=submit]")
            assert "<script>" in p.text_content("#answer-body")
        if name == "matrix.html":
            assert "<img" in p.text_content("#version-matrix")
        assert p.evaluate("typeof window.__xss") == "undefined", name
        if name == "evaluate.html":  # a contested point's texts, shown as the strike's alternative
            p.select_option("#f-weapon", "storm_shadow")
            p.select_option("#f-target_region", "belgorod")
            p.select_option("#f-target", "type:airfield")
            p.fill("#f-range_km", "100")
            p.fill("#f-date", "2024-08-01")  # in the GB version that holds the hostile point
            p.click("button[type=submit]")
            alternatives = p.text_content("#answer-body .alternatives")
            assert "gb.evil-point" in alternatives and '<img src=x onerror="window.__xss=2">' in alternatives
            assert p.evaluate("typeof window.__xss") == "undefined", name
        if name == "diff.html":
            p.select_option("#f-pa", "gb")
            p.select_option("#f-pb", "gb")
            p.select_option("#f-rb", "gb.evil-point=evil-option")
            p.fill("#f-da", "2024-08-01")  # in the GB version that holds the hostile point
            p.fill("#f-db", "2024-08-01")
            p.dispatch_event("#f-db", "change")
            assert "gb-evil-reading" in p.text_content("#diff-table")
    pages = sorted((hostile_site / "rules").glob("*.html")) + sorted((hostile_site / "points").glob("*.html"))
    assert any(f.parent.name == "points" for f in pages)
    for rule_page in pages:
        page.open(rule_page)
        assert p.evaluate("typeof window.__xss") == "undefined", rule_page
        assert p.locator("main script, main img, main a[href^='javascript' i]").count() == 0
    page.open(hostile_site / "points" / "gb.evil-point.html")
    assert "<script>window.__xss=1</script>" in p.text_content("main")  # the point's page: the text, shown as text
    assert page.dialogs == []
    assert page.errors == []  # not even a blocked attempt (the page's CSP would report one)


def test_other_variants_are_answered_in_the_page(engine: Engine, page: Page, tmp_path: Path) -> None:
    """The path contested readings will take: a second engine's tables exported beside the default
    ones (here a what-if on a parameter), and the page answers under each as that engine does."""
    from policyrules.atlas import Variant

    what_if = engine.with_parameters({"us.long_range_km": 150})
    build_atlas(engine, tmp_path, diff_scope="none", extra_variants=[Variant("what-if", what_if)])
    p = page.open(tmp_path / "evaluate.html")
    strikes = [s for s in random_strikes(engine, 1500, seed=5) if "error" not in _python(what_if, s)]
    got = p.evaluate("s => window.PolicyAtlas.evaluateMany(s, 'what-if')", strikes)
    assert [{"decision": g["decision"], "rule": g["rule"]} for g in got] == [_python(what_if, s) for s in strikes]
    assert any(_python(what_if, s) != _python(engine, s) for s in strikes)
    p.select_option("#f-weapon", "himars")
    p.click("button[type=submit]")
    assert "what-if" in p.text_content("#answer-body")
    assert page.errors == []
