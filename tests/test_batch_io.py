"""policyrules evaluate --input/--output: JSON Lines, CSV and Parquet batches with bad rows mixed
in; one output row per input row, in order, each equal to evaluate (its verdict or its error)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from policyrules import Engine, PolicyRulesError
from policyrules.commands import batch

from .helpers import assert_bad_input, cli

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

ENGINE = Engine.load(backend="compiled")
GOOD = [{"weapon": "HIMARS", "target_region": "belgorod", "target_type": "artillery", "self_defense": True,
         "defended_region": "kharkiv", "range_km": 30.0, "date": "2024-06-01"},
        {"weapon": "ATACMS", "target_region": "kursk", "target_type": "troops", "self_defense": False,
         "range_km": 150.0, "date": "2024-12-01"},
        {"weapon": "Storm Shadow", "target_region": "kursk", "target_type": "airfield", "self_defense": False,
         "range_km": 200.5, "date": "2024-12-01"}]
BAD = [{**GOOD[0], "target_region": "atlantis"}, {**GOOD[0], "range_km": 9000.0}, {**GOOD[1], "date": "1890-01-01"},
       {**GOOD[2], "weapon": "wepon"}]
ROWS = [GOOD[0], BAD[0], GOOD[1], BAD[1], BAD[2], GOOD[2], BAD[3], GOOD[0]]


def expected(row: dict[str, Any]) -> tuple[Any, ...]:
    try:
        v = ENGINE.evaluate(row)
    except PolicyRulesError as e:
        return (None, None, None, None, f"{type(e).__name__}: {e}")
    return (v.decision.value, v.rule.id, v.policy.id, v.policy.version, None)


def results(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [tuple(r.get(k) or None for k in batch.RESULT_COLUMNS) for r in rows]


def write_jsonl(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


def test_json_lines_with_bad_lines_keep_every_row_in_order(tmp_path: Path) -> None:
    lines = [json.dumps(r) for r in ROWS]
    lines[2:2] = ["not json", "[1, 2]", json.dumps({**GOOD[0], "colour": "red"}), json.dumps({**GOOD[1],
                                                                                             "range_km": "150"})]
    src = write_jsonl(tmp_path / "in.jsonl", lines)
    r = cli("evaluate", "--backend", "compiled", "--input", src)
    assert r.code == 1, r.err  # some rows failed
    out = [json.loads(line) for line in r.out.splitlines()]
    assert [o["line"] for o in out] == list(range(1, len(lines) + 1))
    assert "not valid JSON" in out[2]["error"] and "not a JSON object" in out[3]["error"]
    judged = [o for o in out if o["line"] not in (3, 4)]
    inputs = [json.loads(line) for line in lines if line.startswith("{")]
    assert results(judged) == [expected(r) for r in inputs]
    assert {k: out[0][k] for k in GOOD[0]} == GOOD[0]  # the record as given, then its verdict


@pytest.mark.parametrize("sink", ["csv", "parquet", "jsonl"])
def test_parquet_in_any_format_out_row_by_row(tmp_path: Path, sink: str) -> None:
    src = tmp_path / "in.parquet"
    table = pa.table({k: [r.get(k) for r in ROWS] for k in GOOD[0]}).append_column("id", pa.array(range(len(ROWS))))
    pq.write_table(table, src, row_group_size=3)
    dst = tmp_path / f"out.{sink}"
    r = cli("evaluate", "--backend", "compiled", "--input", src, "--output", dst)
    assert r.code == 1, r.err
    if sink == "parquet":
        rows = pq.read_table(dst).to_pylist()
    elif sink == "csv":
        rows = list(csv.DictReader(dst.open()))
    else:
        rows = [json.loads(line) for line in dst.read_text().splitlines()]
    assert [int(row["id"]) for row in rows] == list(range(len(ROWS)))  # other columns carried through
    assert results(rows) == [expected(r) for r in ROWS]


def test_csv_text_is_read_as_the_fields_types(tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    fields = list(GOOD[0])
    with src.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        for row in ROWS:
            w.writerow({k: ("true" if v is True else "false" if v is False else v) for k, v in row.items()})
        w.writerow({**{k: str(v) for k, v in GOOD[0].items()}, "range_km": "far"})
    dst = tmp_path / "out.csv"
    r = cli("evaluate", "--backend", "compiled", "--input", src, "--output", dst)
    assert r.code == 1, r.err
    rows = list(csv.DictReader(dst.open()))
    assert results(rows[:-1]) == [expected(r) for r in ROWS]
    assert "range_km" in rows[-1]["error"] and rows[-1]["decision"] == ""


def test_all_good_rows_exit_0_and_formats_by_flag(tmp_path: Path) -> None:
    src = write_jsonl(tmp_path / "strikes.txt", [json.dumps(r) for r in GOOD])
    r = cli("evaluate", "--backend", "compiled", "--input", src, "--input-format", "jsonl")
    assert r.code == 0, r.err
    assert results([json.loads(line) for line in r.out.splitlines()]) == [expected(r) for r in GOOD]
    dst = tmp_path / "verdicts.data"
    r = cli("evaluate", "--input", src, "--input-format", "jsonl", "--output", dst, "--output-format", "parquet")
    assert r.code == 0, r.err
    assert pq.read_table(dst).column("decision").to_pylist() == [expected(r)[0] for r in GOOD]


def test_unreadable_batches_are_bad_input(tmp_path: Path) -> None:
    assert_bad_input(cli("evaluate", "--input", tmp_path / "none.parquet"), "evaluate", "no such file")
    (tmp_path / "x.dat").write_text("{}\n")
    assert_bad_input(cli("evaluate", "--input", tmp_path / "x.dat"), "evaluate", "--input-format")
    (tmp_path / "bad.parquet").write_text("not parquet")
    assert_bad_input(cli("evaluate", "--input", tmp_path / "bad.parquet"), "evaluate", "cannot read as parquet")
    assert_bad_input(cli("evaluate", "--output", tmp_path / "o.csv"), "evaluate", "--output needs --input")


def test_many_batches_stream_in_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(batch, "BATCH_ROWS", 7)
    rows = (ROWS * 6)[:45]
    src = write_jsonl(tmp_path / "in.jsonl", [json.dumps(r) for r in rows])
    dst = tmp_path / "out.parquet"
    r = cli("evaluate", "--backend", "compiled", "--input", src, "--output", dst)
    assert r.code == 1
    got = pq.read_table(dst).to_pylist()
    assert [g["line"] for g in got] == list(range(1, 46))
    assert results(got) == [expected(r) for r in rows]
