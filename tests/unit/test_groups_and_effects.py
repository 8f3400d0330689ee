"""Modifiers, group rules, vetoes and outputs on hand-worked numbers."""

from __future__ import annotations

import pytest

import govscore
from tests.helpers import D, plan_from, score

S1_ITEM = """
- id: efficiency2
  title: 行政效能(2)
  max: 15
  rule: {kind: manual, min: 0, max: 15}
  modifiers:
    - kind: on_count
      input: complaints
      steps: [{at_least: 2, factor: 0, ineligible: true}, {at_least: 1, factor: 0.5, ineligible: true}]
"""
S1_INPUTS = "inputs: [{id: complaints, title: 超期办件、有效投诉或媒体曝光件次, type: count, default: 0}]"


def test_on_count_zero_or_halve_and_eligibility():
    """S1 行政效能(2), 15 points, assessed 12: 0 件次 → 12; 1 → 12 × 0.5 = 6 and no award;
    2 → 0."""
    plan = plan_from(S1_ITEM, extra=S1_INPUTS)
    clean = score(plan, {"efficiency2": 12})
    assert (clean.total, clean.eligible) == (D(12), True)
    one = score(plan, {"efficiency2": 12, "complaints": 1})
    assert (one.total, one.eligible) == (D(6), False)
    assert [(s.before, s.after) for s in one.trace if s.step == "modifier"] == [(D(12), D(6))]
    assert score(plan, {"efficiency2": 12, "complaints": 2}).total == D(0)


def test_from_full_per_occurrence_stops_at_zero():
    """每发生一起扣2分, 直至扣完8分为止: 0 → 8; 3 → 8 − 6 = 2; 4 → 0; 5 → 8 − 10 → 0."""
    plan = plan_from("- {id: p, title: 推进项目建设, max: 8, from_full: true, "
                     "rule: {kind: per_occurrence, per: 2}}")
    assert [score(plan, {"p": n}).total for n in (0, 3, 4, 5)] == [D(8), D(2), D(0), D(0)]
    floor = [s for s in score(plan, {"p": 5}).trace if s.step == "floor"]
    assert (floor[0].before, floor[0].after) == (D(-2), D(0))


def test_factor_if_doubles_the_deduction_for_a_category():
    """仅有市、区两级列督事项的部门, 扣分分值加倍: 2 × 3 = 6 lost, doubled → 12 from 20 → 8;
    units of the other category lose 6 → 14."""
    plan = plan_from("""
        - id: d
          title: 督查事项
          max: 20
          from_full: true
          rule: {kind: per_occurrence, per: 2}
          modifiers: [{kind: factor_if, categories: [local], factor: 2}]
        """, extra="""
        categories:
          - {id: local, title: 仅有市区两级列督事项的部门}
          - {id: other, title: 其他部门}
        """)
    assert score(plan, {"d": 3}, category="local").total == D(8)
    assert score(plan, {"d": 3}, category="other").total == D(14)


def test_requires_evidence():
    """无表彰文件佐证的, 不加分: 2 commendations × 1 = 2, without the document → 0."""
    plan = plan_from("""
        - id: h
          title: 表彰
          max: 4
          rule: {kind: per_occurrence, per: 1}
          modifiers: [{kind: requires, input: has_document}]
        """, extra="inputs: [{id: has_document, title: 有表彰文件, type: flag}]")
    assert score(plan, {"h": 2, "has_document": True}).total == D(2)
    assert score(plan, {"h": 2, "has_document": False}).total == D(0)


def test_exemption_scores_as_if_nothing_was_lost():
    """因不可抗力而未完成的不扣分: an exempt 30-point item scores 30; an exempt deduction 0."""
    plan = plan_from("""
        - {id: k, title: 重点工作, max: 30, rule: {kind: manual, min: 0, max: 30},
           exemptions: [不可抗力]}
        - {id: d, title: 扣分, role: subtract, max: 5, rule: {kind: per_occurrence, per: 1},
           exemptions: [不可抗力]}
        """)
    result = score(plan, {"k": {"exempt": "不可抗力", "note": "洪涝"}, "d": {"exempt": "不可抗力"}})
    assert result.total == D(30)
    assert result.exemptions == {"k": "不可抗力", "d": "不可抗力"}
    bad = plan_from("- {id: k, title: K, max: 30, rule: {kind: manual, min: 0, max: 30}}")
    with pytest.raises(govscore.FactsError) as exc:
        score(bad, {"k": {"exempt": "不可抗力"}})
    assert [d.code for d in exc.value.diagnostics] == ["GS408"]


