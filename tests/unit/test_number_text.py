"""Decimals as data text (JSON results): exact, and a zero never carries a sign (issue 16:
"-0 prints as -0.00")."""

from __future__ import annotations

from decimal import Decimal

from govscore.engine.results import NodeResult
from govscore.numbers import text


def test_a_signed_zero_is_written_without_its_sign() -> None:
    assert text(Decimal("-0.00")) == "0.00"
    assert text(Decimal("-0")) == "0"
    assert text(Decimal("0.00")) == "0.00"


def test_other_numbers_are_written_exactly() -> None:
    assert text(Decimal("-1.50")) == "-1.50"  # places kept, the sign kept
    assert text(Decimal("88.5")) == "88.5"
    assert text(Decimal("-0.01")) == "-0.01"  # not a zero


def test_a_node_of_nothing_deducted_is_written_as_zero() -> None:
    # a subtracted group that deducted nothing: its value −0.00 is 0.00 in the JSON record
    node = NodeResult("ded", "扣分", "group", Decimal("-0.00"), Decimal("-0.00"), Decimal(5),
                      "subtract", True, False, None, None, "root", 1)
    data = node.to_dict()
    assert (data["value"], data["raw"]) == ("0.00", "0.00")
    assert NodeResult.from_dict(data).value == Decimal("-0.00")  # equal numbers either way
