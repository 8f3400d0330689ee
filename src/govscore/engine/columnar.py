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

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np

from govscore.engine.lowering import GroupProgram, ItemProgram, Lowered
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
    Python int for a constant (broadcast to every unit)."""

    __slots__ = ("data", "exp")

    def __init__(self, data: Ints | int, exp: int) -> None:
        self.data = data
        self.exp = exp

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
    def _up(self, a: Col, exp: int) -> Ints | int:
        """a's data at a larger exponent (× 10^k), units that would pass LIMIT bailed."""
        k = exp - a.exp
        if k == 0:
            return a.data
        if k >= len(_POW10):
            self._bail_nonzero(a)
            return np.zeros(self.n, dtype=np.int64) if not a.constant else 0
        factor = _POW10[k]
        if isinstance(a.data, int):
            out = a.data * factor
            if abs(out) > LIMIT:
                self.bail[:] = True
                return 0
            return out
        self.bail |= np.abs(a.data) > LIMIT // factor
        return a.data * factor

    def _bail_nonzero(self, a: Col) -> None:
        if isinstance(a.data, int):
            if a.data:
                self.bail[:] = True
        else:
            self.bail |= a.data != 0

    def aligned(self, a: Col, b: Col) -> tuple[Ints | int, Ints | int, int]:
        exp = max(a.exp, b.exp)
        return self._up(a, exp), self._up(b, exp), exp

    def _checked(self, data: Ints | int, exp: int) -> Col:
        if isinstance(data, int):
            if abs(data) > LIMIT:
                self.bail[:] = True
                data = 0
            return Col(data, exp)
        self.bail |= np.abs(data) > LIMIT
        return Col(data, exp)

    def add(self, a: Col, b: Col) -> Col:
        x, y, exp = self.aligned(a, b)
        return self._checked(x + y, exp)  # |x|, |y| ≤ LIMIT: the sum stays inside int64

    def sub(self, a: Col, b: Col) -> Col:
        x, y, exp = self.aligned(a, b)
        return self._checked(x - y, exp)

    def mul(self, a: Col, factor: Decimal) -> Col:
        c = _const(factor)
        assert isinstance(c.data, int)
        if c.data == 0:
            return Col(0, 0) if a.constant else Col(np.zeros(self.n, dtype=np.int64), 0)
        if isinstance(a.data, int):
            return self._checked(a.data * c.data, a.exp + c.exp)
        self.bail |= np.abs(a.data) > LIMIT // abs(c.data)
        return Col(a.data * c.data, a.exp + c.exp)

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
            return Col(np.zeros(self.n, dtype=np.int64), 0)
        product = self.mul(a, Decimal(n.data * _POW10[extra + shift]))
        if isinstance(product.data, int):
            q, r = divmod(product.data, d.data)
            if r:
                self.bail[:] = True
            return Col(q, exp)
        q, r = np.divmod(product.data, d.data)
        self.bail |= r != 0
        return Col(q, exp)

    def maximum(self, a: Col, b: Col) -> Col:
        x, y, exp = self.aligned(a, b)
        return Col(np.maximum(x, y), exp)

    def round(self, a: Col, places: int, mode: str) -> Col:
        """Half-up (away from zero at .5) or half-even, in integers."""
        if a.exp <= places:
            return a
        k = a.exp - places
        if k >= len(_POW10):
            self._bail_nonzero(a)
            return Col(np.zeros(self.n, dtype=np.int64), places)
        d = _POW10[k]
        data = np.asarray(a.data, dtype=np.int64)
        magnitude = np.abs(data)
        q, r = np.divmod(magnitude, d)
        twice = 2 * r
        up = (twice >= d) if mode == "half_up" else (twice > d) | ((twice == d) & (q % 2 == 1))
        q = q + up
        out = np.where(data < 0, -q, q)
        return Col(out if not a.constant else int(out), places)

    def where(self, mask: Mask, a: Col, b: Col) -> Col:
        x, y, exp = self.aligned(a, b)
        return Col(np.where(mask, x, y), exp)

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
            return Col(np.full(self.n, col.data, dtype=np.int64), col.exp)
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


