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

It is also the home of **the one grammar of number text**, read the same way in schemes (YAML) and
in every facts file (YAML, JSON, CSV, TSV, text cells of .xlsx): :data:`NUMBER_TEXT` —
an optional ``-``, digits without a leading zero (``0`` itself, ``0.5``), and an optional
fraction with digits on both sides of the point. Everything else that looks like a number is
refused, never guessed: an exponent (``1e3``), a ``+`` sign, leading zeros (``007``), a bare
point (``.5``, ``5.``), separators (``1,000``, ``1 000``), hexadecimal; :func:`near_number`
says why. Spreadsheet cells are NFKC-normalised first (full-width ``１２.５`` from a Chinese IME
is ``12.5``). A percent sign (``85%``) gives :class:`Percent`, which only a rate (0..1) accepts:
on any other fact ``85%`` would silently be 0.85 on a 0–100 scale.
"""

from __future__ import annotations

import re
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


NUMBER_TEXT = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?", re.ASCII)
"""The one grammar of a number written as text (see the module's docstring)."""

_NEAR: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.ASCII), why) for pattern, why in (
        (r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[eE][-+]?[0-9]+%?", "has an exponent"),
        (r"\+[0-9.]+%?", "has a '+' sign"),
        (r"-?0[0-9]+(?:\.[0-9]+)?%?", "has a leading zero"),
        (r"-?(?:\.[0-9]+|[0-9]+\.)%?", "needs digits on both sides of the point"),
        (r"-?[0-9]{1,3}(?:[, ][0-9]{3})+(?:\.[0-9]+)?%?", "has thousands separators"),
        (r"-?0[xXoObB][0-9a-fA-F_]+", "is hexadecimal, octal or binary"),
    ))

_LEADING_ZERO = 2  # the index in _NEAR of the leading-zero form


def near_number(text: str, *, codes: bool = False) -> str | None:
    """Why ``text``, which looks like a number, is not one in :data:`NUMBER_TEXT`'s grammar
    (``'1e3' has an exponent: …``), or None when it does not look like one. With ``codes``,
    digits with leading zeros (``007``) are taken for a code, not a number (None)."""
    for index, (pattern, why) in enumerate(_NEAR):
        if codes and index == _LEADING_ZERO:
            continue
        if pattern.fullmatch(text):
            return f"{text!r} {why}: numbers are written as plain decimals (1000, 0.5, -2)"
    return None


class Percent(Decimal):
    """A number written with a percent sign (``85%`` → ``0.85``), or shown as one by a
    spreadsheet's cell format: only a rate (0..1) accepts it (see the module's docstring)."""

    __slots__ = ()


def parse_number(text: str) -> Decimal | None:
    """The Decimal of ``text`` in the one grammar, a :class:`Percent` for ``85%`` (0.85); None
    when ``text`` is not a number."""
    if NUMBER_TEXT.fullmatch(text):
        return Decimal(text)
    if text.endswith("%") and NUMBER_TEXT.fullmatch(text[:-1]):
        return Percent(Decimal(text[:-1]).scaleb(-2))
    return None
