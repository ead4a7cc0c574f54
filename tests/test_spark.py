"""policyrules.spark.evaluate with mapInArrow on a local Spark session: row by row equal to
evaluate. Runs where pyspark and a Java runtime are installed; skipped, with the reason, otherwise."""

from __future__ import annotations

import shutil
import sys
from typing import Any

import pytest

from policyrules import Engine
from policyrules.deciding.columnar import COLUMNS

pytest.importorskip("pyspark", reason="pyspark is not installed (the spark extra)")
pd = pytest.importorskip("pandas")
if shutil.which("java") is None:
    pytest.skip("no Java runtime on PATH: Spark needs one", allow_module_level=True)

ENGINE = Engine.load(backend="compiled")
ROWS = [{"weapon": "HIMARS", "target_region": "belgorod", "target_type": "artillery", "self_defense": True,
         "defended_region": "kharkiv", "range_km": 30.0, "date": "2024-06-01"},
        {"weapon": "ATACMS", "target_region": "belgorod", "target_type": "missile_base", "self_defense": True,
         "defended_region": "kharkiv", "range_km": 150.0, "date": "2024-06-01"},
        {"weapon": "Storm Shadow", "target_region": "kursk", "target_type": "airfield", "self_defense": False,
         "defended_region": None, "range_km": 200.0, "date": "2024-12-01"},
        {"weapon": "HIMARS", "target_region": "atlantis", "target_type": "troops", "self_defense": False,
         "defended_region": None, "range_km": 10.0, "date": "2024-12-01"}]


def test_spark_map_in_arrow_equals_evaluate_row_by_row(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYSPARK_PYTHON", sys.executable)  # workers run this environment's Python
    from pyspark.sql import SparkSession

    from policyrules import spark as prspark

    session = (SparkSession.builder.master("local[2]").appName("policyrules-test")
               .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2").getOrCreate())
    try:
        frame = pd.DataFrame({c: [r.get(c) for r in ROWS] for c in COLUMNS if c != "depth_km"})
        df = session.createDataFrame(frame).repartition(2)
        out = prspark.evaluate(df, ENGINE, errors="column").toPandas()
    finally:
        session.stop()
    assert len(out) == len(ROWS)
    by_key = {(r["weapon"], r["target_region"], r["range_km"]): r for r in ROWS}
    for _, got in out.iterrows():
        row = by_key[(got["weapon"], got["target_region"], got["range_km"])]
        try:
            v = ENGINE.evaluate({k: x for k, x in row.items() if x is not None})
            want: tuple[Any, ...] = (v.decision.value, v.rule.id, v.policy.id, v.policy.version, None)
        except Exception as e:
            want = (None, None, None, None, f"{type(e).__name__}: {e}")
        assert tuple(None if pd.isna(x) else x for x in got[["decision", "rule", "policy", "version", "error"]]) \
            == want, row
