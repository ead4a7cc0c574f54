"""The vectorised column path (the ``columns`` extra): row by row equal to ``evaluate``, on the
bundled pack and on small random packs, with bad rows given their error and never a decision."""

from __future__ import annotations

import datetime as dt
import math
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policyrules import Engine, PolicyRulesError, StrikeError
from policyrules.deciding import column_codes, vectorised
from policyrules.deciding.columnar import COLUMNS
from policyrules.strategies import strikes

from .row_outcomes import expected, got
from .rule_shapes import pack_shapes
from .strike_samples import ODD

np = pytest.importorskip("numpy")
pa = pytest.importorskip("pyarrow")
pd = pytest.importorskip("pandas")

ENGINE = Engine.load(backend="compiled")


def as_table(rows: list[dict[str, Any]]) -> Any:
    """Rows as an Arrow table of the columns the rows have (typed columns where the values allow)."""
    cols = {c: [r.get(c) for r in rows] for c in COLUMNS if any(c in r for r in rows)}
    out = {}
    for c, values in cols.items():
        try:
            out[c] = pa.array(values)
        except (pa.ArrowException, OverflowError):
            out[c] = pa.array([None if v is None else repr(v) for v in values])  # odd mixes: as text
            for r in rows:
                if r.get(c) is not None:
                    r[c] = repr(r[c])
    return pa.table(out)


def check_rows(engine: Engine, rows: list[dict[str, Any]], data: Any) -> None:
    decided = vectorised.decide(engine, data)
    assert len(decided) == len(rows)
    for i, row in enumerate(rows):
        assert got(decided, i) == expected(engine, row), (i, row)


@settings(max_examples=40, deadline=None)
@given(st.lists(strikes(ENGINE), min_size=1, max_size=60))
def test_bundled_pack_table_equals_evaluate_row_by_row(rows: list[dict[str, Any]]) -> None:
    check_rows(ENGINE, rows, as_table(rows))


@settings(max_examples=40, deadline=None)
@given(st.lists(strikes(ENGINE), min_size=1, max_size=30), st.lists(st.tuples(
    st.sampled_from(sorted(ODD)), st.integers(0, 29), st.data()), max_size=6))
def test_odd_values_give_the_error_or_verdict_of_evaluate(rows: list[dict[str, Any]], changes: list[Any]) -> None:
    """Bad or odd values mixed in (as Python lists: every type kept): each row gets evaluate's
    verdict or its error, the others are untouched."""
    for field, i, data in changes:
        if i < len(rows):
            rows[i] = {**rows[i], field: data.draw(st.sampled_from(ODD[field]))}
    cols = {c: [r.get(c) for r in rows] for c in COLUMNS}
    for r in rows:
        if isinstance(r.get("depth_km"), float) and math.isnan(r["depth_km"]):
            r["depth_km"] = None  # NaN in an optional number: left out
    check_rows(ENGINE, rows, {c: np.array(v, dtype=object) for c, v in cols.items()})


def test_a_bool_after_a_float_in_an_array_of_objects_is_not_a_number() -> None:
    """Arrow reads [79.0, True] as [79.0, 1.0]: an array of objects is read value by value, as a list."""
    row = {"weapon": "HIMARS", "target_region": "kharkiv", "target_type": "troops", "self_defense": True,
           "defended_region": "kharkiv", "date": "2024-06-01"}
    rows = [{**row, "range_km": 79.0}, {**row, "range_km": True}]
    cols = {c: np.array([r.get(c) for r in rows], dtype=object) for c in {*rows[0], *rows[1]}}
    assert expected(ENGINE, rows[1])[0] == "error"
    check_rows(ENGINE, rows, cols)


