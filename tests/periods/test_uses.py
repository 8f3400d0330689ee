"""Results as facts, worked by hand: a leader's score is the mean of the departments he oversees
(one of them rejected), a shared target's deduction split 承办 60% / 协办 40%, a sub-assessment's
grade turned into a bonus; schemes run in dependency order and a cycle is refused by name."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from govscore import api
from govscore.errors import SchemeError
from govscore.periods import explain, run, runfile
from tests.periods.helpers import DATA, write_facts

RELATIONS = {
    "分管": {"副市长甲": ["交通局", "住建局"], "副市长乙": ["住建局", "水务局"]},
    "承办": {"交通局": ["目标1"], "住建局": ["目标3"]},
    "协办": {"住建局": ["目标1"], "交通局": ["目标2", "目标3"]},
}


def jobs(folder: Path, leaders: str = "leaders.yaml") -> list[run.Job]:
    depts = write_facts(folder, "depts", "2022", {
        "交通局": {"work": 95}, "住建局": {"work": 80},
        "水务局": {"work": 120}})  # above the item's max 100: rejected
    targets = write_facts(folder, "targets", "2022", {
        "目标1": {"done": 5}, "目标2": {"done": 10}, "目标3": {"done": 7.5}})
    chiefs = write_facts(folder, "leaders", "2022", {"副市长甲": {}, "副市长乙": {}})
    annual = write_facts(folder, "annual", "2022", {"交通局": {}, "住建局": {}, "水务局": {}})
    # users listed before their sources: the run orders them
    return [run.Job(api.compile(DATA / "annual.yaml"), [annual]),
            run.Job(api.compile(DATA / leaders), [chiefs]),
            run.Job(api.compile(DATA / "depts.yaml"), [depts]),
            run.Job(api.compile(DATA / "targets.yaml"), [targets])]


@pytest.fixture(scope="module")
def year(tmp_path_factory: pytest.TempPathFactory) -> run.RunResult:
    return run.run(jobs(tmp_path_factory.mktemp("uses")), RELATIONS)


def test_sources_are_scored_first(year: run.RunResult) -> None:
    order = list(year.schemes)
    assert order.index("depts") < order.index("annual")
    assert order.index("targets") < order.index("annual")
    assert order.index("depts") < order.index("leaders")


def test_leader_is_the_mean_of_overseen_units_one_rejected(year: run.RunResult) -> None:
    leaders = year.schemes["leaders"].periods["2022"].assessment
    # 副市长的得分为其分管部门得分的平均: 甲 (交通局 95 + 住建局 80) / 2 = 87.5.
    assert leaders.results["副市长甲"].total == Decimal("87.50")
    # 乙: 水务局 was rejected in depts; missing: mean_of_present → it counts as the mean of the
    # present ones (住建局 80), so (80 + 80) / 2 = 80.
    assert leaders.results["副市长乙"].total == Decimal("80.00")
    taken = year.schemes["leaders"].periods["2022"].taken["副市长乙"][0]
    assert taken.parts == (("住建局", "分管", Decimal(1), Decimal(80)),
                           ("水务局", "分管", Decimal(1), None))
    text = explain.explain_period(year.schemes["leaders"].periods["2022"], "副市长乙",
                                  explain.titles_of(year, "leaders"))
    assert "分管部门平均分 ← depts 的 平均: 80" in text
    assert "  水务局 (分管): 缺" in text


def test_split_of_a_shared_deduction_and_grade_bonus(year: run.RunResult) -> None:
    annual = year.schemes["annual"].periods["2022"].assessment
    # targets: deduction = 10 − total: 目标1 10 − 5 = 5, 目标2 0, 目标3 2.5.
    # 交通局: 部门 95; grade A (>= 90) → 加1分; 承办 目标1 0.6 × 5 = 3, 协办 目标2 0.4 × 0 = 0 and
    # 目标3 0.4 × 2.5 = 1 → 4. Total 95 + 1 − 4 = 92.
    assert annual.results["交通局"].total == Decimal("92.00")
    assert annual.results["交通局"].nodes["shared"].value == Decimal(4)
    # 住建局: 80; grade B → otherwise 0; 承办 目标3 0.6 × 2.5 = 1.5, 协办 目标1 0.4 × 5 = 2
    # → 3.5. Total 80 + 0 − 3.5 = 76.5.
    assert annual.results["住建局"].total == Decimal("76.50")
    assert annual.results["住建局"].nodes["quality"].value == 0
    # 水务局 was rejected in depts; dept_total and quality_bonus have missing: error → rejected
    # here, each naming the source.
    (rejected,) = annual.rejected
    assert rejected.unit == "水务局"
    assert [(d.code, d.item) for d in rejected.diagnostics] == [("GS824", "dept_total"),
                                                                ("GS824", "quality_bonus")]
    assert "'水务局' was rejected in 'depts' for 2022" in rejected.diagnostics[0].message
    assert annual.submitted == 3
    text = explain.explain_period(year.schemes["annual"].periods["2022"], "交通局",
                                  explain.titles_of(year, "annual"), "en")
    assert "质量考核等级加分 ← grade A of depts: 1" in text
    assert "  目标3 (协办): 2.50 × 0.4" in text


def test_missing_error_rejects_the_leader(tmp_path: Path) -> None:
    strict = (DATA / "leaders.yaml").read_text("utf-8").replace(
        "missing: mean_of_present", "missing: error")
    (tmp_path / "strict.yaml").write_text(strict, "utf-8")
    result = run.run(jobs(tmp_path, str(tmp_path / "strict.yaml")), RELATIONS)
    leaders = result.schemes["leaders"].periods["2022"].assessment
    assert leaders.results["副市长甲"].total == Decimal("87.50")
    assert [r.unit for r in leaders.rejected] == ["副市长乙"]
    assert not result.ok


def test_a_cycle_is_refused_naming_it(tmp_path: Path) -> None:
    def scheme(name: str, other: str) -> Path:
        text = (DATA / "leaders.yaml").read_text("utf-8").replace("id: leaders", f"id: {name}") \
            .replace("scheme: depts", f"scheme: {other}")
        path = tmp_path / f"{name}.yaml"
        path.write_text(text, "utf-8")
        return path

    facts = write_facts(tmp_path, "x", "2022", {"u": {}})
    result = run.run([run.Job(api.compile(scheme("cyc-a", "cyc-b")), [facts]),
                      run.Job(api.compile(scheme("cyc-b", "cyc-c")), [facts]),
                      run.Job(api.compile(scheme("cyc-c", "cyc-a")), [facts])])
    (problem,) = result.problems
    assert problem.code == "GS823"
    assert problem.message.endswith("cyc-a → cyc-b → cyc-c → cyc-a")
    assert result.schemes == {}


def test_a_run_file_with_relations(tmp_path: Path) -> None:
    jobs(tmp_path)  # writes the facts files
    for name in ("annual", "leaders", "depts", "targets"):
        (tmp_path / f"{name}.yaml").write_text((DATA / f"{name}.yaml").read_text("utf-8"),
                                               "utf-8")
    (tmp_path / "year.run.yaml").write_text("""\
