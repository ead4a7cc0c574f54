"""Columnar evaluation: row by row equal to ``evaluate``, including which rows are refused."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policyrules import Decision, Engine, PolicyRulesError, StrikeError
from policyrules.deciding.columnar import COLUMNS, ColumnVerdicts
from policyrules.strategies import strikes

from .strike_samples import ODD

ENGINE = Engine.load(backend="compiled")

def _row_outcome(engine: Engine, strike: dict[str, Any]) -> tuple[Any, ...]:
    try:
        v = engine.evaluate(strike)
    except PolicyRulesError as e:
        return ("error", type(e).__name__, str(e))
    return (v.decision, v.rule.id, v.policy.ref)


def _columns(rows: list[dict[str, Any]]) -> dict[str, list[Any]]:
    return {c: [r.get(c) for r in rows] for c in COLUMNS}


def _as_given(row: dict[str, Any]) -> dict[str, Any]:
    """The strike a row stands for: a missing column value (None) is a field not given."""
    return {k: v for k, v in row.items() if v is not None}


@given(st.lists(strikes(ENGINE), min_size=1, max_size=40))
def test_columns_give_the_verdicts_of_evaluate_row_by_row(rows: list[dict[str, Any]]) -> None:
    """For valid strikes, decision, deciding rule and policy version of every row equal evaluate's."""
    got = ENGINE.evaluate_columns(_columns(rows))
    assert len(got) == len(rows)
    for i, row in enumerate(rows):
        assert (got.decisions[i], got.rules[i], got.policies[i]) == _row_outcome(ENGINE, _as_given(row)), row


@given(strikes(ENGINE), st.sampled_from(sorted(ODD)), st.data())
def test_one_odd_field_gives_the_verdict_or_the_error_of_evaluate(
        row: dict[str, Any], field: str, data: st.DataObject) -> None:
    """Changing one field to an odd value: columns accept exactly what evaluate accepts, with the
    same verdict, and refuse what it refuses, with its message prefixed by the row number."""
    row = {**row, field: data.draw(st.sampled_from(ODD[field]))}
    if field == "self_defense" and row[field] is None:
        row[field] = False  # a missing self_defense column value means the default
    expected = _row_outcome(ENGINE, _as_given(row))
    try:
        got = ENGINE.evaluate_columns(_columns([row]))
    except PolicyRulesError as e:
        assert expected[0] == "error", (row, str(e))
        assert (type(e).__name__, str(e)) == (expected[1], f"row 0: {expected[2]}")
        return
    assert (got.decisions[0], got.rules[0], got.policies[0]) == expected


def test_evaluate_columns_returns_columns() -> None:
    cols = {"weapon": ["HIMARS", "ATACMS"], "target_region": ["belgorod", "belgorod"],
            "target_type": ["artillery", "missile_base"], "self_defense": [True, True],
            "defended_region": ["kharkiv", "kharkiv"], "range_km": [30, 150.0], "date": ["2024-06-01"] * 2}
    got = ENGINE.evaluate_columns(cols)
    assert isinstance(got, ColumnVerdicts)
    assert got.decisions == [Decision.ALLOWED, Decision.PROHIBITED]
    assert got.rules == ["us-kharkiv-counterfire", "us-long-range-ban"]
    assert got.allowed == [True, False]
    assert got.to_dict()["decision"] == ["allowed", "prohibited"]


@pytest.mark.parametrize(("cols", "message"), [
    ({"target_region": ["kursk"], "target_type": ["troops"]}, "range_km: required column"),
    ({"target_region": ["kursk"], "target_type": ["troops"], "range_km": [1], "colour": ["red"]},
     "colour: unknown column"),
    ({"target_region": ["kursk"], "target_type": ["troops"], "range_km": [1, 2], "weapon_class": ["drone"]},
     "columns differ in length: target_region=1, target_type=1, range_km=2, weapon_class=1"),
])
def test_malformed_columns_are_one_clear_error(cols: dict[str, list[Any]], message: str) -> None:
    with pytest.raises(StrikeError, match=message):
        ENGINE.evaluate_columns(cols)


def test_the_durable_backend_gives_the_same_columns() -> None:
    durable = Engine.load(backend="durable")
    cols = {"weapon": ["HIMARS", "MARS II", "Storm Shadow", "ATACMS"] * 5,
            "target_region": ["belgorod", "kursk", "moscow", "kursk"] * 5,
            "target_type": ["artillery", "troops", "airfield", "troops"] * 5,
            "self_defense": [True] * 20, "defended_region": ["kharkiv", "sumy", None, None] * 5,
            "range_km": [float(i) * 2 for i in range(20)],
            "date": ["2024-06-01", "2024-07-01", "2024-06-01", "2024-12-01"] * 5}
    assert durable.evaluate_columns(cols) == ENGINE.evaluate_columns(cols)