BONUS = """
- {id: base, title: 基本分, max: 80, rule: {kind: manual, min: 0, max: 80}}
- id: bonus
  title: 加分
  cap: 20
  children:
    - {id: b1, title: 加分一, max: 5, rule: {kind: manual, min: 0, max: 5}}
    - {id: b2, title: 刊物, max: 4, rule: {kind: by_level, levels: {city: 0.5, province: 1, national: 1.5}}}
    - {id: b3, title: 表彰, max: 4, rule: {kind: by_level, levels: {city: 0.5, province: 1, national: 1.5}}}
    - {id: b4, title: 报道, max: 4, rule: {kind: by_level, levels: {city: 0.5, province: 1, national: 1.5}}}
    - {id: b5, title: 其他, max: 8, rule: {kind: manual, min: 0, max: 8}}
- id: deduction
  title: 减分
  role: subtract
  limit: {at_most: bonus}
  children:
    - {id: d1, title: 通报批评, max: 30, rule: {kind: per_occurrence, per: 3}}
"""


def test_group_cap_and_deduction_limited_to_bonus():
    """S2: base 76; bonus 5 + 4 + 4 + 2.5 + 8 = 23.5 → cap 20; 2 criticisms × 3 = 6 ≤ 20:
    total 76 + 20 − 6 = 90. With 9 criticisms: 27 → limited to the bonus 20 → 76 + 20 − 20 = 76."""
    plan = plan_from(BONUS)
    facts = {"base": 76, "b1": 5, "b2": {"national": 3}, "b3": {"province": 4},
             "b4": {"city": 1, "province": 2}, "b5": 8, "d1": 2}
    result = score(plan, facts)
    assert result.value("bonus") == D(20)
    cap = next(s for s in result.trace if s.rule == "bonus" and s.step == "cap")
    assert (cap.before, cap.after) == (D("23.5"), D(20))
    assert result.total == D(90)
    limited = score(plan, {**facts, "d1": 9})
    assert limited.value("deduction") == D(20)
    assert limited.total == D(76)


def test_deduction_limit_when_there_is_no_bonus():
    """No bonus at all: any deduction is limited to 0, so the total is the base (S2/S3 invariant)."""
    plan = plan_from(BONUS)
    facts = {"base": 60, "b1": 0, "b2": {}, "b3": {}, "b4": {}, "b5": 0, "d1": 4}
    assert score(plan, facts).total == D(60)


def test_gate_strictly_above():
    """加分 only when the deduction part is above 80: exactly 80 → no bonus; 80.5 → bonus 10."""
    plan = plan_from("""
        - {id: part, title: 扣分指标, max: 100, rule: {kind: manual, min: 0, max: 100}}
        - id: bonus
          title: 加分指标
          gate: {node: part, gt: 80}
          children:
            - {id: b, title: 加分, max: 30, rule: {kind: manual, min: 0, max: 30}}
        """)
    assert score(plan, {"part": 80, "b": 10}).total == D(80)
    assert score(plan, {"part": D("80.5"), "b": 10}).total == D("90.5")


def test_weighted_composite():
    """集中考核 20%, 平时监控 30%, 社会评价 50%: 0.2×90 + 0.3×85 + 0.5×86 = 18 + 25.5 + 43 = 86.5."""
    plan = plan_from("""
        - id: composite
          title: 综合
          combine: weighted
          children:
            - {id: a, title: 集中考核, weight: 0.2, max: 100, rule: {kind: manual, min: 0, max: 100}}
            - {id: b, title: 平时监控, weight: 0.3, max: 100, rule: {kind: manual, min: 0, max: 100}}
            - {id: c, title: 社会评价, weight: 0.5, max: 100, rule: {kind: manual, min: 0, max: 100}}
        """)
    assert score(plan, {"a": 90, "b": 85, "c": 86}).total == D("86.5")


def test_not_applicable_rescale():
    """Four indicators of 25; one not applicable; 20 + 15 + 25 = 60 of 75 → × 100 / 75 = 80."""
    plan = plan_from("""
        - id: part
          title: 指标
          not_applicable: rescale
          children:
            - {id: a, title: A, max: 25, rule: {kind: manual, min: 0, max: 25}}
            - {id: b, title: B, max: 25, rule: {kind: manual, min: 0, max: 25}}
            - {id: c, title: C, max: 25, rule: {kind: manual, min: 0, max: 25}}
            - {id: d, title: 办事服务, max: 25, optional: true, rule: {kind: manual, min: 0, max: 25}}
        """)
    result = score(plan, {"a": 20, "b": 15, "c": 25, "d": {"not_applicable": "无对外服务"}})
    assert result.total == D(80)
    step = next(s for s in result.trace if s.step == "rescale")
    assert (step.before, step.after) == (D(60), D(80))


def test_outside_total_is_reported_but_not_added():
    """奖励加分作为嘉奖依据, 不计入百分考核: total stays 90; the reward 6 is visible."""
    plan = plan_from("""
        - {id: main, title: 百分考核, max: 100, rule: {kind: manual, min: 0, max: 100}}
        - {id: reward, title: 奖励加分, outside_total: true, max: 10,
           rule: {kind: per_occurrence, per: 3}}
        """)
    result = score(plan, {"main": 90, "reward": 2})
    assert (result.total, result.value("reward")) == (D(90), D(6))


