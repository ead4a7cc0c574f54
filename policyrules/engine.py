"""The engine: a loaded pack, a backend, and parameter values; evaluates strikes.

``evaluate`` = validate the strike -> pick the policy (by supplier) and the version in
force (by date) -> ask the backend which rules match -> combine -> a :class:`Verdict`.
Compiled rule sets (matcher + combiner) are built lazily, once per rule set, and are
private to the engine: engines never share matchers, parameters or durable rulesets.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, overload

from . import __about__
from .backends import BACKENDS, Matcher, build
from .columnar import ColumnVerdicts, evaluate_columns, paused_gc
from .combine import Combiner
from .conditions import Condition, resolve
from .domain import Decision
from .errors import ParameterError, PolicyRulesError, located
from .loader import load_pack
from .policy import Pack, PolicyVersion, RuleSet
from .quick import strike as quick_strike
from .strike import ProposedStrike, facts
from .verdict import (
    _VERDICT_FIELDS,
    DEFAULT_RULE_ID,
    PolicyRef,
    RuleRef,
    Verdict,
    _set_dict,
    _set_extra,
    _set_fields_set,
    _set_private,
)

if TYPE_CHECKING:
    from .analysis import CheckReport
    from .diff import DiffReport
    from .partial import PartialReport
    from .whynot import WhyNotReport

StrikeInput = ProposedStrike | Mapping[str, Any]


@dataclass
class _Compiled:
    """One rule set made ready to evaluate: its matcher, combiner, and verdict parts.

    ``templates`` caches, per set of matched rules, every verdict field but the strike."""

    ruleset: RuleSet
    conditions: tuple[Condition, ...]
    matcher: Matcher
    match: Callable[[Mapping[str, Any]], tuple[int, ...]]
    combiner: Combiner
    rule_refs: tuple[RuleRef, ...]
    default_ref: RuleRef
    policy_ref: PolicyRef
    common: dict[str, Any]
    templates: dict[tuple[int, ...], dict[str, Any]] = field(default_factory=dict)

    def template(self, matched: tuple[int, ...]) -> dict[str, Any]:
        t = self.templates.get(matched)
        if t is not None:
            return t
        out = self.combiner(matched)
        rules = self.ruleset.rules
        allowed = out.decision is Decision.ALLOWED
        t = {
            "decision": out.decision,
            "rule": self.default_ref if out.deciding is None else self.rule_refs[out.deciding],
            "policy": self.policy_ref,
            "matched": tuple(rules[i].id for i in out.matched),
            "overridden": tuple(rules[i].id for i in out.overridden),
            "conflict": tuple(rules[i].id for i in out.conflict),
            "caveats": tuple(rules[i].caveats for i in out.matched
                             if allowed and i not in out.overridden and rules[i].caveats),
            **self.common,
        }
        if len(self.templates) < _MAX_CACHED:
            self.templates[matched] = t
        return t


_MAX_CACHED = 65_536
PROGRESS_EVERY = 1024
_new_verdict = object.__new__


class Engine:
    """Evaluates proposed strikes against a policy pack. Build one with :meth:`Engine.load`."""

    def __init__(self, pack: Pack, backend: str = "durable", parameters: Mapping[str, float] | None = None) -> None:
        if backend not in BACKENDS:
            raise PolicyRulesError(f"unknown backend {backend!r}; use one of: {', '.join(BACKENDS)}")
        self.pack = pack
        self._catalog = pack.catalog
        self.backend = backend
        self._parameters = dict(parameters or {})
        # Threads: a rule set is compiled once, under the lock (a durable ruleset is costly and
        # must not be built twice). The route and template caches are filled without a lock: an
        # entry is computed from immutable data only (the route from the compiled rule set kept
        # above), so threads racing on one key store equal values, a dict item assignment is
        # atomic, and an entry is never changed once stored (tests/test_concurrency.py).
        self._compiled: dict[tuple[str, str, str | None], _Compiled] = {}
        self._routes: dict[tuple[str | None, dt.date | None], _Compiled] = {}
        self._lock = threading.Lock()

    @classmethod
    def load(cls, path: str | Path | None = None, backend: str = "durable") -> Engine:
        """Load a directory of rule files (default: the bundled pack) with a backend."""
        if backend not in BACKENDS:
            raise PolicyRulesError(f"unknown backend {backend!r}; use one of: {', '.join(BACKENDS)}")
        engine = cls(load_pack(path), backend)
        if backend == "durable":
            from .backends.durable import available

            if not available():
                engine._compile(next(engine.pack.all_rulesets()))  # raises the clear BackendError
        return engine

    # Parameters --------------------------------------------------------------------------

    @property
    def parameters(self) -> dict[str, float]:
        """Every parameter in force, as ``policy.name``: value (latest definition of each)."""
        out: dict[str, float] = {}
        for pid, policy in self.pack.policies.items():
            for v in policy.versions:
                for name, p in v.parameters.items():
                    out[f"{pid}.{name}"] = p.value
        out.update(self._parameters)
        return out

    def with_parameters(self, values: Mapping[str, float]) -> Engine:
        """A new engine with some parameters changed (``{"us.long_range_km": 150}``); this one is untouched."""
        known = self.parameters
        merged = dict(self._parameters)
        for key, value in values.items():
            if key not in known:
                raise ParameterError(f"unknown parameter {key!r}; known: {', '.join(sorted(known)) or 'none'}")
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                    or abs(value) > 1e9:
                raise ParameterError(f"parameter {key}: expected a finite number, got {value!r}")
            merged[key] = float(value)
        return Engine(self.pack, self.backend, merged)

    def parameter_values(self, version: PolicyVersion) -> dict[str, float]:
        return {name: self._parameters.get(f"{version.policy}.{name}", p.value)
                for name, p in version.parameters.items()}

    # Evaluation --------------------------------------------------------------------------

    def strike(self, data: StrikeInput) -> ProposedStrike:
        """Validate ``data`` against this engine's catalog."""
        if type(data) is dict:
            quick = quick_strike(data, self._catalog)  # the common case, without Pydantic
            if quick is not None:
                return quick
        return ProposedStrike.parse(data, self.pack.catalog)

    def version_for(self, strike: ProposedStrike) -> PolicyVersion:
        policy = self.pack.policy_for_supplier(strike.supplier)
        return self.pack.version_at(policy, strike.date)

    def evaluate(self, strike: StrikeInput) -> Verdict:
        """The verdict on one strike (a :class:`ProposedStrike` or a dict of its fields)."""
        # The hot path: each line here is measured (benchmarks/); see Verdict.trusted.
        if type(strike) is ProposedStrike and strike.__pydantic_private__["_catalog"] is self._catalog:  # type: ignore[index]
            s = strike
        else:
            s = self.strike(strike)
        c = self._routes.get((s.supplier, s.date))
        if c is None:
            c = self._route(s)
        matched = c.match(s.__pydantic_private__["_facts"] or facts(s))  # type: ignore[index]
        t = c.templates.get(matched) or c.template(matched)
        v = _new_verdict(Verdict)
        _set_dict(v, {**t, "strike": s})
        _set_fields_set(v, _VERDICT_FIELDS)
        _set_extra(v, None)
        _set_private(v, None)
        return v

    @overload
    def evaluate_many(self, strikes: Mapping[str, Sequence[Any]], *,
                      progress: Callable[[int], object] | None = None) -> ColumnVerdicts: ...

    @overload
    def evaluate_many(self, strikes: Iterable[StrikeInput], *,
                      progress: Callable[[int], object] | None = None) -> list[Verdict]: ...

    def evaluate_many(self, strikes: Any, *,
                      progress: Callable[[int], object] | None = None) -> list[Verdict] | ColumnVerdicts:
        """Verdicts for many strikes, in order. Stops at the first invalid strike, naming its index.

        ``progress``, if given, is called with the number of strikes done every
        :data:`PROGRESS_EVERY` strikes and once at the end (e.g. to drive a progress bar).
        Given columns (a mapping of field name to sequence, a pandas DataFrame or a pyarrow
        Table) instead, it is :meth:`evaluate_columns`."""
        if isinstance(strikes, Mapping) or hasattr(strikes, "to_pydict") or hasattr(strikes, "columns"):
            out_columns = self.evaluate_columns(strikes)
            if progress is not None:
                progress(len(out_columns))
            return out_columns
        out = []
        evaluate = self.evaluate
        with paused_gc():
            for i, s in enumerate(strikes):
                try:
                    out.append(evaluate(s))
                except PolicyRulesError as e:
                    raise located(e, f"strike #{i}") from None
                if progress is not None and (i + 1) % PROGRESS_EVERY == 0:
                    progress(i + 1)
        if progress is not None:
            progress(len(out))
        return out

    def evaluate_columns(self, columns: Any) -> ColumnVerdicts:
        """Columns in (field -> values), decisions, rule ids and policy refs out, row by row
        equal to :meth:`evaluate`; fast for millions of rows (see :mod:`policyrules.columnar`)."""
        return evaluate_columns(self, columns)

    def _route(self, s: ProposedStrike) -> _Compiled:
        """The compiled rule set for a strike's supplier and date (cached per pair)."""
        return self.route_for(s.supplier, s.date)

    def route_for(self, supplier: str | None, day: dt.date | None) -> _Compiled:
        """The compiled rule set judging strikes of ``supplier`` on ``day`` (internal: used by columnar)."""
        c = self._routes.get((supplier, day))
        if c is None:
            version = self.pack.version_at(self.pack.policy_for_supplier(supplier), day)
            c = self._compiled_for(version, day)
            if len(self._routes) < _MAX_CACHED:
                self._routes[(supplier, day)] = c
        return c

    def _compiled_for(self, version: PolicyVersion, day: dt.date | None) -> _Compiled:
        rs = self.pack.ruleset(version, day)
        c = self._compiled.get(rs.key)
        if c is None:
            with self._lock:
                c = self._compiled.get(rs.key)
                if c is None:
                    c = self._compile(rs)
                    self._compiled[rs.key] = c
        return c

    def _compile(self, rs: RuleSet) -> _Compiled:
        conds = []
        for r in rs.rules:
            owner = rs.common if rs.common is not None and r.policy == rs.common.policy else rs.version
            conds.append(resolve(r.when, self.parameter_values(owner)))
        matcher = build(self.backend, conds, f"{rs.version.policy}.{rs.version.version}")
        v = rs.version
        return _Compiled(
            ruleset=rs, conditions=tuple(conds), matcher=matcher, match=matcher.match,
            combiner=Combiner(rs.rules, v.default),
            rule_refs=tuple(RuleRef(id=r.id, title=r.title, effect=r.effect, source=r.source, basis=r.basis,
                                    caveats=r.caveats, file=r.file) for r in rs.rules),
            default_ref=RuleRef(id=DEFAULT_RULE_ID, title=f"No rule matched: the default of {v.ref}",
                                effect=v.default, file=v.file),
            policy_ref=PolicyRef(id=v.policy, version=v.version, title=v.title, effective_from=v.effective_from,
                                 effective_until=v.effective_until, file=v.file),
            common={"backend": self.backend, "pack_digest": self.pack.digest,
                    "library_version": __about__.__version__},
        )

    def __repr__(self) -> str:
        return f"Engine({self.pack.root!r}, backend={self.backend!r}, digest={self.pack.digest[:12]})"

    def check(self, sources: str | Path | None = None) -> CheckReport:
        """Check every class of every rule set in force (see :mod:`policyrules.analysis`)."""
        from .analysis import check

        return check(self, sources)

    # Policy shifts (see policyrules.diff, .whynot, .partial) ------------------------------

    def diff(self, a: str, b: str) -> DiffReport:
        """Every class of strikes whose decision or deciding rule changes from policy ref ``a`` to ``b``
        (``us@2024-05-29``, ``us@baseline``, ``gb``), merged into readable descriptions."""
        from .diff import diff

        return diff(self, a, b)

    def why_not(self, strike: StrikeInput) -> WhyNotReport:
        """The smallest changes (one field, then two) that flip the strike's decision, with the deciding rule."""
        from .whynot import why_not

        return why_not(self, strike)

    def evaluate_partial(self, fields: Mapping[str, Any]) -> PartialReport:
        """Every decision still possible for a strike with only ``fields`` known, and when."""
        from .partial import evaluate_partial

        return evaluate_partial(self, fields)
