"""Columnar evaluation: millions of strikes as columns in, decisions and rule ids as columns out.

A row's verdict depends on its non-numeric fields and on where each number falls among the
thresholds of the rule set that judges it (the same classes as the exact check). So each distinct
combination of the non-numeric fields is validated once (:func:`policyrules.model.intake.base`),
each row's numbers are checked against their bounds (a weapon's reach), and the outcome is
computed once per (combination, rule set, class of each number) and reused. Results equal
``evaluate`` row by row; the tests check it.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import repeat
from typing import Any, Protocol

from ..model import intake
from ..model.collector import paused_gc
from ..model.dimensions import FIELDS, KEY_FIELDS, NUMBER_FIELDS, REQUIRED_FIELDS, Kind
from ..model.domain import Decision
from ..model.errors import PolicyRulesError, Problem, StrikeError, located
from ..model.slots import private_of
from ..model.strike import ProposedStrike
from ..packs.pack import Pack, PolicyVersion
from .decider import RuleSetDecider

# Columns in the order rows are read: the non-numeric fields (one validation per distinct
# combination), the dates, then the numbers (each placed among its rule set's thresholds).
DATE_FIELDS = tuple(f.name for f in FIELDS.values() if f.given and f.kind is Kind.DATE)
COLUMNS = (*KEY_FIELDS, *DATE_FIELDS, *NUMBER_FIELDS)
REQUIRED = REQUIRED_FIELDS
DEFAULTS: dict[str, Any] = {f.name: f.default for f in FIELDS.values() if f.given and f.default is not None}


class ColumnVerdicts:
    """Verdicts as columns: ``decisions[i]``, ``rules[i]`` and ``policies[i]`` (``policy@version``) for
    row ``i``. From the vectorised path (:mod:`policyrules.deciding.vectorised`) the lists are made
    when first read; :meth:`to_arrow` gives Arrow columns without them."""

    def __init__(self, decisions: list[Decision] | None = None, rules: list[str] | None = None,
                 policies: list[str] | None = None, *, decided: Any = None) -> None:
        self._decided = decided
        self._lists: tuple[list[Any], list[Any], list[Any]] | None = \
            None if decided is not None else (decisions if decisions is not None else [],
                                              rules if rules is not None else [],
                                              policies if policies is not None else [])

    def _listed(self) -> tuple[list[Any], list[Any], list[Any]]:
        if self._lists is None:
            d = self._decided
            refs = d.listed(2)
            self._lists = (d.listed(0), d.listed(1),
                           [None if p is None else f"{p}@{v}" for p, v in zip(refs, d.listed(3), strict=True)])
        return self._lists

    @property
    def decisions(self) -> list[Decision]:
        return self._listed()[0]

    @property
    def rules(self) -> list[str]:
        return self._listed()[1]

    @property
    def policies(self) -> list[str]:
        return self._listed()[2]

    def __len__(self) -> int:
        return len(self._decided) if self._decided is not None else len(self.decisions)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ColumnVerdicts):
            return NotImplemented
        return self._listed() == other._listed()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"ColumnVerdicts({len(self)} rows)"

    @property
    def allowed(self) -> list[bool]:
        return [d is Decision.ALLOWED for d in self.decisions]

    def to_dict(self) -> dict[str, list[str]]:
        """Plain columns (decision values as strings), e.g. for ``pandas.DataFrame(...)``."""
        return {"decision": [d.value for d in self.decisions], "rule": self.rules, "policy": self.policies}

    def to_arrow(self) -> Any:
        """``decision``, ``rule``, ``policy`` and ``version`` as a pyarrow Table of dictionary columns
        (needs the ``columns`` extra)."""
        import pyarrow as pa

        if self._decided is not None:
            d = self._decided
            return pa.table({name: d.arrow(k) for k, name in enumerate(("decision", "rule", "policy", "version"))})
        refs = [p.split("@", 1) for p in self.policies]
        return pa.table({"decision": pa.array([d.value for d in self.decisions]).dictionary_encode(),
                         "rule": pa.array(self.rules, pa.string()).dictionary_encode(),
                         "policy": pa.array([r[0] for r in refs], pa.string()).dictionary_encode(),
                         "version": pa.array([r[1] for r in refs], pa.string()).dictionary_encode()})


#: Python lists of at least this many rows go the vectorised way too (below it, its fixed cost
#: per call is more than the row path's; measured in ``python -m benchmarks scale --only rows``).
VECTORISED_MIN_ROWS = 4096


def vectorised_for(data: Any) -> bool:
    """Whether ``data`` goes the vectorised way: the ``columns`` extra is installed and the columns
    are arrays (an Arrow table or record batch, a pandas or Polars frame, numpy or Arrow columns),
    or long Python sequences."""
    try:
        import numpy as np
        import pyarrow as pa
    except ImportError:
        return False
    kind = type(data).__module__.split(".")[0]
    if kind in ("pyarrow", "pandas", "polars"):
        return True
    if not isinstance(data, Mapping):
        return False
    if any(isinstance(v, (np.ndarray, pa.Array, pa.ChunkedArray)) or type(v).__module__.split(".")[0]
           in ("pandas", "polars") for v in data.values()):
        return True
    return any(isinstance(v, Sequence) and len(v) >= VECTORISED_MIN_ROWS for v in data.values())


def as_columns(data: Any) -> dict[str, Sequence[Any]]:
    """A mapping of column name to sequence, from a mapping, a pandas DataFrame or a pyarrow Table."""
    if hasattr(data, "to_pydict"):  # pyarrow.Table
        data = data.to_pydict()
    elif hasattr(data, "to_dict") and hasattr(data, "columns"):  # pandas.DataFrame
        data = data.to_dict("list")
    if not isinstance(data, Mapping):
        raise StrikeError([Problem("", "columns are a mapping of field name to a sequence of values")])
    unknown = sorted(str(k) for k in data if k not in COLUMNS)
    if unknown:
        raise StrikeError([Problem(k, "unknown column") for k in unknown])
    missing = [k for k in REQUIRED if k not in data]
    if missing:
        raise StrikeError([Problem(k, "required column") for k in missing])
    cols = {str(k): v if isinstance(v, Sequence) else list(v) for k, v in data.items()}
    lengths = {k: len(v) for k, v in cols.items()}
    if len(set(lengths.values())) > 1:
        raise StrikeError([Problem("", "columns differ in length: " +
                                   ", ".join(f"{k}={n}" for k, n in lengths.items()))])
    return cols


class Deciders(Protocol):
    """What columnar evaluation needs of an evaluator: its pack, strike validation and deciders."""

    @property
    def pack(self) -> Pack: ...

    def strike(self, data: Any) -> ProposedStrike: ...

    def version_for(self, strike: ProposedStrike) -> PolicyVersion: ...

    def decider_for(self, supplier: str | None, day: Any) -> RuleSetDecider: ...


@dataclass
class _Route:
    """The rule set judging a (supplier, date), with its thresholds per numeric field. Many routes
    share one rule set; ``index`` names the rule set, so outcomes are shared across dates."""

    index: int
    decider: RuleSetDecider
    thresholds: list[list[float]]
    ref: str


_NK, _ND = len(KEY_FIELDS), len(DATE_FIELDS)
# Boolean fields: 1 == True, so a row's key carries their types (an int must not find a bool's entry).
_BOOLS = tuple(i for i, name in enumerate(KEY_FIELDS) if FIELDS[name].kind is Kind.BOOL)
_OPTIONAL = tuple(FIELDS[name].optional for name in NUMBER_FIELDS)


def evaluate_columns(engine: Deciders, data: Any) -> ColumnVerdicts:
    if vectorised_for(data):
        from .vectorised import decide

        decided = decide(engine, data)  # type: ignore[arg-type]
        error = decided.first_error()
        if error is not None:
            raise error
        return ColumnVerdicts(decided=decided)
    cols = as_columns(data)
    n = len(cols[REQUIRED[0]])
    ordered = [cols[f] if f in cols else repeat(DEFAULTS.get(f), n) for f in COLUMNS]
    bases: dict[tuple[Any, ...], intake.Base] = {}
    routes: dict[tuple[str | None, Any], _Route] = {}
    outcomes: dict[tuple[Any, ...], tuple[Decision, str, str]] = {}
    decisions: list[Decision] = []
    rules: list[str] = []
    policies: list[str] = []
    out = ColumnVerdicts(decisions, rules, policies)
    first_number = _NK + _ND
    with paused_gc():
        for i, row in enumerate(zip(*ordered, strict=False)):  # defaults are endless repeat()s
            key = (*row[:_NK], *(row[k].__class__ for k in _BOOLS))
            b = bases.get(key)
            if b is None:
                b = bases[key] = _base(engine, row, i)
            day = row[_NK:first_number]
            route = routes.get((b.picker, day))
            if route is None:
                route = routes[(b.picker, day)] = _route(engine, row, b.picker, i)
            okey: list[Any] = [b.serial, route.index]
            numbers: list[float | None] = []
            for k, limit in enumerate(b.limits):
                x = row[first_number + k]
                if _OPTIONAL[k] and (x is None or (type(x) is float and math.isnan(x))):  # left out (None or NaN)
                    okey.append(-1)
                    numbers.append(None)
                    continue
                if type(x) is not float:
                    x = _number(engine, row, i, first_number + k)
                if not 0 <= x <= limit:  # also False for NaN
                    _invalid_row(engine, row, i)
                t = route.thresholds[k]
                j = bisect.bisect_left(t, x)
                okey.append(2 * j + 1 if j < len(t) and t[j] == x else 2 * j)
                numbers.append(x)
            o = outcomes.get(tuple(okey))
            if o is None:
                parts = route.decider.decide_class(b, tuple(numbers))
                o = outcomes[tuple(okey)] = (parts.decision, parts.rule.id, route.ref)
            decisions.append(o[0])
            rules.append(o[1])
            policies.append(o[2])
    return out


def _row(row: tuple[Any, ...], *, dates: bool = True, numbers: float | None = None) -> dict[str, Any]:
    """A row as a strike dict: every given field (without the dates when ``dates`` is False;
    with every number at ``numbers`` instead of the row's own when given)."""
    out = {f: v for f, v in zip(COLUMNS, row, strict=True) if v is not None
           and not (f in NUMBER_FIELDS and FIELDS[f].optional and type(v) is float and math.isnan(v))}
    for name in DATE_FIELDS if not dates else ():
        out.pop(name, None)
    for name in NUMBER_FIELDS if numbers is not None else ():
        out[name] = numbers
    return out


def _number(engine: Deciders, row: tuple[Any, ...], i: int, column: int) -> float:
    """A number as a float: ints and float subclasses (numpy) convert; anything else is a row error."""
    r = row[column]
    if isinstance(r, (int, float)) and not isinstance(r, bool):
        try:
            return float(r)
        except OverflowError:
            pass
    _invalid_row(engine, row, i)
    raise AssertionError("unreachable")  # pragma: no cover


def _base(engine: Deciders, row: tuple[Any, ...], i: int) -> intake.Base:
    """Check the non-numeric fields (with harmless numbers: each row's numbers are checked apart)."""
    found = intake.base(engine.pack.catalog, row[:_NK])  # the common case, without Pydantic
    if found is not None:
        return found
    try:
        s = engine.strike(_row(row, dates=False, numbers=0.0))
    except PolicyRulesError:
        _invalid_row(engine, row, i)
        raise
    return private_of(s)["_base"]  # type: ignore[index,no-any-return]


def _route(engine: Deciders, row: tuple[Any, ...], supplier: str | None, i: int) -> _Route:
    try:
        when = [intake.date_of(row[_NK + k]) for k in range(_ND)]
        if any(w is False for w in when):
            s = engine.strike(_row(row, numbers=0.0))
            when = [getattr(s, name) for name in DATE_FIELDS]
        (day,) = when
        d = engine.decider_for(supplier, day)
    except PolicyRulesError:
        _invalid_row(engine, row, i)
        raise
    return _Route(index=id(d), decider=d, thresholds=[list(d.thresholds_of[name]) for name in NUMBER_FIELDS],
                  ref=d.policy_ref.ref)


def _invalid_row(engine: Deciders, row: tuple[Any, ...], i: int) -> None:
    """Raise the error ``evaluate`` would give for this row, naming the row."""
    try:
        s = engine.strike(_row(row))
        engine.version_for(s)
    except PolicyRulesError as e:
        raise located(e, f"row {i}") from None
