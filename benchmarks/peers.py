"""``python -m benchmarks peers``: the references' policy in other rule engines, timed beside the library.

Scope as in :mod:`benchmarks.references`: the US policy (four versions, picked by date in Python, as
the raw durable_rules encoding does) plus the civilian ban, on the benchmark's US strikes. Every
peer is written from one table of rows in first-hit order (:data:`ROWS`, the if/elif's logic),
each in its own idiom: rule-engine ``Rule`` objects tried in order; a zen-engine decision table
(hit policy "first"); Cedar ``permit`` / ``forbid ... unless`` policies read with the library's
precedence over the determining policies (Cedar has no floats: ranges in integer hundredths of a km);
a Rego module of ``else`` chains (regopy, rego-cpp). Each is built once (parsed policies, decision
handles reused), and called the way its users would: one call per strike, and its batch call where
it offers one (zen ``evaluate_batch``, cedarpy ``is_authorized_batch``, Rego a comprehension over a
list input). Before anything is timed, each peer's (decision, rule id) is compared with the library's
on every US strike; a peer that is not installed, fails to build or disagrees is reported and not
timed (the run goes on). Install them with ``pip install -r benchmarks/requirements-peers.txt``.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable, Sequence
from typing import Any

from . import references as ref
from .common import fmt_us, interleaved, summary, table, timed

Plain = dict[str, Any]
Result = tuple[str, str]
# A condition: (field, op, value); op: eq, in, gt, le, true. Fields of the event (the plain strike plus
# target_country and target_category, computed in Python as the raw durable encoding does).
Cond = tuple[str, str, Any]

_ARTILLERY = ("weapon_class", "in", sorted(ref.ARTILLERY))
_SD = ("self_defense", "true", True)
_MIL = ("target_category", "eq", "military")
_BORDER = [("target_region", "in", sorted(ref.BORDER_RU)), _SD, ("defended_region", "in", sorted(ref.BORDER_UA)),
           _ARTILLERY, _MIL, ("range_km", "le", ref.LONG_RANGE_KM)]
_KHARKIV = [("target_region", "eq", "belgorod"), _SD, ("defended_region", "eq", "kharkiv"), _ARTILLERY, _MIL]
_KURSK = [("target_region", "eq", "kursk"), _SD, ("weapon_class", "eq", "ballistic_missile"), _MIL]
_LONG = [[("weapon_class", "in", sorted(ref.LONG_CLASSES))], [("range_km", "gt", ref.LONG_RANGE_KM)]]


def _rows(version: str) -> list[tuple[list[Cond], Result]]:
    """The version's rows in first-hit order (an or of two conditions is two rows)."""
    rows: list[tuple[list[Cond], Result]] = [([("target_category", "eq", "civilian")], ref.CIVILIAN_BAN),
                                              ([("target_country", "eq", "UA")], ref.INSIDE_UKRAINE)]
    if version == "2024-11-17":
        rows.append((_KURSK, ref.KURSK_ATACMS))
    rows += [(c, ref.LONG_BAN) for c in _LONG]
    if version in ("2024-06-20", "2024-11-17"):
        rows.append((_BORDER, ref.BORDER))
    if version == "2024-05-30":
        rows.append((_KHARKIV, ref.KHARKIV))
    rows.append(([("target_country", "eq", "RU")], ref.NO_STRIKES))
    return rows


VERSIONS = ("baseline", "2024-05-30", "2024-06-20", "2024-11-17")
ROWS = {v: _rows(v) for v in VERSIONS}


def version_of(day: dt.date | None) -> str:
    return "2024-11-17" if day is None or day >= ref.V_1117 else "2024-06-20" if day >= ref.V_0620 else \
        "2024-05-30" if day >= ref.V_0530 else "baseline"


def event(f: Plain) -> Plain:
    region, tt = f["target_region"], f["target_type"]
    return {"weapon_class": f["weapon_class"], "target_region": region, "target_type": tt,
            "self_defense": f["self_defense"], "defended_region": f["defended_region"] or "",
            "range_km": f["range_km"], "target_country": "RU" if region in ref.RU_REGIONS else "UA",
            "target_category": ref.CATEGORY.get(tt, "military")}


