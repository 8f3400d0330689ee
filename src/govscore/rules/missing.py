"""The per_missing rule kind: points off for each one missing from a required count (pattern 2,
"required − actual": 每季度一次常务会, 少一次扣0.5分; 班子成员轮流接待, 缺一个领导扣0.5分).

The item starts from full marks and loses ``per`` for every ``step`` missing, where missing is
``required − done`` (0 when done reaches the required); the item's bounds floor it at 0 (扣完为止).
``required`` is stated in the scheme (4 meetings a year) or supplied with the fact per unit
(``{required: 7, done: 5}``: each town has its own number of leaders)."""

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
    ZERO,
    Cell,
    Columns,
    Consts,
    Lang,
    Path,
    RawFn,
    RuleKind,
    Titles,
    VectorFact,
    decimal_cell,
    decimals,
    fact_words,
    num,
    number_of,
    say,
)
from govscore.rules.simple import BIG_INT, exact_decimal

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

_ROUNDING = {"whole_steps": decimal.ROUND_FLOOR, "started_steps": decimal.ROUND_CEILING}
"""How part of a step counts: floor (only whole steps), ceiling (a step begun is a step);
proportional (absent here) keeps the fraction."""


def _whole(n: Decimal) -> bool:
    return n == n.to_integral_value()


