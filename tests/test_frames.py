"""evaluate_frame: pandas, Polars and pyarrow frames in, the same type out with decision, rule,
policy and version columns, row by row equal to evaluate."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policyrules import Engine, PolicyRulesError, StrikeError, evaluate_frame
from policyrules.deciding.columnar import COLUMNS
from policyrules.strategies import strikes

pa = pytest.importorskip("pyarrow")
pd = pytest.importorskip("pandas")
pl = pytest.importorskip("polars")

ENGINE = Engine.load(backend="compiled")
ROWS = [{"weapon": "HIMARS", "target_region": "belgorod", "target_type": "artillery", "self_defense": True,
         "defended_region": "kharkiv", "range_km": 30.0, "date": "2024-06-01"},
        {"weapon": "ATACMS", "target_region": "belgorod", "target_type": "missile_base", "self_defense": True,
         "defended_region": "kharkiv", "range_km": 150.0, "date": "2024-06-01"},
        {"weapon": "Storm Shadow", "target_region": "kursk", "target_type": "airfield", "self_defense": False,
         "defended_region": None, "range_km": 200.0, "date": "2024-12-01"}]


def expected(row: dict[str, Any]) -> tuple[Any, ...]:
    v = ENGINE.evaluate({k: x for k, x in row.items() if x is not None})
    return (v.decision.value, v.rule.id, v.policy.id, v.policy.version)


def columns(rows: list[dict[str, Any]]) -> dict[str, list[Any]]:
    return {c: [r.get(c) for r in rows] for c in COLUMNS if any(c in r for r in rows)}


def outcomes(frame: Any) -> list[tuple[Any, ...]]:
    if isinstance(frame, pd.DataFrame):
        return list(zip(*([None if pd.isna(x) else x for x in frame[c].astype(object)]
                           for c in ("decision", "rule", "policy", "version"))))
    if isinstance(frame, pl.DataFrame):
        return list(zip(*(frame[c].cast(pl.String).to_list() for c in ("decision", "rule", "policy", "version"))))
    return list(zip(*(frame.column(c).to_pylist() for c in ("decision", "rule", "policy", "version"))))


MAKERS = {
    "pandas": lambda cols: pd.DataFrame(cols),
    "polars": lambda cols: pl.DataFrame(cols, strict=False),
    "pyarrow": lambda cols: pa.table(cols),
}


@pytest.mark.parametrize("kind", sorted(MAKERS))
def test_the_same_frame_type_comes_back_with_the_verdict_columns(kind: str) -> None:
    frame = MAKERS[kind](columns(ROWS))
    out = evaluate_frame(frame, ENGINE)
    assert type(out) is type(frame)
    assert outcomes(out) == [expected(r) for r in ROWS]
    assert list(out.columns if kind != "pyarrow" else out.column_names)[-4:] == ["decision", "rule", "policy",
                                                                                 "version"]
    again = evaluate_frame(out, ENGINE)  # the added columns are replaced, not read as strike fields
    assert outcomes(again) == outcomes(out)


@settings(max_examples=25, deadline=None)
@given(st.lists(strikes(ENGINE), min_size=1, max_size=40), st.sampled_from(sorted(MAKERS)))
def test_frames_equal_evaluate_row_by_row(rows: list[dict[str, Any]], kind: str) -> None:
    frame = MAKERS[kind](columns(rows))
    assert outcomes(evaluate_frame(frame, ENGINE)) == [expected(r) for r in rows]


@pytest.mark.parametrize("kind", sorted(MAKERS))
def test_bad_rows_raise_or_go_to_an_error_column(kind: str) -> None:
    rows = [*ROWS, {**ROWS[0], "target_region": "atlantis"}, {**ROWS[0], "range_km": 9000.0}]
    frame = MAKERS[kind](columns(rows))
    with pytest.raises(StrikeError, match=r"^row 3: .*atlantis"):
        evaluate_frame(frame, ENGINE)
    out = evaluate_frame(frame, ENGINE, errors="column")
    got = outcomes(out)
    assert got[:3] == [expected(r) for r in ROWS]
    assert got[3:] == [(None, None, None, None)] * 2
    errors = out["error"].to_list() if kind == "polars" else \
        out["error"].tolist() if kind == "pandas" else out.column("error").to_pylist()
    assert errors[:3] == [None] * 3 or all(pd.isna(e) for e in errors[:3])
    assert "atlantis" in errors[3]
    assert "beyond the reach" in errors[4]


def test_not_a_frame_is_a_clear_error() -> None:
    with pytest.raises(PolicyRulesError):
        evaluate_frame([1, 2, 3], ENGINE)
    with pytest.raises(PolicyRulesError, match="errors must be"):
        evaluate_frame(pa.table(columns(ROWS)), ENGINE, errors="ignore")  # type: ignore[arg-type]
