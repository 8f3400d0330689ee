"""Rule kinds whose fact is one plain value: pass_fail, manual, per_occurrence, per_step, rate,
shortfall."""

from __future__ import annotations

import decimal
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from govscore.errors import Diagnostic
from govscore.language import model
from govscore.rules import values
from govscore.rules.base import (
    COUNT_CELL,
    FLAG_CELL,
    ZERO,
    Cell,
    Columns,
    Consts,
    Lang,
    Path,
    R,
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
    span,
)

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

BIG_INT = int(values.MAX_MAGNITUDE)  # facts are below it: the fast paths' bound


def exact_decimal(w: Consts, x: str, low: str, high: str, *, high_open: bool = False) -> str:
    """A fast-path condition: ``x`` is a Decimal within [low, high] (or [low, high)) with at
    most 34 significant digits (+x == x holds exactly then). A NaN raises InvalidOperation
    (trapped: the unit goes to the interpreter); infinity is outside every range."""
    upper = "<" if high_open else "<="
    return f"{x}.__class__ is Decimal and {low} <= {x} {upper} {high} and +{x} == {x}"


class PassFail(RuleKind[model.PassFail]):
    kind = "pass_fail"
    titles = Titles("达标得分", "pass or fail")
    rule_model = model.PassFail
    more_is_more = True

    def check(self, rule: model.PassFail, item: model.Item, value: Any) -> Any:
        return values.flag(value)

    def fact_shape(self, rule: model.PassFail, item: model.Item) -> str:
        return "flag"

    def _points(self, rule: model.PassFail, item: model.Item) -> tuple[Decimal, Decimal]:
        return (rule.points if rule.points is not None else item.max), rule.fail_points

    def raw(self, rule: model.PassFail, item: model.Item, names: Mapping[str, object]) -> RawFn:
        yes, no = self._points(rule, item)
        return lambda v, _f: yes if v else no

    def emit_raw(self, rule: model.PassFail, item: model.Item, w: Consts, x: str) -> str:
        yes, no = self._points(rule, item)
        return f"{w.const(yes)} if {x} else {w.const(no)}"

    def vector_fact(self, rule: model.PassFail, item: model.Item) -> VectorFact:
        return VectorFact("flag")

    def vector(self, rule: model.PassFail, item: model.Item, c: Columns, x: Any) -> Any:
        yes, no = self._points(rule, item)
        return c.where(x, c.const(yes), c.const(no))

    def fast_paths(self, rule: model.PassFail, item: model.Item, w: Consts,
                   x: str) -> list[tuple[str, str | None]]:
        return [(f"{x}.__class__ is bool", None)]

    def raw_range(self, rule: model.PassFail,
                  item: model.Item) -> tuple[Decimal | None, Decimal | None]:
        yes, no = self._points(rule, item)
        return min(yes, no), max(yes, no)

    def problems(self, rule: model.PassFail, item: model.Item, path: Path) -> Iterator[Diagnostic]:
        for key in ("points", "fail_points"):
            value = getattr(rule, key)
            if value is not None and value > item.max:
                yield Diagnostic("GS314", f"{key} {value} is above the item's max {item.max}",
                                 path=(*path, key))

    def cells(self, rule: model.PassFail, item: model.Item) -> list[Cell]:
        return [Cell(None, "是/否", FLAG_CELL)]

    def strategy(self, rule: model.PassFail, item: model.Item) -> SearchStrategy[Any]:
        from hypothesis import strategies as st

        return st.booleans()

    def bump(self, rule: model.PassFail, item: model.Item, value: Any) -> Any:
        yes, no = self._points(rule, item)
        return True if value is False and yes >= no else None

    def describe(self, rule: model.PassFail, item: model.Item, fact: Any, raw: Decimal,
                 lang: Lang) -> str:
        yes, no = self._points(rule, item)
        if fact is True:
            return say(lang, f"达到要求, 得 {num(yes)}", f"met: {num(yes)}")
        if fact is False:
            return say(lang, f"未达到要求, 得 {num(no)}", f"not met: {num(no)}")
        return fact_words(fact, lang)


