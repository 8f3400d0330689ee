"""Every rule kind on hand-worked numbers; the arithmetic is written beside each expectation."""

from __future__ import annotations

import pytest

import govscore
from govscore.engine.plan import Plan
from tests.helpers import D, plan_from, score


def test_pass_fail_gives_points_or_fail_points():
    """Base 70 for a centre that is set up and running (S3 第八条): true → 70, false → 0."""
    plan = plan_from("- {id: base, title: 基本分, max: 70, rule: {kind: pass_fail}}")
    assert score(plan, {"base": True}).total == D(70)
    assert score(plan, {"base": False}).total == D(0)
    plan = plan_from("- {id: a, title: A, max: 5, rule: {kind: pass_fail, points: 4, "
                     "fail_points: 1}}")
    assert score(plan, {"a": False}).total == D(1)
    assert score(plan, {"a": True}).total == D(4)


def test_manual_value_within_range_and_zero():
    """扣1–3分: the assessor picks 2.5; 0 means nothing happened; 0.5 is neither."""
    plan = plan_from("- {id: d, title: 扣分, max: 3, rule: {kind: manual, min: 1, max: 3}}")
    assert score(plan, {"d": D("2.5")}).value("d") == D("2.5")
    assert score(plan, {"d": 0}).value("d") == D(0)
    with pytest.raises(govscore.FactsError) as exc:
        score(plan, {"d": D("0.5")})
    assert [d.code for d in exc.value.diagnostics] == ["GS404"]


def test_manual_step():
    """With step 0.5, 1.25 is refused and 1.5 accepted."""
    plan = plan_from("- {id: d, title: 加分, max: 4, rule: {kind: manual, min: 1, max: 4, "
                     "step: 0.5}}")
    assert score(plan, {"d": D("1.5")}).total == D("1.5")
    with pytest.raises(govscore.FactsError):
        score(plan, {"d": D("1.25")})


def test_per_occurrence_capped_at_item_max_with_trace():
    """0.5 per special task, at most 2: 7 tasks → 3.5 → 2, and the cap is in the trace."""
    plan = plan_from("- {id: t, title: 临时交办, max: 2, rule: {kind: per_occurrence, per: 0.5}}")
    result = score(plan, {"t": 7})
    assert result.value("t") == D(2)
    assert result.nodes["t"].raw == D("3.5")
    caps = [s for s in result.trace if s.rule == "t" and s.step == "cap"]
    assert (caps[0].before, caps[0].after) == (D("3.5"), D(2))


def test_per_occurrence_free_occurrences():
    """The first occurrence is free: 3 occurrences × 2 with 1 free → 4."""
    plan = plan_from("- {id: t, title: T, max: 10, rule: {kind: per_occurrence, per: 2, free: 1}}")
    assert score(plan, {"t": 3}).total == D(4)
    assert score(plan, {"t": 0}).total == D(0)


def test_by_level_sum_highest_and_per_matter():
    """Articles 0.5 / 1 / 1.5 by level, at most 4 (S2 第七条(三)).
    sum: 3 city + 1 province + 2 national = 1.5 + 1 + 3 = 5.5 → 4.
    highest (同类取最高): city and national occurred → 1.5.
    highest_per_matter: matter A at city and national → 1.5; matter B at province → 1; 2.5."""
    levels = "levels: {city: 0.5, province: 1, national: 1.5}"
    plan = plan_from(f"- {{id: a, title: 刊物, max: 4, rule: {{kind: by_level, {levels}}}}}")
    result = score(plan, {"a": {"city": 3, "province": 1, "national": 2}})
    assert (result.nodes["a"].raw, result.value("a")) == (D("5.5"), D(4))
    plan = plan_from(f"- {{id: a, title: 荣誉, max: 4, rule: {{kind: by_level, {levels}, "
                     "combine: highest}}")
    assert score(plan, {"a": {"city": 3, "national": 1}}).total == D("1.5")
    assert score(plan, {"a": {}}).total == D(0)
    plan = plan_from(f"- {{id: a, title: 表彰, max: 4, rule: {{kind: by_level, {levels}, "
                     "combine: highest_per_matter}}")
    events = [{"level": "city", "matter": "A"}, {"level": "national", "matter": "A"},
              {"level": "province", "matter": "B"}]
    assert score(plan, {"a": events}).total == D("2.5")


