"""``policyrules.language.conditions`` on its own: parse, bind, nnf, evaluate, render, errors."""

from __future__ import annotations

from typing import Any

import pytest

from policyrules.language.conditions import (
    ALWAYS,
    MAX_ABS_NUMBER,
    MAX_DEPTH,
    AllOf,
    AnyOf,
    Cmp,
    ConditionError,
    FieldSpec,
    Not,
    Param,
    Schema,
    all_of,
    bind,
    comparisons,
    evaluate,
    nnf,
    param_names,
    parse,
    render,
)

SCHEMA = Schema({s.name: s for s in [
    FieldSpec("colour", "enum", ("red", "green", "blue")),
    FieldSpec("flag", "bool"),
    FieldSpec("n", "number"),
]})
PARAMS = {"limit": 80.0}


def p(raw: object) -> Any:
    return parse(raw, SCHEMA, PARAMS)


# parse -----------------------------------------------------------------------------------


def test_a_literal_means_equality_and_a_matcher_names_its_operator() -> None:
    assert p({"colour": "red"}) == Cmp("colour", "eq", "red")
    assert p({"flag": False}) == Cmp("flag", "eq", False)
    assert p({"n": {"le": 5}}) == Cmp("n", "le", 5.0)
    assert p({"colour": {"not_in": ["red", "blue"]}}) == Cmp("colour", "not_in", ("red", "blue"))


def test_several_fields_are_all_of_them_and_one_field_is_itself() -> None:
    assert p({"colour": "red", "flag": True}) == AllOf((Cmp("colour", "eq", "red"), Cmp("flag", "eq", True)))


def test_combinators_nest() -> None:
    got = p({"any": [{"colour": "red"}, {"not": {"n": {"gt": 3}}}]})
    assert got == AnyOf((Cmp("colour", "eq", "red"), Not(Cmp("n", "gt", 3.0))))
    assert p({"all": [{"flag": True}]}) == AllOf((Cmp("flag", "eq", True),))


def test_no_condition_always_holds() -> None:
    assert p(None) is ALWAYS
    assert evaluate(ALWAYS, {}) is True


def test_a_number_may_name_a_parameter() -> None:
    assert p({"n": {"gt": {"param": "limit"}}}) == Cmp("n", "gt", Param("limit"))


@pytest.mark.parametrize(("raw", "path", "code", "text"), [
    ({"size": "s"}, "when.size", "unknown-field", "unknown field 'size'; known: colour, flag, n, any, all, not"),
    ({"colour": "pink"}, "when.colour", "unknown-value", "unknown value 'pink' for colour; known: red, green, blue"),
    ({"colour": {"in": ["red", "pink"]}}, "when.colour.in[1]", "unknown-value", "unknown value 'pink'"),
    ({"n": {"gt": {"param": "nope"}}}, "when.n.gt", "unknown-parameter", "unknown parameter 'nope' (parameters: limit)"),
    ({"n": {"between": 3}}, "when.n", "invalid-condition", "unknown operator 'between'"),
    ({"n": {"gt": 1, "lt": 2}}, "when.n", "invalid-condition", "a matcher has exactly one operator"),
    ({"colour": ["red"]}, "when.colour", "invalid-condition", "a list is not a matcher; write {in: [...]}"),
    ({"colour": {"lt": "red"}}, "when.colour.lt", "invalid-condition", "'lt' compares numbers; colour is enum"),
    ({"n": {"in": [1]}}, "when.n.in", "invalid-condition", "'in' applies to fields with named values, not number"),
    ({"colour": {"in": []}}, "when.colour.in", "invalid-condition", "'in' takes a non-empty list"),
    ({"colour": {"in": ["red", "red"]}}, "when.colour.in", "invalid-condition", "the list repeats a value"),
    ({"flag": "yes"}, "when.flag", "invalid-condition", "flag is true or false"),
    ({"n": True}, "when.n", "invalid-condition", "expected a number or {param: NAME}"),
    ({"n": "5"}, "when.n", "invalid-condition", "expected a number or {param: NAME}"),
    ({"n": {"gt": {"param": 5}}}, "when.n.gt", "invalid-condition", "a parameter reference is {param: NAME}"),
    ({"n": float("nan")}, "when.n", "invalid-condition", "numbers must be finite"),
    ({"n": MAX_ABS_NUMBER * 10}, "when.n", "invalid-condition", "numbers must be finite"),
    ({"any": []}, "when.any", "invalid-condition", "'any' takes a non-empty list of conditions"),
    ({"all": {"flag": True}}, "when.all", "invalid-condition", "'all' takes a non-empty list of conditions"),
    (["colour"], "when", "invalid-condition", "a condition is a mapping of field to matcher, not a list"),
    ({1: "x"}, "when", "invalid-condition", "field names are strings, not a number"),
])
def test_every_problem_is_a_condition_error_with_its_path_and_code(raw: object, path: str, code: str,
                                                                     text: str) -> None:
    with pytest.raises(ConditionError) as info:
        p(raw)
    assert (info.value.path, info.value.code) == (path, code)
    assert text in info.value.message
    assert str(info.value) == f"{path}: {info.value.message}"


