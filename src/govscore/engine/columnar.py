"""The columnar back end: whole columns of units scored at once, exactly, from the same lowered
steps as the interpreter and the kernels (each step's ``vector`` beside its ``apply`` and
``emit`` in steps.py).

A value is a :class:`Col`: a numpy int64 array of scaled integers and one exponent for the whole
column (value = data × 10^-exp), so every sum, product, comparison and rounding is integer
arithmetic — never a float. The exponent of a fact's column comes from the facts' own exponents
(the most decimal places any unit wrote); a step's result gets the exponent its arithmetic
needs (a product adds the places of the constant, a rounding brings them to the scheme's
places), so every column holds the exact value the Decimal path computes.

What the columns do not take goes through the scalar path (the kernel, else the interpreter),
which checks and reports everything as before, so the columns never decide what an error says:

- a unit whose entry or facts are anything but plain (unknown keys, a fact of an unexpected type,
  a missing fact without a default, an exemption, not applicable, a value outside its range,
  more decimal places than a column keeps, a negative zero);
- a unit for which any operation would leave int64 (every magnitude is checked against
  :data:`LIMIT` before a multiply and after an add) or a division would not terminate at the
  column's exponent (the Decimal path then carries 34 digits an int64 cannot);
- a unit that loses award eligibility or is caught by a veto (those have sentences to write);
- every unit of a category with an item whose rule kind has no vector form here, or of a scheme
  with formula vetoes, outputs or population kinds.

tests/property/test_columnar.py holds that whatever the columns score equals what the
interpreter and the kernels score, to the cent, on random schemes of the whole language and on
every shipped scheme. numpy is an optional extra (``columns``): without it this module is never
imported and everything is scored as before.
"""

from __future__ import annotations

import dataclasses
import decimal
import importlib.util
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np

from govscore.engine import tail
from govscore.engine.lowering import CONTEXT, GroupProgram, ItemProgram, Lowered
from govscore.language import model
from govscore.rules import values as rule_values

Ints = Any
"""An int64 array (npt.NDArray[np.int64]; Any: numpy's operators are typed loosely)."""
Mask = Any
"""A bool array, one per unit."""

LIMIT = 2**62 - 1
"""The largest magnitude a column keeps: two of them add without leaving int64."""

MAX_PLACES = 9
"""The most decimal places a fact's column keeps (more: that unit takes the scalar path)."""

BIG = int(rule_values.MAX_MAGNITUDE)
_POW10 = [10**k for k in range(19)]


class Col:
    """A column of exact decimals: ``data`` × 10^-``exp``. ``data`` is an int64 array, or a
    Python int for a constant (broadcast to every unit). ``bound`` is at least the magnitude of
    every value of a unit still in the columns: an operation whose result provably stays within
    LIMIT needs no check per unit (the bounds are carried from the facts through every step)."""

    __slots__ = ("bound", "data", "exp")

    def __init__(self, data: Ints | int, exp: int, bound: int | None = None) -> None:
        if not isinstance(data, int) and np.ndim(data) == 0:  # numpy's scalar of two constants
            data = int(data)
        self.data = data
        self.exp = exp
        if bound is None:
            bound = abs(data) if isinstance(data, int) else \
                (int(np.abs(data).max()) if len(data) else 0)
        self.bound = bound

    @property
    def constant(self) -> bool:
        return isinstance(self.data, int)


def _const(value: Decimal) -> Col:
    """A Decimal as an exact constant column, trailing zeros dropped (20.00 → 20)."""
    sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)  # schemes hold finite numbers only
    coefficient = int("".join(map(str, digits)) or "0")
    while exponent < 0 and coefficient and coefficient % 10 == 0:
        coefficient //= 10
        exponent += 1
    if coefficient == 0:
        return Col(0, 0)
    if exponent >= 0:
        coefficient *= 10**exponent
        exponent = 0
    return Col(-coefficient if sign else coefficient, -exponent)


