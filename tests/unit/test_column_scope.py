"""Schemes with outputs through the columns (govscore.bulk, columnar's tail): S1's conversion by a
weight input and S5's pay formula are written from the columns, the same file byte for byte as
the usual way, and every output is the number the scheme's text gives, worked out by hand."""

from __future__ import annotations

import csv
import io
import random
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("numpy")
pytest.importorskip("pyarrow")

import govscore
from govscore import api, bulk
from govscore.engine import columnar

ROOT = Path(__file__).resolve().parents[2]

S1_DEPT_FULL = {  # every dept item of S1 at its full marks (二(一)): 15 + 25 + 20 + 35 + 5 = 100
    "d_standard_1": "5", "d_standard_2": "5", "d_standard_3": "5",
    "d_approval_1": "5", "d_approval_2": "5", "d_approval_3": "5", "d_approval_4": "5",
    "d_approval_5": "5", "d_concentration_1": "5", "d_concentration_2": "5",
    "d_concentration_3": "10", "d_efficiency_1": "10", "d_efficiency_2": "15",
    "d_efficiency_3.done": "12", "d_efficiency_3.target": "12", "d_internet_1": "3",
    "d_internet_2": "2", "efficiency_incidents": "0", "complaints": "0",
}


def write_rows(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, *rows])
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def both_ways(plan: Any, facts: Path, folder: Path, suffix: str) -> tuple[bytes, bytes, Any]:
    usual, columns = folder / f"usual{suffix}", folder / f"columns{suffix}"
    api.write_report(api.evaluate_all(plan, api.read_facts(facts)), plan, usual)
    summary = bulk.score_file(plan, facts, columns)
    assert summary is not None, "the columns did not take the file"
    return usual.read_bytes(), columns.read_bytes(), summary


def report_rows(data: bytes) -> dict[str, dict[str, str]]:
    return {r["unit"]: r for r in csv.DictReader(io.StringIO(data.decode("utf-8-sig")))}


def s1_dept(unit: str, weight: str, **changed: str) -> list[str]:
    facts = {**S1_DEPT_FULL, **changed, "annual_weight": weight}
    return [unit, "dept", *facts.values()]


S1_HEADER = ["id", "category", *S1_DEPT_FULL, "annual_weight"]


def test_s1_annual_target_is_written_from_the_columns(tmp_path: Path) -> None:
    """三(三): annual_target = total / 100 × W, rounded half up to 2 places (assumption
    annual_weight, rounding)."""
    plan = govscore.compile(ROOT / "schemes" / "s1-jiange.yaml")
    assert bulk.scheme_taken(plan)
    rows = [
        s1_dept("首行", "1"),  # the first data row may be titles: the scalar path reads it
        # every item full: 100.00; 100.00 / 100 × 15 = 15.00
        s1_dept("满分", "15"),
        # d_standard_3 at 1.5 of 5: 100 − 3.5 = 96.50; 96.50 / 100 × 7 = 6.755 → 6.76 (half up
        # at the tie)
        s1_dept("扣分", "7", d_standard_3="1.5"),
        # 信息目标 1 of 8 done: 10 × 1/8 = 1.25; total 90 + 1.25 = 91.25;
        # 91.25 / 100 × 3 = 2.7375 → 2.74
        s1_dept("八分之一", "3", **{"d_efficiency_3.done": "1", "d_efficiency_3.target": "8"}),
        # 信息目标 2 of 3 done: 10 × 2/3 = 6.666… → 6.67; total 90 + 6.67 = 96.67;
        # 96.67 / 100 × 3 = 2.9001 → 2.90 (the quotient 2/3 does not end: the columns keep
        # it exact, columnar.Quot, to the item's rounding)
        s1_dept("比例", "3", **{"d_efficiency_3.done": "2", "d_efficiency_3.target": "3"}),
        # W = 0: 0.00 whatever the total
        s1_dept("零权", "0"),
    ]
    facts = write_rows(tmp_path / "facts.csv", S1_HEADER, rows)
    for suffix in (".csv", ".parquet"):
        usual, columns, summary = both_ways(plan, facts, tmp_path, suffix)
        assert columns == usual
    assert (summary.by_columns, summary.scalar) == (5, 1)
    got = report_rows((tmp_path / "columns.csv").read_bytes())
    assert [(got[u]["total"], got[u]["annual_target"])
            for u in ("满分", "扣分", "八分之一", "比例", "零权")] == [
        ("100.00", "15.00"), ("96.50", "6.76"), ("91.25", "2.74"), ("96.67", "2.90"),
        ("100.00", "0.00")]


