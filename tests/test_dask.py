"""policyrules.dask.evaluate on a distributed LocalCluster of two worker processes: row by row
equal to evaluate, the pack loaded once per worker from the spec it ships."""

from __future__ import annotations

from typing import Any

import pytest

from policyrules import Engine
from policyrules.deciding.columnar import COLUMNS
from policyrules.strategies import strikes

dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")
pd = pytest.importorskip("pandas")

ENGINE = Engine.load(backend="compiled")


def _rows(n: int) -> list[dict[str, Any]]:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    found: list[dict[str, Any]] = []

    @settings(max_examples=1, database=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(st.lists(strikes(ENGINE), min_size=n, max_size=n))
    def draw(rows: list[dict[str, Any]]) -> None:
        found.extend(rows)

    draw()
    return found


def test_dask_on_a_local_cluster_equals_evaluate_row_by_row() -> None:
    from policyrules import dask as prdask
    from policyrules import engine_spec

    rows = [*_rows(200), {"weapon": "HIMARS", "target_region": "atlantis", "target_type": "troops",
                          "range_km": 10.0}]
    frame = pd.DataFrame({c: [r.get(c) for r in rows] for c in COLUMNS})
    frame["self_defense"] = frame["self_defense"].astype("boolean")  # an object column would become text
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        ddf = dd.from_pandas(frame, npartitions=6)
        out = prdask.evaluate(ddf, ENGINE, errors="column").compute()
        loads = client.run(engine_spec.loads)
    assert len(loads) == 2
    assert all(v == [ENGINE.pack.digest] for v in loads.values()), loads  # once per worker
    assert len(out) == len(rows)
    for i, row in enumerate(rows):
        try:
            v = ENGINE.evaluate({k: x for k, x in row.items() if x is not None})
            want: tuple[Any, ...] = (v.decision.value, v.rule.id, v.policy.id, v.policy.version, None)
        except Exception as e:
            want = (None, None, None, None, f"{type(e).__name__}: {e}")
        got = tuple(None if pd.isna(x) else x for x in out.iloc[i][["decision", "rule", "policy", "version", "error"]])
        assert got == want, (i, row)
