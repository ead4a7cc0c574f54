"""The documented limits: each refuses with a one-line RuleFileError naming the file (and the rule,
where there is one) and the bound, at load, on the backend it concerns; ``check --backend``
reports the same; matchers are shared between engines and freed with the last of them.

Refusals here are computed before durable_rules sees anything, so these run in the test process;
the shapes that used to hang or blow up durable_rules are driven in a child process by
``tests/test_durable_limits.py``.
"""

from __future__ import annotations

import gc
import io
import json
from pathlib import Path

import pytest

import policyrules.deciding.evaluator as evaluator
import policyrules.matching as matching
from policyrules import Engine, RuleFileError
from policyrules.cli import main
from policyrules.deciding.combine import Combiner
from policyrules.matching import shared_matchers
from policyrules.matching.durable import live_rulesets
from policyrules.packs.loader import load_pack

from .packs_in_children import rule, strikes_for, write_pack

WIDE = {"all": [{"any": [{"self_defense": True}, {"range_km": {"lt": 1000.0 + i}}]} for i in range(14)]}


@pytest.fixture
def wide_pack(tmp_path: Path) -> Path:
    """A pack with one rule of 16,384 alternatives that can hold together (the limit is 4,096)."""
    return write_pack(tmp_path / "rules", 4, [rule("fine", {"target_region": "ua0"}), rule("wide", WIDE)])


def test_a_rule_beyond_durable_rules_is_refused_at_load_naming_file_rule_line_and_bound(wide_pack: Path) -> None:
    with pytest.raises(RuleFileError) as info:
        Engine.load(wide_pack, backend="durable")
    e = info.value
    assert (e.file, e.rule, e.line) == ("rules/us/v1.yaml", "wide", 21)
    assert str(e) == ("rules/us/v1.yaml:21: rule wide: its durable_rules form needs 16,384 alternatives that can "
                      "hold together; the limit is 4,096; use backend='compiled' or simplify the condition")


def test_the_compiled_backend_takes_what_durable_rules_cannot(wide_pack: Path) -> None:
    engine = Engine.load(wide_pack, backend="compiled")
    assert all(engine.evaluate(s).decision for s in strikes_for(4))


def test_check_with_the_durable_backend_reports_each_rule_durable_rules_cannot_take(wide_pack: Path) -> None:
    report = Engine.load(wide_pack, backend="compiled").check(backend="durable")
    (finding,) = [f for f in report.findings if f.code == "backend-limit"]
    assert (finding.severity.value, finding.file, finding.rule, finding.line) == ("error", "rules/us/v1.yaml", "wide", 21)
    assert finding.message.startswith("its durable_rules form needs 16,384 alternatives")
    assert not report.ok
    assert "backend-limit" not in Engine.load(wide_pack, backend="compiled").check(backend="compiled").codes()
    assert "backend-limit" not in Engine.load(wide_pack, backend="compiled").check().codes()


def test_the_check_command_takes_a_backend_and_exits_1_on_what_it_cannot_take(wide_pack: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    assert main(["check", "--rules", str(wide_pack), "--backend", "durable", "--format", "json"], out=out, err=err) == 1
    codes = [f["code"] for f in json.loads(out.getvalue())["findings"]]
    assert codes.count("backend-limit") == 1
    out = io.StringIO()
    assert main(["check", "--rules", str(wide_pack)], out=out, err=err) == 0
    assert main(["check", "--backend", "durable"], out=io.StringIO(), err=err) == 0  # the bundled pack
    assert err.getvalue() == ""


def test_a_rule_set_beyond_the_rules_limit_is_refused_on_both_backends(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(evaluator, "MAX_RULES_PER_RULE_SET", 3)
    path = write_pack(tmp_path / "rules", 4, [rule(f"r{i}", {"target_region": "ua0"}) for i in range(4)])
    for backend in ("durable", "compiled"):
        with pytest.raises(RuleFileError) as info:
            Engine.load(path, backend=backend)
        assert str(info.value) == "rules/us/v1.yaml: rule set us@v1 has 4 rules (common's and inherited ones included); the limit is 3"


def test_a_pack_beyond_the_rules_limit_is_refused_naming_the_pack(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(evaluator, "MAX_RULES_PER_PACK", 10)
    with pytest.raises(RuleFileError, match=r"^rules: the pack's rule sets hold \d+ rules in all .*; the limit is 10$"):
        Engine(load_pack(), "compiled")


def test_a_pack_beyond_the_durable_rules_of_an_engine_is_refused_at_load(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(evaluator, "MAX_DURABLE_RULES_PER_ENGINE", 12)
    with pytest.raises(RuleFileError, match=r"the pack's durable_rules form needs more than 12 durable rules in all"):
        Engine.load(backend="durable")
    Engine.load(backend="compiled")


def test_a_durable_engine_is_built_at_load_so_a_pack_that_loads_always_evaluates() -> None:
    engine = Engine.load(backend="durable")
    assert len(engine._deciders) == len(list(engine.pack.all_rulesets()))


# Sharing and freeing ----------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["durable", "compiled"])
def test_engines_of_equal_rule_sets_share_matchers_and_the_last_one_frees_them(backend: str) -> None:
    pack = load_pack()
    gc.collect()
    shared, rulesets = shared_matchers(), live_rulesets()
    alive_before = {id(m) for m in matching._shared.values()}  # of engines other tests keep
    a = Engine(pack, backend).prepare()
    b = Engine(load_pack(), backend).prepare()  # another load of the same files
    same = a.with_parameters({"us.long_range_km": 80}).prepare()  # the bundled value
    other = a.with_parameters({"us.long_range_km": 95}).prepare()
    matchers = {rs.key: d.matcher for rs, d in ((rs, a.decider(rs)) for rs in pack.all_rulesets())}
    assert all(b.decider(rs).matcher is matchers[rs.key] for rs in b.pack.all_rulesets())
    assert all(same.decider(rs).matcher is matchers[rs.key] for rs in pack.all_rulesets())
    changed = [rs for rs in pack.all_rulesets() if other.decider(rs).matcher is not matchers[rs.key]]
    assert changed and all(rs.version.policy == "us" for rs in changed)
    grown = live_rulesets() - rulesets
    del a, b, same, matchers
    gc.collect()
    assert {id(m) for m in matching._shared.values()} == alive_before | {id(d.matcher) for d in other._deciders.values()}
    del other, changed
    gc.collect()
    assert (shared_matchers(), live_rulesets()) == (shared, rulesets)
    assert backend == "compiled" or grown > 0


def test_the_combiner_finds_who_overrides_whom_by_id_exactly_as_overrides_rule_says(tmp_path: Path) -> None:
    """Overrides are found through an index of ids (testing every pair took 28 s for 5,000 rules);
    the result is Rule.overrides_rule's, pair by pair, with ``overrides: all`` among them."""
    rules = [rule("a", {"self_defense": True}), {**rule("b", {"target_region": "ua0"}), "overrides": ["a", "d"]},
             {**rule("c", {"target_country": "RU"}), "overrides": "all"}, rule("d", {"range_km": {"gt": 5}})]
    pack = load_pack(write_pack(tmp_path / "rules", 4, rules))
    for rs in [*pack.all_rulesets(), *load_pack().all_rulesets()]:
        combiner = Combiner(rs.rules, rs.version.default)
        for i, r in enumerate(rs.rules):
            beats = combiner._beats[i]
            expected = {j for j, o in enumerate(rs.rules) if r.overrides_rule(o)}
            assert (set(range(len(rs.rules))) - {i} if beats is None else beats) == expected
