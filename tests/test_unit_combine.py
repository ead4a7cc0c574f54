"""``policyrules.deciding.combine`` on its own: the combining rule (SPEC "Rule files").

Overridden rules lose; one effect among the rest decides, the first of them in rule-set order
fires; disagreement is a conflict decided ``prohibited`` by the first prohibiting rule; nothing
matched (or everything overridden) falls to the policy default."""

from __future__ import annotations

from typing import Literal

from policyrules.deciding.combine import Combiner, Outcome
from policyrules.language.conditions import ALWAYS
from policyrules.model.domain import Basis, Decision
from policyrules.model.sources import Source
from policyrules.packs.pack import Rule

A, P = Decision.ALLOWED, Decision.PROHIBITED
SOURCE = Source(document="a.txt", quote="q")


def rule(rid: str, effect: Decision, overrides: frozenset[str] | Literal["all"] = frozenset()) -> Rule:
    return Rule(id=rid, title=rid, effect=effect, when=ALWAYS, overrides=overrides, source=SOURCE,
                basis=Basis.SEED, policy="us", file="us.yaml")


# 0: allow in Ukraine; 1: ban in Russia; 2: counter-fire, overrides 1; 3: another ban;
# 4: an emergency rule overriding everything; 5: a second allow.
RULES = [rule("ua", A), rule("ru-ban", P), rule("counterfire", A, frozenset({"ru-ban"})), rule("ban-2", P),
         rule("emergency", A, "all"), rule("ua-2", A)]


def combine(matched: tuple[int, ...], default: Decision = P) -> Outcome:
    return Combiner(RULES, default)(matched)


def test_nothing_matched_falls_to_the_default() -> None:
    assert combine((), P) == Outcome(P, None, (), (), ())
    assert combine((), A) == Outcome(A, None, (), (), ())


def test_one_effect_decides_and_the_first_rule_of_it_fires() -> None:
    assert combine((0, 5)) == Outcome(A, 0, (0, 5), (), ())
    assert combine((1, 3)) == Outcome(P, 1, (1, 3), (), ())


def test_an_overridden_rule_loses() -> None:
    assert combine((1, 2)) == Outcome(A, 2, (1, 2), (1,), ())


def test_an_override_of_a_rule_that_did_not_match_changes_nothing() -> None:
    assert combine((2, 3)) == Outcome(P, 3, (2, 3), (), (2, 3))


def test_disagreement_is_a_conflict_decided_by_the_first_prohibiting_rule() -> None:
    out = combine((0, 3, 5), A)
    assert out == Outcome(P, 3, (0, 3, 5), (), (0, 3, 5))


def test_overrides_all_beats_every_other_matched_rule() -> None:
    assert combine((0, 1, 3, 4)) == Outcome(A, 4, (0, 1, 3, 4), (0, 1, 3), ())


def test_two_rules_overriding_everything_beat_each_other_and_the_default_decides() -> None:
    rules = [rule("x", A, "all"), rule("y", P, "all"), rule("z", A)]
    assert Combiner(rules, P)((0, 1, 2)) == Outcome(P, None, (0, 1, 2), (0, 1, 2), ())


def test_overrides_reach_every_rule_of_that_id_but_never_the_rule_itself() -> None:
    """A rule id may appear twice in a rule set (common's and the policy's): an override names both."""
    rules = [rule("ban", P), rule("ban", P, frozenset({"ban"})), rule("lift", A, frozenset({"ban"}))]
    combiner = Combiner(rules, A)
    assert combiner((0, 1)) == Outcome(P, 1, (0, 1), (0,), ())
    assert combiner((0, 1, 2)) == Outcome(A, 2, (0, 1, 2), (0, 1), ())


def test_outcomes_are_cached_per_set_of_matched_rules() -> None:
    combiner = Combiner(RULES, P)
    first = combiner((1, 2))
    assert combiner((1, 2)) is first
    assert combiner((1,)) == Outcome(P, 1, (1,), (), ())
