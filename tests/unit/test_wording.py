"""The words of the views: every trace step kind in Chinese and English, from hand-built steps
(expected text written by hand), and the one decimal formatter on awkward decimals."""

from __future__ import annotations

import typing
from decimal import Decimal

import pytest

from govscore.engine import results
from govscore.engine.results import TraceStep
from govscore.numbers import fmt
from govscore.views import wording
from govscore.views.wording import describe, step_line

D = Decimal


def step(kind: results.StepKind, before: str, after: str, *args: object) -> TraceStep:
    return TraceStep("n", kind, D(before), D(after), tuple(args))


# (step, node kind, Chinese phrase, English phrase); every kind of the TraceStep table
CASES = [
    pytest.param(step("from_full", "12", "8", D(20)), "item",
                 "满分 20 − 扣 12 = 8", "full marks 20 − 12 deducted = 8", id="from_full"),
    pytest.param(step("from_full", "25", "-5", D("20.0")), "item",
                 "满分 20.0 − 扣 25 = −5", "full marks 20.0 − 25 deducted = −5",
                 id="from_full-below-zero"),
    pytest.param(step("modifier", "4", "8", "factor_if", D(2), "repeat", None), "item",
                 "× 2 (repeat 为是)", "× 2 (repeat is true)", id="modifier-factor_if-input"),
    pytest.param(step("modifier", "6", "12", "factor_if", D(2), None, "city_level"), "item",
                 "× 2 (类别 city_level)", "× 2 (category city_level)",
                 id="modifier-factor_if-category"),
    pytest.param(step("modifier", "6", "3", "factor_if", D("0.5"), None, None), "item",
                 "× 0.5", "× 0.5", id="modifier-factor_if-bare"),
    pytest.param(step("modifier", "12", "6", "on_count", "complaints", 1, 1, D("0.5"), True),
                 "item", "complaints = 1 (≥ 1): × 0.5, 取消评先评优资格",
                 "complaints = 1 (≥ 1): × 0.5, not eligible for awards",
                 id="modifier-on_count-ineligible"),
    pytest.param(step("modifier", "12", "0", "on_count", "complaints", 3, 2, D(0), False),
                 "item", "complaints = 3 (≥ 2): × 0", "complaints = 3 (≥ 2): × 0",
                 id="modifier-on_count"),
    pytest.param(step("requires", "2", "0", "evidence"), "item",
                 "无 evidence: 不得分", "no evidence: no points", id="requires"),
    pytest.param(step("exempt", "0", "5", "不可抗力", "说明"), "item",
                 "免扣: 不可抗力 (说明)", "exempt: 不可抗力 (说明)", id="exempt"),
    pytest.param(step("exempt", "0", "5", "上级统一安排", None), "item",
                 "免扣: 上级统一安排", "exempt: 上级统一安排", id="exempt-no-note"),
    pytest.param(step("cap", "6", "5", D(5)), "item", "满分 5", "max 5", id="cap-item"),
    pytest.param(step("cap", "23.5", "20", D(20)), "group", "封顶 20", "capped at 20",
                 id="cap-group"),
    pytest.param(step("cap", "23.5", "20", D(20)), None, "封顶 20", "capped at 20",
                 id="cap-unknown-node"),
    pytest.param(step("floor", "-2", "0", D(0)), "item",
                 "扣完为止, 不低于 0", "deductions stop at 0", id="floor-item"),
    pytest.param(step("floor", "4", "10", D(10)), "group", "保底 10", "not below 10",
                 id="floor-group"),
    pytest.param(step("round", "2.345", "2.35", 2), "item",
                 "保留 2 位小数", "rounded to 2 places", id="round"),
    pytest.param(step("round", "2.345", "2.3", 1), "item",
                 "保留 1 位小数", "rounded to 1 place", id="round-one-place"),
    pytest.param(step("round", "2.5", "3", 0), "group", "保留整数", "rounded to a whole number",
                 id="round-whole"),
    pytest.param(step("round", "2.345", "2.35", 2, "half_up"), "item",
                 "四舍五入到 2 位", "rounded half up to 2 places", id="round-half_up"),
    pytest.param(step("round", "2.345", "2.34", 2, "half_even"), "item",
                 "四舍六入五成双到 2 位", "rounded half to even to 2 places", id="round-half_even"),
    pytest.param(step("rescale", "60", "80", D(100), D(75)), "group",
                 "× 100 / 75 (不适用项按比例折算)",
                 "× 100 / 75 (rescaled for the items that do not apply)", id="rescale"),
    pytest.param(step("scale", "40", "12", D(30), D(100)), "group",
                 "× 30 / 100", "× 30 / 100", id="scale"),
    pytest.param(step("gate", "10", "0", "x", D(75), "gte", D(80)), "group",
                 "x = 75, 未达到 ≥ 80: 不计", "x = 75, not ≥ 80: not counted", id="gate-gte"),
    pytest.param(step("gate", "10", "0", "x", D(80), "gt", D(80)), "group",
                 "x = 80, 未达到 > 80: 不计", "x = 80, not > 80: not counted", id="gate-gt"),
    pytest.param(step("limit", "27", "2", D(1), "bonus", D(2)), "group",
                 "不超过 1 × bonus = 2", "not more than 1 × bonus = 2", id="limit"),
    pytest.param(step("not_applicable", "0", "0", "本年度无此项业务"), "item",
                 "不适用 (本年度无此项业务)", "not applicable (本年度无此项业务)",
                 id="not_applicable"),
    pytest.param(step("not_applicable", "0", "0", ""), "group",
                 "不适用 (没有适用的子项)", "not applicable (no part applies)",
                 id="not_applicable-group"),
    pytest.param(step("none_applicable", "0", "100", "full"), "group",
                 "没有适用的子项: 按满分计", "no part applies: full marks",
                 id="none_applicable-full"),
    pytest.param(step("none_applicable", "0", "0", "zero"), "group",
                 "没有适用的子项: 按 0 分计", "no part applies: 0", id="none_applicable-zero"),
    pytest.param(step("veto", "95", "59", "重大事故", "score", None, D(59)), None,
                 "一票否决 重大事故: 得分改为 59", "veto 重大事故: score set to 59",
                 id="veto-score"),
    pytest.param(step("veto", "95", "95", "进京非访", "no_award", None, None), None,
                 "一票否决 进京非访: 取消评先评优资格", "veto 进京非访: not eligible for awards",
                 id="veto-no_award"),
    pytest.param(step("veto", "95", "95", "安全事故", "grade", "不合格", None), None,
                 "一票否决 安全事故: 等次定为 不合格", "veto 安全事故: grade set to 不合格",
                 id="veto-grade"),
    pytest.param(step("veto", "95", "95", "通报批评", "grade_cap", "合格", None), None,
                 "一票否决 通报批评: 等次最高为 合格", "veto 通报批评: grade at best 合格",
                 id="veto-grade_cap"),
    pytest.param(step("veto", "95", "59", "", "score", None, D(59)), None,
                 "一票否决: 得分改为 59", "veto: score set to 59", id="veto-untitled"),
    # 1.21–1.23 之和排名, 第1名得5分, 每降一名减0.2分: third of 8 → 5 − 2 × 0.2 = 4.6
    pytest.param(step("population", "0", "4.6", "rank_points", "小计", D("12.5"), 3, 8, D(5),
                      D("0.2"), None), "item",
                 "小计 12.5, 8 个单位中第 3 名, 得 4.6分 = 5 − 2 × 0.2",
                 "小计 12.5: rank 3 of 8, 4.6 points = 5 − 2 × 0.2", id="population-rank-step"),
    pytest.param(step("population", "0", "5", "rank_points", "小计", D("14"), 1, 8, D(5),
                      D("0.2"), None), "item",
                 "小计 14, 8 个单位中第 1 名, 得满分 5分", "小计 14: rank 1 of 8, full marks 5",
                 id="population-rank-first"),
    pytest.param(step("population", "0", "10", "rank_points", "小计", D("3"), 1, 1, D(10),
                      None, D(4)), "item",
                 "小计 3, 只有 1 个单位, 得满分 10分", "小计 3: the only unit, full marks 10",
                 id="population-rank-alone"),
    # first 10, last 4, five units: the fourth gets 10 − 3 × (10 − 4) / 4 = 5.5
    pytest.param(step("population", "0", "5.5", "rank_points", "小计", D("3"), 4, 5, D(10),
                      None, D(4)), "item",
                 "小计 3, 5 个单位中第 4 名, 得 5.5分 = 10 − 3 × (10 − 4) / 4",
                 "小计 3: rank 4 of 5, 5.5 points = 10 − 3 × (10 − 4) / 4",
                 id="population-rank-last"),
    pytest.param(step("population", "0", "0", "rank_points", "小计", D("1"), 8, 8, D(1),
                      D("0.2"), None), "item",
                 "小计 1, 8 个单位中第 8 名, 1 − 7 × 0.2 < 0, 得 0分",
                 "小计 1: rank 8 of 8, 1 − 7 × 0.2 < 0: 0 points", id="population-rank-floor"),
    pytest.param(step("population", "0", "8", "relative_to_best", "小计", D(12), D(15), D(10),
                      False, "zero"), "item",
                 "小计 12 / 最高 15 × 10 = 8", "小计 12 / highest 15 × 10 = 8",
                 id="population-relative"),
    pytest.param(step("population", "0", "5", "relative_to_best", "小计", D(4), D(2), D(10),
                      True, "zero"), "item",
                 "最低 2 / 小计 4 × 10 = 5", "lowest 2 / 小计 4 × 10 = 5",
                 id="population-relative-lower"),
    pytest.param(step("population", "0", "0", "relative_to_best", "小计", D(0), D(0), D(10),
                      False, "zero"), "item",
                 "小计 0, 最优值为 0: 得 0分", "小计 0, the best value is 0: 0 points",
                 id="population-relative-none"),
    pytest.param(TraceStep("同类平均", "statistic", D(0), D("82.5"),
                           ("mean", "考试成绩", "第一类", 2, ("甲", "乙"))),
                 None, "同类平均 = 考试成绩 的平均值 82.5, 取自第一类的 2 个单位 (甲、乙)",
                 "同类平均 = mean of 考试成绩 82.5, over 2 units of 第一类 (甲, 乙)",
                 id="statistic"),
    pytest.param(TraceStep("中位", "statistic", D(0), D(3), ("median", "x", "全部", 7,
                                                              ("甲", "乙"))), None,
                 "中位 = x 的中位数 3, 取自全部的 7 个单位 (甲、乙 等)",
                 "中位 = median of x 3, over 7 units of 全部 (甲, 乙 …)", id="statistic-more"),
    pytest.param(step("substitute", "0", "8.25", "同类平均"), "item",
                 "不适用, 按 同类平均 计 8.25", "not applicable: scores 同类平均 8.25",
                 id="substitute"),
]