def s5_window(unit: str, purchased: str, **occurrences: str) -> list[str]:
    facts = {"good_bad.非常满意": "100", "commendation.市级": "0", "publicity.市级": "0",
             "dept_entry": "0", "daily_window": "0", "business_window": "0", "complaints": "0",
             "purchased_service": purchased}
    facts.update(occurrences)
    return [unit, "window", *facts.values()]


S5_HEADER = ["id", "category", "good_bad.非常满意", "commendation.市级", "publicity.市级",
             "dept_entry", "daily_window", "business_window", "complaints", "purchased_service"]


def test_s5_pay_adjustment_is_written_from_the_columns(tmp_path: Path) -> None:
    """三 段2 (assumption pay_rule): pay_adjustment = clamp((total − 90) × 30, −300, 300) for
    政府购买服务人员, else 0. A window with no deduction and every rating 非常满意 scores
    20 + 20 + 20 + 30 + 10 = 100 (common), no bonus."""
    plan = govscore.compile(ROOT / "schemes" / "s5-jining.yaml")
    assert bulk.scheme_taken(plan)
    rows = [
        s5_window("首行", "true"),
        # 100.00: (100 − 90) × 30 = 300.00
        s5_window("满分", "true"),
        # daily_window 3 × 1 and business_window 2 × 2 taken off: 93.00; 3 × 30 = 90.00
        s5_window("九十三", "true", daily_window="3", business_window="2"),
        # complaints 2 × 5 = 10 and business_window 5 × 2 = 10 taken off: 80.00;
        # (80 − 90) × 30 = −300.00 (the clamp's low bound)
        s5_window("八十", "true", complaints="2", business_window="5"),
        # the same total, not 政府购买服务: 0.00
        s5_window("非购买", "false", complaints="2", business_window="5"),
        # daily_window 10: 90.00; 0 × 30 = 0.00
        s5_window("九十", "true", daily_window="10"),
    ]
    facts = write_rows(tmp_path / "facts.csv", S5_HEADER, rows)
    for suffix in (".csv", ".parquet"):
        usual, columns, summary = both_ways(plan, facts, tmp_path, suffix)
        assert columns == usual
    assert summary.by_columns == 5
    got = report_rows((tmp_path / "columns.csv").read_bytes())
    assert [(got[u]["total"], got[u]["pay_adjustment"])
            for u in ("满分", "九十三", "八十", "非购买", "九十")] == [
        ("100.00", "300.00"), ("93.00", "90.00"), ("80.00", "-300.00"), ("80.00", "0.00"),
        ("90.00", "0.00")]


def _half_up(value: Fraction) -> str:
    """A fraction rounded half up to 2 places, by integers alone."""
    cents, rest = divmod(value * 100, 1)
    cents += rest >= Fraction(1, 2)
    return str(Decimal(int(cents)).scaleb(-2))


