"""Columnar evaluation: millions of strikes as columns in, decisions and rule ids as columns out.

A row's verdict depends on its non-numeric fields and on where its ``range_km`` falls among
the thresholds of the rule set that judges it (the same classes as the exact check). So each
distinct combination of the other fields is validated once (with the catalog: weapon, region,
class, supplier, date), each row's range is checked against the weapon's reach, and the
outcome is computed once per (combination, range class) and reused. Results equal
``evaluate`` row by row; the tests check it.
"""

from __future__ import annotations

import bisect
import gc
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import repeat
from typing import Any, Protocol

from ..model.catalog import Catalog
from ..model.domain import MAX_RANGE_KM, Decision
from ..model.errors import PolicyRulesError, Problem, StrikeError, located
from ..model.intake import base_fields
from ..model.intake import day as quick_day
from ..model.slots import private_of
from ..model.strike import ProposedStrike
from ..packs.pack import Pack, PolicyVersion
from .decider import RuleSetDecider

KEY_FIELDS = ("weapon", "weapon_class", "supplier", "target_region", "target_type", "self_defense",
              "defended_region", "date")
COLUMNS = (*KEY_FIELDS, "range_km")
REQUIRED = ("target_region", "target_type", "range_km")
DEFAULTS: dict[str, Any] = {"self_defense": False}


@dataclass
class ColumnVerdicts:
    """Verdicts as columns: ``decisions[i]``, ``rules[i]`` and ``policies[i]`` for row ``i``."""

    decisions: list[Decision] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)
    policies: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.decisions)

    @property
    def allowed(self) -> list[bool]:
        return [d is Decision.ALLOWED for d in self.decisions]

    def to_dict(self) -> dict[str, list[str]]:
        """Plain columns (decision values as strings), e.g. for ``pandas.DataFrame(...)``."""
        return {"decision": [d.value for d in self.decisions], "rule": self.rules, "policy": self.policies}


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
class _Base:
    """One distinct combination of the fields other than date and range, validated."""

    index: int
    facts: dict[str, Any]
    supplier: str | None
    reach: float


@dataclass
class _Route:
    """The rule set judging a (supplier, date), with its range thresholds. Many routes share
    one rule set; ``index`` names the rule set, so outcomes are shared across dates."""

    index: int
    decider: RuleSetDecider
    thresholds: list[float]
    ref: str


def evaluate_columns(engine: Deciders, data: Any) -> ColumnVerdicts:
    cols = as_columns(data)
    n = len(cols["range_km"])
    ordered = [cols[f] if f in cols else repeat(DEFAULTS.get(f), n) for f in COLUMNS]
    bases: dict[tuple[Any, ...], _Base] = {}
    routes: dict[tuple[str | None, Any], _Route] = {}
    outcomes: dict[tuple[int, int, int], tuple[Decision, str, str]] = {}
    out = ColumnVerdicts()
    decisions, rules, policies = out.decisions, out.rules, out.policies
    with paused_gc():
        for i, row in enumerate(zip(*ordered, strict=False)):  # defaults are endless repeat()s
            key, day, r = row[:-2], row[-2], row[-1]
            b = bases.get(key)
            if b is None:
                b = bases[key] = _base(engine, row, len(bases), i)
            route = routes.get((b.supplier, day))
            if route is None:
                route = routes[(b.supplier, day)] = _route(engine, row, b.supplier, i)
            if type(r) is not float:
                r = _number(engine, row, i)
            if not 0 <= r <= b.reach:  # also False for NaN
                _invalid_row(engine, row, i)
            t = route.thresholds
            j = bisect.bisect_left(t, r)
            code = 2 * j + 1 if j < len(t) and t[j] == r else 2 * j
            o = outcomes.get((b.index, route.index, code))
            if o is None:
                parts = route.decider.decide({**b.facts, "range_km": r})
                o = outcomes[(b.index, route.index, code)] = (parts["decision"], parts["rule"].id, route.ref)
            decisions.append(o[0])
            rules.append(o[1])
            policies.append(o[2])
    return out


def _row(row: tuple[Any, ...], *, date: bool = True, range_km: Any = None) -> dict[str, Any]:
    """A row as a strike dict: every given field (without the date when ``date`` is False;
    with ``range_km`` in place of the row's own when given)."""
    out = {f: v for f, v in zip(COLUMNS, row, strict=True) if v is not None}
    if not date:
        out.pop("date", None)
    if range_km is not None:
        out["range_km"] = range_km
    return out


def _number(engine: Deciders, row: tuple[Any, ...], i: int) -> float:
    """A range as a float: ints and float subclasses (numpy) convert; anything else is a row error."""
    r = row[-1]
    if isinstance(r, (int, float)) and not isinstance(r, bool):
        try:
            return float(r)
        except OverflowError:
            pass
    _invalid_row(engine, row, i)
    raise AssertionError("unreachable")  # pragma: no cover


def _base(engine: Deciders, row: tuple[Any, ...], index: int, i: int) -> _Base:
    """Validate the fields other than date (with a harmless range: each row's range is checked apart)."""
    fast = _fast_base(engine.pack.catalog, row, index)
    if fast is not None:
        return fast
    try:
        s = engine.strike(_row(row, date=False, range_km=0.0))
    except PolicyRulesError:
        _invalid_row(engine, row, i)
        raise
    weapon = engine.pack.catalog.weapon_by_id(s.weapon) if s.weapon else None
    return _Base(index=index, facts=dict(private_of(s)["_facts"]),  # type: ignore[index]
                 supplier=s.supplier, reach=weapon.reach_km if weapon else MAX_RANGE_KM)


def _route(engine: Deciders, row: tuple[Any, ...], supplier: str | None, i: int) -> _Route:
    try:
        day = quick_day(row[-2])
        if day is False:
            day = engine.strike(_row(row, range_km=0.0)).date
        d = engine.decider_for(supplier, day)
    except PolicyRulesError:
        _invalid_row(engine, row, i)
        raise
    return _Route(index=id(d), decider=d, thresholds=list(d.thresholds), ref=d.policy_ref.ref)


def _fast_base(catalog: Catalog, row: tuple[Any, ...], index: int) -> _Base | None:
    """The common case without Pydantic (see :mod:`policyrules.model.intake`), or None."""
    found = base_fields(catalog, *row[:7])
    if found is None:
        return None
    fields, facts, reach = found
    return _Base(index=index, facts=facts, supplier=fields["supplier"], reach=reach)


def _invalid_row(engine: Deciders, row: tuple[Any, ...], i: int) -> None:
    """Raise the error ``evaluate`` would give for this row, naming the row."""
    try:
        s = engine.strike(_row(row))
        engine.version_for(s)
    except PolicyRulesError as e:
        raise located(e, f"row {i}") from None


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while many small acyclic objects are created."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


