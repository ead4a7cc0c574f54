"""The atlas without a browser: escaping of pack text, links, the tile layout, the decision tables,
the command, and an atlas built from a hostile pack (the browser part is in test_atlas_browser)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from policyrules import Engine
from policyrules.analysis.partition import partitions
from policyrules.atlas.layout import PLACES, tiles
from policyrules.atlas.safe import GLOBAL, js_data, json_text, safe_url, slug
from policyrules.atlas.tables import decision_table
from policyrules.cli import main
from policyrules.model.catalog import Region

from .atlas_helpers import EVIL


def test_json_text_cannot_end_a_script() -> None:
    text = json_text({"a": EVIL})
    assert "<" not in text and ">" not in text and "\u2028" not in text and "&" not in text
    assert json.loads(text) == {"a": EVIL}


def test_js_data_assigns_a_namespaced_global() -> None:
    out = js_data("world", {"x": 1})
    assert out.startswith(f"window.{GLOBAL} = window.{GLOBAL} || {{}};")
    with pytest.raises(ValueError, match="plain name"):
        js_data("a];alert(1);//", {})


@pytest.mark.parametrize(("url", "ok"), [
    ("https://example.org/a?b=c", True), ("http://example.org", True), ("HTTPS://EXAMPLE.ORG", True),
    ("javascript:alert(1)", False), ("JaVaScRiPt:alert(1)", False), (" javascript:alert(1)", False),
    ("data:text/html,<script>", False), ("//example.org", False), ("https://", False), ("https://a b", False),
    ("https://a\u0000b", False), ("vbscript:x", False), (None, False), ("", False)])
def test_only_http_urls_become_links(url: str | None, ok: bool) -> None:
    assert (safe_url(url) is not None) is ok


def test_slugs_are_safe_file_names_and_distinct() -> None:
    assert slug("us-kharkiv-counterfire") == "us-kharkiv-counterfire"
    names = {slug(x) for x in ("a/b", "a_b", "../x", "A", "a", "..")}
    assert len(names) == 6
    assert all(re.fullmatch(r"[a-z0-9_.-]+", n) and not n.startswith(".") for n in names)


def test_tile_layout_places_every_region_once() -> None:
    regions = [Region(id=i, name=i, country="UA" if n % 2 else "RU") for n, i in enumerate(PLACES)]
    regions.append(Region(id="kyiv-city", name="Kyiv city", country="UA"))  # an alias of a placed id: taken cell
    regions.append(Region(id="novgorod", name="Novgorod", country="RU"))  # unknown, no borders: overflow row
    regions.append(Region(id="new_ru", name="New", country="RU", borders=("sumy",)))
    placed = tiles(regions)
    cells = [(t.col, t.row) for t in placed]
    assert len(set(cells)) == len(regions)
    assert min(c for c, _ in cells) == 0 and min(r for _, r in cells) == 0
    by_id = {t.id: t for t in placed}
    assert by_id["novgorod"].placed_by == "overflow"
    assert by_id["new_ru"].placed_by == "border"
    sumy = by_id["sumy"]
    assert max(abs(by_id["new_ru"].col - sumy.col), abs(by_id["new_ru"].row - sumy.row)) == 1


def test_bundled_regions_are_all_placed_from_the_table() -> None:
    engine = Engine.load(backend="compiled")
    assert {t.placed_by for t in tiles(engine.pack.catalog.regions)} == {"table"}


def test_decision_tables_count_every_class() -> None:
    engine = Engine.load(backend="compiled")
    for p in partitions(engine.resolved):
        t = decision_table(p)
        assert sum(t["classes"][0::2]) == len(p) == t["count"]
        sizes = [len(g["parts"]) for g in t["groups"]]
        assert t["count"] == __import__("math").prod(sizes)


def test_hostile_pack_text_is_escaped_in_every_file(hostile_site: Path) -> None:
    for f in hostile_site.rglob("*"):
        if f.suffix not in (".html", ".js"):
            continue
        text = f.read_text(encoding="utf-8")
        assert "<script>window.__xss" not in text, f
        assert 'onerror="window' not in text, f
        assert "\u2028" not in text or f.suffix == ".html", f
        if f.suffix == ".html":
            assert not re.search(r"<script(?![^>]*\bsrc=\"(\.\./)?(data|static)/[a-z-]+\.js\")", text), f
            assert 'href="javascript' not in text.lower(), f


def test_the_command_writes_the_atlas(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "site"
    assert main(["atlas", str(out), "--diffs", "none", "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["tables"] == 18 and report["diffs"] == 0  # one per rule set in force (DK, NL, BE, gb@2024-11-20 added)
    for name in ("index.html", "map.html", "matrix.html", "diff.html", "evaluate.html", "rules.html",
                 "data/world.js", "data/tables.js", "data/diffs.js", "static/atlas-core.js"):
        assert (out / name).is_file(), name
    assert (out / "rules" / "us-kharkiv-counterfire.html").is_file()


def test_missing_jinja2_says_how_to_install(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    import builtins

    real = builtins.__import__

    def no_jinja(name: str, *args: object, **kwargs: object) -> object:
        if name == "jinja2" or name.startswith("jinja2."):
            raise ImportError(name)
        return real(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(builtins, "__import__", no_jinja)
    assert main(["atlas", str(tmp_path / "x"), "--diffs", "none"]) == 2
    assert "pip install 'policyrules[atlas]'" in capsys.readouterr().err
