"""Smoke run of benchmarks/bench_records.py at a tiny size: the generator's ratings all count
(no record of an unknown unit, level or date) and every unit gets every month. No timing is
asserted."""

from __future__ import annotations

import importlib.util
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_records.py"


def test_bench_records_smoke() -> None:
    spec = importlib.util.spec_from_file_location("bench_records", BENCH)
    assert spec is not None
    assert spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    before = set(BENCH.parent.glob("govscore-records-*"))
    (result,) = bench.main(["--rows", "3000", "--format", "csv"])
    assert result["rejected"] == 0
    # 3000 ratings, each read by two tables (per window, per staff member)
    assert result["rows"] == 6000
    # 64 windows + 320 staff, every one in each of the 12 months of 2022
    assert result["unit_periods"] == (64 + 320) * 12
    assert set(BENCH.parent.glob("govscore-records-*")) <= before  # its scratch folder is gone