govscore_run: "1"
schemes:
  - {scheme: annual.yaml, facts: [annual-2022.yaml]}
  - {scheme: leaders.yaml, facts: [leaders-*.yaml]}
  - {scheme: depts.yaml, facts: [depts-2022.yaml]}
  - {scheme: targets.yaml, facts: [targets-2022.yaml]}
relations:
  分管: {副市长甲: [交通局, 住建局], 副市长乙: [住建局, 水务局]}
  承办: {交通局: [目标1], 住建局: [目标3]}
  协办: {住建局: [目标1], 交通局: [目标2, 目标3]}
""", "utf-8")
    result = run.run_file(tmp_path / "year.run.yaml")
    assert result.schemes["annual"].periods["2022"].assessment.results["交通局"].total == 92


def test_run_file_problems_have_positions(tmp_path: Path) -> None:
    (tmp_path / "bad.run.yaml").write_text("""\
govscore_run: "1"
schemes:
  - {scheme: nowhere.yaml, facts: [x.yaml], colour: red}
""", "utf-8")
    with pytest.raises(SchemeError) as caught:
        runfile.load(tmp_path / "bad.run.yaml")
    (problem,) = caught.value.diagnostics
    assert str(problem.span).endswith("bad.run.yaml:3:45")
    (tmp_path / "d.yaml").write_text((DATA / "depts.yaml").read_text("utf-8"), "utf-8")
    (tmp_path / "missing.run.yaml").write_text("""\
