"""Population values on computed values and cohort statistics (issue 11 points 1 and 2), on
hand-worked numbers: the phases ordered from the needs, every phase explained, a cycle refused
(GS340), a statistic with no units (GS510), the result independent of the units' order.

The scheme below chains three phases. Its mechanics come from quoted clauses: "高于同类单位平均
值的得满分" (a formula reading a mean), "1.21–1.23 之和排名, 第1名得5分, 每降一名减0.2分" (the
rank of a computed sub-total), and 温州's "与第一名的比值 × 400" (relative to the best unit's
value, here the best unit's first part, which holds the rank points).
"""

from __future__ import annotations

import json

import pytest

import govscore
from govscore import explain
from govscore.engine.results import TraceStep
from tests.helpers import D

CHAIN = """
govscore: "2"
id: chain
title: 三个阶段
source: {document: 合成的例子}
version: "1"
inputs:
  - {id: cases, title: 办件量, type: count}
score:
  id: overall
  title: 总分
  children:
    - id: part2
      title: 第二部分(与第一名比值)
      max: 10
      rule: {kind: relative_to_best, of: part1}
    - id: part1
      title: 第一部分
      children:
        - id: daily
          title: 1.21–1.23 小计
          children:
            - {id: i121, title: 巡河, max: 4, rule: {kind: manual, min: 0, max: 4}}
            - id: busy
              title: 办件量高于平均值的得满分
              max: 2
              rule: {kind: formula, formula: "2 if cases > avg_cases else 0"}
        - id: daily_rank
          title: 1.21–1.23 之和排名
          max: 5
          rule: {kind: rank_points, of: daily, step: 0.2}
statistics:
  - {id: avg_cases, title: 平均办件量, of: cases, function: mean}
"""

UNITS = [
    {"id": "甲", "facts": {"i121": 4, "cases": 10}},
    {"id": "乙", "facts": {"i121": D("3.5"), "cases": 6}},
    {"id": "丙", "facts": {"i121": 3, "cases": 2}},
    {"id": "丁", "facts": {"i121": 4, "cases": 2}},
]


def _check(text: str) -> list[govscore.Diagnostic]:
    from govscore.scheme.loader import parse_scheme

    return sorted(parse_scheme(text.encode(), "check.yaml")[1], key=govscore.Diagnostic.sort_key)


@pytest.fixture(scope="module")
def chain() -> govscore.Plan:
    return govscore.compile(govscore.load(text=CHAIN, name="chain.yaml"))


def test_the_phases_follow_the_needs_not_the_order_written(chain: govscore.Plan) -> None:
    """part2 is written first but reads part1, which holds daily_rank, which reads daily, which
    holds a formula reading avg_cases: three phases, in that order."""
    assert chain.population is not None
    assert chain.population.phases() == (("avg_cases",), ("daily_rank",), ("part2",))


def test_three_phases_by_hand(chain: govscore.Plan) -> None:
    result = govscore.evaluate_all(chain, UNITS)
    # phase 0: avg_cases = (10 + 6 + 2 + 2) / 4 = 5; busy: 甲 10 > 5 → 2, 乙 6 > 5 → 2, else 0
    # daily = i121 + busy: 甲 6, 乙 5.5, 丙 3, 丁 4
    # phase 1: rank of daily: 甲 1 → 5, 乙 2 → 4.8, 丁 3 → 4.6, 丙 4 → 4.4
    # part1 = daily + rank: 甲 11, 乙 10.3, 丁 8.6, 丙 7.4
    # phase 2: part2 = part1 / 11 × 10: 甲 10; 乙 103/11 = 9.36…→ 9.36; 丁 86/11 = 7.818…→ 7.82;
    #          丙 74/11 = 6.727…→ 6.73
    expected = {"甲": ("6", "5", "11", "10", "21"), "乙": ("5.5", "4.8", "10.3", "9.36", "19.66"),
                "丁": ("4", "4.6", "8.6", "7.82", "16.42"),
                "丙": ("3", "4.4", "7.4", "6.73", "14.13")}
    for unit, (daily, rank, part1, part2, total) in expected.items():
        got = result.results[unit]
        assert (got.nodes["daily"].value, got.nodes["daily_rank"].value,
                got.nodes["part1"].value, got.nodes["part2"].value, got.total) == \
            (D(daily), D(rank), D(part1), D(part2), D(total)), unit
    assert [result.placements[u].rank for u in ("甲", "乙", "丁", "丙")] == [1, 2, 3, 4]