class Manual(RuleKind[model.Manual]):
    kind = "manual"
    counts_own_points = True
    titles = Titles("酌情评分", "assessor's judgement")
    rule_model = model.Manual
    more_is_more = True

    def check(self, rule: model.Manual, item: model.Item, value: Any) -> Any:
        n = values.number(value)
        if n == 0 and rule.zero_allowed:
            return n
        if not rule.min <= n <= rule.max:
            zero = "0 or " if rule.zero_allowed else ""
            raise values.FactProblem("GS404", f"expected {zero}a value within "
                                     f"{rule.min}..{rule.max}, got {n}")
        if rule.step is not None and (n / rule.step) != (n / rule.step).to_integral_value():
            raise values.FactProblem("GS404", f"expected a multiple of {rule.step}, got {n}")
        return n

    def fact_shape(self, rule: model.Manual, item: model.Item) -> str:
        return "number"

    def raw(self, rule: model.Manual, item: model.Item, names: Mapping[str, object]) -> RawFn:
        return _identity

    def emit_raw(self, rule: model.Manual, item: model.Item, w: Consts, x: str) -> str:
        return x

    def vector_fact(self, rule: model.Manual, item: model.Item) -> VectorFact:
        return VectorFact("number", rule.min, rule.max, zero_too=rule.zero_allowed,
                          step=rule.step)

    def vector(self, rule: model.Manual, item: model.Item, c: Columns, x: Any) -> Any:
        return x

    def fast_paths(self, rule: model.Manual, item: model.Item, w: Consts,
                   x: str) -> list[tuple[str, str | None]]:
        if rule.step is not None:
            return []
        cond = exact_decimal(w, x, w.const(rule.min), w.const(rule.max))
        if rule.zero_allowed:
            cond = f"{cond} or {x}.__class__ is Decimal and {x} == 0 and +{x} == {x}"
        return [(cond, None)]

    def raw_range(self, rule: model.Manual,
                  item: model.Item) -> tuple[Decimal | None, Decimal | None]:
        return (ZERO if rule.zero_allowed else rule.min), rule.max

    def problems(self, rule: model.Manual, item: model.Item, path: Path) -> Iterator[Diagnostic]:
        if rule.min > rule.max:
            yield Diagnostic("GS314", f"range {rule.min}..{rule.max} is empty", path=(*path, "min"))
        if rule.max > item.max:
            yield Diagnostic("GS314", f"range max {rule.max} is above the item's max {item.max}",
                             path=(*path, "max"))

    def cells(self, rule: model.Manual, item: model.Item) -> list[Cell]:
        step = f", 步长 {num(rule.step)}" if rule.step else ""
        if rule.zero_allowed and rule.min > 0:
            return [Cell(None, f"0 或 {span(rule.min, rule.max)} 分{step}",
                         Validation("custom", low=rule.min, high=rule.max))]
        floor = ZERO if rule.zero_allowed else rule.min
        return [Cell(None, f"{span(floor, rule.max)} 分{step}", decimal_cell(floor, rule.max))]

    def strategy(self, rule: model.Manual, item: model.Item) -> SearchStrategy[Any]:
        from hypothesis import strategies as st

        inside: SearchStrategy[Decimal]
        if rule.step is not None:
            step, low = rule.step, rule.min
            steps = int((rule.max - rule.min) / step)
            inside = st.integers(0, max(steps, 0)).map(lambda k: low + k * step)
        else:
            inside = decimals(rule.min, rule.max)
        return st.one_of(st.just(ZERO), inside) if rule.zero_allowed else inside

    def bump(self, rule: model.Manual, item: model.Item, value: Any) -> Any:
        if value == 0:
            return rule.min if rule.min > 0 or not rule.zero_allowed else None
        step = rule.step or Decimal("0.01")
        return value + step if value + step <= rule.max else None

    def describe(self, rule: model.Manual, item: model.Item, fact: Any, raw: Decimal,
                 lang: Lang) -> str:
        return say(lang, f"评定 {fact_words(fact, lang)} 分 (可评 {span(rule.min, rule.max)})",
                   f"assessed {fact_words(fact, lang)} (of {span(rule.min, rule.max)})")