class Peer:
    name = ""
    batch_note = ""

    def decide(self, f: Plain) -> Result:
        raise NotImplementedError

    def decide_batch(self, fs: Sequence[Plain]) -> list[Result] | None:
        return None  # no batch call


# rule-engine --------------------------------------------------------------------------------

class RuleEngine(Peer):
    name = "rule-engine"

    def __init__(self) -> None:
        import rule_engine

        ctx = rule_engine.Context(default_value=None)

        def text(c: Cond) -> str:
            field, op, v = c
            return {"eq": f"{field} == {json.dumps(v)}", "in": f"{field} in {json.dumps(v)}", "gt": f"{field} > {v}",
                    "le": f"{field} <= {v}", "true": f"{field}"}[op]

        self.rules = {v: [(rule_engine.Rule(" and ".join(map(text, conds)), context=ctx), out)
                          for conds, out in rows] for v, rows in ROWS.items()}

    def decide(self, f: Plain) -> Result:
        e = event(f)
        for rule, out in self.rules[version_of(f["date"])]:
            if rule.matches(e):
                return out
        return (ref.PROHIBITED, "default")


# zen-engine ----------------------------------------------------------------------------------

class Zen(Peer):
    name = "zen-engine"
    batch_note = "ZenEngine.evaluate_batch"

    def __init__(self) -> None:
        import zen

        fields = sorted({c[0] for rows in ROWS.values() for conds, _ in rows for c in conds})

        def cell(c: Cond) -> str:  # a unary test on the column's field
            _, op, v = c
            if op == "in":
                return ", ".join(json.dumps(x) for x in v)
            return {"eq": json.dumps(v), "gt": f"> {v}", "le": f"<= {v}", "true": "true"}[op]

        def model(rows: list[tuple[list[Cond], Result]]) -> dict[str, Any]:
            inputs = [{"id": f"i_{f}", "name": f, "field": f} for f in fields]
            outputs = [{"id": "o_decision", "name": "decision", "field": "decision"},
                       {"id": "o_rule", "name": "rule", "field": "rule"}]
            table_rows = []
            for i, (conds, (decision, rule)) in enumerate(rows):
                r = {"_id": f"r{i}", **{f"i_{f}": "" for f in fields}, "o_decision": json.dumps(decision),
                     "o_rule": json.dumps(rule)}
                for c in conds:
                    r[f"i_{c[0]}"] = cell(c)
                table_rows.append(r)
            pos = {"x": 0, "y": 0}
            return {"nodes": [{"id": "in", "type": "inputNode", "name": "strike", "position": pos},
                              {"id": "table", "type": "decisionTableNode", "name": "us", "position": pos,
                               "content": {"hitPolicy": "first", "inputs": inputs, "outputs": outputs,
                                           "rules": table_rows}},
                              {"id": "out", "type": "outputNode", "name": "verdict", "position": pos}],
                    "edges": [{"id": "e1", "sourceId": "in", "targetId": "table", "type": "edge"},
                              {"id": "e2", "sourceId": "table", "targetId": "out", "type": "edge"}]}

        content = {f"us-{v}.json": model(rows) for v, rows in ROWS.items()}
        self.engine = zen.ZenEngine({"loader": {"type": "static", "content": content}})
        self.decisions = {v: self.engine.get_decision(f"us-{v}.json") for v in VERSIONS}

    def decide(self, f: Plain) -> Result:
        r = self.decisions[version_of(f["date"])].evaluate(event(f))["result"]
        return (r["decision"], r["rule"])

    def decide_batch(self, fs: Sequence[Plain]) -> list[Result]:
        out = self.engine.evaluate_batch([{"key": f"us-{version_of(f['date'])}.json", "context": event(f)}
                                          for f in fs])
        return [(r["data"]["result"]["decision"], r["data"]["result"]["rule"]) for r in out]


# Cedar (cedarpy) -----------------------------------------------------------------------------