def test_scale_to_and_highest():
    """A 50-point sub-assessment scaled into 100: 40 → 80. highest takes the larger child."""
    plan = plan_from("""
        - id: sub
          title: 子考核
          scale_to: 100
          children:
            - {id: s, title: S, max: 50, rule: {kind: manual, min: 0, max: 50}}
        """)
    assert score(plan, {"s": 40}).total == D(80)
    plan = plan_from("""
        - id: best
          title: 就高
          combine: highest
          children:
            - {id: x, title: 学历分, max: 10, rule: {kind: manual, min: 0, max: 10}}
            - {id: y, title: 技能分, max: 10, rule: {kind: manual, min: 0, max: 10}}
        """)
    assert score(plan, {"x": 6, "y": 8}).total == D(8)


def test_conversion_output():
    """按比例汇总折算: 87.5 / 100 × 15 = 13.125 → 13.13 (half-up)."""
    plan = plan_from(
        "- {id: m, title: 百分制, max: 100, rule: {kind: manual, min: 0, max: 100}}",
        extra="""
        inputs: [{id: w, title: 年度目标考核中本项分值, type: number, min: 0, max: 100}]
        outputs: [{id: annual, title: 计入年度目标考核, kind: convert, from_scale: 100, weight_input: w}]
        """)
    result = score(plan, {"m": D("87.5"), "w": 15})
    assert result.outputs == {"annual": D("13.13")}


def test_pay_formula_output():
    """绩效工资浮动 clamp((total − 90) × 30, −300, 300): 95 → 150; 70 → −300 (clamped)."""
    plan = plan_from(
        "- {id: m, title: 月度得分, max: 100, rule: {kind: manual, min: 0, max: 100}}",
        extra="outputs: [{id: pay, title: 绩效工资浮动, kind: formula, unit: 元, "
              "formula: 'clamp((total - 90) * 30, -300, 300)'}]")
    assert score(plan, {"m": 95}).outputs["pay"] == D(150)
    assert score(plan, {"m": 70}).outputs["pay"] == D(-300)


VETO = """
inputs:
  - {id: beijing, title: 进京非访批次, type: count, default: 0}
  - {id: accident, title: 重大事故, type: flag, default: false}
grades:
  bands: [{grade: 优秀, gte: 90}, {grade: 良好, gte: 80, lt: 90}, {grade: 合格, gte: 60, lt: 80},
          {grade: 不合格, lt: 60}]
vetoes:
  - {id: petition, title: 进京非访, when: {input: beijing, at_least: 1}, effect: no_award}
  - {id: accident_v, title: 重大事故, when: {input: accident}, effect: score, score: 59}
"""


def test_vetoes_keep_the_computed_score_visible():
    """进京非访 → no award, score stands at 95; 重大事故 → total 59, computed 95 still visible."""
    plan = plan_from("- {id: m, title: M, max: 100, rule: {kind: manual, min: 0, max: 100}}",
                     extra=VETO)
    petition = score(plan, {"m": 95, "beijing": 1})
    assert (petition.total, petition.vetoes, petition.eligible) == (D(95), ("petition",), False)
    accident = score(plan, {"m": 95, "accident": True})
    assert (accident.total, accident.computed_total) == (D(59), D(95))
    assert accident.vetoes == ("accident_v",)


def test_veto_grade_and_grade_cap():
    """Forced 不合格 at 95; a cap at 良好 turns 优秀 into 良好 but leaves 合格 alone."""
    extra = VETO.replace("effect: no_award", "effect: grade_cap, grade: 良好").replace(
        "effect: score, score: 59", "effect: grade, grade: 不合格")
    plan = plan_from("- {id: m, title: M, max: 100, rule: {kind: manual, min: 0, max: 100}}",
                     extra=extra)
    units = [{"id": "a", "facts": {"m": 95, "accident": True}},
             {"id": "b", "facts": {"m": 95, "beijing": 2}},
             {"id": "c", "facts": {"m": 70, "beijing": 1}}]
    a = govscore.evaluate_all(plan, units)
    assert [a.placements[u].grade for u in "abc"] == ["不合格", "良好", "合格"]


def test_exempt_deduction_inside_a_subtracting_group_deducts_nothing():
    """Regression (found in review): an item inside a `role: subtract` group is a deduction even
    though its own role is add. Exempt → 0 deducted: 70 − 0 = 70, not 70 − 30."""
    plan = plan_from("""
        - {id: base, title: 基本分, max: 70, rule: {kind: pass_fail}}
        - id: deduction
          title: 减分
          role: subtract
          children:
            - {id: overdue, title: 超期, max: 30, rule: {kind: per_occurrence, per: 2},
               exemptions: [不可抗力]}
        """)
    result = score(plan, {"base": True, "overdue": {"exempt": "不可抗力"}})
    assert (result.value("overdue"), result.total) == (D(0), D(70))
