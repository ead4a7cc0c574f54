"""Evaluation: a resolved pack, a backend, and the caches that make deciding fast.

``evaluate`` = take the strike in (:mod:`policyrules.model.intake`) -> pick the policy (by
supplier) and the version in force (by date) -> the rule set's :class:`RuleSetDecider` finds
the matching rules and combines them -> a :class:`Verdict`. Deciders are built once per rule set,
lazily, or all at once by :meth:`Evaluator.prepare` (``load`` does it for the durable backend, so a
pack that loads always evaluates). Matchers of equal conditions are shared between evaluators
(see :func:`policyrules.matching.build`) and freed with the last of them; parameters and caches
are the evaluator's own. :class:`policyrules.Engine` adds the analysis entry points on top.
"""

from __future__ import annotations

import datetime as dt
import itertools
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, Literal, cast

from typing_extensions import Self

from ..matching import BACKENDS
from ..matching.durable_plan import MAX_DURABLE_RULES_PER_ENGINE, DurableLimitError
from ..model.catalog import Catalog
from ..model.collector import paused_gc
from ..model.errors import PolicyRulesError, RuleFileError, echo, located
from ..model.intake import given_keys, learn
from ..model.slots import private_of
from ..model.strike import ProposedStrike
from ..packs.loader import load_pack
from ..packs.pack import Pack, PolicyVersion, RuleSet
from ..packs.readings import Readings
from ..packs.resolved import ResolvedPack
from . import speedups
from .columnar import ColumnVerdicts, evaluate_columns
from .contested import AcrossReadings, Contest, across, contests, outcome_of
from .decider import Route, RuleSetDecider
from .notes import Assumptions
from .verdict import Verdict

StrikeInput = ProposedStrike | Mapping[str, Any]
_MAX_CACHED = 65_536
PROGRESS_EVERY = 1024
#: Rules in one rule set (common's and one version's, inherited ones included). The compiled
#: backend compiles about 0.1 ms and 11 KB of code per rule (measured: 10,000 rules, 1.1 s and
#: 127 MB); the durable backend makes at least one durable rule of each.
MAX_RULES_PER_RULE_SET = 5000
#: Rules over all the rule sets of one pack, each counted in every rule set it is part of (what
#: the backends build: about 2 s and 220 MB of compiled code at the limit).
MAX_RULES_PER_PACK = 20_000


def check_backend(backend: object) -> str:
    if backend not in BACKENDS:
        raise PolicyRulesError(f"unknown backend {echo(backend)}; use one of: {', '.join(BACKENDS)}")
    return str(backend)


def _chunks(strikes: Iterable[StrikeInput], *, whole: bool) -> Iterator[list[StrikeInput]]:
    """``strikes`` in lists of :data:`PROGRESS_EVERY` (the last one shorter); a list as it is when
    ``whole`` (no progress to report: the hot path then reads it in one call, without copies)."""
    if whole and type(strikes) is list:
        yield strikes
        return
    items = iter(strikes)
    while chunk := list(itertools.islice(items, PROGRESS_EVERY)):
        yield chunk
        if len(chunk) < PROGRESS_EVERY:
            return


