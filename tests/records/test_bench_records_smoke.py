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


def test_s5_year_scored_end_to_end_from_raw_ratings(tmp_path) -> None:
    """A generated year of ratings → 12 monthly facts files' worth of units → 12 assessments;
    one window-month recounted independently from the CSV with the csv module."""
    import csv
    import io
    from collections import Counter
    from decimal import Decimal

    from govscore import api
    from govscore.inputs import tables

    spec = importlib.util.spec_from_file_location("bench_records", BENCH)
    assert spec is not None
    assert spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    export, records = bench.generate(4000, tmp_path, "csv")
    plan = api.compile(BENCH.parents[1] / "schemes" / "s5-jining.yaml")
    derived = api.derive_facts(plan, records, [export])
    assert sorted(derived.periods) == [f"2022-{m:02d}" for m in range(1, 13)]
    other = [{"id": u, "facts": {"commendation": [], "publicity": {}}}
             for u in bench.WINDOWS + bench.STAFF]
    for period, entries in derived.periods.items():
        merged = tables.merge_sources([("records", entries), ("facts", other)])
        assessment = api.evaluate_all(plan, merged)
        assert len(assessment.results) == 384, period
        assert not assessment.rejected, period
    # recount 窗口01 in March by hand: its ratings per level, then the scheme's 好差评 formula
    # 30 × Σ votes × value / (votes × 10) with 非常满意 10, 满意 8, 基本满意 6, 不满意 3, 非常不满意 0
    rows = list(csv.DictReader(io.StringIO(export.read_text("utf-8"))))
    march = Counter(r["评价等级"] for r in rows
                    if r["窗口"] == "窗口01" and r["评价时间"].startswith("2022-03"))
    march_facts = next(e for e in derived.periods["2022-03"] if e["id"] == "窗口01")["facts"]
    assert {k: v for k, v in march_facts["good_bad"].items() if v} == dict(march)
    values = {"非常满意": 10, "满意": 8, "基本满意": 6, "不满意": 3, "非常不满意": 0}
    votes = sum(march.values())
    expected = Decimal(30 * sum(values[k] * n for k, n in march.items())) / (votes * 10)
    merged = tables.merge_sources([("records", derived.periods["2022-03"]), ("facts", other)])
    result = api.evaluate_all(plan, merged).results["窗口01"]
    assert result.nodes["good_bad"].value == expected.quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")
