"""Divisions through the columns (ratio, rating), worked by hand: the exact quotient decided at
the item's rounding by integer quotient and remainder, ties the Decimal path computes exactly
taken, and a tie its 34-digit rounding moves (1.5 × 1/3) left to the scalar path."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

np = pytest.importorskip("numpy")

from govscore import api  # noqa: E402
from govscore.engine import columnar, interpreter  # noqa: E402 - after the numpy check
from tests.helpers import plan_from  # noqa: E402

D = Decimal

RATIO = """
- {id: r, title: 完成比例, max: {top}, rule: {kind: ratio, zero_target: zero}}
"""


def _scored(children: str, places: int, rows: list[dict[str, Any]],
            rounding: str = "half_up") -> tuple[Any, Any]:
    plan = plan_from(children, extra=f"precision: {{places: {places}, rounding: {rounding}}}\n")
    program = plan.columns()[None]
    return plan, columnar.score_rows(plan, program, rows)


def _interpreted(plan: Any, facts: dict[str, Any]) -> Decimal:
    checked, problems = api.prepare(plan, {"id": "u", "facts": facts})
    assert checked is not None, problems
    return interpreter.evaluate_unit(plan, checked).total


def test_a_ratio_that_does_not_terminate_is_rounded_exactly() -> None:
    """max 10, 2 places 四舍五入: done 1 of 3 → 10 × 1/3 = 3.333… → 3.33 (3333 r 1 of 3 × 1000:
    the remainder 1 is under half of 3); done 2 of 3 → 6.666… → 6.67 (remainder 2: over half);
    done 5 of 7 → 7.142857… → 7.14; done 4 of 3 → beyond the target: 10.00; target 0 → zero
    policy: 0.00."""
    rows = [{"r": {"done": D(d), "target": D(t)}} for d, t in
            ((1, 3), (2, 3), (5, 7), (4, 3), (1, 0))]
    plan, done = _scored(RATIO.replace("{top}", "10"), 2, rows)
    assert not done.bail.any()
    assert columnar.decimals(done.total) == [D("3.33"), D("6.67"), D("7.14"), D("10.00"),
                                             D("0.00")]
    assert [_interpreted(plan, r) for r in rows] == columnar.decimals(done.total)


def test_a_tie_the_decimal_path_rounds_away_is_left_to_it() -> None:
    """max 3, 2 places 四舍五入, done 5 of 24: exactly 3 × 5/24 = 0.625, a tie that rounds half
    up to 0.63 — but the Decimal path divides first, 5/24 = 0.2083…3 (34 digits, rounded
    down), and 3 × that is 0.6249…9, which rounds to 0.62. The columns do not reach that 0.62
    in integers: the unit is bailed, and the scalar path scores it 0.62. done 6 of 24 (0.75,
    no tie) and 5 of 23 (0.652…, no tie): taken."""
    rows = [{"r": {"done": D(5), "target": D(24)}}, {"r": {"done": D(6), "target": D(24)}},
            {"r": {"done": D(5), "target": D(23)}}]
    plan, done = _scored(RATIO.replace("{top}", "3"), 2, rows)
    assert done.bail.tolist() == [True, False, False]
    assert columnar.decimals(done.total)[1:] == [D("0.75"), D("0.65")]
    assert _interpreted(plan, rows[0]) == D("0.62")
    assert [_interpreted(plan, r) for r in rows[1:]] == [D("0.75"), D("0.65")]


def test_a_tie_the_decimal_path_divides_exactly_is_taken() -> None:
    """S4's survey (max 200, 满意 100 / 基本满意 60 / 不满意 0): 55, 6, 3 votes → 200 × (5500 +
    360) / (64 × 100) = 183.125 exactly (the division terminates: 34 digits hold it), a tie at 2
    places: 四舍五入 183.13, half-even 183.12. done 1 of 8 × 10 = 1.25, a tie at 1 place:
    1.3 half up (1/8 = 0.125 exactly)."""
    rating = """
- {id: s, title: 满意度, max: 200, rule: {kind: rating, values: {满意: 100, 基本满意: 60, 不满意: 0},
   no_votes: zero}}
"""
    rows = [{"s": {"满意": 55, "基本满意": 6, "不满意": 3}}]
    plan, done = _scored(rating, 2, rows)
    assert not done.bail.any()
    assert columnar.decimals(done.total) == [D("183.13")] == [_interpreted(plan, rows[0])]
    plan, done = _scored(rating, 2, rows, "half_even")
    assert columnar.decimals(done.total) == [D("183.12")] == [_interpreted(plan, rows[0])]
    ratio_rows = [{"r": {"done": D(1), "target": D(8)}}]
    plan, done = _scored(RATIO.replace("{top}", "10"), 1, ratio_rows)
    assert not done.bail.any()
    assert columnar.decimals(done.total) == [D("1.3")] == [_interpreted(plan, ratio_rows[0])]


def test_satisfied_share_and_excluded_levels() -> None:
    """满意率 with 满意 and 基本满意 satisfied, 诉讼 excluded from the base, max 10, 2 places:
    7 + 2 of (7 + 2 + 3) counted = 9/12 → 7.50; 1 + 0 of 3 (诉讼 5 not counted) → 3.333… →
    3.33; no counted votes (诉讼 only) → no_votes: full → 10.00."""
    rating = """
- {id: s, title: 满意率, max: 10, rule: {kind: rating, values: {满意: 100, 基本满意: 60, 不满意: 0},
   satisfied: [满意, 基本满意], excluded: [诉讼], no_votes: full}}
"""
    rows = [{"s": {"满意": 7, "基本满意": 2, "不满意": 3}},
            {"s": {"满意": 1, "不满意": 2, "诉讼": 5}}, {"s": {"诉讼": 4}}]
    plan, done = _scored(rating, 2, rows)
    assert not done.bail.any()
    assert columnar.decimals(done.total) == [D("7.50"), D("3.33"), D("10.00")]
    assert [_interpreted(plan, r) for r in rows] == columnar.decimals(done.total)


def test_a_quotient_through_a_factor_and_from_full() -> None:
    """扣分制 ratio, max 5, × 0.5 when 整改 (factor_if), 2 places: done 1 of 3 → amount 5/3 =
    1.666…, × 0.5 = 0.8333…, 5 − 0.8333… = 4.1666… → 4.17; without 整改 5 − 1.666… = 3.333… →
    3.33."""
    scheme = """
- {id: r, title: 差错率扣分, max: 5, from_full: true, rule: {kind: ratio, zero_target: zero},
   modifiers: [{kind: factor_if, input: fix, factor: 0.5}]}
"""
    plan = plan_from(scheme, extra="precision: {places: 2, rounding: half_up}\n"
                     "inputs:\n  - {id: fix, title: 整改, type: flag}\n")
    rows = [{"r": {"done": D(1), "target": D(3)}, "fix": True},
            {"r": {"done": D(1), "target": D(3)}, "fix": False}]
    done = columnar.score_rows(plan, plan.columns()[None], rows)
    assert not done.bail.any()
    assert columnar.decimals(done.total) == [D("4.17"), D("3.33")]
    assert [_interpreted(plan, r) for r in rows] == columnar.decimals(done.total)
