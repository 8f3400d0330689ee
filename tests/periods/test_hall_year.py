"""A year of monthly results for a hall's windows: streaks, carry-over, quarterly and annual
roll-ups with their awards — every number worked by hand from examples/periods/hall.yaml."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from govscore import api
from govscore.periods import explain, run
from tests.periods.helpers import DATA, write_events, write_facts


@pytest.fixture(scope="module")
def year(tmp_path_factory: pytest.TempPathFactory) -> run.RunResult:
    folder = tmp_path_factory.mktemp("hall")
    files = []
    for month in range(1, 13):
        key = f"2022-{month:02d}"
        units: dict[str, dict[str, int]] = {"W1": {"service": 96},
                                            "W2": {"service": 91 if month == 3 else 90}}
        if month != 5:  # W3 has no facts in May: no result that month
            units["W3"] = {"service": 80}
        files.append(write_facts(folder, "hall", key, units))
    events = write_events(folder, "honours", [
        # 对上期工作的表彰: February's assessment closes 10 days after February ends (03-10)
        {"rule": "honour_events", "unit": "W1", "date": "2022-03-05", "id": "E1",
         "for": "2022-02"},
        {"rule": "honour_events", "unit": "W1", "date": "2022-03-20", "id": "E2",
         "for": "2022-02"},
    ])
    return run.run([run.Job(api.compile(DATA / "hall.yaml"), files, [events])])


def totals(result: run.RunResult, period: str) -> dict[str, Decimal]:
    assessment = result.schemes["hall"].periods[period].assessment
    return {u: r.total for u, r in assessment.results.items()}


def test_every_month_is_scored_with_its_carry_over(year: run.RunResult) -> None:
    # honours: per_occurrence per 1. E1 (issued 03-05 for 2022-02, by the close 03-10) counts in
    # February; E2 (issued 03-20, after February closed) counts in March, the month it was issued.
    assert totals(year, "2022-01") == {"W1": Decimal(96), "W2": Decimal(90), "W3": Decimal(80)}
    assert totals(year, "2022-02")["W1"] == Decimal(97)  # 96 + 1 (E1)
    assert totals(year, "2022-03")["W1"] == Decimal(97)  # 96 + 1 (E2)
    assert totals(year, "2022-04")["W1"] == Decimal(96)  # nothing carried twice
    assert set(totals(year, "2022-05")) == {"W1", "W2"}  # W3 gave no facts in May
    counted = [e.id for p in year.schemes["hall"].periods.values()
               for n in p.notes.get("W1", []) for e in n.events]
    assert sorted(counted) == ["E1", "E2"]  # each event counted in exactly one period


def test_a_streak_breaks_on_a_missing_month(year: run.RunResult) -> None:
    # 连续2个月排名落后的窗口约谈 (streak, periods 2, when bottom 1): W3 is last of 3 in Jan–Apr,
    # so the streak reaches 2 in February and goes on (3, 4). May has no result for W3: the streak
    # breaks, and June (last again) starts a new one at 1 — no 约谈 in June; July is the 2nd.
    periods = year.schemes["hall"].periods
    fired = {k: [c.length for c in p.consequences.get("W3", [])] for k, p in periods.items()}
    assert fired["2022-01"] == []
    assert fired["2022-02"] == [2]
    assert fired["2022-04"] == [4]
    assert fired["2022-05"] == []
    assert fired["2022-06"] == []
    assert fired["2022-07"] == [2]
    assert periods["2022-07"].consequences["W3"][0].periods == ("2022-06", "2022-07")
    # In May W2 is the last of the 2 scored: a streak of 1, which does not fire.
    assert "W2" not in periods["2022-05"].consequences


def test_quarter_rollup_mean_of_present_and_its_award(year: run.RunResult) -> None:
    quarters = year.schemes["hall"].rollups["quarter"]
    # Q1 mean: W1 (96 + 97 + 97) / 3 = 290 / 3 = 96.666… → 96.67 (2 places, half up);
    # W2 (90 + 90 + 91) / 3 = 271 / 3 = 90.333… → 90.33.
    assert quarters["2022-Q1"].values["W1"].value == Decimal("96.67")
    assert quarters["2022-Q1"].values["W2"].value == Decimal("90.33")
    # Q2: W3 has April and June; May is missing and counts as the mean of the present: 80.
    assert quarters["2022-Q2"].values["W3"].value == Decimal("80.00")
    assert quarters["2022-Q2"].values["W3"].missing == ("2022-05",)
    # 红旗窗口 (count 1, only 优秀 >= 95): W1 with 96.67 each quarter.
    assert quarters["2022-Q1"].placements["W1"].awards == ("red_flag",)
    assert quarters["2022-Q1"].placements["W2"].awards == ()


def test_year_rollup_best_ten_with_missing_as_zero(year: run.RunResult) -> None:
    annual = year.schemes["hall"].rollups["year"]["2022"]
    # best 10 of 12, mean, missing zero. W1: months 96 ×10 and 97 ×2 → best ten: 97, 97 and
    # eight 96 = 962 → 96.2. W2: 91 and nine 90 = 901 → 90.1. W3: eleven 80 and May 0 → the ten
    # best are all 80 → 80.
    assert annual.values["W1"].value == Decimal("96.20")
    assert annual.values["W2"].value == Decimal("90.10")
    assert annual.values["W3"].value == Decimal("80.00")
    assert Decimal(0) in annual.values["W3"].filled
    assert Decimal(0) not in annual.values["W3"].kept
    assert annual.placements["W1"].grade == "优秀"


def test_each_period_and_rollup_explained_in_both_languages(year: run.RunResult) -> None:
    titles = explain.titles_of(year, "hall")
    march = explain.explain_period(year.schemes["hall"].periods["2022-03"], "W1", titles)
    assert "表彰: 本期计入 1 项 → 表彰加分 = 1" in march
    assert "E2: 2022-03-20 发, 为 2022-02 的工作, 计入本期" in march
    assert "总分 97.00" in march
    q1 = year.schemes["hall"].rollups["quarter"]["2022-Q1"]
    zh = explain.explain_rollup(q1, "W1")
    assert "(96.00 + 97.00 + 97.00) ÷ 3 = " in zh
    assert zh.endswith("获评: 红旗窗口")
    en = explain.explain_rollup(year.schemes["hall"].rollups["year"]["2022"], "W3", "en")
    assert "2022-05: missing → 0" in en
    assert "best 10" in en
    july = explain.explain_period(year.schemes["hall"].periods["2022-07"], "W3", titles, "en")
    assert "约谈: 2 periods in a row (2022-06, 2022-07)" in july


def test_a_period_run_alone_gets_the_same_carry_over(tmp_path: Path) -> None:
    # Attribution is a function of the event alone: March scored on its own still counts E2.
    files = [write_facts(tmp_path, "hall", "2022-03", {"W1": {"service": 96}})]
    events = write_events(tmp_path, "honours", [
        {"rule": "honour_events", "unit": "W1", "date": "2022-03-20", "id": "E2",
         "for": "2022-02"}])
    alone = run.run([run.Job(api.compile(DATA / "hall.yaml"), files, [events])])
    assert alone.schemes["hall"].periods["2022-03"].assessment.results["W1"].total == 97