class Cedar(Peer):
    name = "cedarpy"
    batch_note = "cedarpy.is_authorized_batch"
    # The library's precedence over Cedar's determining policies (Cedar reports every one that held).
    PRECEDENCE = ("common-civilian-target-ban", "us-long-range-ban", "us-no-strikes-in-russia")

    def __init__(self) -> None:
        import cedarpy

        self.cedarpy = cedarpy

        def cond(c: Cond) -> str:
            field, op, v = c
            x = f"context.{field}"
            if field == "range_km":
                return f"{x} {'>' if op == 'gt' else '<='} {round(v * 100)}"
            return {"eq": f"{x} == {json.dumps(v)}", "in": f"{json.dumps(v)}.contains({x})",
                    "true": f"{x}"}[op]

        def all_of(conds: list[Cond]) -> str:
            return " && ".join(f"({cond(c)})" for c in conds)

        def policies(version: str) -> tuple[str, list[str]]:
            exceptions = [(c, out) for c, out in ROWS[version] if out[0] == ref.ALLOWED and out != ref.INSIDE_UKRAINE]
            ids = ["common-civilian-target-ban", "us-inside-ukraine"]
            texts = ['forbid (principal, action, resource) when { context.target_category == "civilian" };',
                     'permit (principal, action, resource) when { context.target_country == "UA" };']
            for conds, (_, rule) in exceptions:
                ids.append(rule)
                texts.append(f"permit (principal, action, resource) when {{ {all_of(conds)} }};")
            kursk = [all_of(c) for c, out in exceptions if out == ref.KURSK_ATACMS]
            long_ = " || ".join(f"({all_of(c)})" for c in _LONG)
            ids.append("us-long-range-ban")
            texts.append(f'forbid (principal, action, resource) when {{ context.target_country == "RU" && ({long_}) }}'
                         + (f" unless {{ {kursk[0]} }};" if kursk else ";"))
            ids.append("us-no-strikes-in-russia")
            unless = " || ".join(f"({all_of(c)})" for c, _ in exceptions)
            texts.append('forbid (principal, action, resource) when { context.target_country == "RU" }'
                         + (f" unless {{ {unless} }};" if unless else ";"))
            return "\n".join(f'@id("{i}")\n{t}' for i, t in zip(ids, texts)), ids

        self.sets = {}
        self.ids: dict[str, dict[str, str]] = {}
        for v in VERSIONS:
            text, ids = policies(v)
            self.sets[v] = cedarpy.PolicySet.from_str(text) if hasattr(cedarpy, "PolicySet") else text
            self.ids[v] = {f"policy{i}": rid for i, rid in enumerate(ids)} | {rid: rid for rid in ids}
        self.entities = cedarpy.Entities.from_json_str("[]") if hasattr(cedarpy, "Entities") else "[]"

    @staticmethod
    def request(f: Plain) -> dict[str, Any]:
        e = event(f)
        e["range_km"] = round(e["range_km"] * 100)  # Cedar has no floats: hundredths of a km
        return {"principal": 'Ukraine::"armed-forces"', "action": 'Action::"strike"',
                "resource": f'Target::"{e["target_region"]}"', "context": e}

    def _result(self, r: Any, version: str) -> Result:
        reasons = {self.ids[version].get(p, p) for p in r.diagnostics.reasons}
        if r.allowed:
            allowed = sorted(reasons)
            return (ref.ALLOWED, allowed[0] if len(allowed) == 1 else "+".join(allowed))
        for rid in self.PRECEDENCE:
            if rid in reasons:
                return (ref.PROHIBITED, rid)
        return (ref.PROHIBITED, "default")

    def decide(self, f: Plain) -> Result:
        v = version_of(f["date"])
        return self._result(self.cedarpy.is_authorized(self.request(f), self.sets[v], self.entities), v)

    def decide_batch(self, fs: Sequence[Plain]) -> list[Result]:
        by_version: dict[str, list[int]] = {}
        for i, f in enumerate(fs):
            by_version.setdefault(version_of(f["date"]), []).append(i)
        out: list[Result] = [(ref.PROHIBITED, "")] * len(fs)
        for v, idx in by_version.items():
            results = self.cedarpy.is_authorized_batch([self.request(fs[i]) for i in idx], self.sets[v], self.entities)
            for i, r in zip(idx, results):
                out[i] = self._result(r, v)
        return out


