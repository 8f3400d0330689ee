"""Each defect the rebuild issue measured, as a regression test, with the expected numbers worked
out by hand from the scheme text (never read back from the engine). Every unit is scored by both
back ends separately (the generated kernel and the interpreter) and by the public API."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

import govscore
from govscore.engine import interpreter
from govscore.engine.plan import Plan
from govscore.errors import FactsError, SchemeError
from tests.helpers import HEADER, D, plan_from

ROOT = Path(__file__).resolve().parents[2]


def both_ways(plan: Plan, facts: dict[str, Any], category: str | None = None
              ) -> tuple[govscore.UnitResult, govscore.UnitResult]:
    """The unit scored by its category's kernel and by the interpreter, each on its own."""
    entry: dict[str, Any] = {"id": "u", "facts": facts}
    if category is not None:
        entry["category"] = category
    assert plan.kernels is not None
    fast = plan.kernels[category].run("u", category, None, facts)
    assert fast is not None, "the kernel handed a plain unit to the interpreter"
    checked, problems = govscore.prepare(plan, entry)
    assert checked is not None, problems
    return fast[0], interpreter.evaluate_unit(plan, checked)


def invalid(text: str) -> list[str]:
    """The codes and key paths of a scheme's errors."""
    with pytest.raises(SchemeError) as exc:
        govscore.load(text=textwrap.dedent(text), name="t.yaml")
    return [f"{d.code} {d.pointer}" for d in exc.value.diagnostics if d.severity == "error"]


# ---------------------------------------------------------------------------------------------
# a wrong total: the kernel dropped factor_if by input

REPEAT = """
    - id: d
      title: 重复发生的扣分
      max: 20
      from_full: true
      rule: {kind: per_occurrence, per: 2}
      modifiers: [{kind: factor_if, input: repeat, factor: 2}]
      exemptions: [不可抗力]
"""
REPEAT_INPUTS = "inputs:\n  - {id: repeat, title: 重复, type: flag}\n"


@pytest.mark.parametrize(("repeat", "expected"), [(True, "8"), (False, "14")])
def test_factor_if_by_input_doubles_the_deduction_in_both_back_ends(repeat, expected):
    # 3 occurrences × 2 points = 6 lost; doubled when repeated: 12 lost; 20 − 12 = 8 (else 14)
    plan = plan_from(REPEAT, REPEAT_INPUTS)
    fast, slow = both_ways(plan, {"d": 3, "repeat": repeat})
    assert fast.total == slow.total == D(expected)
    assert fast.trace == slow.trace
    assert govscore.evaluate(plan, {"id": "u", "facts": {"d": 3, "repeat": repeat}}).total \
        == D(expected)
    batch = govscore.evaluate_all(plan, [{"id": "u", "facts": {"d": 3, "repeat": repeat}}])
    assert batch.results["u"].total == D(expected)


# ---------------------------------------------------------------------------------------------
# tracebacks on schemes that validate


def test_a_veto_formula_may_name_an_output():
    # pay = total × 10; the veto fires below 500: total 40 → pay 400 → no award
    text = HEADER + textwrap.dedent("""\
        score:
          id: root
          title: 总分
          children:
            - {id: a, title: 甲, max: 100, rule: {kind: manual, min: 0, max: 100}}
        outputs:
          - {id: pay, title: 绩效工资, kind: formula, formula: "total * 10"}
        vetoes:
          - {id: low_pay, title: 工资过低, when: {formula: "pay < 500"}, effect: no_award}
        """)
    plan = govscore.compile(govscore.load(text=text, name="t.yaml"))
    fast, slow = both_ways(plan, {"a": D(40)})
    for result in (fast, slow):
        assert result.outputs == {"pay": D("400.00")}
        assert result.vetoes == ("low_pay",)
    assert both_ways(plan, {"a": D(60)})[1].vetoes == ()  # pay 600: no veto


CATEGORIES = """\
categories:
  - {id: town, title: 乡镇}
  - {id: dept, title: 部门}
"""


