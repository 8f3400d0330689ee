"""The Decimal exponent each node's value has on the scalar path, per unit, over columns: what a
report needs to write a value scored by the columns exactly as the scalar path writes it.

A column holds every unit's value at one exponent, but a Decimal carries its own: an item is
quantized to the scheme's places (always the same exponent), while a group's value is whatever
its steps leave — a sum has the smallest exponent of its terms, and a cap, a floor, a gate or a
limit that binds replaces the value by the bound itself (a bonus group capped at ``20`` is
written ``20``, an uncapped one ``18.50``). So a report written from the columns needs, per
node, the exponent of each unit's value. :func:`node_exponents` works it out by replaying each
group's steps over the columns and noting where a step replaced the value, with the rules of
Decimal arithmetic (a sum: the smaller exponent; a product: the sum; ``max(a, b)``: ``a`` unless
``b`` is larger, as Python's ``max`` returns the first of equals).

A group that rescales or scales (``v × a / b``: a not-applicable child's share given back, or
``scale_to``) divides. Decimal's product is exact with the exponent the sum of its operands';
an exact quotient keeps the *ideal* exponent (the dividend's less the divisor's) unless its
digits need more places: the exponent is the smaller of the ideal one and the exponent of the
quotient with its trailing zeros taken off (``18.50 × 100 / 80 = 23.125``, ``16.00 × 100 / 80 =
20.00``, ``0.00 × 100 / 80 = 0.00``). The columns keep such a quotient only where it is exact
(else the unit takes the scalar path), so the exponent follows from each unit's value. A quotient
whose exponent would be positive (``100 / 0.1`` is ``1.0E+3``) is not written from the columns:
:func:`node_exponents` returns None and the caller writes the usual way.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import numpy as np

from govscore.engine import steps as st
from govscore.engine.columnar import Batch, CategoryColumns, Col, FactColumns, Scored
from govscore.engine.lowering import GroupProgram, ItemProgram, Lowered

Exps = Any
"""An int (every unit the same) or an int8/int64 array, one exponent per unit."""


def exponent(value: Decimal) -> int:
    exp = value.as_tuple().exponent
    assert isinstance(exp, int)
    return exp


_FOLLOWED: tuple[type, ...] = (st.Rescale, st.Scale, st.Floor, st.Cap, st.Gate, st.Limit)


def supported(program: CategoryColumns) -> bool:
    """Whether :func:`node_exponents` follows every step of the category's programs."""
    for p in program.programs:
        if isinstance(p, ItemProgram):
            if not p.steps or not isinstance(p.steps[-1], st.Round):
                return False
            continue
        for step in p.steps:
            if type(step) not in _FOLLOWED:  # a step added later: not followed until it is
                return False
    return True


def _pick(mask: Any, a: Exps, b: Exps) -> Exps:
    """a where mask, else b."""
    if not np.any(mask):
        return b
    if np.all(mask):
        return a
    return np.where(mask, a, b)


def _min(a: Exps, b: Exps) -> Exps:
    if isinstance(a, int) and isinstance(b, int):
        return min(a, b)
    return np.minimum(a, b)