@settings(max_examples=20, deadline=None)
@given(st.lists(strikes(ENGINE), min_size=1, max_size=20), st.sampled_from(sorted(ODD)), st.data())
def test_long_python_lists_go_the_vectorised_way_with_evaluate_columns_errors(
        rows: list[dict[str, Any]], field: str, data: st.DataObject) -> None:
    """Lists long enough for the vectorised path: the verdicts of the row path, or its first error."""
    from policyrules.deciding import columnar

    rows = [*rows, {**rows[0], field: data.draw(st.sampled_from(ODD[field]))}]
    if field == "self_defense" and rows[-1][field] is None:
        rows[-1][field] = False
    cols = {c: [r.get(c) for r in rows] for c in COLUMNS}
    try:
        want: Any = columnar.evaluate_columns(ENGINE, cols)
    except PolicyRulesError as e:
        want = (type(e).__name__, str(e))
    old = columnar.VECTORISED_MIN_ROWS
    columnar.VECTORISED_MIN_ROWS = 1
    try:
        assert columnar.vectorised_for(cols)
        try:
            got: Any = columnar.evaluate_columns(ENGINE, cols)
        except PolicyRulesError as e:
            got = (type(e).__name__, str(e))
    finally:
        columnar.VECTORISED_MIN_ROWS = old
    assert got == want


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(pack_shapes(max_rules=12))
def test_small_random_packs_equal_evaluate(shape: Any) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        engine = Engine.load(shape.write(Path(tmp)), backend="compiled")
        rows = [dict(s, date="2024-06-01") for s in shape.strikes]
        check_rows(engine, rows, as_table(rows))


def test_evaluate_columns_takes_the_vectorised_path_for_tables() -> None:
    cols = {"weapon": ["HIMARS", "ATACMS"], "target_region": ["belgorod", "belgorod"],
            "target_type": ["artillery", "missile_base"], "self_defense": [True, True],
            "defended_region": ["kharkiv", "kharkiv"], "range_km": [30.0, 150.0], "date": ["2024-06-01"] * 2}
    table = pa.table(cols)
    out = ENGINE.evaluate_columns(table)
    assert out._decided is not None
    assert out == ENGINE.evaluate_columns(cols)
    assert out.to_arrow().column("rule").to_pylist() == ["us-kharkiv-counterfire", "us-long-range-ban"]
    bad = pa.table({**cols, "target_region": ["belgorod", "atlantis"]})
    with pytest.raises(StrikeError, match=r"^row 1: .*target_region"):
        ENGINE.evaluate_columns(bad)


def test_pandas_idioms() -> None:
    """NaN, None and pd.NA leave a field out; datetime64 and Timestamp dates; categorical columns."""
    df = pd.DataFrame({
        "weapon": pd.Categorical(["HIMARS", "ATACMS", "HIMARS", "Storm Shadow"]),
        "target_region": pd.Categorical(["belgorod", "kursk", "belgorod", "kursk"]),
        "target_type": ["artillery", "troops", "artillery", "airfield"],
        "self_defense": [True, False, True, False],
        "defended_region": ["kharkiv", None, pd.NA, np.nan],
        "range_km": [30.0, 150.0, 60.0, 200.0],
        "depth_km": [np.nan, 10.0, None, np.nan],
        "date": pd.to_datetime(["2024-06-01", "2024-12-01", "2024-06-01", "2024-12-01"]),
    })
    rows = [{"weapon": "HIMARS", "target_region": "belgorod", "target_type": "artillery", "self_defense": True,
             "defended_region": "kharkiv", "range_km": 30.0, "date": dt.date(2024, 6, 1)},
            {"weapon": "ATACMS", "target_region": "kursk", "target_type": "troops", "self_defense": False,
             "range_km": 150.0, "depth_km": 10.0, "date": dt.date(2024, 12, 1)},
            {"weapon": "HIMARS", "target_region": "belgorod", "target_type": "artillery", "self_defense": True,
             "range_km": 60.0, "date": dt.date(2024, 6, 1)},
            {"weapon": "Storm Shadow", "target_region": "kursk", "target_type": "airfield", "self_defense": False,
             "range_km": 200.0, "date": dt.date(2024, 12, 1)}]
    check_rows(ENGINE, rows, df)
    with_objects = df.assign(date=[pd.Timestamp("2024-06-01"), pd.Timestamp("2024-12-01"),
                                   np.datetime64("2024-06-01"), "2024-12-01"])
    check_rows(ENGINE, rows, with_objects)
    assert ENGINE.evaluate_columns(df) == ENGINE.evaluate_columns({c: [r.get(c) for r in rows] for c in COLUMNS})


