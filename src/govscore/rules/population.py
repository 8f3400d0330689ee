"""Rule kinds scored against every unit of a scope: relative_to_best and rank_points. The
population phase gathers each scope's values (a fact, or a computed node's value with ``of``)
and calls ``scores``; the per-unit arithmetic then starts from that raw value like any other item.

``scores`` gives each unit its raw score with the operands of the sum, the ``args`` of the
``population`` trace step (``engine.results.TraceStep``), so that an explanation can show it
("第3名, 得 4.6分 = 5 − 2 × 0.2"):

- rank_points: ``("rank_points", value, rank, n, max, step, last)`` (step or last None);
- relative_to_best: ``("relative_to_best", value, best, max, lower_is_better, zero_best)``.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from govscore.language import model
from govscore.rules import values
from govscore.rules.base import (
    ZERO,
    Cell,
    Lang,
    R,
    RawFn,
    RuleKind,
    Titles,
    decimal_cell,
    decimals,
    fact_words,
    num,
    say,
)

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

Args = tuple[Any, ...]


def _supplied(v: Any, _f: Mapping[str, Any]) -> Decimal:
    value: Decimal = v  # the population phase's raw value
    return value


class _PopulationKind(RuleKind[R]):
    """What both population kinds share: the raw value comes from the population phase and is
    within 0..max."""

    population = True

    def raw(self, rule: R, item: model.Item, names: Mapping[str, object]) -> RawFn:
        return _supplied

    def reads_fact(self, rule: R) -> bool:
        return getattr(rule, "of", None) is None

    def raw_range(self, rule: R, item: model.Item) -> tuple[Decimal | None, Decimal | None]:
        return ZERO, item.max


class RelativeToBest(_PopulationKind[model.RelativeToBest]):
    kind = "relative_to_best"
    titles = Titles("与最优比值", "relative to the best")
    rule_model = model.RelativeToBest

    def check(self, rule: model.RelativeToBest, item: model.Item, value: Any) -> Any:
        return values.non_negative(value)

    def fact_shape(self, rule: model.RelativeToBest, item: model.Item) -> str:
        return "amount"

    def scores(self, rule: model.RelativeToBest, item: model.Item,
               members: list[tuple[str, Decimal]]) -> dict[str, tuple[Decimal, Args]]:
        """unit → (raw score, the step's args), over one scope's (unit, value) pairs."""
        top = item.max
        facts = [v for _, v in members]
        best = min(facts) if rule.lower_is_better else max(facts)

        def args(v: Decimal) -> Args:
            return ("relative_to_best", v, best, top, rule.lower_is_better, rule.zero_best)

        if rule.lower_is_better:
            if best <= 0:  # 0 is unbeatable (and a computed node may be below it)
                return {u: ((top if v == best else ZERO) if rule.zero_best == "zero" else top,
                            args(v)) for u, v in members}
            return {u: (top * best / v, args(v)) for u, v in members}
        if best <= 0:
            # nobody did better than nothing (a computed node may be below 0 with a floor
            # below 0: nobody is then ahead of anybody either)
            return {u: (top if rule.zero_best == "full" else ZERO, args(v)) for u, v in members}
        return {u: (max(top * v / best, ZERO), args(v)) for u, v in members}

    def cells(self, rule: model.RelativeToBest, item: model.Item) -> list[Cell]:
        return [Cell(None, "数值 ≥ 0", decimal_cell(ZERO, None))]

    def describe(self, rule: model.RelativeToBest, item: model.Item, fact: Any, raw: Decimal,
                 lang: Lang) -> str:
        # the best value is the scope's, not this unit's: the sheet says how, the value is raw
        if rule.lower_is_better:
            return say(lang, f"数值 {fact_words(fact, lang)}, 按 最优值 / 本单位值 × 满分 "
                       f"{num(item.max)}",
                       f"value {fact_words(fact, lang)}: best / this unit's × max {num(item.max)}")
        return say(lang, f"数值 {fact_words(fact, lang)}, 按 本单位值 / 最优值 × 满分 "
                   f"{num(item.max)}",
                   f"value {fact_words(fact, lang)}: this unit's / best × max {num(item.max)}")

    def strategy(self, rule: model.RelativeToBest, item: model.Item) -> SearchStrategy[Any]:
        return decimals(ZERO, Decimal(1000), 1)


class RankPoints(_PopulationKind[model.RankPoints]):
    kind = "rank_points"
    titles = Titles("名次赋分", "points by rank")
    rule_model = model.RankPoints

    def check(self, rule: model.RankPoints, item: model.Item, value: Any) -> Any:
        return values.number(value)

    def fact_shape(self, rule: model.RankPoints, item: model.Item) -> str:
        return "number"

    def scores(self, rule: model.RankPoints, item: model.Item,
               members: list[tuple[str, Decimal]]) -> dict[str, tuple[Decimal, Args]]:
        """unit → (raw score, the step's args), over one scope's (unit, value) pairs."""
        top, n = item.max, len(members)
        ordered = sorted(v for _, v in members)
        out: dict[str, tuple[Decimal, Args]] = {}
        for unit, value in members:
            # how many members are strictly better, by bisection in the sorted values
            better = (bisect_left(ordered, value) if rule.lower_is_better
                      else n - bisect_right(ordered, value))
            rank = better + 1  # ties share the better rank
            if rule.step is not None:
                points = top - (rank - 1) * rule.step
            else:
                assert rule.last is not None
                points = top if n == 1 else top - (rank - 1) * (top - rule.last) / (n - 1)
            out[unit] = (max(points, ZERO),
                         ("rank_points", value, rank, n, top, rule.step, rule.last))
        return out

    def problems(self, rule: model.RankPoints, item: model.Item,
                 path: tuple[str | int, ...]) -> Any:
        from govscore.errors import Diagnostic

        if rule.last is not None and rule.last > item.max:
            yield Diagnostic("GS314", f"last {rule.last} is above the item's max {item.max}",
                             path=(*path, "last"))

    def cells(self, rule: model.RankPoints, item: model.Item) -> list[Cell]:
        return [Cell(None, "数值", None)]

    def describe(self, rule: model.RankPoints, item: model.Item, fact: Any, raw: Decimal,
                 lang: Lang) -> str:
        if rule.step is not None:
            how = say(lang, f"满分 {num(item.max)}, 每低一名减 {num(rule.step)}",
                      f"max {num(item.max)} less {num(rule.step)} per place")
        else:
            how = say(lang, f"第一名 {num(item.max)} 至末名 {num(rule.last or ZERO)} 等差",
                      f"from {num(item.max)} for the first to {num(rule.last or ZERO)} for the "
                      "last, evenly")
        return say(lang, f"数值 {fact_words(fact, lang)} 按名次赋分 ({how})",
                   f"value {fact_words(fact, lang)} by rank ({how})")

    def strategy(self, rule: model.RankPoints, item: model.Item) -> SearchStrategy[Any]:
        return decimals(ZERO, Decimal(100), 0)