def test_every_phase_is_explained(chain: govscore.Plan) -> None:
    result = govscore.evaluate_all(chain, UNITS)
    zh = explain(result, "丁")
    assert "平均办件量 = 办件量 的平均值 5, 取自全部单位的 4 个单位 (丁、丙、乙、甲)" in zh
    assert "1.21–1.23 小计 4.00, 4 个单位中第 3 名, 得 4.6分 = 5 − 2 × 0.2" in zh
    assert "第一部分 8.60 / 最高 11.00 × 10 = 7.818181818181818181818181818181818" in zh
    en = explain(result, "丁", lang="en")
    assert "1.21–1.23 小计 4.00: rank 3 of 4, 4.6 points = 5 − 2 × 0.2" in en
    assert "平均办件量 = mean of 办件量 5, over 4 units of 全部单位 (丁, 丙, 乙, 甲)" in en


def test_the_trace_of_a_phase_survives_json(chain: govscore.Plan) -> None:
    """The population and statistic steps keep their operands through to_dict / from_dict."""
    result = govscore.evaluate_all(chain, UNITS).results["丁"]
    for step in result.trace:
        if step.step in ("population", "statistic"):
            assert TraceStep.from_dict(json.loads(json.dumps(step.to_dict()))) == step
    rank = next(s for s in result.trace if s.rule == "daily_rank" and s.step == "population")
    assert rank.args == ("rank_points", "daily", D("4.00"), 3, 4, D(5), D("0.2"), None)


def test_the_order_of_the_units_does_not_matter(chain: govscore.Plan) -> None:
    forward = govscore.evaluate_all(chain, UNITS)
    backward = govscore.evaluate_all(chain, list(reversed(UNITS)))
    assert {u: r.total for u, r in forward.results.items()} == \
        {u: r.total for u, r in backward.results.items()}


def test_one_unit_alone_cannot_be_scored(chain: govscore.Plan) -> None:
    """A statistic needs every unit (GS501), like a rank."""
    with pytest.raises(govscore.EvaluationError) as exc:
        govscore.evaluate(chain, UNITS[0])
    assert exc.value.diagnostic.code == "GS501"
    assert "avg_cases" in str(exc.value)


def test_a_rank_inside_what_it_ranks_is_a_cycle() -> None:
    text = CHAIN.replace("rule: {kind: rank_points, of: daily, step: 0.2}",
                         "rule: {kind: rank_points, of: part1, step: 0.2}")
    found = _check(text)
    assert [(d.code, d.path) for d in found] == [
        ("GS340", ("score", "children", 1, "children", 1, "rule", "of"))]
    assert "'daily_rank' reads 'part1', which needs 'daily_rank' itself" in found[0].message


def test_a_statistic_of_a_node_that_reads_it_is_a_cycle() -> None:
    text = CHAIN.replace("of: cases, function: mean", "of: daily, function: mean")
    found = _check(text)
    assert [d.code for d in found] == ["GS340"]
    assert found[0].path == ("statistics", 0, "of")