def _identity(v: Any, _f: Mapping[str, Any]) -> Decimal:
    value: Decimal = v
    return value


class PerOccurrence(RuleKind[model.PerOccurrence]):
    kind = "per_occurrence"
    counts_own_points = True
    titles = Titles("按次计分", "per occurrence")
    rule_model = model.PerOccurrence
    more_is_more = True

    def check(self, rule: model.PerOccurrence, item: model.Item, value: Any) -> Any:
        return values.count(value)

    def fact_shape(self, rule: model.PerOccurrence, item: model.Item) -> str:
        return "count"

    def raw(self, rule: model.PerOccurrence, item: model.Item,
            names: Mapping[str, object]) -> RawFn:
        per, free = rule.per, rule.free
        return lambda v, _f: per * max(0, v - free)

    def emit_raw(self, rule: model.PerOccurrence, item: model.Item, w: Consts, x: str) -> str:
        return f"{w.const(rule.per)} * " + (
            f"max(0, {x} - {w.const(rule.free)})" if rule.free else x)  # x >= 0

    def vector_fact(self, rule: model.PerOccurrence, item: model.Item) -> VectorFact:
        return VectorFact("count", ZERO, as_int=True)

    def vector(self, rule: model.PerOccurrence, item: model.Item, c: Columns, x: Any) -> Any:
        if rule.free:
            x = c.maximum(c.sub(x, c.const(Decimal(rule.free))), c.const(ZERO))
        return c.mul(x, rule.per)

    def fast_paths(self, rule: model.PerOccurrence, item: model.Item, w: Consts,
                   x: str) -> list[tuple[str, str | None]]:
        big = w.const(BIG_INT)
        # a count read from a file is a whole Decimal: the check makes it an int
        return [(f"{x}.__class__ is int and 0 <= {x} < {big}", None),
                (f"{x}.__class__ is Decimal and {x}.is_finite() and 0 <= {x} < {big} and "
                 f"{x} == {x}.to_integral_value()", f"int({x})")]

    def small_facts(self, rule: model.PerOccurrence, item: model.Item) -> range | None:
        return range(64)

    def raw_range(self, rule: model.PerOccurrence,
                  item: model.Item) -> tuple[Decimal | None, Decimal | None]:
        return ZERO, None

    def cells(self, rule: model.PerOccurrence, item: model.Item) -> list[Cell]:
        return [Cell(None, "次数 (整数 ≥ 0)", COUNT_CELL)]

    def strategy(self, rule: model.PerOccurrence, item: model.Item) -> SearchStrategy[Any]:
        from hypothesis import strategies as st

        return st.integers(0, 30)

    def bump(self, rule: model.PerOccurrence, item: model.Item, value: Any) -> Any:
        return value + 1

    def describe(self, rule: model.PerOccurrence, item: model.Item, fact: Any, raw: Decimal,
                 lang: Lang) -> str:
        n = number_of(fact)
        if n is None:
            return fact_words(fact, lang)
        if rule.free:
            return say(lang, f"({num(n)} 次 − 免计 {rule.free} 次) × {num(rule.per)}",
                       f"({num(n)} − {rule.free} free) × {num(rule.per)}")
        return say(lang, f"{num(n)} 次 × {num(rule.per)}", f"{num(n)} × {num(rule.per)}")