def test_a_modifier_input_of_another_category_is_a_scheme_error():
    text = HEADER + CATEGORIES + textwrap.dedent("""\
        inputs:
          - {id: complaints, title: 投诉, type: count, applies_to: [town]}
        score:
          id: root
          title: 总分
          children:
            - id: a
              title: 甲
              max: 10
              rule: {kind: manual, min: 0, max: 10}
              modifiers: [{kind: on_count, input: complaints, steps: [{at_least: 1, factor: 0}]}]
        """)
    assert invalid(text) == ["GS317 /score/children/0/modifiers/0/input"]


def test_a_veto_input_of_another_category_is_a_scheme_error():
    text = HEADER + CATEGORIES + textwrap.dedent("""\
        inputs:
          - {id: fb, title: 进京非访, type: flag, applies_to: [town]}
        score:
          id: root
          title: 总分
          children:
            - {id: a, title: 甲, max: 10, rule: {kind: manual, min: 0, max: 10}}
        vetoes:
          - {id: v1, title: 一票否决, when: {formula: fb}, effect: no_award}
          - {id: v2, title: 一票否决二, when: {input: fb}, effect: no_award}
        """)
    assert invalid(text) == ["GS317 /vetoes/0/when/formula", "GS317 /vetoes/1/when/input"]


def test_a_formula_item_reading_an_input_of_another_category_is_a_scheme_error():
    text = HEADER + CATEGORIES + textwrap.dedent("""\
        inputs:
          - {id: cases, title: 案件数, type: number, applies_to: [town]}
        score:
          id: root
          title: 总分
          children:
            - {id: a, title: 甲, max: 10, rule: {kind: formula, formula: "cases / 2"}}
        """)
    with pytest.raises(SchemeError) as exc:
        govscore.load(text=text, name="t.yaml")
    [problem] = [d for d in exc.value.diagnostics if d.severity == "error"]
    assert (problem.code, problem.pointer) == ("GS317", "/score/children/0/rule/formula")
    assert "Input(" not in str(problem)
    # the same item limited to the category that has the input is valid and scores cases / 2
    fixed = text.replace("rule: {kind: formula", "applies_to: [town], rule: {kind: formula")
    plan = govscore.compile(govscore.load(text=fixed, name="t.yaml"))
    fast, slow = both_ways(plan, {"cases": D(7)}, "town")
    assert fast.total == slow.total == D("3.50")


@pytest.mark.parametrize("size", [3000, 10000])
def test_a_group_of_thousands_of_items_compiles_and_scores(size):
    # every item: 1 occurrence × 0.5 points; size × 0.5 in all
    items = "".join(f"    - {{id: i{n}, title: 项{n}, max: 1, rule: {{kind: per_occurrence, "
                    f"per: 0.5}}}}\n" for n in range(size))
    text = HEADER + "score:\n  id: root\n  title: 总分\n  children:\n" + items
    plan = govscore.compile(govscore.load(text=text, name="t.yaml"))
    fast, slow = both_ways(plan, {f"i{n}": 1 for n in range(size)})
    assert fast.total == slow.total == D(size) / 2


# ---------------------------------------------------------------------------------------------
# nothing disappears silently: a group none of whose children applies

SURVEY = """
    - id: survey
      title: 服务对象测评
      max: 100
      not_applicable: rescale
      {policy}
      children:
        - {{id: x, title: 固定对象, max: 50, optional: true, rule: {{kind: rate}}}}
        - {{id: y, title: 非固定对象, max: 50, optional: true, rule: {{kind: rate}}}}
    - {{id: z, title: 其他, max: 50, rule: {{kind: manual, min: 0, max: 50}}}}
"""
NONE = {"x": {"not_applicable": "无对象"}, "y": {"not_applicable": "无对象"}, "z": D(30)}


def test_a_group_with_nothing_applicable_rejects_the_unit_by_default():
    plan = plan_from(SURVEY.format(policy=""))
    with pytest.raises(FactsError) as exc:
        govscore.evaluate(plan, {"id": "u", "facts": NONE})
    [problem] = exc.value.diagnostics
    assert problem.code == "GS411"
    assert "'survey'" in problem.message
    batch = govscore.evaluate_all(plan, [{"id": "u", "facts": NONE}])
    assert [r.unit for r in batch.rejected] == ["u"]
    assert batch.results == {}