def _fact_column(spec: Any) -> FactColumn | None:
    """A fact spec's column, or None when the columns cannot hold that fact."""
    default = None
    if spec.default is not None:
        try:
            default = spec.check(spec.default)
        except rule_values.FactProblem:
            default = None
        if not isinstance(default, (bool, int, Decimal)):
            default = None
    if spec.input is not None:
        inp = spec.input
        if inp.type == "flag":
            return FactColumn(spec.name, "flag", default=default)
        if inp.type == "text":
            return None
        low, high = inp.min, inp.max
        if inp.type == "rate":
            low = max(low, Decimal(0)) if low is not None else Decimal(0)
            high = min(high, Decimal(1)) if high is not None else Decimal(1)
        shape = "count" if inp.type == "count" else "number"
        if shape == "count":
            low = max(low, Decimal(0)) if low is not None else Decimal(0)
        return FactColumn(spec.name, shape, low, high, default=default)
    item = spec.item
    rule = item.rule
    kind = rule.kind
    if kind not in RAW_VECTORS:
        return None
    if kind == "pass_fail":
        return FactColumn(spec.name, "flag", default=default)
    if kind == "per_occurrence":
        return FactColumn(spec.name, "count", Decimal(0), default=default)
    if kind == "manual":
        return FactColumn(spec.name, "number", rule.min, rule.max, zero_too=rule.zero_allowed,
                          step=rule.step, default=default)
    if kind == "per_step":
        return FactColumn(spec.name, "number", Decimal(0), default=default)
    if kind in ("rate", "shortfall") or (kind == "bands" and rule.rate):
        return FactColumn(spec.name, "number", Decimal(0), Decimal(1), default=default)
    if kind == "bands":
        return FactColumn(spec.name, "number", default=default)
    return None  # pragma: no cover - every kind of RAW_VECTORS is listed above


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


def number_column(values: Sequence[Any]) -> tuple[Col, Mask]:
    """A column of numbers at the largest number of places written, and which units it holds
    exactly (the others take the scalar path)."""
    ints, places, ok = _numbers(values)
    return scaled_column(ints, places, ok)


