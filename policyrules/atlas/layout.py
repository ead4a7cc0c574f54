"""A schematic tile map of the catalog's regions: one square per region, placed roughly where it lies.

Positions come from :data:`PLACES`, a table of (column, row) keyed by region id (common spellings
and suffixes such as ``_oblast`` are tried too); a region the table does not know is put next to a
placed region it borders (its ``borders`` in the catalog), on the side away from the other country
when there is room, else in a row of its own below the map. Nothing is downloaded: no tiles, no
geodata. Columns grow eastwards, rows southwards.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..model.catalog import Region

#: (column, row) of known regions. Ukraine to the west, Russia to the north and east.
PLACES: dict[str, tuple[int, int]] = {
    # Ukraine
    "volyn": (1, 2), "rivne": (2, 2), "zhytomyr": (3, 2), "kyiv_oblast": (4, 2), "chernihiv": (5, 2), "sumy": (6, 2),
    "lviv": (1, 3), "ternopil": (2, 3), "khmelnytskyi": (3, 3), "kyiv": (4, 3), "cherkasy": (5, 3),
    "poltava": (6, 3), "kharkiv": (7, 3),
    "zakarpattia": (0, 4), "ivano_frankivsk": (1, 4), "chernivtsi": (2, 4), "vinnytsia": (3, 4),
    "kirovohrad": (4, 4), "dnipropetrovsk": (6, 4), "donetsk": (7, 4), "luhansk": (8, 4),
    "odesa": (3, 5), "mykolaiv": (4, 5), "kherson": (5, 5), "zaporizhzhia": (6, 5),
    "sevastopol": (4, 6), "crimea": (5, 6),
    # Russia
    "moscow": (6, -1),
    "smolensk": (4, 0), "kaluga": (5, 0), "moscow_oblast": (6, 0), "tula": (7, 0), "ryazan": (8, 0),
    "bryansk": (5, 1), "oryol": (6, 1), "kursk": (7, 2), "lipetsk": (8, 1), "tambov": (9, 1),
    "belgorod": (8, 3), "voronezh": (9, 3), "saratov": (10, 2), "volgograd": (10, 4),
    "rostov": (9, 4), "kalmykia": (10, 5), "astrakhan": (11, 5), "krasnodar": (8, 6), "adygea": (9, 6),
    "stavropol": (10, 6),
}

_ALIASES = {
    "kiev": "kyiv", "kyiv_city": "kyiv", "kiev_oblast": "kyiv_oblast", "kyivska": "kyiv_oblast",
    "krym": "crimea", "autonomous_republic_of_crimea": "crimea", "zaporizhia": "zaporizhzhia",
    "zaporozhye": "zaporizhzhia", "dnipro": "dnipropetrovsk", "nikolaev": "mykolaiv",
    "kropyvnytskyi": "kirovohrad", "kirovograd": "kirovohrad", "khmelnytskyy": "khmelnytskyi",
    "khmelnitsky": "khmelnytskyi", "transcarpathia": "zakarpattia", "zakarpattya": "zakarpattia",
    "odessa": "odesa", "kharkov": "kharkiv", "lugansk": "luhansk", "chernigov": "chernihiv",
    "ivano-frankivsk": "ivano_frankivsk", "moskva": "moscow", "moscow_region": "moscow_oblast",
}
_SUFFIXES = ("_oblast", "_krai", "_region", "_city", "_republic")
_AROUND = ((1, 0), (0, 1), (-1, 0), (0, -1), (1, 1), (-1, 1), (1, -1), (-1, -1))


@dataclass(frozen=True)
class Tile:
    id: str
    name: str
    country: str
    occupied: bool
    col: int
    row: int
    placed_by: str  # "table", "border" or "overflow"


def place_key(region_id: str) -> str | None:
    """The :data:`PLACES` key a region id stands for, or None."""
    key = region_id.lower().replace("-", "_")
    for candidate in (key, _ALIASES.get(key)):
        if candidate in PLACES:
            return candidate
    for suffix in _SUFFIXES:
        if key.endswith(suffix):
            stem = key[: -len(suffix)]
            stem = _ALIASES.get(stem, stem)
            if stem in PLACES:
                return stem
    return None


def tiles(regions: Iterable[Region]) -> list[Tile]:
    """One tile per region, each cell used once, with non-negative columns and rows."""
    regions = list(regions)
    taken: dict[tuple[int, int], str] = {}
    out: dict[str, Tile] = {}

    def put(r: Region, cell: tuple[int, int], how: str) -> None:
        taken[cell] = r.id
        out[r.id] = Tile(r.id, r.name, r.country, r.occupied, cell[0], cell[1], how)

    for r in regions:
        key = place_key(r.id)
        if key is not None and PLACES[key] not in taken:
            put(r, PLACES[key], "table")
    waiting = [r for r in regions if r.id not in out]
    progress = True
    while waiting and progress:  # beside a placed neighbour, each round placing what it can
        progress = False
        for r in list(waiting):
            cell = _beside(r, out, taken)
            if cell is not None:
                put(r, cell, "border")
                waiting.remove(r)
                progress = True
    if waiting:
        bottom = max((c[1] for c in taken), default=-1) + 2
        col = min((c[0] for c in taken), default=0)
        for r in sorted(waiting, key=lambda r: (r.country != "UA", r.id)):
            while (col, bottom) in taken:
                col += 1
            put(r, (col, bottom), "overflow")
    min_col = min(t.col for t in out.values())
    min_row = min(t.row for t in out.values())
    return [Tile(t.id, t.name, t.country, t.occupied, t.col - min_col, t.row - min_row, t.placed_by)
            for t in (out[r.id] for r in regions)]


def _beside(r: Region, placed: dict[str, Tile], taken: dict[tuple[int, int], str]) -> tuple[int, int] | None:
    """A free cell next to a placed region ``r`` borders; Russia's regions lean east, Ukraine's west."""
    lean = 1 if r.country == "RU" else -1
    for b in r.borders:
        t = placed.get(b)
        if t is None:
            continue
        for dc, dr in sorted(_AROUND, key=lambda d: (-d[0] * lean, abs(d[1]))):
            cell = (t.col + dc, t.row + dr)
            if cell not in taken:
                return cell
    return None
