"""Tests that kill three mutants the rest of the suite let survive. Every expected number is
worked out by hand from the scheme text in the test, not copied from engine output.

(a) an ineligible unit gets an award (population._ineligible ignores the unit's lost
    eligibility or its veto);
(b) eligibility.min_total treated as exclusive (``<=`` instead of ``<``: a total exactly at the
    minimum loses eligibility);
(c) a ratio rule's done/target not capped at 1 before a modifier applies (plan._raw_fn's
    ``min(ONE, done / target)`` dropped: the item bound alone hides it unless a factor follows).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import govscore
from govscore.engine.results import UnitResult
from tests.helpers import plan_from
from tests.property.test_whole_language import score_both_ways

D = Decimal

# Two manual items of up to 10 points. 工作 is halved at one complaint (and the unit loses award
# eligibility), zeroed at two; a petition flag is a no_award veto.
AWARD_SCHEME = """
- {id: work, title: 工作, max: 10, rule: {kind: manual, min: 0, max: 10},
   modifiers: [{kind: on_count, input: complaints,
                steps: [{at_least: 1, factor: 0.5, ineligible: true}, {at_least: 2, factor: 0}]}]}
- {id: extra, title: 加分, max: 10, rule: {kind: manual, min: 0, max: 10}}
"""
AWARD_EXTRA = """
inputs:
  - {id: complaints, title: 有效投诉, type: count}
  - {id: petition, title: 越级上访, type: flag}
vetoes:
  - {id: veto, title: 越级上访, when: {input: petition}, effect: no_award}
awards:
  - {id: best, title: 第一名, count: 1}
  - {id: good, title: 达标单位, share: 1, eligibility: {min_total: 13}}
"""


def _units() -> list[dict[str, Any]]:
    def unit(uid: str, work: int, extra: int, complaints: int, petition: bool) -> dict[str, Any]:
        return {"id": uid, "facts": {"work": D(work), "extra": D(extra),
                                     "complaints": complaints, "petition": petition}}

    return [
        unit("A", 10, 10, 1, False),  # 10 × 0.5 + 10 = 15, ineligible (one complaint)
        unit("B", 8, 5, 0, False),    # 8 + 5 = 13, eligible, exactly the min_total of 13
        unit("C", 10, 9, 0, True),    # 10 + 9 = 19, vetoed (petition)
        unit("D", 6, 6, 0, False),    # 6 + 6 = 12, eligible but below the min_total of 13
    ]


def _assessment() -> govscore.Assessment:
    return govscore.evaluate_all(plan_from(AWARD_SCHEME, extra=AWARD_EXTRA), _units())


def test_hand_worked_totals() -> None:
    totals = {u: r.total for u, r in _assessment().results.items()}
    assert totals == {"A": D(15), "B": D(13), "C": D(19), "D": D(12)}


def test_ineligible_and_vetoed_units_get_no_award() -> None:
    """Mutant (a). One place: A (15) lost eligibility and C (19) is vetoed, so the place goes
    to B (13), the best eligible unit — not to C or A."""
    decisions = {d.award: d for d in _assessment().awards}
    best = decisions["best"]
    assert best.places == 1
    assert best.winners == ("B",)
    assert best.undecided == ()


def test_min_total_is_inclusive() -> None:
    """Mutant (b). Every eligible unit at or above 13 is named: B has exactly 13 and is named;
    D (12) is below; A and C are out (ineligible, vetoed). Places: share 1 × 4 units = 4."""
    good = {d.award: d for d in _assessment().awards}["good"]
    assert good.places == 4
    assert good.winners == ("B",)


# 按比例 item of 10 points, halved for units of category 乡镇 (by category, so that the compiled
# kernel applies it too) and for units with the flag 重复 (by input: the interpreter).
RATIO_SCHEME = """
- {id: info, title: 信息报送, max: 10, rule: {kind: ratio},
   modifiers: [{kind: factor_if, categories: [town], factor: 0.5}]}
- {id: info2, title: 信息公开, max: 10, rule: {kind: ratio},
   modifiers: [{kind: factor_if, input: repeat, factor: 0.5}]}
"""
RATIO_EXTRA = """
categories:
  - {id: town, title: 乡镇}
  - {id: dept, title: 部门}
inputs:
  - {id: repeat, title: 重复, type: flag}
"""


def _ratio_unit(done: int, target: int, category: str = "town") -> dict[str, Any]:
    pair = {"done": D(done), "target": D(target)}
    return {"id": "u", "category": category,
            "facts": {"info": pair, "info2": pair, "repeat": True}}


def _both(entry: dict[str, Any]) -> tuple[UnitResult, UnitResult]:
    """(the kernel's result, the interpreter's result) for a unit the kernel takes."""
    plan = plan_from(RATIO_SCHEME, extra=RATIO_EXTRA)
    fast, slow = score_both_ways(plan, entry)
    assert isinstance(slow, UnitResult)
    assert fast is not None  # plain facts: the kernel scores them
    return fast, slow


def test_ratio_is_capped_at_one_before_a_factor() -> None:
    """Mutant (c). 15 done of a target of 10: 10 × min(1, 15/10) = 10, then × 0.5 = 5 (not
    10 × 1.5 × 0.5 = 7.5), by the kernel and the interpreter alike (factor by category); the
    same for the item halved by the flag input, on the interpreter (the kernel ignores a
    factor_if by input: a known defect, tests/property/test_known_defects.py). Total 10."""
    fast, slow = _both(_ratio_unit(15, 10))
    assert fast.nodes["info"].value == slow.nodes["info"].value == D(5)
    assert slow.nodes["info2"].value == D(5)
    assert slow.total == D(10)


def test_ratio_below_target_and_without_the_factor() -> None:
    """5 of 10: 10 × 0.5 = 5, halved 2.5. A 部门 unit is not halved by category: 15 of 10 gives
    the full 10 (capped ratio), and 5 of 10 gives 5."""
    fast, slow = _both(_ratio_unit(5, 10))
    assert fast.nodes["info"].value == slow.nodes["info"].value == D("2.5")
    assert slow.nodes["info2"].value == D("2.5")
    fast, slow = _both(_ratio_unit(15, 10, "dept"))
    assert fast.nodes["info"].value == slow.nodes["info"].value == D(10)
    fast, slow = _both(_ratio_unit(5, 10, "dept"))
    assert fast.nodes["info"].value == slow.nodes["info"].value == D(5)
