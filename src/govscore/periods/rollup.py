"""Roll-ups: the results of a scheme's periods combined into a longer period, per unit.

The arithmetic is stated once here: fill the missing sub-periods as the rule says, keep the best
n, combine, round once at the end. ``RolledUp`` keeps every operand, so the explanation shows
each sub-period's value and how the roll-up was made."""

from __future__ import annotations

import decimal
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from govscore.engine.lowering import CONTEXT
from govscore.engine.results import UnitResult
from govscore.language import model
from govscore.periods.keys import Period

MODES = {"half_up": decimal.ROUND_HALF_UP, "half_even": decimal.ROUND_HALF_EVEN}


@dataclass(frozen=True)
class RolledUp:
    """One unit's roll-up for one longer period."""

    unit: str
    parts: tuple[tuple[str, Decimal | None], ...]
    """Each sub-period in order with its value (None: no result)."""
    filled: tuple[Decimal, ...]
    """The values combined after filling the missing ones (before keeping the best n)."""
    kept: tuple[Decimal, ...]
    """The values combined (the best n, when the rule keeps only those)."""
    exact: Decimal
    value: Decimal
    """``exact`` rounded to the roll-up's precision."""

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(k for k, v in self.parts if v is None)


def combine(rule: model.Rollup, scheme: model.Scheme, unit: str,
            parts: Sequence[tuple[Period, Decimal | None]]) -> RolledUp | None:
    """The roll-up of ``parts`` (every sub-period in order), or None when a sub-period is
    missing and the rule says ``missing: error``."""
    present = [v for _, v in parts if v is not None]
    with decimal.localcontext(CONTEXT):
        if len(present) < len(parts):
            if rule.missing == "error" or not present:
                return None
            fill = Decimal(0) if rule.missing == "zero" else sum(present, Decimal(0)) / len(present)
        else:
            fill = Decimal(0)
        filled = [v if v is not None else fill for _, v in parts]
        kept = sorted(filled, reverse=True)[:rule.best] if rule.best is not None else filled
        exact = aggregate(rule.aggregate, kept)
    precision = rule.precision or scheme.precision
    value = exact.quantize(Decimal(1).scaleb(-precision.places), rounding=MODES[precision.rounding])
    return RolledUp(unit, tuple((str(p), v) for p, v in parts), tuple(filled), tuple(kept),
                    exact, value)


def aggregate(how: str, values: Sequence[Decimal]) -> Decimal:
    if how == "sum":
        return sum(values, Decimal(0))
    if how == "mean":
        return sum(values, Decimal(0)) / len(values)
    if how == "last":
        return values[-1]
    if how == "min":
        return min(values)
    return max(values)


def value_of(name: str | None, result: UnitResult | None) -> Decimal | None:
    """The value a roll-up (or a use) reads from one period's result: the total, a node's value
    or an output; None when there is no result, or the unit has no such output (an output that
    applies to other categories)."""
    if result is None:
        return None
    if name is None or name == "total":
        return result.total
    if name in result.nodes:
        return result.nodes[name].value
    return result.outputs.get(name)
