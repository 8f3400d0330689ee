"""S6 (信访) from a generated year of per-case records (benchmarks/bench_records.py --scheme s6):
every case counted, every unit scored, and one unit's rates recounted independently from the
CSV with the csv module, exclusions (诉讼, 仲裁, 行政复议) applied by hand."""

from __future__ import annotations

import csv
import importlib.util
import io
from pathlib import Path
from typing import Any

import pytest

from govscore import api
from govscore.inputs import tables

pytest.importorskip("duckdb")
ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "benchmarks" / "bench_records.py"


def _bench() -> Any:
    spec = importlib.util.spec_from_file_location("bench_records", BENCH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_s6_year_from_generated_cases(tmp_path: Path) -> None:
    bench = _bench()
    export, records = bench.generate_s6(3000, tmp_path, "csv")
    plan = api.compile(ROOT / "schemes" / "s6-xinfang.yaml")
    derived = api.derive_facts(plan, records, [export])
    assert derived.rejected == 0
    assert derived.rows == 3000
    _, entries = derived.period("2024")
    grassroots, higher = bench.GRASSROOTS, bench.HIGHER
    other = [{"id": u, "facts": {"backlog_resolution": {"done": 1, "target": 1},
                                 "procedure": ["delivery_on_time"],
                                 "eval_360_grassroots": {"public": [90], "superior": [90],
                                                         "third_party": [90]}}}
             for u in grassroots] + \
            [{"id": u, "facts": {"backlog_resolution": {"done": 1, "target": 1},
                                 "coordination": 8, "procedure": ["delivery_on_time"],
                                 "eval_360_higher": {"public": [90], "superior": [90],
                                                     "third_party": [90]}}}
             for u in higher]
    assessment = api.evaluate_all(plan, tables.merge_sources([("records", entries),
                                                              ("facts", other)]))
    assert not assessment.rejected
    assert len(assessment.results) == 40
    # recount 城关镇 by hand from the export
    rows = [r for r in csv.DictReader(io.StringIO(export.read_text("utf-8")))
            if r["责任单位"] == "城关镇"]
    facts = next(e for e in entries if e["id"] == "城关镇")["facts"]
    # 及时受理率: accepted in time / received (every case of the unit)
    assert facts["timely_acceptance"] == {"done": sum(r["及时受理"] == "是" for r in rows),
                                          "target": len(rows)}
    # 按期办结率: cases due (not 未到期), less those gone to 诉讼/仲裁/行政复议
    due = [r for r in rows if r["办结情况"] != "未到期"
           and r["去向"] not in ("诉讼", "仲裁", "行政复议")]
    assert facts["on_time_closure"] == {"done": sum(r["办结情况"] == "按期办结" for r in due),
                                        "target": len(due)}
    # 超期未办结: every such case (no exclusion in the records file for this count)
    assert facts["overdue"] == sum(r["办结情况"] == "超期未办结" for r in rows)
    assert facts["overdue"] > 0  # the generator makes some: the count is not vacuous