@pytest.mark.parametrize(("change", "code", "where"), [
    ("rule: {kind: rank_points, of: dialy, step: 0.2}", "GS305", "rule"),
    ("rule: {kind: rank_points, of: daily, step: 0.2}\n          fact: x", "GS316", "fact"),
])
def test_what_of_names_is_checked(change: str, code: str, where: str) -> None:
    text = CHAIN.replace("rule: {kind: rank_points, of: daily, step: 0.2}", change)
    found = _check(text)
    assert [d.code for d in found] == [code]
    assert where in found[0].path


def test_a_statistic_of_a_text_input_is_refused() -> None:
    text = CHAIN.replace("  - {id: cases, title: 办件量, type: count}",
                         "  - {id: cases, title: 办件量, type: count}\n"
                         "  - {id: note, title: 说明, type: text}").replace(
        "of: cases, function: mean", "of: note, function: mean")
    found = _check(text)
    assert ("GS305", ("statistics", 0, "of")) in [(d.code, d.path) for d in found]


NEWCOMERS = """
govscore: "2"
id: newcomers
title: 新进人员
source: {document: 某县机构编制使用效益评估细则}
version: "1"
categories:
  - {id: a, title: 甲类}
  - {id: b, title: 乙类}
score:
  id: overall
  title: 总分
  children:
    - id: exam
      title: 新进人员考核
      max: 10
      optional: true
      not_applicable_score: mean_exam
      rule: {kind: manual, min: 0, max: 10}
statistics:
  - {id: mean_exam, title: 同类单位平均得分, of: exam, function: mean, scope: category}
"""


def test_no_unit_to_take_the_statistic_over_rejects_only_that_unit() -> None:
    """"无新进人员的按同类单位平均得分计": in 乙类 nobody has new staff, so its one unit cannot be
    scored (GS510); 甲类 is scored: (7 + 8) / 2 = 7.5 for the unit without."""
    plan = govscore.compile(govscore.load(text=NEWCOMERS, name="n.yaml"))
    na = {"not_applicable": "无新进人员"}
    result = govscore.evaluate_all(plan, [
        {"id": "一", "category": "a", "facts": {"exam": 7}},
        {"id": "二", "category": "a", "facts": {"exam": 8}},
        {"id": "三", "category": "a", "facts": {"exam": na}},
        {"id": "四", "category": "b", "facts": {"exam": na}}])
    assert result.results["三"].total == D("7.5")
    assert [(r.unit, [d.code for d in r.diagnostics]) for r in result.rejected] == \
        [("四", ["GS510"])]


def test_only_a_unit_marking_the_item_not_applicable_scores_the_statistic() -> None:
    """not_applicable_score is for "a unit marking the item not applicable" (model.Item): a
    培训率 (ratio, 1 point, 0 new staff → not applicable) — 一 trained 3 of 4 → 0.75; 二 4 of 4
    → 1; 三 marks it not applicable → the mean of 一 and 二, (0.75 + 1) / 2 = 0.875 → 0.88;
    四 has a target of 0, which its rule makes not applicable: it scores nothing (0 of a max
    no longer counted), not the mean. (The referee had taken both alike; a random draw found
    it, tests/property/test_population_referee.py.)"""
    text = NEWCOMERS.replace("rule: {kind: manual, min: 0, max: 10}",
                             "rule: {kind: ratio, zero_target: not_applicable}\n"
                             "    - {id: base, title: 基础, max: 9, rule: {kind: manual, "
                             "min: 0, max: 9}}").replace(
        "max: 10\n      optional", "max: 1\n      optional").replace(
        "  title: 总分\n", "  title: 总分\n  not_applicable: rescale\n")
    plan = govscore.compile(govscore.load(text=text, name="n.yaml"))
    result = govscore.evaluate_all(plan, [
        {"id": "一", "category": "a", "facts": {"exam": {"done": 3, "target": 4}, "base": 9}},
        {"id": "二", "category": "a", "facts": {"exam": {"done": 4, "target": 4}, "base": 9}},
        {"id": "三", "category": "a", "facts": {"exam": {"not_applicable": "无新进人员"},
                                                 "base": 9}},
        {"id": "四", "category": "a", "facts": {"exam": {"done": 0, "target": 0}, "base": 9}}])
    assert not result.rejected
    exam = {u: (r.nodes["exam"].value, r.nodes["exam"].applicable)
            for u, r in result.results.items()}
    assert exam == {"一": (D("0.75"), True), "二": (D("1.00"), True), "三": (D("0.88"), True),
                    "四": (D(0), False)}