def test_per_step_counts_whole_steps_only():
    """每50万元加1分,最高加10分: 499,999 → 0; 500,000 → 1; 5,600,000 → 11 whole steps → 10."""
    plan = plan_from("- {id: f, title: 争取资金, max: 10, rule: {kind: per_step, step: 500000, "
                     "points: 1}}")
    assert score(plan, {"f": 499999}).total == D(0)
    assert score(plan, {"f": 500000}).total == D(1)
    assert score(plan, {"f": 5600000}).total == D(10)


def test_ratio_done_over_target():
    """按比例扣分, max 10: 7 of 10 → 7; 12 of 10 → 10 (no credit above target); 1 of 3 →
    3.333… → 3.33."""
    plan = plan_from("- {id: r, title: 信息目标, max: 10, rule: {kind: ratio}}")
    assert score(plan, {"r": {"done": 7, "target": 10}}).total == D(7)
    assert score(plan, {"r": {"done": 12, "target": 10}}).total == D(10)
    assert score(plan, {"r": {"done": 1, "target": 3}}).total == D("3.33")


@pytest.mark.parametrize(("policy", "expected"), [("full", "10"), ("zero", "0")])
def test_ratio_zero_target_policy(policy, expected):
    plan = plan_from(f"- {{id: r, title: R, max: 10, rule: {{kind: ratio, zero_target: {policy}}}}}")
    assert score(plan, {"r": {"done": 0, "target": 0}}).total == D(expected)


def test_rate_and_half_up_rounding():
    """rate × max: 0.835 × 10 = 8.35; 0.2345 × 10 = 2.345 → 2.35 half-up (2.34 half-even)."""
    plan = plan_from("- {id: r, title: R, max: 10, rule: {kind: rate}}")
    assert score(plan, {"r": D("0.835")}).total == D("8.35")
    assert score(plan, {"r": D("0.2345")}).total == D("2.35")
    even = plan_from("- {id: r, title: R, max: 10, rule: {kind: rate}}",
                     extra="precision: {places: 2, rounding: half_even}")
    assert score(even, {"r": D("0.2345")}).total == D("2.34")


def test_shortfall_proportional_and_whole_steps():
    """一次性办结率90%以上得25分, 每下降一个百分点扣1分: 87.5% is 2.5 points short →
    proportional 25 − 2.5 = 22.5; whole steps floor(2.5) = 2 → 23; 95% → 25; 50% → 25 − 40 → 0."""
    rule = "{kind: shortfall, target: 0.9, per: 1}"
    plan = plan_from(f"- {{id: s, title: 办结率, max: 25, rule: {rule}}}")
    assert score(plan, {"s": D("0.875")}).total == D("22.5")
    assert score(plan, {"s": D("0.95")}).total == D(25)
    assert score(plan, {"s": D("0.5")}).total == D(0)
    plan = plan_from("- {id: s, title: 办结率, max: 25, rule: {kind: shortfall, target: 0.9, "
                     "per: 1, partial: whole_steps}}")
    assert score(plan, {"s": D("0.875")}).total == D(23)


def test_per_missing_counts_what_is_missing_from_the_required():
    """Pattern 2 (宜府办函〔2006〕174号 一): "每季度一次常务会听取信访汇报(2分,少一次扣0.5分)" —
    4 required a year: 3 held → 2 − 0.5 × (4 − 3) = 1.5; 5 held → 2 (more earns nothing);
    none → 2 − 0.5 × 4 = 0. "班子成员轮流接待(2分,缺一个领导扣0.5分)" — each county's own number
    of leaders: {required: 7, done: 5} → 2 − 0.5 × 2 = 1; {9, 4} → 2 − 2.5 → 0 (扣完为止)."""
    meetings = plan_from("- {id: m, title: 常务会, max: 2, "
                         "rule: {kind: per_missing, per: 0.5, required: 4}}")
    assert score(meetings, {"m": 3}).total == D("1.5")
    assert score(meetings, {"m": 5}).total == D(2)
    assert score(meetings, {"m": 0}).total == D(0)
    assert score(meetings, {"m": D(3)}).total == D("1.5")  # a whole Decimal read from a file
    leaders = plan_from("- {id: l, title: 轮流接待, max: 2, rule: {kind: per_missing, per: 0.5}}")
    assert score(leaders, {"l": {"required": 7, "done": 5}}).total == D(1)
    assert score(leaders, {"l": {"required": 9, "done": 4}}).total == D(0)
    assert score(leaders, {"l": {"required": 0, "done": 0}}).total == D(2)
    for bad, code in ((D("2.5"), "GS403"), (-1, "GS404")):
        with pytest.raises(govscore.GovscoreError) as info:
            score(meetings, {"m": bad})
        assert code in str(info.value)