@pytest.mark.parametrize(("trace_step", "node_kind", "zh", "en"), CASES)
def test_every_step_kind_in_both_languages(trace_step, node_kind, zh, en):
    assert describe(trace_step, node_kind=node_kind) == zh  # Chinese by default
    assert describe(trace_step, "zh", node_kind=node_kind) == zh
    assert describe(trace_step, "en", node_kind=node_kind) == en


def test_the_cases_cover_every_step_kind_and_both_modifiers():
    kinds = {p.values[0].step for p in CASES}
    assert kinds == set(typing.get_args(results.StepKind))
    modifiers = {p.values[0].args[0] for p in CASES if p.values[0].step == "modifier"}
    assert modifiers == {"factor_if", "on_count"}


@pytest.mark.parametrize(("trace_step", "node_kind", "zh", "en"), CASES)
def test_chinese_lines_carry_no_english_words(trace_step, node_kind, zh, en):
    """Ids the scheme wrote (inputs such as 'evidence', a category 'city_level') are allowed;
    the words of the step itself, and rule-kind ids (factor_if, gte, grade_cap …), are not."""
    ids = {"evidence", "repeat", "complaints", "city_level", "bonus", "x"}
    words = zh
    for name in ids:
        words = words.replace(name, "")
    assert not any("a" <= c.lower() <= "z" for c in words), zh


