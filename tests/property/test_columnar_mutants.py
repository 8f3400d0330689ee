"""The differential check of the columnar back end (test_columnar.columns_agree) goes red for
mutants of the vector forms, so its agreement is not vacuous:

(a) the vector rounding rounds half-even where the scheme says half-up (四舍五入);
(b) a group's cap dropped from its vector form (Cap.vector returns the value unchanged);
(c) an on_count modifier that takes the lowest step reached instead of the highest.

The reference workload has ties at the rounding (rates of 3 places × maxima like 9.5 give
x.xx5), a bonus group whose cap of 20 binds, and no on_count; (c) uses a scheme written here.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("numpy")

import govscore
from govscore.engine import columnar, steps
from tests.helpers import plan_from
from tests.property.test_columnar import columns_agree

ROOT = Path(__file__).resolve().parents[2]


def _reference() -> tuple[Any, list[dict[str, Any]]]:
    from benchmarks.bench_workload import make_units

    return govscore.compile(ROOT / "benchmarks/reference.yaml"), make_units(300)


def test_the_unmutated_columns_agree() -> None:
    plan, units = _reference()
    assert columns_agree(plan, units) == 300


def test_half_even_in_the_vector_rounding_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """Mutant (a)."""
    original = columnar.Batch.round

    def half_even(self: columnar.Batch, a: columnar.Col, places: int,
                  mode: str) -> columnar.Col:
        return original(self, a, places, "half_even")

    monkeypatch.setattr(columnar.Batch, "round", half_even)
    plan, units = _reference()
    with pytest.raises(AssertionError):
        columns_agree(plan, units)


def test_a_dropped_group_cap_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """Mutant (b)."""
    monkeypatch.setattr(steps.Cap, "vector", lambda self, v, c: v)
    plan, units = _reference()
    with pytest.raises(AssertionError):
        columns_agree(plan, units)


ON_COUNT = """
- {id: work, title: 工作, max: 10, rule: {kind: manual, min: 0, max: 10},
   modifiers: [{kind: on_count, input: complaints,
                steps: [{at_least: 1, factor: 0.5}, {at_least: 2, factor: 0}]}]}
"""
ON_COUNT_INPUTS = """
inputs:
  - {id: complaints, title: 有效投诉, type: count}
"""


def test_on_count_takes_the_highest_step_reached(monkeypatch: pytest.MonkeyPatch) -> None:
    """Mutant (c). 工作 8 with 2 complaints: the step at 2 (× 0) applies, not the one at 1
    (× 0.5): 0, not 4. With 1 complaint: 8 × 0.5 = 4; with none: 8."""
    plan = plan_from(ON_COUNT, extra=ON_COUNT_INPUTS)
    units = [{"id": f"U{n}", "facts": {"work": Decimal(8), "complaints": n}} for n in (0, 1, 2)]
    assert columns_agree(plan, units) == 3
    lowest_first = tuple(reversed(next(
        s for p in plan.programs[None] if p.node.id == "work"
        for s in p.steps if isinstance(s, steps.OnCount)).steps))
    original = steps.OnCount.vector

    def mutant(self: steps.OnCount, v: Any, c: Any) -> Any:
        return original(steps.OnCount(self.node, self.input, lowest_first), v, c)

    monkeypatch.setattr(steps.OnCount, "vector", mutant)
    with pytest.raises(AssertionError):
        columns_agree(plan, units)


RATIO = """
- {id: r, title: 完成比例, max: 3, rule: {kind: ratio, zero_target: zero}}
"""


def test_a_tie_the_decimal_path_rounds_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """Mutant (d): every tie of a quotient taken as if the Decimal path divided exactly. max 3,
    done 5 of 24: exactly 0.625 (四舍五入 0.63), but the Decimal path's 5/24 is rounded to 34
    digits and 3 × it gives 0.6249…9 → 0.62; the columns would say 0.63."""
    plan = plan_from(RATIO, extra="precision: {places: 2, rounding: half_up}\n")
    units = [{"id": "U", "facts": {"r": {"done": Decimal(5), "target": Decimal(24)}}}]
    assert columns_agree(plan, units) == 0  # left to the scalar path
    monkeypatch.setattr(columnar, "divides_exactly", lambda num, den: True)
    with pytest.raises(AssertionError):
        columns_agree(plan, units)


def test_a_tie_rounded_the_wrong_way_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """Mutant (e): a quotient's tie rounded half-even where the scheme says half-up. max 3,
    done 1 of 8: 3/8 = 0.375 exactly (1/8 terminates), 四舍五入 0.38; half-even would give
    0.38 too, so done 3 of 8: 1.125 → 1.13 (half-even: 1.12)."""
    plan = plan_from(RATIO, extra="precision: {places: 2, rounding: half_up}\n")
    units = [{"id": "U", "facts": {"r": {"done": Decimal(3), "target": Decimal(8)}}}]
    assert columns_agree(plan, units) == 1
    original = columnar.Batch.round

    def half_even(self: columnar.Batch, a: Any, places: int, mode: str) -> columnar.Col:
        return original(self, a, places, "half_even")

    monkeypatch.setattr(columnar.Batch, "round", half_even)
    with pytest.raises(AssertionError):
        columns_agree(plan, units)