def test_nesting_is_limited() -> None:
    raw: object = {"flag": True}
    for _ in range(MAX_DEPTH):
        raw = {"not": raw}
    p(raw)  # exactly at the limit
    with pytest.raises(ConditionError, match=f"nest more than {MAX_DEPTH} levels"):
        p({"not": raw})


# bind, nnf, comparisons ------------------------------------------------------------------


def test_bind_replaces_every_parameter_by_its_value() -> None:
    cond = p({"any": [{"n": {"gt": {"param": "limit"}}}, {"not": {"n": {"le": {"param": "limit"}}}}]})
    assert param_names(cond) == {"limit"}
    bound = bind(cond, {"limit": 30})
    assert bound == AnyOf((Cmp("n", "gt", 30.0), Not(Cmp("n", "le", 30.0))))
    assert param_names(bound) == set()


def test_bind_gives_back_a_condition_that_names_no_parameter_itself() -> None:
    plain = AllOf((Cmp("weapon", "eq", "ATACMS"), Not(Cmp("range_km", "gt", 300.0))))
    assert bind(plain, {"max_km": 80.0}) is plain
    mixed = AnyOf((plain, Cmp("range_km", "le", Param("max_km"))))
    bound = bind(mixed, {"max_km": 80.0})
    assert bound == AnyOf((plain, Cmp("range_km", "le", 80.0)))
    assert bound.items[0] is plain  # only the branch with the parameter is rebuilt
    assert bind(mixed, {"max_km": 80}) is bound  # the same values: the same object (its hash kept)
    other = bind(mixed, {"max_km": 90.0, "unused": 1.0})
    assert other == AnyOf((plain, Cmp("range_km", "le", 90.0))) and bind(mixed, {"max_km": 90.0}) is other
    for k in range(40):  # a sweep over many values: each bound right, only the first few kept
        assert bind(mixed, {"max_km": float(k)}).items[1] == Cmp("range_km", "le", float(k))
    from policyrules.language import conditions

    assert len(vars(mixed)["_bound"]) == conditions._BOUND_KEPT
    with pytest.raises(KeyError):
        bind(mixed, {})


def test_a_condition_keeps_its_hash_but_never_pickles_it() -> None:
    import pickle

    a = AllOf((Cmp("weapon", "in", ("ATACMS", "HIMARS")), Not(Cmp("range_km", "lt", Param("max_km")))))
    b = AllOf((Cmp("weapon", "in", ("ATACMS", "HIMARS")), Not(Cmp("range_km", "lt", Param("max_km")))))
    assert hash(a) == hash(b) == hash(a) and a == b
    assert {a: 1}[b] == 1
    assert a != AllOf((Cmp("weapon", "in", ("ATACMS", "HIMARS")),)) and Cmp("f", "eq", "x") != AnyOf(())
    bind(a, {"max_km": 1.0})  # works out (and keeps) whether it names a parameter
    copy = pickle.loads(pickle.dumps(a))
    assert set(vars(copy)) == {"items"} and copy == a and hash(copy) == hash(a)
    assert repr(a).startswith("AllOf(items=(Cmp(field='weapon'")