@pytest.mark.parametrize("kind", typing.get_args(results.StepKind))
def test_every_step_kind_has_a_name_in_both_languages(kind):
    for lang in ("zh", "en"):
        assert wording.STEP_NAMES[lang].get(kind), (lang, kind)
    assert not any("a" <= c.lower() <= "z" for c in wording.STEP_NAMES["zh"][kind])
    assert set(wording.STEP_NAMES["zh"]) == set(wording.STEP_NAMES["en"])


def test_names_show_titles_for_ids():
    names = {"bonus": "加分", "x": "扣分部分", "city_level": "市级部门", "d": "不合格"}
    gate = step("gate", "10", "0", "x", D(75), "gte", D(80))
    assert describe(gate, names=names) == "扣分部分 = 75, 未达到 ≥ 80: 不计"
    limit = step("limit", "27", "20", D(1), "bonus", D(20))
    assert describe(limit, "en", names=names) == "not more than 1 × 加分 = 20"
    category = step("modifier", "6", "12", "factor_if", D(2), None, "city_level")
    assert describe(category, names=names) == "× 2 (类别 市级部门)"
    veto = step("veto", "95", "95", "安全事故", "grade", "d", None)
    assert describe(veto, names=names) == "一票否决 安全事故: 等次定为 不合格"