def test_a_time_of_day_is_not_a_date() -> None:
    df = pd.DataFrame({"weapon": ["HIMARS"], "target_region": ["belgorod"], "target_type": ["artillery"],
                       "range_km": [30.0], "date": pd.to_datetime(["2024-06-01 13:00"])})
    decided = vectorised.decide(ENGINE, df)
    assert 0 in decided.errors
    assert "date" in str(decided.errors[0])


def test_bad_rows_get_their_error_in_place_and_the_rest_go_on() -> None:
    rows = [{"weapon": "HIMARS", "target_region": "belgorod", "target_type": "artillery", "range_km": 30.0},
            {"weapon": "HIMARS", "target_region": "belgorod", "target_type": "artillery", "range_km": 900.0},
            {"weapon": "HIMARS", "target_region": "nowhere", "target_type": "artillery", "range_km": 30.0},
            {"weapon": "HIMARS", "target_region": "belgorod", "target_type": "artillery", "range_km": None},
            {"weapon": "HIMARS", "target_region": "belgorod", "target_type": "artillery", "range_km": 30.0,
             "date": "1890-01-01"}]
    decided = vectorised.decide(ENGINE, as_table(rows))
    assert sorted(decided.errors) == [1, 2, 3, 4]
    assert "beyond the reach" in str(decided.errors[1])
    assert "nowhere" in str(decided.errors[2])
    assert "range_km" in str(decided.errors[3])
    assert decided.codes[0] >= 0
    assert decided.error_messages()[0] is None
    assert decided.arrow(1).to_pylist()[1:] == [None] * 4


def test_malformed_tables_are_one_clear_error() -> None:
    with pytest.raises(StrikeError, match="colour: unknown column"):
        vectorised.decide(ENGINE, pa.table({"target_region": ["kursk"], "target_type": ["troops"],
                                             "range_km": [1.0], "colour": ["red"]}))
    with pytest.raises(StrikeError, match="range_km: required column"):
        vectorised.decide(ENGINE, pa.table({"target_region": ["kursk"], "target_type": ["troops"]}))


def test_the_durable_backend_gives_the_same_vectorised_columns() -> None:
    durable = Engine.load(backend="durable")
    rows = [{"weapon": w, "target_region": r, "target_type": t, "self_defense": True, "range_km": float(i)}
            for i, (w, r, t) in enumerate([("HIMARS", "belgorod", "artillery"), ("ATACMS", "kursk", "troops"),
                                           ("Storm Shadow", "moscow", "airfield")] * 4)]
    assert durable.evaluate_columns(as_table(rows)) == ENGINE.evaluate_columns(as_table(rows))


@pytest.mark.parametrize("with_null", [False, True])
def test_nan_values_in_arrow_float_columns_are_read_as_evaluate_reads_them(with_null: bool) -> None:
    """NaN held as a value (not a null) in a float64 column: a required number's row is evaluate's
    error, an optional number is left out. Without nulls the columns are read as they are (no
    ``given`` array is made); a null beside them takes the other way; both agree with evaluate."""
    row = {"weapon": "HIMARS", "target_region": "belgorod", "target_type": "artillery", "self_defense": True,
           "defended_region": "kharkiv", "date": "2024-06-01"}
    ranges = [30.0, math.nan, 79.0, 70.0, math.nan, 60.0]
    depths = [math.nan, 10.0, 5.0, math.nan, math.nan, None if with_null else 2.0]
    rows = [{**row, "range_km": r, **({} if d is None or math.isnan(d) else {"depth_km": d})}
            for r, d in zip(ranges, depths, strict=True)]
    table = pa.table({**{k: [v] * len(rows) for k, v in row.items()},
                      "range_km": pa.array(ranges, type=pa.float64()),
                      "depth_km": pa.array(depths, type=pa.float64())})
    assert table["range_km"].null_count == 0 and table["depth_km"].null_count == int(with_null)
    assert (column_codes.numbers(table["depth_km"], True).given is None) is not with_null
    check_rows(ENGINE, rows, table)
    decided = vectorised.decide(ENGINE, table)
    assert set(decided.errors) == {1, 4}  # the NaN ranges