def test_many_s1_units_over_chunks_give_the_same_files(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Random S1 units in several scoring chunks (the tail's outcomes shared across chunks):
    the same files, and every annual_target equals total × W / 100 worked out here in
    fractions and rounded half up."""
    from govscore.views import report_columns

    monkeypatch.setattr(bulk, "SCORE_CHUNK", 256)
    monkeypatch.setattr(columnar, "CHUNK", 64)
    monkeypatch.setattr(report_columns, "CHUNK", 100)
    plan = govscore.compile(ROOT / "schemes" / "s1-jiange.yaml")
    rng = random.Random(7)
    rows = []
    for i in range(900):
        changed = {k: str(Decimal(rng.randint(0, 2 * int(v))) / 2)
                   for k, v in S1_DEPT_FULL.items() if rng.random() < 0.3 and "." not in k
                   and k not in ("efficiency_incidents", "complaints")}
        # 10 × done / target mostly does not end: kept exact to the item's rounding
        target = rng.randint(1, 12)
        changed.update({"d_efficiency_3.done": str(rng.randint(0, target)),
                        "d_efficiency_3.target": str(target)})
        rows.append(s1_dept(f"单位{i:03d}", rng.choice(["15", "12.5", "10", "7", "0.3"]),
                            **changed))
    facts = write_rows(tmp_path / "facts.csv", S1_HEADER, rows)
    for suffix in (".csv", ".parquet"):
        usual, columns, summary = both_ways(plan, facts, tmp_path, suffix)
        assert columns == usual
    assert summary.by_columns == 899  # all but the first row
    weights = {r[0]: r[-1] for r in rows}
    for unit, row in report_rows((tmp_path / "columns.csv").read_bytes()).items():
        expected = _half_up(Fraction(row["total"]) * Fraction(weights[unit]) / 100)
        assert row["annual_target"] == expected, unit


def test_a_failing_output_sends_its_units_the_usual_way(tmp_path: Path) -> None:
    """An output formula dividing by an input that is 0 for some units: those units' error is
    the scalar path's to report, so the file is not written through the columns; where no unit
    divides by 0, the same file is."""
    text = """
govscore: "1"
id: out-div
title: 输出除法
source: {document: 测试}
version: "1"
precision: {places: 2, rounding: half_up}
inputs:
  - {id: staff, title: 人数, type: number, min: 0}
score:
  id: overall
  title: 总分
  max: 10
  children:
    - {id: a, title: 甲, max: 10, rule: {kind: manual, min: 0, max: 10}}
outputs:
  - {id: per_head, title: 人均, kind: formula, formula: "total / staff"}
"""
    plan = api.compile(api.load(text=text, name="out-div.yaml"))
    assert bulk.scheme_taken(plan)
    header = ["id", "a", "staff"]
    # 7 / 3 = 2.333… → 2.33; 10 / 4 = 2.50; 1 / 8 = 0.125 → 0.13
    rows = [["U0", "5", "2"], ["U1", "7", "3"], ["U2", "10", "4"], ["U3", "1", "8"]]
    facts = write_rows(tmp_path / "facts.csv", header, rows)
    usual, columns, _ = both_ways(plan, facts, tmp_path, ".csv")
    assert columns == usual
    got = report_rows(columns)
    assert [got[u]["per_head"] for u in ("U1", "U2", "U3")] == ["2.33", "2.50", "0.13"]
    write_rows(facts, header, [*rows, ["U4", "3", "0"]])
    assessment = api.evaluate_all(plan, api.read_facts(facts))
    assert [r.unit for r in assessment.rejected] == ["U4"]
    assert bulk.score_file(plan, facts, tmp_path / "x.csv") is None
    # the usual way's Parquet holds the REJECTED row too (its CSV row is shorter than the
    # header: it was an ArrowInvalid traceback)
    import pyarrow.parquet as pq

    api.write_report(assessment, plan, tmp_path / "usual.parquet")
    table = pq.read_table(tmp_path / "usual.parquet").to_pylist()
    rejected = next(r for r in table if r["unit"] == "U4")
    assert rejected["scope"] == "REJECTED"
    assert rejected["per_head"] is None
    assert "division by zero" in rejected["ineligible"]


RESCALING = """
govscore: "1"
id: rescaling
title: 折算
source: {document: 测试}
version: "1"
precision: {places: 2, rounding: half_up}
categories:
  - {id: a, title: 甲类}
  - {id: b, title: 乙类}
score:
  id: overall
  title: 总分
  children:
    - id: g
      title: 缺项折算
      not_applicable: rescale
      children:
        - {id: x, title: 甲, max: 5, rule: {kind: manual, min: 0, max: 5}}
        - {id: y, title: 乙, max: 3, applies_to: [a], rule: {kind: manual, min: 0, max: 3}}
    - id: h
      title: 折合十分
      scale_to: 10
      children:
        - {id: z, title: 丙, max: 4, rule: {kind: manual, min: 0, max: 4}}
    - id: k
      title: 三分折十分
      scale_to: 10
      children:
        - {id: w, title: 丁, max: 3, rule: {kind: manual, min: 0, max: 3}}
"""


def test_scaled_groups_are_written_at_the_quotient_s_exponent(tmp_path: Path) -> None:
    """A group's value after ``/ full × scale_to`` is written as Decimal writes the quotient
    ``v × scale_to / full``: at the dividend's places where it ends there, with more where it
    needs them. (``not_applicable: rescale`` gives a unit's not-applicable children's share
    back; a category without ``y`` has g's max 5 (GS302), so nothing is rescaled for it, and a
    unit with a not-applicable fact is scored by the scalar path.)"""
    plan = api.compile(api.load(text=RESCALING, name="rescaling.yaml"))
    assert bulk.scheme_taken(plan)
    rows = [
        ["U0", "a", "1", "1", "1", "1"],  # the first data row: the scalar path
        # category b has no y: g = x = 2.50; h = z × 10 / 4 = 3.00 × 10 / 4 = 7.50 (the
        # quotient ends at the dividend's 2 places); k = 3.00 × 10 / 3 = 10.00; total 20.00
        ["U1", "b", "2.5", "", "3", "3"],
        # z = 0.01: 0.01 × 10 / 4 = 0.025 (three places: the quotient needs them);
        # total 0.01 + 0.025 = 0.035 → 0.04 (half up)
        ["U2", "b", "0.01", "", "0.01", "0"],
        # category a: g = 2 + 3 = 5.00; h = 4.00 × 10 / 4 = 10.00
        ["U3", "a", "2", "3", "4", "0"],
        # zeros: 0.00 × 10 / 4 = 0.00
        ["U4", "b", "0", "", "0", "0"],
        # w = 1: k = 1.00 × 10 / 3 does not end: Decimal's 34 significant digits,
        # 3.333333333333333333333333333333333 (the scalar path scores this unit; its cell is
        # that text); total 1 + 0 + 3.333… = 4.333… → 4.33
        ["U5", "b", "1", "", "0", "1"],
    ]
    facts = write_rows(tmp_path / "facts.csv", ["id", "category", "x", "y", "z", "w"], rows)
    for suffix in (".csv", ".parquet"):
        usual, columns, summary = both_ways(plan, facts, tmp_path, suffix)
        assert columns == usual
    assert (summary.by_columns, summary.scalar) == (4, 2)
    got = report_rows((tmp_path / "columns.csv").read_bytes())
    assert [(got[u]["g"], got[u]["h"], got[u]["k"], got[u]["total"])
            for u in ("U1", "U2", "U3", "U4", "U5")] == [
        ("2.50", "7.50", "10.00", "20.00"), ("0.01", "0.025", "0.00", "0.04"),
        ("5.00", "10.00", "0.00", "15.00"), ("0.00", "0.00", "0.00", "0.00"),
        ("1.00", "0.00", "3.333333333333333333333333333333333", "4.33")]


TIES = """
govscore: "1"
id: ties
title: 并列
source: {document: 测试}
version: "1"
precision: {places: 2, rounding: half_up}
inputs:
  - {id: reach, title: 覆盖率, type: number, min: 0}
  - {id: late, title: 逾期数, type: number, min: 0, default: 0}
score:
  id: overall
  title: 总分
  children:
    - {id: x, title: 甲, max: 10, rule: {kind: manual, min: 0, max: 10}}
ranking:
  scope: all
  tie_breakers:
    - {input: reach}
    - {input: late, order: asc}
"""


def test_ties_broken_on_inputs_through_the_columns(tmp_path: Path) -> None:
    """Equal totals ranked by ``reach`` (higher first), then ``late`` (lower first); units
    equal on all three share a rank (competition ranking: 1, 2, 2, 4)."""
    plan = api.compile(api.load(text=TIES, name="ties.yaml"))
    assert bulk.scheme_taken(plan)
    rows = [
        ["U0", "5", "0.5", "3"],      # the first data row (the scalar path): total 5, rank 5
        ["A", "8", "0.9", "2"],       # 8 / 0.9 / 2: equal to B → rank 2 (after D)
        ["B", "8", "0.90", "2"],      # 0.90 = 0.9: equal to A → rank 2
        ["C", "8", "0.9", "3.5"],     # 8 / 0.9 / 3.5: more late → rank 4
        ["D", "8", "0.95", "9"],      # 8 / 0.95: the highest reach → rank 1
        ["E", "4", "1", ""],          # total 4 → rank 6 (late not given: 0)
    ]
    facts = write_rows(tmp_path / "facts.csv", ["id", "x", "reach", "late"], rows)
    for suffix in (".csv", ".parquet"):
        usual, columns, summary = both_ways(plan, facts, tmp_path, suffix)
        assert columns == usual
    assert summary.by_columns == 5
    got = report_rows((tmp_path / "columns.csv").read_bytes())
    assert {u: got[u]["rank"] for u in got} == {"D": "1", "A": "2", "B": "2", "C": "4",
                                                "U0": "5", "E": "6"}


def test_distinct_rows_packed_or_not_agree_with_numpy() -> None:
    """The tail's distinct combinations: packed into one key where the ranges allow, row by row
    where they do not (a column spanning most of int64) — the same rows either way."""
    import numpy as np

    rng = np.random.default_rng(5)
    small = [rng.integers(-3, 4, 500), rng.integers(0, 2, 500), rng.integers(100, 105, 500)]
    wide = [small[0], rng.choice(np.array([-(2**61), 0, 2**61], dtype=np.int64), 500)]
    for columns in (small, wide):
        first, inverse, distinct = columnar._distinct_rows(columns)
        stacked = np.stack(columns, axis=1)
        expected = np.unique(stacked, axis=0)
        assert sorted(map(tuple, distinct.tolist())) == sorted(map(tuple, expected.tolist()))
        assert (distinct[inverse] == stacked).all()  # every row maps to its own combination
        assert (stacked[first] == distinct).all()  # the first row of each is one of them
        assert len(set(inverse.tolist())) == len(expected)


def test_s1_and_s5_streamed_through_the_columns(tmp_path: Path) -> None:
    """``score --stream`` (rows in input order) of S1 and S5 through the columns: the bytes
    the row-by-row stream writes, outputs included."""
    from govscore import stream

    s1 = [s1_dept("首行", "1"), s1_dept("满分", "15"), s1_dept("扣分", "7", d_standard_3="1.5"),
          s1_dept("零权", "0")]
    s5 = [s5_window("首行", "true"), s5_window("九十三", "true", daily_window="3",
                                              business_window="2"),
          s5_window("非购买", "false", complaints="2")]
    for name, header, rows in (("s1-jiange", S1_HEADER, s1), ("s5-jining", S5_HEADER, s5)):
        plan = govscore.compile(ROOT / "schemes" / f"{name}.yaml")
        facts = write_rows(tmp_path / f"{name}.csv", header, rows)
        streamed, columns = tmp_path / f"{name}.streamed.csv", tmp_path / f"{name}.columns.csv"
        stream.score_csv(plan, facts, streamed)
        summary = bulk.score_file(plan, facts, columns, input_order=True)
        assert summary is not None
        assert summary.by_columns == len(rows) - 1
        assert columns.read_bytes() == streamed.read_bytes()


def test_s5_example_through_the_columns_equals_the_example_scored_the_usual_way(
        tmp_path: Path) -> None:
    """S5's shipped example, its commendation lists written as counts per level (each event is
    its own matter there, so ``highest_per_matter`` counts the same), as a wide CSV through the
    columns: the report the usual way writes from the example's YAML, byte for byte."""
    from .test_bulk import wide_rows, write_csv

    plan = govscore.compile(ROOT / "schemes" / "s5-jining.yaml")
    units = api.read_facts(ROOT / "examples" / "s5-jining.facts.yaml")
    converted = []
    for u in units:
        facts = dict(u["facts"])
        events = facts.get("commendation", [])
        assert len({e["matter"] for e in events}) == len(events)  # one event per matter
        counts: dict[str, int] = {}
        for e in events:
            counts[e["level"]] = counts.get(e["level"], 0) + 1
        facts["commendation"] = counts
        if facts.get("good_bad") == {}:  # no votes (no_votes: full), as a level with 0 votes
            facts["good_bad"] = {"非常满意": 0}
        converted.append({**u, "facts": facts})
    facts_csv = write_csv(tmp_path / "facts.csv", wide_rows(plan, converted))
    for suffix in (".csv", ".parquet"):
        usual = tmp_path / f"usual{suffix}"
        api.write_report(api.evaluate_all(plan, units), plan, usual)
        summary = bulk.score_file(plan, facts_csv, tmp_path / f"columns{suffix}")
        assert summary is not None
        # every unit but the first row (which may be titles) by the columns
        assert summary.by_columns == len(units) - 1, summary
        assert (tmp_path / f"columns{suffix}").read_bytes() == usual.read_bytes()


def test_s5_ratings_whose_quotient_does_not_end_stay_in_the_columns(tmp_path: Path) -> None:
    """S5's 好差评 (rating: 非常满意 10, 满意 8, 基本满意 6, 不满意 3, 非常不满意 0, full 10,
    max 30) over random votes: quotients that do not end are kept exact to the item's rounding,
    and the file equals the usual way's."""
    plan = govscore.compile(ROOT / "schemes" / "s5-jining.yaml")
    levels = ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]
    header = ["id", "category", *(f"good_bad.{lv}" for lv in levels), "commendation.市级",
              "publicity.市级", "purchased_service"]
    # 6 × 10 + 1 × 8 = 68 points of 7 × 10: 30 × 68 / 70 = 29.142857… → 29.14; nothing else
    # taken off: 20 + 20 + 20 + 29.14 + 10 = 99.14; (99.14 − 90) × 30 = 274.20
    rows = [["U0", "window", "1", "0", "0", "0", "0", "0", "0", "false"],
            ["七票", "window", "6", "1", "0", "0", "0", "0", "0", "true"]]
    rng = random.Random(3)
    rows += [[f"W{i:03d}", "window", *(str(rng.randint(0, 40)) for _ in levels), "0", "0",
              rng.choice(["true", "false"])] for i in range(300)]
    facts = write_rows(tmp_path / "facts.csv", header, rows)
    for suffix in (".csv", ".parquet"):
        usual, columns, summary = both_ways(plan, facts, tmp_path, suffix)
        assert columns == usual
    assert summary.by_columns == len(rows) - 1
    got = report_rows((tmp_path / "columns.csv").read_bytes())["七票"]
    assert (got["good_bad"], got["total"], got["pay_adjustment"]) == ("29.14", "99.14", "274.20")


