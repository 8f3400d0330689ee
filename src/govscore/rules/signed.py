"""The signed rule kind: an item that adds or subtracts within declared bounds (±1; −0.5..+2).

Every other kind's item value lies in 0..max. A signed item's value is the assessor's number
itself, anywhere in ``min``..``max`` with ``min`` below 0, so its lower bound is the rule's
``min`` (the ``floor`` hook), not 0: the lowering bounds it by ``min``..the item's max, and the
group above adds it in with its sign (a negative value lowers the group)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from govscore.errors import Diagnostic
from govscore.language import model
from govscore.rules import values
from govscore.rules.base import (
    ZERO,
    Cell,
    Columns,
    Consts,
    Lang,
    Path,
    RawFn,
    RuleKind,
    Titles,
    Validation,
    VectorFact,
    decimal_cell,
    decimals,
    fact_words,
    num,
    number_of,
    say,
)

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy


def _on_step(n: Decimal, step: Decimal | None) -> bool:
    return step is None or n / step == (n / step).to_integral_value()


class Signed(RuleKind[model.Signed]):
    kind = "signed"
    counts_own_points = True
    titles = Titles("加减分", "added or taken away")
    rule_model = model.Signed
    more_is_more = True

    def check(self, rule: model.Signed, item: model.Item, value: Any) -> Any:
        n = values.number(value, "a number (negative takes points away)")
        if not rule.min <= n <= rule.max:
            raise values.FactProblem("GS404", f"expected a value within {rule.min}..{rule.max}, "
                                     f"got {n}")
        if not _on_step(n, rule.step):
            raise values.FactProblem("GS404", f"expected a multiple of {rule.step}, got {n}")
        return n

    def fact_shape(self, rule: model.Signed, item: model.Item) -> str:
        return "number"

    def floor(self, rule: model.Signed, item: model.Item) -> Decimal:
        return min(rule.min, ZERO)

    def raw(self, rule: model.Signed, item: model.Item, names: Mapping[str, object]) -> RawFn:
        return _identity

    def emit_raw(self, rule: model.Signed, item: model.Item, w: Consts, x: str) -> str:
        return x

    def vector_fact(self, rule: model.Signed, item: model.Item) -> VectorFact:
        return VectorFact("number", rule.min, rule.max, step=rule.step)

    def vector(self, rule: model.Signed, item: model.Item, c: Columns, x: Any) -> Any:
        return x

    def fast_paths(self, rule: model.Signed, item: model.Item, w: Consts,
                   x: str) -> list[tuple[str, str | None]]:
        if rule.step is not None:
            return []
        low, high = w.const(rule.min), w.const(rule.max)
        # +x == x: at most 34 significant digits (what check's number() accepts); NaN raises
        # InvalidOperation in the comparison and the unit goes to the interpreter
        return [(f"{x}.__class__ is Decimal and {low} <= {x} <= {high} and +{x} == {x}", None)]

    def raw_range(self, rule: model.Signed,
                  item: model.Item) -> tuple[Decimal | None, Decimal | None]:
        return rule.min, rule.max

    def describe(self, rule: model.Signed, item: model.Item, fact: Any, raw: Decimal,
                 lang: Lang) -> str:
        n = number_of(fact)
        if n is None:
            return fact_words(fact, lang)
        if n < 0:
            return say(lang, f"扣 {num(-n)}", f"{num(-n)} taken away")
        return say(lang, f"加 {num(n)}", f"{num(n)} added")

    def problems(self, rule: model.Signed, item: model.Item, path: Path) -> Iterator[Diagnostic]:
        if rule.min > rule.max:
            yield Diagnostic("GS314", f"range {rule.min}..{rule.max} is empty",
                             path=(*path, "min"))
        if rule.max > item.max:
            yield Diagnostic("GS314", f"range max {rule.max} is above the item's max {item.max}",
                             path=(*path, "max"))
        if rule.min >= 0:
            yield Diagnostic("GS331", f"signed item {item.id!r} never takes points away (min "
                             f"{rule.min} is not below 0)", path=(*path, "min"),
                             hint="use kind: manual for a value that only adds",
                             severity="warning")
        for key in ("from_full", "exemptions"):
            if getattr(item, key):
                yield Diagnostic("GS331", f"signed item {item.id!r} cannot have {key}: its value "
                                 "is the number given, whatever its sign", path=(*path[:-1], key),
                                 hint=f"remove {key}")
        if rule.step is not None and not (_on_step(rule.min, rule.step)
                                          and _on_step(rule.max, rule.step)):
            yield Diagnostic("GS314", f"min {rule.min} and max {rule.max} are not multiples of "
                             f"step {rule.step}", path=(*path, "step"))

    def cells(self, rule: model.Signed, item: model.Item) -> list[Cell]:
        step = f", 步长 {num(rule.step)}" if rule.step else ""
        return [Cell(None, f"{num(rule.min)} 至 {num(rule.max)} 分 (负数为扣分){step}",
                     decimal_cell(rule.min, rule.max) or Validation("decimal"))]

    def strategy(self, rule: model.Signed, item: model.Item) -> SearchStrategy[Any]:
        from hypothesis import strategies as st

        if rule.step is not None:
            step, low = rule.step, rule.min
            steps = int((rule.max - rule.min) / step)
            return st.integers(0, max(steps, 0)).map(lambda k: low + k * step)
        return decimals(rule.min, rule.max)

    def bump(self, rule: model.Signed, item: model.Item, value: Any) -> Any:
        step = rule.step or Decimal("0.01")
        return value + step if value + step <= rule.max else None


def _identity(v: Any, _f: Mapping[str, Any]) -> Decimal:
    value: Decimal = v
    return value