def test_per_missing_amounts_by_step_and_partial_steps():
    """"应完成招商引资100万元, 每少10万元扣1分" (10 points): 73 done is 27 short —
    proportional 27 / 10 × 1 = 2.7 → 7.3; whole_steps floor(2.7) = 2 → 8; started_steps
    (不足10万元按10万元计) ceil(2.7) = 3 → 7."""
    def plan(partial: str) -> Plan:
        return plan_from("- {id: a, title: 招商引资, max: 10, rule: {kind: per_missing, per: 1, "
                         f"step: 10, amount: true, required: 100, partial: {partial}}}}}")
    assert score(plan("proportional"), {"a": D(73)}).total == D("7.3")
    assert score(plan("whole_steps"), {"a": D(73)}).total == D(8)
    assert score(plan("started_steps"), {"a": D(73)}).total == D(7)
    assert score(plan("started_steps"), {"a": D("100.5")}).total == D(10)


def test_per_missing_scheme_checks():
    """A whole count with a fractional required, from_full on a rule that already starts from
    full marks, and a required count of 0 are refused; each names the key."""
    import textwrap

    from tests.helpers import HEADER

    def problems(rule: str, extra: str = "") -> dict[str, str]:
        text = HEADER + textwrap.dedent(f"""\
            score:
              id: root
              title: 总分
              children:
                - {{id: m, title: 常务会, max: 2, {extra}rule: {rule}}}
            """)
        with pytest.raises(govscore.SchemeError) as info:
            govscore.load(text=text, name="t.yaml")
        return {d.code: d.message for d in info.value.diagnostics}

    found = problems("{kind: per_missing, per: 0.5, required: 3.5}")
    assert "required 3.5 is not a whole number" in found["GS347"]
    found = problems("{kind: per_missing, per: 0.5, required: 4}", "from_full: true, ")
    assert "cannot have from_full" in found["GS347"]
    assert "never be missed" in problems("{kind: per_missing, per: 0.5, required: 0}")["GS304"]


def test_bands_with_explicit_bounds():
    """95 and above → 10; 90 ≤ v < 95 → 8; below 90 → 5. 94.99 → 8; 95 → 10; 89.5 → 5."""
    plan = plan_from("""
        - id: b
          title: 分档
          max: 10
          rule:
            kind: bands
            bands: [{gte: 95, points: 10}, {gte: 90, lt: 95, points: 8}, {lt: 90, points: 5}]
        """)
    assert score(plan, {"b": D("94.99")}).total == D(8)
    assert score(plan, {"b": 95}).total == D(10)
    assert score(plan, {"b": D("89.5")}).total == D(5)


def test_rating_value_table_with_excluded_levels():
    """满意 100 / 基本满意 60 / 不满意 0, 诉讼 excluded, max 20:
    {80, 12, 8, 诉讼 5} → 20 × (80×100 + 12×60) / (100 × 100) = 20 × 8720/10000 = 17.44;
    adding 诉讼 matters changes nothing."""
    plan = plan_from("""
        - id: s
          title: 群众满意率
          max: 20
          rule: {kind: rating, values: {满意: 100, 基本满意: 60, 不满意: 0}, excluded: [诉讼],
                 no_votes: zero}
        """)
    votes = {"满意": 80, "基本满意": 12, "不满意": 8}
    assert score(plan, {"s": votes}).total == D("17.44")
    assert score(plan, {"s": {**votes, "诉讼": 5}}).total == D("17.44")


def test_rating_satisfied_rate_and_no_votes():
    """满意率 = (满意 + 基本满意) / counted: 20 × 92 / 100 = 18.4. No votes → not applicable,
    rescaled away by the group (declared policy)."""
    plan = plan_from("""
        - id: part
          title: 部分
          not_applicable: rescale
          children:
            - id: s
              title: 满意率
              max: 20
              optional: true
              rule: {kind: rating, values: {满意: 1, 基本满意: 1, 不满意: 0},
                     satisfied: [满意, 基本满意]}
            - {id: o, title: 其他, max: 20, rule: {kind: manual, min: 0, max: 20}}
        """)
    assert score(plan, {"s": {"满意": 80, "基本满意": 12, "不满意": 8}, "o": 10}).value("s") \
        == D("18.4")
    # no votes: s is not applicable; o's 10 of 20 is rescaled to the part's 40: 10 × 40/20 = 20
    result = score(plan, {"s": {"满意": 0, "基本满意": 0, "不满意": 0}, "o": 10})
    assert not result.nodes["s"].applicable
    assert result.value("part") == D(20)