# ------------------------------------------------------------------------------ step lines


def test_a_line_shows_the_change_then_what_made_it():
    cap = step("cap", "34.5", "30", D(30))
    assert step_line(cap, node_kind="group") == "34.5 → 30: 封顶 30"
    assert step_line(cap, "en", node_kind="group") == "34.5 → 30: capped at 30"
    floor = step("floor", "-2.50", "0", D(0))
    assert step_line(floor, node_kind="item") == "−2.50 → 0: 扣完为止, 不低于 0"


def test_a_from_full_line_is_its_sum_alone():
    from_full = step("from_full", "12", "8", D(20))
    assert step_line(from_full, node_kind="item") == "满分 20 − 扣 12 = 8"
    assert step_line(from_full, "en") == "full marks 20 − 12 deducted = 8"


def test_a_step_that_changed_nothing_is_not_shown_as_a_change():
    veto = step("veto", "95", "95", "进京非访", "no_award", None, None)
    assert step_line(veto) == "一票否决 进京非访: 取消评先评优资格"
    na = step("not_applicable", "0", "0", "本年度无此项业务")
    assert step_line(na, "en") == "not applicable (本年度无此项业务)"
    # equal values with different digits are no change either
    score = step("veto", "59.00", "59", "重大事故", "score", None, D(59))
    assert "→" not in step_line(score)
    assert step_line(score) == "一票否决 重大事故: 得分改为 59"


@pytest.mark.parametrize("args", [(), ("item max 5",), (D(1), D(2))])
def test_a_step_without_its_args_is_named_not_described(args):
    """A result written before steps carried args (read back from old JSON, args = ()): the
    step's name, never a crash and never a wrong sentence."""
    cap = TraceStep("n", "cap", D("34.5"), D(30), args)
    assert describe(cap) == "封顶"
    assert describe(cap, "en") == "cap"
    assert step_line(cap) == "34.5 → 30: 封顶"


def test_a_note_in_place_of_args_is_named_not_spelled_out():
    note = TraceStep("n", "limit", D(7), D(5), "not more than 1 × bonus = 5")  # type: ignore[arg-type]
    assert step_line(note) == "7 → 5: 限额"


@pytest.mark.parametrize("args", [
    ("factor_if", D(2)), ("on_count",), ("grow", D(2)), ()])
def test_a_malformed_modifier_is_named(args):
    assert describe(TraceStep("n", "modifier", D(1), D(2), args)) == "调整"


@pytest.mark.parametrize(("kind", "args"), [
    ("gate", ("x", D(1), "lte", D(2))), ("veto", ("t", "banish", None, None)),
    ("veto", ("t", "score", None, None)), ("round", ("two",)), ("round", (2, "half_down")),
    ("round", (True,))])
def test_unknown_operators_and_effects_are_named(kind, args):
    trace_step = TraceStep("n", kind, D(1), D(0), args)
    assert describe(trace_step) == wording.STEP_NAMES["zh"][kind]


def test_steps_read_back_from_json_are_described_the_same():
    for case in CASES:
        trace_step, node_kind, zh, en = case.values
        again = TraceStep.from_dict(trace_step.to_dict())
        assert describe(again, node_kind=node_kind) == zh
        assert describe(again, "en", node_kind=node_kind) == en


# ------------------------------------------------------------------------------ fmt


@pytest.mark.parametrize(("value", "text"), [
    ("0", "0"),
    ("-0", "0"),
    ("0.00", "0.00"),
    ("-0.00", "0.00"),
    ("0E+3", "0"),
    ("1E+2", "100"),
    ("1.5E+3", "1500"),
    ("-1.5E+3", "−1500"),
    ("0.10", "0.10"),
    ("88.00", "88.00"),
    ("12.5", "12.5"),
    ("1E-7", "0.0000001"),
    ("-0.001", "−0.001"),
    ("-2", "−2"),
    ("-87.50", "−87.50"),
    ("12345678901234567890.12", "12345678901234567890.12"),
    ("-12345678901234567890.12", "−12345678901234567890.12"),
    ("1234567890123456789012345678901234567890.5", "1234567890123456789012345678901234567890.5"),
])
def test_fmt_writes_the_decimal_exactly(value, text):
    assert fmt(D(value)) == text