class Evaluator:
    """Evaluates proposed strikes against a resolved policy pack with one matching backend."""

    def __init__(self, pack: Pack | ResolvedPack, backend: str = "durable",
                 parameters: Mapping[str, float] | None = None, *, _family: dict[Any, Any] | None = None) -> None:
        self.backend = check_backend(backend)
        resolved = pack if isinstance(pack, ResolvedPack) else ResolvedPack(pack)
        self.resolved = resolved.with_parameters(parameters) if parameters else resolved
        self.pack = self.resolved.pack
        # The engines of this one's other readings (same pack, parameters and backend), shared by all of
        # them; this one joins it last, when whole (another thread may take it from there at once).
        self._family: dict[Any, Any] = _family if _family is not None else {}
        self._catalog = self.pack.catalog
        self._digest = self._catalog.digest
        check_size(self.pack)
        self._durable_rules = 0  # behind the deciders built so far (MAX_DURABLE_RULES_PER_ENGINE)
        # Threads: a rule set's decider is built once, under the lock (a durable ruleset is costly
        # and must not be built twice). The route cache is filled without a lock: an entry is
        # computed from immutable data only, so threads racing on one key store equal values, a
        # dict item assignment is atomic, and an entry never changes once stored.
        self._deciders: dict[tuple[str, str, str | None], RuleSetDecider] = {}
        self._routes: dict[tuple[str | None, dt.date | None], RuleSetDecider] = {}
        # The same, per supplier (the hot path's: no tuple to build), each filled on first use.
        self._days: dict[str | None, dict[dt.date | None, RuleSetDecider]] = _PerSupplier()
        # A plain dict's key (policyrules.model.intake.key_of) -> its Base, decider and date, or False.
        self._fast: dict[Any, Route | Literal[False]] = {}
        # The C hot path's own index of _fast (an object it makes on first use; see speedups).
        self._c_index: object = None
        # A catalog of equal content to this one's, other than it: strikes checked against it pass as they are.
        self._twin: Catalog | None = None
        self._lock = threading.Lock()
        self._family.setdefault(tuple(sorted(self.pack.reading.items())), self)

    @classmethod
    def load(cls, path: str | Path | None = None, backend: str = "durable",
             readings: Mapping[str, object] | None = None) -> Self:
        """Load a directory of rule files (default: the bundled pack) with a backend, under the default
        reading of its contested points with ``readings`` chosen over it (``{"POINT": "OPTION"}``).
        With the durable backend every rule set is built at once (:meth:`prepare`): a rule durable_rules
        cannot take is a :class:`RuleFileError` here, not at the first strike it would judge."""
        check_backend(backend)
        engine = cls(load_pack(path, readings), backend)
        if backend == "durable":
            engine.prepare()
        return engine

    def prepare(self) -> Self:
        """Build the decider of every rule set in force on some date (the matcher, for the durable
        backend its durable_rules rulesets), so that evaluation never has to. Raises the
        :class:`RuleFileError` of the first rule set a backend cannot take, naming its file and rule."""
        for rs in self.pack.all_rulesets():
            self.decider(rs)
        return self

    # Parameters --------------------------------------------------------------------------

    @property
    def parameters(self) -> dict[str, float]:
        """Every parameter in force, as ``policy.name``: value (latest definition of each)."""
        return self.resolved.parameters

    def with_parameters(self, values: Mapping[str, float]) -> Self:
        """A new engine with some parameters changed (``{"us.long_range_km": 150}``); this one is untouched."""
        return type(self)(self.resolved.with_parameters(values), self.backend)

    def parameter_values(self, version: PolicyVersion) -> dict[str, float]:
        return self.resolved.parameter_values(version)

    # Readings of contested points ----------------------------------------------------------

    @property
    def readings(self) -> Readings:
        """The contested points of the pack (each with its options and default)."""
        return self.pack.readings

    @property
    def reading(self) -> dict[str, str]:
        """The option chosen for each contested point."""
        return dict(self.pack.reading)

    def with_readings(self, choices: Mapping[str, object]) -> Self:
        """An engine deciding under other options of some contested points (``{"POINT": "OPTION"}``),
        with the same parameters and backend; this one is untouched. Engines of one pack's readings are
        made once and shared."""
        reading = self.readings.reading(choices, base=self.pack.reading)
        key = tuple(sorted(reading.items()))
        found = self._family.get(key)
        if found is None:  # threads racing here build one each; the first to join the family is shared
            made = type(self)(self.resolved.with_readings(reading), self.backend, _family=self._family)
            found = self._family.get(key, made)
        return cast("Self", found)

    def contested(self, strike: StrikeInput, verdict: Verdict | None = None) -> tuple[Contest, ...]:
        """The contested points whose other options change the strike's decision or deciding rule,
        each with the verdict under those options (see :mod:`policyrules.deciding.contested`)."""
        if not self.readings:
            return ()
        v = verdict if verdict is not None else self.evaluate(strike)
        here = (v.decision, v.rule.id, v.policy.ref)
        return contests(self.readings, self.pack.reading, self._policies_of(v.strike),
                        lambda r: outcome_of(self.with_readings(r).evaluate, v.strike), here)

    def across_readings(self, strike: StrikeInput) -> AcrossReadings:
        """The strike under every combination of the options of the contested points that can touch it."""
        s = self.strike(strike)
        return across(self.readings, self.pack.reading, self._policies_of(s),
                      lambda r: outcome_of(self.with_readings(r).evaluate, s))

    def _policies_of(self, s: ProposedStrike) -> set[str]:
        """The policies whose contested points can touch a strike: the one judging it, and the one its
        supplier names."""
        named = {s.supplier.lower()} if s.supplier else set()
        try:
            return {self.pack.policy_for_supplier(s.supplier).id, *named}
        except PolicyRulesError:
            return named

    # Evaluation --------------------------------------------------------------------------

    def strike(self, data: StrikeInput) -> ProposedStrike:
        """Validate ``data`` against this engine's catalog (a strike checked against an equal catalog
        passes as it is)."""
        return ProposedStrike.parse(data, self._catalog)

    def version_for(self, strike: ProposedStrike) -> PolicyVersion:
        policy = self.pack.policy_for_supplier(strike.supplier)
        return self.pack.version_at(policy, strike.date)

    def evaluate(self, strike: StrikeInput) -> Verdict:
        """The verdict on one strike (a :class:`ProposedStrike` or a dict of its fields)."""
        raise NotImplementedError  # replaced below by the generated hot path (policyrules.deciding.hotpath)

    def _same_catalog(self, catalog: Catalog | None) -> bool:
        """Whether a strike checked against ``catalog`` needs no checking against this engine's: the
        same catalog, or one of equal content (remembered: the next strike of it is told by identity)."""
        if catalog is None or private_of(catalog)["_digest"] != self._digest:  # type: ignore[index]
            return False
        self._twin = catalog
        return True

    def evaluate_many(self, strikes: Iterable[StrikeInput], *,
                      progress: Callable[[int], object] | None = None) -> list[Verdict]:
        """Verdicts for many strikes, in order. Stops at the first invalid strike, naming its index.

        ``progress``, if given, is called with the number of strikes done every
        :data:`PROGRESS_EVERY` strikes and once at the end (e.g. to drive a progress bar).
        Columns (a mapping of field name to values, a DataFrame, a Table) go to :meth:`evaluate_columns`."""
        if isinstance(strikes, Mapping) or hasattr(strikes, "to_pydict") or hasattr(strikes, "columns"):
            raise PolicyRulesError("evaluate_many takes strikes (dicts or ProposedStrike); give columns "
                                   "(a mapping of field to values, a DataFrame or a Table) to evaluate_columns")
        out: list[Verdict] = []
        with paused_gc():
            for chunk in _chunks(strikes, whole=progress is None):
                try:
                    self._evaluate_into(out, chunk)
                except PolicyRulesError as e:
                    raise located(e, f"strike #{len(out)}") from None
                if progress is not None and len(chunk) == PROGRESS_EVERY:
                    progress(len(out))
        if progress is not None:
            progress(len(out))
        return out

    def _evaluate_into(self, out: list[Verdict], strikes: Iterable[StrikeInput]) -> None:
        """``evaluate`` of each strike, appended to ``out`` (the loop of evaluate_many, inlined)."""
        raise NotImplementedError  # replaced below by the generated hot path (policyrules.deciding.hotpath)

    def _learn(self, strike: Mapping[str, Any], key: tuple[Any, ...]) -> Route | Literal[False]:
        """What a dict's key (:func:`~policyrules.model.intake.key_of`) stands for under this engine (a
        :class:`Route`); False when full validation must judge it."""
        found = learn(self._catalog, strike, key)
        hit: Route | Literal[False] = False
        if found is not None:
            b, day = found
            try:
                hit = Route(b, day, self.decider_for(b.picker, day), self._catalog, given_keys(key))
            except PolicyRulesError:  # no version in force that day: evaluate says so
                hit = False
        if len(self._fast) < _MAX_CACHED:
            self._fast[key] = hit
        return hit

    def evaluate_columns(self, columns: Any, *, progress: Callable[[int], object] | None = None) -> ColumnVerdicts:
        """Columns in (field -> values), decisions, rule ids and policy refs out, row by row
        equal to :meth:`evaluate`; fast for millions of rows (see :mod:`policyrules.deciding.columnar`).
        ``progress``, if given, is called with the number of rows once they are all done."""
        out = evaluate_columns(self, columns)
        if progress is not None:
            progress(len(out))
        return out

    # Deciders ----------------------------------------------------------------------------

    def decider_for(self, supplier: str | None, day: dt.date | None) -> RuleSetDecider:
        """The decider judging strikes of ``supplier`` on ``day`` (cached per pair)."""
        d = self._routes.get((supplier, day))
        if d is None:
            version = self.pack.version_at(self.pack.policy_for_supplier(supplier), day)
            d = self.decider(self.pack.ruleset(version, day))
            if len(self._routes) < _MAX_CACHED:
                self._routes[(supplier, day)] = d
                self._days[supplier][day] = d
        return d

    def decider(self, rs: RuleSet) -> RuleSetDecider:
        """The decider of a rule set (built once)."""
        d = self._deciders.get(rs.key)
        if d is None:
            with self._lock:
                d = self._deciders.get(rs.key)
                if d is None:
                    d = self._deciders[rs.key] = self._build(rs)
        return d

    def _build(self, rs: RuleSet) -> RuleSetDecider:
        try:
            decider = RuleSetDecider(rs, self.resolved.conditions(rs), self.backend, self.pack.digest,
                                     self.readings.changed(self.pack.reading), self if self.readings else None,
                                     Assumptions.of(self.pack, rs))
        except DurableLimitError as e:
            raise limit_error(rs, e) from None
        size = getattr(decider.matcher, "size", 0)
        if self._durable_rules + size > MAX_DURABLE_RULES_PER_ENGINE:
            v = rs.version
            raise RuleFileError(v.file, f"rule set {v.ref}: the pack's durable_rules form needs more than "
                                f"{MAX_DURABLE_RULES_PER_ENGINE:,} durable rules in all; use backend='compiled' or "
                                "fewer or simpler rules")
        self._durable_rules += size
        return decider

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.pack.root!r}, backend={self.backend!r}, digest={self.pack.digest[:12]})"


