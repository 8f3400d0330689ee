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

Groups that rescale or scale (a division, whose exponent depends on the quotient's digits) are
not followed: :func:`node_exponents` returns None and the caller writes through the scalar path.
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


_FOLLOWED: tuple[type, ...] = (st.Rescale, st.Floor, st.Cap, st.Gate, st.Limit)


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
            if isinstance(step, st.Scale):
                return False
            if isinstance(step, st.Rescale) and not (
                    step.static_max is None or step.static_max == step.full_max
                    or step.static_max <= 0):
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
            if isinstance(step, st.Floor):
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
