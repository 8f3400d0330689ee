"""The columnar back end: whole columns of units scored at once, exactly, from the same lowered
steps as the interpreter and the kernels (each step's ``vector`` beside its ``apply`` and
``emit`` in steps.py; each rule kind's ``vector`` beside its ``raw`` and ``emit_raw`` in its
rules/ module).

A value is a :class:`Col`: a numpy int64 array of scaled integers and one exponent for the whole
column (value = data × 10^-exp), so every sum, product, comparison and rounding is integer
arithmetic — never a float. The exponent of a fact's column comes from the facts' own exponents
(the most decimal places any unit wrote); a step's result gets the exponent its arithmetic
needs (a product adds the places of the constant, a rounding brings them to the scheme's
places), so every column holds the exact value the Decimal path computes. A division by a
fact (ratio, rating) is a :class:`Quot`, an exact quotient the item's rounding decides.
Units are scored a chunk (:data:`CHUNK`) at a time; each column carries the interval of its
values, so checks, caps and floors that cannot matter are skipped.

What the columns do not take goes through the scalar path (the kernel, else the interpreter),
which checks and reports everything as before, so the columns never decide what an error says:

- a unit whose entry or facts are anything but plain (unknown keys, a fact of an unexpected type,
  a missing fact without a default, an exemption, not applicable, a value outside its range,
  more decimal places than a column keeps, a negative zero);
- a unit for which any operation would leave int64 (every interval is checked against
  :data:`LIMIT` before a multiply and after an add), a group's division would not terminate at
  the column's exponent (the Decimal path then carries 34 digits an int64 cannot), or an item's
  quotient lies at a tie of its rounding that the Decimal path's 34 digits could move;
- a unit that loses award eligibility or is caught by a veto (those have sentences to write);
- every unit of a category with an unbounded item or group, or of a scheme with population
  kinds. Kinds without a vector form are worked out unit by unit from the columns' values;
  outputs and vetoes by the scalar tail once per distinct combination of the values it reads
  (:class:`Tail`).

tests/property/test_columnar.py holds that whatever the columns score equals what the
interpreter and the kernels score, to the cent, on random schemes of the whole language and on
every shipped scheme. numpy is an optional extra (``columns``): without it this module is never
imported and everything is scored as before.
"""

from __future__ import annotations

import dataclasses
import decimal
import functools
import importlib.util
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any, overload

import numpy as np

from govscore import rules
from govscore.engine import tail
from govscore.engine.lowering import CONTEXT, ZERO, GroupProgram, ItemProgram, Lowered
from govscore.rules import values as rule_values
from govscore.rules.base import RuleKind, VectorFact

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
    Python int for a constant (broadcast to every unit). ``lo``..``hi`` holds every value of a
    unit still in the columns (scaled, as ``data``): carried from the facts through every step,
    it lets an operation whose result provably stays within ±LIMIT skip the check per unit, a
    cap or floor that provably cannot bind be skipped, and a rounding of values of one sign
    take the short form. Columns are never changed once made (operations make new ones)."""

    __slots__ = ("data", "exp", "hi", "lo")

    def __init__(self, data: Ints | int, exp: int, bound: int | None = None, *,
                 lo: int | None = None, hi: int | None = None) -> None:
        if not isinstance(data, int) and np.ndim(data) == 0:  # numpy's scalar of two constants
            data = int(data)
        self.data = data
        self.exp = exp
        if lo is None or hi is None:
            if isinstance(data, int):
                lo = hi = data
            elif bound is not None:
                lo, hi = -bound, bound
            elif len(data):
                lo, hi = int(data.min()), int(data.max())
            else:
                lo = hi = 0
        self.lo = lo
        self.hi = hi

    @property
    def bound(self) -> int:
        """At least the magnitude of every value (scaled)."""
        return max(-self.lo, self.hi)

    @property
    def constant(self) -> bool:
        return isinstance(self.data, int)


@functools.lru_cache(maxsize=4096)
def _const(value: Decimal) -> Col:
    """A Decimal as an exact constant column, trailing zeros dropped (20.00 → 20). Cached: a
    step asks for its constants once per chunk of units."""
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


ZERO_COL = Col(0, 0)


def _at(a: Col, exp: int) -> tuple[int, int]:
    """a's interval at a larger exponent (exact Python integers)."""
    f = 10 ** (exp - a.exp)
    return a.lo * f, a.hi * f


def _nought(a: Col) -> bool:
    """a is the constant 0 (adding or subtracting it changes nothing)."""
    return isinstance(a.data, int) and a.data == 0


def _round_int(x: int, d: int, mode: str) -> int:
    """x / d rounded to an integer, half-up (away from zero) or half-even: Python integers."""
    q, r = divmod(abs(x), d)
    if 2 * r > d or (2 * r == d and (mode == "half_up" or q % 2 == 1)):
        q += 1
    return -q if x < 0 else q


DIGITS = 34
"""The Decimal path's precision (lowering.CONTEXT): every operation rounds to this many
significant digits, so its relative error is at most 10^-(DIGITS-1) / 2."""

_ULP = Fraction(1, 10 ** (DIGITS - 1))


class Quot:
    """An exact quotient column, value = num / den × 10^-exp (den ≥ 1 for every unit still in
    the columns), for an item whose raw amount is a division the Decimal path rounds to 34
    digits (ratio, rating). The columns keep the exact rational and ``err``, a bound on how far
    the Decimal path's value can be from it; the item's rounding then decides each unit
    exactly: a unit whose exact value lies further than ``err`` from every tie of the rounding
    rounds the same both ways (the Decimal value cannot cross the tie). A unit exactly at a
    tie is taken only when the Decimal path computed it without any rounding: ``exact`` (values
    never divided: a full-marks or zero-policy unit, a cap), or a ``plain`` quotient (nothing
    but bounds and choices between the division and the rounding) whose one division
    ``origin`` (its operands per unit) the Decimal path does exactly — checked unit by unit
    for those few units: at a tie the value has at most places + 1 decimals, so a division
    that is exact gives it exactly, and so does the multiply by the max after it."""

    __slots__ = ("den", "den_hi", "err", "exact", "exp", "magnitude", "num", "num_hi", "num_lo",
                 "origin", "plain")

    def __init__(self, num: Ints | int, den: Ints | int, exp: int, *, num_lo: int, num_hi: int,
                 den_hi: int, err: Fraction, magnitude: Fraction, exact: Mask | bool,
                 origin: tuple[Ints, Ints] | None = None, plain: bool = True) -> None:
        self.num = num
        self.den = den
        self.exp = exp
        self.num_lo = num_lo
        self.num_hi = num_hi
        self.den_hi = den_hi
        self.err = err
        """At least |the Decimal path's value − num / den × 10^-exp| for every unit."""
        self.magnitude = magnitude
        """At least |the value| for every unit."""
        self.exact = exact
        self.origin = origin
        self.plain = plain