def node_exponents(plan: Lowered, program: CategoryColumns, facts: FactColumns,
                   scored: Scored) -> dict[str, Exps] | None:
    """node id → the exponent of each unit's value on the scalar path (units the columns bailed
    excepted), or None when a step is not followed (see :func:`supported`)."""
    if not supported(program):
        return None
    c = Batch(facts.n, facts.numbers, facts.flags)
    c.nodes = dict(scored.nodes)
    exps: dict[str, Exps] = {}
    for p in program.programs:
        nid = p.node.id
        if isinstance(p, ItemProgram):
            last = p.steps[-1]
            assert isinstance(last, st.Round)
            exps[nid] = exponent(last.quantum)
            continue
        assert isinstance(p, GroupProgram)
        v, e = _combine(p.combine, c, exps)
        for step in p.steps:
            after = step.vector(v, c)
            x, y, _ = c.aligned(v, after)
            changed = np.asarray(x != y) if not isinstance(x, int) or not isinstance(y, int) \
                else np.full(facts.n, x != y)
            if isinstance(step, (st.Rescale, st.Scale)):
                divided = _divided(step, after, e, facts.n, scored.bail)
                if divided is None:
                    return None
                e = divided
            elif isinstance(step, st.Floor):
                e = _pick(changed, exponent(step.floor), e)
            elif isinstance(step, st.Cap):
                e = _pick(changed, exponent(step.cap), e)
            elif isinstance(step, st.Gate):
                e = _pick(changed, 0, e)  # ZERO
            elif isinstance(step, st.Limit):
                product = c.mul(c.node(step.target), step.factor)
                p_data, f_data, _ = c.aligned(product, c.const(step.floor))
                floor_wins = np.asarray(f_data > p_data) if not isinstance(p_data, int) \
                    or not isinstance(f_data, int) else np.full(facts.n, f_data > p_data)
                target_e = exps[step.target]
                ceiling_e = _pick(floor_wins, exponent(step.floor),
                                  _plus(target_e, exponent(step.factor)))
                e = _pick(changed, ceiling_e, e)
            v = after
        exps[nid] = e
    return exps


def _muldiv(step: st.Rescale | st.Scale) -> tuple[Decimal, Decimal] | None:
    """The step's ``v × a / b`` as (a, b), as its ``vector`` does it (None: it leaves v)."""
    if isinstance(step, st.Scale):
        return step.scale_to, step.full_max
    am = step.static_max
    if am is None or am == step.full_max or am <= 0:
        return None
    return step.full_max, am


def _divided(step: st.Rescale | st.Scale, after: Col, e: Exps, n: int, bail: Any
             ) -> Exps | None:
    """The exponents of ``v × a / b`` (see the module's docstring): the smaller of the ideal
    exponent and each quotient's own (a zero keeps the ideal one); None if one would be
    positive for a unit the columns keep."""
    made = _muldiv(step)
    if made is None:
        return e
    a, b = made
    ideal = _plus(e, exponent(a) - exponent(b))
    data = np.asarray(after.data) if not isinstance(after.data, int) \
        else np.full(n, after.data, dtype=np.int64)
    own = np.full(n, -after.exp, dtype=np.int64)  # each value's exponent, zeros taken off
    rest = data.copy()
    live = rest != 0
    for _ in range(19):  # an int64 has at most 19 digits
        tens = live & (rest % 10 == 0)
        if not tens.any():
            break
        rest = np.where(tens, rest // 10, rest)
        own += tens
    out = np.where(live, np.minimum(ideal, own), ideal)
    if np.any(out[~bail] > 0):
        return None
    return out


def _plus(a: Exps, k: int) -> Exps:
    return a + k


def _combine(combine: st.Combine, c: Batch, exps: dict[str, Exps]) -> tuple[Col, Exps]:
    """The combined column (as the step computes it) and its exponents."""
    if combine.how == "highest":
        adds = [ch for ch in combine.children if ch.role == "add"]
        if adds:
            out = c.node(adds[0].id)
            e: Exps = exps[adds[0].id]
            for ch in adds[1:]:
                col = c.node(ch.id)
                x, y, _ = c.aligned(col, out)
                bigger = np.asarray(x > y) if not isinstance(x, int) or not isinstance(y, int) \
                    else np.full(c.n, x > y)
                e = _pick(bigger, exps[ch.id], e)
                out = c.maximum(out, col)
        else:
            out, e = c.const(Decimal(0)), 0
        for ch in combine.children:
            if ch.role == "subtract":
                out = c.sub(out, c.node(ch.id))
                e = _min(e, exps[ch.id])
        return out, e
    e = 0  # ZERO
    for ch in combine.children:
        term = exps[ch.id] if ch.weight is None else _plus(exps[ch.id], exponent(ch.weight))
        e = _min(e, term)
    return combine.vector(c), e
