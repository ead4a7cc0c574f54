"""Build the atlas of the bundled pack and take the README's screenshots with the system's Chromium.

    python examples/atlas_screenshots.py            # writes docs/atlas-map.png, docs/atlas-evaluator.png

Needs the test extra (Jinja2 and Playwright: pip install '.[test]') and Chromium from the system's
packages (apt-get install chromium); no browser is downloaded.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from policyrules import Engine
from policyrules.atlas import build_atlas

ROOT = Path(__file__).resolve().parent.parent
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]


def main() -> int:
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        print("no Chromium: apt-get install chromium", file=sys.stderr)
        return 1
    from playwright.sync_api import sync_playwright

    docs = ROOT / "docs"
    docs.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        site = Path(tmp)
        build_atlas(Engine.load(backend="compiled"), site, diff_scope="none")
        browser = p.chromium.launch(executable_path=chromium, args=ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 1000}, device_scale_factor=1)
        page.goto((site / "map.html").as_uri())
        page.select_option("#f-weapon_class", "rocket_artillery")
        page.fill("#f-date", "2024-06-01")
        page.dispatch_event("#f-date", "change")
        page.click("#tile-map .tile[data-region=belgorod]")
        box = page.locator(".map-layout").bounding_box()
        assert box is not None
        page.screenshot(path=str(docs / "atlas-map.png"),
                        clip={"x": 0, "y": 0, "width": 1200, "height": box["y"] + box["height"] + 10})
        page.goto((site / "evaluate.html").as_uri())
        page.select_option("#f-weapon", "-")
        page.select_option("#f-weapon_class", "rocket_artillery")
        page.select_option("#f-supplier", "US")
        page.select_option("#f-target_region", "belgorod")
        page.select_option("#f-target", "type:artillery")
        page.select_option("#f-self_defense", "true")
        page.select_option("#f-defended_region", "kharkiv")
        page.fill("#f-date", "2024-06-01")
        page.click("button[type=submit]")
        page.locator("main").screenshot(path=str(docs / "atlas-evaluator.png"))
        browser.close()
    print(f"wrote {docs / 'atlas-map.png'} and {docs / 'atlas-evaluator.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