def test_choice_checklist_series():
    """choice 称职 → 85; checklist met a (0.5) and c (0.2) of 0.5 points → 0.5 × 0.7 = 0.35;
    series mean of 9, 10, 8.5 = 27.5 / 3 = 9.1666… → 9.17."""
    plan = plan_from("""
        - {id: c, title: 等次, max: 100, rule: {kind: choice, options: {优秀: 100, 称职: 85}}}
        - id: k
          title: 网站标识
          max: 0.5
          rule:
            kind: checklist
            criteria: [{id: a, title: 清晰显示标识, share: 0.5}, {id: b, title: 基本信息, share: 0.3},
                       {id: c, title: 其他, share: 0.2}]
        - {id: m, title: 月度平均, max: 10, rule: {kind: series, aggregate: mean, periods: 3}}
        """)
    result = score(plan, {"c": "称职", "k": ["a", "c"], "m": [9, 10, D("8.5")]})
    assert result.value("c") == D(85)
    assert result.value("k") == D("0.35")
    assert result.value("m") == D("9.17")


def test_rater_groups_weighted_means():
    """群众 0.4, 上级 0.3, 第三方 0.3 on a 100 scale, item max 20:
    means 85, 70, 90 → 0.4×85 + 0.3×70 + 0.3×90 = 34 + 21 + 27 = 82 → 20 × 82/100 = 16.4."""
    plan = plan_from("""
        - id: r
          title: 360评价
          max: 20
          rule:
            kind: rater_groups
            groups: [{id: public, title: 群众, weight: 0.4, min_weight: 0.4},
                     {id: superior, title: 上级督查, weight: 0.3},
                     {id: third, title: 第三方暗访, weight: 0.3}]
        """)
    facts = {"r": {"public": [90, 80], "superior": [70], "third": [100, 90, 80]}}
    assert score(plan, facts).total == D("16.4")
    with pytest.raises(govscore.FactsError):
        score(plan, {"r": {"public": [90], "superior": [], "third": [80]}})


def test_formula_over_inputs_and_params():
    """clamp(a × k − b, 0, 10) with k = 2: a = 4, b = 1.5 → 6.5."""
    plan = plan_from(
        "- {id: f, title: 公式, max: 10, rule: {kind: formula, formula: 'clamp(a * k - b, 0, 10)'}}",
        extra="""
        params: {k: 2}
        inputs:
          - {id: a, title: A, type: number}
          - {id: b, title: B, type: number}
        """)
    assert score(plan, {"a": 4, "b": D("1.5")}).total == D("6.5")


def test_population_kinds_refuse_single_unit_scoring():
    plan = plan_from("- {id: v, title: 投资率, max: 400, rule: {kind: relative_to_best}}")
    with pytest.raises(govscore.EvaluationError) as exc:
        score(plan, {"v": 10})
    assert exc.value.code == "GS501"


def test_relative_to_best_and_rank_points():
    """与第一名比值: 80, 100, 50 of max 10 → 8, 10, 5.
    名次赋分 step 1.5 from 30: 95, 95 share rank 1 → 30; 90 is 3rd → 27; 80 is 4th → 25.5."""
    plan = plan_from("""
        - {id: v, title: 投资率, max: 10, rule: {kind: relative_to_best}}
        - {id: r, title: 排名分, max: 30, rule: {kind: rank_points, step: 1.5}}
        """)
    units = [{"id": name, "facts": {"v": v, "r": r}} for name, v, r in
             [("甲", 80, 90), ("乙", 100, 95), ("丙", 50, 95), ("丁", 0, 80)]]
    a = govscore.evaluate_all(plan, units)
    assert [a.results[u].value("v") for u in ("甲", "乙", "丙", "丁")] == [D(8), D(10), D(5), D(0)]
    assert [a.results[u].value("r") for u in ("甲", "乙", "丙", "丁")] == \
        [D(27), D(30), D(30), D("25.5")]


def test_rank_points_first_to_last():
    """第一名600分, 最后一名500分, 3 units evenly spaced: 600, 550, 500; a single unit gets 600."""
    plan = plan_from("- {id: r, title: 排名, max: 600, rule: {kind: rank_points, last: 500}}")
    units = [{"id": n, "facts": {"r": v}} for n, v in [("a", 3), ("b", 2), ("c", 1)]]
    a = govscore.evaluate_all(plan, units)
    assert [a.results[u].total for u in "abc"] == [D(600), D(550), D(500)]
    alone = govscore.evaluate_all(plan, [{"id": "a", "facts": {"r": 1}}])
    assert alone.results["a"].total == D(600)