def scaled_column(ints: Ints, places: Ints, ok: Mask) -> tuple[Col, Mask]:
    """Integers each with its own places → one column at the largest of them."""
    exp = int(places[ok].max()) if ok.any() else 0
    shift = exp - places
    factor = np.array(_POW10[:MAX_PLACES + 1], dtype=np.int64)[np.clip(shift, 0, MAX_PLACES)]
    ok = ok & (np.abs(ints) <= LIMIT // factor)
    data = np.where(ok, ints * factor, 0)
    return Col(data, exp), ok


def flag_column(values: Sequence[Any]) -> tuple[Mask, Mask]:
    """(value, ok): True and False only (the check accepts nothing else)."""
    truth = np.fromiter((v is True for v in values), dtype=np.bool_, count=len(values))
    ok = truth | np.fromiter((v is False for v in values), dtype=np.bool_, count=len(values))
    return truth, ok


def _in_range(c: Batch, spec: FactColumn, col: Col) -> Mask:
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
    """Each category's columnar program, or None for a scheme the columns do not take at all
    (population kinds, formula vetoes, outputs). A category with an item the columns cannot
    score is left out (its units take the scalar path)."""
    if plan.needs_population or plan.outputs or any(v.formula is not None for v in plan.vetoes):
        return None
    out: dict[str | None, CategoryColumns] = {}
    for category, progs in plan.programs.items():
        specs = [s for s in plan.specs.values()
                 if s.categories is None or category in s.categories]
        columns = [_fact_column(s) for s in specs]
        raws: dict[str, RawVector] = {}
        usable = all(c is not None for c in columns)
        for p in progs:
            if isinstance(p, ItemProgram):
                fn = RAW_VECTORS.get(p.node.rule.kind)
                if fn is None or p.fact is None:
                    usable = False
                    break
                raws[p.node.id] = fn
        if usable:
            out[category] = CategoryColumns(category, progs,
                                            tuple(c for c in columns if c is not None), raws)
    return out


@dataclass
class Scored:
    """One category's units scored by the columns: every node's value and raw amount, the
    unrounded and rounded total, and which units the scalar path must score instead."""

    n: int
    nodes: dict[str, Col]
    raws: dict[str, Col]
    total: Col
    negative_zero: Mask
    """The total rounds to zero from below (the Decimal path writes −0.00)."""
    bail: Mask
    facts: dict[str, Col]
    flags: dict[str, Mask]


def run(plan: Lowered, program: CategoryColumns, facts: dict[str, Col],
        flags: dict[str, Mask], n: int, bail: Mask) -> Scored:
    """Every step of one category over n units' fact columns."""
    c = Batch(n, facts, flags)
    c.bail |= bail
    raws: dict[str, Col] = {}
    for p in program.programs:
        if isinstance(p, ItemProgram):
            fact = flags.get(p.fact or "") if (p.fact or "") in flags else c.fact(p.fact or "")
            v = program.raws[p.node.id](p.node.rule, p.node, c, fact)
            raws[p.node.id] = v
            for step in p.steps:
                v = step.vector(v, c)
        else:
            v = p.combine.vector(c)
            raws[p.node.id] = v
            for gstep in p.steps:
                v = gstep.vector(v, c)
        c.nodes[p.node.id] = v
    root = plan.scheme.score.id
    unrounded = c.full(c.nodes[root])
    total = c.full(c.round(unrounded, plan.places, plan.scheme.precision.rounding))
    negative_zero = (total.data == 0) & (unrounded.data < 0)
    for veto in plan.vetoes:
        when = veto.veto.when
        if when.input is None:
            continue
        if when.input in flags:
            c.bail |= flags[when.input]
        elif when.input in facts and when.at_least is not None:
            c.bail |= c.ge(facts[when.input], _const(when.at_least))
    return Scored(n, c.nodes, raws, total, negative_zero, c.bail, facts, flags)


def fact_columns(c: Batch, program: CategoryColumns, rows: Sequence[Mapping[str, Any]]
                 ) -> tuple[dict[str, Col], dict[str, Mask], Mask]:
    """The fact columns of rows of facts (one mapping per unit) and the units they hold
    exactly: every fact present (or defaulted), of its type, within its range, and no other."""
    n = len(rows)
    ok = np.ones(n, dtype=np.bool_)
    present = np.zeros(n, dtype=np.int64)
    facts: dict[str, Col] = {}
    flags: dict[str, Mask] = {}
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
            continue
        col, good = number_column(column)
        ok &= good
        if spec.shape == "count":
            whole = np.remainder(col.data, _POW10[col.exp]) == 0 if col.exp else None
            if whole is not None:
                ok &= whole
                col = Col(np.floor_divide(col.data, _POW10[col.exp]), 0)
        ok &= _in_range(c, spec, col)
        facts[name] = col
    lengths = np.fromiter(map(len, rows), dtype=np.int64, count=n)
    ok &= lengths == present  # no fact the category does not know
    return facts, flags, ok


def score_rows(plan: Lowered, program: CategoryColumns,
               rows: Sequence[Mapping[str, Any]]) -> Scored:
    """Score rows of facts (one mapping per unit) of one category."""
    n = len(rows)
    probe = Batch(n, {}, {})
    facts, flags, ok = fact_columns(probe, program, rows)
    return run(plan, program, facts, flags, n, ~ok | probe.bail)


def decimals(col: Col, rows: Sequence[int] | None = None) -> list[Decimal]:
    """A column's values (or those of some rows) as Decimals at the column's exponent."""
    data = col.data if rows is None or isinstance(col.data, int) else col.data[rows]
    if isinstance(data, int):
        count = len(rows) if rows is not None else 1
        return [Decimal(data).scaleb(-col.exp)] * count
    exp = -col.exp
    return [Decimal(i).scaleb(exp) for i in data.tolist()]
