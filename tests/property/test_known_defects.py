"""Minimal reproductions of the engine defects the widened property tests found (or were told
to find), each with its expected value worked out by hand; every one holds now. References to an
input or node that only another category has are refused by the checks (GS317, the one rule of
govscore.scheme.scopes) instead of failing at scoring time."""

from __future__ import annotations

from decimal import Decimal

import pytest

import govscore
from govscore.engine.results import UnitResult
from govscore.errors import GovscoreError, SchemeError
from tests.helpers import plan_from
from tests.property.test_whole_language import score_both_ways

D = Decimal
CATS = "categories: [{id: c0, title: 甲类}, {id: c1, title: 乙类}]\n"


def _gs317(children: str, extra: str) -> list[str]:
    """Where the checks refuse a scheme with GS317 (and that they refuse nothing else)."""
    with pytest.raises(SchemeError) as exc:
        plan_from(children, extra=extra)
    errors = [d for d in exc.value.diagnostics if d.severity == "error"]
    assert {d.code for d in errors} == {"GS317"}, errors
    assert all("Input(" not in d.message for d in errors)
    return [d.pointer for d in errors]


# ---------------------------------------------------------------------------------------------
# 1. the kernel ignores factor_if conditioned on a flag input

FACTOR_IF = ("- {id: d, title: 扣分, max: 20, from_full: true, rule: {kind: per_occurrence, "
             "per: 2}, modifiers: [{kind: factor_if, input: repeat, factor: 2}]}")
FACTOR_IF_EXTRA = "inputs: [{id: repeat, title: 重复发生, type: flag}]"
FACTOR_IF_UNIT = {"id": "u", "facts": {"d": 3, "repeat": True}}


def test_factor_if_by_input_on_the_interpreter() -> None:
    """3 occurrences × 2 = 6 lost, doubled for a repeat = 12; from full 20: 20 − 12 = 8."""
    _, slow = score_both_ways(plan_from(FACTOR_IF, extra=FACTOR_IF_EXTRA), FACTOR_IF_UNIT)
    assert isinstance(slow, UnitResult)
    assert slow.total == D(8)


def test_factor_if_by_input_on_the_kernel() -> None:
    fast, _ = score_both_ways(plan_from(FACTOR_IF, extra=FACTOR_IF_EXTRA), FACTOR_IF_UNIT)
    assert fast is None or fast.total == D(8)
    assert govscore.evaluate(plan_from(FACTOR_IF, extra=FACTOR_IF_EXTRA), FACTOR_IF_UNIT).total \
        == D(8)


# ---------------------------------------------------------------------------------------------
# 2. references to inputs or nodes that only another category has

ITEM = "- {id: x, title: 工作, max: 10, rule: {kind: manual, min: 0, max: 10}}"
C1_COUNT = "inputs: [{id: n, title: 次数, type: count, applies_to: [c1]}]\n"


def test_on_count_on_an_input_of_another_category() -> None:
    """A c0 unit has no n: the modifier would read what the unit cannot have."""
    text = ITEM.replace("}}", "}, modifiers: [{kind: on_count, input: n, steps: "
                        "[{at_least: 1, factor: 0.5}]}]}", 1)
    extra = CATS + C1_COUNT
    assert _gs317(text, extra) == ["/score/children/0/modifiers/0/input"]


def test_veto_formula_on_an_input_of_another_category() -> None:
    text, extra = ITEM, CATS + C1_COUNT + ("vetoes: [{id: v, title: 否决, when: "
                                           "{formula: 'n >= 1'}, effect: no_award}]")
    assert _gs317(text, extra) == ["/vetoes/0/when/formula"]


def test_limit_on_a_group_of_another_category() -> None:
    """A c1 unit has no s0 to limit its deduction by."""
    text = ("- {id: s0, title: 加分, applies_to: [c0], children: [{id: a, title: A, max: 5, "
            "rule: {kind: manual, min: 0, max: 5}}]}\n"
            "- {id: s1, title: 减分, role: subtract, limit: {at_most: s0}, children: [{id: b, "
            "title: B, max: 5, rule: {kind: manual, min: 0, max: 5}}]}")
    extra = CATS
    assert _gs317(text, extra) == ["/score/children/1/limit/at_most"]


def test_gate_on_an_item_of_another_category() -> None:
    text = ("- {id: s0, title: 基础, applies_to: [c0], children: [{id: a, title: A, max: 5, "
            "rule: {kind: manual, min: 0, max: 5}}]}\n"
            "- {id: s1, title: 加分, gate: {node: a, gte: 1}, children: [{id: b, title: B, "
            "max: 5, rule: {kind: manual, min: 0, max: 5}}]}")
    extra = CATS
    assert _gs317(text, extra) == ["/score/children/1/gate/node"]


def test_output_on_an_output_of_another_category() -> None:
    text, extra = ITEM, CATS + ("outputs: [{id: o0, title: 折算, kind: formula, "
                                "formula: 'total * 0.5', applies_to: [c0]}, {id: o1, title: 奖金, "
                                "kind: formula, formula: 'o0 + 1'}]")
    assert _gs317(text, extra) == ["/outputs/1/formula"]