def test_not_applicable_score_needs_optional_and_a_statistic_of_the_item() -> None:
    text = NEWCOMERS.replace("      optional: true\n", "").replace(
        "of: exam, function: mean", "of: overall, function: mean")
    found = _check(text)
    # GS305: the statistic is of the total, not of the item; GS316: the item is not optional;
    # GS340: a mean of the total needs the item, which (not applicable) needs the mean
    assert sorted(d.code for d in found) == ["GS305", "GS316", "GS340"]


def test_one_run_equals_the_two_run_workaround() -> None:
    """v1 needed two runs: score the sub-totals, copy them into facts, rank the fact. Ranking the
    node with ``of`` in one run gives the same totals (200 towns with many ties)."""
    import random
    from pathlib import Path

    text = (Path(__file__).parents[1] / "patterns" / "p22-rank-subtotal.yaml").read_text("utf-8")
    one = govscore.compile(govscore.load(text=text, name="one.yaml"))
    two = govscore.compile(govscore.load(text=text.replace(
        "rule: {kind: rank_points, of: daily, step: 0.2}",
        "fact: daily_sum\n      rule: {kind: rank_points, step: 0.2}"), name="two.yaml"))
    draw = random.Random(11)
    units = [{"id": f"镇{i}", "facts": {"i121": D(draw.randint(0, 8)) / 2,
                                        "i122": D(draw.randint(0, 6)) / 2,
                                        "i123": D(draw.randint(0, 6)) / 2}} for i in range(200)]
    first = govscore.evaluate_all(one, units)
    copied = [{"id": u["id"], "facts": {**u["facts"],
                                        "daily_sum": first.results[u["id"]].nodes["daily"].value}}
              for u in units]
    second = govscore.evaluate_all(two, copied)
    assert {u: r.total for u, r in first.results.items()} == \
        {u: r.total for u, r in second.results.items()}


USAGE = """
govscore: "2"
id: usage
title: 编制使用率
source: {document: 某县机构编制使用效益评估细则}
version: "1"
statistics:
  - {id: mean_usage, title: 平均使用率, of: usage, function: median}
score:
  id: overall
  title: 总分
  children:
    - id: vacancy
      title: 编制使用率低于平均值
      max: 1
      role: subtract
      fact: usage
      rule:
        kind: bands
        rate: true
        relative_to: mean_usage
        bands: [{lt: 0, points: 1}, {gte: 0, points: 0}]
"""


def test_bands_against_a_statistic_of_a_fact() -> None:
    """"低于平均值扣1分" against the median of the units' usage: 0.8, 0.9, 0.95 → median 0.9;
    0.8 − 0.9 < 0 → 扣1分 (total floored at 0); 0.9 − 0.9 = 0 → nothing."""
    plan = govscore.compile(govscore.load(text=USAGE, name="u.yaml"))
    result = govscore.evaluate_all(plan, [{"id": "甲", "facts": {"usage": D("0.8")}},
                                          {"id": "乙", "facts": {"usage": D("0.9")}},
                                          {"id": "丙", "facts": {"usage": D("0.95")}}])
    assert [result.results[u].nodes["vacancy"].value for u in ("甲", "乙", "丙")] == \
        [D(1), D(0), D(0)]


