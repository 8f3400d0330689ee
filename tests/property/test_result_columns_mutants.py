"""The differential tests of results as columns can fail: with the column path broken on
purpose, the whole-assessment comparison (tests/property/test_result_columns.py) goes red —
on fixed batches, so that the check does not depend on which random schemes a session draws."""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("numpy")

import govscore
from govscore.engine import fact_table, population_columns
from tests.helpers import plan_from
from tests.property.test_result_columns import assessments_agree
from tests.unit.test_population import ITEM, TIERS

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))


def _reference() -> tuple[Any, list[dict[str, Any]]]:
    """300 units of the reference workload: 8 rates with 3 places, 12 counts each."""
    import bench_workload as wl

    return govscore.compile(wl.REFERENCE_YAML), wl.make_units(300)


def _tied_tiers() -> tuple[Any, list[dict[str, Any]]]:
    """S3's two 圈层 (6 and 8 districts, 30 % 优秀 → 1 and 2 places), 300 units in all (the
    named districts and 286 more in 第三圈, so the columns take the batch); in 第一圈
    锦江区 and 青羊区 tie at 95 for the one place."""
    plan = plan_from(ITEM, extra=TIERS)
    ring1 = {"锦江区": 95, "青羊区": 95, "金牛区": 93, "武侯区": 92, "成华区": 91, "高新区": 90}
    units = [{"id": u, "facts": {"m": s}} for u, s in ring1.items()]
    units += [{"id": f"村{i}", "tier": "ring3", "facts": {"m": i % 90}} for i in range(294)]
    return plan, units


def test_the_fixed_batches_agree() -> None:
    for plan, units in (_reference(), _tied_tiers()):
        assessments_agree(plan, units)


def _places_read_off_by(monkeypatch: Any, shift: int) -> None:
    """The Decimal text reader made to read every cell ``shift`` places off (never below 0)."""
    original = fact_table.plain_decimals

    def broken(joined: str) -> Any:
        parsed = original(joined)
        if parsed is None:
            return None
        scaled, places, ok = parsed
        return scaled, (places + shift).clip(0), ok

    monkeypatch.setattr(fact_table, "plain_decimals", broken)


def test_decimal_text_read_one_place_too_many_is_caught(monkeypatch: Any) -> None:
    """Every rate read a tenth of its value (0.500 as 0.0500): still within 0..1, so the
    columns keep the units, and the totals differ from the scalar path's."""
    _places_read_off_by(monkeypatch, 1)
    with pytest.raises(AssertionError):
        assessments_agree(*_reference())


RATES = """govscore: "1"
id: rates
title: 比率
source: {document: 测试细则}
version: "1"
score:
  id: root
  title: 总分
  children:
    - {id: rate, title: 办结率, max: 10, rule: {kind: rate}}
"""


def test_decimal_text_read_one_place_short_is_caught(monkeypatch: Any) -> None:
    _places_read_off_by(monkeypatch, -1)
    # not over random batches: they seldom carry a Decimal with places in every row that,
    # read a place short, stays in range (else the unit goes the scalar way and agrees).
    # 0.050 read as 0.50 is still a rate.
    with pytest.raises(AssertionError):
        assessments_agree(govscore.compile(govscore.load(text=RATES, name="rates.yaml")),
                          [{"id": f"u{i}", "facts": {"rate": Decimal(rate)}}
                           for i, rate in enumerate(["0.050", "0.025", "0.010"])])


def test_a_tie_at_the_line_decided_by_input_order_is_caught(monkeypatch: Any) -> None:
    """The straddling tie group's first units take the open places (what population.place
    must never do)."""
    original = population_columns._fill

    def broken(rows: Any, code: Any, places: int, include_all: bool, top: bool) -> Any:
        winners, tied, room = original(rows, code, places, include_all, top)
        if len(tied):
            import numpy as np
            return np.concatenate([winners, tied[:room]]), tied[:0], 0
        return winners, tied, room

    monkeypatch.setattr(population_columns, "_fill", broken)
    with pytest.raises(AssertionError):
        assessments_agree(*_tied_tiers())
