"""No test module imports another test module or conftest: what tests share lives in helper
modules beside them (tests/helpers.py, tests/condition_trees.py, tests/strike_samples.py, ...)."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent

KNOWN: set[tuple[str, str]] = set()


def imported_modules(source: str) -> set[str]:
    """The last component of every module a source imports (``from .x import y``, ``import tests.x``,
    ``from tests import x``, imports inside functions included)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name.rsplit(".", 1)[-1] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.module:
                found.add(node.module.rsplit(".", 1)[-1])
            if node.module in (None, "tests"):  # from . import test_x / from tests import test_x
                found.update(alias.name for alias in node.names)
    return found


def forbidden(name: str) -> bool:
    return name == "conftest" or name.startswith("test_")


def cross_imports(folder: Path) -> set[tuple[str, str]]:
    return {(path.name, module) for path in sorted(folder.glob("test_*.py"))
            for module in imported_modules(path.read_text(encoding="utf-8")) if forbidden(module)}


def test_no_test_module_imports_another_test_module_or_conftest() -> None:
    assert cross_imports(TESTS) - KNOWN == set()


def test_the_check_sees_every_form_of_import(tmp_path: Path) -> None:
    """The scan is not vacuous: each way of importing a test module or conftest is caught."""
    forms = {
        "test_a.py": "from .test_b import x\n",
        "test_c.py": "from tests.test_b import x\n",
        "test_d.py": "import tests.test_b\n",
        "test_e.py": "from . import test_b\n",
        "test_f.py": "def f():\n    from .conftest import ROOT\n",
        "test_g.py": "from .helpers import cli\nimport json\n",
    }
    for name, text in forms.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    assert cross_imports(tmp_path) == {("test_a.py", "test_b"), ("test_c.py", "test_b"), ("test_d.py", "test_b"),
                                      ("test_e.py", "test_b"), ("test_f.py", "conftest")}
