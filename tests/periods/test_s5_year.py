"""S5 (济宁 一事一评) over a year: monthly window and staff scores from generated raw ratings
(govscore.records on DuckDB), the quarter's 红旗窗口 and 服务标兵 on the quarter roll-up, and the
year's result — the roll-ups recomputed independently from the monthly totals."""

from __future__ import annotations

import decimal
import importlib.util
from decimal import Decimal
from pathlib import Path

import pytest

from govscore import api
from govscore.periods import explain, run
from tests.periods.helpers import write_facts

pytest.importorskip("duckdb")
ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "benchmarks" / "bench_records.py"


@pytest.fixture(scope="module")
def year(tmp_path_factory: pytest.TempPathFactory) -> tuple[run.RunResult, list[str]]:
    spec = importlib.util.spec_from_file_location("bench_records", BENCH)
    assert spec is not None
    assert spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    folder = tmp_path_factory.mktemp("s5")
    export, records = bench.generate(4000, folder, "csv")
    units = bench.WINDOWS + bench.STAFF
    # what the ratings do not give: no commendation, no publicity this year
    facts = [write_facts(folder, "s5-other", f"2022-{m:02d}",
                         {u: {"commendation": [], "publicity": {}} for u in units})
             for m in range(1, 13)]
    job = run.Job(api.compile(ROOT / "schemes" / "s5-jining.yaml"), facts, records=records,
                  exports=[export])
    return run.run([job]), units


def half_up(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=decimal.ROUND_HALF_UP)


def test_every_month_scored_from_the_ratings(year: tuple[run.RunResult, list[str]]) -> None:
    result, units = year
    s5 = result.schemes["s5-jining"]
    assert sorted(s5.periods) == [f"2022-{m:02d}" for m in range(1, 13)]
    for period in s5.periods.values():
        assert len(period.assessment.results) == len(units) == 384
        assert not period.assessment.rejected
        assert period.assessment.record.lineage is not None  # the queries behind the counts
    assert result.ok


def test_quarter_and_year_are_the_mean_of_the_months(year: tuple[run.RunResult, list[str]]
                                                     ) -> None:
    result, units = year
    s5 = result.schemes["s5-jining"]
    monthly = {k: p.assessment.results for k, p in s5.periods.items()}
    for unit in (units[0], units[63], units[64], units[-1]):
        # the quarter: (m1 + m2 + m3) / 3, rounded half up to 2 places (assumption rollups)
        q2 = [monthly[f"2022-{m:02d}"][unit].total for m in (4, 5, 6)]
        assert s5.rollups["quarter"]["2022-Q2"].values[unit].value == half_up(sum(q2) / 3)
        months = [monthly[f"2022-{m:02d}"][unit].total for m in range(1, 13)]
        assert s5.rollups["year"]["2022"].values[unit].value == half_up(sum(months) / 12)


def test_quarterly_awards_respect_their_quota(year: tuple[run.RunResult, list[str]]) -> None:
    result, _ = year
    for quarter in result.schemes["s5-jining"].rollups["quarter"].values():
        for award, category, size in (("red_flag_window", "window", 64),
                                      ("service_model", "staff", 320)):
            winners = [u for u, p in quarter.placements.items() if award in p.awards]
            # floor(10% × units of the category), only 优秀 (>= 95), only that category
            assert len(winners) <= size // 10
            for unit in winners:
                assert quarter.placements[unit].grade == "优秀"
                assert quarter.values[unit].value >= 95
                assert quarter.placements[unit].scope == category


def test_the_year_explained(year: tuple[run.RunResult, list[str]]) -> None:
    result, units = year
    annual = result.schemes["s5-jining"].rollups["year"]["2022"]
    text = explain.explain_rollup(annual, units[0])
    assert text.startswith("年度平时考核成绩 2022(各期平均)")
    assert text.count("\n  2022-") == 12


def test_some_quarter_has_winners(year: tuple[run.RunResult, list[str]]) -> None:
    # with 92 % 非常满意 most windows are 优秀 every month: every quarter names its 6 windows
    # (floor(10% × 64)) unless a tie at the boundary is left for a human
    result, _ = year
    for quarter in result.schemes["s5-jining"].rollups["quarter"].values():
        won = [u for u, p in quarter.placements.items() if "red_flag_window" in p.awards]
        undecided = [u for u, p in quarter.placements.items() if "red_flag_window" in p.undecided]
        assert len(won) == 6 or undecided
        assert won or undecided
