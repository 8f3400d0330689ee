"""The differential tests of results as columns can fail: with the column path broken on
purpose, the whole-assessment comparison goes red on the same random batches."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

pytest.importorskip("numpy")

import govscore
from govscore.engine import fact_table, population_columns
from tests.property.test_result_columns import assessments_agree, batches


def _failures(monkeypatch: Any, target: Any, name: str, broken: Any) -> int:
    monkeypatch.setattr(target, name, broken)
    failed: list[bool] = []

    @settings(max_examples=80, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(batches())
    def check(case: Any) -> None:
        shown, entries = case
        try:
            assessments_agree(shown.plan, entries)
        except AssertionError:
            failed.append(True)

    check()
    return len(failed)


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
    original = fact_table.plain_decimals

    def broken(joined: str) -> Any:
        parsed = original(joined)
        if parsed is None:
            return None
        scaled, places, ok = parsed
        return scaled, (places - 1).clip(0), ok

    monkeypatch.setattr(fact_table, "plain_decimals", broken)
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

    def broken(rows: Any, code: Any, places: int, include_all: bool) -> Any:
        winners, tied, room = original(rows, code, places, include_all)
        if len(tied):
            import numpy as np
            return np.concatenate([winners, tied[:room]]), tied[:0], 0
        return winners, tied, room

    assert _failures(monkeypatch, population_columns, "_fill", broken) > 0
