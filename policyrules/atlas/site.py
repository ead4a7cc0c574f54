"""Writing the atlas: data files, pages from Jinja2 templates (autoescaped), and static assets.

The site is self-contained: HTML, CSS, plain JavaScript and ``data/*.js`` files that set a global
(``fetch`` of ``file://`` is blocked in browsers, a script element is not), so it opens from disk
and from any static host. No CDN, no network, no build step.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from ..__about__ import __version__
from ..analysis.partition import partitions
from ..engine import Engine
from ..model.errors import PolicyRulesError
from ..scenarios import Scenario, run_scenarios
from .contested import DEFAULT_VARIANT, ContestedPoint, Variant, contested_points, point_json, variants
from .diffs import diffs, reading_diffs
from .layout import tiles
from .pages import rule_pages, timeline_view
from .safe import js_data, safe_url, slug
from .tables import decision_table, policy_routes, ruleset_content, share_tables, table_key, variant_tables
from .world import world

INSTALL_ATLAS = "pip install 'policyrules[atlas]'"
STATIC = ("atlas.css", "atlas-core.js", "atlas-ui.js", "page-map.js", "page-matrix.js", "page-diff.js",
          "page-evaluate.js")
PAGES = (("index.html", "Timeline"), ("map.html", "Map"), ("matrix.html", "Matrices"), ("diff.html", "Diff"),
         ("evaluate.html", "Evaluate"), ("rules.html", "Rules"), ("points.html", "Contested"))


class AtlasError(PolicyRulesError):
    """The atlas cannot be built (Jinja2 missing, an output path that is not a directory)."""


@dataclass
class AtlasReport:
    out: Path
    files: list[Path] = field(default_factory=list)
    tables: int = 0
    classes: int = 0
    diffs: int = 0
    rules: int = 0
    points: int = 0
    variants: int = 0  # other readings whose decision tables are exported (one per other option of a point)
    seconds: float = 0.0

    def to_text(self) -> str:
        contested = (f"{self.points} contested points ({self.variants} other readings exported), "
                     if self.points else "")
        return (f"atlas written to {self.out}: {len(self.files)} files; {self.tables} decision tables "
                f"({self.classes} classes), {self.diffs} diffs, {self.rules} rule pages, {contested}"
                f"in {self.seconds:.1f} s; open {self.out / 'index.html'}")


def _environment() -> Any:
    try:
        import jinja2
    except ImportError:
        raise AtlasError(f"the atlas needs Jinja2, which is not installed: {INSTALL_ATLAS}") from None
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("policyrules.atlas", "templates"),
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["http_url"] = safe_url
    env.filters["rule_page"] = lambda rule_id: f"{slug(rule_id)}.html"
    env.filters["compact_json"] = lambda value: json.dumps(value, ensure_ascii=False, default=str)
    env.filters["iso"] = lambda d: d.isoformat() if isinstance(d, dt.date) else ""
    return env


def build_atlas(engine: Engine, out: str | Path, *, scenarios: Sequence[Scenario] = (),
                diff_scope: str = "overlapping", points: Sequence[ContestedPoint] | None = None,
                extra_variants: Sequence[Variant] = (), readings: Mapping[str, object] | None = None) -> AtlasReport:
    """Write the atlas of ``engine``'s pack into ``out`` (created if needed; files of the same
    names are replaced, nothing else is touched). ``scenarios``: examples shown on the rule pages
    they exercise. ``points``: contested points (default: the engine's own). ``extra_variants``:
    more engines whose decision tables the page exports too (the evaluator answers under each).
    ``readings``: build the site under these options of contested points (``{POINT: OPTION}``,
    over the engine's reading; every page says which reading it shows)."""
    started = time.perf_counter()
    env = _environment()
    root = Path(out)
    if root.exists() and not root.is_dir():
        raise AtlasError(f"{root}: exists and is not a directory")
    if readings:
        engine = engine.with_readings(readings)
    pack = engine.pack
    points = tuple(contested_points(engine) if points is None else points)
    report = AtlasReport(root)

    def write(name: str, text: str) -> None:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        report.files.append(path)

    # Data ------------------------------------------------------------------------------------
    tables: dict[str, Any] = {}
    point_variants = variants(engine, points)
    defaults: dict[str, tuple[object, ...]] = {}
    for variant in [*point_variants, *extra_variants]:
        resolved = variant.engine.resolved
        if variant.id == DEFAULT_VARIANT:
            default_parts = parts = partitions(resolved)
            defaults = {table_key(p.ruleset): ruleset_content(resolved, p.ruleset) for p in parts}
            own = {t["key"]: t for t in map(decision_table, parts)}
        else:
            own = variant_tables(resolved, defaults)
            share_tables(tables[DEFAULT_VARIANT]["tables"], own)
        tables[variant.id] = {"readings": dict(variant.readings), "tables": own,
                              "routes": policy_routes(variant.engine.pack)}
    report.points = len(points)
    report.variants = len(point_variants) - 1
    main = tables[DEFAULT_VARIANT]
    report.tables = len(main["tables"])
    report.classes = sum(t["count"] for t in main["tables"].values())
    found_diffs = diffs(engine.resolved, default_parts, diff_scope)
    if diff_scope != "none":
        found_diffs.update(reading_diffs(engine, point_variants[1:], tables))
    report.diffs = len(found_diffs)
    tile_list = tiles(pack.catalog.regions)
    write("data/world.js", js_data("world", {
        **world(pack), "tiles": [t.__dict__ for t in tile_list], "points": [point_json(p) for p in points],
        "library_version": __version__, "pack_digest": pack.digest}))
    write("data/tables.js", js_data("variants", tables))
    write("data/diffs.js", js_data("diffs", found_diffs))

    # Pages -----------------------------------------------------------------------------------
    results = run_scenarios(engine, scenarios) if scenarios else []
    pages = rule_pages(pack, results, [(v.id, v.engine.pack) for v in point_variants[1:]])
    report.rules = len(pages)
    changed = engine.readings.changed(engine.reading)
    common = {"nav": PAGES, "version": __version__, "digest": pack.digest[:12], "pack_root": pack.root,
              "points": points, "changed": [p for p in points if p.id in changed]}
    width = max((t.col for t in tile_list), default=0) + 1
    height = max((t.row for t in tile_list), default=0) + 1
    views: dict[str, dict[str, Any]] = {
        "index.html": {"timeline": timeline_view(pack, points), "policies": pack.policies},
        "map.html": {"tiles": tile_list, "width": width, "height": height},
        "matrix.html": {},
        "diff.html": {},
        "evaluate.html": {},
        "rules.html": {"pages": pages},
        "points.html": {},
    }
    for name, context in views.items():
        write(name, env.get_template(name).render(root="", page=name, **common, **context))
    template = env.get_template("rule.html")
    touching = {rid: [p for p in points if rid in p.rules] for rid in {r.id for r in pages}}
    for p in pages:
        write(f"rules/{p.file_name}", template.render(root="../", page="rules.html", rule=p,
                                                      contested=touching[p.id], **common))
    template = env.get_template("point.html")
    rule_ids = {r.id for r in pages}
    for point in points:
        write(point.page, template.render(root="../", page="points.html", point=point, rule_ids=rule_ids, **common))

    # Static assets ---------------------------------------------------------------------------
    static = resources.files("policyrules.atlas").joinpath("static")
    for name in STATIC:
        write(f"static/{name}", static.joinpath(name).read_text(encoding="utf-8"))
    report.seconds = time.perf_counter() - started
    return report