# Rego (regopy) -------------------------------------------------------------------------------

class Rego(Peer):
    name = "regopy (Rego)"
    batch_note = "one query over a list input (a comprehension)"

    def __init__(self) -> None:
        from regopy import Interpreter

        def cond(c: Cond) -> str:
            field, op, v = c
            x = f"s.{field}"
            return {"eq": f"{x} == {json.dumps(v)}", "in": f"{x} in {json.dumps(v)}", "gt": f"{x} > {v}",
                    "le": f"{x} <= {v}", "true": f"{x} == true"}[op]

        def module(version: str) -> str:
            pkg = "us_" + version.replace("-", "_")
            lines = [f"package {pkg}", "", "import rego.v1", ""]
            for i, (conds, (decision, rule)) in enumerate(ROWS[version]):
                head = "decide(s) := " if i == 0 else "else := "
                lines.append(f'{head}["{decision}", "{rule}"] if {{')
                lines += [f"\t{cond(c)}" for c in conds]
                lines.append("}")
            lines.append('else := ["prohibited", "default"]')
            lines += ["", "result := decide(input)", "", "results := [decide(s) | some s in input.strikes]"]
            return "\n".join(lines) + "\n"

        self.interpreters = {}
        for v in VERSIONS:  # each query compiled once into a bundle, then queried per input
            rego = Interpreter()
            rego.add_module(f"us_{v}", module(v))
            pkg = "data.us_" + v.replace("-", "_")
            self.interpreters[v] = (rego, rego.build(f"{pkg}.result"), rego.build(f"{pkg}.results"))

    @staticmethod
    def _value(out: Any) -> Any:
        got = json.loads(str(out))
        return got["expressions"][0] if isinstance(got, dict) else got[0]["expressions"][0]

    def decide(self, f: Plain) -> Result:
        rego, single, _ = self.interpreters[version_of(f["date"])]
        rego.set_input_term(json.dumps(event(f)))
        d, r = self._value(rego.query_bundle(single))
        return (d, r)

    def decide_batch(self, fs: Sequence[Plain]) -> list[Result]:
        by_version: dict[str, list[int]] = {}
        for i, f in enumerate(fs):
            by_version.setdefault(version_of(f["date"]), []).append(i)
        out: list[Result] = [(ref.PROHIBITED, "")] * len(fs)
        for v, idx in by_version.items():
            rego, _, many = self.interpreters[v]
            rego.set_input_term(json.dumps({"strikes": [event(fs[i]) for i in idx]}))
            for i, (d, r) in zip(idx, self._value(rego.query_bundle(many))):
                out[i] = (d, r)
        return out


# raw durable_rules (the existing reference) ---------------------------------------------------

class RawDurable(Peer):
    name = "raw durable_rules post"

    def __init__(self) -> None:
        self.raw = ref.RawDurable()

    def decide(self, f: Plain) -> Result:
        return self.raw.decide(f)


PEERS: tuple[type[Peer], ...] = (RuleEngine, Zen, Cedar, Rego, RawDurable)


# The run -------------------------------------------------------------------------------------