def test_the_scope_benchmark_writes_the_same_files(capsys: pytest.CaptureFixture[str]) -> None:
    """benchmarks/bench_scope.py on a few units: S1 and S5 through the columns, every unit but
    the first by the columns, the usual way's bytes (exit 3 otherwise)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_scope",
                                                  ROOT / "benchmarks" / "bench_scope.py")
    assert spec is not None
    assert spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    assert bench.main(["--units", "200"]) == 0
    out = capsys.readouterr().out
    assert out.count("same bytes") == 2
    assert out.count("199 by the columns, 1 not") == 2


def test_the_tail_unit_by_unit_gives_the_same_files(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Where the tail's inputs are not all columns (a name the category lacks, a Python-valued
    fact) each unit is its own combination: forced here on S1 and S5, the same files."""
    monkeypatch.setattr(columnar._Tails, "_keys",
                        lambda self, c, total, negative: None)
    for name, header, rows in (
            ("s1-jiange", S1_HEADER, [s1_dept("首行", "1"), s1_dept("满分", "15"),
                                      s1_dept("扣分", "7", d_standard_3="1.5")]),
            ("s5-jining", S5_HEADER, [s5_window("首行", "true"), s5_window("满分", "true"),
                                      s5_window("八十", "true", complaints="2",
                                                business_window="5")])):
        plan = govscore.compile(ROOT / "schemes" / f"{name}.yaml")
        facts = write_rows(tmp_path / f"{name}.csv", header, rows)
        usual, columns, summary = both_ways(plan, facts, tmp_path, ".csv")
        assert columns == usual
        assert summary.by_columns == 2


