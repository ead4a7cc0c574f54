"""The main benchmark (``python -m benchmarks``): latency, throughput, columnar, check, memory,
profile, on one seeded set of strikes, with ratios to the hand-written if/elif floor."""

from __future__ import annotations

import cProfile
import datetime as dt
import inspect
import itertools
import pstats
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from policyrules import Engine, PolicyRulesError, ProposedStrike, Verdict
from policyrules.packs.loader import load_pack

from . import references as ref
from .common import fmt_us, interleaved, run_child, summary, table, timed
from .strikes import SEED, StrikeSet, random_strikes, validated

FIGURES = ("latency", "evaluate_many", "columns", "check", "memory", "churn", "profile")
NEEDS = {"evaluate_many": ("latency",), "columns": ("latency",)}  # their ratios need the floor

TARGET_COMPILED = 5.0    # compiled evaluate of a ProposedStrike (the user's or validated) or a dict, x the if/elif
TARGET_MANY = 3.0        # evaluate_many of dicts, per decision, x the if/elif (issue 14)
TARGET_MANY_US = 1.0     # ... and more than a million decisions a second
TARGET_DURABLE = 1.0     # durable evaluate, x the raw durable_rules post encoding: no slower
TARGET_CHECK_S = 0.5     # check of the bundled pack under every reading (issue 14)
TARGET_COLUMNS = 1.0     # evaluate_columns of Python lists, per row, x the if/elif (issue 14)


@dataclass
class Config:
    quick: bool
    seed: int = SEED
    n_strikes: int = 20_000
    latency_pool: int = 2_000
    repeats: int = 15
    min_pass_s: float = 0.02
    many_n: int = 100_000
    many_repeats: int = 7
    many_dict_repeats: int = 7
    many_durable_n: int = 10_000
    memory_n: int = 1_000_000
    memory_durable_budget_s: float = 150.0
    check_repeats: int = 5
    churn_n: int = 10_000

    @classmethod
    def make(cls, quick: bool, seed: int = SEED) -> Config:
        if not quick:
            return cls(False, seed)
        return cls(True, seed, n_strikes=5_000, latency_pool=1_000, repeats=5, min_pass_s=0.01, many_n=20_000,
                   many_repeats=2, many_dict_repeats=1, many_durable_n=2_000, memory_n=100_000,
                   memory_durable_budget_s=8.0, check_repeats=3, churn_n=1_000)


