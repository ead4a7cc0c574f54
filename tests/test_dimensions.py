"""The registry of the strike space: declared once, and no module keeps a copy of its field list."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from policyrules import ProposedStrike
from policyrules.model.dimensions import (
    DERIVED_FIELDS,
    DIMENSIONS,
    FACT_FIELDS,
    FIELDS,
    GIVEN_FIELDS,
    GROUPS,
    Coords,
    merge_order,
    phrases,
)

PACKAGE = Path(__file__).resolve().parent.parent / "policyrules"
REGISTRY = PACKAGE / "model" / "dimensions.py"
# The registry's own wording: the functions DIMENSIONS names to word each dimension.
WORDING = PACKAGE / "model" / "wording.py"


def field_lists(path: Path) -> list[tuple[int, list[str]]]:
    """Literal tuples, lists, sets and dict keys in a module naming three or more fields of the registry,
    and calls taking a field name first (``FieldSpec("weapon", ...)``) for three or more fields."""
    found = []
    called: dict[str, int] = {}
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        items = node.keys if isinstance(node, ast.Dict) else \
            node.elts if isinstance(node, (ast.Tuple, ast.List, ast.Set)) else []
        names = [i.value for i in items if isinstance(i, ast.Constant) and isinstance(i.value, str)
                 and i.value in FIELDS]
        if len(set(names)) >= 3:
            found.append((node.lineno, names))
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                and node.args[0].value in FIELDS:
            called.setdefault(node.args[0].value, node.lineno)
    if len(called) >= 3:
        found.append((min(called.values()), sorted(called)))
    return found


@pytest.mark.parametrize("path", sorted(p for p in PACKAGE.rglob("*.py") if p not in (REGISTRY, WORDING)),
                         ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_no_module_keeps_its_own_copy_of_the_field_list(path: Path) -> None:
    """Fields are listed once, in the registry; every other module iterates it by name."""
    assert field_lists(path) == [], f"{path.relative_to(PACKAGE)} lists fields of the registry itself"


def test_the_check_finds_a_copy_of_the_field_list(tmp_path: Path) -> None:
    """The scan above is not vacuous: a module listing fields is caught."""
    module = tmp_path / "copy.py"
    module.write_text('KEYS = ("weapon", "target_region", "range_km")\nFACTS = {"weapon": 1, "target_type": 2, '
                      '"self_defense": 3}\nOK = ("weapon", "x")\n')
    assert [line for line, _ in field_lists(module)] == [1, 2]
    specs = tmp_path / "specs.py"
    specs.write_text('A = F("weapon", 1)\nB = F("supplier", 2)\nC = F("range_km", 3)\n')
    assert [line for line, _ in field_lists(specs)] == [1]


def test_every_given_field_is_a_field_of_the_strike_model_and_back() -> None:
    assert set(GIVEN_FIELDS) == set(ProposedStrike.model_fields)
    assert set(DERIVED_FIELDS) == set(ProposedStrike.model_computed_fields)


def test_every_field_belongs_to_a_dimension_whose_fields_list_it() -> None:
    for name, f in FIELDS.items():
        if f.dimension in DIMENSIONS:
            assert name in DIMENSIONS[f.dimension].fields
    assert sorted(f for d in DIMENSIONS.values() for f in d.fields) == sorted(FACT_FIELDS)


def test_derived_and_fixed_fields_name_real_fields_with_their_functions() -> None:
    for f in FIELDS.values():
        assert (f.derived_from is None) == (f.derive is None), f.name
        assert (f.fixed_by is None) == (f.fixes is None), f.name
        assert f.derived_from in (None, *FIELDS) and f.fixed_by in (None, *FIELDS)


def test_each_dimension_is_worded_merged_and_grouped_exactly_once() -> None:
    worded = [name for d in phrases() for name in (d.name, *d.worded_with)]
    assert sorted(worded) == sorted(DIMENSIONS)
    assert sorted(merge_order()) == sorted(DIMENSIONS)
    assert sorted(d.name for g in GROUPS for d in g) == sorted(DIMENSIONS)


def test_coords_are_addressed_by_name_and_compare_as_tuples() -> None:
    c = Coords({name: i for i, name in enumerate(DIMENSIONS)})
    assert c["range"] == list(DIMENSIONS).index("range")
    assert c == tuple(range(len(DIMENSIONS)))
    moved = c.replace({"target": 99})
    assert moved["target"] == 99 and moved["weapon"] == c["weapon"]
    assert Coords.joined("target", moved.without("target"), 5)["target"] == 5
    with pytest.raises(ValueError, match="values for"):
        Coords([1, 2])