class PerMissing(RuleKind[model.PerMissing]):
    kind = "per_missing"
    titles = Titles("按缺少数扣分", "per missing one")
    rule_model = model.PerMissing
    more_is_more = True

    # --- facts
    def _value(self, rule: model.PerMissing, value: Any, what: str) -> Decimal | int:
        if rule.amount:
            return values.non_negative(value, f"{what}, an amount >= 0")
        return values.count(value)

    def check(self, rule: model.PerMissing, item: model.Item, value: Any) -> Any:
        if rule.required is not None:  # the scheme states the required count: the fact is done
            return self._value(rule, value, "the number done")
        pair = values.mapping(value, "{required: …, done: …}")
        values.known_keys(pair, ["required", "done"], "key")
        if "required" not in pair or "done" not in pair:
            raise values.FactProblem("GS403", f"expected both required and done, got "
                                     f"{values.show(value)}")
        return {"required": self._value(rule, pair["required"], "required"),
                "done": self._value(rule, pair["done"], "done")}

    def fact_shape(self, rule: model.PerMissing, item: model.Item) -> str:
        if rule.required is None:
            return self.kind
        return "amount" if rule.amount else "count"

    # --- arithmetic: interpreter and kernel side by side
    def raw(self, rule: model.PerMissing, item: model.Item,
            names: Mapping[str, object]) -> RawFn:
        top, per, step, stated = item.max, rule.per, rule.step, rule.required
        rounding = _ROUNDING.get(rule.partial)

        def per_missing(v: Any, _f: Mapping[str, Any]) -> Decimal:
            required = stated if stated is not None else v["required"]
            done = v if stated is not None else v["done"]
            if done >= required:
                return top  # nothing missing; more than required earns nothing
            steps: Decimal = (required - done) / step
            if rounding is not None:
                steps = steps.to_integral_value(rounding=rounding)
            return top - steps * per

        return per_missing

    def emit_raw(self, rule: model.PerMissing, item: model.Item, w: Consts, x: str) -> str:
        # the mapping's keys as constants: the generated source holds no text (see security.md)
        required = w.const(rule.required) if rule.required is not None else \
            f"{x}[{w.const('required')}]"
        done = x if rule.required is not None else f"{x}[{w.const('done')}]"
        steps = f"(({required} - {done}) / {w.const(rule.step)})"
        rounding = _ROUNDING.get(rule.partial)
        if rounding is not None:
            steps = f"{steps}.to_integral_value(rounding={w.const(rounding)})"
        top = w.const(item.max)
        return f"({top} if {done} >= {required} else {top} - {steps} * {w.const(rule.per)})"

    def vector_fact(self, rule: model.PerMissing, item: model.Item) -> VectorFact | None:
        if rule.step != rule.step.to_integral_value() or (
                _ROUNDING.get(rule.partial) is None and rule.step != 1):
            return None  # a quotient the columns do not follow here (see vector)
        if rule.required is None:
            return VectorFact("mapping", ZERO, keys=("required", "done"),
                              as_int=not rule.amount, required=True)
        return VectorFact("number", ZERO) if rule.amount else \
            VectorFact("count", ZERO, as_int=True)

    def vector(self, rule: model.PerMissing, item: model.Item, c: Columns, x: Any) -> Any:
        """As ``raw``: full marks less ``per`` for each step missing. Whole or begun steps
        are ⌊missing / step⌋ or ⌈missing / step⌉ of exact columns, for a whole step: the
        Decimal path rounds missing / step to 34 digits before its floor or ceiling, but a
        quotient below 10^15 of a number with at most 9 places by a whole number is at least
        10^-9 / step from the next whole number and rounded by less than 10^-18 / step, so
        both give the same whole number. A step with a fraction, or a part of a step kept
        (``proportional``, step not 1): no vector form, the raw amount unit by unit."""
        top = c.const(item.max)
        required, done = (x["required"], x["done"]) if rule.required is None else \
            (c.const(rule.required), x)
        missing = c.sub(required, done)
        rounding = _ROUNDING.get(rule.partial)
        if rounding is decimal.ROUND_FLOOR:
            missing = c.floor_div(missing, c.const(rule.step))
        elif rounding is decimal.ROUND_CEILING:
            missing = c.ceil_div(missing, c.const(rule.step))
        return c.where(c.ge(done, required), top, c.sub(top, c.mul(missing, rule.per)))

    def fast_paths(self, rule: model.PerMissing, item: model.Item, w: Consts,
                   x: str) -> list[tuple[str, str | None]]:
        if rule.required is None:
            return []  # a mapping: the check makes it
        big = w.const(BIG_INT)
        if rule.amount:
            return [(exact_decimal(w, x, "0", w.const(Decimal(BIG_INT)), high_open=True), None)]
        # a count read from a file is a whole Decimal: the check makes it an int
        return [(f"{x}.__class__ is int and 0 <= {x} < {big}", None),
                (f"{x}.__class__ is Decimal and {x}.is_finite() and 0 <= {x} < {big} and "
                 f"{x} == {x}.to_integral_value()", f"int({x})")]

    def raw_range(self, rule: model.PerMissing,
                  item: model.Item) -> tuple[Decimal | None, Decimal | None]:
        if rule.required is None:
            return None, item.max
        # the most that can be missing is everything required: done = 0
        steps = rule.required / rule.step
        rounding = _ROUNDING.get(rule.partial)
        if rounding is not None:
            steps = steps.to_integral_value(rounding=rounding)
        return item.max - steps * rule.per, item.max

    # --- the scheme
    def problems(self, rule: model.PerMissing, item: model.Item,
                 path: Path) -> Iterator[Diagnostic]:
        if rule.required == 0:
            yield Diagnostic("GS304", "a required count of 0 can never be missed",
                             path=(*path, "required"))
        if not rule.amount:
            for key in ("required", "step"):
                value = getattr(rule, key)
                if value is not None and not _whole(value):
                    yield Diagnostic(
                        "GS347", f"{key} {value} is not a whole number, but required and done "
                        "are counts", path=(*path, key),
                        hint="write amount: true when the rule counts amounts (万元, 亩), not "
                        "occurrences")
        if item.from_full:
            yield Diagnostic("GS347", f"per_missing item {item.id!r} cannot have from_full: it "
                             "already starts from full marks and takes away what is missing; "
                             "from_full would score the points lost instead",
                             path=(*path[:-1], "from_full"), hint="remove from_full")
        if rule.partial != "proportional" and rule.step == 1 and not rule.amount:
            yield Diagnostic("GS316", f"partial: {rule.partial} changes nothing: whole counts "
                             "missing one at a time have no part-steps", path=(*path, "partial"),
                             severity="warning")

    # --- templates
    def cells(self, rule: model.PerMissing, item: model.Item) -> list[Cell]:
        what, valid = ("数量 ≥ 0", decimal_cell(ZERO, None)) if rule.amount else \
            ("整数 ≥ 0", COUNT_CELL)
        if rule.required is not None:
            return [Cell(None, f"实际完成数 ({what}, 应完成 {num(rule.required)})", valid)]
        return [Cell("required", what, valid, "应有数"), Cell("done", what, valid, "实际数")]

    # --- property tests
    def strategy(self, rule: model.PerMissing, item: model.Item) -> SearchStrategy[Any]:
        from hypothesis import strategies as st

        def one(high: Decimal) -> SearchStrategy[Any]:
            return decimals(ZERO, high, 1) if rule.amount else st.integers(0, int(high))

        if rule.required is not None:
            return one(rule.required + 2 * rule.step)
        return st.fixed_dictionaries({"required": one(Decimal(12)), "done": one(Decimal(14))})

    def bump(self, rule: model.PerMissing, item: model.Item, value: Any) -> Any:
        if rule.required is not None:
            return value + 1
        return {**value, "done": value["done"] + 1}

    # --- explanations
    def describe(self, rule: model.PerMissing, item: model.Item, fact: Any, raw: Decimal,
                 lang: Lang) -> str:
        required: Decimal | None
        done: Decimal | None
        if rule.required is not None:
            required, done = rule.required, number_of(fact)
        elif isinstance(fact, Mapping):
            required, done = number_of(fact.get("required")), number_of(fact.get("done"))
        else:
            required = done = None
        if required is None or done is None:
            return fact_words(fact, lang)
        top, per = num(item.max), num(rule.per)
        if done >= required:
            return say(lang, f"实际 {num(done)} ≥ 应有 {num(required)}: 满分 {top}",
                       f"done {num(done)} ≥ required {num(required)}: full marks {top}")
        missing = f"(应有 {num(required)} − 实际 {num(done)})"
        missing_en = f"(required {num(required)} − done {num(done)})"
        if rule.step == 1 and (not rule.amount or rule.partial == "proportional"):
            return say(lang, f"满分 {top} − 缺 {missing} × {per}",
                       f"max {top} − missing {missing_en} × {per}")
        step = num(rule.step)
        rounding = _ROUNDING.get(rule.partial)
        if rounding is None:
            return say(lang, f"满分 {top} − 缺 {missing} / {step} × {per}",
                       f"max {top} − missing {missing_en} / {step} × {per}")
        steps = num(((required - done) / rule.step).to_integral_value(rounding=rounding))
        if rule.partial == "started_steps":
            return say(lang, f"满分 {top} − 缺 {missing} 按每 {step} 一档 (不足一档按一档) 计 "
                       f"{steps} 档 × {per}",
                       f"max {top} − {steps} steps of {step} begun in {missing_en} × {per}")
        return say(lang, f"满分 {top} − 缺 {missing} 满 {step} 的整档 {steps} × {per}",
                   f"max {top} − {steps} whole steps of {step} in {missing_en} × {per}")
