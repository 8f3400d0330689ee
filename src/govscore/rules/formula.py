"""The formula rule kind: points from a safe formula over inputs and params."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from govscore.language import formulas, model
from govscore.rules.base import Cell, Lang, RawFn, RuleKind, Titles, UnitProblem, say

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy


class Formula(RuleKind[model.Formula]):
    """No fact of its own: the formula reads the unit's inputs and the scheme's params. Its
    names are the item formula scope (:func:`govscore.scheme.scopes.formula_scope`), which the
    checks validated per category."""

    kind = "formula"
    counts_own_points = True
    titles = Titles("公式计分", "formula")
    rule_model = model.Formula
    has_fact = False

    def check(self, rule: model.Formula, item: model.Item, value: Any) -> Any:
        msg = "a formula item has no fact of its own"
        raise AssertionError(msg)  # pragma: no cover - no fact spec is made for formula items

    def raw(self, rule: model.Formula, item: model.Item, names: Mapping[str, object]) -> RawFn:
        formula = formulas.compile_formula(rule.formula, names)
        params = {n: v for n, v in names.items() if isinstance(v, Decimal) and n in formula.names}
        wanted = formula.names
        item_id = item.id

        def formula_fn(_v: Any, facts: Mapping[str, Any]) -> Decimal:
            env: dict[str, formulas.Value] = {}
            for n in wanted:
                if n in facts:
                    env[n] = facts[n]
                elif n in params:
                    env[n] = params[n]
                else:  # checked away per category (GS317); said plainly should it happen
                    raise UnitProblem("GS402", f"{item_id}: the formula needs {n!r}, which this "
                                      "unit's facts do not give")
            try:
                result = formula.evaluate(env)
            except formulas.FormulaError as exc:  # the message names the item and the formula
                raise exc.located(f"item {item_id!r}", formula.text) from None
            if isinstance(result, bool):
                msg = f"item {item_id!r}: the formula gave true/false, not points"
                raise formulas.FormulaError(msg, code="GS502")
            return result

        return formula_fn

    def cells(self, rule: model.Formula, item: model.Item) -> list[Cell]:
        return []

    def strategy(self, rule: model.Formula, item: model.Item) -> SearchStrategy[Any]:
        from hypothesis import strategies as st

        return st.nothing()  # no fact: the formula's inputs have their own strategies

    def describe(self, rule: model.Formula, item: model.Item, fact: Any, raw: Decimal,
                 lang: Lang) -> str:
        return say(lang, f"按公式 {rule.formula} 计算", f"by the formula {rule.formula}")