def test_ranking_by_a_node_of_another_category() -> None:
    text = ("- {id: s0, title: 甲类专项, applies_to: [c0], children: [{id: a, title: A, max: 5, "
            "rule: {kind: manual, min: 0, max: 5}}]}\n"
            "- {id: b, title: B, max: 5, rule: {kind: manual, min: 0, max: 5}}")
    extra = CATS + "ranking: {by: s0}"
    assert _gs317(text, extra) == ["/ranking/by"]


def test_item_formula_on_an_input_of_another_category_is_a_diagnostic() -> None:
    """Refused at the formula, and the message names no model object."""
    text = "- {id: x, title: X, max: 10, rule: {kind: formula, formula: 'n * 2'}}"
    extra = CATS + C1_COUNT
    assert _gs317(text, extra) == ["/score/children/0/rule/formula"]


# ---------------------------------------------------------------------------------------------
# 3. a veto formula naming an output


def test_veto_formula_on_an_output() -> None:
    """x = 10 of 100 → o = 10 / 100 × 50 = 5 > 4: the no_award veto fires."""
    extra = ("outputs: [{id: o, title: 折算, kind: convert, from_scale: 100, weight: 50}]\n"
             "vetoes: [{id: v, title: 否决, when: {formula: 'o > 4'}, effect: no_award}]")
    try:
        plan = plan_from(ITEM, extra=extra)
    except GovscoreError:
        return  # refusing the scheme with a diagnostic is also fine
    result = govscore.evaluate(plan, {"id": "u", "facts": {"x": D(10)}})
    assert result.outputs == {"o": D(5)}
    assert result.vetoes == ("v",)


# ---------------------------------------------------------------------------------------------
# 4. a wide group


def test_three_thousand_items_in_one_group() -> None:
    """3,000 pass_fail items of 1 point, all passed: 3,000."""
    kids = "\n".join(f"- {{id: i{k}, title: 项{k}, max: 1, rule: {{kind: pass_fail}}}}"
                     for k in range(3000))
    plan = plan_from(kids)
    result = govscore.evaluate(plan, {"id": "u", "facts": {f"i{k}": True for k in range(3000)}})
    assert result.total == D(3000)


# ---------------------------------------------------------------------------------------------
# 5. found by the widened generator


def test_exemption_on_a_population_item() -> None:
    """rank_points max 10, step 1. A gives 5 and is the only ranked unit: 10. B is exempt: as if
    nothing was lost, full marks 10 (or B is rejected with a diagnostic)."""
    plan = plan_from("- {id: r, title: 名次, max: 10, rule: {kind: rank_points, step: 1}, "
                     "exemptions: [不可抗力]}")
    assessment = govscore.evaluate_all(plan, [{"id": "A", "facts": {"r": D(5)}},
                                              {"id": "B", "facts": {"r": {"exempt": "不可抗力"}}}])
    assert assessment.results["A"].total == D(10)
    assert "B" not in assessment.results or assessment.results["B"].total == D(10)


def test_limit_never_pulls_a_group_below_its_floor() -> None:
    """s0: 0 − 5 lost = −5 (its floor is −5). s1: bonus 3, limited to 1 × s0 = −5, but its
    floor is 0 (default): s1 = 0. Total −5 + 0 = −5, floored at the root's 0 → 0."""
    plan = plan_from("""
- {id: s0, title: 净分, floor: -5, children: [{id: loss, title: 扣分, max: 5, role: subtract,
   rule: {kind: per_occurrence, per: 1}}]}
- {id: s1, title: 加分, limit: {at_most: s0}, children: [{id: bonus, title: 加分项, max: 5,
   rule: {kind: manual, min: 0, max: 5}}]}
""")
    result = govscore.evaluate(plan, {"id": "u", "facts": {"loss": 5, "bonus": D(3)}})
    assert result.nodes["s0"].value == D(-5)
    assert result.total == D(0)
    assert result.nodes["s1"].value >= 0


def test_the_harsher_grade_veto_wins() -> None:
    """Both vetoes fire for u (x = 10, bands: 优秀 from 8): one forces 合格, the other 良好. The
    result must not depend on the order the vetoes are written in: the harsher, 合格."""
    extra = """
inputs:
  - {id: a, title: 甲, type: flag}
  - {id: b, title: 乙, type: flag}
vetoes:
  - {id: v0, title: 重大事故, when: {input: a}, effect: grade, grade: 合格}
  - {id: v1, title: 一般问题, when: {input: b}, effect: grade, grade: 良好}
grades:
  bands:
    - {gte: 8, grade: 优秀}
    - {gte: 6, lt: 8, grade: 良好}
    - {lt: 6, grade: 合格}
"""
    plan = plan_from(ITEM, extra=extra)
    unit = {"id": "u", "facts": {"x": D(10), "a": True, "b": True}}
    assessment = govscore.evaluate_all(plan, [unit])
    assert assessment.placements["u"].grade == "合格"