def test_fmt_uses_one_minus_sign():
    assert "-" not in fmt(D("-3.25"))
    assert fmt(D("-3.25")).startswith("\u2212")


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "sNaN"])
def test_fmt_refuses_what_is_not_a_number(value):
    with pytest.raises(ValueError, match="not a finite number"):
        fmt(D(value))


@pytest.mark.parametrize(("fact", "zh", "en"), [
    (None, None, None), (True, "是", "yes"), (False, "否", "no"), (D("-2.0"), "−2.0", "−2.0"),
    ({"city": 2, "national": D("1.5")}, '{"city": 2, "national": "1.5"}',
     '{"city": 2, "national": "1.5"}'),
    ("3", "3", "3")])
def test_fact_text(fact, zh, en):
    assert wording.fact_text(fact) == zh
    assert wording.fact_text(fact, "en") == en


# ------------------------------------------------------------------------------ explain


def _unit() -> results.UnitResult:
    """A hand-built result: 基本分 70, 加分 23.5 capped at 20, a deduction item from full marks
    with a doubled count and an item floor, and a veto that only takes the awards away.
    Total 70 + 20 − 0 = 90."""
    nodes = {
        "total": results.NodeResult("total", "总分", "group", D("90.00"), D("90.00"), D(100),
                                    parent=None, order=0, rule="sum"),
        "base": results.NodeResult("base", "基本分", "item", D(70), D(70), D(70), fact=True,
                                   rule="pass_fail", parent="total", order=1),
        "bonus": results.NodeResult("bonus", "加分", "group", D(20), D("23.5"), D(20),
                                    rule="sum", parent="total", order=2),
        "b1": results.NodeResult("b1", "创新", "item", D("23.5"), D("23.5"), D(30), fact="47",
                                 rule="per_occurrence", parent="bonus", order=3),
        "ded": results.NodeResult("ded", "督办", "item", D(0), D(6), D(8), role="subtract",
                                  fact="3", rule="per_occurrence", parent="total", order=4),
        "na": results.NodeResult("na", "专项", "item", D(0), D(0), D(5), applicable=False,
                                 fact={"not_applicable": "本年度无"}, rule="manual",
                                 parent="total", order=5),
    }
    trace = (
        TraceStep("bonus", "cap", D("23.5"), D(20), (D(20),)),
        TraceStep("ded", "modifier", D(6), D(12), ("factor_if", D(2), "repeat", None)),
        TraceStep("ded", "from_full", D(12), D(-4), (D(8),)),
        TraceStep("ded", "floor", D(-4), D(0), (D(0),)),
        TraceStep("na", "not_applicable", D(0), D(0), ("本年度无",)),
        TraceStep("v1", "veto", D("90.00"), D("90.00"), ("进京非访", "no_award", None, None)),
    )
    return results.UnitResult("甲局", None, None, D("90.00"), D("90.00"), nodes, trace,
                              vetoes=("v1",), ineligible=("v1: 进京非访",))


def test_explain_without_the_scheme_is_the_sheet_of_the_result_alone():
    from govscore import explain

    text = explain(_unit())
    # no scheme: no clauses, no rule's working, numbers as the result carries them
    assert text.splitlines()[0] == "甲局"
    assert text.splitlines()[2:] == [
        "  基本分  分值 70  事实 是  ⇒ 70",
        "  加分  ⇒ 20",
        "      · 加分合计 23.5, 封顶 20, 计 20",
        "    创新  分值 30  事实 47  ⇒ 23.5",
        "  督办  分值 8  事实 3  ⇒ 0",
        "      · 6 × 2 (repeat) = 12",
        "      · 满分 8 − 扣 12 = −4",
        "      · 扣完为止, 不低于 0, 计 0",
        "  专项  分值 5  ⇒ (不适用)",
        "      · 不适用: 本年度无",
        "总分 90.00",
        "  · 总分 = 70 + 20 + 0 = 90.00",
        "  · 一票否决 (进京非访): 取消评先评优资格",
    ]


def test_explain_in_english():
    from govscore import explain

    text = explain(_unit(), lang="en")
    assert "total 90.00" in text
    assert "  加分  ⇒ 20\n      · 加分: sum 23.5, capped at 20, gives 20" in text
    assert "满分" not in text
    assert "      · full marks 8 − 12 = −4" in text
    assert "      · deductions stop at 0, gives 0" in text
    assert "  基本分  points 70  fact yes  ⇒ 70" in text
    assert "  专项  points 5  ⇒ (not applicable)\n      · not applicable: 本年度无" in text
    assert "  · veto (进京非访): not eligible for awards" in text