class Batch:
    """One category's units as columns, and the operations a step's ``vector`` uses
    (steps.Columns). ``bail`` marks the units the scalar path must score."""

    def __init__(self, n: int, facts: Mapping[str, Col], flags: Mapping[str, Mask]) -> None:
        self.n = n
        self.facts = facts
        self.flags = flags
        self.nodes: dict[str, Col] = {}
        self.bail: Mask = np.zeros(n, dtype=np.bool_)

    # --- values
    def const(self, value: Decimal) -> Col:
        return _const(value)

    def fact(self, name: str) -> Col:
        col = self.facts.get(name)
        if col is None:  # a reader of a fact this category lacks (refused by GS317)
            self.bail[:] = True
            return Col(0, 0)
        return col

    def flag(self, name: str) -> Mask:
        mask = self.flags.get(name)
        return mask if mask is not None else np.zeros(self.n, dtype=np.bool_)

    def node(self, node_id: str) -> Col:
        return self.nodes[node_id]

    # --- exact arithmetic
    def up(self, a: Col, exp: int) -> Ints | int:
        """a's data at a larger exponent (× 10^k), units that would pass LIMIT bailed."""
        return self._up(a, exp)[0]

    def _up(self, a: Col, exp: int) -> tuple[Ints | int, int]:
        k = exp - a.exp
        if k == 0:
            return a.data, a.bound
        if k >= len(_POW10):
            self._bail_nonzero(a)
            return (np.zeros(self.n, dtype=np.int64) if not a.constant else 0), 0
        factor = _POW10[k]
        if isinstance(a.data, int):
            out = a.data * factor
            if abs(out) > LIMIT:
                self.bail[:] = True
                return 0, 0
            return out, abs(out)
        bound = a.bound * factor
        if bound > LIMIT:
            self.bail |= np.abs(a.data) > LIMIT // factor
            bound = LIMIT
        return a.data * factor, bound

    def _bail_nonzero(self, a: Col) -> None:
        if isinstance(a.data, int):
            if a.data:
                self.bail[:] = True
        else:
            self.bail |= a.data != 0

    def aligned(self, a: Col, b: Col) -> tuple[Ints | int, Ints | int, int]:
        x, y, exp, _ = self._aligned(a, b)
        return x, y, exp

    def _aligned(self, a: Col, b: Col) -> tuple[Ints | int, Ints | int, int, int]:
        """Both at the larger exponent, and the larger of their bounds there."""
        exp = max(a.exp, b.exp)
        (x, bx), (y, by) = self._up(a, exp), self._up(b, exp)
        return x, y, exp, max(bx, by)

    def _checked(self, data: Ints | int, exp: int, bound: int) -> Col:
        if isinstance(data, int):
            if abs(data) > LIMIT:
                self.bail[:] = True
                data = 0
            return Col(data, exp, abs(data))
        if bound > LIMIT:
            self.bail |= np.abs(data) > LIMIT
            bound = LIMIT
        return Col(data, exp, bound)

    def add(self, a: Col, b: Col) -> Col:
        x, y, exp, bound = self._aligned(a, b)
        return self._checked(x + y, exp, 2 * bound)  # both ≤ LIMIT: the sum fits in int64

    def sub(self, a: Col, b: Col) -> Col:
        x, y, exp, bound = self._aligned(a, b)
        return self._checked(x - y, exp, 2 * bound)

    def mul(self, a: Col, factor: Decimal) -> Col:
        c = _const(factor)
        assert isinstance(c.data, int)
        if c.data == 0:
            return Col(0, 0) if a.constant else Col(np.zeros(self.n, dtype=np.int64), 0, 0)
        if isinstance(a.data, int):
            return self._checked(a.data * c.data, a.exp + c.exp, abs(a.data * c.data))
        bound = a.bound * abs(c.data)
        if bound > LIMIT:
            self.bail |= np.abs(a.data) > LIMIT // abs(c.data)
            bound = LIMIT
        return Col(a.data * c.data, a.exp + c.exp, bound)

    def muldiv(self, a: Col, num: Decimal, den: Decimal) -> Col:
        """a × num / den, exactly: at an exponent where 1/den terminates; units whose quotient
        does not terminate there (the Decimal path keeps 34 digits) are bailed."""
        n, d = _const(num), _const(den)
        assert isinstance(n.data, int)
        assert isinstance(d.data, int)
        assert d.data > 0
        m = d.data
        twos = fives = 0
        while m % 2 == 0:
            m //= 2
            twos += 1
        while m % 5 == 0:
            m //= 5
            fives += 1
        extra = max(twos, fives)
        # a·num/den = (A·N·10^extra / D) × 10^-(a.exp + n.exp - d.exp + extra)
        exp = a.exp + n.exp - d.exp + extra
        shift = 0
        if exp < 0:
            shift, exp = -exp, 0
        if extra + shift >= len(_POW10):
            self._bail_nonzero(a)
            return Col(np.zeros(self.n, dtype=np.int64), 0, 0)
        product = self.mul(a, Decimal(n.data * _POW10[extra + shift]))
        if isinstance(product.data, int):
            q, r = divmod(product.data, d.data)
            if r:
                self.bail[:] = True
            return Col(q, exp)
        q, r = np.divmod(product.data, d.data)
        self.bail |= r != 0
        return Col(q, exp, product.bound // d.data + 1)

    def maximum(self, a: Col, b: Col) -> Col:
        x, y, exp, bound = self._aligned(a, b)
        return Col(np.maximum(x, y), exp, bound)

    def minimum(self, a: Col, b: Col) -> Col:
        x, y, exp, bound = self._aligned(a, b)
        return Col(np.minimum(x, y), exp, bound)

    def round(self, a: Col, places: int, mode: str) -> Col:
        """Half-up (away from zero at .5) or half-even, in integers."""
        if a.exp <= places:
            return a
        k = a.exp - places
        if k >= len(_POW10):
            self._bail_nonzero(a)
            return Col(np.zeros(self.n, dtype=np.int64), places, 0)
        d = _POW10[k]
        data = np.asarray(a.data, dtype=np.int64)
        magnitude = np.abs(data)
        if mode == "half_up":  # d is even: (|x| + d/2) // d adds one exactly when 2r ≥ d
            q = (magnitude + d // 2) // d
        else:
            q, r = np.divmod(magnitude, d)
            twice = 2 * r
            q = q + ((twice > d) | ((twice == d) & (q % 2 == 1)))
        out = np.where(data < 0, -q, q)
        return Col(out if not a.constant else int(out), places, a.bound // d + 1)

    def where(self, mask: Mask, a: Col, b: Col) -> Col:
        x, y, exp, bound = self._aligned(a, b)
        return Col(np.where(mask, x, y), exp, bound)

    def gt(self, a: Col, b: Col) -> Mask:
        x, y, _ = self.aligned(a, b)
        return np.broadcast_to(np.greater(x, y), (self.n,))

    def ge(self, a: Col, b: Col) -> Mask:
        x, y, _ = self.aligned(a, b)
        return np.broadcast_to(np.greater_equal(x, y), (self.n,))

    def is_zero(self, a: Col) -> Mask:
        return np.broadcast_to(np.equal(a.data, 0), (self.n,))

    def none(self) -> Mask:
        return np.zeros(self.n, dtype=np.bool_)

    def both(self, a: Mask, b: Mask) -> Mask:
        return a & b

    def either(self, a: Mask, b: Mask) -> Mask:
        return a | b

    def negate(self, a: Mask) -> Mask:
        return ~a

    def ineligible(self, mask: Mask) -> None:
        """Lost eligibility has a reason to write: those units take the scalar path."""
        self.bail |= mask

    def full(self, col: Col) -> Col:
        """A column as an array (a constant broadcast to every unit)."""
        if isinstance(col.data, int):
            return Col(np.full(self.n, col.data, dtype=np.int64), col.exp, col.bound)
        return col


# ---------------------------------------------------------------------------------------------
# rule kinds' raw amounts over columns (kinds not listed take the scalar path)

RawVector = Callable[[Any, model.Item, Batch, Any], Col]


def _pass_fail(rule: model.PassFail, item: model.Item, c: Batch, x: Mask) -> Col:
    yes = rule.points if rule.points is not None else item.max
    return c.where(x, _const(yes), _const(rule.fail_points))


def _manual(rule: model.Manual, item: model.Item, c: Batch, x: Col) -> Col:
    return x


def _per_occurrence(rule: model.PerOccurrence, item: model.Item, c: Batch, x: Col) -> Col:
    if rule.free:
        x = c.sub(x, _const(Decimal(rule.free)))
        x = c.maximum(x, Col(0, 0))
    return c.mul(x, rule.per)


def _per_step(rule: model.PerStep, item: model.Item, c: Batch, x: Col) -> Col:
    step = _const(rule.step)
    a, s, _ = c.aligned(x, step)
    whole = np.floor_divide(a, s)  # x ≥ 0: Decimal's // (towards zero) is the floor
    return c.mul(Col(whole, 0), rule.points)


def _rate(rule: model.Rate, item: model.Item, c: Batch, x: Col) -> Col:
    return c.mul(x, item.max)


def _shortfall(rule: model.Shortfall, item: model.Item, c: Batch, x: Col) -> Col:
    top, target = _const(item.max), _const(rule.target)
    met = c.ge(x, target)
    gap = c.where(met, Col(0, 0), c.sub(target, x))
    if rule.partial == "whole_steps":  # the floor of the quotient, whether or not it terminates
        a, s, _ = c.aligned(gap, _const(rule.step))
        steps = Col(np.floor_divide(a, s), 0)
    elif rule.partial == "started_steps":  # a step begun counts whole: the ceiling
        a, s, _ = c.aligned(gap, _const(rule.step))
        steps = Col(-np.floor_divide(-np.asarray(a), s), 0)
    else:
        steps = c.muldiv(gap, Decimal(1), rule.step)
    return c.where(met, top, c.sub(top, c.mul(steps, rule.per)))


def _bands(rule: model.Bands, item: model.Item, c: Batch, x: Col) -> Col:
    out = _const(rule.outside) if rule.outside is not None else Col(0, 0)
    found = c.none()
    for band in rule.bands:
        inside = _within(c, band, x)
        out = c.where(inside & ~found, _const(band.points), out)
        found = found | inside
    if rule.outside is None:
        c.bail |= ~found  # facts checking refuses a value in no band
    return out


def _within(c: Batch, bounds: model.Bounds, x: Col) -> Mask:
    inside = np.ones(c.n, dtype=np.bool_)
    if bounds.gte is not None:
        inside &= c.ge(x, _const(bounds.gte))
    if bounds.gt is not None:
        inside &= c.gt(x, _const(bounds.gt))
    if bounds.lte is not None:
        inside &= c.ge(_const(bounds.lte), x)
    if bounds.lt is not None:
        inside &= c.gt(_const(bounds.lt), x)
    return inside


RAW_VECTORS: dict[str, RawVector] = {
    "pass_fail": _pass_fail, "manual": _manual, "per_occurrence": _per_occurrence,
    "per_step": _per_step, "rate": _rate, "shortfall": _shortfall, "bands": _bands,
}
"""rule kind → its raw amount over columns. Kept here, not on the kinds, while the columnar back
end is new (one module to review); a kind missing here is scored by the scalar path."""


# ---------------------------------------------------------------------------------------------
# facts: what each fact's column holds and which values it takes


@dataclass(frozen=True)
class FactColumn:
    """How one fact becomes a column: ``shape`` flag (a mask), count (whole numbers ≥ 0) or
    number; ``low``/``high`` the range a value must lie in (else the scalar path reports it);
    ``check`` a further vector check (a manual step, a band)."""

    name: str
    shape: str
    low: Decimal | None = None
    high: Decimal | None = None
    zero_too: bool = False
    """0 is accepted outside low..high (manual's zero_allowed)."""
    step: Decimal | None = None
    default: Any = None
    """The checked default (None: a missing fact takes the scalar path)."""
    as_int: bool = False
    """A count the check gives as an int (an item's occurrences; an input's count is a
    Decimal)."""
    spec: Any = None
    """shape ``object``: the FactSpec whose check each unit's value goes through (a fact the
    columns keep as checked Python values, for a rule kind scored unit by unit)."""


def _checked_default(spec: Any) -> Any:
    if spec.default is None:
        return None
    try:
        default = spec.check(spec.default)
    except rule_values.FactProblem:
        return None
    if isinstance(default, (rule_values.Exempt, rule_values.NotApplicable)):
        return None
    return default


def _fact_column(spec: Any) -> FactColumn:
    """How a fact spec's values become a column."""
    default = _checked_default(spec)
    if getattr(spec, "readers", ()):  # other items' checks apply too: each value checked whole
        return FactColumn(spec.name, "object", default=default, spec=spec)
    if spec.input is not None:
        inp = spec.input
        if inp.type == "flag":
            return FactColumn(spec.name, "flag", default=default)
        if inp.type == "text":
            return FactColumn(spec.name, "object", default=default, spec=spec)
        low, high = inp.min, inp.max
        if inp.type == "rate":
            low = max(low, Decimal(0)) if low is not None else Decimal(0)
            high = min(high, Decimal(1)) if high is not None else Decimal(1)
        shape = "count" if inp.type == "count" else "number"
        default = default if isinstance(default, (int, Decimal)) else None
        if shape == "count":
            low = max(low, Decimal(0)) if low is not None else Decimal(0)
        return FactColumn(spec.name, shape, low, high, default=default)
    if not isinstance(default, (bool, int, Decimal)):
        default = None
    item = spec.item
    rule = item.rule
    kind = rule.kind
    if kind not in RAW_VECTORS:
        return FactColumn(spec.name, "object", default=_checked_default(spec), spec=spec)
    if kind == "pass_fail":
        return FactColumn(spec.name, "flag", default=default)
    if kind == "per_occurrence":
        return FactColumn(spec.name, "count", Decimal(0), default=default, as_int=True)
    if kind == "manual":
        return FactColumn(spec.name, "number", rule.min, rule.max, zero_too=rule.zero_allowed,
                          step=rule.step, default=default)
    if kind == "per_step":
        return FactColumn(spec.name, "number", Decimal(0), default=default)
    if kind in ("rate", "shortfall") or (kind == "bands" and rule.rate):
        return FactColumn(spec.name, "number", Decimal(0), Decimal(1), default=default)
    return FactColumn(spec.name, "number", default=default)  # bands


_MISSING: Any = object()


def _numbers(values: Sequence[Any]) -> tuple[Ints, Ints, Mask]:
    """(scaled integers, decimal places, ok) of a list of fact values: ints and finite
    Decimals with at most MAX_PLACES places and 18 digits; anything else is not ok."""
    n = len(values)
    kinds = set(map(type, values))
    if kinds == {int}:
        try:
            ints = np.array(values, dtype=np.int64)
        except OverflowError:
            pass
        else:
            return ints, np.zeros(n, dtype=np.int64), np.abs(ints) < BIG
    if kinds == {Decimal} and n >= _TEXT_FROM and _arrow():
        try:
            return decimal_texts(list(map(str, values)))  # str is exact: the Decimal's digits
        except ImportError:  # pyarrow there but not loadable (an address-space limit): one by one
            pass
    scaled = [0] * n
    places = [0] * n
    ok = [False] * n
    for i, v in enumerate(values):
        cls = v.__class__
        if cls is int:
            if -BIG < v < BIG:
                scaled[i], ok[i] = v, True
        elif cls is Decimal and v.is_finite() and not (v.is_zero() and v.is_signed()):
            _, digits, exponent = v.as_tuple()
            assert isinstance(exponent, int)
            if exponent >= 0:
                if len(digits) + exponent <= 16:  # noqa: PLR2004 - below BIG
                    scaled[i], ok[i] = int(v), True
            elif -exponent <= MAX_PLACES and len(digits) <= 18:  # noqa: PLR2004 - int64
                coefficient = int(v.scaleb(-exponent))
                scaled[i], places[i], ok[i] = coefficient, -exponent, True
    return (np.array(scaled, dtype=np.int64), np.array(places, dtype=np.int64),
            np.array(ok, dtype=np.bool_))


_TEXT_FROM = 64
"""From this many Decimals on, a column is converted through its text (pyarrow), not one by
one."""

PLAIN_DECIMAL = r"^-?[0-9]{1,18}(\.[0-9]{1,9})?$"
"""Decimal text a column holds exactly: at most 18 digits before the point and MAX_PLACES after
it, no exponent (1E+2 and the like are read one by one, or by the scalar path)."""


def _arrow() -> bool:
    return importlib.util.find_spec("pyarrow") is not None


def decimal_texts(texts: Any) -> tuple[Ints, Ints, Mask]:
    """(scaled integers, places, ok) of decimal text (a list of str or an Arrow string array),
    over the whole column at once with pyarrow: text that is not plain decimal is not ok, nor is
    a negative zero (the scalar path keeps its sign)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(texts, list):
        texts = pa.array(texts, pa.string())
    whole = _cast_whole_column(texts)
    if whole is not None:
        return whole
    matched = pc.match_substring_regex(texts, PLAIN_DECIMAL)
    cleaned = pc.if_else(matched, texts, pa.scalar("0"))
    point = np.asarray(pc.find_substring(cleaned, "."))
    length = np.asarray(pc.utf8_length(cleaned))
    scaled = np.asarray(pc.cast(pc.replace_substring(cleaned, ".", ""), pa.int64()))
    negative = np.asarray(pc.starts_with(cleaned, "-"))
    ok = np.asarray(matched) & ~(negative & (scaled == 0))
    return scaled, np.where(point >= 0, length - point - 1, 0).astype(np.int64), ok


def _cast_whole_column(texts: Any) -> tuple[Ints, Ints, Mask] | None:
    """The common case at Arrow's speed: every cell is a decimal Arrow's cast reads exactly at
    MAX_PLACES places (the numbers the table reader reads from the same text: 0.5, .5, +1, 1e3);
    None when one cell is not (an empty cell, a space, text, too many places): then the cells
    are matched one pattern at a time. The cast's 128-bit integers are kept where they fit in
    int64; a negative zero is not taken (the scalar path keeps its sign)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    for scale in (3, 6, MAX_PLACES):  # the fewest places that hold every cell: int64 room
        try:
            cast = pc.cast(texts, pa.decimal128(38, scale))
        except pa.ArrowInvalid as exc:
            if "data loss" in str(exc):
                continue  # more places than this scale: try the next
            return None
        except pa.ArrowNotImplementedError:
            return None
        break
    else:
        return None
    if cast.null_count:
        return None
    words = np.frombuffer(cast.buffers()[1], dtype=np.int64)[2 * cast.offset:
                                                             2 * (cast.offset + len(cast))]
    low, high = words[0::2], words[1::2]
    ok = high == (low >> 63)  # the 128-bit value fits in 64 bits
    places = scale
    while places and not np.any(np.remainder(low, 10) != 0):
        low = low // 10
        places -= 1
    negative = np.asarray(pc.starts_with(texts, "-"))
    ok &= ~(negative & (low == 0))
    return low.copy(), np.full(len(low), places, dtype=np.int64), ok


def number_column(values: Sequence[Any]) -> tuple[Col, Mask]:
    """A column of numbers at the largest number of places written, and which units it holds
    exactly (the others take the scalar path)."""
    ints, places, ok = _numbers(values)
    return scaled_column(ints, places, ok)


def scaled_column(ints: Ints, places: Ints, ok: Mask) -> tuple[Col, Mask]:
    """Integers each with its own places → one column at the largest of them."""
    powers = np.array(_POW10[:MAX_PLACES + 1], dtype=np.int64)
    ok = ok & (places <= MAX_PLACES)
    # facts are below 10^15 in magnitude (rules.values.number), whatever their places
    ok &= np.abs(ints) // powers[np.clip(places, 0, MAX_PLACES)] < BIG
    exp = int(places[ok].max()) if ok.any() else 0
    shift = exp - places
    factor = powers[np.clip(shift, 0, MAX_PLACES)]
    ok = ok & (np.abs(ints) <= LIMIT // factor)
    data = np.where(ok, ints * factor, 0)
    return Col(data, exp), ok


def flag_column(values: Sequence[Any]) -> tuple[Mask, Mask]:
    """(value, ok): True and False only (the check accepts nothing else)."""
    truth = np.fromiter((v is True for v in values), dtype=np.bool_, count=len(values))
    ok = truth | np.fromiter((v is False for v in values), dtype=np.bool_, count=len(values))
    return truth, ok


def in_range(c: Batch, spec: FactColumn, col: Col) -> Mask:
    ok = np.ones(c.n, dtype=np.bool_)
    if spec.low is not None:
        ok &= c.ge(col, _const(spec.low))
    if spec.high is not None:
        ok &= c.ge(_const(spec.high), col)
    if spec.zero_too:
        ok |= c.is_zero(col)
    if spec.step is not None:
        x, s, _ = c.aligned(col, _const(spec.step))
        ok &= np.remainder(x, s) == 0
    return ok


# ---------------------------------------------------------------------------------------------
# a category's columnar program


@dataclass(frozen=True)
class CategoryColumns:
    category: str | None
    programs: tuple[ItemProgram | GroupProgram, ...]
    facts: tuple[FactColumn, ...]
    raws: dict[str, RawVector]


def programs(plan: Lowered) -> dict[str | None, CategoryColumns] | None:
    """Each category's columnar program, or None for a scheme scored against the whole
    population (its units take the interpreter's two phases)."""
    if plan.needs_population:
        return None
    out: dict[str | None, CategoryColumns] = {}
    for key, progs in plan.programs.items():  # a profile: a category, or its named units
        specs = plan.specs_in(key)
        category = plan.profiles[key].category if key in plan.profiles else key
        if not _finite(progs):
            continue  # an unbounded item or group: its units take the scalar path
        facts = tuple(_fact_column(s) for s in specs)
        held = {f.name for f in facts if f.shape != "object"}
        raws = {p.node.id: fn for p in progs if isinstance(p, ItemProgram) and p.fact in held
                and not p.converts and (fn := RAW_VECTORS.get(p.node.rule.kind)) is not None}
        out[key] = CategoryColumns(category, progs, facts, raws)
    return out


def _finite(progs: Sequence[ItemProgram | GroupProgram]) -> bool:
    """Every number a category's steps hold is finite (an unbounded max has no column)."""
    def numbers(value: Any) -> Iterator[Any]:
        if isinstance(value, Decimal):
            yield value
        elif isinstance(value, tuple):
            for v in value:
                yield from numbers(v)
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            for f in dataclasses.fields(value):
                yield from numbers(getattr(value, f.name))

    for p in progs:
        if isinstance(p, ItemProgram):
            found = [p.node.max, *numbers(p.steps)]
        else:
            found = [p.full_max, p.static_max, *numbers(p.steps), *numbers(p.combine.children)]
        if not all(d.is_finite() for d in found):
            return False
    return True


@dataclass
class Scored:
    """One category's units scored by the columns: every node's value and raw amount, the
    rounded total, and which units the scalar path must score instead."""

    n: int
    nodes: dict[str, Col]
    raws: dict[str, Col]
    total: Col
    negative_zero: Mask
    """The total rounds to zero from below (the Decimal path writes −0.00)."""
    bail: Mask


@dataclass
class FactColumns:
    """One category's facts as columns: numbers, masks (flags) and checked Python values (facts
    of kinds scored unit by unit), and the units whose facts the columns hold exactly."""

    n: int
    numbers: dict[str, Col]
    flags: dict[str, Mask]
    objects: dict[str, list[Any]]
    ok: Mask
    shapes: dict[str, FactColumn]

    def unit_facts(self) -> list[dict[str, Any]]:
        """Each unit's checked facts as the scalar path holds them (for formulas and rule
        kinds scored unit by unit): counts of items as int, of inputs and numbers as Decimal."""
        columns: dict[str, list[Any]] = {}
        for name, col in self.numbers.items():
            shape = self.shapes[name]
            if shape.as_int:
                columns[name] = (np.asarray(col.data) // _POW10[col.exp]).tolist() \
                    if not isinstance(col.data, int) else [col.data] * self.n
            else:
                columns[name] = decimals(col) if not isinstance(col.data, int) \
                    else decimals(col) * self.n
        for name, mask in self.flags.items():
            columns[name] = mask.tolist()
        columns.update(self.objects)
        names = list(columns)
        return [dict(zip(names, row, strict=True)) for row in zip(*columns.values(),
                                                                   strict=True)] \
            if names else [{} for _ in range(self.n)]


def fact_columns(program: CategoryColumns, rows: Sequence[Mapping[str, Any]]) -> FactColumns:
    """The fact columns of rows of facts (one mapping per unit) and the units they hold
    exactly: every fact present (or defaulted), of its type, within its range, and no other."""
    n = len(rows)
    c = Batch(n, {}, {})
    ok = np.ones(n, dtype=np.bool_)
    present = np.zeros(n, dtype=np.int64)
    numbers: dict[str, Col] = {}
    flags: dict[str, Mask] = {}
    objects: dict[str, list[Any]] = {}
    for spec in program.facts:
        name = spec.name
        column = [r.get(name, _MISSING) for r in rows]
        given = np.fromiter((v is not _MISSING for v in column), dtype=np.bool_, count=n)
        present += given
        if not given.all():
            if spec.default is None:
                ok &= given
            column = [spec.default if v is _MISSING else v for v in column]
        if spec.shape == "flag":
            truth, good = flag_column(column)
            flags[name] = truth
            ok &= good
        elif spec.shape == "object":
            checked, good = _checked(spec.spec, column)
            objects[name] = checked
            ok &= good
        else:
            col, good = number_column(column)
            ok &= good
            if spec.shape == "count" and col.exp:
                ok &= np.remainder(col.data, _POW10[col.exp]) == 0
                col = Col(np.floor_divide(col.data, _POW10[col.exp]), 0)
            ok &= in_range(c, spec, col)
            numbers[name] = col
    lengths = np.fromiter(map(len, rows), dtype=np.int64, count=n)
    ok &= lengths == present  # no fact the category does not know
    return FactColumns(n, numbers, flags, objects, ok & ~c.bail,
                       {f.name: f for f in program.facts})


def _checked(spec: Any, column: Sequence[Any]) -> tuple[list[Any], Mask]:
    """Each value through the fact's own check; a problem, an exemption or not applicable: the
    scalar path (which reports or scores it)."""
    out: list[Any] = []
    good: list[bool] = []
    for value in column:
        try:
            checked = spec.check(value)
        except Exception:
            out.append(None)
            good.append(False)
            continue
        plain = not isinstance(checked, (rule_values.Exempt, rule_values.NotApplicable))
        out.append(checked if plain else None)
        good.append(plain)
    return out, np.array(good, dtype=np.bool_)


def run(plan: Lowered, program: CategoryColumns, facts: FactColumns) -> Scored:
    """Every step of one category over its units' fact columns."""
    n = facts.n
    c = Batch(n, facts.numbers, facts.flags)
    c.bail |= ~facts.ok
    per_unit: list[dict[str, Any]] | None = None
    raws: dict[str, Col] = {}
    with decimal.localcontext(CONTEXT):
        for p in program.programs:
            nid = p.node.id
            if isinstance(p, ItemProgram):
                vector = program.raws.get(nid)
                if vector is not None:
                    name = p.fact or ""
                    fact = facts.flags[name] if name in facts.flags else c.fact(name)
                    v = vector(p.node.rule, p.node, c, fact)
                else:  # a rule kind without a vector form: its raw function, unit by unit
                    if per_unit is None:
                        per_unit = facts.unit_facts()
                    v = _scalar_raws(c, p, per_unit)
                raws[nid] = v
                for step in p.steps:
                    v = step.vector(v, c)
            else:
                v = p.combine.vector(c)
                raws[nid] = v
                for gstep in p.steps:
                    v = gstep.vector(v, c)
            c.nodes[nid] = v
        root = plan.scheme.score.id
        unrounded = c.full(c.nodes[root])
        rounded = c.round(unrounded, plan.places, plan.scheme.precision.rounding)
        total = c.full(Col(c.up(c.full(rounded), plan.places), plan.places)) \
            if rounded.exp < plan.places else c.full(rounded)  # at the places, as quantize
        negative_zero = (total.data == 0) & (unrounded.data < 0)
        if plan.outputs or any(v.formula is not None for v in plan.vetoes):
            if per_unit is None:
                per_unit = facts.unit_facts()
            _tail(plan, program.category, c, total, per_unit)
        else:
            _input_vetoes(plan, program.category, c)
    return Scored(n, c.nodes, raws, total, negative_zero, c.bail)


def _scalar_raws(c: Batch, p: ItemProgram, per_unit: list[dict[str, Any]]) -> Col:
    """An item's raw amounts from its rule kind's own function, for the units still in the
    columns; a unit whose amount is not a plain Decimal (not applicable, an error) is bailed."""
    amounts: list[Any] = [0] * c.n
    name = p.fact
    for i in (~c.bail).nonzero()[0].tolist():
        f = per_unit[i]
        try:
            amount = p.raw(f.get(name) if name is not None else None, f)
        except Exception:
            amount = None
        amounts[i] = amount if isinstance(amount, Decimal) else None
    col, ok = number_column(amounts)
    c.bail |= ~ok
    return col


def _tail(plan: Lowered, category: str | None, c: Batch, total: Col,
          per_unit: list[dict[str, Any]]) -> None:
    """Outputs and vetoes, unit by unit, as the scalar path's tail: a unit a veto catches, or
    whose outputs or veto conditions fail, is bailed (the outputs themselves are worked out
    again with the unit's result)."""
    ids = list(c.nodes)
    keep = (~c.bail).nonzero()[0].tolist()
    columns = [decimals(c.full(c.nodes[i]), keep) for i in ids]
    totals = decimals(total, keep)
    for k, i in enumerate(keep):
        values = {nid: col[k] for nid, col in zip(ids, columns, strict=True)}
        try:
            outputs = tail.outputs_of(plan, per_unit[i], values, totals[k], category)
            _, fired, _, _ = tail.vetoes(plan, per_unit[i], values, totals[k], outputs, [], [],
                                         category)
        except Exception:
            fired = ["error"]
        if fired:
            c.bail[i] = True


def _input_vetoes(plan: Lowered, category: str | None, c: Batch) -> None:
    """Vetoes on an input alone (a flag, a count at least so much), over the columns: a unit
    one of them catches is bailed (its veto has a sentence to write). A veto for other
    categories (``applies_to``) is not looked at, as in the scalar tail."""
    for step in plan.vetoes:
        if step.veto.applies_to is not None and category not in step.veto.applies_to:
            continue
        when = step.veto.when
        name = when.input or ""
        if name in c.flags:
            c.bail |= c.flags[name]
        elif name in c.facts and when.at_least is not None:
            c.bail |= c.ge(c.facts[name], _const(when.at_least))


def score_rows(plan: Lowered, program: CategoryColumns,
               rows: Sequence[Mapping[str, Any]]) -> Scored:
    """Score rows of facts (one mapping per unit) of one category."""
    with decimal.localcontext(CONTEXT):
        return run(plan, program, fact_columns(program, rows))


def decimals(col: Col, rows: Sequence[int] | None = None) -> list[Decimal]:
    """A column's values (or those of some rows) as Decimals at the column's exponent."""
    data = col.data if rows is None or isinstance(col.data, int) else col.data[rows]
    if isinstance(data, int):
        count = len(rows) if rows is not None else 1
        return [Decimal(data).scaleb(-col.exp)] * count
    exp = -col.exp
    return [Decimal(i).scaleb(exp) for i in data.tolist()]