speedups.install(Evaluator)  # evaluate and _evaluate_into: the C hot path, or the generated Python one


class _PerSupplier(dict):  # type: ignore[type-arg]
    """supplier -> {day: decider}; a supplier not seen yet gets an empty dict (kept)."""

    def __missing__(self, supplier: str | None) -> dict[dt.date | None, RuleSetDecider]:
        return self.setdefault(supplier, {})  # type: ignore[no-any-return]


def limit_error(rs: RuleSet, e: DurableLimitError) -> RuleFileError:
    """The rule file error for a rule (or a rule set) the durable backend cannot take: the rule's
    own file, id and line, or the version's file for the rule set as a whole."""
    if e.index is not None and 0 <= e.index < len(rs.rules):
        rule = rs.rules[e.index]
        return RuleFileError(rule.file, e.detail, rule=rule.id, line=rule.line)
    v = rs.version
    return RuleFileError(v.file, f"rule set {v.ref}: {e.detail}")


_SIZED: weakref.WeakValueDictionary[int, Pack] = weakref.WeakValueDictionary()  # packs checked, by id


def check_size(pack: Pack) -> None:
    """Refuse a pack whose rule sets are too large for the backends to build in bounded time and memory
    (once per pack: every with_parameters engine of a pack has the same rule sets)."""
    if _SIZED.get(id(pack)) is pack:
        return
    total = 0
    for rs in pack.all_rulesets():
        n = len(rs.rules)
        if n > MAX_RULES_PER_RULE_SET:
            raise RuleFileError(rs.version.file, f"rule set {rs.version.ref} has {n:,} rules (common's and inherited "
                                f"ones included); the limit is {MAX_RULES_PER_RULE_SET:,}")
        total += n
    if total > MAX_RULES_PER_PACK:
        raise RuleFileError(pack.root, f"the pack's rule sets hold {total:,} rules in all (a rule counted in every "
                            f"rule set it is part of); the limit is {MAX_RULES_PER_PACK:,}")
    _SIZED[id(pack)] = pack