def divides_exactly(num: int, den: int) -> bool:
    """The Decimal path's num / den is exact: the quotient has at most DIGITS significant
    digits (a scale of either operand by a power of ten changes no digit of it)."""
    if den == 0:
        return False
    with decimal.localcontext(CONTEXT) as context:
        context.traps[decimal.Inexact] = False
        context.clear_flags()
        Decimal(num) / Decimal(den)
        return not context.flags[decimal.Inexact]


def _quot_of(a: Col) -> Quot:
    """A column as a quotient over 1: exact, as the Decimal path holds it."""
    return Quot(a.data, 1, a.exp, num_lo=a.lo, num_hi=a.hi, den_hi=1, err=Fraction(0),
                magnitude=Fraction(max(-a.lo, a.hi), 10**a.exp), exact=True)


class Batch:
    """One category's units (or a chunk of them) as columns, and the operations a step's
    ``vector`` uses (rules.base.Columns). ``bail`` marks the units the scalar path must score (it
    may be a view into the whole run's mask: every update is in place)."""

    def __init__(self, n: int, facts: Mapping[str, Col], flags: Mapping[str, Mask],
                 bail: Mask | None = None) -> None:
        self.n = n
        self.facts = facts
        self.flags = flags
        self.nodes: dict[str, Col] = {}
        self.bail: Mask = np.zeros(n, dtype=np.bool_) if bail is None else bail

    # --- values
    def const(self, value: Decimal) -> Col:
        return _const(value)

    def fact(self, name: str) -> Col:
        col = self.facts.get(name)
        if col is None:  # a reader of a fact this category lacks (refused by GS317)
            self.bail[:] = True
            return ZERO_COL
        return col

    def flag(self, name: str) -> Mask:
        mask = self.flags.get(name)
        return mask if mask is not None else np.zeros(self.n, dtype=np.bool_)

    def node(self, node_id: str) -> Col:
        return self.nodes[node_id]

    # --- exact arithmetic
    def up(self, a: Col, exp: int) -> Ints | int:
        """a's data at a larger exponent (× 10^k), units that would pass LIMIT bailed."""
        return self._up(a, exp).data

    def _up(self, a: Col, exp: int) -> Col:
        k = exp - a.exp
        if k == 0:
            return a
        if k >= len(_POW10):
            self._bail_nonzero(a)
            return ZERO_COL
        factor = _POW10[k]
        if isinstance(a.data, int):
            out = a.data * factor
            if abs(out) > LIMIT:
                self.bail[:] = True
                out = 0
            return Col(out, exp)
        lo, hi = a.lo * factor, a.hi * factor
        if max(-lo, hi) > LIMIT:
            self.bail |= np.abs(a.data) > LIMIT // factor
            lo, hi = max(lo, -LIMIT), min(hi, LIMIT)
        return Col(a.data * factor, exp, lo=lo, hi=hi)

    def _bail_nonzero(self, a: Col) -> None:
        if isinstance(a.data, int):
            if a.data:
                self.bail[:] = True
        else:
            self.bail |= a.data != 0

    def aligned(self, a: Col | Quot, b: Col | Quot) -> tuple[Ints | int, Ints | int, int]:
        x, y = self._aligned(self.settled(a), self.settled(b))
        return x.data, y.data, x.exp

    def _aligned(self, a: Col, b: Col) -> tuple[Col, Col]:
        """Both at the larger exponent."""
        exp = max(a.exp, b.exp)
        return self._up(a, exp), self._up(b, exp)

    def _checked(self, data: Ints | int, exp: int, lo: int, hi: int) -> Col:
        """A result whose interval may pass ±LIMIT: those units bailed."""
        if isinstance(data, int):
            if abs(data) > LIMIT:
                self.bail[:] = True
                data = 0
            return Col(data, exp)
        if lo < -LIMIT or hi > LIMIT:
            self.bail |= np.abs(data) > LIMIT
            lo, hi = max(lo, -LIMIT), min(hi, LIMIT)
        return Col(data, exp, lo=lo, hi=hi)

    def add(self, a: Col | Quot, b: Col | Quot) -> Col:
        a, b = self.settled(a), self.settled(b)
        if _nought(b):
            return a
        if _nought(a):
            return b
        x, y = self._aligned(a, b)
        return self._checked(x.data + y.data, x.exp, x.lo + y.lo, x.hi + y.hi)

    @overload
    def sub(self, a: Col, b: Col) -> Col: ...
    @overload
    def sub(self, a: Col | Quot, b: Col | Quot) -> Col | Quot: ...
    def sub(self, a: Col | Quot, b: Col | Quot) -> Col | Quot:
        if isinstance(a, Quot) or isinstance(b, Quot):
            return self._q_sub(a, b)
        return self._sub(a, b)

    def _sub(self, a: Col, b: Col) -> Col:
        if _nought(b):
            return a
        x, y = self._aligned(a, b)
        return self._checked(x.data - y.data, x.exp, x.lo - y.hi, x.hi - y.lo)

    def sum(self, terms: Sequence[tuple[Col, int]]) -> Col:
        """Σ ±term (sign +1 adds, −1 subtracts), in one buffer; the same value as adding them
        one by one in order (integers: the order changes nothing; a partial sum that could
        pass ±LIMIT is checked per unit as ``add`` does)."""
        terms = [(self.settled(t), s) for t, s in terms]
        terms = [(t, s) for t, s in terms if not _nought(t)]
        if not terms:
            return ZERO_COL
        exp = max(t.exp for t, _ in terms)
        cols = [(self._up(t, exp), s) for t, s in terms]
        first, sign = cols[0]
        if sign > 0:
            acc, lo, hi = first.data, first.lo, first.hi
        else:
            acc, lo, hi = -first.data, -first.hi, -first.lo
        owned = False  # acc is an array of this sum's own: later terms are added in place
        acc_data: Any = acc
        for col, sign in cols[1:]:
            y = col.data
            if sign > 0:
                lo, hi = lo + col.lo, hi + col.hi
            else:
                lo, hi = lo - col.hi, hi - col.lo
            if isinstance(acc, int) and isinstance(y, int):
                acc = acc + y if sign > 0 else acc - y
            elif owned:
                acc_data = acc
                (np.add if sign > 0 else np.subtract)(acc_data, y, out=acc_data)
            else:
                acc = acc + y if sign > 0 else acc - y
                owned = not isinstance(acc, int)
            if lo < -LIMIT or hi > LIMIT:
                checked = self._checked(acc, exp, lo, hi)
                acc, lo, hi = checked.data, checked.lo, checked.hi
        if isinstance(acc, int):
            return self._checked(acc, exp, acc, acc)
        return Col(acc, exp, lo=lo, hi=hi)

    @overload
    def mul(self, a: Col, factor: Decimal) -> Col: ...
    @overload
    def mul(self, a: Col | Quot, factor: Decimal) -> Col | Quot: ...
    def mul(self, a: Col | Quot, factor: Decimal) -> Col | Quot:
        if isinstance(a, Quot):
            return self._q_mul(a, factor)
        return self._mul(a, factor)

    def _mul(self, a: Col, factor: Decimal) -> Col:
        c = _const(factor)
        k = c.data
        assert isinstance(k, int)
        if k == 0:
            return ZERO_COL
        exp = a.exp + c.exp
        if k == 1:  # × 1, × 0.1 …: only the exponent changes
            return Col(a.data, exp, lo=a.lo, hi=a.hi)
        if isinstance(a.data, int):
            product = a.data * k
            return self._checked(product, exp, product, product)
        lo, hi = (a.lo * k, a.hi * k) if k > 0 else (a.hi * k, a.lo * k)
        if max(-lo, hi) > LIMIT:
            self.bail |= np.abs(a.data) > LIMIT // abs(k)
            lo, hi = max(lo, -LIMIT), min(hi, LIMIT)
        return Col(a.data * k, exp, lo=lo, hi=hi)

    def muldiv(self, a: Col | Quot, num: Decimal, den: Decimal) -> Col:
        """a × num / den, exactly: at an exponent where 1/den terminates; units whose quotient
        does not terminate there (the Decimal path keeps 34 digits) are bailed."""
        a = self.settled(a)
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
            return ZERO_COL
        product = self._mul(a, Decimal(n.data * _POW10[extra + shift]))
        if isinstance(product.data, int):
            q, r = divmod(product.data, d.data)
            if r:
                self.bail[:] = True
            return Col(q, exp)
        q, r = np.divmod(product.data, d.data)
        self.bail |= r != 0
        return Col(q, exp, lo=product.lo // d.data, hi=-(-product.hi // d.data))

    @overload
    def maximum(self, a: Col, b: Col) -> Col: ...
    @overload
    def maximum(self, a: Col | Quot, b: Col | Quot) -> Col | Quot: ...
    def maximum(self, a: Col | Quot, b: Col | Quot) -> Col | Quot:
        if isinstance(a, Quot) or isinstance(b, Quot):
            return self._q_bound(a, b, smaller=False)
        exp = max(a.exp, b.exp)
        (alo, ahi), (blo, bhi) = _at(a, exp), _at(b, exp)
        if alo >= bhi:  # b can never be the larger: nothing to do
            return a
        if blo >= ahi:
            return b
        x, y = self._up(a, exp), self._up(b, exp)
        return Col(np.maximum(x.data, y.data), exp, lo=max(x.lo, y.lo), hi=max(x.hi, y.hi))

    @overload
    def minimum(self, a: Col, b: Col) -> Col: ...
    @overload
    def minimum(self, a: Col | Quot, b: Col | Quot) -> Col | Quot: ...
    def minimum(self, a: Col | Quot, b: Col | Quot) -> Col | Quot:
        if isinstance(a, Quot) or isinstance(b, Quot):
            return self._q_bound(a, b, smaller=True)
        exp = max(a.exp, b.exp)
        (alo, ahi), (blo, bhi) = _at(a, exp), _at(b, exp)
        if ahi <= blo:  # b can never be the smaller (a cap that cannot bind)
            return a
        if bhi <= alo:
            return b
        x, y = self._up(a, exp), self._up(b, exp)
        return Col(np.minimum(x.data, y.data), exp, lo=min(x.lo, y.lo), hi=min(x.hi, y.hi))

    def round(self, a: Col | Quot, places: int, mode: str) -> Col:
        """Half-up (away from zero at .5) or half-even, in integers."""
        if isinstance(a, Quot):
            return self._q_round(a, places, mode)
        if a.exp <= places:
            return a
        k = a.exp - places
        if k >= len(_POW10):
            self._bail_nonzero(a)
            return ZERO_COL
        d = _POW10[k]
        lo, hi = _round_int(a.lo, d, mode), _round_int(a.hi, d, mode)
        x = a.data
        if isinstance(x, int):
            return Col(_round_int(x, d, mode), places)
        half = d // 2  # d = 10^k is even: x / d lies at .5 exactly when x % d == half
        if mode == "half_up":
            if a.lo >= 0:  # (x + d/2) // d adds one exactly when the remainder is ≥ d/2
                out = np.add(x, half)
            elif a.hi <= 0:  # the same on −x, negated
                out = np.subtract(half, x)
                np.floor_divide(out, d, out=out)
                np.negative(out, out=out)
                return Col(out, places, lo=lo, hi=hi)
            else:  # floor((x + d/2 − [x < 0]) / d) is half-up away from zero for either sign
                out = np.add(x, half)
                np.subtract(out, x < 0, out=out)
            np.floor_divide(out, d, out=out)
            return Col(out, places, lo=lo, hi=hi)
        magnitude = np.abs(x)
        q, r = np.divmod(magnitude, d)
        np.add(q, (r > half) | ((r == half) & (q % 2 == 1)), out=q)
        return Col(np.where(x < 0, -q, q), places, lo=lo, hi=hi)

    @overload
    def where(self, mask: Mask, a: Col, b: Col) -> Col: ...
    @overload
    def where(self, mask: Mask, a: Col | Quot, b: Col | Quot) -> Col | Quot: ...
    def where(self, mask: Mask, a: Col | Quot, b: Col | Quot) -> Col | Quot:
        if isinstance(a, Quot) or isinstance(b, Quot):
            return self._q_where(mask, a, b)
        x, y = self._aligned(a, b)
        return Col(np.where(mask, x.data, y.data), x.exp, lo=min(x.lo, y.lo),
                   hi=max(x.hi, y.hi))

    def gt(self, a: Col | Quot, b: Col | Quot) -> Mask:
        x, y, _ = self.aligned(a, b)
        return np.broadcast_to(np.greater(x, y), (self.n,))

    def ge(self, a: Col | Quot, b: Col | Quot) -> Mask:
        x, y, _ = self.aligned(a, b)
        return np.broadcast_to(np.greater_equal(x, y), (self.n,))

    def is_zero(self, a: Col | Quot) -> Mask:
        a = self.settled(a)
        return np.broadcast_to(np.equal(a.data, 0), (self.n,))

    def none(self) -> Mask:
        return np.zeros(self.n, dtype=np.bool_)

    def every(self) -> Mask:
        return np.ones(self.n, dtype=np.bool_)

    def scalar(self, mask: Mask) -> None:
        self.bail |= mask

    def floor_div(self, a: Col | Quot, b: Col) -> Col:
        """⌊a / b⌋, b a constant > 0: a whole-number column."""
        x, y = self._aligned(self.settled(a), b)
        assert isinstance(y.data, int)
        assert y.data > 0
        return Col(np.floor_divide(x.data, y.data), 0, lo=x.lo // y.data, hi=x.hi // y.data)

    def ceil_div(self, a: Col | Quot, b: Col) -> Col:
        """⌈a / b⌉, b a constant > 0: a whole-number column."""
        x, y = self._aligned(self.settled(a), b)
        assert isinstance(y.data, int)
        assert y.data > 0
        return Col(-np.floor_divide(-np.asarray(x.data), y.data), 0, lo=-(-x.lo // y.data),
                   hi=-(-x.hi // y.data))

    def both(self, a: Mask, b: Mask) -> Mask:
        return a & b

    def either(self, a: Mask, b: Mask) -> Mask:
        return a | b

    def negate(self, a: Mask) -> Mask:
        return ~a

    def ineligible(self, mask: Mask) -> None:
        """Lost eligibility has a reason to write: those units take the scalar path."""
        self.bail |= mask

    # --- quotients (engine Quot): an item's division, decided exactly at its rounding
    def quotient(self, num: Col, den: Col, bound: Decimal,
                 origin: tuple[Col, Col] | None = None) -> Quot:
        """num / den exactly, for the item's rounding to decide (den > 0 for every unit: the
        caller replaces a zero by its policy; a unit with den ≤ 0 is bailed all the same).
        The Decimal path reaches it with at most three roundings to 34 digits of values at
        most ``bound`` (each off by at most 10^-33 / 2 of its value): err = 2 × bound × 10^-33.
        ``origin``: the operands of the Decimal path's one division when it is not num / den
        itself (a ratio divides done by target, then multiplies by the max)."""
        exp = num.exp - den.exp
        if exp < 0:  # num × 10^-exp: the value at exponent 0
            num = self._up(num, num.exp - exp)
            exp = 0
        if den.lo <= 0:
            self.bail |= np.less_equal(den.data, 0)
        magnitude = Fraction(bound)
        a, b = origin if origin is not None else (num, den)
        return Quot(num.data, den.data, exp, num_lo=num.lo, num_hi=num.hi,
                    den_hi=max(den.hi, 1), err=2 * magnitude * _ULP, magnitude=magnitude,
                    exact=False, origin=(np.broadcast_to(a.data, (self.n,)),
                                         np.broadcast_to(b.data, (self.n,))))

    def settled(self, a: Col | Quot) -> Col:
        """A quotient where a step other than a multiply, a bound, a choice or the rounding
        reads it: the units it holds over 1 (exact), the others bailed."""
        if isinstance(a, Col):
            return a
        if not isinstance(a.den, int) or a.den != 1:
            self.bail |= np.not_equal(a.den, 1)
        return Col(a.num, a.exp, lo=a.num_lo, hi=a.num_hi)

    def _q_at(self, q: Quot, exp: int) -> Quot:
        """A quotient at a larger exponent (num × 10^k, units past LIMIT bailed)."""
        if exp == q.exp:
            return q
        num = self._up(Col(q.num, q.exp, lo=q.num_lo, hi=q.num_hi), exp)
        return Quot(num.data, q.den, exp, num_lo=num.lo, num_hi=num.hi, den_hi=q.den_hi,
                    err=q.err, magnitude=q.magnitude, exact=q.exact, origin=q.origin,
                    plain=q.plain)

    def _times_den(self, b: Col, q: Quot) -> Col:
        """b × q's denominator, per unit (units past LIMIT bailed)."""
        lo, hi = min(b.lo * q.den_hi, b.lo), max(b.hi * q.den_hi, b.hi)
        if max(-lo, hi) > LIMIT:
            self.bail |= np.abs(np.asarray(b.data)) > LIMIT // q.den_hi
            lo, hi = max(lo, -LIMIT), min(hi, LIMIT)
        return Col(b.data * q.den, b.exp, lo=lo, hi=hi)

    def _q_mul(self, q: Quot, factor: Decimal) -> Col | Quot:
        c = _const(factor)
        k = c.data
        assert isinstance(k, int)
        if k == 0:
            return ZERO_COL
        num = self._mul(Col(q.num, 0, lo=q.num_lo, hi=q.num_hi), Decimal(k))
        magnitude = q.magnitude * abs(Fraction(factor))
        err = q.err * abs(Fraction(factor)) + (magnitude + 1) * _ULP
        return Quot(num.data, q.den, q.exp + c.exp, num_lo=num.lo, num_hi=num.hi,
                    den_hi=q.den_hi, err=err, magnitude=magnitude, exact=q.exact, plain=False)

    def _q_sub(self, a: Col | Quot, b: Col | Quot) -> Col | Quot:
        """a − b where one is a quotient and the other a column (max − v of 扣分制)."""
        if isinstance(a, Quot) and isinstance(b, Quot):
            return self._sub(self.settled(a), self.settled(b))
        exp = max(a.exp, b.exp)
        if isinstance(a, Quot):
            assert isinstance(b, Col)
            q, col, sign = self._q_at(a, exp), self._up(b, exp), -1
        else:
            assert isinstance(b, Quot)
            q, col, sign = self._q_at(b, exp), self._up(a, exp), 1
        scaled = self._times_den(col, q)  # col × den: the same denominator
        x = Col(q.num, exp, lo=q.num_lo, hi=q.num_hi)
        num = self._sub(scaled, x) if sign > 0 else self._sub(x, scaled)
        magnitude = q.magnitude + Fraction(col.bound, 10**exp)
        return Quot(num.data, q.den, exp, num_lo=num.lo, num_hi=num.hi, den_hi=q.den_hi,
                    err=q.err + (magnitude + 1) * _ULP, magnitude=magnitude, exact=q.exact,
                    plain=False)

    def _q_bound(self, a: Col | Quot, b: Col | Quot, smaller: bool) -> Col | Quot:
        """min(a, b) (``smaller``) or max(a, b), one a quotient: chosen per unit by comparing
        num with b × den exactly. A unit where the Decimal path could choose the other side
        (its value within err of b) ends at a value within err of the exact one: the rounding
        decides it as any other; a unit that takes b is exact when b is."""
        if isinstance(a, Quot) and isinstance(b, Quot):
            settled = self.settled(a)
            return self.minimum(settled, self.settled(b)) if smaller else \
                self.maximum(settled, self.settled(b))
        q, col = (a, b) if isinstance(a, Quot) else (b, a)
        assert isinstance(q, Quot)
        assert isinstance(col, Col)
        exp = max(q.exp, col.exp)
        q, col = self._q_at(q, exp), self._up(col, exp)
        scaled = self._times_den(col, q)
        keep = np.less_equal(q.num, scaled.data) if smaller else \
            np.greater_equal(q.num, scaled.data)
        # the Decimal path compares a value within err of num / den with b: when err could
        # reach from one side of b to the other for a unit not at b, that unit is bailed
        if q.err * q.den_hi * 10**exp >= 1:
            self.bail |= ~np.asarray(q.exact) & np.not_equal(q.num, scaled.data)
        return Quot(np.where(keep, q.num, col.data), np.where(keep, q.den, 1), exp,
                    num_lo=min(q.num_lo, col.lo), num_hi=max(q.num_hi, col.hi),
                    den_hi=q.den_hi, err=q.err,
                    magnitude=max(q.magnitude, Fraction(col.bound, 10**exp)),
                    exact=np.where(keep, q.exact, True), origin=q.origin, plain=q.plain)

    def _q_where(self, mask: Mask, a: Col | Quot, b: Col | Quot) -> Quot:
        x = a if isinstance(a, Quot) else _quot_of(a)
        y = b if isinstance(b, Quot) else _quot_of(b)
        exp = max(x.exp, y.exp)
        x, y = self._q_at(x, exp), self._q_at(y, exp)
        return Quot(np.where(mask, x.num, y.num), np.where(mask, x.den, y.den), exp,
                    num_lo=min(x.num_lo, y.num_lo), num_hi=max(x.num_hi, y.num_hi),
                    den_hi=max(x.den_hi, y.den_hi), err=max(x.err, y.err),
                    magnitude=max(x.magnitude, y.magnitude),
                    exact=np.where(mask, x.exact, y.exact),
                    origin=x.origin if y.origin is None else y.origin if x.origin is None
                    else None, plain=x.plain and y.plain)

    def _q_round(self, q: Quot, places: int, mode: str) -> Col:
        """The quotient rounded to ``places``: num·10^p / den (at the item's exponent) as an
        integer quotient and remainder; the remainder against half the divisor decides the
        rounding. Not at a tie, the Decimal path's value (within err) rounds the same way when
        err < 10^-p / (2 × divisor): the exact value is at least that far from the tie. At a
        tie, only a unit the Decimal path holds exactly is taken (half-up: away from zero;
        half-even: to the even neighbour)."""
        num = self._up(Col(q.num, q.exp, lo=q.num_lo, hi=q.num_hi), max(places, q.exp))
        shift = max(0, q.exp - places)
        if shift >= len(_POW10):
            self.bail[:] = True
            return ZERO_COL
        den_hi = q.den_hi * _POW10[shift]
        den: Ints | int = q.den
        if shift:
            if den_hi > LIMIT:
                self.bail |= np.asarray(q.den) > LIMIT // _POW10[shift]
            den = q.den * _POW10[shift]
        whole, rest = np.divmod(num.data, den)
        twice = 2 * rest
        tie = np.equal(twice, den)
        out = whole + np.greater(twice, den)
        inexact = ~np.asarray(q.exact, dtype=np.bool_)
        doubtful = tie & inexact
        if q.plain and q.origin is not None and doubtful.any():
            for i in doubtful.nonzero()[0].tolist():
                if divides_exactly(int(q.origin[0][i]), int(q.origin[1][i])):
                    doubtful[i] = False
        self.bail |= doubtful
        if q.err * 2 * den_hi * 10**places >= 1:
            self.bail |= inexact  # err could reach a tie: only exact units are decided
        if mode == "half_up":
            out = out + (tie & np.greater_equal(num.data, 0))
        else:
            out = out + (tie & (whole % 2 == 1))
        lo = num.lo // max(den_hi, 1) if num.lo >= 0 else num.lo
        hi = num.hi + 1 if num.hi >= 0 else -(-num.hi // max(den_hi, 1))
        return Col(out, places, lo=lo, hi=hi)

    def full(self, col: Col) -> Col:
        """A column as an array (a constant broadcast to every unit)."""
        if isinstance(col.data, int):
            return Col(np.full(self.n, col.data, dtype=np.int64), col.exp, lo=col.lo,
                       hi=col.hi)
        return col


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
    parts: VectorFact | None = None
    """shape ``object``: a mapping fact whose kind's vector form reads one column per key,
    made from the checked values."""


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
    held = rules.of(item).vector_fact(item.rule, item)
    if held is None:
        return FactColumn(spec.name, "object", default=_checked_default(spec), spec=spec)
    if held.shape == "mapping":
        return FactColumn(spec.name, "object", default=_checked_default(spec), spec=spec,
                          parts=held)
    return FactColumn(spec.name, held.shape, held.low, held.high, held.zero_too, held.step,
                      default, held.as_int)


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
            return ints, np.zeros(n, dtype=np.int64), (ints > -BIG) & (ints < BIG)
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
    if not places.any():  # whole numbers (an int column): nothing to align
        ok = ok & (ints > -BIG) & (ints < BIG)
        return Col(np.where(ok, ints, 0), 0), ok
    # np.abs of int64's least value is that value, negative (it has no positive twin): taken
    # out first, or it would pass every magnitude test below
    ok = ok & (ints != np.iinfo(np.int64).min)
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


RawVector = Callable[[Any, Any, "Batch", Any], Any]
"""(rule, item, columns, fact) → the item's raw amounts as a column."""


@dataclass(frozen=True)
class CategoryColumns:
    category: str | None
    programs: tuple[ItemProgram | GroupProgram, ...]
    facts: tuple[FactColumn, ...]
    raws: dict[str, RuleKind[Any] | RawVector]
    """item → its rule kind, for the items whose raw amount is the kind's vector form (or a
    function of (rule, item, columns, fact) giving the raw amounts, for a caller that worked
    them out another way)."""


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
        held = {f.name for f in facts if f.shape != "object" or f.parts is not None}
        raws: dict[str, RuleKind[Any] | RawVector] = {
            p.node.id: kind for p in progs if isinstance(p, ItemProgram) and p.fact in held
                and not p.converts
                and (kind := rules.of(p.node)).vector_fact(p.node.rule, p.node) is not None}
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
    tail: Tail | None = None
    """The outputs, where the scheme has a tail to work out (outputs, formula vetoes)."""


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

    def unit_facts(self, rows: Ints | Sequence[int] | None = None,
                   names: Collection[str] | None = None) -> list[dict[str, Any]]:
        """Each unit's checked facts (or those of ``rows``; only the facts ``names`` names, if
        given) as the scalar path holds them (for formulas and rule kinds scored unit by
        unit): counts of items as int, of inputs and numbers as Decimal."""
        count = self.n if rows is None else len(rows)
        columns: dict[str, list[Any]] = {}
        for name, col in self.numbers.items():
            if names is not None and name not in names:
                continue
            shape = self.shapes[name]
            data = col.data if rows is None or isinstance(col.data, int) else col.data[rows]
            if isinstance(data, int):
                columns[name] = [data] * count if shape.as_int \
                    else decimals(col) * count
            elif shape.as_int:
                columns[name] = (np.asarray(data) // _POW10[col.exp]).tolist()
            else:
                columns[name] = decimals(col, rows)
        for name, mask in self.flags.items():
            if names is None or name in names:
                columns[name] = (mask if rows is None else mask[rows]).tolist()
        for name, values in self.objects.items():
            if names is None or name in names:
                columns[name] = values if rows is None else [values[i] for i in rows]
        names = list(columns)
        return [dict(zip(names, row, strict=True)) for row in zip(*columns.values(),
                                                                   strict=True)] \
            if names else [{} for _ in range(count)]


def as_fact(c: Batch, spec: FactColumn, col: Col) -> tuple[Col, Mask]:
    """A number column read for a fact, as the fact: a count's places must be zeros (3.0 is a
    count of 3, 3.5 is not one) and every value within the fact's range. Returns the column (a
    count at exponent 0) and where it fits; every reader of fact columns ends here."""
    if spec.shape == "count" and col.exp:
        whole = np.remainder(col.data, _POW10[col.exp]) == 0
        col = Col(np.floor_divide(col.data, _POW10[col.exp]), 0)
        return col, whole & in_range(c, spec, col)
    return col, in_range(c, spec, col)


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
        ok &= read_fact(c, spec, column, number_column, numbers, flags, objects)
    lengths = np.fromiter(map(len, rows), dtype=np.int64, count=n)
    ok &= lengths == present  # no fact the category does not know
    return FactColumns(n, numbers, flags, objects, ok & ~c.bail,
                       {f.name: f for f in program.facts})


def read_fact(c: Batch, spec: FactColumn, column: Sequence[Any],
              numbers_of: Callable[[Sequence[Any]], tuple[Col, Mask]],
              numbers: dict[str, Col], flags: dict[str, Mask],
              objects: dict[str, list[Any]]) -> Mask:
    """One fact's column of given values (defaults filled in) into its home — flags, object
    facts through the fact's own check, or numbers read by ``numbers_of`` and checked as the
    fact (:func:`as_fact`); where the columns can take it. Every reader of Python values
    (the dicts here, ``fact_table``'s uniform tables) ends here."""
    name = spec.name
    if spec.shape == "flag":
        flags[name], good = flag_column(column)
        return good
    if spec.shape == "object":
        objects[name], good = _checked(spec.spec, column)
        return good
    col, good = numbers_of(column)
    numbers[name], fits = as_fact(c, spec, col)
    return good & fits


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



def tie_input(facts: FactColumns, name: str) -> Col | None:
    """A ranking tie-breaker's input over fact columns, as population.tie_input_value reads it
    from one unit's checked facts: a Decimal value, else 0 (a flag, text, a count of an item, a
    fact of another category); None where a column cannot hold the values."""
    if name in facts.numbers and not facts.shapes[name].as_int:
        return facts.numbers[name]
    if name in facts.objects:
        values = [v if isinstance(v, Decimal) else ZERO for v in facts.objects[name]]
        col, ok = number_column(values)
        return col if ok.all() else None
    return ZERO_COL

CHUNK = 32_768
"""Units scored together: a chunk's columns (and each step's temporaries) stay in the CPU's
cache, and the memory of one chunk's temporaries is reused by the next."""


def run(plan: Lowered, program: CategoryColumns, facts: FactColumns,
        keep: Collection[str] | None = None) -> Scored:
    """Every step of one category over its units' fact columns, a chunk of units at a time.
    ``keep``: the nodes whose columns the result holds (None: every node and every item's raw
    amount; the total is always held)."""
    n = facts.n
    bail = ~facts.ok
    kept = _Kept(n, bail)
    tails = _Tails(plan, program.category, facts) \
        if plan.outputs or any(v.formula is not None for v in plan.vetoes) else None
    totals: list[Col] = []
    negative: list[Mask] = []
    root = plan.scheme.score.id
    with decimal.localcontext(CONTEXT):
        for start in range(0, n, CHUNK) if n else (0,):
            stop = min(n, start + CHUNK)
            m = stop - start
            c = Batch(m, {name: _rows(col, start, stop) for name, col in facts.numbers.items()},
                      {name: mask[start:stop] for name, mask in facts.flags.items()},
                      bail[start:stop])
            chunk_units: list[dict[str, Any]] | None = None
            for p in program.programs:
                nid = p.node.id
                if isinstance(p, ItemProgram):
                    kind = program.raws.get(nid)
                    if kind is not None:
                        name = p.fact or ""
                        if name in c.flags:
                            fact: Any = c.flags[name]
                        elif name in facts.objects:
                            fact = _parts(facts.objects[name][start:stop],
                                          facts.shapes[name].parts, c)
                        else:
                            fact = c.fact(name)
                        v = kind.vector(p.node.rule, p.node, c, fact) \
                            if isinstance(kind, RuleKind) else kind(p.node.rule, p.node, c, fact)
                    else:  # a rule kind without a vector form: its raw function, unit by unit
                        if chunk_units is None:
                            chunk_units = facts.unit_facts(np.arange(start, stop))
                        v = _scalar_raws(c, p, chunk_units)
                    if (keep is None or nid in keep) and isinstance(v, Col):
                        # a quotient's raw amount has the Decimal path's 34 digits: not kept
                        kept.put(("raw", nid), start, stop, v)
                    for step in p.steps:
                        v = step.vector(v, c)
                else:
                    v = p.combine.vector(c)
                    if keep is None or nid in keep:
                        kept.put(("raw", nid), start, stop, v)
                    for gstep in p.steps:
                        v = gstep.vector(v, c)
                v = c.settled(v)  # an item's rounding has decided its quotient
                c.nodes[nid] = v
                if keep is None or nid in keep:
                    kept.put(("node", nid), start, stop, v)
            unrounded = c.full(c.nodes[root])
            rounded = c.round(unrounded, plan.places, plan.scheme.precision.rounding)
            total = c.full(Col(c.up(c.full(rounded), plan.places), plan.places)) \
                if rounded.exp < plan.places else c.full(rounded)  # at the places, as quantize
            totals.append(total)
            negative.append((total.data == 0) & (unrounded.data < 0))
            if tails is not None:
                tails.chunk(c, total, negative[-1], start, chunk_units)
            else:
                _input_vetoes(plan, program.category, c)
    sizes = [min(CHUNK, n - start) for start in range(0, n, CHUNK)] if n else [0]
    columns = kept.columns()
    return Scored(n, {nid: col for (what, nid), col in columns.items() if what == "node"},
                  {nid: col for (what, nid), col in columns.items() if what == "raw"},
                  _joined(totals, sizes, bail),
                  negative[0] if len(negative) == 1 else np.concatenate(negative), bail,
                  tails.done() if tails is not None else None)


def _parts(values: Sequence[Any], held: VectorFact | None, c: Batch) -> dict[str, Col]:
    """A mapping fact's columns, one per key (a key not given: 0), from its checked values
    (None for a unit whose fact the check refused: that unit is bailed already)."""
    assert held is not None
    out: dict[str, Col] = {}
    for key in held.keys:
        col, ok = number_column([v.get(key, 0) if v is not None else 0 for v in values])
        c.bail |= ~ok
        out[key] = col
    return out


class _Kept:
    """The node and raw columns a run keeps, written chunk by chunk into one block (one
    allocation for all of them, which numpy backs with huge pages when large: a fresh column
    per node per chunk, joined at the end, cost more in page faults than the arithmetic), each
    row at the exponent of its first chunk. A column a later chunk needs at a larger exponent
    (a kind scored unit by unit whose amounts have more places there) is joined from its parts
    instead. A single chunk's columns are kept as they are."""

    def __init__(self, n: int, bail: Mask) -> None:
        self.n = n
        self.bail = bail
        self.first: dict[tuple[str, str], Col] = {}
        self.block: Ints | None = None
        self.rows: dict[tuple[str, str], tuple[int, int, int, int]] = {}
        """key → (row, exp, lo, hi)."""
        self.parts: dict[tuple[str, str], tuple[int, list[Col]]] = {}
        """key → (units in its first part, its parts)."""

    def put(self, key: tuple[str, str], start: int, stop: int, col: Col) -> None:
        if start == 0:
            self.first[key] = col
            return
        if self.block is None:
            self._open(start)
        if key in self.parts:
            self.parts[key][1].append(col)
            return
        row, exp, lo, hi = self.rows[key]
        if col.exp > exp:  # this chunk needs more places: the column is joined from parts
            assert self.block is not None
            self.parts[key] = (start, [Col(self.block[row, :start], exp, lo=lo, hi=hi), col])
            del self.rows[key]
            return
        c = Batch(stop - start, {}, {}, self.bail[start:stop])
        data = c.up(col, exp)
        assert self.block is not None
        self.block[row, start:stop] = data
        clo, chi = _at(col, exp)
        self.rows[key] = (row, exp, min(lo, clo), max(hi, chi))

    def _open(self, first_size: int) -> None:
        """The block, once the first chunk is done: a row for every column it kept."""
        self.block = np.empty((len(self.first), self.n), dtype=np.int64)
        for row, (key, col) in enumerate(self.first.items()):
            self.block[row, :first_size] = col.data
            self.rows[key] = (row, col.exp, col.lo, col.hi)

    def columns(self) -> dict[tuple[str, str], Col]:
        if self.block is None:  # one chunk
            return dict(self.first)
        out: dict[tuple[str, str], Col] = {}
        for key, (row, exp, lo, hi) in self.rows.items():
            out[key] = Col(self.block[row], exp, lo=max(lo, -LIMIT), hi=min(hi, LIMIT))
        for key, (split, parts) in self.parts.items():
            sizes = [split] + [min(CHUNK, self.n - start) for start in range(split, self.n, CHUNK)]
            out[key] = _joined(parts, sizes, self.bail)
        return out


def _rows(col: Col, start: int, stop: int) -> Col:
    """Some units of a column (a view), with the whole column's interval."""
    if isinstance(col.data, int):
        return col
    return Col(col.data[start:stop], col.exp, lo=col.lo, hi=col.hi)


def _joined(parts: Sequence[Col], sizes: Sequence[int], bail: Mask) -> Col:
    """One column of the chunks' columns, at the largest of their exponents (a chunk's units
    that would pass LIMIT there are bailed)."""
    if len(parts) == 1:
        return parts[0]
    if all(p.constant and p.data == parts[0].data and p.exp == parts[0].exp for p in parts):
        return parts[0]
    exp = max(p.exp for p in parts)
    out = np.empty(sum(sizes), dtype=np.int64)
    lo = hi = 0
    start = 0
    for part, size in zip(parts, sizes, strict=True):
        c = Batch(size, {}, {}, bail[start:start + size])
        col = c.full(Col(c.up(part, exp), exp, lo=part.lo, hi=part.hi))
        out[start:start + size] = col.data
        lo, hi = min(lo, *_at(part, exp)), max(hi, *_at(part, exp))
        start += size
    return Col(out, exp, lo=max(lo, -LIMIT), hi=min(hi, LIMIT))


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


def _distinct_rows(columns: list[Ints]) -> tuple[Ints, Ints, Ints]:
    """The distinct rows of int64 columns: (the first row of each, each row's index among
    them, the distinct rows as an array of shape (k, columns)). The columns are packed into one
    int64 key where their ranges allow (a sort of one column: np.unique over rows of several
    is ten times slower), else compared row by row."""
    lows = [int(col.min()) for col in columns]
    spans = [int(col.max()) - low + 1 for col, low in zip(columns, lows, strict=True)]
    width = 1
    for span in spans:
        width *= span
    if width < 2**62:
        key = np.zeros(len(columns[0]), dtype=np.int64)
        for col, low, span in zip(columns, lows, spans, strict=True):
            key = key * span + (col - low)
        _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
        return first, inverse.reshape(-1), np.stack([col[first] for col in columns], axis=1)
    distinct, first, inverse = np.unique(np.stack(columns, axis=1), axis=0,
                                         return_index=True, return_inverse=True)
    return first, inverse.reshape(-1), distinct


@dataclass(frozen=True)
class Tail:
    """The outputs of the units a run scored (a scheme with outputs or formula vetoes): each
    unit's index into ``outcomes`` (−1: bailed before its tail was looked at), and per
    distinct outcome the outputs the scalar tail gave (output id → its rounded Decimal; an
    output for other categories absent). Units whose inputs to the tail are equal share one."""

    codes: Ints
    outcomes: list[dict[str, Decimal]]


class _Tails:
    """Outputs and vetoes, as the scalar path's tail (tail.py), worked out once per distinct
    combination of the values the tail reads (the total, and the nodes, facts and flags its
    formulas, conversions and vetoes name) and shared by every unit with the same: the tail is
    a function of those values alone, and decimal arithmetic on equal values gives equal
    results (rounded to the scheme's places, so with the same exponent too) whatever the
    exponents the operands were written with. A unit a veto catches, or whose outputs or veto
    conditions fail, is bailed (the scalar path writes the sentence or the error)."""

    def __init__(self, plan: Lowered, category: str | None, facts: FactColumns) -> None:
        self.plan = plan
        self.category = category
        self.facts = facts
        self.index: dict[tuple[Any, ...], int] = {}
        self.outcomes: list[dict[str, Decimal] | None] = []
        self.codes: list[Ints] = []
        names: set[str] = set()
        derived = set(plan.scheme.params)
        for step in plan.outputs:
            output = step.output
            derived.add(output.id)
            if output.applies_to is not None and category not in output.applies_to:
                continue
            if step.formula is not None:
                names.update(step.formula.names)
            else:
                names.update(("total", output.weight_input or ""))
        for vstep in plan.vetoes:
            if vstep.veto.applies_to is not None and category not in vstep.veto.applies_to:
                continue
            names.update(vstep.formula.names if vstep.formula is not None
                         else (vstep.veto.when.input or "",))
        self.names = sorted(names - derived - {""})
        self.read = frozenset(self.names)

    def _keys(self, c: Batch, total: Col, negative: Mask) -> list[tuple[Ints, int]] | None:
        """The columns the tail reads, as (int64 data, exponent); None if one of them is not a
        column here (then each unit is its own combination)."""
        keys: list[tuple[Ints, int]] = []
        for name in self.names:
            found = False
            if name == "total":
                keys += [(total.data, total.exp), (negative.astype(np.int64), 0)]
                found = True
            if name in c.nodes:
                col = c.full(c.nodes[name])
                keys.append((col.data, col.exp))
                found = True
            if name in c.facts:
                col = c.full(c.facts[name])
                keys.append((col.data, col.exp))
                found = True
            if name in c.flags:
                keys.append((c.flags[name].astype(np.int64), 0))
                found = True
            if not found and name not in self.facts.objects:
                return None  # a name the category lacks: the tail's own error, unit by unit
        return keys

    def chunk(self, c: Batch, total: Col, negative: Mask, start: int,
              chunk_units: list[dict[str, Any]] | None) -> None:
        live = (~c.bail).nonzero()[0]
        codes = np.full(c.n, -1, dtype=np.int64)
        self.codes.append(codes)
        if not len(live):
            return
        keys = self._keys(c, total, negative)
        if keys is None or any(name in self.facts.objects for name in self.names):
            first, inverse = np.arange(len(live)), np.arange(len(live))
            keyed: list[tuple[Any, ...]] = [("unit", start + int(i)) for i in live]
        elif not keys:
            first, inverse = np.zeros(1, dtype=np.int64), np.zeros(len(live), dtype=np.int64)
            keyed = [()]
        else:
            first, inverse, distinct = _distinct_rows([data[live] for data, _ in keys])
            exps = tuple(e for _, e in keys)
            keyed = [(*row, *exps) for row in distinct.tolist()]
        at = np.empty(len(keyed), dtype=np.int64)
        fresh = [j for j, key in enumerate(keyed) if key not in self.index]
        if fresh:
            rows = live[first[fresh]]
            # only what the tail reads (every name it reads is among them: the result is the
            # same as with all of the unit's facts and nodes, and far cheaper to build)
            units = [chunk_units[i] for i in rows.tolist()] if chunk_units is not None \
                else self.facts.unit_facts(rows + start, self.read)
            node_ids = [nid for nid in c.nodes if nid in self.read]
            columns = [decimals(c.full(c.nodes[i]), rows) for i in node_ids]
            totals = decimals(total, rows)
            minus = negative[rows].tolist()
            for k, j in enumerate(fresh):
                values = {nid: col[k] for nid, col in zip(node_ids, columns, strict=True)}
                computed = -totals[k] if minus[k] else totals[k]  # −0.00, as quantize gives
                self.index[keyed[j]] = len(self.outcomes)
                self.outcomes.append(self._one(units[k], values, computed))
        for j, key in enumerate(keyed):
            at[j] = self.index[key]
        codes[live] = at[inverse.reshape(-1)]
        failed = np.array([o is None for o in self.outcomes], dtype=np.bool_)
        c.bail[live] |= failed[codes[live]]

    def _one(self, facts: dict[str, Any], values: dict[str, Decimal], computed: Decimal
             ) -> dict[str, Decimal] | None:
        try:
            outputs = tail.outputs_of(self.plan, facts, values, computed, self.category)
            _, fired, _, _ = tail.vetoes(self.plan, facts, values, computed, outputs, [], [],
                                         self.category)
        except Exception:
            return None
        return None if fired else outputs

    def done(self) -> Tail:
        codes = self.codes[0] if len(self.codes) == 1 else np.concatenate(self.codes)
        return Tail(codes, [o if o is not None else {} for o in self.outcomes])


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


def score_rows(plan: Lowered, program: CategoryColumns, rows: Sequence[Mapping[str, Any]],
               keep: Collection[str] | None = None) -> Scored:
    """Score rows of facts (one mapping per unit) of one category (``keep`` as in run)."""
    with decimal.localcontext(CONTEXT):
        return run(plan, program, fact_columns(program, rows), keep)


def decimals(col: Col, rows: Sequence[int] | None = None) -> list[Decimal]:
    """A column's values (or those of some rows) as Decimals at the column's exponent."""
    data = col.data if rows is None or isinstance(col.data, int) else col.data[rows]
    if isinstance(data, int):
        count = len(rows) if rows is not None else 1
        return [Decimal(data).scaleb(-col.exp)] * count
    exp = -col.exp
    return [Decimal(i).scaleb(exp) for i in data.tolist()]
