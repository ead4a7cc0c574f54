"""Two reference encodings of the bundled pack's US policy (four versions, by date) plus common.

Scope: strikes whose policy is ``us`` (supplier US). Both encodings are written by hand from
``rules/us/*.yaml`` and ``rules/common/v1.yaml``; neither reads the rule files. Both return
``(decision, rule_id)`` as strings and are verified against the library's compiled backend
on every benchmark strike they cover before anything is timed (:func:`verify`).

(a) :func:`decide`: a hand-written if/elif function over the strike's fields: the floor.
(b) :class:`RawDurable`: the same policy as durable_rules rulesets written with
    ``durable.lang`` (``ruleset``, ``when_all``, ``pri``, a catch-all) and decided with
    ``post``: one ruleset per US version, the version picked by date in Python. Exceptions
    get a lower ``pri`` (they fire first); the event is consumed by the first action.
    Private setup: the rulesets are registered on a private ``durable.engine.Host`` whose
    timer threads never start, and removed from ``durable.lang``'s module registry at once,
    so durable.lang's process-wide host is never created and nothing clashes with the
    library (which uses durable_rules_engine handles directly).

Inputs are "plain" strikes (:func:`plain`): the validated strike's fields as plain values
(weapon_class, target_region, target_type as strings; self_defense; defended_region or None;
range_km; date as a datetime.date or None). The derived fields (country, category) are
computed inside each encoding, as a hand-written program would.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable
from typing import Any

from policyrules import ProposedStrike

ALLOWED, PROHIBITED = "allowed", "prohibited"

# From rules/catalog.yaml (verified: a wrong copy fails verification).
RU_REGIONS = frozenset({"belgorod", "bryansk", "krasnodar", "kursk", "lipetsk", "moscow", "moscow_oblast", "oryol",
                        "rostov", "saratov", "tambov", "voronezh"})
CATEGORY = {"energy_infrastructure": "dual_use", "civilian": "civilian"}  # every other type: military
LONG_CLASSES = frozenset({"ballistic_missile", "cruise_missile"})
ARTILLERY = frozenset({"tube_artillery", "rocket_artillery"})
BORDER_RU = frozenset({"belgorod", "kursk", "bryansk", "voronezh", "rostov"})
BORDER_UA = frozenset({"kharkiv", "sumy", "chernihiv", "luhansk", "donetsk"})
LONG_RANGE_KM = 80.0  # us.long_range_km
V_0530, V_0620, V_1117 = dt.date(2024, 5, 30), dt.date(2024, 6, 20), dt.date(2024, 11, 17)

CIVILIAN_BAN = (PROHIBITED, "common-civilian-target-ban")
INSIDE_UKRAINE = (ALLOWED, "us-inside-ukraine")
NO_STRIKES = (PROHIBITED, "us-no-strikes-in-russia")
LONG_BAN = (PROHIBITED, "us-long-range-ban")
KHARKIV = (ALLOWED, "us-kharkiv-counterfire")
BORDER = (ALLOWED, "us-border-counterfire")
KURSK_ATACMS = (ALLOWED, "us-kursk-atacms")
AIR_DEFENSE = (ALLOWED, "us-air-defense-over-russia")
TARGET_LIMIT = (PROHIBITED, "us-counterfire-target-limit")
LIMITED_TYPES = frozenset({"air_defense", "airfield", "aircraft", "logistics"})  # us-counterfire-target-limit


def plain(s: ProposedStrike) -> dict[str, Any]:
    wc = s.weapon_class
    return {"weapon_class": wc.value if wc is not None else None, "supplier": s.supplier,
            "target_region": s.target_region, "target_type": s.target_type.value,
            "self_defense": s.self_defense, "defended_region": s.defended_region,
            "range_km": s.range_km, "date": s.date}


def covered(s: ProposedStrike) -> bool:
    """The strikes the references encode: those judged by the US policy."""
    return s.supplier == "US"


# (a) if/elif --------------------------------------------------------------------------------


def decide(f: dict[str, Any]) -> tuple[str, str]:
    """US policy + common, by date. ``f``: a plain strike (see module doc)."""
    tt = f["target_type"]
    if tt == "civilian":                       # common-civilian-target-ban overrides all
        return CIVILIAN_BAN
    region = f["target_region"]
    if region not in RU_REGIONS:               # target_country UA: allowed in every version
        return INSIDE_UKRAINE
    wc = f["weapon_class"]
    if wc == "air_defense" and tt == "aircraft":  # every version: overrides the bans
        return AIR_DEFENSE
    rng = f["range_km"]
    military = tt not in CATEGORY
    day = f["date"]
    sd = f["self_defense"]
    if (day is None or day >= V_1117) and region == "kursk" and sd and wc == "ballistic_missile" and military:
        return KURSK_ATACMS                    # 2024-11-17: + ATACMS in Kursk
    if wc in LONG_CLASSES or rng > LONG_RANGE_KM:
        return LONG_BAN
    if day is not None and day < V_0530:       # baseline (from 2022-02-24)
        return NO_STRIKES
    if day is not None and day < V_0620:       # 2024-05-30: counter-fire from Kharkiv into Belgorod
        exception = KHARKIV if region == "belgorod" and f["defended_region"] == "kharkiv" else None
    else:                                      # 2024-06-20: counter-fire across the whole border
        exception = BORDER if region in BORDER_RU and f["defended_region"] in BORDER_UA else None
    if exception is not None and sd and wc in ARTILLERY and military:
        # the exception beats no-strikes; the target limit beats the exception
        return TARGET_LIMIT if tt in LIMITED_TYPES else exception
    return NO_STRIKES


# (b) raw durable_rules ----------------------------------------------------------------------

_instances = itertools.count()


class RawDurable:
    """The US policy + common as four durable.lang rulesets on a private host; ``decide`` posts."""

    def __init__(self) -> None:
        from durable import engine as d_engine
        from durable import lang as d

        class QuietHost(d_engine.Host):  # type: ignore[misc]
            def _run(self) -> None:  # no background timer threads: this host is driven by post only
                pass

        self.host = QuietHost()
        out: list[tuple[str, str] | None] = [None]
        self._out = out
        tag = next(_instances)
        m = d.m

        def action(result: tuple[str, str]) -> Any:
            def run(c: Any) -> None:
                out[0] = result
            return run

        results: list[tuple[str, str]] = []  # of the ruleset being defined, in rule order (r_0, r_1, ...)

        def rule(pri: int, cond: Any, result: tuple[str, str]) -> None:
            d.when_all(d.pri(pri), cond)(action(result))
            results.append(result)

        ru = m.target_country == "RU"
        artillery = (m.weapon_class == "tube_artillery") | (m.weapon_class == "rocket_artillery")
        long_range = (m.weapon_class == "ballistic_missile") | (m.weapon_class == "cruise_missile") \
            | (m.range_km > LONG_RANGE_KM)

        def common_and_baseline() -> None:
            rule(1, m.target_category == "civilian", CIVILIAN_BAN)
            rule(2, m.target_country == "UA", INSIDE_UKRAINE)
            rule(3, ru & (m.weapon_class == "air_defense") & (m.target_type == "aircraft"), AIR_DEFENSE)
            rule(90, ru, NO_STRIKES)
            rule(99, +m.target_type, (PROHIBITED, "default"))  # catch-all: every event is handled

        def either(field: str, values: Iterable[str]) -> Any:
            out = None
            for v in sorted(values):
                out = (getattr(m, field) == v) if out is None else out | (getattr(m, field) == v)
            return out

        def exception(where: Any, result: tuple[str, str]) -> None:
            """A counter-fire exception (beats no-strikes), and the target limit that beats it."""
            cond = where & (m.self_defense == True) & artillery & (m.target_category == "military")
            rule(15, cond & either("target_type", LIMITED_TYPES), TARGET_LIMIT)
            rule(20, cond, result)

        def border_rule() -> None:
            exception(either("target_region", BORDER_RU) & either("defended_region", BORDER_UA)
                      & (m.range_km <= LONG_RANGE_KM), BORDER)

        def baseline() -> None:
            common_and_baseline()
            rule(10, ru & long_range, LONG_BAN)

        def v0530() -> None:
            baseline()
            exception((m.target_region == "belgorod") & (m.defended_region == "kharkiv"), KHARKIV)

        def v0620() -> None:
            baseline()
            border_rule()

        def v1117() -> None:
            common_and_baseline()
            rule(5, (m.target_region == "kursk") & (m.self_defense == True)
                 & (m.weapon_class == "ballistic_missile") & (m.target_category == "military"), KURSK_ATACMS)
            rule(10, ru & long_range, LONG_BAN)
            border_rule()

        self.names: dict[str, str] = {}
        specs = {"baseline": baseline, "2024-05-30": v0530, "2024-06-20": v0620, "2024-11-17": v1117}
        definitions = {}
        self.rule_results: dict[str, list[tuple[str, str]]] = {}
        for version, build in specs.items():
            name = f"policyrules-benchmark.us.{version}.{tag}"
            rs = d.ruleset(name)
            results.clear()
            try:
                with rs:
                    build()
            finally:
                d._rulesets.pop(name, None)  # never reaches durable.lang's global host
            full_name, definition = rs.define()
            definitions[full_name] = definition
            self.names[version] = full_name
            self.rule_results[version] = list(results)
        self.host.register_rulesets(definitions)  # (removes each rule's "run" from the definitions)
        self._definitions = definitions
        self._baseline, self._v0530 = self.names["baseline"], self.names["2024-05-30"]
        self._v0620, self._v1117 = self.names["2024-06-20"], self.names["2024-11-17"]

    def decide(self, f: dict[str, Any]) -> tuple[str, str]:
        day = f["date"]
        name = self._v1117 if day is None or day >= V_1117 else self._v0620 if day >= V_0620 else \
            self._v0530 if day >= V_0530 else self._baseline
        region, tt = f["target_region"], f["target_type"]
        event = {"weapon_class": f["weapon_class"], "target_region": region, "target_type": tt,
                 "self_defense": f["self_defense"], "range_km": f["range_km"],
                 "target_country": "RU" if region in RU_REGIONS else "UA",
                 "target_category": CATEGORY.get(tt, "military")}
        if f["defended_region"] is not None:  # no nulls: durable_rules mis-matches after one
            event["defended_region"] = f["defended_region"]
        self._out[0] = None
        self.host.post(name, event)
        return self._out[0]  # type: ignore[return-value]


class RawDurableC:
    """The very same rulesets (:class:`RawDurable`'s definitions) driven through durable_rules'
    C functions, as the library's backend does: ``assert_event``, ``start_action_for_state``,
    ``complete_and_start_action``, no durable.lang host. Information only: the lower bound of
    what a durable_rules-based evaluation can cost in Python."""

    def __init__(self, lang_encoding: RawDurable) -> None:
        import json

        import durable_rules_engine as dre

        self._dre = dre
        self._json = json.dumps
        tag = next(_instances)
        self.handles: dict[str, Any] = {}
        self.results: dict[str, dict[str, tuple[str, str]]] = {}
        for version, name in lang_encoding.names.items():
            definition = lang_encoding._definitions[name]
            self.handles[version] = dre.create_ruleset(f"policyrules-benchmark.c.{version}.{tag}",
                                                       json.dumps(definition))
            self.results[version] = {f"r_{i}": r for i, r in enumerate(lang_encoding.rule_results[version])}

    def decide(self, f: dict[str, Any]) -> tuple[str, str]:
        day = f["date"]
        version = "2024-11-17" if day is None or day >= V_1117 else "2024-06-20" if day >= V_0620 else \
            "2024-05-30" if day >= V_0530 else "baseline"
        h = self.handles[version]
        region, tt = f["target_region"], f["target_type"]
        event = {"weapon_class": f["weapon_class"], "target_region": region, "target_type": tt,
                 "self_defense": f["self_defense"], "range_km": f["range_km"],
                 "target_country": "RU" if region in RU_REGIONS else "UA",
                 "target_category": CATEGORY.get(tt, "military")}
        if f["defended_region"] is not None:
            event["defended_region"] = f["defended_region"]
        dre = self._dre
        res = dre.assert_event(h, self._json(event))
        if res[0] != 0:
            raise RuntimeError(f"durable_rules answered {res[0]}")
        action = dre.start_action_for_state(h, res[1])
        message = action[1]  # '{"r_3": {"m": {...}}}'
        out = self.results[version][message[2:message.index('"', 2)]]
        dre.complete_and_start_action(h, res[1])
        return out


# Verification --------------------------------------------------------------------------------


class VerificationError(SystemExit):
    pass


def verify(name: str, fn: Any, strikes: Iterable[ProposedStrike], truth: Iterable[tuple[str, str]]) -> int:
    """Every (decision, rule id) of ``fn`` equals the library's; abort with the first mismatches if not."""
    bad = []
    n = 0
    for s, want in zip(strikes, truth):
        n += 1
        got = fn(plain(s))
        if got != want:
            bad.append((s, want, got))
    if bad:
        head = (f"ABORT: the {name} reference disagrees with the compiled backend on {len(bad)} of {n} "
                "strikes; fix benchmarks/references.py (or the pack changed). First ones:")
        lines = [head]
        for s, want, got in bad[:5]:
            lines.append(f"  {s.model_dump(mode='json', exclude={'target_country', 'target_category'})}")
            lines.append(f"    library: {want}  reference: {got}")
        raise VerificationError("\n".join(lines))
    return n