def test_nnf_pushes_negation_to_the_comparisons() -> None:
    cond = Not(AllOf((Cmp("n", "lt", 1.0), AnyOf((Cmp("colour", "in", ("red",)), Not(Cmp("flag", "eq", True)))))))
    assert nnf(cond) == AnyOf((Cmp("n", "ge", 1.0), AllOf((Cmp("colour", "not_in", ("red",)), Cmp("flag", "eq", True)))))


@pytest.mark.parametrize("fact", [
    {"colour": c, "flag": f, "n": n} for c in ("red", "blue") for f in (True, False) for n in (0.0, 0.5, 1.0, 4.0, 5.0)])
def test_nnf_keeps_the_meaning(fact: dict[str, object]) -> None:
    cond = Not(AnyOf((AllOf((Cmp("n", "ge", 1.0), Cmp("colour", "ne", "red"))), Not(Cmp("flag", "eq", True)),
                      Cmp("n", "gt", 4.0), Not(Cmp("n", "le", 0.5)), Cmp("colour", "not_in", ("red", "green")))))
    assert evaluate(nnf(cond), fact) == evaluate(cond, fact)


def test_every_operator_has_its_negation() -> None:
    pairs = {"eq": "ne", "lt": "ge", "le": "gt", "in": "not_in"}
    for op, negated in [*pairs.items(), *((b, a) for a, b in pairs.items())]:
        assert nnf(Not(Cmp("n", op, 1.0))) == Cmp("n", negated, 1.0)  # type: ignore[arg-type]


def test_comparisons_lists_every_leaf_in_order() -> None:
    a, b, c = Cmp("n", "lt", 1.0), Cmp("flag", "eq", True), Cmp("colour", "eq", "red")
    assert list(comparisons(AllOf((a, Not(AnyOf((b, c))))))) == [a, b, c]


# evaluate --------------------------------------------------------------------------------


@pytest.mark.parametrize(("cond", "fact", "expected"), [
    (Cmp("n", "lt", 5.0), {"n": 4.999}, True),
    (Cmp("n", "lt", 5.0), {"n": 5.0}, False),
    (Cmp("n", "le", 5.0), {"n": 5}, True),
    (Cmp("n", "gt", 5.0), {"n": None}, False),  # a missing number fails every order comparison
    (Cmp("n", "ge", 5.0), {"n": None}, False),
    (Cmp("n", "ne", 5.0), {"n": None}, True),
    (Cmp("colour", "in", ("red", "blue")), {"colour": "blue"}, True),
    (Cmp("colour", "not_in", ("red", "blue")), {"colour": "green"}, True),
    (Cmp("colour", "not_in", ("red", "blue")), {"colour": "red"}, False),
    (AnyOf(()), {}, False),
    (AllOf(()), {}, True),
    (Not(AnyOf(())), {}, True),
])
def test_evaluate_is_the_reference_semantics(cond: Any, fact: dict[str, object], expected: bool) -> None:
    assert evaluate(cond, fact) is expected


# render ----------------------------------------------------------------------------------


def test_render_reads_as_text() -> None:
    cond = AllOf((Cmp("colour", "in", ("red", "blue")), Cmp("flag", "eq", False),
                  AnyOf((Cmp("n", "gt", Param("limit")), Cmp("n", "le", 2.5))), Not(Cmp("n", "ne", 80.0))))
    assert render(cond) == "colour in {red, blue} and flag = false and (n > limit or n <= 2.5) and not (n != 80)"
    assert render(AllOf(())) == "always"
    assert render(AnyOf(())) == "never"
    assert render(Cmp("colour", "not_in", ("green",))) == "colour not in {green}"


def test_all_of_one_condition_is_that_condition() -> None:
    a, b = Cmp("flag", "eq", True), Cmp("n", "gt", 1.0)
    assert all_of([a]) is a
    assert all_of([a, b]) == AllOf((a, b))