def run(quick: bool, seed: int, log: Callable[[str], None]) -> dict[str, Any]:
    from policyrules import Engine
    from policyrules.packs.loader import load_pack

    from .strikes import random_strikes, validated

    pack = load_pack()
    engine = Engine(pack, "compiled")
    all_ = validated(engine, random_strikes(pack, 5_000 if quick else 20_000, seed))
    us = all_.subset([ref.covered(s) for s in all_.strikes])
    truth = [(v.decision.value, v.rule.id) for v in map(engine.evaluate, us.strikes)]
    plain = [ref.plain(s) for s in us.strikes]
    log(f"peers: {len(plain)} US strikes (seed {seed}); checking every peer against the library ...")
    ref.verify("if/elif", ref.decide, us.strikes, truth)
    out: dict[str, Any] = {"strikes": len(plain), "peers": {}}
    ready: dict[str, Peer] = {}
    for cls in PEERS:
        info: dict[str, Any] = {}
        out["peers"][cls.name] = info
        try:
            peer = cls()
        except ImportError as e:
            info["status"] = f"not installed ({e.name or e}): pip install -r benchmarks/requirements-peers.txt"
            continue
        except Exception as e:
            info["status"] = f"could not be built: {type(e).__name__}: {str(e)[:200]}"
            continue
        try:
            wrong = [(f, want, got) for f, want in zip(plain, truth) if (got := peer.decide(f)) != want]
            batch = peer.decide_batch(plain)
            wrong_batch = 0 if batch is None else sum(a != b for a, b in zip(batch, truth))
        except Exception as e:
            info["status"] = f"failed: {type(e).__name__}: {str(e)[:200]}"
            continue
        if wrong or wrong_batch:
            f, want, got = wrong[0] if wrong else (None, None, None)
            info["status"] = (f"DISAGREES with the library on {len(wrong)} strikes ({wrong_batch} in its batch call); "
                              f"not timed; first: {f} library {want} peer {got}")
            continue
        info["status"] = f"verified: same decision and rule id on all {len(plain)} strikes" + \
            (" (and in its batch call)" if batch is not None else "")
        ready[cls.name] = peer
    k = 300 if quick else 1_000
    pool = plain[:k]
    dicts = us.dicts[:k]

    def loop(fn: Callable[[Any], Any], xs: Sequence[Any]) -> Callable[[], int]:
        def go() -> int:
            for x in xs:
                fn(x)
            return len(xs)
        return go

    passes: dict[str, Callable[[], int]] = {"if/elif (floor)": loop(ref.decide, pool),
                                            "policyrules compiled evaluate(dict)": loop(engine.evaluate, dicts)}

    def many() -> int:
        engine.evaluate_many(dicts)
        return len(dicts)
    passes["policyrules compiled evaluate_many(dicts)"] = many
    for name, peer in ready.items():
        passes[name] = loop(peer.decide, pool)
    log(f"peers: timing {len(passes)} contenders, interleaved, on {len(pool)} strikes ...")
    out["single"] = interleaved(passes, 3 if quick else 7, 0.05)
    out["batch"] = {}
    for name, peer in ready.items():
        if peer.decide_batch(pool[:2]) is None:
            continue
        secs, _ = timed(lambda p=peer: p.decide_batch(pool), 3 if quick else 5)  # type: ignore[misc]
        out["batch"][name] = {**summary([s / len(pool) for s in secs]), "how": peer.batch_note}
    out["pool"] = len(pool)
    return out


def report(r: dict[str, Any]) -> str:
    floor = r["single"]["if/elif (floor)"]["median_us"]
    rows = []
    for name, s in r["single"].items():
        how = "batch: one call for the pool" if "evaluate_many" in name else "one call per strike"
        rows.append([name, how, fmt_us(s["median_us"]), f"{s['median_us'] / floor:.1f}x"])
    for name, s in r.get("batch", {}).items():
        rows.append([name, f"batch: {s['how']}", fmt_us(s["median_us"]), f"{s['median_us'] / floor:.1f}x"])
    rows.sort(key=lambda x: float(x[2]))
    lines = [(f"Peers: the US policy (four versions) + the civilian ban, {r['strikes']} US strikes checked, "
             f"{r['pool']} timed (median us per decision; ratio to the if/elif)"),
             table(["contender", "how", "median us", "x floor"], rows, "llrr"), ""]
    for name, info in r["peers"].items():
        lines.append(f"  {name}: {info['status']}")
    return "\n".join(lines)


def main(quick: bool, seed: int, log: Callable[[str], None]) -> tuple[dict[str, Any], str]:
    t0 = time.perf_counter()
    r = run(quick, seed, log)
    r["seconds"] = time.perf_counter() - t0
    return r, report(r)
