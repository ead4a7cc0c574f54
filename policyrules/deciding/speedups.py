"""The evaluate hot paths in C, where the optional extension ``_policyrules_speedups`` is built.

``pip install`` compiles it from ``src/_policyrules_speedups.c`` where a C compiler is found (the
build is optional: without one the install goes on). It does what :mod:`policyrules.deciding.hotpath`
does for the strikes that path finishes without calling a helper (a plain dict whose key the
engine has learnt, a strike validated against the engine's catalog or its twin, of a class whose
verdict parts are known, compiled backend) and hands every other strike, and any error on the way,
to that Python path, which then does all the work itself. So the verdicts are the same object for
object (tests/test_speedups.py compares the two on the bundled pack), only the interpreter is
skipped; the durable backend's strikes are all matched by durable_rules, in Python, as before.

It keeps, on each evaluator (its ``_c_index``), an index of the dict keys the engine has learnt:
the same entries as the evaluator's ``_fast``, found without building the key tuple, with the verdict
parts of a few of each key's classes at hand (an object the garbage collector tracks: what it holds
may refer back to the evaluator).

It also reads Python lists of column values into arrays for the vectorised path
(:mod:`policyrules.deciding.column_codes`): text, booleans and None dictionary-encoded, floats and
None as floats; a list holding anything else is read the general way.

It is told the registry's fields here (nothing in the C source names a field), and set
``POLICYRULES_PURE_PYTHON=1`` to leave it out (to compare, or to debug the Python path).
"""

from __future__ import annotations

import functools
import importlib
import os
from typing import Any

from ..model.dimensions import FIELDS, KEY_FIELDS, NUMBER_FIELDS, Kind
from ..model.intake import ABSENT, DATE, Base, number_of
from ..model.strike import ProposedStrike
from . import hotpath
from .decider import Route, RuleSetDecider
from .verdict import Verdict

VERSION = 3  # the extension's interface this module speaks (its VERSION constant)


def _extension() -> Any:
    """The extension module, or None (not built, left out, or built for another interface)."""
    if os.environ.get("POLICYRULES_PURE_PYTHON"):
        return None
    try:
        ext = importlib.import_module("_policyrules_speedups")
    except ImportError:
        return None
    if getattr(ext, "VERSION", None) != VERSION:
        return None
    configure(hotpath.evaluate, ext)
    return ext


def configure(python_path: Any, ext: Any = None) -> None:
    """Tell the extension the registry's fields, the types it reads by their slots, and the Python
    hot path it hands strikes to (``python_path(evaluator, strike)``; a test may wrap it to count)."""
    key = tuple((name, FIELDS[name].kind is Kind.BOOL) for name in (*KEY_FIELDS, DATE))
    optional = tuple(n for n in NUMBER_FIELDS if FIELDS[n].optional)
    numbers = tuple((n, FIELDS[n].optional) for n in NUMBER_FIELDS)
    (ext or _ext).configure(ABSENT, Verdict, ProposedStrike, Route, Base, RuleSetDecider, python_path, number_of,
                            key, optional, numbers)


_ext: Any = _extension()
#: Whether the C hot path is in use.
ACTIVE = _ext is not None
#: ``encode_column(seq, codes) -> values | None``: a list or tuple of str, bool and None dictionary-
#: encoded into ``codes`` (an int32 array, -1 for None), the distinct values in the order first met;
#: None when a value is of another type. None where the extension is not in use.
encode_column: Any = getattr(_ext, "encode_column", None)
#: ``float_column(seq, x, given) -> bool``: a list or tuple of floats and None read into ``x`` (float64,
#: NaN for None) and ``given`` (bool); False when a value is of another type. None without the extension.
float_column: Any = getattr(_ext, "float_column", None)


def install(cls: Any) -> None:
    """Give ``cls`` (the evaluator) its ``evaluate`` and ``_evaluate_into``: the C methods where the
    extension is in use, else the Python hot path's functions, with the class's docstrings."""
    if _ext is None:
        cls.evaluate = functools.update_wrapper(hotpath.evaluate, cls.evaluate)
        cls._evaluate_into = functools.update_wrapper(hotpath.evaluate_into, cls._evaluate_into)
        return
    docs = (f"evaluate($self, /, strike)\n--\n\n{cls.evaluate.__doc__}",
            f"_evaluate_into($self, out, strikes, /)\n--\n\n{cls._evaluate_into.__doc__}")
    cls.evaluate, cls._evaluate_into = _ext.bind(cls, *docs)