class Bench:
    def __init__(self, cfg: Config, log: Callable[[str], None]) -> None:
        self.cfg = cfg
        self.log = log
        self.results: dict[str, Any] = {}
        self.pack = load_pack()
        self.compiled = Engine(self.pack, "compiled")
        from policyrules.matching.durable import available

        self.durable = Engine(self.pack, "durable") if available() else None
        t0 = time.perf_counter()
        dicts = random_strikes(self.pack, cfg.n_strikes, cfg.seed)
        self.all = validated(self.compiled, dicts)
        self.us = self.all.subset([ref.covered(s) for s in self.all.strikes])
        self.us_truth = [(v.decision.value, v.rule.id) for v in map(self.compiled.evaluate, self.us.strikes)]
        self.results["strikes"] = {"seed": cfg.seed, "generated": len(self.all), "us": len(self.us),
                                   "seconds_to_build_and_validate": time.perf_counter() - t0}
        log(f"strikes: {len(self.all)} generated and validated (seed {cfg.seed}), {len(self.us)} judged by the "
            "US policy (the references' scope)")
        # Verify both references on every US strike before anything is timed.
        n = ref.verify("if/elif", ref.decide, self.us.strikes, self.us_truth)
        self.raw = ref.RawDurable() if self.durable is not None else None
        if self.raw is not None:
            ref.verify("raw durable_rules", self.raw.decide, self.us.strikes, self.us_truth)
            self.raw_c = ref.RawDurableC(self.raw)
            ref.verify("raw durable_rules (C API)", self.raw_c.decide, self.us.strikes, self.us_truth)
        self.results["verification"] = {"strikes": n, "if_elif": "same decision and rule id on every strike",
                                        "raw_durable": "same decision and rule id on every strike"
                                        if self.raw is not None else "durable_rules not available"}
        log(f"verified: if/elif and raw durable_rules give the compiled backend's decision and rule id on all {n} "
            "US strikes")
        k = cfg.latency_pool
        self.pool = StrikeSet(self.us.dicts[:k], self.us.strikes[:k])
        self.pool_plain = [ref.plain(s) for s in self.pool.strikes]
        self.pool_all = StrikeSet(self.all.dicts[:k], self.all.strikes[:k])
        # The same strikes as a user builds them, ProposedStrike(**fields): checked against the bundled
        # catalog, an object other than the engine's (equal in content).
        self.pool_user = [ProposedStrike(**d) for d in self.pool.dicts]

    # Figures -------------------------------------------------------------------------------

    def latency(self) -> None:
        cfg = self.cfg
        c, d = self.compiled, self.durable
        S, D, P = self.pool.strikes, self.pool.dicts, self.pool_plain
        SA = self.pool_all.strikes
        decide = ref.decide

        def noop(f: Any) -> None:
            return None

        def loop(fn: Callable[[Any], Any], xs: Sequence[Any]) -> Callable[[], int]:
            def run() -> int:
                for x in xs:
                    fn(x)
                return len(xs)
            return run

        passes: dict[str, Callable[[], int]] = {
            "harness": loop(noop, P),
            "if_elif": loop(decide, P),
            "compiled.validated": loop(c.evaluate, S),
            "compiled.user": loop(c.evaluate, self.pool_user),
            "compiled.dict": loop(c.evaluate, D),
            "compiled.validated.all_policies": loop(c.evaluate, SA),
        }
        if d is not None and self.raw is not None:
            passes["raw_durable"] = loop(self.raw.decide, P)
            passes["raw_durable_c"] = loop(self.raw_c.decide, P)
            passes["durable.validated"] = loop(d.evaluate, S)
            passes["durable.dict"] = loop(d.evaluate, D)
            mism = sum((v.decision, v.rule.id) != (w.decision, w.rule.id)
                       for v, w in zip(map(c.evaluate, S), map(d.evaluate, S)))
            self.results["durable_vs_compiled_mismatches"] = mism
        self.log(f"latency: {len(passes)} passes over {len(S)} US strikes, {cfg.repeats} rounds, interleaved ...")
        self.results["latency"] = interleaved(passes, cfg.repeats, cfg.min_pass_s)
        self.results["latency"]["_pool"] = len(S)

    def evaluate_many(self) -> None:
        cfg = self.cfg
        out: dict[str, Any] = {}
        n = cfg.many_n
        big = list(itertools.islice(itertools.cycle(self.us.strikes), n))
        bigd = list(itertools.islice(itertools.cycle(self.us.dicts), n))
        self.log(f"evaluate_many: compiled on {n:,} validated strikes x{cfg.many_repeats}, dicts x{cfg.many_dict_repeats}")
        secs, _ = timed(lambda: self.compiled.evaluate_many(big), cfg.many_repeats)
        out["compiled.validated"] = {**summary([s / n for s in secs]), "n": n}
        secs, _ = timed(lambda: self.compiled.evaluate_many(bigd), cfg.many_dict_repeats)
        out["compiled.dict"] = {**summary([s / n for s in secs]), "n": n}
        durable = self.durable
        if durable is not None:
            nd = cfg.many_durable_n
            self.log(f"evaluate_many: durable on {nd:,} validated strikes (fewer: it is slow)")
            secs, _ = timed(lambda: durable.evaluate_many(big[:nd]), max(1, cfg.many_dict_repeats))
            out["durable.validated"] = {**summary([s / nd for s in secs]), "n": nd}
        self.results["evaluate_many"] = out

    def columns(self) -> None:
        n = self.cfg.many_n
        dicts = list(itertools.islice(itertools.cycle(self.us.dicts), n))
        truth = list(itertools.islice(itertools.cycle(self.us_truth), n))
        self.results["columns"] = columnar(self.compiled, dicts, truth, self.cfg.many_repeats, self.log)
        # A what-if sweep: one counter-fire strike at n ranges across its weapon's reach (the
        # shape of `policyrules sweep` and of range studies): few distinct combinations.
        base = {"weapon": "HIMARS", "target_region": "belgorod", "target_type": "artillery", "self_defense": True,
                "defended_region": "kharkiv", "date": "2024-06-01"}
        sweep = [{**base, "range_km": 80.0 * i / n} for i in range(n)]
        truth = [(v.decision.value, v.rule.id) for v in map(self.compiled.evaluate, sweep)]
        self.log("columns (sweep): one strike at many ranges")
        self.results["columns_sweep"] = columnar(self.compiled, sweep, truth, self.cfg.many_repeats, self.log)

    def check(self) -> None:
        if not hasattr(Engine, "check"):
            self.results["check"] = {"available": False, "why": "Engine.check does not exist"}
            return
        try:
            import policyrules.analysis.check  # noqa: F401
        except ImportError as e:
            self.results["check"] = {"available": False, "why": f"policyrules.analysis.check: {e}"}
            return
        engines: list[Engine] = []

        def setup() -> None:  # a fresh pack and engine each time: no cache from the last run
            engines[:] = [Engine(load_pack(), "compiled")]

        try:
            secs, report = timed(lambda: engines[0].check(), self.cfg.check_repeats, setup)
        except (AttributeError, ImportError, NotImplementedError) as e:
            self.results["check"] = {"available": False, "why": f"{type(e).__name__}: {e}"}
            return
        except Exception as e:
            self.results["check"] = {"available": True, "error": f"{type(e).__name__}: {e}"}
            return
        self.results["check"] = {"available": True, **{k: v / 1e6 for k, v in summary(secs).items()
                                                      if k.endswith("_us")}, "repeats": len(secs),
                                 "ok": getattr(report, "ok", None), "classes": getattr(report, "classes", None)}
        self.results["check"] = {k.replace("_us", "_s"): v for k, v in self.results["check"].items()}

    def memory(self) -> None:
        cfg = self.cfg
        out: dict[str, Any] = {}
        self.log(f"memory: compiled, {cfg.memory_n:,} evaluations in a child process ...")
        out["compiled"] = run_child(["memory", "--backend", "compiled", "--n", str(cfg.memory_n),
                                     "--seed", str(cfg.seed)], timeout=1800)
        durable = self.durable
        if durable is not None:
            lat = self.results.get("latency", {}).get("durable.validated", {}).get("median_us")
            if lat is None:  # a quick estimate, to keep the child within its time budget
                secs, _ = timed(lambda: [durable.evaluate(s) for s in self.pool.strikes[:300]], 1)
                lat = secs[0] / 300 * 1e6
            nd = min(cfg.memory_n, max(10_000, int(cfg.memory_durable_budget_s / (lat * 1e-6)) // 10_000 * 10_000))
            self.log(f"memory: durable, {nd:,} evaluations in a child process ...")
            out["durable"] = run_child(["memory", "--backend", "durable", "--n", str(nd), "--seed", str(cfg.seed)],
                                       timeout=1800)
            out["durable"]["reduced_from"] = cfg.memory_n if nd < cfg.memory_n else None
        self.results["memory"] = out

    def churn(self) -> None:
        out: dict[str, Any] = {}
        for backend in ("compiled", "durable"):
            if backend == "durable" and self.durable is None:
                out[backend] = {"error": "durable_rules not available"}
                continue
            self.log(f"churn: {backend}, {self.cfg.churn_n:,} with_parameters engines in a child process ...")
            out[backend] = run_child(["churn", "--backend", backend, "--n", str(self.cfg.churn_n),
                                      "--seed", str(self.cfg.seed)], timeout=1800)
        self.results["churn"] = out

    def profile(self) -> None:
        self.results["profile"] = {"compiled": profile_compiled(self.compiled, self.pool, self.cfg),
                                   "durable": profile_durable(self.durable, self.pool, self.cfg)
                                   if self.durable is not None else {"error": "durable_rules not available"}}


# Columnar ------------------------------------------------------------------------------------

def _columns(dicts: Sequence[Mapping[str, Any]], dates_as_objects: bool = False) -> dict[str, list[Any]]:
    fields = ["weapon", "supplier", "weapon_class", "target_region", "target_type", "self_defense",
              "defended_region", "range_km", "date"]
    fields = [f for f in fields if any(f in d for d in dicts)]
    cols = {f: [d.get(f) for d in dicts] for f in fields}
    if dates_as_objects and "date" in cols:
        cols["date"] = [dt.date.fromisoformat(x) if isinstance(x, str) else x for x in cols["date"]]
    return cols


def _norm_decision(x: Any) -> str:
    if isinstance(x, bool):
        return "allowed" if x else "prohibited"
    v = getattr(x, "value", x)
    return str(v)


def _unpack(res: Any, n: int) -> tuple[list[str], list[str]]:
    """(decisions, rule ids) from whatever a columnar call returns, or ValueError."""
    def pick(names: Sequence[str]) -> Any:
        for name in names:
            if isinstance(res, Mapping) and name in res:
                return res[name]
            if not isinstance(res, Mapping) and hasattr(res, name):
                return getattr(res, name)
        return None

    dec = pick(("decisions", "decision"))
    rules = pick(("rule_ids", "rules", "rule_id", "rule"))
    if dec is None and isinstance(res, (tuple, list)) and len(res) == 2:
        dec, rules = res
    if dec is None or rules is None:
        raise ValueError(f"unrecognised result {type(res).__name__}")
    dec, rules = list(getattr(dec, "tolist", lambda: dec)()), list(getattr(rules, "tolist", lambda: rules)())
    if len(dec) != n or len(rules) != n:
        raise ValueError(f"result has {len(dec)} decisions and {len(rules)} rule ids for {n} strikes")
    return [_norm_decision(x) for x in dec], [str(getattr(r, "id", r)) for r in rules]


def columnar(engine: Engine, dicts: list[dict[str, Any]], truth: list[tuple[str, str]], repeats: int,
             log: Callable[[str], None]) -> dict[str, Any]:
    """Time the columnar API if the library has one (feature-detected), else say "not available"."""
    fn: Callable[[Any], Any] | None = getattr(engine, "evaluate_columns", None)
    how = "engine.evaluate_columns(columns)"
    if fn is None:
        many = engine.evaluate_many
        kw = next((p for p in inspect.signature(many).parameters if "column" in p), None)
        if kw is not None:
            def fn(cols: Any, _kw: str = kw) -> Any:
                return many(**{_kw: cols})
            how = f"engine.evaluate_many({kw}=columns)"
        else:
            probe = _columns(dicts[:3])
            try:
                res = many(probe)
            except (PolicyRulesError, TypeError, ValueError, AttributeError):
                return {"available": False, "why": "no engine.evaluate_columns; evaluate_many takes rows only"}
            if isinstance(res, list) and (not res or isinstance(res[0], Verdict)):
                return {"available": False, "why": "evaluate_many returned verdicts for a mapping of columns"}
            fn, how = many, "engine.evaluate_many(columns)"
    n = len(dicts)
    cols = None
    errors = []
    for as_objects in (False, True):
        c = _columns(dicts, as_objects)
        try:
            _unpack(fn(_columns(dicts[:5], as_objects)), 5)
            cols = c
            break
        except Exception as e:
            errors.append(f"{type(e).__name__}: {e}")
    if cols is None:
        return {"available": True, "how": how, "error": "; ".join(errors)}
    log(f"columns: {how} on {n:,} US strikes x{repeats}")
    secs, res = timed(lambda: fn(cols), repeats)
    dec, rules = _unpack(res, n)
    wrong = sum((a, b) != t for a, b, t in zip(dec, rules, truth))
    return {"available": True, "how": how, **summary([s / n for s in secs]), "n": n, "mismatches": wrong}


# Profile -------------------------------------------------------------------------------------

def _cprofile(fn: Callable[[], Any], calls: int, top: int = 12) -> dict[str, Any]:
    """Own time per evaluate of the top functions, and grouped: durable_rules' C calls, the
    library's Python, Pydantic, the rest. The benchmark's own frames are left out."""
    prof = cProfile.Profile()
    prof.enable()
    fn()
    prof.disable()
    st = pstats.Stats(prof)
    entries = [(k, v) for k, v in st.stats.items() if "benchmarks/" not in k[0]]  # type: ignore[attr-defined]
    total = sum(v[2] for _, v in entries) or 1e-12
    rows = []
    groups: dict[str, float] = {}
    for (file, line, name), (_cc, nc, tt, ct, _callers) in entries:
        short = file.split("/site-packages/")[-1].split("/work/main/")[-1]
        label = name if file == "~" else f"{short}:{line}({name})"
        group = ("durable_rules_engine (C)" if "durable_rules_engine" in name else
                 "pydantic" if "pydantic" in file or "pydantic" in name else
                 "policyrules (Python)" if "policyrules" in file else "other (builtins, json, ...)")
        groups[group] = groups.get(group, 0.0) + tt / calls * 1e6
        rows.append({"function": label, "tottime_us_per_eval": tt / calls * 1e6, "share": tt / total,
                     "calls_per_eval": nc / calls, "cumtime_us_per_eval": ct / calls * 1e6})
    rows.sort(key=lambda r: -r["tottime_us_per_eval"])
    return {"top": rows[:top], "groups_us_per_eval": groups, "total_us_per_eval_under_cprofile": total / calls * 1e6}


def _over(xs: Sequence[Any], fn: Callable[..., Any]) -> Callable[[], int]:
    def run() -> int:
        for x in xs:
            fn(*x)
        return len(xs)
    return run


def _compiled_parts(engine: Engine, S: Sequence[Any]) -> list[Any]:
    """The per-rule-set object (matcher, combiner, ...) the engine uses for each strike."""
    if hasattr(engine, "decider_for"):
        return [engine.decider_for(s.supplier, s.date) for s in S]
    if hasattr(engine, "_routes") and hasattr(engine, "_route"):
        return [engine._routes.get((s.supplier, s.date)) or engine._route(s) for s in S]
    return [engine._compiled_for(engine.version_for(s), s.date) for s in S]


def _noop(*a: Any) -> None:
    return None


class _Done(Exception):  # noqa: N818 - control flow: the stages of the current engine are all set
    pass


try:
    from policyrules.deciding.decider import RuleSetDecider as RuleSetDeciderLike
except ImportError:  # an older layout
    RuleSetDeciderLike = object  # type: ignore[assignment,misc]


def profile_compiled(engine: Engine, pool: StrikeSet, cfg: Config) -> dict[str, Any]:
    """Stage timing of ``Engine.evaluate`` (compiled): each stage the engine goes through, replayed
    alone over the pool, plus cProfile. The library is being changed: the stages are feature-detected
    (the route cache and verdict template of the current engine, or the older version_for /
    _compiled_for / combiner / model_construct path), and any that fails is left out."""
    S, D = pool.strikes, pool.dicts
    out: dict[str, Any] = {}
    stages: dict[str, Callable[[], int]] = {
        "evaluate (total, validated strike)": _over([(s,) for s in S], engine.evaluate),
        "harness: loop + call of a no-op (in every row)": _over([(s,) for s in S], _noop)}
    notes = []
    try:
        from policyrules.model.strike import facts

        if hasattr(engine, "_days") and hasattr(RuleSetDeciderLike, "decide_class"):
            # The current engine: each step of its generated hot path (policyrules/deciding/hotpath.py),
            # replayed alone. A known class is read from the decider's table; matching happens once per class.
            from policyrules.model.slots import private_of

            comps = [engine.decider_for(s.supplier, s.date) for s in S]
            days = engine._days
            bases = [private_of(s)["_base"] for s in S]  # type: ignore[index]
            stages["1 decider: engine._days[supplier].get(date)"] = _over(
                [(b.picker, s.date) for b, s in zip(bases, S)], lambda p, d: days[p].get(d))
            stages["2 class: decider.decide_class(base, numbers) (bisect, table)"] = _over(
                [(c.decide_class, b, (s.range_km, s.depth_km)) for c, b, s in zip(comps, bases, S)],
                lambda fn, b, x: fn(b, x))
            parts = [c.decide_class(b, (s.range_km, s.depth_km)) for c, b, s in zip(comps, bases, S)]
            stages["3 Verdict.of(parts, strike)"] = _over(list(zip(parts, S)), Verdict.of)
            fs = [facts(s) for s in S]
            stages["info, once per class: matcher.match(facts)"] = _over(
                [(c.matcher.match, f) for c, f in zip(comps, fs)], lambda fn, x: fn(x))
            raise _Done
        if hasattr(engine, "_routes") and hasattr(engine, "_route"):
            comps = [engine._routes.get((s.supplier, s.date)) or engine._route(s) for s in S]
            routes = engine._routes
            stages["1 route: engine._routes.get((supplier, date))"] = _over(
                [((s.supplier, s.date),) for s in S], routes.get)
        else:
            versions = [engine.version_for(s) for s in S]
            comps = [engine._compiled_for(v, s.date) for v, s in zip(versions, S)]
            stages["1a engine.strike() (validated: passes through)"] = _over([(s,) for s in S], engine.strike)
            stages["1b engine.version_for()"] = _over([(s,) for s in S], engine.version_for)
            stages["1c engine._compiled_for()"] = _over([(v, s.date) for v, s in zip(versions, S)],
                                                        engine._compiled_for)
        fs = [facts(s) for s in S]
        ms = [c.matcher.match(f) for c, f in zip(comps, fs)]
        stages["2 strike.facts()"] = _over([(s,) for s in S], facts)
        stages["3 matcher.match() (generated function)"] = _over(
            [(c.matcher.match, f) for c, f in zip(comps, fs)], lambda fn, x: fn(x))
        if hasattr(comps[0], "template"):
            stages["4 route.template(matched) (combine; cached per match set)"] = _over(
                [(c.template, m) for c, m in zip(comps, ms)], lambda fn, x: fn(x))
            if hasattr(Verdict, "trusted"):
                ts = [(c.template(m), s) for c, m, s in zip(comps, ms, S)]

                def build(t_: dict[str, Any], s: Any) -> Verdict:
                    fields = dict(t_)
                    fields["strike"] = s
                    return Verdict.trusted(fields)
                stages["5 dict(template) + Verdict.trusted()"] = _over(ts, build)
        else:
            stages["4 combiner()"] = _over([(c.combiner, m) for c, m in zip(comps, ms)], lambda fn, x: fn(x))
            kws = [{k: getattr(v, k) for k in Verdict.model_fields} for v in map(engine.evaluate, S)]
            stages["5 Verdict.model_construct()"] = _over([(kw,) for kw in kws],
                                                          lambda kw: Verdict.model_construct(**kw))
    except _Done:
        pass
    except Exception as e:
        notes.append(f"{type(e).__name__}: {e}")
    stages["dict input: engine.strike(dict) (Pydantic validation)"] = _over([(d,) for d in D], engine.strike)
    t = interleaved(stages, max(3, cfg.repeats // 2), cfg.min_pass_s)
    us = {k: v["median_us"] for k, v in t.items()}
    total = us["evaluate (total, validated strike)"]
    harness = us["harness: loop + call of a no-op (in every row)"]
    parts = sum(v - harness for k, v in us.items() if k[0].isdigit())
    us["rest (total - stages, each stage net of the harness)"] = total - harness - parts
    out["stages_us"] = us
    if notes:
        out["stages_error"] = "; ".join(notes)
    out["cprofile"] = _cprofile(lambda: [engine.evaluate(s) for s in S], len(S))
    return out


def profile_durable(engine: Engine, pool: StrikeSet, cfg: Config) -> dict[str, Any]:
    S = pool.strikes
    out: dict[str, Any] = {}
    try:
        from policyrules.matching import durable as backend
        from policyrules.model.strike import facts

        comps = _compiled_parts(engine, S)
        fs = [facts(s) for s in S]
        pairs = list(zip([c.matcher.match for c in comps], fs))

        def run_match() -> int:
            for f, x in pairs:
                f(x)
            return len(pairs)

        encode = getattr(backend, "encode_fact", None)
        if encode is not None:
            def run_dump() -> int:
                for x in fs:
                    encode(x, 1)
                return len(fs)
            dump_label = "encode_fact(facts) (JSON text of the fact)"
        else:
            def run_dump() -> int:
                for x in fs:
                    backend.dump(x)
                return len(fs)
            dump_label = "dump(facts) (JSON text of the fact)"

        def run_eval() -> int:
            for s in S:
                engine.evaluate(s)
            return len(S)

        t = interleaved({"evaluate (total, validated strike)": run_eval, "matcher.match()": run_match,
                         dump_label: run_dump},
                        max(3, cfg.repeats // 3), cfg.min_pass_s)
        out["stages_us"] = {k: v["median_us"] for k, v in t.items()}
        matched = [len(c.matcher.match(f)) for c, f in zip(comps, fs)]
        out["rules_matched_per_strike"] = sum(matched) / len(matched)
    except Exception as e:
        out["stages_error"] = f"{type(e).__name__}: {e}"
    out["cprofile"] = _cprofile(lambda: [engine.evaluate(s) for s in S], len(S))
    return out


# Report --------------------------------------------------------------------------------------

def _status(value: float, limit: float, unit: str = "x") -> str:
    if value <= limit:
        return f"MET ({value:.2f}{unit} <= {limit:g}{unit})"
    return f"MISSED by {value / limit:.1f}x ({value:.2f}{unit} vs {limit:g}{unit})"


def targets(r: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    lat = r.get("latency", {})
    floor = lat.get("if_elif", {}).get("median_us")
    if floor:
        for key, what in (("compiled.user", "a ProposedStrike built by the user"),
                          ("compiled.validated", "a strike the engine validated"), ("compiled.dict", "a dict")):
            x = lat.get(key, {}).get("median_us")
            if x:
                out.append({"target": f"compiled evaluate({what}) <= 5x if/elif", "value": x / floor,
                            "limit": TARGET_COMPILED, "met": x / floor <= TARGET_COMPILED,
                            "status": _status(x / floor, TARGET_COMPILED), "needs_us": floor * TARGET_COMPILED,
                            "is_us": x})
        many = r.get("evaluate_many", {}).get("compiled.dict", {}).get("median_us")
        if many:
            out.append({"target": "evaluate_many(dicts) per decision <= 3x if/elif", "value": many / floor,
                        "limit": TARGET_MANY, "met": many / floor <= TARGET_MANY,
                        "status": _status(many / floor, TARGET_MANY), "needs_us": floor * TARGET_MANY, "is_us": many})
            out.append({"target": "evaluate_many(dicts) >= 1,000,000 decisions/s", "value": 1e6 / many, "limit": 1e6,
                        "met": many <= TARGET_MANY_US,
                        "status": f"MET ({1e6 / many:,.0f}/s)" if many <= TARGET_MANY_US else
                        f"MISSED by {many / TARGET_MANY_US:.1f}x ({1e6 / many:,.0f}/s)"})
        for key, what in (("columns", "random strikes"), ("columns_sweep", "a sweep")):
            col = r.get(key, {}).get("median_us")
            if col:
                out.append({"target": f"evaluate_columns (Python lists), {what}: <= 1x if/elif per row",
                            "value": col / floor, "limit": TARGET_COLUMNS, "met": col / floor <= TARGET_COLUMNS,
                            "status": _status(col / floor, TARGET_COLUMNS) + f" ({1e6 / col:,.0f}/s)"})
    raw = lat.get("raw_durable", {}).get("median_us")
    dv = lat.get("durable.validated", {}).get("median_us")
    if raw and dv:
        out.append({"target": "durable evaluate(validated) no slower than raw durable_rules post", "value": dv / raw,
                    "limit": TARGET_DURABLE, "met": dv / raw <= TARGET_DURABLE,
                    "status": _status(dv / raw, TARGET_DURABLE), "needs_us": raw * TARGET_DURABLE, "is_us": dv})
    chk = r.get("check")
    if chk is not None:
        if chk.get("error"):
            out.append({"target": "check of the bundled pack (every reading) < 0.5 s", "met": None, "status": f"failed: {chk['error']}"})
        elif chk.get("available"):
            s = chk["median_s"]
            out.append({"target": "check of the bundled pack (every reading) < 0.5 s", "value": s, "limit": TARGET_CHECK_S,
                        "met": s < TARGET_CHECK_S, "status": _status(s, TARGET_CHECK_S, " s")})
        else:
            out.append({"target": "check of the bundled pack (every reading) < 0.5 s", "met": None, "status": "not available"})
    return out


def report(r: dict[str, Any]) -> str:
    lines = []
    lat = r.get("latency", {})
    floor = lat.get("if_elif", {}).get("median_us")
    raw = lat.get("raw_durable", {}).get("median_us")

    def ratio(x: float | None, base: float | None) -> str:
        return f"{x / base:.1f}x" if x and base else "-"

    rows: list[list[str]] = []

    def row(name: str, backend: str, inp: str, s: dict[str, Any] | None, note: str = "") -> None:
        if not s or "median_us" not in s:
            rows.append([name, backend, inp, "-", "-", "-", note or "not measured"])
            return
        rows.append([name, backend, inp, fmt_us(s["median_us"]), f"{fmt_us(s['p25_us'])}-{fmt_us(s['p75_us'])}",
                     ratio(s["median_us"], floor), note])

    if lat:
        row("hand-written if/elif (floor)", "python", "plain dict", lat.get("if_elif"), "verified = library")
        row("harness: loop + call of a no-op", "python", "plain dict", lat.get("harness"), "included in all rows")
        row("raw durable_rules post + pri", "durable.lang", "plain dict", lat.get("raw_durable"), "verified = library")
        row("same rulesets via the C API", "durable C", "plain dict", lat.get("raw_durable_c"),
            "info: durable's floor; verified")
        row("evaluate -> Verdict", "compiled", "ProposedStrike", lat.get("compiled.validated"),
            "engine.strike(d); target <= 5x")
        row("evaluate -> Verdict", "compiled", "ProposedStrike", lat.get("compiled.user"),
            "ProposedStrike(**d) by the user; target <= 5x")
        row("evaluate -> Verdict", "compiled", "dict", lat.get("compiled.dict"), "target <= 5x")
        row("evaluate -> Verdict (all policies)", "compiled", "ProposedStrike",
            lat.get("compiled.validated.all_policies"), "info: mixed suppliers")
        dv = lat.get("durable.validated", {}).get("median_us")
        row("evaluate -> Verdict", "durable", "ProposedStrike", lat.get("durable.validated"),
            f"{ratio(dv, raw)} raw durable; target <= 1x")
        row("evaluate -> Verdict", "durable", "dict", lat.get("durable.dict"), f"{ratio(lat.get('durable.dict', {}).get('median_us'), raw)} raw durable")
    many = r.get("evaluate_many", {})
    for key, label in (("compiled.validated", "ProposedStrike"), ("compiled.dict", "dict"),
                       ("durable.validated", "ProposedStrike")):
        s = many.get(key)
        if s:
            note = f"n={s['n']:,}; {1e6 / s['median_us']:,.0f}/s" + ("; target <= 3x, >= 1M/s"
                                                                      if key == "compiled.dict" else "")
            row("evaluate_many, per decision", key.split(".")[0], label, s, note)
    for key, label in (("columns", "columnar evaluate, per decision"),
                       ("columns_sweep", "columnar sweep, per decision")):
        col = r.get(key)
        if col is None:
            continue
        if col.get("available") and "median_us" in col:
            row(label, "compiled", "columns", col, f"{col['how']}; n={col['n']:,}; {1e6 / col['median_us']:,.0f}/s; "
                f"{col['mismatches']} mismatches")
        else:
            rows.append([label, "compiled", "columns", "-", "-", "-",
                         "not available" if not col.get("available") else f"failed: {col.get('error')}"])
    if rows:
        lines.append("Per decision, microseconds (median over rounds; p25-p75), ratio to the if/elif floor; "
                     f"{lat.get('_pool', '?')} US strikes per pass")
        lines.append(table(["figure", "backend", "input", "median us", "p25-p75", "x floor", "note"], rows,
                           "llrrrrl"))
    chk = r.get("check")
    if chk is not None:
        lines.append("")
        if chk.get("error"):
            lines.append(f"check: failed ({chk['error']})")
        elif chk.get("available"):
            lines.append(f"check (bundled pack, fresh engine each run): median {chk['median_s']:.3f} s "
                         f"(p25-p75 {chk['p25_s']:.3f}-{chk['p75_s']:.3f}, {chk['repeats']} runs); "
                         f"{chk.get('classes')} classes, ok={chk.get('ok')}")
        else:
            lines.append(f"check: not available ({chk.get('why')})")
    mem = r.get("memory")
    if mem:
        lines.append("")
        mrows = []
        for backend, m in mem.items():
            if "error" in m:
                mrows.append([backend, "-", "-", "-", "-", "-", "-", m["error"]])
                continue
            note = f"reduced from {m['reduced_from']:,} (slow)" if m.get("reduced_from") else ""
            mrows.append([backend, f"{m['evaluations']:,}", f"{m['us_per_evaluation']:.1f}", f"{m['rss_at_start_mb']:.1f}",
                          f"{m['rss_after_warmup_mb']:.1f}", f"{m['peak_rss_mb']:.1f}",
                          f"{m['growth_bytes_per_evaluation']:.3f}", note])
        lines.append("Memory, one child process per backend (validated strikes, a pool of 5,000 cycled)")
        lines.append(table(["backend", "evaluations", "us/eval", "RSS start MB", "RSS warm MB", "peak RSS MB",
                            "growth B/eval", "note"], mrows, "lrrrrrrl"))
    churn = r.get("churn")
    if churn:
        lines.append("")
        crows = []
        for backend, m in churn.items():
            if "error" in m:
                crows.append([backend, "-", "-", "-", "-", "-", m["error"]])
                continue
            crows.append([backend, f"{m['engines']:,}", f"{m['ms_per_engine']:.2f}", f"{m['rss_before_mb']:.1f}",
                          f"{m['rss_end_mb']:.1f}", f"{m['growth_mb']:+.1f}", f"{m['growth_bytes_per_engine']:,.0f}"])
        lines.append("Churn, one child process per backend: with_parameters engines, each with a parameter value of "
                     "its own, evaluating one strike, then dropped")
        lines.append(table(["backend", "engines", "ms/engine", "RSS before MB", "RSS after MB", "growth MB",
                            "growth B/engine"], crows, "lrrrrrr"))
    prof = r.get("profile")
    if prof:
        for backend in ("compiled", "durable"):
            p = prof.get(backend, {})
            lines.append("")
            lines.append(f"Profile, {backend} evaluate (median us per strike, each stage replayed alone):")
            if "stages_us" in p:
                for k, v in p["stages_us"].items():
                    lines.append(f"  {k:<58} {fmt_us(v):>8}")
            if "rules_matched_per_strike" in p:
                lines.append(f"  (rules matched per strike: {p['rules_matched_per_strike']:.2f})")
            if "stages_error" in p:
                lines.append(f"  stage timing unavailable: {p['stages_error']}")
            if p.get("cprofile"):
                cp = p["cprofile"]
                lines.append(f"  cProfile ({cp['total_us_per_eval_under_cprofile']:.1f} us/evaluate under the "
                             "profiler, which inflates Python calls): own time by group: " + ", ".join(
                                 f"{k} {v:.1f}" for k, v in sorted(cp["groups_us_per_eval"].items(),
                                                                    key=lambda kv: -kv[1])))
                lines.append("  top functions (us per evaluate, share, calls):")
                for row_ in cp["top"][:8]:
                    lines.append(f"    {row_['tottime_us_per_eval']:7.2f}  {row_['share']:5.1%}  "
                                 f"{row_['calls_per_eval']:5.1f} calls  {row_['function']}")
    tg = targets(r)
    if tg:
        lines.append("")
        lines.append("Targets:")
        for t in tg:
            lines.append(f"  {t['target']:<62} {t['status']}")
    return "\n".join(lines)


def run(cfg: Config, only: Sequence[str], log: Callable[[str], None]) -> dict[str, Any]:
    selected = [f for f in FIGURES if f in only] if only else list(FIGURES)
    for f in list(selected):
        for dep in NEEDS.get(f, ()):
            if dep not in selected:
                selected.insert(0, dep)
    bench = Bench(cfg, log)
    for f in FIGURES:
        if f in selected:
            t0 = time.perf_counter()
            getattr(bench, f)()
            log(f"  {f}: {time.perf_counter() - t0:.1f} s")
    bench.results["figures"] = selected
    bench.results["targets"] = targets(bench.results)
    return bench.results
