"""The strike's fields are listed once, in the registry (``policyrules.model.dimensions``): no
module keeps its own copy of the list (a tuple, list or set literal naming four or more of them), so adding a field never means finding and editing copies. The Pydantic model
(``ProposedStrike``) declares each field as an attribute, which is its own form, not a copy."""

from __future__ import annotations

import ast
from pathlib import Path

from policyrules.model.dimensions import FIELDS

PACKAGE = Path(__file__).resolve().parent.parent / "policyrules"
REGISTRY = "model/dimensions.py"
MODEL = ("model/strike.py", "ProposedStrike")
LIMIT = 4  # this many field names in one literal make it a copy of the list


def named_fields(node: ast.AST) -> list[str]:
    """The field names among the string constants of a tuple, list or set literal."""
    if not isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return []
    return [i.value for i in node.elts if isinstance(i, ast.Constant) and isinstance(i.value, str) and i.value in FIELDS]


def copies(source: str, skip_class: str | None = None) -> list[tuple[int, list[str]]]:
    """(line, names) of every literal in ``source`` naming ``LIMIT`` or more fields, outside the
    class ``skip_class``."""
    tree = ast.parse(source)
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name == skip_class:
            skipped.update(id(n) for n in ast.walk(node))
    return sorted((node.lineno, names) for node in ast.walk(tree)
                  if isinstance(node, ast.expr) and id(node) not in skipped
                  and len(names := named_fields(node)) >= LIMIT)


def test_no_module_keeps_its_own_copy_of_the_field_list() -> None:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel == REGISTRY:
            continue
        hits = copies(path.read_text(encoding="utf-8"), MODEL[1] if rel == MODEL[0] else None)
        if hits:
            found[rel] = hits
    assert found == {}, "iterate policyrules.model.dimensions (FIELDS, DIMENSIONS, GIVEN_FIELDS, ...) instead"


def test_the_scan_finds_copies_in_tuples_lists_and_sets_but_not_in_a_literal_strike() -> None:
    assert {"weapon", "weapon_class", "supplier", "target_region", "target_type", "self_defense",
            "defended_region", "range_km", "date", "depth_km"} <= set(FIELDS)
    source = """
ORDER = ("weapon", "supplier", "target_region", "range_km")
KEEP = ["weapon", "date", "x", "y", "z"]
SHOWN = {"weapon_class", "target_type", "self_defense", "defended_region", "depth_km"}
STRIKE = {"weapon": "HIMARS", "supplier": "US", "date": "2024-06-01", "range_km": 4}

class ProposedStrike:
    FIELDS = ("weapon", "supplier", "target_region", "range_km")

def f():
    return [("weapon", "supplier", "target_type", "date")]
"""
    assert copies(source, "ProposedStrike") == [
        (2, ["weapon", "supplier", "target_region", "range_km"]),
        (4, ["weapon_class", "target_type", "self_defense", "defended_region", "depth_km"]),
        (11, ["weapon", "supplier", "target_type", "date"])]
    assert copies(source, None)[-2][0] == 8  # the class is skipped only when named