class PerStep(RuleKind[model.PerStep]):
    kind = "per_step"
    counts_own_points = True
    titles = Titles("按整档计分", "per whole step")
    rule_model = model.PerStep
    more_is_more = True

    def check(self, rule: model.PerStep, item: model.Item, value: Any) -> Any:
        return values.non_negative(value, "an amount >= 0")

    def fact_shape(self, rule: model.PerStep, item: model.Item) -> str:
        return "amount"

    def raw(self, rule: model.PerStep, item: model.Item, names: Mapping[str, object]) -> RawFn:
        step, points = rule.step, rule.points
        return lambda v, _f: (v // step) * points

    def emit_raw(self, rule: model.PerStep, item: model.Item, w: Consts, x: str) -> str:
        return f"({x} // {w.const(rule.step)}) * {w.const(rule.points)}"

    def vector_fact(self, rule: model.PerStep, item: model.Item) -> VectorFact:
        return VectorFact("number", ZERO)

    def vector(self, rule: model.PerStep, item: model.Item, c: Columns, x: Any) -> Any:
        # x ≥ 0: Decimal's // (towards zero) is the floor
        return c.mul(c.floor_div(x, c.const(rule.step)), rule.points)

    def fast_paths(self, rule: model.PerStep, item: model.Item, w: Consts,
                   x: str) -> list[tuple[str, str | None]]:
        return [(exact_decimal(w, x, "0", w.const(Decimal(BIG_INT)), high_open=True), None)]

    def raw_range(self, rule: model.PerStep,
                  item: model.Item) -> tuple[Decimal | None, Decimal | None]:
        return ZERO, None

    def cells(self, rule: model.PerStep, item: model.Item) -> list[Cell]:
        unit = f" {rule.unit}" if rule.unit else ""
        return [Cell(None, f"数量{unit} ≥ 0 (每 {num(rule.step)}{unit} {num(rule.points)} 分)",
                     decimal_cell(ZERO, None))]

    def strategy(self, rule: model.PerStep, item: model.Item) -> SearchStrategy[Any]:
        steps = item.max / rule.points + 3 if item.max.is_finite() else Decimal(30)
        return decimals(ZERO, rule.step * steps, 0)

    def bump(self, rule: model.PerStep, item: model.Item, value: Any) -> Any:
        return value + rule.step

    def describe(self, rule: model.PerStep, item: model.Item, fact: Any, raw: Decimal,
                 lang: Lang) -> str:
        n = number_of(fact)
        if n is None:
            return fact_words(fact, lang)
        unit = rule.unit or ""
        whole = n // rule.step
        return say(lang, f"{num(n)}{unit} 含 {num(rule.step)}{unit} 整 {num(whole)} 档 × "
                   f"{num(rule.points)}",
                   f"{num(whole)} whole steps of {num(rule.step)}{unit} in {num(n)}{unit} × "
                   f"{num(rule.points)}")


class _RateFact(RuleKind[R]):
    """What rate and shortfall share: the fact is a rate in 0..1."""

    more_is_more = True

    def check(self, rule: R, item: model.Item, value: Any) -> Any:
        return values.rate(value)

    def fact_shape(self, rule: R, item: model.Item) -> str:
        return "rate"

    def vector_fact(self, rule: R, item: model.Item) -> VectorFact:
        return VectorFact("number", ZERO, Decimal(1))

    def fast_paths(self, rule: R, item: model.Item, w: Consts,
                   x: str) -> list[tuple[str, str | None]]:
        return [(exact_decimal(w, x, "0", "1"), None)]

    def cells(self, rule: R, item: model.Item) -> list[Cell]:
        return [Cell(None, "比率 0–1 (98.5% 写 0.985)", decimal_cell(ZERO, Decimal(1)))]

    def strategy(self, rule: R, item: model.Item) -> SearchStrategy[Any]:
        return decimals(ZERO, Decimal(1), 3)

    def bump(self, rule: R, item: model.Item, value: Any) -> Any:
        return min(Decimal(1), value + Decimal("0.05")) if value < 1 else None


class Rate(_RateFact[model.Rate]):
    kind = "rate"
    titles = Titles("按比率折算", "rate × max")
    rule_model = model.Rate

    def raw(self, rule: model.Rate, item: model.Item, names: Mapping[str, object]) -> RawFn:
        top = item.max
        return lambda v, _f: top * v

    def emit_raw(self, rule: model.Rate, item: model.Item, w: Consts, x: str) -> str:
        return f"{w.const(item.max)} * {x}"

    def vector(self, rule: model.Rate, item: model.Item, c: Columns, x: Any) -> Any:
        return c.mul(x, item.max)

    def describe(self, rule: model.Rate, item: model.Item, fact: Any, raw: Decimal,
                 lang: Lang) -> str:
        return say(lang, f"满分 {num(item.max)} × 比率 {fact_words(fact, lang)}",
                   f"max {num(item.max)} × rate {fact_words(fact, lang)}")

    def raw_range(self, rule: model.Rate,
                  item: model.Item) -> tuple[Decimal | None, Decimal | None]:
        return ZERO, item.max


class Shortfall(_RateFact[model.Shortfall]):
    kind = "shortfall"
    titles = Titles("未达标按差距扣分", "shortfall from a target")
    rule_model = model.Shortfall

    def raw(self, rule: model.Shortfall, item: model.Item, names: Mapping[str, object]) -> RawFn:
        top = item.max
        target, per, step = rule.target, rule.per, rule.step
        # whole_steps: only whole steps count (floor); started_steps: a step begun counts as a
        # whole one (不足5%按5%计: ceiling); proportional: part-steps in proportion
        whole = {"whole_steps": decimal.ROUND_FLOOR,
                 "started_steps": decimal.ROUND_CEILING}.get(rule.partial)

        def shortfall(v: Any, _f: Mapping[str, Any]) -> Decimal:
            rate: Decimal = v
            if rate >= target:
                return top
            steps = (target - rate) / step
            if whole is not None:
                steps = steps.to_integral_value(rounding=whole)
            return top - steps * per

        return shortfall

    def vector(self, rule: model.Shortfall, item: model.Item, c: Columns, x: Any) -> Any:
        top, target, step = c.const(item.max), c.const(rule.target), c.const(rule.step)
        met = c.ge(x, target)
        gap = c.where(met, c.const(ZERO), c.sub(target, x))
        if rule.partial == "whole_steps":  # the floor of the quotient, terminating or not
            steps = c.floor_div(gap, step)
        elif rule.partial == "started_steps":  # a step begun counts whole: the ceiling
            steps = c.ceil_div(gap, step)
        else:
            steps = c.muldiv(gap, Decimal(1), rule.step)
        return c.where(met, top, c.sub(top, c.mul(steps, rule.per)))

    def raw_range(self, rule: model.Shortfall,
                  item: model.Item) -> tuple[Decimal | None, Decimal | None]:
        return None, item.max

    def problems(self, rule: model.Shortfall, item: model.Item,
                 path: Path) -> Iterator[Diagnostic]:
        if rule.target == 0:
            yield Diagnostic("GS304", "a target of 0 can never be missed", path=(*path, "target"))

    def describe(self, rule: model.Shortfall, item: model.Item, fact: Any, raw: Decimal,
                 lang: Lang) -> str:
        rate = number_of(fact)
        if rate is None:
            return fact_words(fact, lang)
        top, target, step, per = num(item.max), num(rule.target), num(rule.step), num(rule.per)
        if rate >= rule.target:
            return say(lang, f"{num(rate)} 达到目标 {target}: 满分 {top}",
                       f"{num(rate)} reaches the target {target}: full marks {top}")
        gap = f"({target} − {num(rate)})"
        if rule.partial == "started_steps":
            steps = ((rule.target - rate) / rule.step).to_integral_value(
                rounding=decimal.ROUND_CEILING)
            return say(lang, f"满分 {top} − 差距 {gap} 按每 {step} 一档 (不足一档按一档) 计 "
                       f"{num(steps)} 档 × {per}",
                       f"max {top} − {num(steps)} steps of {step} begun in {gap} × {per}")
        if rule.partial == "whole_steps":
            steps = ((rule.target - rate) / rule.step).to_integral_value(
                rounding=decimal.ROUND_FLOOR)
            return say(lang, f"满分 {top} − 差距 {gap} 满 {step} 的整档 {num(steps)} × {per}",
                       f"max {top} − {num(steps)} whole steps of {step} in {gap} × {per}")
        return say(lang, f"满分 {top} − 差距 {gap} / {step} × {per}",
                   f"max {top} − {gap} / {step} × {per}")
