"""``depth_km``, the optional number added through the registry: how far inside the target's country the
target lies. A strike without it is judged as before; a rule that tests it does not hold for such a strike,
and analysis treats "not given" as a class of its own."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent
from typing import Any

import pytest
from hypothesis import given, settings

from policyrules import Decision, Engine
from policyrules.analysis.partition import partitions
from policyrules.model.strike import facts
from policyrules.strategies import class_strikes, strikes

from .helpers import TINY_CATALOG, write_files

SRC = 'source: {url: "https://example.org/a", quote: "a quote"}'


def version(name: str, start: str, depth: float, extends: str | None = None) -> str:
    head = f"policy: us\nversion: {name}\ntitle: t\neffective_from: {start}\n"
    head += f"extends: {extends}\n" if extends else "default: prohibited\n"
    return head + dedent(f"""\
        parameters: {{max_depth_km: {depth}}}
        rules:
          - {{id: inside-ukraine, title: t, effect: allowed, when: {{target_country: UA}}, {SRC}}}
          - {{id: near-border, title: t, effect: allowed, {SRC},
              when: {{target_country: RU, depth_km: {{le: {{param: max_depth_km}}}}}}}}
        """)


@pytest.fixture(scope="module")
def rules(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("depth") / "rules"
    return write_files(root, {"us/v1.yaml": version("v1", "2024-01-01", 30),
                              "us/v2.yaml": version("v2", "2024-06-01", 100, extends="v1")}, TINY_CATALOG)


@pytest.fixture(scope="module", params=["durable", "compiled"])
def engine(rules: Path, request: pytest.FixtureRequest) -> Engine:
    return Engine.load(rules, backend=request.param)


STRIKE: dict[str, Any] = {"weapon": "HIMARS", "target_region": "belgorod", "target_type": "troops",
                          "range_km": 60, "date": "2024-03-01"}


@pytest.mark.parametrize(("depth", "decision", "rule"), [
    (10, Decision.ALLOWED, "near-border"), (30, Decision.ALLOWED, "near-border"),
    (30.5, Decision.PROHIBITED, "default"), (None, Decision.PROHIBITED, "default"),
])
def test_a_rule_on_depth_holds_only_for_a_strike_that_gives_a_depth_within_it(
        engine: Engine, depth: float | None, decision: Decision, rule: str) -> None:
    strike = {**STRIKE, **({"depth_km": depth} if depth is not None else {})}
    v = engine.evaluate(strike)
    assert (v.decision, v.rule.id) == (decision, rule)
    assert v.strike.depth_km == depth
    assert facts(v.strike)["depth_km"] == depth


def test_depth_is_checked_like_the_range(engine: Engine) -> None:
    with pytest.raises(ValueError, match="depth_km: Input should be greater than or equal to 0"):
        engine.evaluate({**STRIKE, "depth_km": -1})


def test_check_gives_depth_a_class_of_its_own_for_strikes_without_it(engine: Engine) -> None:
    report = engine.check()
    assert report.ok, report.to_text()
    p1, _ = partitions(engine.resolved)
    assert (("depth_km", None),) in p1.choices("depth")
    assert {k[0][1].hi for k in p1.choices("depth") if k and k[0][1] is not None} >= {30.0}


def test_diff_words_the_depth(engine: Engine) -> None:
    text = engine.diff("us@v1", "us@v2").to_text()
    assert "depth > 30 and <= 100 km: prohibited -> allowed, by near-border (was default)" in text


def test_why_not_and_partial_name_the_depth(engine: Engine) -> None:
    report = engine.why_not({**STRIKE, "depth_km": 50})
    assert [str(a) for a in report.alternatives if a.changes[0].field == "depth_km"] == \
        ["allowed if depth_km were <= 30 (near-border)"]
    partial = engine.evaluate_partial({k: v for k, v in STRIKE.items() if k != "depth_km"})
    assert partial.missing == ("depth_km",)
    assert [p.description for p in partial.possibilities if p.decision is Decision.ALLOWED] == ["depth <= 30 km"]


def test_columns_take_a_depth_column_with_gaps(engine: Engine) -> None:
    rows = [{**STRIKE, "depth_km": d} for d in (10.0, None, 50.0)]
    cols = {k: [r.get(k) for r in rows] for k in rows[0]}
    got = engine.evaluate_columns(cols)
    assert got.rules == [engine.evaluate({k: v for k, v in r.items() if v is not None}).rule.id for r in rows]
    assert got.rules == ["near-border", "default", "default"]


def test_drawn_strikes_sometimes_give_a_depth_and_the_backends_agree(rules: Path) -> None:
    durable, compiled = Engine.load(rules), Engine.load(rules, backend="compiled")
    seen: set[bool] = set()

    @settings(max_examples=80, database=None)
    @given(strikes(compiled) | class_strikes(compiled))
    def agree(strike: dict[str, Any]) -> None:
        seen.add("depth_km" in strike)
        a, b = durable.evaluate(strike), compiled.evaluate(strike)
        assert (a.decision, a.rule.id, a.matched) == (b.decision, b.rule.id, b.matched)

    agree()
    assert seen == {True, False}
