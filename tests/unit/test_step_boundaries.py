"""The edges of the lowered steps, hand-worked, in both back ends (the generated kernel and the
interpreter) and through the public API: a gate exactly at its bound, a limit's factor, equal
on_count steps, free occurrences. Each case was a mutant that the rest of the suite let live."""

from __future__ import annotations

import pytest

import govscore
from tests.helpers import D, plan_from
from tests.unit.test_rebuild_defects import both_ways

GATED = """
    - {{id: a, title: 基础分, max: 100, rule: {{kind: manual, min: 0, max: 100}}}}
    - id: bonus
      title: 加分
      gate: {{node: a, {op}: 80}}
      children:
        - {{id: b, title: 创新, max: 5, rule: {{kind: manual, min: 0, max: 5}}}}
"""


@pytest.mark.parametrize(("op", "a", "expected"), [
    ("gte", "80", "85"),      # 不低于80分: 80 opens the gate, 80 + 5
    ("gte", "79.99", "79.99"),
    ("gt", "80", "80"),       # 高于80分: exactly 80 stays closed, the bonus is not counted
    ("gt", "80.01", "85.01"),
])
def test_a_gate_at_its_bound(op, a, expected):
    plan = plan_from(GATED.format(op=op))
    facts = {"a": D(a), "b": D(5)}
    fast, slow = both_ways(plan, facts)
    assert fast.total == slow.total == D(expected)
    assert fast.trace == slow.trace
    assert govscore.evaluate(plan, {"id": "u", "facts": facts}).total == D(expected)


def test_a_limit_takes_its_factor():
    # deductions may not exceed half the bonus: bonus 4 → at most 2 of the 3 deducted;
    # 60 + 4 − 2 = 62
    plan = plan_from("""
    - {id: base, title: 基础分, max: 60, rule: {kind: manual, min: 0, max: 60}}
    - id: plus
      title: 加分
      children:
        - {id: p, title: 加分项, max: 10, rule: {kind: manual, min: 0, max: 10}}
    - id: minus
      title: 减分
      role: subtract
      limit: {at_most: plus, factor: 0.5}
      children:
        - {id: m, title: 减分项, max: 10, rule: {kind: manual, min: 0, max: 10}}
    """)
    fast, slow = both_ways(plan, {"base": D(60), "p": D(4), "m": D(3)})
    assert fast.total == slow.total == D(62)
    [limit] = [s for s in slow.trace if s.step == "limit"]
    assert (limit.before, limit.after, limit.args) == (D(3), D(2), (D("0.5"), "plus", D(2)))


def test_equal_on_count_steps_take_the_first_listed():
    # two steps at 1 complaint: the first listed (× 0.5) applies, not the second (× 0): 10 → 5
    plan = plan_from("""
    - id: work
      title: 工作
      max: 10
      rule: {kind: manual, min: 0, max: 10}
      modifiers:
        - kind: on_count
          input: complaints
          steps: [{at_least: 1, factor: 0.5}, {at_least: 1, factor: 0}]
    """, "inputs:\n  - {id: complaints, title: 投诉, type: count}\n")
    fast, slow = both_ways(plan, {"work": D(10), "complaints": 1})
    assert fast.total == slow.total == D(5)


@pytest.mark.parametrize(("count", "expected"), [(0, "0"), (1, "0"), (3, "4"), (7, "10")])
def test_free_occurrences_cost_nothing(count, expected):
    # the first occurrence is free, each further one 2 points, at most 10: (3 − 1) × 2 = 4
    plan = plan_from("""
    - {id: d, title: 发表文章, max: 10, rule: {kind: per_occurrence, per: 2, free: 1}}
    """)
    fast, slow = both_ways(plan, {"d": count})
    assert fast.total == slow.total == D(expected)
