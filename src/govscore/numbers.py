"""The one decimal formatter, at the bottom of the layers so that every view, template hint and
message writes a Decimal the same way.

Its rule: **the value's own digits, written
out in fixed-point at the value's own exponent** — exactly what the Decimal carries, no more and
no fewer digits:

* trailing zeros the value carries are kept: ``0.10`` → ``0.10``, ``88.00`` → ``88.00``;
* a positive exponent is written out in full, never in scientific notation: ``1E+2`` → ``100``;
  so is a tiny one: ``1E-7`` → ``0.0000001``;
* the minus sign is U+2212 ``−``, the one minus every view prints: ``-2.5`` → ``−2.5``;
* zero has no sign: ``-0`` → ``0``, ``-0.00`` → ``0.00``;
* no rounding, no grouping separators, never through a binary float; any number of digits;
* NaN and infinities are not numbers a score can have: :class:`ValueError`.
"""

from __future__ import annotations

from decimal import Decimal

MINUS = "\u2212"


def fmt(value: Decimal) -> str:
    """A Decimal as text, exactly (the rule is in the module's docstring)."""
    if not value.is_finite():
        msg = f"not a finite number: {value}"
        raise ValueError(msg)
    digits = format(value.copy_abs(), "f")  # copy_abs: no context, so no rounding
    return MINUS + digits if value.is_signed() and not value.is_zero() else digits


def plain(value: Decimal) -> str:
    """A number a scheme wrote, for a hint: :func:`fmt` of the value, a whole number without
    decimals (``5.0`` → ``5``)."""
    return fmt(value.normalize() if value == value.to_integral_value() else value)