@pytest.mark.parametrize(("old", "new", "code", "where"), [
    ("relative_to: mean_usage", "relative_to: mean_usag", "GS305", "relative_to"),
    ("relative_to: mean_usage", "relative_to: mean_usage\n        domain: {gte: 0}", "GS316",
     "domain"),
    ("bands: [{lt: 0, points: 1}, {gte: 0, points: 0}]", "bands: [{lt: 0, points: 1}]",
     "GS307", "bands"),  # the bands must cover every difference, above 0 too
    ("of: usage", "of: usag", "GS305", "of"),
])
def test_bands_against_a_statistic_are_checked(old: str, new: str, code: str,
                                               where: str) -> None:
    found = _check(USAGE.replace(old, new))
    assert [d.code for d in found] == [code]
    assert where in found[0].path


CROSSED = """
govscore: "2"
id: crossed
title: 两类单位互相排名
source: {document: 合成的例子}
version: "1"
categories:
  - {id: town, title: 乡镇}
  - {id: dept, title: 部门}
score:
  id: overall
  title: 总分
  children:
    - id: g
      title: 日常工作
      children:
        - {id: g_work, title: 巡查, max: 10, rule: {kind: manual, min: 0, max: 10}}
        - id: town_rank
          title: 乡镇按专项工作排名, 第1名得5分, 每降一名减1分
          applies_to: [town]
          max: 5
          rule: {kind: rank_points, of: h, step: 1}
    - id: h
      title: 专项工作
      children:
        - {id: h_work, title: 专项, max: 10, rule: {kind: manual, min: 0, max: 10}}
        - id: dept_rank
          title: 部门按日常工作排名, 第1名得5分, 每降一名减1分
          applies_to: [dept]
          max: 5
          rule: {kind: rank_points, of: g, step: 1}
"""


def test_needs_are_per_category_so_a_crossing_is_no_cycle() -> None:
    """Towns rank 专项工作 with an item inside 日常工作; departments rank 日常工作 with an item
    inside 专项工作. Over the whole scheme the two items need each other, but no unit has both:
    a town's 专项工作 has no departments' item, a department's 日常工作 no towns' item. The
    scheme is valid and each item ranks its own category's sub-total ("第1名得5分, 每降一名减1分"):
      towns  — 专项 甲镇 6, 乙镇 9: 乙镇 1st → 5, 甲镇 2nd → 5 − 1 = 4;
               甲镇 = (8 + 4) + 6 = 18; 乙镇 = (5 + 5) + 9 = 19;
      depts  — 日常 丙局 7, 丁局 9: 丁局 1st → 5, 丙局 → 4;
               丙局 = 7 + (4 + 4) = 15; 丁局 = 9 + (2 + 5) = 16."""
    assert [d for d in _check(CROSSED) if d.severity == "error"] == []
    plan = govscore.compile(govscore.load(text=CROSSED, name="crossed.yaml"))
    units = [
        {"id": "甲镇", "category": "town", "facts": {"g_work": 8, "h_work": 6}},
        {"id": "乙镇", "category": "town", "facts": {"g_work": 5, "h_work": 9}},
        {"id": "丙局", "category": "dept", "facts": {"g_work": 7, "h_work": 4}},
        {"id": "丁局", "category": "dept", "facts": {"g_work": 9, "h_work": 2}},
    ]
    results = govscore.evaluate_all(plan, units).results
    assert {u: r.total for u, r in results.items()} == {
        "甲镇": D(18), "乙镇": D(19), "丙局": D(15), "丁局": D(16)}
    assert results["甲镇"].nodes["town_rank"].value == D(4)
    assert results["丁局"].nodes["dept_rank"].value == D(5)