SCORE_VETO = """
govscore: "1"
id: veto
title: 否决
source: {document: 测试}
version: "1"
precision: {places: 2, rounding: half_even}
categories:
  - {id: c0, title: 类别0}
score:
  id: root
  title: 总分
  children:
    - {id: i7, title: 项目, max: 10, rule: {kind: pass_fail}}
vetoes:
  - {id: v0, title: 否决0, when: {formula: "root < 100"}, effect: score, score: 59}
ranking: {scope: category}
grades:
  bands:
    - {gte: 7, grade: 优秀}
    - {gte: 4, lt: 7, grade: 良好}
    - {lt: 4, grade: 合格}
"""


def test_every_unit_vetoed_to_a_score_is_graded_on_that_score(tmp_path: Path) -> None:
    """root is at most 10, so the veto (root < 100, effect score 59) replaces every total by
    59, and 59 ≥ 7 is 优秀. With every unit on the scalar path the totals' column held 59 at
    exponent 0 and the placement read it at the scheme's 2 places (0.59: 合格) — found by the
    random harness with outputs."""
    plan = api.compile(api.load(text=SCORE_VETO, name="veto.yaml"))
    facts = write_rows(tmp_path / "facts.csv", ["id", "category", "i7"],
                       [["U1", "c0", "false"], ["U2", "c0", "false"], ["U3", "c0", "true"]])
    for suffix in (".csv", ".parquet"):
        usual, columns, summary = both_ways(plan, facts, tmp_path, suffix)
        assert columns == usual
    assert summary.scalar == 3
    got = report_rows((tmp_path / "columns.csv").read_bytes())
    assert {u: (r["total"], r["computed_total"], r["grade"]) for u, r in got.items()} == {
        "U1": ("59", "0.00", "优秀"), "U2": ("59", "0.00", "优秀"), "U3": ("59", "10.00", "优秀")}