govscore_run: "1"
schemes:
  - scheme: d.yaml
    facts: [nothing-*.yaml]
""", "utf-8")
    with pytest.raises(SchemeError) as caught:
        run.run_file(tmp_path / "missing.run.yaml")
    (problem,) = caught.value.diagnostics
    assert (problem.code, str(problem.span).rsplit("/", 1)[1]) == ("GS822",
                                                                   "missing.run.yaml:4:13")


def test_divide_splits_a_share_among_the_units_of_a_relation(year: run.RunResult) -> None:
    # 协办 with divide: true: 交通局 协办 目标2 and 目标3, so each bears 0.4 / 2 = 0.2:
    # 0.2 × 0 + 0.2 × 2.5 = 0.5, plus 承办 目标1 0.6 × 5 = 3 → 3.5.
    from govscore.language import model

    use = model.Use(input="shared_deduction", scheme="targets", value="deduction",
                    over=[model.Link(relation="承办", share=Decimal("0.6")),
                          model.Link(relation="协办", share=Decimal("0.4"), divide=True)],
                    combine="sum")
    period = year.schemes["targets"].periods["2022"].period
    taken = run.take(use, "交通局", period, year.schemes["targets"], RELATIONS)
    assert taken.value == Decimal("3.5")
    assert [share for _, _, share, _ in taken.parts] == [Decimal("0.6"), Decimal("0.2"),
                                                          Decimal("0.2")]


HALL_YEAR = """\
govscore: "1"
id: hall-annual
title: 窗口年度考核
source: {document: test}
version: "1"
period: year
inputs:
  - {id: monthly_mean, title: 平时考核年度成绩, type: number, min: 0, max: 110}
score:
  id: overall
  title: 年度成绩
  max: 110
  children:
    - {id: usual, title: 平时考核, max: 110, rule: {kind: formula, formula: monthly_mean}}
uses:
  - {input: monthly_mean, scheme: hall, rollup: ROLLUP}
"""


def test_a_yearly_scheme_takes_a_monthly_schemes_rollup(tmp_path: Path) -> None:
    months = [write_facts(tmp_path, "hall", f"2022-{m:02d}", {"W1": {"service": 90 + m % 3}})
              for m in range(1, 13)]
    (tmp_path / "annual.yaml").write_text(HALL_YEAR.replace("ROLLUP", "year"), "utf-8")
    year = write_facts(tmp_path, "hall-annual", "2022", {"W1": {}})
    result = run.run([run.Job(api.compile(tmp_path / "annual.yaml"), [year]),
                      run.Job(api.compile(DATA / "hall.yaml"), months)])
    # hall's year roll-up: best 10 of 12 months, mean. Months 90 + m mod 3: m = 1…12 gives
    # 91, 92, 90 four times: the best ten are four 92, four 91 and two 90 = 368 + 364 + 180 = 912
    # → 91.2; the yearly scheme takes it as its input.
    assert result.schemes["hall-annual"].periods["2022"].assessment.results["W1"].total == \
        Decimal("91.20")
    # the quarter roll-up is per quarter: refused before anything is scored
    (tmp_path / "annual.yaml").write_text(HALL_YEAR.replace("ROLLUP", "quarter"), "utf-8")
    result = run.run([run.Job(api.compile(tmp_path / "annual.yaml"), [year]),
                      run.Job(api.compile(DATA / "hall.yaml"), months)])
    (problem,) = result.problems
    assert problem.code == "GS822"
    assert "roll-up 'quarter' is per quarter; 'hall-annual' is scored by year" in problem.message