@pytest.mark.parametrize(("policy", "root", "expected"), [
    ("full", "", "130"),  # survey 100 + z 30
    ("zero", "", "30"),   # survey 0 + z 30
    # the survey is not applicable and the root rescales it away: 30 × 150 / 50 = 90
    ("not_applicable", "not_applicable: rescale", "90"),
])
def test_a_group_with_nothing_applicable_gets_what_the_scheme_declares(policy, root, expected):
    plan = plan_from(SURVEY.format(policy=f"none_applicable: {policy}"), root=root)
    result = govscore.evaluate(plan, {"id": "u", "facts": NONE})
    assert result.total == D(expected)


def test_s4_without_votes_in_both_surveys_is_rejected_naming_the_survey():
    plan = govscore.compile(ROOT / "schemes" / "s4-anhui.yaml")
    from govscore.inputs import readers

    units = readers.read_facts(ROOT / "examples" / "s4-anhui.facts.yaml")
    unit = units[0]
    unit["facts"]["survey_fixed"] = {"满意": 0}
    unit["facts"]["survey_casual"] = {"满意": 0}
    batch = govscore.evaluate_all(plan, [unit])
    [rejected] = batch.rejected
    assert [d.code for d in rejected.diagnostics] == ["GS411"]
    assert "service_survey" in rejected.diagnostics[0].message


def test_a_rescaling_group_does_not_rescale_when_everything_applies():
    # bonus: 15 + 15 = 30, capped at 20; o: 10. Everything applies: 20 + 10 = 30 of 30, no
    # rescale (the group's max is 20 + 10 = 30). With o not applicable: 20 × 30 / 20 = 30.
    children = """
    - id: part
      title: 部分
      not_applicable: rescale
      children:
        - id: bonus
          title: 加分
          cap: 20
          children:
            - {id: b1, title: 加分一, max: 15, rule: {kind: manual, min: 0, max: 15}}
            - {id: b2, title: 加分二, max: 15, rule: {kind: manual, min: 0, max: 15}}
        - {id: o, title: 可选, max: 10, optional: true, rule: {kind: manual, min: 0, max: 10}}
    """
    plan = plan_from(children)
    fast, slow = both_ways(plan, {"b1": D(15), "b2": D(15), "o": D(10)})
    assert fast.total == slow.total == D(30)
    assert govscore.evaluate(plan, {"id": "u", "facts": {
        "b1": D(15), "b2": D(15), "o": {"not_applicable": "无"}}}).total == D(30)
    # o not applicable, bonus 10 of its 20: 10 × 30 / 20 = 15
    assert govscore.evaluate(plan, {"id": "u", "facts": {
        "b1": D(5), "b2": D(5), "o": {"not_applicable": "无"}}}).total == D(15)


def test_a_chain_of_thousands_of_gates_validates_and_scores():
    # g0 is gated on g1, g1 on g2, … (each open at ≥ 0); every group holds one item worth 1
    size = 2000
    groups = "".join(
        f"    - id: g{n}\n      title: 组{n}\n"
        + (f"      gate: {{node: g{n + 1}, gte: 0}}\n" if n + 1 < size else "")
        + f"      children:\n        - {{id: i{n}, title: 项{n}, max: 1, rule: {{kind: pass_fail}}}}\n"
        for n in range(size))
    text = HEADER + "score:\n  id: root\n  title: 总分\n  children:\n" + groups
    plan = govscore.compile(govscore.load(text=text, name="t.yaml"))
    fast, slow = both_ways(plan, {f"i{n}": True for n in range(size)})
    assert fast.total == slow.total == D(size)
    # a cycle at the end of the chain is found and reported once, at the first gate
    cyclic = text.replace("  children:\n        - {id: i1999,",
                          "  gate: {node: g0, gte: 0}\n      children:\n        - {id: i1999,")
    assert invalid(cyclic)[:1] == ["GS312 /score/children/0/gate/node"]