def test_a_cycle_is_reported_in_the_category_that_has_it() -> None:
    """Give the towns a second ranked item inside 专项工作 that ranks 日常工作: now a town's
    town_rank needs 专项工作, which holds town_back, which needs 日常工作, which holds
    town_rank — a cycle among the towns only, and the message says so."""
    text = CROSSED.replace("""        - id: dept_rank""", """        - id: town_back
          title: 乡镇按日常工作排名
          applies_to: [town]
          max: 5
          rule: {kind: rank_points, of: g, step: 1}
        - id: dept_rank""")
    found = [d for d in _check(text) if d.code == "GS340"]
    assert len(found) == 1
    assert found[0].message == (
        "population values need each other: town_back → town_rank → town_back (each is "
        "computed over all units from the one after it) in category 'town'")


REJECTED_LATE = """
govscore: "2"
id: rejected-late
title: 排名与被拒单位
source: {document: 合成的例子}
version: "1"
statistics:
  - {id: mean_daily, title: 日常工作平均分, of: daily, function: mean}
score:
  id: overall
  title: 总分
  children:
    - id: daily
      title: 1.21–1.23 小计
      children:
        - {id: i121, title: 巡河, max: 10, rule: {kind: manual, min: 0, max: 10}}
    - id: daily_rank
      title: 1.21–1.23 之和排名
      clause: 1.21–1.23 之和排名, 第1名得5分, 每降一名减1分
      max: 5
      rule: {kind: rank_points, of: daily, step: 1}
    - id: above_mean
      title: 高于平均值的得满分
      max: 2
      reads: i121
      rule: {kind: bands, relative_to: mean_daily, bands: [{lte: 0, points: 0}, {gt: 0, points: 2}]}
    - id: survey
      title: 群众满意度测评
      not_applicable: rescale
      children:
        - {id: satisfaction, title: 满意率, max: 3, optional: true, rule: {kind: rate}}
"""


def test_a_unit_rejected_in_full_scoring_counts_in_no_rank_or_statistic() -> None:
    """丁镇's daily sub-total (10) can be computed in the phases, but its survey group has no
    applicable child (GS411: the only item is marked not applicable and the group says nothing
    about it), so 丁镇 is rejected. It then takes no place in the ranking ("第1名得5分, 每降一名减
    1分") and no part of the mean: over 甲镇 9, 乙镇 8, 丙镇 6 — ranks 1, 2, 3 → 5, 4, 3; the
    mean (9 + 8 + 6) / 3 = 23/3 ≈ 7.67, above it 甲镇 and 乙镇 (2 each). Had 丁镇 counted, 甲镇
    would be second (4) and the mean (33 / 4 = 8.25) would leave 乙镇 below it.
      甲镇 = 9 + 5 + 2 + 3 × 0.9 = 18.70; 乙镇 = 8 + 4 + 2 + 3 × 0.5 = 15.50;
      丙镇 = 6 + 3 + 0 + 3 × 1 = 12.00."""
    plan = govscore.compile(govscore.load(text=REJECTED_LATE, name="late.yaml"))
    units = [
        {"id": "甲镇", "facts": {"i121": 9, "satisfaction": D("0.9")}},
        {"id": "乙镇", "facts": {"i121": 8, "satisfaction": D("0.5")}},
        {"id": "丙镇", "facts": {"i121": 6, "satisfaction": 1}},
        {"id": "丁镇", "facts": {"i121": 10, "satisfaction": {"not_applicable": "未组织测评"}}},
    ]
    assessment = govscore.evaluate_all(plan, units)
    assert [(r.unit, [d.code for d in r.diagnostics]) for r in assessment.rejected] == \
        [("丁镇", ["GS411"])]
    results = assessment.results
    assert {u: r.total for u, r in results.items()} == {
        "甲镇": D("18.70"), "乙镇": D("15.50"), "丙镇": D("12.00")}
    assert [results[u].nodes["daily_rank"].value for u in ("甲镇", "乙镇", "丙镇")] == \
        [D(5), D(4), D(3)]
    mean = next(s for s in results["乙镇"].trace if s.step == "statistic")
    assert mean.after == D("7.666666666666666666666666666666667")  # 23 / 3 to 34 digits
    assert mean.args[3] == 3  # taken over three units
