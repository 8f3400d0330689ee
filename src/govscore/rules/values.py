"""Checking one fact value: numbers, counts, rates, mappings — shared by every rule kind and by
inputs. A problem is raised as :class:`FactProblem` (code + message) and collected by the engine's
fact checking, which adds the unit and the fact's name.

Bounds: facts are numbers below 10^15 with at most 34 significant digits (the precision every
score is computed with). Both bounds are checked before any conversion, so a fact like
1E+999999 cannot make ``int()`` run for minutes.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

from govscore.errors import Diagnostic, GovscoreError
from govscore.language import model
from govscore.numbers import Percent, near_number
from govscore.textsafe import closest

MAX_MAGNITUDE = Decimal("1e15")
MAX_DIGITS = 34


class FactProblem(GovscoreError):  # noqa: N818 - a problem with one value
    """A fact value a rule cannot accept (``code`` GS403/GS404/GS408); facts checking reports
    it as a Diagnostic with the unit and the fact's name."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(message)


def show(value: Any) -> str:
    """A value for a message: short (at most 80 characters) and never failing."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 256:  # noqa: PLR2004
        return f"an integer of {value.bit_length()} bits"  # repr() refuses over 4300 digits
    try:
        text = repr(value) if not isinstance(value, Decimal) else str(value)
    except Exception:  # a caller's object whose repr fails is still reported
        text = f"<{type(value).__name__}>"
    return text if len(text) <= 80 else text[:77] + "..."  # noqa: PLR2004


def number(value: Any, what: str = "a number", *, percent: bool = False) -> Decimal:
    """A fact as a number. A :class:`~govscore.numbers.Percent` (``85%`` in a sheet) only where
    ``percent`` says the fact is a rate (0..1); text that looks like a number but is outside the
    one grammar (``1e3``) gets a hint (see :mod:`govscore.numbers`)."""
    if isinstance(value, Percent) and not percent:
        raise FactProblem("GS403", f"expected {what}, got {value * 100}% (a percentage, which "
                          "only a rate between 0 and 1 accepts): write the number without %")
    if isinstance(value, str):
        why = near_number(value.strip())
        if why is not None:
            raise FactProblem("GS403", f"expected {what}, got {show(value)}: {why}")
    if isinstance(value, bool):
        raise FactProblem("GS403", f"expected {what}, got {show(value)}")
    if isinstance(value, float):
        raise FactProblem("GS403", f"expected {what}, got the binary float {value!r} (pass a "
                          "Decimal, an int or decimal text from a file)")
    if isinstance(value, int):
        if abs(value) >= MAX_MAGNITUDE:
            raise FactProblem("GS404", f"expected {what}, got {show(value)} (facts are below "
                              f"{MAX_MAGNITUDE:.0e})")
        return Decimal(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise FactProblem("GS404", f"expected {what}, got {value} (NaN and infinity are "
                              "refused)")
        if value.adjusted() >= MAX_MAGNITUDE.adjusted() and value != 0:
            raise FactProblem("GS404", f"expected {what}, got {show(value)} (facts are below "
                              f"{MAX_MAGNITUDE:.0e})")
        digits = value.as_tuple().digits
        if len(digits) > MAX_DIGITS and len(digits) - _trailing_zeros(digits) > MAX_DIGITS:
            raise FactProblem("GS404", f"expected {what}, got {show(value)}: more than "
                              f"{MAX_DIGITS} significant digits")
        return value
    raise FactProblem("GS403", f"expected {what}, got {show(value)}")


def _trailing_zeros(digits: tuple[int, ...]) -> int:
    n = 0
    for d in reversed(digits):
        if d:
            break
        n += 1
    return n


def count(value: Any) -> int:
    n = number(value, "a whole number of occurrences")
    if n != n.to_integral_value():
        raise FactProblem("GS403", f"expected a whole number, got {n}")
    if n < 0:
        raise FactProblem("GS404", f"a count cannot be negative, got {n}")
    return int(n)


def rate(value: Any) -> Decimal:
    r = number(value, "a rate between 0 and 1", percent=True)
    if not 0 <= r <= 1:
        hint = f" (write {r / 100} for {r}%)" if 1 < r <= 100 else ""  # noqa: PLR2004
        raise FactProblem("GS404", f"a rate must be within 0..1, got {r}{hint}")
    return r


def non_negative(value: Any, what: str = "a number >= 0") -> Decimal:
    n = number(value, what)
    if n < 0:
        raise FactProblem("GS404", f"expected {what}, got {n}")
    return n


def flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise FactProblem("GS403", f"expected true or false, got {show(value)}")
    return value


def mapping(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise FactProblem("GS403", f"expected {what}, got {show(value)}")
    return value


def known_keys(value: Mapping[str, Any], allowed: list[str] | dict[str, Any], what: str) -> None:
    for key in value:
        if key not in allowed:
            close = closest(str(key), allowed)
            hint = f"; did you mean {close!r}?" if close else ""
            raise FactProblem("GS403", f"unknown {what} {show(key)}; expected one of "
                              f"{', '.join(map(str, allowed))}{hint}")


def within(bounds: model.Bounds, v: Decimal) -> bool:
    """Whether a value lies inside an interval (the one reading of gte/gt/lte/lt: item bands,
    grade bands and domains all use it)."""
    if bounds.gte is not None and v < bounds.gte:
        return False
    if bounds.gt is not None and v <= bounds.gt:
        return False
    if bounds.lte is not None and v > bounds.lte:
        return False
    return not (bounds.lt is not None and v >= bounds.lt)


def input_value(spec: model.Input, value: Any) -> Any:
    """Check and normalise a value of a declared input."""
    if spec.type == "flag":
        return flag(value)
    if spec.type == "text":
        if not isinstance(value, str):
            raise FactProblem("GS403", f"expected text, got {show(value)}")
        return value
    n: Decimal = Decimal(count(value)) if spec.type == "count" else (
        rate(value) if spec.type == "rate" else number(value))
    if spec.min is not None and n < spec.min:
        raise FactProblem("GS404", f"expected at least {spec.min}, got {n}")
    if spec.max is not None and n > spec.max:
        raise FactProblem("GS404", f"expected at most {spec.max}, got {n}")
    return n


INF = Decimal("Infinity")


def _interval(b: model.Bounds) -> tuple[tuple[Decimal, int], tuple[Decimal, int]]:
    """An interval as a half-open [start, end) of points (value, tick), where tick 1 means
    "just after value": gte 80 → (80, 0); gt 80 → (80, 1); lt 90 → (90, 0); lte 90 → (90, 1)."""
    start = (b.gte, 0) if b.gte is not None else (b.gt, 1) if b.gt is not None else (-INF, 0)
    end = (b.lt, 0) if b.lt is not None else (b.lte, 1) if b.lte is not None else (INF, 0)
    return start, end


def band_problems(bands: list[model.Bounds], domain: model.Bounds, what: str,
                  path: tuple[str | int, ...]) -> Iterator[Diagnostic]:
    """GS307 gaps and GS308 overlaps of bands over a domain (item bands and grade bands)."""
    dom_start, dom_end = _interval(domain)
    spans = sorted((_interval(b), i) for i, b in enumerate(bands))
    for (start, end), i in spans:
        if start >= end:
            yield Diagnostic("GS307", f"{what} {i + 1} is empty", path=(*path, i))
    covered = dom_start
    for (start, end), i in spans:
        if start >= end or end <= dom_start or start >= dom_end:
            continue
        if start > covered:
            yield Diagnostic("GS307", f"{what}s leave a gap between {covered[0]} and "
                             f"{start[0]}", path=(*path, i))
        elif start < covered and covered > dom_start:
            yield Diagnostic("GS308", f"{what} {i + 1} overlaps another near {start[0]}",
                             path=(*path, i))
        covered = max(covered, end)
    if covered < dom_end:
        yield Diagnostic("GS307", f"{what}s leave values from {covered[0]} up uncovered",
                         path=path)


class Exempt:
    """A checked fact that claims an exemption allowed for its item (不可抗力)."""

    __slots__ = ("note", "reason")

    def __init__(self, reason: str, note: str = "") -> None:
        self.reason = reason
        self.note = note

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Exempt) and (self.reason, self.note) == (other.reason, other.note)

    def __hash__(self) -> int:
        return hash((self.reason, self.note))

    def __repr__(self) -> str:
        return f"Exempt({self.reason!r}, {self.note!r})"


class NotApplicable:
    """A checked fact that marks an optional item not applicable to the unit."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NotApplicable) and self.reason == other.reason

    def __hash__(self) -> int:
        return hash(self.reason)

    def __repr__(self) -> str:
        return f"NotApplicable({self.reason!r})"
