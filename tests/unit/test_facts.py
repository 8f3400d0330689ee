"""Facts are checked strictly: every problem names the unit, the fact and the value."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

import govscore
from tests.helpers import D, plan_from

PLAN_ITEMS = """
- {id: lead, title: 领导重视, max: 5, rule: {kind: manual, min: 1, max: 5}}
- {id: tasks, title: 临时交办, max: 2, rule: {kind: per_occurrence, per: 0.5}}
- {id: rate, title: 按期办结率, max: 10, rule: {kind: rate}}
"""
TIERS = """
tiers:
  - {id: ring1, title: 第一圈, members: [锦江区]}
  - {id: ring2, title: 第二圈, members: [龙泉驿区]}
"""


def _problems(plan, entry):
    with pytest.raises(govscore.FactsError) as exc:
        govscore.evaluate(plan, entry)
    return exc.value.diagnostics


def test_every_problem_of_a_unit_at_once():
    plan = plan_from(PLAN_ITEMS)
    problems = _problems(plan, {"id": "甲", "facts": {"lead": 7, "tasks": -1, "rate": D("98.5"),
                                                      "laed": 1}})
    by_code = sorted((d.code, d.item) for d in problems)
    assert by_code == [("GS401", "laed"), ("GS404", "lead"), ("GS404", "rate"),
                       ("GS404", "tasks")]
    assert all(d.unit == "甲" for d in problems)
    unknown = next(d for d in problems if d.code == "GS401")
    assert unknown.hint == "did you mean 'lead'?"
    rate = next(d for d in problems if d.item == "rate")
    assert "0.985" in rate.message  # the hint shows the rate it probably meant


def test_missing_facts_and_defaults():
    plan = plan_from(PLAN_ITEMS.replace("per: 0.5}}", "per: 0.5}, default: 0}"))
    problems = _problems(plan, {"id": "甲", "facts": {"lead": 3}})
    assert [(d.code, d.item) for d in problems] == [("GS402", "rate")]
    result = govscore.evaluate(plan, {"id": "甲", "facts": {"lead": 3, "rate": 1}})
    assert result.total == D(13)


@pytest.mark.parametrize("bad", [0.5, "3", True, Decimal("NaN"), Decimal("Infinity"), None])
def test_numbers_are_never_coerced(bad):
    """A binary float, text, a boolean, NaN, infinity or null where a number is expected."""
    plan = plan_from(PLAN_ITEMS)
    problems = _problems(plan, {"id": "甲", "facts": {"lead": bad, "tasks": 0, "rate": 0}})
    assert [d.code for d in problems] in (["GS403"], ["GS404"])
    assert problems[0].item == "lead"


def test_tiers_unknown_and_conflicting():
    plan = plan_from("- {id: m, title: M, max: 10, rule: {kind: manual, min: 0, max: 10}}",
                     extra=TIERS)
    assert [d.code for d in _problems(plan, {"id": "锦江区", "tier": "ring2",
                                             "facts": {"m": 1}})] == ["GS406"]
    assert [d.code for d in _problems(plan, {"id": "新单位", "tier": "ring9",
                                             "facts": {"m": 1}})] == ["GS407"]
    assert [d.code for d in _problems(plan, {"id": "新单位", "facts": {"m": 1}})] == ["GS402"]
    assert govscore.evaluate(plan, {"id": "新单位", "tier": "ring2", "facts": {"m": 1}}).tier \
        == "ring2"


def test_duplicate_unit_ids_are_all_rejected():
    """Two entries for 甲: neither is scored (no choice by input order); counts add up."""
    plan = plan_from(PLAN_ITEMS)
    facts = {"lead": 3, "tasks": 1, "rate": D("0.5")}
    a = govscore.evaluate_all(plan, [{"id": "甲", "facts": facts}, {"id": "乙", "facts": facts},
                                     {"id": "甲", "facts": facts}])
    assert sorted(a.results) == ["乙"]
    assert [(r.unit, r.diagnostics[0].code) for r in a.rejected] == [("甲", "GS405")] * 2
    assert a.submitted == len(a.results) + len(a.rejected)


def test_result_json_round_trip_and_record():
    """An assessment serialises to JSON (decimals as text) and back to an equal object."""
    plan = plan_from(PLAN_ITEMS)
    a = govscore.evaluate_all(plan, [{"id": "甲", "facts": {"lead": 3, "tasks": 3,
                                                           "rate": D("0.855")}}])
    data = json.loads(json.dumps(a.to_dict(), ensure_ascii=False))
    assert data["results"][0]["total"] == "13.05"  # 3 + 1.5 + 8.55
    assert govscore.Assessment.from_dict(data) == a
    assert len(a.record.scheme_sha256) == len(a.record.facts_sha256) == 64
